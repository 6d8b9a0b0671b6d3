//! The design's delete rules and data rules, enforced through the
//! repositories on whichever backend the tests run on.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::departments::DepartmentFilter;
use directory_db::staff::{self as st, StaffFilter, StaffSort};
use directory_db::testing::{Places, TestDatabase};
use directory_db::{
    DbConnection, DbError, Page, accounts, buildings, cadres, designations, floors,
    operating_theatres, roles, sessions,
};
use directory_db::{departments, units};
use directory_domain::*;

struct Fixture {
    _db: TestDatabase,
    conn: DbConnection,
    department: DepartmentId,
    unit: UnitId,
    designation: DesignationId,
    ids: Places,
}

fn fixture() -> Fixture {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let places = Places::create(&mut conn).unwrap();
    Fixture {
        _db: db,
        conn,
        department: places.department,
        unit: places.unit,
        designation: places.designation,
        ids: places,
    }
}

fn conflict_field(err: DbError) -> Option<String> {
    match err {
        DbError::Conflict { field, .. } => field,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

#[test]
fn a_department_in_use_cannot_be_deleted() {
    let mut f = fixture();
    let s = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    let err = departments::delete_department(&mut f.conn, f.department, None, None).unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, DbError::Conflict { .. }));
    assert!(message.contains("1 units and 1 staff"), "{message}");

    st::delete_staff(&mut f.conn, s.id, None, None).unwrap();
    units::delete_unit(&mut f.conn, f.unit, None, None).unwrap();
    departments::delete_department(&mut f.conn, f.department, None, None).unwrap();
    assert!(matches!(
        departments::get_department(&mut f.conn, f.department),
        Err(DbError::NotFound { .. })
    ));
}

