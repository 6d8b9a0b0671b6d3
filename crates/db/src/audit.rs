//! The audit trail and the change feed.
//!
//! A change records its event with [`Event::record`], inside its
//! transaction; the event waits in a per-thread buffer that the outermost
//! [`crate::write_transaction`] opens, and is written by [`flush`] just
//! before the commit. A savepoint that rolls back takes its events with it,
//! and a transaction that rolls back writes none: an event never exists
//! without its change, nor a change without its event.
//!
//! [`flush`] takes the transaction's block of ids from the one row of
//! `audit_sequence`, which locks that row until the commit. A second
//! writer's flush waits there for the first to commit, so ids are handed
//! out in commit order: when a reader sees id `n`, every id below `n` has
//! committed too (or never will be: nothing below the counter is handed
//! out later). That is why the change feed, which reads `id > after`,
//! cannot skip a change that commits late. The lock is held only for the
//! insert and the commit, not for the change's own work.

use crate::schema::{audit_events, audit_sequence};
use crate::stamp::Stamp;
use crate::{Actor, DbConnection, DbError, DbResult, now, utc};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use directory_domain::{
    AccountId, AuditAction, AuditEntity, AuditEvent, Change, HistoryEntry, Snapshot,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use std::cell::RefCell;

/// One change, as it is recorded.
#[derive(Debug)]
pub(crate) struct Event {
    at: NaiveDateTime,
    actor: Option<i32>,
    action: AuditAction,
    entity: AuditEntity,
    entity_id: String,
    version: Option<i32>,
    before: Option<String>,
    after: Option<String>,
}

impl Event {
    /// `action` on the record `entity_id` of `entity`, by `actor`, now.
    pub(crate) fn new(
        entity: AuditEntity,
        entity_id: impl ToString,
        action: AuditAction,
        actor: Actor,
    ) -> Self {
        Self {
            at: now(),
            actor: actor.map(|a| a.0),
            action,
            entity,
            entity_id: entity_id.to_string(),
            version: None,
            before: None,
            after: None,
        }
    }

    /// The record as the API showed it before the change.
    pub(crate) fn before(mut self, record: &impl Serialize) -> DbResult<Self> {
        self.before = Some(json(record)?);
        Ok(self)
    }

    /// The record as the API shows it after the change.
    pub(crate) fn after(mut self, record: &impl Serialize) -> DbResult<Self> {
        self.after = Some(json(record)?);
        Ok(self)
    }

    /// The record's version after the change.
    pub(crate) fn version(mut self, version: i32) -> Self {
        self.version = Some(version);
        self
    }

    /// When the change was made, if not now: the row's own `updated_at`
    /// (a first event for a row that was there before the trail, a
    /// period's change).
    pub(crate) fn at(mut self, at: NaiveDateTime) -> Self {
        self.at = at;
        self
    }

    /// Adds the event to the current write transaction; it is written just
    /// before that commits. Outside a write transaction this is a bug, and
    /// the change is refused rather than left unrecorded.
    pub(crate) fn record(self) -> DbResult<()> {
        PENDING.with_borrow_mut(|pending| match pending {
            Some(events) => {
                events.push(self);
                Ok(())
            }
            None => Err(DbError::Internal(format!(
                "a {} of {} outside a write transaction",
                self.action.as_str(),
                self.entity.as_str()
            ))),
        })
    }
}

fn json(record: &impl Serialize) -> DbResult<String> {
    serde_json::to_string(record)
        .map_err(|e| DbError::Internal(format!("could not record a change: {e}")))
}

thread_local! {
    /// The events of this thread's open write transaction, if one is open.
    /// A transaction runs on one thread from its start to its commit.
    static PENDING: RefCell<Option<Vec<Event>>> = const { RefCell::new(None) };
}

/// The event buffer of one outermost write transaction (or of one write in
/// a SQLite group); dropping it discards whatever was not flushed, and
/// restores the buffer of a transaction this one was opened inside (on
/// another connection).
pub(crate) struct Scope {
    outer: Option<Vec<Event>>,
}

pub(crate) fn open() -> Scope {
    Scope {
        outer: PENDING.replace(Some(Vec::new())),
    }
}

impl Drop for Scope {
    fn drop(&mut self) {
        PENDING.set(self.outer.take());
    }
}

/// Where a savepoint starts in the buffer, to [`discard_from`] if it rolls
/// back.
pub(crate) fn mark() -> usize {
    PENDING.with_borrow(|pending| pending.as_ref().map_or(0, Vec::len))
}

/// Forgets the events recorded since `mark`: their savepoint rolled back.
pub(crate) fn discard_from(mark: usize) {
    PENDING.with_borrow_mut(|pending| {
        if let Some(events) = pending {
            events.truncate(mark);
        }
    });
}

/// Every column bound, `None` as NULL: what PostgreSQL's binary COPY takes.
#[derive(Insertable)]
#[diesel(table_name = audit_events, treat_none_as_default_value = false)]
struct EventInsert<'a> {
    id: i64,
    at: NaiveDateTime,
    actor_id: Option<i32>,
    action: &'static str,
    entity: &'static str,
    entity_id: &'a str,
    version: Option<i32>,
    before_json: Option<&'a str>,
    after_json: Option<&'a str>,
    is_change: bool,
}

