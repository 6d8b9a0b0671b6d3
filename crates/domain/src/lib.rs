//! The hospital directory's vocabulary, shared by every other crate and by
//! API clients: entities as the API returns them, the commands that create
//! and change them, and the rules those commands must obey.
//!
//! This crate knows nothing of databases, HTTP or async runtimes, so a client
//! can depend on it cheaply; `poem-openapi` derives sit behind the optional
//! `openapi` feature that only the api crate turns on.

pub mod accounts;
pub mod audit;
pub mod cadres;
pub mod error;
pub mod ids;
pub mod infrastructure;
pub mod limits;
pub mod organisation;
pub mod patch;
pub mod staff;
pub mod validate;

pub use accounts::{
    Account, AccountPatch, DeactivationReason, LoginRequest, LoginResponse, Me, NewAccount,
    NewRole, PasswordChange, Permission, Role, RolePatch,
};
pub use audit::Audit;
pub use cadres::{Cadre, CadrePatch, Designation, DesignationPatch, NewCadre, NewDesignation};
pub use error::{DomainError, FieldError};
pub use ids::*;
pub use infrastructure::{
    Building, BuildingPatch, Floor, FloorPatch, NewBuilding, NewFloor, NewOperatingTheatre,
    OperatingTheatre, OperatingTheatrePatch,
};
pub use organisation::{
    Department, DepartmentKind, DepartmentPatch, DepartmentRef, NewDepartment, NewUnit, Unit,
    UnitPatch,
};
pub use patch::Patch;
pub use staff::{NewStaff, Staff, StaffPatch, StaffRef};
