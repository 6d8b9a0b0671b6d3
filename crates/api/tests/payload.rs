//! Response bodies are written with serde and sonic-rs
//! (`directory_api::payload::render`) but documented by poem-openapi's
//! derives: the two must render every body the same way, or clients would
//! get what the document does not say. Each response type is rendered both
//! ways, with its optional parts present and absent, from real rows.
//! Timestamps compare as instants (serde writes `Z`, poem-openapi
//! `+00:00`; both are RFC 3339).

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use chrono::{DateTime, SecondsFormat};
use directory_api::buildings::BuildingView;
use directory_api::departments::DepartmentView;
use directory_api::payload::{Body, render};
use directory_api::problem::{FieldProblem, Problem};
use directory_api::responses::ListPage;
use directory_api::staff::StaffView;
use directory_api::units::UnitView;
use directory_db::testing::TestDatabase;
use directory_db::{
    accounts, buildings, cadres, departments, designations, floors, operating_theatres, roles,
    staff, units,
};
use directory_domain::{
    AccountId, AuditAction, AuditEntity, AuditEvent, BuildingId, CadreId, Change,
    DeactivationReason, DepartmentId, DesignationId, FloorId, Headship, HistoryEntry,
    LoginResponse, Me, OperatingTheatreId, Period, Permission, RoleId, Snapshot, StaffId, UnitId,
    WorksIn,
};
use directory_seed::{AdminPassword, SeedData, demo_staff, seed};
use serde_json::Value;

/// Timestamps as one canonical text; everything else as it is.
fn canonical(value: Value) -> Value {
    match value {
        Value::String(text) => match DateTime::parse_from_rfc3339(&text) {
            Ok(at) => Value::String(at.to_utc().to_rfc3339_opts(SecondsFormat::AutoSi, true)),
            Err(_) => Value::String(text),
        },
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, canonical(v))).collect())
        }
        other => other,
    }
}

fn same<T: Body + std::fmt::Debug>(value: &T) {
    let by_serde = canonical(serde_json::from_slice(&render(value).unwrap()).unwrap());
    let by_openapi = canonical(value.to_json().unwrap());
    assert_eq!(by_serde, by_openapi, "{value:?}");
}

#[test]
fn serde_renders_every_response_body_as_documented() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    seed(
        &mut conn,
        &SeedData::reference().unwrap(),
        &AdminPassword::Given("payload test passphrase".into()),
    )
    .unwrap();
    demo_staff(&mut conn, 3, false).unwrap();
    let c = &mut conn;

    let mut member = staff::get_staff(c, StaffId(1)).unwrap();
    same(&member);
    member.unit_id = Some(UnitId(1));
    member.unit_name = Some("Unit".into());
    member.email2 = Some("second@example.org".into());
    member.end_date = Some(chrono::NaiveDate::from_ymd_opt(2030, 1, 31).unwrap());
    member.deactivated_at = Some(chrono::Utc::now());
    member.deactivated_by = Some(AccountId(1));
    member.active = false;
    member.audit.created_by = Some(AccountId(1));
    same(&member);
    let start = chrono::NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
    let works_in = vec![WorksIn {
        department_id: DepartmentId(2),
        department_name: "Second".into(),
        start_date: start,
        end_date: None,
    }];
    for expanded in [None, Some(vec![]), Some(works_in)] {
        same(&StaffView {
            staff: member.clone(),
            works_in: expanded,
        });
    }
    let page = ListPage {
        items: vec![StaffView {
            staff: member.clone(),
            works_in: None,
        }],
        total: 3,
        limit: 50,
        offset: 0,
    };
    same(&page);

    let head = Headship {
        staff_id: member.id,
        full_name: member.full_name.clone(),
        designation_name: member.designation_name.clone(),
        start_date: start,
        end_date: Some(start),
    };
    same(&Period {
        start_date: start,
        end_date: None,
    });
    let department = departments::get_department(c, DepartmentId(1)).unwrap();
    let unit = units::get_unit(c, UnitId(1)).unwrap();
    same(&department);
    same(&unit);
    for (units, heads) in [
        (None, None),
        (Some(vec![unit.clone()]), Some(vec![head.clone()])),
    ] {
        same(&DepartmentView {
            department: department.clone(),
            units,
            heads,
        });
    }
    for heads in [None, Some(vec![head.clone()])] {
        same(&UnitView {
            unit: unit.clone(),
            heads,
        });
    }

    same(&cadres::get_cadre(c, CadreId(1)).unwrap());
    same(&designations::get_designation(c, DesignationId(1)).unwrap());
    let building = buildings::get_building(c, BuildingId(1)).unwrap();
    let floor = floors::get_floor(c, FloorId(1)).unwrap();
    for floors in [None, Some(vec![floor.clone()])] {
        same(&BuildingView {
            building: building.clone(),
            floors,
        });
    }
    same(&floor);
    same(&operating_theatres::get_theatre(c, OperatingTheatreId(1)).unwrap());
    same(&roles::get_role(c, RoleId(1)).unwrap());

    let mut account = accounts::get_account(c, AccountId(1)).unwrap();
    same(&account);
    account.staff_id = Some(StaffId(1));
    account.deactivation_reason = Some(DeactivationReason::EndDate);
    account.deactivated_at = Some(chrono::Utc::now());
    account.last_login_at = Some(chrono::Utc::now());
    same(&account);
    same(&LoginResponse {
        access_token: "hd_token".into(),
        token_type: "Bearer".into(),
        expires_at: chrono::Utc::now(),
        account: Me {
            account,
            role_names: vec!["Administrator".into()],
            permissions: vec![Permission::DirectoryRead, Permission::AccountsManage],
        },
    });

    // The trail: a record's JSON inside an event is the API's JSON.
    let event = AuditEvent {
        id: 7,
        at: chrono::Utc::now(),
        actor_id: Some(AccountId(1)),
        action: AuditAction::LoginFailed,
        entity: AuditEntity::OperatingTheatres,
        entity_id: "3/4".into(),
        version: None,
        before: None,
        after: Some(Snapshot::stored(serde_json::to_string(&member).unwrap())),
    };
    same(&directory_api::audit::AuditEventPage {
        items: vec![event.clone()],
        limit: 50,
        next_after: None,
    });
    same(&directory_api::audit::ChangePage {
        items: vec![Change {
            seq: 7,
            at: event.at,
            entity: AuditEntity::WorksIn,
            entity_id: "1/2".into(),
            action: AuditAction::End,
            version: Some(2),
        }],
        limit: 100,
        next_after: 7,
    });
    same(&directory_api::audit::History {
        items: vec![HistoryEntry {
            version: Some(1),
            at: event.at,
            actor_id: None,
            action: AuditAction::Create,
            data: event.after.clone(),
        }],
    });

    let mut problem = Problem::new(poem::http::StatusCode::CONFLICT, "taken");
    same(&problem);
    problem.detail = None;
    problem.errors = Some(vec![FieldProblem {
        field: "name".into(),
        message: "is taken".into(),
    }]);
    same(&problem);
}
