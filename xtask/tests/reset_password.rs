//! `cargo xtask accounts reset-password`: the way back in when nobody can
//! log in to manage accounts, driven through the binary as an operator
//! would.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::testing::{Places, TestDatabase};
use directory_db::{DbConnection, accounts, sessions, staff};
use directory_domain::{NewAccount, Permission};
use directory_seed::{AdminPassword, SeedData};
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn xtask(db: &TestDatabase, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("DIRECTORY_DATABASE__URL", &db.url)
        .env("DIRECTORY_PROFILE", "test")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn logs_in(conn: &mut DbConnection, username: &str, password: &str) -> bool {
    let today = chrono::Utc::now().date_naive();
    directory_db::sessions::check_login(conn, username, password, today)
        .unwrap()
        .is_some()
}

#[test]
fn a_hospital_locked_out_of_account_management_gets_back_in() {
    let db = TestDatabase::migrated().unwrap();
    let conn = &mut db.connect().unwrap();
    // A staff member first: the seed leaves what is already there alone.
    let places = Places::create(conn).unwrap();
    let member = staff::create_staff(conn, &places.new_staff(1), None)
        .unwrap()
        .id;
    let first = AdminPassword::Given("first admin passphrase".into());
    directory_seed::seed(conn, &SeedData::reference().unwrap(), &first).unwrap();
    let admin_role = directory_db::roles::find_role_by_name(conn, "Administrator")
        .unwrap()
        .unwrap()
        .id;
    let admin = accounts::find_account_by_username(conn, "admin")
        .unwrap()
        .unwrap()
        .id;
    // The hospital's head of IT takes over; the seeded admin is retired...
    let new = NewAccount {
        username: "head.of.it".into(),
        password: "head of it passphrase".into(),
        staff_id: Some(member),
        roles: vec![admin_role],
    };
    accounts::create_account(conn, &new, None).unwrap();
    accounts::remove_account_role(conn, admin, admin_role, None).unwrap();
    accounts::set_account_active(conn, admin, false, None).unwrap();
    // ...and the end date they were given passes: nobody can log in.
    directory_db::testing::execute_sql(
        conn,
        &format!("UPDATE staff SET end_date = '2020-01-31' WHERE id = {member}"),
    )
    .unwrap();
    assert!(!logs_in(conn, "admin", "first admin passphrase"));
    assert!(!logs_in(conn, "head.of.it", "head of it passphrase"));

    // Their account is no way back: login would still refuse it.
    let reset = [
        "accounts",
        "reset-password",
        "head.of.it",
        "--password-stdin",
    ];
    let out = xtask(&db, &reset, "a brand new passphrase\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("end date (2020-01-31)"),
        "{}",
        text(&out.stderr)
    );
    let unchanged =
        directory_db::sessions::verify_credentials(conn, "head.of.it", "head of it passphrase");
    assert!(unchanged.unwrap().is_some());
    // Nor an unknown account or role, nor a password against the rules
    // (named by its rule, never echoed); each changes nothing.
    let out = xtask(&db, &["accounts", "reset-password", "nobody"], "");
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no account named \"nobody\""));
    let out = xtask(
        &db,
        &["accounts", "reset-password", "admin", "--role", "Boss"],
        "",
    );
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("no role named \"Boss\""));
    let reset = ["accounts", "reset-password", "admin", "--password-stdin"];
    let out = xtask(&db, &reset, "tiny7\n");
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("at least"),
        "{}",
        text(&out.stderr)
    );
    assert!(!text(&out.stderr).contains("tiny7") && !text(&out.stdout).contains("tiny7"));
    assert!(!accounts::get_account(conn, admin).unwrap().active);
    assert!(accounts::get_account(conn, admin).unwrap().roles.is_empty());

    // The seeded admin, active again with its role back, and a password
    // shown once on standard error.
    let reset = [
        "accounts",
        "reset-password",
        "admin",
        "--role",
        "Administrator",
    ];
    let out = xtask(&db, &reset, "");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("active again"));
    let stderr = text(&out.stderr);
    let shown = stderr
        .lines()
        .find(|line| line.starts_with("      "))
        .unwrap()
        .trim()
        .to_owned();
    assert!(!text(&out.stdout).contains(&shown));
    assert!(logs_in(conn, "admin", &shown));
    assert!(!logs_in(conn, "admin", "first admin passphrase"));
    assert!(
        accounts::permissions_of(conn, admin)
            .unwrap()
            .contains(&Permission::AccountsManage)
    );

    // Once more from standard input: that password, and its sessions end.
    let session = sessions::create_session(conn, admin, chrono::Duration::hours(1)).unwrap();
    let today = chrono::Utc::now().date_naive();
    assert!(
        sessions::authenticate(conn, &session.token, today)
            .unwrap()
            .is_some()
    );
    let reset = ["accounts", "reset-password", "admin", "--password-stdin"];
    let out = xtask(&db, &reset, "chosen by the operator\n");
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(!text(&out.stderr).contains("chosen by the operator"));
    assert!(logs_in(conn, "admin", "chosen by the operator"));
    assert!(!logs_in(conn, "admin", &shown));
    assert!(
        sessions::authenticate(conn, &session.token, today)
            .unwrap()
            .is_none()
    );
}
