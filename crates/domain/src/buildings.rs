//! Buildings.

use crate::limits::{ABBR_MAX, NAME_MAX};
use crate::validate::Checker;
use crate::{Audit, BuildingId, DomainError, Patch};
use serde::{Deserialize, Serialize};

/// A building of the hospital, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Building {
    /// The building's id.
    pub id: BuildingId,
    /// The name, unique among buildings whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    pub abbr: Option<String>,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewBuilding {
    /// The name, unique among buildings whatever the case.
    pub name: String,
    /// A short form of the name, if any.
    #[serde(default)]
    pub abbr: Option<String>,
}

impl NewBuilding {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.finish()?;
        Ok(Self { name, abbr })
    }
}

/// A change to a building: a field left out stays as it is, a value replaces
/// it, and `null` removes it (only `abbr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct BuildingPatch {
    /// Renames the building.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes the short form of the name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
}

impl BuildingPatch {
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
