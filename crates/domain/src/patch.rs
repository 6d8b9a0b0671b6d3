//! JSON merge-patch fields: absent leaves a value alone, `null` clears it,
//! a value replaces it.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// One field of a partial update (the `...Patch` commands): left out of the
/// JSON it leaves the stored value alone, `null` clears it, a value replaces
/// it. Each command's `validated` refuses `null` for a value that is required.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    /// Left out: the value stays as it is.
    #[default]
    Unchanged,
    /// `null`: the value is removed.
    Clear,
    /// The new value.
    Set(T),
}

impl<T> Patch<T> {
    /// Whether the field was left out.
    pub fn is_unchanged(&self) -> bool {
        matches!(self, Self::Unchanged)
    }

    /// For a nullable column: `None` = leave alone, `Some(None)` = set NULL.
    pub fn into_nullable(self) -> Option<Option<T>> {
        match self {
            Self::Unchanged => None,
            Self::Clear => Some(None),
            Self::Set(value) => Some(Some(value)),
        }
    }

    /// The new value, if there is one.
    pub fn as_set(&self) -> Option<&T> {
        match self {
            Self::Set(value) => Some(value),
            _ => None,
        }
    }

    /// Converts the new value, if there is one.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Patch<U> {
        match self {
            Self::Unchanged => Patch::Unchanged,
            Self::Clear => Patch::Clear,
            Self::Set(value) => Patch::Set(f(value)),
        }
    }
}

impl<T> From<Option<T>> for Patch<T> {
    fn from(value: Option<T>) -> Self {
        match value {
            Some(value) => Self::Set(value),
            None => Self::Clear,
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Option::<T>::deserialize(deserializer).map(Into::into)
    }
}

impl<T: Serialize> Serialize for Patch<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Set(value) => value.serialize(serializer),
            _ => serializer.serialize_none(),
        }
    }
}

/// poem-openapi sees a patch field as an optional, nullable `T`.
#[cfg(feature = "openapi")]
mod openapi {
    use super::Patch;
    use poem_openapi::registry::{MetaSchemaRef, Registry};
    use poem_openapi::types::{ParseError, ParseFromJSON, ParseResult, ToJSON, Type};
    use serde_json::Value;
    use std::borrow::Cow;

    impl<T: Type> Type for Patch<T> {
        const IS_REQUIRED: bool = false;
        type RawValueType = T::RawValueType;
        type RawElementValueType = T::RawElementValueType;

        fn name() -> Cow<'static, str> {
            format!("optional_{}", T::name()).into()
        }

        fn schema_ref() -> MetaSchemaRef {
            T::schema_ref()
        }

        fn register(registry: &mut Registry) {
            T::register(registry);
        }

        fn as_raw_value(&self) -> Option<&Self::RawValueType> {
            match self {
                Patch::Set(value) => value.as_raw_value(),
                _ => None,
            }
        }

        fn raw_element_iter<'a>(
            &'a self,
        ) -> Box<dyn Iterator<Item = &'a Self::RawElementValueType> + 'a> {
            match self {
                Patch::Set(value) => value.raw_element_iter(),
                _ => Box::new(std::iter::empty()),
            }
        }

        fn is_none(&self) -> bool {
            !matches!(self, Patch::Set(_))
        }
    }

    impl<T: ParseFromJSON> ParseFromJSON for Patch<T> {
        fn parse_from_json(value: Option<Value>) -> ParseResult<Self> {
            match value {
                None => Ok(Patch::Unchanged),
                Some(Value::Null) => Ok(Patch::Clear),
                Some(value) => T::parse_from_json(Some(value))
                    .map(Patch::Set)
                    .map_err(ParseError::propagate),
            }
        }
    }

    impl<T: ToJSON> ToJSON for Patch<T> {
        fn to_json(&self) -> Option<Value> {
            match self {
                Patch::Set(value) => value.to_json(),
                Patch::Clear => Some(Value::Null),
                Patch::Unchanged => None,
            }
        }
    }
}
