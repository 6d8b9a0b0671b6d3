//! Designations: the posts staff hold, each in a cadre.

use crate::limits::{ABBR_MAX, NAME_MAX};
use crate::validate::Checker;
use crate::{Audit, CadreId, DesignationId, DomainError, Patch};
use serde::{Deserialize, Serialize};

/// A designation: a staff member's post, within a cadre, as the API
/// returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Designation {
    /// The designation's id.
    pub id: DesignationId,
    /// The cadre the designation belongs to.
    pub cadre_id: CadreId,
    /// The name (Professor, say), unique among all designations whatever
    /// the case.
    pub name: String,
    /// A short form of the name (`Prof`), if any.
    pub abbr: Option<String>,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a designation in a cadre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewDesignation {
    /// The cadre the designation belongs to.
    pub cadre_id: CadreId,
    /// The name, unique among all designations whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    #[serde(default)]
    pub abbr: Option<String>,
}

impl NewDesignation {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        c.positive_id("cadre_id", self.cadre_id.0);
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.finish()?;
        Ok(Self { name, abbr, ..self })
    }
}

/// A designation may move to another cadre: a staff member's cadre is always
/// read through their designation, so nothing is left inconsistent.
///
/// A field left out stays as it is, a value replaces it, and `null` removes
/// it (only `abbr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct DesignationPatch {
    /// Moves the designation to another cadre.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub cadre_id: Patch<CadreId>,
    /// Renames the designation.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes the short form of the name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
}

impl DesignationPatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let patch = Self {
            cadre_id: c.patch_required("cadre_id", &self.cadre_id),
            name: c.patch_text("name", &self.name, NAME_MAX),
            abbr: c.patch_opt_text("abbr", &self.abbr, ABBR_MAX),
        };
        c.finish()?;
        Ok(patch)
    }
}
