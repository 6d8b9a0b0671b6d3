//! JSON request bodies that report every structural problem at once.
//!
//! poem-openapi's `Json<T>` stops at the first problem and often cannot say
//! which field it was ("Expected input type string, found null"). This
//! payload reads the JSON, checks it against `T`'s own schema (the one in
//! the document) and lists every unknown, missing or mistyped field; only a
//! body that passes is handed to `T`'s parser.

use crate::problem::FieldProblem;
use poem::http::StatusCode;
use poem::{FromRequest, Request, RequestBody};
use poem_openapi::payload::{Json, ParsePayload, Payload};
use poem_openapi::registry::{MetaSchema, MetaSchemaRef, Registry};
use poem_openapi::types::{ParseFromJSON, Type};
use serde_json::Value;

/// A JSON request body of type `T`.
pub struct JsonBody<T>(pub T);

/// Every structural problem of a body, carried inside a `poem::Error` to the
/// operation's bad-request handler.
#[derive(Debug, thiserror::Error)]
#[error("the request body is invalid")]
pub struct BodyErrors(pub Vec<FieldProblem>);

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = <Json<T> as Payload>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        <Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = Vec::<u8>::from_request(request, body).await?;
        if data.is_empty() {
            return Err(fail(vec![problem("body", "a JSON object is required")]));
        }
        parse(&data).map(Self)
    }
}

fn fail(problems: Vec<FieldProblem>) -> poem::Error {
    poem::Error::new(BodyErrors(problems), StatusCode::BAD_REQUEST)
}

/// `data` as a `T`, with every structural problem listed.
fn parse<T: ParseFromJSON>(data: &[u8]) -> poem::Result<T> {
    let value = match serde_json::from_slice::<UniqueKeys>(data) {
        Ok(UniqueKeys(value)) => value,
        Err(e) => {
            let message = e.to_string();
            let field = message
                .strip_prefix(DUPLICATE)
                .and_then(|rest| rest.split('`').next())
                .map(str::to_owned);
            return Err(fail(vec![match field {
                Some(field) => problem(&field, "appears more than once in the body"),
                None => problem("body", format!("not valid JSON: {e}")),
            }]));
        }
    };
    let mut registry = Registry::new();
    T::register(&mut registry);
    let mut problems = Vec::new();
    check(&registry, &T::schema_ref(), &value, "", &mut problems);
    if !problems.is_empty() {
        return Err(fail(problems));
    }
    T::parse_from_json(Some(value)).map_err(|e| fail(vec![problem("body", e.into_message())]))
}

/// A JSON request body of type `T` that may be left out (no body, or an
/// empty one with no content type): `None` then.
pub struct OptionalJsonBody<T>(pub Option<T>);

impl<T: Type> Payload for OptionalJsonBody<T> {
    const CONTENT_TYPE: &'static str = <Json<T> as Payload>::CONTENT_TYPE;

    fn check_content_type(content_type: &str) -> bool {
        <Json<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for OptionalJsonBody<T> {
    const IS_REQUIRED: bool = false;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let data = Vec::<u8>::from_request(request, body).await?;
        if data.is_empty() {
            return Ok(Self(None));
        }
        parse(&data).map(|value| Self(Some(value)))
    }
}

impl<'a, T: ParseFromJSON + Type> poem_openapi::ApiExtractor<'a> for OptionalJsonBody<T> {
    const TYPES: &'static [poem_openapi::ApiExtractorType] =
        &[poem_openapi::ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<poem_openapi::registry::MetaRequest> {
        Some(poem_openapi::registry::MetaRequest {
            description: None,
            content: vec![poem_openapi::registry::MetaMediaType {
                content_type: <Self as Payload>::CONTENT_TYPE,
                schema: <Self as Payload>::schema_ref(),
            }],
            required: false,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: poem_openapi::ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if Self::check_content_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            Some(content_type) => Err(poem_openapi::error::ContentTypeError::NotSupported {
                content_type: content_type.to_string(),
            }
            .into()),
            // No content type: there must be no body either.
            None => {
                let data = <Vec<u8> as FromRequest>::from_request(request, body).await?;
                if data.is_empty() {
                    Ok(Self(None))
                } else {
                    Err(poem_openapi::error::ContentTypeError::ExpectContentType.into())
                }
            }
        }
    }
}

/// How [`UniqueKeys`] names a key it saw twice.
const DUPLICATE: &str = "duplicate key `";

/// A JSON document whose objects each name a key once. serde_json keeps the
/// last of two equal keys; another reader of the same body may keep the
/// first, and two parsers that read one request differently are a known way
/// past validation (RFC 8259 leaves the choice open, RFC 7493 refuses).
struct UniqueKeys(Value);

impl<'de> serde::Deserialize<'de> for UniqueKeys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(UniqueKeysVisitor).map(Self)
    }
}

struct UniqueKeysVisitor;

impl<'de> serde::de::Visitor<'de> for UniqueKeysVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
        Ok(Value::from(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(item)) = seq.next_element()? {
            items.push(item);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut object = serde_json::Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if object.contains_key(&key) {
                return Err(serde::de::Error::custom(format!("{DUPLICATE}{key}`")));
            }
            let UniqueKeys(value) = map.next_value()?;
            object.insert(key, value);
        }
        Ok(Value::Object(object))
    }
}