/// Writes the events recorded so far in this write transaction, for a bulk
/// load whose events would not fit in memory until its commit. From here
/// to the commit the transaction holds the trail's sequence, so another
/// writer's commit waits for this one (which keeps the change feed in
/// commit order).
pub fn write_recorded(conn: &mut DbConnection) -> DbResult<()> {
    flush(conn)
}

/// Writes the buffered events, inside the transaction, as its last work
/// before the commit: see the module's doc for why the ids come from
/// `audit_sequence` here and not from an autoincrement.
pub(crate) fn flush(conn: &mut DbConnection) -> DbResult<()> {
    let events =
        PENDING.with_borrow_mut(|pending| pending.as_mut().map(std::mem::take).unwrap_or_default());
    if events.is_empty() {
        return Ok(());
    }
    let count = i64::try_from(events.len()).unwrap_or(i64::MAX);
    diesel::update(audit_sequence::table.find(1))
        .set(audit_sequence::last_id.eq(audit_sequence::last_id + count))
        .execute(conn)?;
    let last: i64 = audit_sequence::table
        .find(1)
        .select(audit_sequence::last_id)
        .first(conn)?;
    let rows: Vec<EventInsert<'_>> = (last - count + 1..)
        .zip(&events)
        .map(|(id, e)| EventInsert {
            id,
            at: e.at,
            actor_id: e.actor,
            action: e.action.as_str(),
            entity: e.entity.as_str(),
            entity_id: &e.entity_id,
            version: e.version,
            before_json: e.before.as_deref(),
            after_json: e.after.as_deref(),
            is_change: e.entity.is_change(),
        })
        .collect();
    // Multi-row INSERT is not available on the connection enum
    // (docs/BACKENDS.md); 500 rows stay under every bind limit.
    for chunk in rows.chunks(500) {
        match conn {
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => diesel::insert_into(audit_events::table)
                .values(chunk)
                .execute(c)?,
            #[cfg(feature = "postgres")]
            // COPY, as for staff (`staff::insert_staff_batch`): 100,000
            // events in 1.2 s against 2.5 s.
            DbConnection::Pg(c) => {
                use diesel::ExecuteCopyFromDsl;
                diesel::copy_from(audit_events::table)
                    .from_insertable(chunk.iter().collect::<Vec<_>>())
                    .execute(c)?
            }
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(c) => diesel::insert_into(audit_events::table)
                .values(chunk)
                .execute(c)?,
        };
    }
    Ok(())
}

/// Woken after every commit that wrote to the directory, so a long poll of
/// the change feed answers as soon as there is something new.
static COMMITTED: tokio::sync::Notify = tokio::sync::Notify::const_new();

/// Says that a write committed: wakes whoever waits on [`commits`].
pub(crate) fn announce() {
    COMMITTED.notify_waiters();
}

/// What a long poll waits on: notified after each write this process
/// commits (a write by another server process is not seen here).
pub fn commits() -> &'static tokio::sync::Notify {
    &COMMITTED
}

