//! The audit trail's transactional rules, on whichever backend the tests
//! run on: an event exists exactly when its change does, and rows from
//! before the trail get a first event.

#![allow(clippy::unwrap_used, reason = "a test should fail loudly")]

use directory_db::audit::{self, EventFilter};
use directory_db::testing::{TestDatabase, execute_sql};
use directory_db::{DbConnection, DbError, cadres};
use directory_domain::{AuditAction, AuditEntity, AuditEvent, CadrePatch, NewCadre, Patch};

fn cadre(name: &str) -> NewCadre {
    NewCadre { name: name.into() }.validated().unwrap()
}

fn cadre_events(conn: &mut DbConnection) -> Vec<AuditEvent> {
    let filter = EventFilter {
        entity: Some(AuditEntity::Cadres),
        ..EventFilter::default()
    };
    audit::list_events(conn, &filter, None, 200).unwrap()
}

#[test]
fn a_change_that_rolls_back_leaves_no_event() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let failed: Result<(), DbError> = directory_db::write_transaction(&mut conn, |conn| {
        cadres::create_cadre(conn, &cadre("Rolled back"), None)?;
        Err(DbError::Internal("the caller changed its mind".into()))
    });
    assert!(failed.is_err());
    assert!(cadre_events(&mut conn).is_empty());
    assert!(audit::changes(&mut conn, 0, 200).unwrap().is_empty());
}

#[test]
fn a_savepoint_that_rolls_back_takes_only_its_own_events() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    directory_db::write_transaction(&mut conn, |conn| -> Result<(), DbError> {
        cadres::create_cadre(conn, &cadre("Kept"), None)?;
        // A duplicate name fails inside its own savepoint.
        let duplicate = cadres::create_cadre(conn, &cadre("Kept"), None);
        assert!(matches!(duplicate, Err(DbError::Conflict { .. })));
        let inner: Result<(), DbError> = directory_db::write_transaction(conn, |conn| {
            cadres::create_cadre(conn, &cadre("Undone"), None)?;
            Err(DbError::Internal("undo the savepoint".into()))
        });
        assert!(inner.is_err());
        Ok(())
    })
    .unwrap();
    let events = cadre_events(&mut conn);
    let names: Vec<String> = events
        .iter()
        .map(|e| {
            e.after.as_ref().unwrap().value()["name"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(names, ["Kept"]);
}

#[test]
fn ids_follow_commit_order_and_the_feed_skips_logins() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let first = cadres::create_cadre(&mut conn, &cadre("First"), None).unwrap();
    let patch = CadrePatch {
        name: Patch::Set("First, renamed".into()),
    };
    cadres::update_cadre(&mut conn, first.id, Some(1), &patch, None).unwrap();
    let events = cadre_events(&mut conn);
    assert_eq!(events.len(), 2);
    assert!(events[0].id < events[1].id);
    assert_eq!(events[1].action, AuditAction::Update);
    assert_eq!(events[1].version, Some(2));
    assert_eq!(events[1].before.as_ref().unwrap().value()["name"], "First");
    let changes = audit::changes(&mut conn, 0, 200).unwrap();
    assert_eq!(
        changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        events.iter().map(|e| e.id).collect::<Vec<_>>()
    );
}

#[test]
fn rows_from_before_the_trail_get_a_first_event() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let once = cadres::create_cadre(&mut conn, &cadre("Untouched"), None).unwrap();
    let twice = cadres::create_cadre(&mut conn, &cadre("Changed"), None).unwrap();
    let patch = CadrePatch {
        name: Patch::Set("Changed again".into()),
    };
    cadres::update_cadre(&mut conn, twice.id, None, &patch, None).unwrap();
    // As if these rows were there before the trail.
    execute_sql(&mut conn, "DELETE FROM audit_events").unwrap();
    execute_sql(&mut conn, "UPDATE audit_sequence SET last_id = 0").unwrap();

    directory_db::migrate(&mut conn).unwrap();
    let history = audit::history(&mut conn, AuditEntity::Cadres, once.id.0, "cadre").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, AuditAction::Create);
    assert_eq!(history[0].at, once.audit.created_at);
    let history = audit::history(&mut conn, AuditEntity::Cadres, twice.id.0, "cadre").unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0].action, AuditAction::Update);
    assert_eq!(history[0].version, Some(2));
    assert_eq!(
        history[0].data.as_ref().unwrap().value()["name"],
        "Changed again"
    );

    // Once is enough: a second start records nothing more.
    let before = cadre_events(&mut conn).len();
    directory_db::migrate(&mut conn).unwrap();
    assert_eq!(cadre_events(&mut conn).len(), before);
}

#[test]
fn pruning_keeps_each_records_newest_event() {
    let db = TestDatabase::migrated().unwrap();
    let mut conn = db.connect().unwrap();
    let changed = cadres::create_cadre(&mut conn, &cadre("Changed twice"), None).unwrap();
    for name in ["Changed once", "Changed twice more"] {
        let patch = CadrePatch {
            name: Patch::Set(name.into()),
        };
        cadres::update_cadre(&mut conn, changed.id, None, &patch, None).unwrap();
    }
    let untouched = cadres::create_cadre(&mut conn, &cadre("Untouched"), None).unwrap();
    execute_sql(
        &mut conn,
        "UPDATE audit_events SET at = '2000-01-01 00:00:00'",
    )
    .unwrap();
    let recent = cadres::create_cadre(&mut conn, &cadre("Recent"), None).unwrap();
    let recent_patch = CadrePatch {
        name: Patch::Set("Recent, renamed".into()),
    };
    cadres::update_cadre(&mut conn, recent.id, None, &recent_patch, None).unwrap();

    let cutoff = chrono::Utc::now() - chrono::Duration::days(30);
    assert_eq!(audit::prune(&mut conn, cutoff).unwrap(), 2);
    let versions = |conn: &mut DbConnection, id: i32| -> Vec<Option<i32>> {
        audit::history(conn, AuditEntity::Cadres, id, "cadre")
            .unwrap()
            .iter()
            .map(|h| h.version)
            .collect()
    };
    assert_eq!(versions(&mut conn, changed.id.0), [Some(3)]);
    assert_eq!(versions(&mut conn, untouched.id.0), [Some(1)]);
    assert_eq!(versions(&mut conn, recent.id.0), [Some(1), Some(2)]);
    assert_eq!(audit::prune(&mut conn, cutoff).unwrap(), 0);
}
