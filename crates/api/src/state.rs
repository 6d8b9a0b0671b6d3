//! What every handler can reach: the pool.

use directory_db::{DbConnection, DbError, Pool};

#[derive(Clone)]
pub struct AppState {
    pub pool: Pool,
    pub auth: crate::auth::AuthSettings,
    pub tokens: std::sync::Arc<crate::auth::TokenCache>,
}

impl AppState {
    pub fn new(pool: Pool) -> Self {
        Self {
            pool,
            auth: crate::auth::AuthSettings::default(),
            tokens: std::sync::Arc::default(),
        }
    }

    pub fn with_auth(mut self, auth: crate::auth::AuthSettings) -> Self {
        self.auth = auth;
        self
    }
}

/// Runs a diesel closure on tokio's blocking pool with a pooled connection:
/// diesel blocks, and a reactor thread must never wait on the database.
pub async fn blocking<T, F>(state: &AppState, f: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce(&mut DbConnection) -> Result<T, DbError> + Send + 'static,
{
    let pool = state.pool.clone();
    tokio::task::spawn_blocking(move || {
        let mut conn = pool
            .get()
            .map_err(|e| DbError::Unavailable(e.to_string()))?;
        f(&mut conn)
    })
    .await
    .map_err(|e| DbError::Internal(format!("database task failed: {e}")))?
}
