//! The request bodies' examples in the OpenAPI document: what the docs page
//! fills in for "Try it out" and what generated clients show. Each one is a
//! request the server accepts as it is on a database holding only the
//! reference data (the ids are the reference data's: department 1 is the
//! RP Centre with its units 1-7, department 2 Anaesthesiology, cadre 1
//! Faculty with designations 1-4, role 2 Consultant, building 1 with floors
//! 1-3), each patch applies to what the matching create example made, and
//! a period to the staff member the staff example made.
//! The current passwords are a placeholder to type over, `<your password>`
//! (long enough for the schema's `minLength`, plainly not a password).
//!
//! Written as typed values, so an example cannot name a field that does not
//! exist; the server's tests send every one of them to a seeded server.
//! Serialised by serde (poem-openapi's own `example` leaves out `writeOnly`
//! fields, which would drop the login's password), absent fields left out
//! rather than written as `null`.

use crate::{
    AccountPatch, BuildingId, BuildingPatch, CadreId, CadrePatch, DepartmentId, DepartmentKind,
    DepartmentPatch, DesignationId, DesignationPatch, FloorId, FloorPatch, LoginRequest,
    NewAccount, NewBuilding, NewCadre, NewDepartment, NewDesignation, NewFloor,
    NewOperatingTheatre, NewRole, NewStaff, NewUnit, OperatingTheatrePatch, PasswordChange, Patch,
    PeriodRequest, Permission, RoleId, RolePatch, StaffPatch, UnitId, UnitPatch,
};
use serde_json::Value;

macro_rules! examples {
    ($($ty:ident => $value:expr;)*) => {
        /// Each request body's schema name and its example.
        pub fn request_bodies() -> Vec<(&'static str, Value)> {
            vec![$((stringify!($ty), without_nulls(serde_json::to_value::<$ty>($value))),)*]
        }
    };
}

fn without_nulls(value: serde_json::Result<Value>) -> Value {
    let mut value = value.unwrap_or(Value::Null);
    if let Some(object) = value.as_object_mut() {
        object.retain(|_, field| !field.is_null());
    }
    value
}

fn text(value: &str) -> Patch<String> {
    Patch::Set(value.to_owned())
}

examples! {
    LoginRequest => LoginRequest {
        username: "admin".into(),
        password: "<your password>".into(),
    };
    PasswordChange => PasswordChange {
        current_password: "<your password>".into(),
        new_password: "a long passphrase of your own".into(),
    };
    NewDepartment => NewDepartment {
        name: "Cardiology".into(),
        abbr: Some("Cardio".into()),
        kind: DepartmentKind::Department,
    };
    DepartmentPatch => DepartmentPatch {
        name: text("Cardiology and Cardiac Surgery"),
        abbr: text("CCS"),
        ..Default::default()
    };
    NewUnit => NewUnit {
        department_id: DepartmentId(2),
        name: "Pain Clinic".into(),
        abbr: Some("Pain".into()),
    };
    UnitPatch => UnitPatch {
        name: text("Pain and Palliative Care"),
        abbr: text("PPC"),
    };
    NewCadre => NewCadre {
        name: "Allied Health".into(),
    };
    CadrePatch => CadrePatch {
        name: text("Allied Health Professionals"),
    };
    NewDesignation => NewDesignation {
        cadre_id: CadreId(1),
        name: "Emeritus Professor".into(),
        abbr: Some("Emer Prof".into()),
    };
    DesignationPatch => DesignationPatch {
        abbr: text("Prof Emer"),
        ..Default::default()
    };
    NewStaff => NewStaff {
        full_name: "Asha Rao".into(),
        employee_id: "E10234".into(),
        email: "asha.rao@hospital.example".into(),
        mobile: "+919810012345".into(),
        email2: None,
        email3: None,
        mobile2: None,
        mobile3: None,
        office_address: Some("Room 214, RPC Main Block".into()),
        department_id: DepartmentId(1),
        unit_id: Some(UnitId(1)),
        designation_id: DesignationId(1),
        supervisor_id: None,
        end_date: None,
    };
    StaffPatch => StaffPatch {
        mobile: text("+919810054321"),
        office_address: text("Room 216, RPC Main Block"),
        ..Default::default()
    };
    NewRole => NewRole {
        name: "Theatre Coordinator".into(),
        description: Some("Plans theatre lists; reads the directory.".into()),
        permissions: vec![Permission::DirectoryRead],
    };
    RolePatch => RolePatch {
        description: text("Plans theatre lists and keeps the theatres' details."),
        permissions: Patch::Set(vec![Permission::DirectoryRead, Permission::DirectoryWrite]),
        ..Default::default()
    };
    NewAccount => NewAccount {
        username: "asha.rao".into(),
        password: "a long passphrase of your own".into(),
        staff_id: None,
        roles: vec![RoleId(2)],
    };
    AccountPatch => AccountPatch {
        username: text("arao"),
        ..Default::default()
    };
    NewBuilding => NewBuilding {
        name: "Emergency Block".into(),
        abbr: Some("EB".into()),
    };
    BuildingPatch => BuildingPatch {
        name: text("Emergency and Trauma Block"),
        abbr: text("ETB"),
    };
    NewFloor => NewFloor {
        building_id: BuildingId(1),
        name: "First Floor".into(),
        abbr: Some("1F".into()),
        level: 1,
    };
    FloorPatch => FloorPatch {
        name: text("First Floor (Recovery)"),
        ..Default::default()
    };
    NewOperatingTheatre => NewOperatingTheatre {
        floor_id: FloorId(3),
        name: "OT 5".into(),
        abbr: Some("OT-5".into()),
        table_count: 2,
    };
    OperatingTheatrePatch => OperatingTheatrePatch {
        table_count: Patch::Set(3),
        ..Default::default()
    };
    PeriodRequest => PeriodRequest {
        start_date: chrono::NaiveDate::from_ymd_opt(2026, 4, 1),
        end_date: chrono::NaiveDate::from_ymd_opt(2027, 3, 31),
    };
}
