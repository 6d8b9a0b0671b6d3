//! The hospital directory's vocabulary, shared by every other crate and by
//! API clients: entities as the API returns them, the commands that create
//! and change them, and the rules those commands must obey.
//!
//! This crate knows nothing of databases, HTTP or async runtimes, so a client
//! can depend on it cheaply; `poem-openapi` derives sit behind the optional
//! `openapi` feature that only the api crate turns on.
//!
//! # Example
//!
//! A command's `validated` tidies its fields and checks every rule at once,
//! so a client can show all that is wrong with a form in one go; entities
//! and patches read from the API's JSON with serde.
//!
//! ```
//! use directory_domain::{
//!     DepartmentId, DesignationId, NewStaff, Patch, Staff, StaffPatch, UnitId,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let asha = NewStaff {
//!     full_name: "  Dr  Asha   Rao ".into(),
//!     employee_id: "E10234".into(),
//!     email: " asha.rao@hospital.example ".into(),
//!     mobile: "+91 98100-12345".into(),
//!     email2: Some(" ".into()),
//!     email3: None,
//!     mobile2: None,
//!     mobile3: None,
//!     office_address: Some("Room 214\nRPC Main Block".into()),
//!     department_id: DepartmentId(1),
//!     unit_id: Some(UnitId(1)),
//!     designation_id: DesignationId(1),
//!     supervisor_id: None,
//!     end_date: None,
//! };
//!
//! // Valid input comes back tidied.
//! let tidied = asha.clone().validated()?;
//! assert_eq!(tidied.full_name, "Dr Asha Rao");
//! assert_eq!(tidied.email, "asha.rao@hospital.example");
//! assert_eq!(tidied.mobile, "+919810012345");
//! assert_eq!(tidied.email2, None);
//!
//! // Invalid input is refused with every broken rule, not just the first.
//! let broken = NewStaff {
//!     full_name: "   ".into(),
//!     email: "asha at hospital".into(),
//!     mobile: "call reception".into(),
//!     department_id: DepartmentId(0),
//!     ..asha
//! };
//! let error = broken.validated().expect_err("four rules are broken");
//! let fields: Vec<&str> = error.errors().iter().map(|e| e.field.as_str()).collect();
//! assert_eq!(fields, ["full_name", "email", "mobile", "department_id"]);
//! assert_eq!(error.errors()[0].message, "must not be empty");
//! let summary = error.to_string();
//! assert!(summary.starts_with("invalid input: full_name: must not be empty; "));
//!
//! // A staff member as `PATCH /api/v1/staff/{id}` returns them.
//! let staff: Staff = serde_json::from_str(
//!     r#"{
//!         "id": 7, "full_name": "Dr Asha Rao", "employee_id": "E10234",
//!         "email": "asha.rao@hospital.example", "mobile": "+919810012345",
//!         "email2": null, "email3": null, "mobile2": null, "mobile3": null,
//!         "office_address": "Room 214\nRPC Main Block",
//!         "department_id": 1, "department_name": "Dr RP Centre",
//!         "unit_id": 1, "unit_name": "RPC Unit 1",
//!         "designation_id": 1, "designation_name": "Professor",
//!         "cadre_id": 1, "cadre_name": "Faculty",
//!         "supervisor_id": null, "end_date": "2031-03-31",
//!         "active": true, "deactivated_at": null, "deactivated_by": null,
//!         "created_at": "2026-11-27T08:01:07Z", "created_by": 1,
//!         "updated_at": "2026-11-28T10:30:00Z", "updated_by": 1, "version": 2
//!     }"#,
//! )?;
//! assert_eq!(staff.unit_id, Some(UnitId(1)));
//! assert_eq!(staff.audit.version, 2); // the ETag to send back in If-Match
//!
//! // In a patch, a field left out stays as it is, `null` clears it and a
//! // value replaces it.
//! let patch: StaffPatch =
//!     serde_json::from_str(r#"{"mobile": "+91 98100 54321", "unit_id": null}"#)?;
//! assert_eq!(patch.email, Patch::Unchanged);
//! assert_eq!(patch.unit_id, Patch::Clear);
//! let patch = patch.validated()?;
//! assert_eq!(patch.mobile, Patch::Set("+919810054321".to_owned()));
//!
//! // A required field cannot be cleared, and unknown fields are refused.
//! let patch: StaffPatch = serde_json::from_str(r#"{"email": null}"#)?;
//! let error = patch.validated().expect_err("email is required");
//! assert_eq!(error.errors()[0].message, "may not be null");
//! assert!(serde_json::from_str::<StaffPatch>(r#"{"active": false}"#).is_err());
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

pub mod accounts;
pub mod audit;
pub mod buildings;
pub mod cadres;
pub mod departments;
pub mod designations;
pub mod error;
#[cfg(feature = "openapi")]
pub mod examples;
pub mod floors;
pub mod ids;
pub mod limits;
pub mod operating_theatres;
pub mod patch;
pub mod periods;
pub mod roles;
pub mod sessions;
pub mod staff;
pub mod trail;
pub mod units;
pub mod validate;

pub use accounts::{Account, AccountPatch, DeactivationReason, NewAccount};
pub use audit::Audit;
pub use buildings::{Building, BuildingPatch, NewBuilding};
pub use cadres::{Cadre, CadrePatch, NewCadre};
pub use departments::{Department, DepartmentKind, DepartmentPatch, NewDepartment};
pub use designations::{Designation, DesignationPatch, NewDesignation};
pub use error::{DomainError, FieldError};
pub use floors::{Floor, FloorPatch, NewFloor};
pub use ids::*;
pub use operating_theatres::{NewOperatingTheatre, OperatingTheatre, OperatingTheatrePatch};
pub use patch::Patch;
pub use periods::{Headship, InForce, Period, PeriodRequest, WorksIn};
pub use roles::{NewRole, Permission, Role, RolePatch};
pub use sessions::{LoginRequest, LoginResponse, Me, PasswordChange};
pub use staff::{NewStaff, Staff, StaffPatch};
pub use trail::{AuditAction, AuditEntity, AuditEvent, Change, HistoryEntry, Snapshot};
pub use units::{NewUnit, Unit, UnitPatch};
