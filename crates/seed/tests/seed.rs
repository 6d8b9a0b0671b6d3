//! Seeding is complete, idempotent and all-or-nothing, on whichever backend
//! DIRECTORY_TEST_DATABASE_URL names (SQLite by default).

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::testing::TestDatabase;
use directory_db::{
    DbConnection, Page, accounts, buildings, cadres, departments, designations, floors,
    operating_theatres, roles, sessions, staff, units,
};
use directory_seed::{AdminPassword, SeedData, SeedError, demo_staff, seed};

struct Counts {
    departments: i64,
    units: i64,
    cadres: i64,
    designations: i64,
    roles: i64,
    accounts: i64,
    buildings: i64,
    floors: i64,
    theatres: i64,
}

fn counts(conn: &mut DbConnection) -> Counts {
    let page = Page::default();
    Counts {
        departments: departments::list_departments(conn, &Default::default(), None, page)
            .unwrap()
            .total,
        units: units::list_units(conn, &Default::default(), None, page)
            .unwrap()
            .total,
        cadres: cadres::list_cadres(conn, None, None, page).unwrap().total,
        designations: designations::list_designations(conn, &Default::default(), None, page)
            .unwrap()
            .total,
        roles: roles::list_roles(conn, None, None, page).unwrap().total,
        accounts: accounts::list_accounts(conn, &Default::default(), None, page)
            .unwrap()
            .total,
        buildings: buildings::list_buildings(conn, None, None, page)
            .unwrap()
            .total,
        floors: floors::list_floors(conn, &Default::default(), None, page)
            .unwrap()
            .total,
        theatres: operating_theatres::list_theatres(conn, &Default::default(), None, page)
            .unwrap()
            .total,
    }
}

fn password() -> AdminPassword {
    AdminPassword::Given("a test-only passphrase".into())
}

#[test]
fn the_reference_data_is_seeded_once() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let data = SeedData::reference().unwrap();

    let first = seed(&mut conn, &data, &password()).unwrap();
    let c = counts(&mut conn);
    assert_eq!(
        (
            c.departments,
            c.units,
            c.cadres,
            c.designations,
            c.roles,
            c.accounts
        ),
        (2, 7, 4, 11, 6, 1)
    );
    assert_eq!((c.buildings, c.floors, c.theatres), (1, 3, 5));
    assert_eq!(first.tally("units").unwrap().added, 7);
    assert!(first.generated_admin_password.is_none());

    let second = seed(&mut conn, &data, &AdminPassword::Required).unwrap();
    assert_eq!(second.added(), 0);
    assert_eq!(second.tally("designations").unwrap().existing, 11);
    assert!(second.to_string().contains("Nothing added"));
    let c = counts(&mut conn);
    assert_eq!(
        (c.departments, c.units, c.designations, c.accounts),
        (2, 7, 11, 1)
    );

    // The administrator can log in and has every permission.
    let admin = sessions::verify_credentials(&mut conn, "admin", "a test-only passphrase")
        .unwrap()
        .expect("admin logs in");
    let permissions = accounts::permissions_of(&mut conn, admin.id).unwrap();
    assert_eq!(permissions.len(), 4);
    // The functional roles only read.
    let consultant = roles::find_role_by_name(&mut conn, "consultant")
        .unwrap()
        .unwrap();
    assert_eq!(
        consultant.permissions,
        [directory_domain::Permission::DirectoryRead]
    );
}

#[test]
fn a_failing_seed_leaves_nothing_behind() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let mut data = SeedData::reference().unwrap();
    data.admin.as_mut().unwrap().roles = vec!["No Such Role".into()];
    let err = seed(&mut conn, &data, &password()).unwrap_err();
    assert!(err.to_string().contains("No Such Role"), "{err}");
    let c = counts(&mut conn);
    assert_eq!((c.departments, c.units, c.roles, c.accounts), (0, 0, 0, 0));
}

