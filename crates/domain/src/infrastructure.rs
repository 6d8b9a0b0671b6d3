//! Buildings, their floors, and the operating theatres on each floor.

use crate::limits::{
    ABBR_MAX, FLOOR_LEVEL_MAX, FLOOR_LEVEL_MIN, NAME_MAX, TABLE_COUNT_MAX, TABLE_COUNT_MIN,
};
use crate::validate::Checker;
use crate::{Audit, BuildingId, DomainError, FloorId, OperatingTheatreId, Patch};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Building {
    pub id: BuildingId,
    pub name: String,
    pub abbr: Option<String>,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewBuilding {
    pub name: String,
    #[serde(default)]
    pub abbr: Option<String>,
}

impl NewBuilding {
    pub fn validated(self) -> Result<Self, DomainError> {
        let mut c = Checker::new();
        let name = c.text("name", &self.name, NAME_MAX);
        let abbr = c.opt_text("abbr", self.abbr.as_deref(), ABBR_MAX);
        c.finish()?;
        Ok(Self { name, abbr })
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct BuildingPatch {
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
}

impl BuildingPatch {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct Floor {
    pub id: FloorId,
    pub building_id: BuildingId,
    pub name: String,
    pub abbr: Option<String>,
    /// 0 is the ground floor, negative levels are basements.
    pub level: i32,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewFloor {
    pub building_id: BuildingId,
    pub name: String,
    #[serde(default)]
    pub abbr: Option<String>,
    pub level: i32,
}

impl NewFloor {
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct FloorPatch {
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub level: Patch<i32>,
}

impl FloorPatch {
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

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
pub struct OperatingTheatre {
    pub id: OperatingTheatreId,
    pub floor_id: FloorId,
    pub name: String,
    pub abbr: Option<String>,
    /// Operating tables in the theatre; at least one.
    pub table_count: i32,
    #[serde(flatten)]
    #[cfg_attr(feature = "openapi", oai(flatten))]
    pub audit: Audit,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct NewOperatingTheatre {
    pub floor_id: FloorId,
    pub name: String,
    #[serde(default)]
    pub abbr: Option<String>,
    #[serde(default = "one")]
    #[cfg_attr(feature = "openapi", oai(default = "one"))]
    pub table_count: i32,
}

fn one() -> i32 {
    1
}

impl NewOperatingTheatre {
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

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(poem_openapi::Object))]
#[cfg_attr(feature = "openapi", oai(deny_unknown_fields))]
#[serde(deny_unknown_fields)]
pub struct OperatingTheatrePatch {
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub name: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub abbr: Patch<String>,
    #[serde(default, skip_serializing_if = "Patch::is_unchanged")]
    pub table_count: Patch<i32>,
}

impl OperatingTheatrePatch {
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
