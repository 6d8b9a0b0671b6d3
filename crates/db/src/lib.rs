//! Persistence for the hospital directory. Only this crate writes SQL.
//!
//! Repository functions take a `&mut DbConnection`, never the pool, so they
//! compose inside `conn.transaction(..)`. They take validated domain commands
//! and return domain types; rows never leave the crate except through them.
//! Inserted ids are read back by a unique key inside the same transaction,
//! because `RETURNING` does not exist on MySQL (docs/BACKENDS.md).

mod account_managers;
pub mod accounts;
pub mod audit;
mod backfill;
pub mod buildings;
pub mod cadres;
pub mod connection;
pub mod counts;
pub mod departments;
pub mod designations;
pub mod error;
mod exists;
pub mod fhir;
pub mod floors;
pub mod health;
#[cfg(feature = "introspect")]
pub mod introspect;
mod links;
pub mod migrations;
pub mod operating_theatres;
pub mod query;
pub mod roles;
pub mod schema;
pub mod sessions;
pub mod staff;
mod stamp;
#[cfg(feature = "test-support")]
pub mod testing;
pub mod threads;
pub mod units;
mod versioned;
pub mod writer;

pub use connection::{Backend, DbConnection, Pool, PoolOptions, PooledConnection, build_pool};
pub use counts::Counts;
pub use error::DbError;
pub use links::Assigned;
pub use query::{Page, Paged, Sort};

use chrono::{DateTime, NaiveDateTime, SubsecRound, Utc};
use directory_domain::AccountId;

pub type DbResult<T> = Result<T, DbError>;

/// Brings a database up to date: applies every pending migration, then
/// gives rows that were there before the audit trail their first events
/// (once), so every record has a history. Returns the migrations applied.
pub fn migrate(conn: &mut DbConnection) -> DbResult<Vec<String>> {
    let applied = migrations::run_pending(conn)?;
    backfill::first_events(conn)?;
    Ok(applied)
}

/// Who is making a change; `None` for the system (seed, sweeps).
pub type Actor = Option<AccountId>;

/// The current time at the precision every backend stores (microseconds), so
/// what is written reads back identically.
pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc().trunc_subsecs(6)
}

pub(crate) fn utc(value: NaiveDateTime) -> DateTime<Utc> {
    value.and_utc()
}

/// Database work slower than this is logged (a warning with where the
/// time went), so an operator sees a stall rather than guesses at it.
pub const SLOW_WORK: std::time::Duration = std::time::Duration::from_secs(1);

/// Logs work that took [`SLOW_WORK`] or more: `waited` is the part spent
/// before it could run (a connection, a lock), `took` the whole.
pub(crate) fn say_if_slow(what: &str, waited: std::time::Duration, took: std::time::Duration) {
    if took >= SLOW_WORK {
        tracing::warn!(
            work = what,
            waited_ms = waited.as_millis() as u64,
            ran_ms = took.saturating_sub(waited).as_millis() as u64,
            "slow database work"
        );
    }
}

/// Checks an If-Match version against the stored one.
pub(crate) fn check_version(
    entity: &'static str,
    id: i32,
    current: i32,
    expected: Option<i32>,
) -> DbResult<()> {
    match expected {
        Some(expected) if expected != current => Err(DbError::Stale {
            entity,
            id: id.to_string(),
            current,
        }),
        _ => Ok(()),
    }
}

/// The condition of a versioned UPDATE: the row still has the version the
/// client named in If-Match (checked against `current` before, and again
/// here in case a concurrent write came between); without If-Match, any
/// version: the last write wins, as the client asked.
pub(crate) fn version_is<C>(
    column: C,
    expected: Option<i32>,
    current: i32,
) -> diesel::dsl::Or<diesel::dsl::Eq<C, i32>, diesel::dsl::AsExprOf<bool, diesel::sql_types::Bool>>
where
    C: diesel::ExpressionMethods + diesel::Expression<SqlType = diesel::sql_types::Integer>,
{
    use diesel::{BoolExpressionMethods, IntoSql};
    column
        .eq(expected.unwrap_or(current))
        .or(expected.is_none().into_sql::<diesel::sql_types::Bool>())
}

/// A row the change refers to must exist: if it does not, that is the
/// client's mistake, reported on `field` (409); any other failure (an
/// outage, a lost race) stays what it is.
pub(crate) fn referenced<T>(
    result: DbResult<T>,
    field: &str,
    missing: impl FnOnce() -> String,
) -> DbResult<T> {
    match result {
        Err(DbError::NotFound { .. }) => {
            Err(directory_domain::DomainError::field(field, missing()).into())
        }
        other => other,
    }
}

/// A link PUT that lost a race: a concurrent identical PUT inserted the
/// same row first and the unique key refused ours. The link is there,
/// which is all the PUT asked for, so it answers "already there".
pub(crate) fn settle_link_race(
    conn: &mut DbConnection,
    result: DbResult<bool>,
    exists: impl FnOnce(&mut DbConnection) -> DbResult<bool>,
) -> DbResult<bool> {
    match result {
        Err(DbError::Conflict { .. }) if exists(conn)? => Ok(false),
        other => other,
    }
}

/// The row changed between our read and our write (a concurrent update).
pub(crate) fn stale(entity: &'static str, id: i32, current: i32) -> DbError {
    DbError::Stale {
        entity,
        id: id.to_string(),
        current,
    }
}

/// `%q%` over lower-cased search text, with LIKE's wildcards removed (a
/// search for "50%" means the characters, not a pattern).
pub(crate) fn like_pattern(q: &str) -> String {
    let cleaned: String = q
        .trim()
        .to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect();
    format!("%{cleaned}%")
}

