//! The SQLite writer thread: writes that wait together commit together, and
//! one write's failure never undoes or leaks into another's. Only SQLite has
//! a writer thread, so these run on a SQLite file whichever backend
//! `DIRECTORY_TEST_DATABASE_URL` names, and are not built without SQLite.

#![cfg(feature = "sqlite")]
#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use diesel::prelude::*;
use directory_db::schema::departments;
use directory_db::staff::{self as st, StaffFilter};
use directory_db::testing::{Places, TestDatabase};
use directory_db::threads::Ticket;
use directory_db::writer::Writer;
use directory_db::{DbConnection, DbError, DbResult, Page, write_transaction};
use directory_domain::{DepartmentKind, NewDepartment, NewStaff, Patch, StaffId, StaffPatch};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::Duration;

fn department(name: &str) -> NewDepartment {
    NewDepartment {
        name: name.into(),
        abbr: None,
        kind: DepartmentKind::Department,
    }
}

fn add(conn: &mut DbConnection, name: &str) -> DbResult<()> {
    directory_db::departments::create_department(conn, &department(name), None).map(|_| ())
}

/// A migrated SQLite database and its writer.
fn writer() -> (TestDatabase, Writer) {
    let db = TestDatabase::sqlite().unwrap();
    directory_db::migrate(&mut db.connect().unwrap()).unwrap();
    let writer = Writer::for_url(&db.url)
        .unwrap()
        .expect("a SQLite file has a writer");
    (db, writer)
}

/// Holds the writer thread in a write of its own ("gate") until the writes
/// `queue` submits are all waiting, so they run as one group.
fn run_as_one_group(writer: &Writer, queue: impl FnOnce()) {
    let (running, is_running) = mpsc::channel();
    let (open, opened) = mpsc::channel::<()>();
    let (done, is_done) = mpsc::channel();
    let opened = std::sync::Mutex::new(opened);
    writer.submit(
        Ticket::default(),
        move |c| {
            running.send(()).ok();
            opened.lock().unwrap().recv().ok();
            add(c, "gate")
        },
        move |result| done.send(result).unwrap(),
    );
    is_running.recv().unwrap();
    queue();
    open.send(()).unwrap();
    is_done.recv().unwrap().unwrap();
}

struct Submitted {
    runs: Arc<AtomicUsize>,
    result: mpsc::Receiver<DbResult<()>>,
}

fn submit(
    writer: &Writer,
    work: impl Fn(&mut DbConnection) -> DbResult<()> + Send + 'static,
) -> Submitted {
    let runs = Arc::new(AtomicUsize::new(0));
    let (send, result) = mpsc::channel();
    let counted = runs.clone();
    writer.submit(
        Ticket::default(),
        move |c| {
            counted.fetch_add(1, Ordering::SeqCst);
            work(c)
        },
        move |r| send.send(r).unwrap(),
    );
    Submitted { runs, result }
}

fn names(db: &TestDatabase) -> Vec<String> {
    let mut names: Vec<String> = departments::table
        .select(departments::name)
        .load(&mut db.connect().unwrap())
        .unwrap();
    names.sort();
    names
}

#[test]
fn writes_waiting_together_commit_together_once_each() {
    let (db, writer) = writer();
    let mut queued = Vec::new();
    run_as_one_group(&writer, || {
        for name in ["a", "b", "c"] {
            queued.push(submit(&writer, move |c| add(c, name)));
        }
    });
    for job in &queued {
        job.result.recv().unwrap().unwrap();
        assert_eq!(job.runs.load(Ordering::SeqCst), 1);
    }
    assert_eq!(names(&db), ["a", "b", "c", "gate"]);
}

#[test]
fn a_write_given_up_before_the_writer_takes_it_never_runs() {
    let (db, writer) = writer();
    let abandoned = Ticket::default();
    let (answer, answered) = mpsc::channel::<DbResult<()>>();
    let mut kept = None;
    run_as_one_group(&writer, || {
        writer.submit(
            abandoned.clone(),
            |c| add(c, "abandoned"),
            move |r| answer.send(r).unwrap(),
        );
        // Its caller stops waiting (and answers 503) before it starts.
        assert!(abandoned.abandon());
        kept = Some(submit(&writer, |c| add(c, "kept")));
    });
    let kept = kept.unwrap();
    kept.result.recv().unwrap().unwrap();
    assert_eq!(kept.runs.load(Ordering::SeqCst), 1);
    assert_eq!(names(&db), ["gate", "kept"]);
    // Never answered: its reply was dropped unrun.
    assert!(answered.recv_timeout(Duration::from_millis(200)).is_err());
}

