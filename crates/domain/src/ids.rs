//! Typed ids, so a unit id cannot be passed where a department id is wanted.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! id_type {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {$(
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        #[cfg_attr(feature = "openapi", derive(poem_openapi::NewType))]
        pub struct $name(pub i32);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl From<i32> for $name {
            fn from(value: i32) -> Self {
                Self(value)
            }
        }
    )*};
}

id_type!(
    /// A department's id.
    DepartmentId,
    /// A unit's id.
    UnitId,
    /// A cadre's id.
    CadreId,
    /// A designation's id.
    DesignationId,
    /// A staff member's id.
    StaffId,
    /// An account's id.
    AccountId,
    /// A role's id.
    RoleId,
    /// A building's id.
    BuildingId,
    /// A floor's id.
    FloorId,
    /// An operating theatre's id.
    OperatingTheatreId,
);
