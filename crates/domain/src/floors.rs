//! Floors of a building.

use crate::limits::{ABBR_MAX, FLOOR_LEVEL_MAX, FLOOR_LEVEL_MIN, NAME_MAX};
use crate::validate::Checker;
use crate::{Audit, BuildingId, DomainError, FloorId, Patch};
use serde::{Deserialize, Serialize};

/// A floor of a building, as the API returns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Floor {
    /// The floor's id.
    pub id: FloorId,
    /// The building the floor is in; it never changes.
    pub building_id: BuildingId,
    /// The name, unique within the building whatever the case.
    pub name: String,
    /// A short form of the name (`1F`), if any.
    pub abbr: Option<String>,
    /// 0 is the ground floor, negative levels are basements.
    pub level: i32,
    /// Who created and last changed it, and when; flattened into the object.
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

/// A request to create a floor in a building.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewFloor {
    /// The building the floor is in, for good.
    pub building_id: BuildingId,
    /// The name, unique within the building whatever the case.
    pub name: String,
    /// A short form of the name (`1F`), if any.
    #[serde(default)]
    pub abbr: Option<String>,
    /// 0 is the ground floor, negative levels are basements.
    pub level: i32,
}

impl NewFloor {
    /// Tidies the fields (white space trimmed and folded, a blank optional
    /// field dropped) and checks every rule; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        c.positive_id("building_id", self.building_id.0);
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.range("level", self.level, FLOOR_LEVEL_MIN, FLOOR_LEVEL_MAX);
        c.finish()?;
        Ok(Self { name, abbr, ..self })
    }
}

/// A change to a floor, which stays in its building: a field left out stays
/// as it is, a value replaces it, and `null` removes it (only `abbr`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct FloorPatch {
    /// Renames the floor.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    /// Changes the short form of the name.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
    /// Changes the level: 0 is the ground floor, negative levels are
    /// basements.
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub level: Patch<i32>,
}

impl FloorPatch {
    /// Tidies the fields given and checks every rule, refusing `null` for a
    /// required value; the error lists each broken one.
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let level = c.patch_required("level", &self.level);
        if let Patch::Set(level) = level {
            c.range("level", level, FLOOR_LEVEL_MIN, FLOOR_LEVEL_MAX);
        }
        let patch = Self {
            name: c.patch_text("name", &self.name, NAME_MAX),
            abbr: c.patch_opt_text("abbr", &self.abbr, ABBR_MAX),
            level,
        };
        c.finish()?;
        Ok(patch)
    }
}