// ---- reading the trail ------------------------------------------------------

#[derive(Queryable, Selectable)]
#[diesel(table_name = audit_events)]
struct EventRow {
    id: i64,
    #[diesel(deserialize_as = Stamp)]
    at: NaiveDateTime,
    actor_id: Option<i32>,
    action: String,
    entity: String,
    entity_id: String,
    version: Option<i32>,
    before_json: Option<String>,
    after_json: Option<String>,
}

fn stored<T>(what: &str, value: &str, parse: impl FnOnce(&str) -> Option<T>) -> DbResult<T> {
    parse(value).ok_or_else(|| DbError::Internal(format!("unknown audit {what} {value:?}")))
}

impl TryFrom<EventRow> for AuditEvent {
    type Error = DbError;

    fn try_from(row: EventRow) -> DbResult<Self> {
        Ok(AuditEvent {
            id: row.id,
            at: utc(row.at),
            actor_id: row.actor_id.map(AccountId),
            action: stored("action", &row.action, AuditAction::parse)?,
            entity: stored("entity", &row.entity, AuditEntity::parse)?,
            entity_id: row.entity_id,
            version: row.version,
            before: row.before_json.map(Snapshot::stored),
            after: row.after_json.map(Snapshot::stored),
        })
    }
}

/// An instant a client asked about, as the trail's queries compare it:
/// within 1970-01-02 and a day from now. diesel binds a timestamp to MySQL
/// as a TIMESTAMP, whose range ends in 2038, and an instant outside it
/// matched nothing; every event lies inside those bounds, so the answer is
/// the same (a day's margin for another server's clock).
fn bound(at: DateTime<Utc>) -> NaiveDateTime {
    let earliest = DateTime::<Utc>::from_timestamp(86_400, 0).unwrap_or_default();
    let latest = Utc::now() + chrono::Duration::days(1);
    at.clamp(earliest, latest).naive_utc()
}

/// Which events to list; every field left out matches all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EventFilter {
    pub entity: Option<AuditEntity>,
    pub entity_id: Option<String>,
    pub actor: Option<AccountId>,
    pub action: Option<AuditAction>,
    /// From this instant on (inclusive).
    pub since: Option<DateTime<Utc>>,
    /// Before this instant (exclusive).
    pub until: Option<DateTime<Utc>>,
}

/// Up to `limit` events after the event `after` (from the first if none),
/// oldest first.
pub fn list_events(
    conn: &mut DbConnection,
    filter: &EventFilter,
    after: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    let mut query = audit_events::table.into_boxed();
    if let Some(after) = after {
        query = query.filter(audit_events::id.gt(after));
    }
    if let Some(entity) = filter.entity {
        query = query.filter(audit_events::entity.eq(entity.as_str()));
    }
    if let Some(entity_id) = &filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(entity_id.clone()));
    }
    if let Some(actor) = filter.actor {
        query = query.filter(audit_events::actor_id.eq(actor.0));
    }
    if let Some(action) = filter.action {
        query = query.filter(audit_events::action.eq(action.as_str()));
    }
    if let Some(since) = filter.since {
        query = query.filter(audit_events::at.ge(bound(since)));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::at.lt(bound(until)));
    }
    query
        .order(audit_events::id.asc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(AuditEvent::try_from)
        .collect()
}

/// Up to `limit` changes committed after `after`, in commit order.
pub fn changes(conn: &mut DbConnection, after: i64, limit: i64) -> DbResult<Vec<Change>> {
    let rows: Vec<(i64, Stamp, String, String, String, Option<i32>)> = audit_events::table
        .filter(audit_events::is_change.eq(true))
        .filter(audit_events::id.gt(after))
        .order(audit_events::id.asc())
        .limit(limit)
        .select((
            audit_events::id,
            audit_events::at,
            audit_events::entity,
            audit_events::entity_id,
            audit_events::action,
            audit_events::version,
        ))
        .load(conn)?;
    rows.into_iter()
        .map(|(seq, at, entity, entity_id, action, version)| {
            Ok(Change {
                seq,
                at: utc(at.into()),
                entity: stored("entity", &entity, AuditEntity::parse)?,
                entity_id,
                action: stored("action", &action, AuditAction::parse)?,
                version,
            })
        })
        .collect()
}

