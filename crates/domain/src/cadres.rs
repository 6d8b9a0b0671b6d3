//! Cadres: the groups designations belong to (Faculty, Residents, Nursing, ...).

use crate::limits::NAME_MAX;
use crate::validate::Checker;
use crate::{Audit, CadreId, DomainError, Patch};
use serde::{Deserialize, Serialize};

/// A cadre: a group of designations, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Cadre {
    /// The cadre's id.
    pub id: CadreId,
    /// The name (Faculty, say), unique whatever the case.
    pub name: String,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a cadre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewCadre {
    /// The name, unique among cadres whatever the case.
    pub name: String,
}

impl NewCadre {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let name = c.text("name", &self.name, NAME_MAX);
        c.finish()?;
        Ok(Self { name })
    }
}

/// A change to a cadre: a field left out stays as it is, a value replaces it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct CadrePatch {
    /// Renames the cadre.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
}

impl CadrePatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let name = c.patch_text("name", &self.name, NAME_MAX);
        c.finish()?;
        Ok(Self { name })
    }
}
