//! Operating theatres on a floor, and their tables.

use crate::limits::{ABBR_MAX, NAME_MAX, TABLE_COUNT_MAX, TABLE_COUNT_MIN};
use crate::validate::Checker;
use crate::{Audit, DomainError, FloorId, OperatingTheatreId, Patch};
use serde::{Deserialize, Serialize};

/// An operating theatre on a floor, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct OperatingTheatre {
    /// The theatre's id.
    pub id: OperatingTheatreId,
    /// The floor the theatre is on; it never changes.
    pub floor_id: FloorId,
    /// The name, unique on the floor whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    pub abbr: Option<String>,
    /// Operating tables in the theatre; at least one.
    pub table_count: i32,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create an operating theatre on a floor.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewOperatingTheatre {
    /// The floor the theatre is on, for good.
    pub floor_id: FloorId,
    /// The name, unique on the floor whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    #[serde(default)]
    pub abbr: Option<String>,
    /// Operating tables in the theatre; 1 if left out.
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", oai(default = "one"))]
    pub table_count: i32,
}

fn one() -> i32 {
    1
}

impl NewOperatingTheatre {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        c.positive_id("floor_id", self.floor_id.0);
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.range(
            "table_count",
            self.table_count,
            TABLE_COUNT_MIN,
            TABLE_COUNT_MAX,
        );
        c.finish()?;
        Ok(Self { name, abbr, ..self })
    }
}

/// A change to an operating theatre, which stays on its floor: a field left
/// out stays as it is, a value replaces it, and `null` removes it (only
/// `abbr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct OperatingTheatrePatch {
    /// Renames the theatre.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes the short form of the name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
    /// Changes the number of operating tables.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub table_count: Patch<i32>,
}

impl OperatingTheatrePatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let table_count = c.patch_required("table_count", &self.table_count);
        if let Patch::Set(count) = table_count {
            c.range("table_count", count, TABLE_COUNT_MIN, TABLE_COUNT_MAX);
        }
        let patch = Self {
            name: c.patch_text("name", &self.name, NAME_MAX),
            abbr: c.patch_opt_text("abbr", &self.abbr, ABBR_MAX),
            table_count,
        };
        c.finish()?;
        Ok(patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_theatre_has_at_least_one_table() {
        let theatre = |table_count| NewOperatingTheatre {
            floor_id: FloorId(1),
            name: "OT 1".into(),
            abbr: None,
            table_count,
        };
        assert!(theatre(0).validated().is_err());
        assert!(theatre(1).validated().is_ok());
        let p: OperatingTheatrePatch = serde_json::from_str(r#"{"table_count":0}"#).unwrap();
        assert!(p.validated().is_err());
    }

    #[test]
    fn table_count_defaults_to_one() {
        let t: NewOperatingTheatre =
            serde_json::from_str(r#"{"floor_id":1,"name":"OT 2"}"#).unwrap();
        assert_eq!(t.table_count, 1);
    }
}