/// Every recorded version of one record, oldest first; 404 if the trail
/// has never heard of it.
pub fn history(
    conn: &mut DbConnection,
    entity: AuditEntity,
    id: i32,
    what: &'static str,
) -> DbResult<Vec<HistoryEntry>> {
    let rows: Vec<EventRow> = audit_events::table
        .filter(audit_events::entity.eq(entity.as_str()))
        .filter(audit_events::entity_id.eq(id.to_string()))
        .order(audit_events::id.asc())
        .select(EventRow::as_select())
        .load(conn)?;
    if rows.is_empty() {
        return Err(DbError::not_found(what, id));
    }
    rows.into_iter()
        .map(|row| {
            Ok(HistoryEntry {
                version: row.version,
                at: utc(row.at),
                actor_id: row.actor_id.map(AccountId),
                action: stored("action", &row.action, AuditAction::parse)?,
                data: row.after_json.map(Snapshot::stored),
            })
        })
        .collect()
}

/// The record as it was at `at`: from the last event about it up to then;
/// 404 if it did not exist then (not yet created, or deleted).
pub fn as_of<T: DeserializeOwned>(
    conn: &mut DbConnection,
    entity: AuditEntity,
    id: i32,
    at: DateTime<Utc>,
    what: &'static str,
) -> DbResult<T> {
    let after: Option<Option<String>> = audit_events::table
        .filter(audit_events::entity.eq(entity.as_str()))
        .filter(audit_events::entity_id.eq(id.to_string()))
        .filter(audit_events::at.le(bound(at)))
        .order(audit_events::id.desc())
        .select(audit_events::after_json)
        .first(conn)
        .optional()?;
    let Some(Some(after)) = after else {
        return Err(DbError::not_found(what, id));
    };
    serde_json::from_str(&after)
        .map_err(|e| DbError::Internal(format!("a recorded {what} does not read back: {e}")))
}

/// Deletes the events older than `before`, for `audit.retention_days`,
/// except each record's newest (so every record keeps a history and `as_of`
/// today still answers); returns how many. A thousand at a time, so no
/// statement holds its locks for long.
pub fn prune(conn: &mut DbConnection, before: DateTime<Utc>) -> DbResult<usize> {
    let later = diesel::alias!(audit_events as later);
    let before = bound(before);
    let mut pruned = 0;
    loop {
        let superseded = later
            .filter(later.field(audit_events::entity).eq(audit_events::entity))
            .filter(
                later
                    .field(audit_events::entity_id)
                    .eq(audit_events::entity_id),
            )
            .filter(later.field(audit_events::id).gt(audit_events::id));
        let ids: Vec<i64> = audit_events::table
            .filter(audit_events::at.lt(before))
            .filter(diesel::dsl::exists(superseded))
            .order(audit_events::id.asc())
            .select(audit_events::id)
            .limit(1000)
            .load(conn)?;
        if ids.is_empty() {
            return Ok(pruned);
        }
        pruned += diesel::delete(audit_events::table.filter(audit_events::id.eq_any(&ids)))
            .execute(conn)?;
    }
}

/// The changes to records of these kinds, newest first: at or after
/// `since`, and before the event `before` (the previous page's last), at
/// most `limit`. For the FHIR view's `_history`.
pub fn recent_changes(
    conn: &mut DbConnection,
    entities: &[AuditEntity],
    since: Option<DateTime<Utc>>,
    before: Option<i64>,
    limit: i64,
) -> DbResult<Vec<AuditEvent>> {
    let names: Vec<&str> = entities.iter().map(|e| e.as_str()).collect();
    let mut query = audit_events::table
        .filter(audit_events::is_change.eq(true))
        .filter(audit_events::entity.eq_any(names))
        .into_boxed();
    if let Some(since) = since {
        query = query.filter(audit_events::at.ge(bound(since)));
    }
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    query
        .order(audit_events::id.desc())
        .limit(limit)
        .select(EventRow::as_select())
        .load(conn)?
        .into_iter()
        .map(AuditEvent::try_from)
        .collect()
}
