//! The migrated schema of whichever backend the tests run on
//! (DIRECTORY_TEST_DATABASE_URL) must match schema.rs, the domain's length
//! limits and the design's delete rules; migrations must go up, down and up.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::introspect::{self, ColumnType, Table};
use directory_db::migrations;
use directory_db::testing::TestDatabase;

fn sorted_columns(table: &Table) -> Vec<(String, ColumnType, bool)> {
    let mut columns: Vec<_> = table
        .columns
        .iter()
        .map(|c| (c.name.clone(), c.column_type, c.nullable))
        .collect();
    columns.sort();
    columns
}

#[test]
fn migrated_schema_matches_schema_rs() {
    let db = TestDatabase::migrated().unwrap();
    let actual = introspect::tables(&mut db.connect().unwrap()).unwrap();
    let declared = introspect::declared_schema(include_str!("../src/schema.rs"));
    let names = |tables: &[Table]| tables.iter().map(|t| t.name.clone()).collect::<Vec<_>>();
    assert_eq!(
        names(&actual),
        names(&declared),
        "tables differ on {:?}",
        db.backend()
    );
    for (actual, declared) in actual.iter().zip(&declared) {
        assert_eq!(
            sorted_columns(actual),
            sorted_columns(declared),
            "table {} differs between schema.rs and the {:?} migrations",
            actual.name,
            db.backend()
        );
    }
}

#[test]
fn text_columns_have_the_domain_lengths() {
    let db = TestDatabase::migrated().unwrap();
    for table in introspect::tables(&mut db.connect().unwrap()).unwrap() {
        for column in table
            .columns
            .iter()
            .filter(|c| c.column_type == ColumnType::Text)
        {
            if column.name.ends_with("_json") {
                // A record as JSON: unbounded (MySQL's MEDIUMTEXT, 16 MiB).
                assert!(
                    column.max_length.is_none_or(|n| n >= (1 << 24) - 1),
                    "{}.{} is too short for a record",
                    table.name,
                    column.name
                );
                continue;
            }
            let expected = directory_domain::limits::text_max(&column.name);
            assert!(
                expected.is_some(),
                "{}.{} has no limit in directory_domain::limits",
                table.name,
                column.name
            );
            assert_eq!(
                column.max_length, expected,
                "{}.{} length differs from the domain limit",
                table.name, column.name
            );
        }
    }
}

#[test]
fn foreign_keys_follow_the_delete_rules() {
    let expected = [
        ("account_roles", "account_id", "accounts", "CASCADE"),
        ("account_roles", "role_id", "roles", "RESTRICT"),
        ("accounts", "staff_id", "staff", "RESTRICT"),
        (
            "department_heads",
            "department_id",
            "departments",
            "CASCADE",
        ),
        ("department_heads", "staff_id", "staff", "CASCADE"),
        ("designations", "cadre_id", "cadres", "RESTRICT"),
        ("floors", "building_id", "buildings", "RESTRICT"),
        ("operating_theatres", "floor_id", "floors", "RESTRICT"),
        ("role_permissions", "role_id", "roles", "CASCADE"),
        ("sessions", "account_id", "accounts", "CASCADE"),
        ("staff", "department_id", "departments", "RESTRICT"),
        ("staff", "designation_id", "designations", "RESTRICT"),
        ("staff", "supervisor_id", "staff", "SET NULL"),
        ("staff", "unit_id", "units", "SET NULL"),
        ("staff_works_in", "department_id", "departments", "CASCADE"),
        ("staff_works_in", "staff_id", "staff", "CASCADE"),
        ("unit_heads", "staff_id", "staff", "CASCADE"),
        ("unit_heads", "unit_id", "units", "CASCADE"),
        ("units", "department_id", "departments", "RESTRICT"),
    ];
    let db = TestDatabase::migrated().unwrap();
    let mut actual = Vec::new();
    for table in introspect::tables(&mut db.connect().unwrap()).unwrap() {
        for key in table.foreign_keys {
            actual.push((
                table.name.clone(),
                key.column,
                key.references,
                key.on_delete,
            ));
        }
    }
    actual.sort();
    let expected: Vec<_> = expected
        .iter()
        .map(|(t, c, r, d)| (t.to_string(), c.to_string(), r.to_string(), d.to_string()))
        .collect();
    assert_eq!(actual, expected, "on {:?}", db.backend());
}

#[test]
fn migrations_go_up_down_and_up_again() {
    let db = TestDatabase::empty().unwrap();
    let mut conn = db.connect().unwrap();
    let applied = migrations::run_pending(&mut conn).unwrap();
    assert!(applied.len() >= 5);
    assert_eq!(migrations::pending_count(&mut conn).unwrap(), 0);
    let first = introspect::tables(&mut conn).unwrap();

    let reverted = migrations::revert_all(&mut conn).unwrap();
    assert_eq!(reverted.len(), applied.len());
    let left: Vec<_> = introspect::tables(&mut conn)
        .unwrap()
        .into_iter()
        .map(|t| t.name)
        .collect();
    assert!(left.is_empty(), "down.sql left tables behind: {left:?}");
    assert_eq!(migrations::pending_count(&mut conn).unwrap(), applied.len());

    migrations::run_pending(&mut conn).unwrap();
    assert_eq!(introspect::tables(&mut conn).unwrap(), first);
    let status = migrations::status(&mut conn).unwrap();
    assert!(status.iter().all(|m| m.applied));
    assert!(status[0].name.ends_with("_organisation"), "{:?}", status[0]);
}

/// The diesel CLI finds the schema and a migration set where diesel.toml
/// says, so `diesel migration run --locked-schema` checks the real files.
#[test]
fn diesel_toml_points_at_the_schema_and_the_migrations() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let config = std::fs::read_to_string(format!("{root}/diesel.toml")).unwrap();
    let value_of = |key: &str| {
        config
            .lines()
            .find_map(|line| line.strip_prefix(&format!("{key} = ")))
            .map(|value| value.trim_matches('"').to_owned())
            .unwrap_or_else(|| panic!("diesel.toml has no {key}"))
    };
    let schema = value_of("file");
    assert_eq!(schema, "crates/db/src/schema.rs");
    assert!(std::path::Path::new(&format!("{root}/{schema}")).is_file());
    let migrations = value_of("dir");
    let dir = std::path::Path::new(root).join(&migrations);
    let sets = std::fs::read_dir(&dir)
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().join("up.sql").is_file())
        .count();
    assert!(sets >= 10, "{migrations} holds {sets} migrations");
}
