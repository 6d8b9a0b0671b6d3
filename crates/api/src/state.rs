//! What every handler can reach: the database threads, and on SQLite the
//! writer.

use crate::error::{ReadFailure, WriteFailure};
use directory_db::threads::DbThreads;
use directory_db::writer::Writer;
use directory_db::{DbConnection, DbError, Pool};

#[derive(Clone)]
pub struct AppState {
    /// Where database work runs (one thread per pooled connection; they
    /// hold the pool).
    pub db: DbThreads,
    /// SQLite's writes go here rather than to the pool (see
    /// `directory_db::writer`); `None` on PostgreSQL and MySQL.
    pub writer: Option<Writer>,
    pub auth: crate::auth::AuthSettings,
    pub tokens: std::sync::Arc<crate::auth::TokenCache>,
}

impl AppState {
    /// Starts the database threads for `pool`.
    pub fn new(pool: Pool) -> std::io::Result<Self> {
        Ok(Self {
            db: DbThreads::start(&pool)?,
            writer: None,
            auth: crate::auth::AuthSettings::default(),
            tokens: std::sync::Arc::default(),
        })
    }

    pub fn with_writer(mut self, writer: Option<Writer>) -> Self {
        self.writer = writer;
        self
    }

    pub fn with_auth(mut self, auth: crate::auth::AuthSettings) -> Self {
        self.auth = auth;
        self
    }
}

/// Runs a read on a database thread with a pooled connection: diesel
/// blocks, and a reactor thread must never wait on the database. Its
/// failure can only become a read's answer ([`crate::error::ReadError`]).
pub async fn reading<T, F>(state: &AppState, f: F) -> Result<T, ReadFailure>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    on_pool(state, f).await.map_err(ReadFailure)
}

/// Runs a write on the pool rather than the SQLite writer: for writes that
/// must not hold up the others (they hash a password first), or that must
/// commit at once on their own (a login).
pub async fn writing_on_pool<T, F>(state: &AppState, f: F) -> Result<T, WriteFailure>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    on_pool(state, f).await.map_err(WriteFailure)
}

async fn on_pool<T, F>(state: &AppState, f: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    let (answer, answered) = tokio::sync::oneshot::channel();
    state.db.submit(move |conn| {
        // The client may have gone; nothing to undo for a read, and a
        // write outside the writer thread has committed or rolled back.
        let _ = answer.send(conn.and_then(|conn| f(conn)));
    });
    answered
        .await
        .map_err(|_| DbError::Internal("the database task failed".into()))?
}

/// Runs a write: on SQLite through the writer thread, where it may be
/// committed together with the other writes waiting (and so may run twice:
/// `f` must start from its inputs each time); elsewhere on the pool.
pub async fn writing<T, F>(state: &AppState, f: F) -> Result<T, WriteFailure>
where
    T: Send + 'static,
    F: FnMut(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    let Some(writer) = &state.writer else {
        return on_pool(state, f).await.map_err(WriteFailure);
    };
    let (answer, answered) = tokio::sync::oneshot::channel();
    writer.submit(f, move |result| {
        // The client may have gone; the write stands either way.
        let _ = answer.send(result);
    });
    answered
        .await
        .map_err(|_| WriteFailure(DbError::Internal("the writer dropped a write".into())))?
        .map_err(WriteFailure)
}
