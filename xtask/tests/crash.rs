//! A seed killed with SIGKILL half way leaves the database untouched or
//! complete, never half-seeded: the demo load is one transaction.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::testing::TestDatabase;
use directory_db::{Page, staff};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

#[test]
fn a_killed_demo_load_leaves_all_or_nothing() {
    let db = TestDatabase::empty().unwrap();
    directory_db::migrate(&mut db.connect().unwrap()).unwrap();
    let count = 300_000;
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["seed", "--demo-staff", &count.to_string()])
        .env("DIRECTORY_DATABASE__URL", &db.url)
        .env("DIRECTORY_ADMIN_PASSWORD", "crash-test-passphrase")
        .env("DIRECTORY_PROFILE", "test")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Let the reference seed commit and the demo load get going.
    let started = Instant::now();
    let mut conn = db.connect().unwrap();
    loop {
        let roles = directory_db::roles::list_roles(&mut conn, None, None, Page::default());
        if roles.is_ok_and(|r| r.total > 0) {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the seed never committed"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(700));
    let still_running = child.try_wait().unwrap().is_none();
    assert!(
        still_running,
        "the demo load finished before the kill; the test proves nothing"
    );
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();

    let total = staff::list_staff(
        &mut conn,
        &directory_db::Counts::none(),
        &Default::default(),
        None,
        Page::default(),
        None,
    )
    .unwrap()
    .total;
    assert!(
        total == 0 || total == count as i64,
        "half-seeded: {total} staff"
    );
}
