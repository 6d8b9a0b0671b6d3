//! Embedded migrations, one set per backend (the dialects differ), with the
//! same names in each.

use crate::{DbConnection, DbError};
use diesel::migration::MigrationSource;
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

#[cfg(feature = "sqlite")]
const SQLITE: EmbeddedMigrations = embed_migrations!("../../migrations/sqlite");
#[cfg(feature = "postgres")]
const POSTGRES: EmbeddedMigrations = embed_migrations!("../../migrations/postgres");
#[cfg(feature = "mysql")]
const MYSQL: EmbeddedMigrations = embed_migrations!("../../migrations/mysql");

/// Runs `$body` with `$c` bound to the inner connection and `$m` to that
/// backend's migrations: the harness is implemented per backend, not on the
/// enum.
macro_rules! with_harness {
    ($conn:expr, |$c:ident, $m:ident| $body:expr) => {
        match $conn {
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite($c) => {
                let $m = SQLITE;
                $body
            }
            #[cfg(feature = "postgres")]
            DbConnection::Pg($c) => {
                let $m = POSTGRES;
                $body
            }
            #[cfg(feature = "mysql")]
            DbConnection::Mysql($c) => {
                let $m = MYSQL;
                $body
            }
        }
    };
}

fn migration_error(e: impl std::fmt::Display) -> DbError {
    DbError::Internal(format!("migration failed: {e}"))
}

/// One migration and whether it has been applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrationStatus {
    pub name: String,
    pub applied: bool,
}

/// Applies every pending migration; returns the names applied. A server
/// or a tool calls [`crate::migrate`], which also completes the audit
/// trail.
pub fn run_pending(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let pending: Vec<String> = status(conn)?
        .into_iter()
        .filter(|m| !m.applied)
        .map(|m| m.name)
        .collect();
    if !pending.is_empty() {
        with_harness!(conn, |c, m| c
            .run_pending_migrations(m)
            .map(|_| ())
            .map_err(migration_error))?;
    }
    Ok(pending)
}

/// Reverts the newest applied migration, if any; returns its name.
pub fn revert_last(conn: &mut DbConnection) -> Result<Option<String>, DbError> {
    let Some(newest) = status(conn)?.into_iter().rfind(|m| m.applied) else {
        return Ok(None);
    };
    with_harness!(conn, |c, m| c
        .revert_last_migration(m)
        .map(|_| ())
        .map_err(migration_error))?;
    Ok(Some(newest.name))
}

/// Reverts every applied migration, newest first.
pub fn revert_all(conn: &mut DbConnection) -> Result<Vec<String>, DbError> {
    let mut reverted = Vec::new();
    while let Some(name) = revert_last(conn)? {
        reverted.push(name);
    }
    Ok(reverted)
}

/// Every known migration, oldest first, with whether it is applied.
pub fn status(conn: &mut DbConnection) -> Result<Vec<MigrationStatus>, DbError> {
    with_harness!(conn, |c, m| status_of(c, &m))
}

fn status_of<C>(conn: &mut C, source: &EmbeddedMigrations) -> Result<Vec<MigrationStatus>, DbError>
where
    C: diesel::Connection + MigrationHarness<C::Backend>,
    EmbeddedMigrations: MigrationSource<C::Backend>,
{
    let applied: Vec<String> = conn
        .applied_migrations()
        .map_err(migration_error)?
        .iter()
        .map(ToString::to_string)
        .collect();
    let known = source.migrations().map_err(migration_error)?;
    Ok(known
        .iter()
        .map(|migration| MigrationStatus {
            applied: applied.contains(&migration.name().version().to_string()),
            name: migration.name().to_string(),
        })
        .collect())
}

/// How many migrations are known but not applied; `/readyz` wants zero.
pub fn pending_count(conn: &mut DbConnection) -> Result<usize, DbError> {
    Ok(status(conn)?.iter().filter(|m| !m.applied).count())
}
