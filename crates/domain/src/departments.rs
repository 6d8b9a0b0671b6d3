//! Departments, centres and facilities.

use crate::limits::{ABBR_MAX, NAME_MAX};
use crate::validate::Checker;
use crate::{Audit, DepartmentId, DomainError, Patch};
use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// What sort of organisational body a department is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Enum))]
#[cfg_attr(feature = "openapi", oai(rename_all = "lowercase"))]
pub enum DepartmentKind {
    /// A department, such as Anaesthesiology.
    Department,
    /// A centre, such as the RP Centre.
    Centre,
    /// A facility serving other departments, such as a blood bank.
    Facility,
}

impl DepartmentKind {
    /// Every kind.
    pub const ALL: [Self; 3] = [Self::Department, Self::Centre, Self::Facility];

    /// The name in JSON and in the database (`centre`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Department => "department",
            Self::Centre => "centre",
            Self::Facility => "facility",
        }
    }
}

impl fmt::Display for DepartmentKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for DepartmentKind {
    type Err = DomainError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| DomainError::field("kind", "must be department, centre or facility"))
    }
}

/// A department, centre or facility, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Department {
    /// The department's id.
    pub id: DepartmentId,
    /// The name, unique among departments whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    pub abbr: Option<String>,
    /// What sort of body it is.
    pub kind: DepartmentKind,
    /// Departments are deactivated rather than deleted once in use.
    pub active: bool,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a department.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewDepartment {
    /// The name, unique among departments whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    #[serde(default)]
    pub abbr: Option<String>,
    /// What sort of body it is.
    pub kind: DepartmentKind,
}

impl NewDepartment {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.finish()?;
        Ok(Self { name, abbr, ..self })
    }
}

/// A change to a department: a field left out stays as it is, a value replaces
/// it, and `null` removes it (only `abbr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct DepartmentPatch {
    /// Renames the department.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes the short form of the name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
    /// Changes what sort of body it is.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub kind: Patch<DepartmentKind>,
    /// Deactivates (`false`) or reactivates (`true`) the department.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub active: Patch<bool>,
}

impl DepartmentPatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let patch = Self {
            name: c.patch_text("name", &self.name, NAME_MAX),
            abbr: c.patch_opt_text("abbr", &self.abbr, ABBR_MAX),
            kind: c.patch_required("kind", &self.kind),
            active: c.patch_required("active", &self.active),
        };
        c.finish()?;
        Ok(patch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_as_lowercase() {
        for kind in DepartmentKind::ALL {
            assert_eq!(kind.as_str().parse::<DepartmentKind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).unwrap(),
                format!("\"{}\"", kind.as_str())
            );
        }
        assert!("clinic".parse::<DepartmentKind>().is_err());
    }

    #[test]
    fn new_department_is_tidied_and_checked() {
        let d = NewDepartment {
            name: "  Anaesthesiology ".into(),
            abbr: Some(" ".into()),
            kind: DepartmentKind::Department,
        }
        .validated()
        .unwrap();
        assert_eq!(d.name, "Anaesthesiology");
        assert_eq!(d.abbr, None);

        let err = NewDepartment {
            name: "x".repeat(NAME_MAX + 1),
            abbr: Some("y".repeat(ABBR_MAX + 1)),
            kind: DepartmentKind::Centre,
        }
        .validated()
        .unwrap_err();
        assert_eq!(err.errors().len(), 2);
    }

    #[test]
    fn unknown_fields_are_refused() {
        let err = serde_json::from_str::<NewDepartment>(r#"{"name":"A","kind":"centre","id":4}"#)
            .unwrap_err();
        assert!(err.to_string().contains("unknown field `id`"));
    }

    #[test]
    fn patch_distinguishes_absent_null_and_value() {
        let p: DepartmentPatch = serde_json::from_str(r#"{"abbr":null}"#).unwrap();
        assert_eq!(p.abbr, Patch::Clear);
        assert_eq!(p.name, Patch::Unchanged);
        let p: DepartmentPatch = serde_json::from_str(r#"{"name":null}"#).unwrap();
        assert!(p.validated().is_err());
    }
}