#[test]
fn one_failed_write_in_a_group_fails_alone() {
    let (db, writer) = writer();
    let mut queued = Vec::new();
    run_as_one_group(&writer, || {
        queued.push(submit(&writer, |c| add(c, "a")));
        // Taken by the gate, committed before this group started.
        queued.push(submit(&writer, |c| add(c, "gate")));
        queued.push(submit(&writer, |c| add(c, "b")));
    });
    let results: Vec<_> = queued.iter().map(|j| j.result.recv().unwrap()).collect();
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(DbError::Conflict { .. })),
        "{:?}",
        results[1]
    );
    assert!(results[2].is_ok(), "{:?}", results[2]);
    // The group was rolled back and each write ran again on its own.
    assert_eq!(queued[0].runs.load(Ordering::SeqCst), 2);
    assert_eq!(names(&db), ["a", "b", "gate"]);
}

#[test]
fn a_write_that_hides_its_failure_commits_nothing_of_it() {
    let (db, writer) = writer();
    let mut queued = Vec::new();
    run_as_one_group(&writer, || {
        queued.push(submit(&writer, |c| {
            // Two departments in one transaction, the second taken: the
            // transaction fails, and this write shrugs and says Ok.
            let both = write_transaction(c, |c| {
                add(c, "half")?;
                add(c, "gate")
            });
            assert!(both.is_err());
            Ok(())
        }));
        queued.push(submit(&writer, |c| add(c, "other")));
    });
    for job in &queued {
        job.result.recv().unwrap().unwrap();
    }
    assert_eq!(names(&db), ["gate", "other"], "half a transaction was kept");
}

#[test]
fn a_panicking_write_fails_alone_and_the_writer_goes_on() {
    let (db, writer) = writer();
    let mut queued = Vec::new();
    run_as_one_group(&writer, || {
        queued.push(submit(&writer, |c| add(c, "a")));
        queued.push(submit(&writer, |c| {
            write_transaction(c, |c| -> DbResult<()> {
                add(c, "doomed")?;
                panic!("a bug in a write");
            })
        }));
    });
    queued[0].result.recv().unwrap().unwrap();
    assert!(matches!(
        queued[1].result.recv().unwrap(),
        Err(DbError::Internal(_))
    ));
    let after = submit(&writer, |c| add(c, "after"));
    after.result.recv().unwrap().unwrap();
    assert_eq!(names(&db), ["a", "after", "gate"]);
}

/// What a copy of the database file alone (without its WAL) holds, or
/// `None` if the copy cannot be read (taken mid-checkpoint).
fn names_in_file_alone(db: &TestDatabase) -> Option<Vec<String>> {
    let path = db.url.strip_prefix("sqlite://")?;
    let dir = tempfile::tempdir().ok()?;
    let copy = dir.path().join("copy.db");
    std::fs::copy(path, &copy).ok()?;
    let mut conn = DbConnection::open(&format!("sqlite://{}", copy.display())).ok()?;
    departments::table
        .select(departments::name)
        .load(&mut conn)
        .ok()
}