fn problem(field: &str, message: impl Into<String>) -> FieldProblem {
    FieldProblem {
        field: field.to_owned(),
        message: message.into(),
    }
}

fn resolve<'a>(registry: &'a Registry, schema: &'a MetaSchemaRef) -> Option<&'a MetaSchema> {
    match schema {
        // A described field of a type with its own schema (an enum) is
        // `allOf: [its $ref, {description}]`: the rules are the $ref's.
        MetaSchemaRef::Inline(inline) => match inline
            .all_of
            .iter()
            .find(|member| matches!(member, MetaSchemaRef::Reference(_)))
        {
            Some(reference) => resolve(registry, reference),
            None => Some(inline),
        },
        MetaSchemaRef::Reference(name) => registry.schemas.get(name),
    }
}

fn join(path: &str, name: &str) -> String {
    if path.is_empty() {
        name.to_owned()
    } else {
        format!("{path}.{name}")
    }
}

/// Checks `value` against `schema`, adding a problem per wrong field.
fn check(
    registry: &Registry,
    schema: &MetaSchemaRef,
    value: &Value,
    path: &str,
    out: &mut Vec<FieldProblem>,
) {
    let Some(schema) = resolve(registry, schema) else {
        return;
    };
    let field = if path.is_empty() { "body" } else { path };
    if !schema.enum_items.is_empty() {
        if !schema.enum_items.contains(value) {
            let allowed: Vec<String> = schema.enum_items.iter().map(|v| v.to_string()).collect();
            out.push(problem(
                field,
                format!("must be one of {}", allowed.join(", ")),
            ));
        }
        return;
    }
    match schema.ty {
        "object" if !schema.properties.is_empty() || schema.additional_properties.is_none() => {
            let Some(object) = value.as_object() else {
                out.push(problem(field, "must be a JSON object"));
                return;
            };
            for name in object.keys() {
                if !schema.properties.iter().any(|(p, _)| p == name) {
                    out.push(problem(
                        &join(path, name),
                        "is not a field of this request (read-only or unknown)",
                    ));
                }
            }
            for (name, property) in &schema.properties {
                let required = schema.required.contains(name);
                match object.get(*name) {
                    None if required => out.push(problem(&join(path, name), "is required")),
                    None => {}
                    Some(Value::Null) if required => out.push(problem(
                        &join(path, name),
                        "is required and may not be null",
                    )),
                    // Null clears an optional column (merge semantics);
                    // other fields may be left out but not nulled.
                    Some(Value::Null) if directory_domain::limits::nullable(name) => {}
                    Some(Value::Null) => out.push(problem(&join(path, name), "may not be null")),
                    Some(value) => check(registry, property, value, &join(path, name), out),
                }
            }
        }
        "string" => match value.as_str() {
            None => out.push(problem(field, "must be a string")),
            Some(text) if matches!(schema.format, Some("date" | "naive-date")) => {
                if chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d").is_err() {
                    out.push(problem(field, "must be a date such as 2026-12-31"));
                }
            }
            Some(_) => {}
        },
        "integer" => {
            let fits = match schema.format {
                Some("int32") => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
                _ => value.as_i64().is_some(),
            };
            if !fits {
                out.push(problem(field, "must be a whole number in range"));
            }
        }
        "number" if !value.is_number() => out.push(problem(field, "must be a number")),
        "boolean" if !value.is_boolean() => out.push(problem(field, "must be true or false")),
        "array" => match value.as_array() {
            None => out.push(problem(field, "must be an array")),
            Some(items) => {
                if let Some(item_schema) = &schema.items {
                    for (i, item) in items.iter().enumerate() {
                        check(registry, item_schema, item, &format!("{field}[{i}]"), out);
                    }
                }
            }
        },
        _ => {}
    }
}

poem_openapi::impl_apirequest_for_payload!(JsonBody<T>, T: ParseFromJSON + Type);

#[cfg(test)]
mod tests {
    use super::*;

    fn read(text: &str) -> Result<Value, String> {
        serde_json::from_str::<UniqueKeys>(text)
            .map(|UniqueKeys(value)| value)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn a_key_named_twice_is_refused_at_any_depth() {
        assert_eq!(
            read(r#"{"name": "A", "kind": [1, {"x": null}], "n": -1.5}"#).unwrap(),
            serde_json::json!({"name": "A", "kind": [1, {"x": null}], "n": -1.5})
        );
        let error = read(r#"{"name": "A", "name": "B"}"#).unwrap_err();
        assert!(error.starts_with("duplicate key `name`"), "{error}");
        let error = read(r#"{"a": [{"b": 1, "b": 1}]}"#).unwrap_err();
        assert!(error.starts_with("duplicate key `b`"), "{error}");
    }
}
