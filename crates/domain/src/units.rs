//! Units: the teams inside a department.

use crate::limits::{ABBR_MAX, NAME_MAX};
use crate::validate::Checker;
use crate::{Audit, DepartmentId, DomainError, Patch, UnitId};
use serde::{Deserialize, Serialize};

/// A unit inside a department, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Unit {
    /// The unit's id.
    pub id: UnitId,
    /// The department the unit belongs to; it never changes.
    pub department_id: DepartmentId,
    /// The name, unique within the department whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    pub abbr: Option<String>,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a unit in a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewUnit {
    /// The department the unit belongs to, for good.
    pub department_id: DepartmentId,
    /// The name, unique within the department whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    #[serde(default)]
    pub abbr: Option<String>,
}

impl NewUnit {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        c.positive_id("department_id", self.department_id.0);
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.finish()?;
        Ok(Self { name, abbr, ..self })
    }
}

/// A unit stays in its department: moving it would strand the staff whose
/// unit must belong to their department. Make a new unit instead.
///
/// A field left out stays as it is, a value replaces it, and `null` removes
/// it (only `abbr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct UnitPatch {
    /// Renames the unit.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes the short form of the name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
}

impl UnitPatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let patch = Self {
            name: c.patch_text("name", &self.name, NAME_MAX),
            abbr: c.patch_opt_text("abbr", &self.abbr, ABBR_MAX),
        };
        c.finish()?;
        Ok(patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_cannot_change_department() {
        assert!(serde_json::from_str::<UnitPatch>(r#"{"department_id":2}"#).is_err());
    }
}
