//! The database itself refuses a period that ends before it starts or
//! overlaps another of its pair, on whichever backend the tests run on:
//! the code checks first, so these guard against anything that writes
//! around it.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::staff as st;
use directory_db::testing::{Places, TestDatabase, execute_sql};

#[test]
fn the_database_refuses_overlapping_and_backwards_periods() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let places = Places::create(&mut conn).unwrap();
    let staff = st::create_staff(&mut conn, &places.new_staff(1), None).unwrap();
    let (department, staff) = (places.department.0, staff.id.0);
    let mut insert = |start: &str, end: &str| {
        execute_sql(
            &mut conn,
            &format!(
                "INSERT INTO department_heads (department_id, staff_id, start_date, end_date, created_at, updated_at) \
                 VALUES ({department}, {staff}, '{start}', {end}, '2026-01-01 00:00:00', '2026-01-01 00:00:00')"
            ),
        )
    };
    insert("2026-01-01", "'2026-01-31'").unwrap();
    assert!(insert("2026-01-31", "NULL").is_err(), "shares the 31st");
    assert!(insert("2025-12-01", "NULL").is_err(), "open, so overlaps");
    insert("2026-02-01", "NULL").unwrap();
    assert!(insert("2026-03-10", "'2026-03-09'").is_err(), "ends first");
    let mut conn = db.connect().unwrap();
    let stretched = execute_sql(
        &mut conn,
        &format!(
            "UPDATE department_heads SET end_date = '2026-02-05' \
             WHERE staff_id = {staff} AND start_date = '2026-01-01'"
        ),
    );
    assert!(stretched.is_err(), "would overlap February's");
}
