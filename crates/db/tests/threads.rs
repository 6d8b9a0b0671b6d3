//! The database threads: work runs in arrival order, one job per pooled
//! connection at a time, and a job that panics costs neither its thread
//! nor anyone else's answer.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use diesel::connection::SimpleConnection;
use directory_db::testing::TestDatabase;
use directory_db::threads::DbThreads;
use directory_db::{PoolOptions, build_pool};
use std::sync::mpsc;
use std::time::Duration;

fn threads(db: &TestDatabase, connections: u32) -> DbThreads {
    let options = PoolOptions {
        max_size: connections,
        ..PoolOptions::default()
    };
    DbThreads::start(&build_pool(&db.url, &options).unwrap()).unwrap()
}

#[test]
fn work_runs_in_the_order_it_arrived() {
    let db = TestDatabase::migrated().unwrap();
    let threads = threads(&db, 1);
    let (done, finished) = mpsc::channel();
    // The first job holds the only thread while the rest queue behind it.
    let (release, released) = mpsc::channel::<()>();
    threads.submit(move |conn| {
        conn.unwrap();
        released.recv().unwrap();
    });
    for n in 0..50 {
        let done = done.clone();
        threads.submit(move |conn| {
            conn.unwrap().batch_execute("SELECT 1").unwrap();
            done.send(n).unwrap();
        });
    }
    release.send(()).unwrap();
    let order: Vec<i32> = (0..50)
        .map(|_| finished.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    assert_eq!(order, (0..50).collect::<Vec<_>>());
}

#[test]
fn a_panicking_job_leaves_the_threads_working() {
    let db = TestDatabase::migrated().unwrap();
    let threads = threads(&db, 2);
    for _ in 0..4 {
        let (answer, answered) = mpsc::channel::<()>();
        threads.submit(move |_conn| {
            let _keep = answer;
            panic!("a job that fails");
        });
        // Its reply channel closes rather than hanging its caller.
        assert!(answered.recv_timeout(Duration::from_secs(10)).is_err());
    }
    let (answer, answered) = mpsc::channel();
    threads.submit(move |conn| {
        answer
            .send(conn.unwrap().batch_execute("SELECT 1").is_ok())
            .unwrap();
    });
    assert!(answered.recv_timeout(Duration::from_secs(10)).unwrap());
}