#[test]
fn deleting_a_unit_detaches_its_staff_and_drops_its_heads() {
    let mut f = fixture();
    let s = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    assert_eq!(s.unit_name.as_deref(), Some("RPC Unit 1"));
    let today = chrono::Utc::now().date_naive();
    let first = units::put_unit_head(&mut f.conn, f.unit, s.id, None, today, None).unwrap();
    assert!(matches!(first, directory_db::Assigned::Created(_)));
    let again = units::put_unit_head(&mut f.conn, f.unit, s.id, None, today, None).unwrap();
    assert!(matches!(again, directory_db::Assigned::Unchanged(_)));
    units::delete_unit(&mut f.conn, f.unit, None, None).unwrap();
    let s = st::get_staff(&mut f.conn, s.id).unwrap();
    assert_eq!(s.unit_id, None);
    assert_eq!(s.department_id, f.department);
    assert!(
        units::heads_of_units(&mut f.conn, &[f.unit], InForce::Ever)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn deleting_staff_removes_links_and_detaches_supervisees() {
    let mut f = fixture();
    let boss = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    let report = st::create_staff(
        &mut f.conn,
        &NewStaff {
            supervisor_id: Some(boss.id),
            ..f.ids.new_staff(2)
        },
        None,
    )
    .unwrap();
    let today = chrono::Utc::now().date_naive();
    departments::put_department_head(&mut f.conn, f.department, boss.id, None, today, None)
        .unwrap();
    st::put_works_in(&mut f.conn, boss.id, f.department, None, today, None).unwrap();
    let account = accounts::create_account(
        &mut f.conn,
        &NewAccount {
            username: "boss".into(),
            password: "a long passphrase".into(),
            staff_id: Some(boss.id),
            roles: vec![],
        },
        None,
    )
    .unwrap();
    let err = st::delete_staff(&mut f.conn, boss.id, None, None).unwrap_err();
    assert!(err.to_string().contains("1 accounts"), "{err}");

    accounts::delete_account(&mut f.conn, account.id, None, None).unwrap();
    st::delete_staff(&mut f.conn, boss.id, None, None).unwrap();
    assert_eq!(
        st::get_staff(&mut f.conn, report.id).unwrap().supervisor_id,
        None
    );
    assert!(
        departments::heads_of_departments(&mut f.conn, &[f.department], InForce::Ever)
            .unwrap()
            .is_empty()
    );
    assert!(
        st::works_in_of(&mut f.conn, &[boss.id], InForce::Ever)
            .unwrap()
            .is_empty()
    );
}

#[test]
fn parents_with_children_are_protected() {
    let mut f = fixture();
    // Cadre with a designation.
    let designation = designations::get_designation(&mut f.conn, f.designation).unwrap();
    let err = cadres::delete_cadre(&mut f.conn, designation.cadre_id, None, None).unwrap_err();
    assert!(err.to_string().contains("1 designations"), "{err}");
    // Designation held by staff.
    st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    let err = designations::delete_designation(&mut f.conn, f.designation, None, None).unwrap_err();
    assert!(err.to_string().contains("held by 1 staff"), "{err}");
    // Building -> floor -> theatre.
    let b = buildings::create_building(
        &mut f.conn,
        &NewBuilding {
            name: "Main Block".into(),
            abbr: None,
        },
        None,
    )
    .unwrap();
    let fl = floors::create_floor(
        &mut f.conn,
        &NewFloor {
            building_id: b.id,
            name: "Ground".into(),
            abbr: None,
            level: 0,
        },
        None,
    )
    .unwrap();
    operating_theatres::create_theatre(
        &mut f.conn,
        &NewOperatingTheatre {
            floor_id: fl.id,
            name: "OT 1".into(),
            abbr: None,
            table_count: 2,
        },
        None,
    )
    .unwrap();
    assert!(
        buildings::delete_building(&mut f.conn, b.id, None, None)
            .unwrap_err()
            .to_string()
            .contains("1 floors")
    );
    assert!(
        floors::delete_floor(&mut f.conn, fl.id, None, None)
            .unwrap_err()
            .to_string()
            .contains("1 operating theatres")
    );
    // Role assigned to an account.
    let role = roles::create_role(
        &mut f.conn,
        &NewRole {
            name: "Consultant".into(),
            description: None,
            permissions: vec![Permission::DirectoryRead],
        },
        None,
    )
    .unwrap();
    let account = accounts::create_account(
        &mut f.conn,
        &NewAccount {
            username: "consultant1".into(),
            password: "a long passphrase".into(),
            staff_id: None,
            roles: vec![role.id],
        },
        None,
    )
    .unwrap();
    assert_eq!(account.roles, vec![role.id]);
    let err = roles::delete_role(&mut f.conn, role.id, None, None).unwrap_err();
    assert!(err.to_string().contains("assigned to 1 accounts"), "{err}");
    // Deleting the account removes its role links, freeing the role.
    accounts::delete_account(&mut f.conn, account.id, None, None).unwrap();
    roles::delete_role(&mut f.conn, role.id, None, None).unwrap();
}

#[test]
fn names_are_unique_ignoring_case() {
    let mut f = fixture();
    let err = departments::create_department(
        &mut f.conn,
        &NewDepartment {
            name: "DR RP CENTRE".into(),
            abbr: None,
            kind: DepartmentKind::Department,
        },
        None,
    )
    .unwrap_err();
    assert_eq!(conflict_field(err).as_deref(), Some("name"));
    // The same unit name is fine in another department.
    let other = departments::create_department(
        &mut f.conn,
        &NewDepartment {
            name: "Anaesthesiology".into(),
            abbr: None,
            kind: DepartmentKind::Department,
        },
        None,
    )
    .unwrap();
    units::create_unit(
        &mut f.conn,
        &NewUnit {
            department_id: other.id,
            name: "rpc unit 1".into(),
            abbr: None,
        },
        None,
    )
    .unwrap();
    st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    let dup_email = NewStaff {
        employee_id: "E9999".into(),
        email: "MEMBER1@example.ORG".into(),
        ..f.ids.new_staff(2)
    };
    let err = st::create_staff(&mut f.conn, &dup_email, None).unwrap_err();
    assert_eq!(conflict_field(err).as_deref(), Some("email"));
    let dup_id = NewStaff {
        employee_id: "E0001".into(),
        ..f.ids.new_staff(3)
    };
    let err = st::create_staff(&mut f.conn, &dup_id, None).unwrap_err();
    assert_eq!(conflict_field(err).as_deref(), Some("employee_id"));
}

#[test]
fn stale_versions_change_nothing() {
    let mut f = fixture();
    let patch = DepartmentPatch {
        abbr: Patch::Set("RPC-2".into()),
        ..Default::default()
    };
    let updated =
        departments::update_department(&mut f.conn, f.department, Some(1), &patch, None).unwrap();
    assert_eq!(updated.audit.version, 2);
    assert_eq!(updated.abbr.as_deref(), Some("RPC-2"));
    let err = departments::update_department(&mut f.conn, f.department, Some(1), &patch, None)
        .unwrap_err();
    assert!(matches!(err, DbError::Stale { current: 2, .. }), "{err:?}");
    let err = departments::delete_department(&mut f.conn, f.department, Some(1), None).unwrap_err();
    assert!(matches!(err, DbError::Stale { .. }));
    // Clearing a nullable field.
    let cleared = departments::update_department(
        &mut f.conn,
        f.department,
        None,
        &DepartmentPatch {
            abbr: Patch::Clear,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(cleared.abbr, None);
    assert_eq!(cleared.audit.version, 3);
}

#[test]
fn staff_references_are_checked() {
    let mut f = fixture();
    let other = departments::create_department(
        &mut f.conn,
        &NewDepartment {
            name: "Anaesthesiology".into(),
            abbr: None,
            kind: DepartmentKind::Department,
        },
        None,
    )
    .unwrap();
    // Unit of another department, missing designation: both reported.
    let bad = NewStaff {
        department_id: other.id,
        designation_id: DesignationId(999),
        ..f.ids.new_staff(1)
    };
    let err = st::create_staff(&mut f.conn, &bad, None).unwrap_err();
    let DbError::Invalid(err) = err else {
        panic!("expected invalid, got {err:?}")
    };
    let fields: Vec<_> = err.errors().iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["unit_id", "designation_id"]);

    // Moving department without clearing the unit is refused.
    let s = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    let err = st::update_staff(
        &mut f.conn,
        s.id,
        None,
        &StaffPatch {
            department_id: Patch::Set(other.id),
            ..Default::default()
        },
        None,
    )
    .unwrap_err();
    assert!(err.to_string().contains("unit_id"), "{err}");
    let moved = st::update_staff(
        &mut f.conn,
        s.id,
        None,
        &StaffPatch {
            department_id: Patch::Set(other.id),
            unit_id: Patch::Clear,
            ..Default::default()
        },
        None,
    )
    .unwrap();
    assert_eq!(moved.department_name, "Anaesthesiology");
    assert_eq!(moved.unit_id, None);
}

#[test]
fn supervisor_cycles_are_refused() {
    let mut f = fixture();
    let a = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    let b = st::create_staff(
        &mut f.conn,
        &NewStaff {
            supervisor_id: Some(a.id),
            ..f.ids.new_staff(2)
        },
        None,
    )
    .unwrap();
    let c = st::create_staff(
        &mut f.conn,
        &NewStaff {
            supervisor_id: Some(b.id),
            ..f.ids.new_staff(3)
        },
        None,
    )
    .unwrap();
    let make_a_report_to_c = StaffPatch {
        supervisor_id: Patch::Set(c.id),
        ..Default::default()
    };
    let err = st::update_staff(&mut f.conn, a.id, None, &make_a_report_to_c, None).unwrap_err();
    assert!(err.to_string().contains("cycle"), "{err}");
    let self_supervision = StaffPatch {
        supervisor_id: Patch::Set(a.id),
        ..Default::default()
    };
    assert!(st::update_staff(&mut f.conn, a.id, None, &self_supervision, None).is_err());
    assert_eq!(
        st::get_staff(&mut f.conn, a.id).unwrap().supervisor_id,
        None
    );
}

/// In the default order a page is one statement that finds its first id
/// by subquery: for every filter, offset and `after`, a page must be that
/// slice of the whole filtered list, gaps in the ids included.
#[test]
fn default_order_pages_are_slices_of_the_whole_list() {
    let mut f = fixture();
    let nursing = cadres::create_cadre(
        &mut f.conn,
        &NewCadre {
            name: "Nursing".into(),
        },
        None,
    )
    .unwrap();
    let nurse = designations::create_designation(
        &mut f.conn,
        &NewDesignation {
            cadre_id: nursing.id,
            name: "Nurse".into(),
            abbr: None,
        },
        None,
    )
    .unwrap();
    let casualty = departments::create_department(
        &mut f.conn,
        &NewDepartment {
            name: "Casualty".into(),
            abbr: None,
            kind: DepartmentKind::Department,
        },
        None,
    )
    .unwrap();
    let mut all = Vec::new();
    for n in 1..=12 {
        let mut new = f.ids.new_staff(n);
        if n % 3 == 0 {
            new.designation_id = nurse.id;
        }
        if n % 4 == 0 {
            new.department_id = casualty.id;
            new.unit_id = None;
        }
        all.push(st::create_staff(&mut f.conn, &new, None).unwrap());
    }
    st::delete_staff(&mut f.conn, all.remove(4).id, None, None).unwrap();
    for n in [1, 6] {
        all[n] = st::set_staff_active(
            &mut f.conn,
            all[n].id,
            false,
            chrono::Utc::now().date_naive(),
            None,
        )
        .unwrap();
    }

    type Rule = fn(&Staff) -> bool;
    let filters: [(StaffFilter, Rule); 7] = [
        (StaffFilter::default(), |_| true),
        (
            StaffFilter {
                department_id: Some(casualty.id),
                ..Default::default()
            },
            |s| s.department_name == "Casualty",
        ),
        (
            StaffFilter {
                cadre_id: Some(nursing.id),
                ..Default::default()
            },
            |s| s.cadre_name == "Nursing",
        ),
        (
            StaffFilter {
                active: Some(false),
                ..Default::default()
            },
            |s| !s.active,
        ),
        (
            StaffFilter {
                q: Some("member1".into()),
                active: Some(true),
                ..Default::default()
            },
            |s| s.active && s.full_name.starts_with("Staff Member 1"),
        ),
        (
            StaffFilter {
                q: Some("member".into()),
                cadre_id: Some(nursing.id),
                ..Default::default()
            },
            |s| s.cadre_name == "Nursing",
        ),
        (
            StaffFilter {
                q: Some("2".into()),
                ..Default::default()
            },
            |s| s.full_name.contains('2'),
        ),
    ];
    for (filter, rule) in filters {
        let whole: Vec<StaffId> = all.iter().filter(|s| rule(s)).map(|s| s.id).collect();
        assert!(whole.len() >= 2, "{filter:?} matches too little to page");
        for after in [None, Some(whole[0])] {
            let rest: Vec<StaffId> = whole
                .iter()
                .copied()
                .filter(|id| after.is_none_or(|after| id.0 > after.0))
                .collect();
            for limit in 1..=3 {
                for offset in 0..=rest.len() + 1 {
                    let page = Page::new(Some(limit), Some(offset as i64)).unwrap();
                    let listed = st::list_staff(
                        &mut f.conn,
                        &directory_db::Counts::none(),
                        &filter,
                        None,
                        page,
                        after,
                    )
                    .unwrap();
                    let ids: Vec<StaffId> = listed.items.iter().map(|s| s.id).collect();
                    let end = (offset + limit as usize).min(rest.len());
                    let expected = rest.get(offset..end).unwrap_or_default();
                    assert_eq!(ids, expected, "{filter:?} after {after:?} {page:?}");
                    assert_eq!(listed.total, whole.len() as i64, "{filter:?}");
                }
            }
        }
    }
}

/// A list's total is remembered between pages, and every change, through
/// any connection, makes the next page count again.
#[test]
fn remembered_staff_totals_follow_every_change() {
    let mut f = fixture();
    let counts = directory_db::Counts::default();
    let active = StaffFilter {
        active: Some(true),
        ..Default::default()
    };
    let total = |conn: &mut DbConnection, filter: &StaffFilter| {
        st::list_staff(conn, &counts, filter, None, Page::default(), None)
            .unwrap()
            .total
    };
    let first = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None).unwrap();
    assert_eq!(total(&mut f.conn, &StaffFilter::default()), 1);
    assert_eq!(total(&mut f.conn, &active), 1);
    let mut other = f._db.connect().unwrap();
    st::create_staff(&mut other, &f.ids.new_staff(2), None).unwrap();
    assert_eq!(total(&mut f.conn, &StaffFilter::default()), 2);
    assert_eq!(total(&mut f.conn, &active), 2);
    st::set_staff_active(
        &mut other,
        first.id,
        false,
        chrono::Utc::now().date_naive(),
        None,
    )
    .unwrap();
    assert_eq!(total(&mut f.conn, &StaffFilter::default()), 2);
    assert_eq!(total(&mut f.conn, &active), 1);
}

/// The names a page or a staff member embeds are remembered as a page's
/// total is: a rename through another connection shows on the next read,
/// and a row naming a unit added behind the server's back still gets its
/// name.
#[test]
fn remembered_names_follow_renames_and_rows_newer_than_them() {
    use diesel::RunQueryDsl;
    let mut f = fixture();
    let counts = directory_db::Counts::default();
    let names = |conn: &mut DbConnection, sort: Option<directory_db::Sort<StaffSort>>| {
        st::list_staff(
            conn,
            &counts,
            &StaffFilter::default(),
            sort,
            Page::default(),
            None,
        )
        .unwrap()
        .items
        .into_iter()
        .map(|s| (s.department_name, s.unit_name))
        .collect::<Vec<_>>()
    };
    let by_name = || Some("full_name".parse().unwrap());
    let id = st::create_staff(&mut f.conn, &f.ids.new_staff(1), None)
        .unwrap()
        .id;
    let one = |conn: &mut DbConnection| {
        let s = st::read_staff(conn, &counts, id).unwrap();
        vec![(s.department_name, s.unit_name)]
    };
    let before = names(&mut f.conn, None);
    assert_eq!(before, [("Dr RP Centre".into(), Some("RPC Unit 1".into()))]);
    assert_eq!(names(&mut f.conn, by_name()), before);
    assert_eq!(one(&mut f.conn), before);

    let mut other = f._db.connect().unwrap();
    let patch = DepartmentPatch {
        name: Patch::Set("Renamed Centre".into()),
        ..Default::default()
    };
    departments::update_department(&mut other, f.department, None, &patch, None).unwrap();
    let renamed = [("Renamed Centre".into(), Some("RPC Unit 1".into()))];
    assert_eq!(names(&mut f.conn, None), renamed);
    assert_eq!(names(&mut f.conn, by_name()), renamed);
    assert_eq!(one(&mut f.conn), renamed);

    // SQL by hand moves no version: the names held lack this unit.
    diesel::sql_query(
        "INSERT INTO units (department_id, name, name_key, created_at, updated_at, version) \
         SELECT department_id, 'Unit Added By Hand', 'unit added by hand', created_at, updated_at, 1 \
         FROM units",
    )
    .execute(&mut other)
    .unwrap();
    diesel::sql_query("UPDATE staff SET unit_id = (SELECT max(id) FROM units)")
        .execute(&mut other)
        .unwrap();
    let moved = [("Renamed Centre".into(), Some("Unit Added By Hand".into()))];
    assert_eq!(names(&mut f.conn, None), moved);
    assert_eq!(names(&mut f.conn, by_name()), moved);
    assert_eq!(one(&mut f.conn), moved);
    assert!(matches!(
        st::read_staff(&mut f.conn, &counts, StaffId(id.0 + 1)),
        Err(DbError::NotFound { .. })
    ));
}

#[test]
fn staff_lists_filter_search_sort_and_page() {
    let mut f = fixture();
    for n in 1..=12 {
        st::create_staff(&mut f.conn, &f.ids.new_staff(n), None).unwrap();
    }
    let page = Page::new(Some(5), Some(10)).unwrap();
    let sort = Some("-employee_id".parse().unwrap());
    let listed = st::list_staff(
        &mut f.conn,
        &directory_db::Counts::none(),
        &StaffFilter::default(),
        sort,
        page,
        None,
    )
    .unwrap();
    assert_eq!(listed.total, 12);
    let ids: Vec<_> = listed
        .items
        .iter()
        .map(|s| s.employee_id.as_str())
        .collect();
    assert_eq!(ids, ["E0002", "E0001"]);
    assert_eq!(listed.items[0].cadre_name, "Faculty");

    let search = StaffFilter {
        q: Some("MEMBER1".into()),
        ..Default::default()
    };
    let found = st::list_staff(
        &mut f.conn,
        &directory_db::Counts::none(),
        &search,
        None::<directory_db::Sort<StaffSort>>,
        Page::default(),
        None,
    )
    .unwrap();
    // member1, member10, member11, member12
    assert_eq!(found.total, 4);
    let by_employee_id = StaffFilter {
        q: Some("e0007".into()),
        ..Default::default()
    };
    assert_eq!(
        st::list_staff(
            &mut f.conn,
            &directory_db::Counts::none(),
            &by_employee_id,
            None,
            Page::default(),
            None
        )
        .unwrap()
        .total,
        1
    );
    let wildcard = StaffFilter {
        q: Some("%".into()),
        cadre_id: Some(CadreId(999)),
        ..Default::default()
    };
    assert_eq!(
        st::list_staff(
            &mut f.conn,
            &directory_db::Counts::none(),
            &wildcard,
            None,
            Page::default(),
            None
        )
        .unwrap()
        .total,
        0
    );

    let departments = departments::list_departments(
        &mut f.conn,
        &DepartmentFilter::default(),
        None,
        Page::default(),
    )
    .unwrap();
    assert_eq!(departments.total, 1);
}

#[test]
fn timestamps_round_trip_exactly() {
    let mut f = fixture();
    let created = departments::get_department(&mut f.conn, f.department).unwrap();
    let again = departments::get_department(&mut f.conn, f.department).unwrap();
    assert_eq!(created.audit.created_at, again.audit.created_at);
    let listed = departments::list_departments(
        &mut f.conn,
        &DepartmentFilter::default(),
        None,
        Page::default(),
    )
    .unwrap();
    assert_eq!(listed.items[0], created);
}

#[test]
fn credentials_are_checked_without_revealing_the_hash() {
    let mut f = fixture();
    accounts::create_account(
        &mut f.conn,
        &NewAccount {
            username: "Asha.Verma".into(),
            password: "correct horse battery".into(),
            staff_id: None,
            roles: vec![],
        },
        None,
    )
    .unwrap();
    assert!(
        sessions::verify_credentials(&mut f.conn, "asha.verma", "correct horse battery")
            .unwrap()
            .is_some()
    );
    assert!(
        sessions::verify_credentials(&mut f.conn, "asha.verma", "wrong")
            .unwrap()
            .is_none()
    );
    assert!(
        sessions::verify_credentials(&mut f.conn, "nobody", "correct horse battery")
            .unwrap()
            .is_none()
    );
    // The login's first step holds the hash; printing it shows none.
    let candidate = accounts::LoginCandidate::find(&mut f.conn, "asha.verma").unwrap();
    let shown = format!("{candidate:?}");
    assert!(
        shown.contains("AccountId") && !shown.contains("argon2"),
        "{shown}"
    );
    let err = accounts::create_account(
        &mut f.conn,
        &NewAccount {
            username: "ASHA.VERMA".into(),
            password: "another passphrase".into(),
            staff_id: None,
            roles: vec![],
        },
        None,
    )
    .unwrap_err();
    assert_eq!(conflict_field(err).as_deref(), Some("username"));
}
