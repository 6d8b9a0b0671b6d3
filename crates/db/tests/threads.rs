//! The database threads: work runs in arrival order, one job per pooled
//! connection at a time, work given up before it starts never runs, and a
//! job that panics costs neither its thread nor anyone else's answer.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use diesel::connection::SimpleConnection;
use directory_db::testing::TestDatabase;
use directory_db::threads::{DbThreads, Ticket};
use directory_db::{PoolOptions, build_pool};
use std::sync::mpsc;
use std::time::Duration;

fn threads(db: &TestDatabase, connections: u32) -> DbThreads {
    let options = PoolOptions {
        max_size: connections,
        ..PoolOptions::default()
    };
    DbThreads::start(&build_pool(&db.url, &options).unwrap(), None).unwrap()
}

#[test]
fn work_runs_in_the_order_it_arrived() {
    let db = TestDatabase::migrated().unwrap();
    let threads = threads(&db, 1);
    let (done, finished) = mpsc::channel();
    // The first job holds the only thread while the rest queue behind it.
    let (release, released) = mpsc::channel::<()>();
    threads.submit(Ticket::default(), move |conn| {
        conn.unwrap();
        released.recv().unwrap();
    });
    for n in 0..50 {
        let done = done.clone();
        threads.submit(Ticket::default(), move |conn| {
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
        threads.submit(Ticket::default(), move |_conn| {
            let _keep = answer;
            panic!("a job that fails");
        });
        // Its reply channel closes rather than hanging its caller.
        assert!(answered.recv_timeout(Duration::from_secs(10)).is_err());
    }
    let (answer, answered) = mpsc::channel();
    threads.submit(Ticket::default(), move |conn| {
        answer
            .send(conn.unwrap().batch_execute("SELECT 1").is_ok())
            .unwrap();
    });
    assert!(answered.recv_timeout(Duration::from_secs(10)).unwrap());
}

#[test]
fn work_given_up_before_it_starts_never_runs_and_started_work_runs_to_its_end() {
    let db = TestDatabase::migrated().unwrap();
    let threads = threads(&db, 1);
    let (release, released) = mpsc::channel::<()>();
    let holding = Ticket::default();
    let (started, has_started) = mpsc::channel();
    threads.submit(holding.clone(), move |conn| {
        conn.unwrap();
        started.send(()).unwrap();
        released.recv().unwrap();
    });
    has_started.recv_timeout(Duration::from_secs(10)).unwrap();
    // Started: too late to give up on it.
    assert!(!holding.abandon());
    let (ran, runs) = mpsc::channel();
    let tickets: Vec<Ticket> = (0..4).map(|_| Ticket::default()).collect();
    for (n, ticket) in tickets.iter().enumerate() {
        let ran = ran.clone();
        threads.submit(ticket.clone(), move |_conn| ran.send(n).unwrap());
    }
    // The callers of the first two stop waiting.
    assert!(tickets[0].abandon());
    assert!(tickets[1].abandon());
    release.send(()).unwrap();
    let order: Vec<usize> = (0..2)
        .map(|_| runs.recv_timeout(Duration::from_secs(10)).unwrap())
        .collect();
    assert_eq!(order, [2, 3]);
    drop(ran);
    assert!(runs.recv_timeout(Duration::from_millis(200)).is_err());
}