#[test]
fn the_admin_needs_a_password_unless_one_may_be_generated() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let data = SeedData::reference().unwrap();
    let err = seed(&mut conn, &data, &AdminPassword::Required).unwrap_err();
    assert!(matches!(err, SeedError::NoAdminPassword));
    assert!(err.to_string().contains("DIRECTORY_ADMIN_PASSWORD"));
    assert_eq!(counts(&mut conn).departments, 0);

    let report = seed(&mut conn, &data, &AdminPassword::Generate).unwrap();
    let generated = report
        .generated_admin_password
        .clone()
        .expect("a generated password");
    assert!(generated.len() >= 20);
    assert!(
        sessions::verify_credentials(&mut conn, "admin", &generated)
            .unwrap()
            .is_some()
    );
    // The report's text never shows it; the caller prints it once.
    assert!(!report.to_string().contains(&generated));
}

#[test]
fn seed_files_are_checked() {
    let err = SeedData::parse(
        "[[departments]]\nname = \"X\"\nkind = \"clinic\"\n",
        "test.toml",
    )
    .unwrap_err();
    assert!(err.to_string().contains("test.toml"), "{err}");
    let data = SeedData::parse("[[cadres]]\nname = \"   \"\n", "blank.toml").unwrap();
    let db = TestDatabase::migrated().unwrap();
    let err = seed(&mut db.connect().unwrap(), &data, &AdminPassword::Required).unwrap_err();
    assert!(err.to_string().contains("must not be empty"), "{err}");
}

#[test]
fn demo_staff_are_added_in_bulk_up_to_the_total_asked_for() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    assert!(
        demo_staff(&mut conn, 10, false).is_err(),
        "needs reference data"
    );
    seed(&mut conn, &SeedData::reference().unwrap(), &password()).unwrap();
    assert_eq!(demo_staff(&mut conn, 1200, false).unwrap(), 1200);
    assert_eq!(demo_staff(&mut conn, 1205, false).unwrap(), 5);
    // The same command again finds the load complete.
    assert_eq!(demo_staff(&mut conn, 1205, false).unwrap(), 0);
    let all = staff::list_staff(
        &mut conn,
        &directory_db::Counts::none(),
        &Default::default(),
        None,
        Page::new(Some(200), None).unwrap(),
        None,
    )
    .unwrap();
    assert_eq!(all.total, 1205);
    let first = &all.items[0];
    // Every row has its creation in the trail, though the load wrote the
    // events chunk by chunk.
    let history = directory_db::audit::history(
        &mut conn,
        directory_domain::AuditEntity::Staff,
        first.id.0,
        "staff member",
    )
    .unwrap();
    assert_eq!(history.len(), 1);

    // A load that fails part-way (the row it would number 2000 is taken)
    // leaves none of its rows.
    let taken = directory_domain::NewStaff {
        full_name: "Taken Number".into(),
        employee_id: "DEMO-0002000".into(),
        email: "taken.2000@demo.example.org".into(),
        mobile: "+919800000000".into(),
        email2: None,
        email3: None,
        mobile2: None,
        mobile3: None,
        office_address: None,
        department_id: first.department_id,
        unit_id: first.unit_id,
        designation_id: first.designation_id,
        supervisor_id: None,
        end_date: None,
    };
    staff::create_staff(&mut conn, &taken, None).unwrap();
    assert!(demo_staff(&mut conn, 2500, false).is_err());
    let after = staff::list_staff(
        &mut conn,
        &directory_db::Counts::none(),
        &Default::default(),
        None,
        Page::default(),
        None,
    );
    assert_eq!(after.unwrap().total, 1206);
    // Units always belong to the staff member's department.
    for s in &all.items {
        if let Some(unit) = s.unit_id {
            assert_eq!(
                units::get_unit(&mut conn, unit).unwrap().department_id,
                s.department_id
            );
        }
    }
}