/// The writer's connection does not checkpoint (it would stop for the copy
/// and its fsync); a thread of its own copies the writes into the database
/// file soon after they commit.
#[test]
fn committed_writes_reach_the_database_file_itself() {
    let (db, writer) = writer();
    submit(&writer, |c| add(c, "checkpointed"))
        .result
        .recv()
        .unwrap()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let names = names_in_file_alone(&db).unwrap_or_default();
        if names.iter().any(|n| n == "checkpointed") {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the write is still only in the WAL: {names:?}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn person(places: Places, name: &str, employee_id: &str) -> NewStaff {
    NewStaff {
        full_name: name.into(),
        employee_id: employee_id.into(),
        email: format!("{employee_id}@example.org"),
        mobile: "+919810000000".into(),
        email2: None,
        email3: None,
        mobile2: None,
        mobile3: None,
        office_address: None,
        department_id: places.department,
        unit_id: None,
        designation_id: places.designation,
        supervisor_id: None,
        end_date: None,
    }
}

/// Ids of the staff a `q` search finds, as the API's search finds them.
fn found(db: &TestDatabase, q: &str) -> Vec<StaffId> {
    let filter = StaffFilter {
        q: Some(q.into()),
        ..Default::default()
    };
    let listed = st::list_staff(
        &mut db.connect().unwrap(),
        &directory_db::Counts::none(),
        &filter,
        None,
        Page::default(),
        None,
    )
    .unwrap();
    listed.items.iter().map(|s| s.id).collect()
}

/// Rows the writer's search bookkeeping left behind (it must never commit
/// any: another connection would stop indexing while the mark showed).
fn search_bookkeeping(db: &TestDatabase) -> i64 {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
    }
    diesel::sql_query(
        "SELECT (SELECT count(*) FROM staff_search_pending) \
         + (SELECT count(*) FROM staff_search_deferred) AS rows",
    )
    .get_result::<Count>(&mut db.connect().unwrap())
    .unwrap()
    .rows
}

fn create(writer: &Writer, new: NewStaff) -> Submitted {
    submit(writer, move |c| st::create_staff(c, &new, None).map(|_| ()))
}

/// A group indexes its staff for search once, before it commits: what it
/// created, renamed and deleted is found (or not) as if each write had
/// committed alone.
#[test]
fn staff_written_in_a_group_are_found_by_search_once_it_commits() {
    let (db, writer) = writer();
    let places = Places::create(&mut db.connect().unwrap()).unwrap();
    let mut conn = db.connect().unwrap();
    let renamed = st::create_staff(&mut conn, &person(places, "Ada Oldname", "E1"), None)
        .unwrap()
        .id;
    let leaving = st::create_staff(&mut conn, &person(places, "Bea Leaving", "E2"), None)
        .unwrap()
        .id;
    assert_eq!(found(&db, "oldname"), [renamed]);

    let mut queued = Vec::new();
    run_as_one_group(&writer, || {
        queued.push(create(&writer, person(places, "Cyd Zebediah", "E3")));
        queued.push(create(&writer, person(places, "Dot Ottoline", "E4")));
        queued.push(submit(&writer, move |c| {
            let patch = StaffPatch {
                full_name: Patch::Set("Ada Newname".into()),
                ..Default::default()
            };
            st::update_staff(c, renamed, None, &patch, None).map(|_| ())
        }));
        queued.push(submit(&writer, move |c| {
            st::delete_staff(c, leaving, None, None)
        }));
    });
    for job in &queued {
        job.result.recv().unwrap().unwrap();
        assert_eq!(job.runs.load(Ordering::SeqCst), 1, "not run as a group");
    }
    assert_eq!(found(&db, "zebediah").len(), 1);
    assert_eq!(found(&db, "ottoline").len(), 1);
    assert_eq!(found(&db, "newname"), [renamed]);
    assert_eq!(found(&db, "oldname"), []);
    assert_eq!(found(&db, "leaving"), []);
    assert_eq!(found(&db, "example.org").len(), 3);
    assert_eq!(search_bookkeeping(&db), 0);

    // A later write on a pooled connection still indexes at once.
    st::create_staff(&mut conn, &person(places, "Eve Later", "E5"), None).unwrap();
    assert_eq!(found(&db, "later").len(), 1);
}

/// A group rolled back for one failed write indexes nothing of it; the
/// writes run again alone are indexed as they commit.
#[test]
fn staff_of_a_failed_group_are_indexed_when_run_again() {
    let (db, writer) = writer();
    let places = Places::create(&mut db.connect().unwrap()).unwrap();
    let mut queued = Vec::new();
    run_as_one_group(&writer, || {
        queued.push(create(&writer, person(places, "Fay Firstone", "E1")));
        // The same employee id: a conflict that spoils the group.
        queued.push(create(&writer, person(places, "Gus Duplicate", "E1")));
        queued.push(create(&writer, person(places, "Hal Thirdone", "E3")));
    });
    let results: Vec<_> = queued.iter().map(|j| j.result.recv().unwrap()).collect();
    assert!(results[0].is_ok() && results[2].is_ok(), "{results:?}");
    assert!(matches!(results[1], Err(DbError::Conflict { .. })));
    assert_eq!(queued[0].runs.load(Ordering::SeqCst), 2, "not run again");
    assert_eq!(found(&db, "firstone").len(), 1);
    assert_eq!(found(&db, "thirdone").len(), 1);
    assert_eq!(found(&db, "duplicate"), []);
    assert_eq!(search_bookkeeping(&db), 0);
}