/// One SQLite writer at a time in this process (SQLite allows one per
/// database anyway). Shared by every SQLite database the process opens:
/// only tests open more than one.
#[cfg(feature = "sqlite")]
static SQLITE_WRITER: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Writers of this process queue here, in order and without sleeping; only
/// another process's writer is left to SQLite's busy timeout, whose
/// back-off sleeps (up to 100 ms a try) made concurrent POSTs wait far
/// longer than the writes took.
#[cfg(feature = "sqlite")]
pub(crate) fn sqlite_writer_lock() -> std::sync::MutexGuard<'static, ()> {
    SQLITE_WRITER
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// `BEGIN IMMEDIATE` on SQLite, through diesel's transaction manager so it
/// knows the depth.
#[cfg(feature = "sqlite")]
pub(crate) fn begin_immediate(conn: &mut DbConnection) -> DbResult<()> {
    let inner = sqlite_inner(conn)?;
    diesel::connection::AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")?;
    Ok(())
}

#[cfg(feature = "sqlite")]
pub(crate) fn commit(conn: &mut DbConnection) -> DbResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    AnsiTransactionManager::commit_transaction(sqlite_inner(conn)?)?;
    Ok(())
}

/// Rolls back whatever is open, savepoints and all.
#[cfg(feature = "sqlite")]
pub(crate) fn rollback(conn: &mut DbConnection) -> DbResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    let inner = sqlite_inner(conn)?;
    while AnsiTransactionManager::transaction_manager_status_mut(inner)
        .transaction_depth()?
        .is_some()
    {
        AnsiTransactionManager::rollback_transaction(inner)?;
    }
    Ok(())
}

#[cfg(feature = "sqlite")]
fn sqlite_inner(conn: &mut DbConnection) -> DbResult<&mut diesel::SqliteConnection> {
    #[allow(
        irrefutable_let_patterns,
        reason = "SQLite may be the only backend built"
    )]
    match conn {
        DbConnection::Sqlite(inner) => Ok(inner),
        #[allow(unreachable_patterns)]
        _ => Err(DbError::Internal("not a SQLite connection".into())),
    }
}

/// A transaction's failure: the work's own, or diesel's around it.
enum Failed<E> {
    Work(E),
    Transaction(diesel::result::Error),
}

impl<E> From<diesel::result::Error> for Failed<E> {
    fn from(error: diesel::result::Error) -> Self {
        Self::Transaction(error)
    }
}

/// Runs `f` in a transaction that writes. On SQLite the outermost one
/// starts with `BEGIN IMMEDIATE`: a deferred transaction that reads and then
/// writes cannot wait for a concurrent writer (SQLite answers "database is
/// locked" at once rather than deadlock), while an immediate one queues on
/// the busy timeout. Nested calls become savepoints, as with `transaction`,
/// except that the outermost call of a write the [`writer::Writer`] runs in
/// a group joins the group's transaction.
///
/// On PostgreSQL and MySQL an outermost transaction that loses a deadlock
/// or serialization race is run again (up to three times in all), so a
/// client sees the race only if it keeps losing.
///
/// `E` needs only `From<DbError>`: the caller's error type never has to
/// know diesel.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, mut f: F) -> Result<T, E>
where
    F: FnMut(&mut DbConnection) -> Result<T, E>,
    E: From<DbError> + error::Transient,
{
    #[cfg(feature = "sqlite")]
    if matches!(conn.backend(), Backend::Sqlite) {
        use diesel::connection::{AnsiTransactionManager, TransactionManager};
        if let Some(result) = writer::in_group(conn, &mut f) {
            return result;
        }
        let depth = AnsiTransactionManager::transaction_manager_status_mut(sqlite_inner(conn)?)
            .transaction_depth()
            .map_err(DbError::from)?;
        if depth.is_none() {
            let started = std::time::Instant::now();
            let _writer = sqlite_writer_lock();
            begin_immediate(conn)?;
            let waited = started.elapsed();
            let events = audit::open();
            let result = match f(conn).and_then(|value| {
                audit::flush(conn)?;
                Ok(value)
            }) {
                Ok(value) => {
                    commit(conn)?;
                    audit::announce();
                    Ok(value)
                }
                Err(error) => {
                    rollback(conn)?;
                    Err(error)
                }
            };
            drop(events);
            say_if_slow("a SQLite write on the pool", waited, started.elapsed());
            return result;
        }
    }
    use diesel::connection::TransactionManager;
    let outermost =
        <DbConnection as diesel::Connection>::TransactionManager::transaction_manager_status_mut(
            conn,
        )
        .transaction_depth()
        .map_err(DbError::from)?
        .is_none();
    let attempts = if outermost { 3 } else { 1 };
    let mut attempt = 1;
    loop {
        // The outermost level owns the audit events and writes them last;
        // a savepoint that rolls back forgets its own.
        let events = outermost.then(audit::open);
        let mark = audit::mark();
        let result = diesel::Connection::transaction(conn, |c| {
            let value = f(c).map_err(Failed::Work)?;
            if outermost {
                audit::flush(c).map_err(|e| Failed::Work(E::from(e)))?;
            }
            Ok(value)
        });
        let result = result.map_err(|failed| match failed {
            Failed::Work(error) => error,
            Failed::Transaction(error) => E::from(DbError::from(error)),
        });
        if result.is_err() {
            audit::discard_from(mark);
        } else if outermost {
            audit::announce();
        }
        drop(events);
        match result {
            Err(error) if error.is_transient() && attempt < attempts => {
                attempt += 1;
                tracing::debug!(attempt, "transaction lost a race; running it again");
            }
            result => return result,
        }
    }
}
