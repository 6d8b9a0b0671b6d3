//! What every handler can reach: the database threads, and on SQLite the
//! writer.

use crate::error::{ReadFailure, WriteFailure};
use directory_db::health::Health;
use directory_db::threads::{DbThreads, Ticket};
use directory_db::writer::Writer;
use directory_db::{DbConnection, DbError, Pool};
use std::time::Duration;
use tokio::sync::oneshot;

/// How long a request waits for its database work to start, unless the
/// configuration says otherwise (`database.queue_timeout_ms`).
pub const QUEUE_TIMEOUT: Duration = Duration::from_millis(250);

#[derive(Clone)]
pub struct AppState {
    /// Where database work runs (one thread per pooled connection; they
    /// hold the pool).
    pub db: DbThreads,
    /// SQLite's writes go here rather than to the pool (see
    /// `directory_db::writer`); `None` on PostgreSQL and MySQL.
    pub writer: Option<Writer>,
    /// How long a request's database work may wait to start before the
    /// request is answered 503: load is shed, not queued.
    pub queue_timeout: Duration,
    pub auth: crate::auth::AuthSettings,
    pub tokens: std::sync::Arc<crate::auth::TokenCache>,
    /// Lists' totals, kept until the directory changes.
    pub counts: std::sync::Arc<directory_db::Counts>,
    /// The hospital's time zone: when its day starts.
    pub timezone: chrono_tz::Tz,
    /// The FHIR view's settings, and the CapabilityStatement built from them.
    pub fhir: std::sync::Arc<crate::fhir::FhirSettings>,
    pub fhir_capability: std::sync::Arc<serde_json::Value>,
}

impl AppState {
    /// Starts the database threads for `pool`; with `health`, work fails
    /// at once while it says the database does not answer.
    pub fn new(pool: Pool, health: Option<Health>) -> std::io::Result<Self> {
        Ok(Self {
            db: DbThreads::start(&pool, health)?,
            writer: None,
            queue_timeout: QUEUE_TIMEOUT,
            auth: crate::auth::AuthSettings::default(),
            tokens: std::sync::Arc::default(),
            counts: std::sync::Arc::default(),
            timezone: chrono_tz::Tz::UTC,
            fhir: std::sync::Arc::default(),
            fhir_capability: std::sync::Arc::new(crate::fhir::capability_statement(
                chrono::Utc::now(),
            )),
        })
    }

    /// The FHIR view's settings (the hospital's name, the employee id
    /// system).
    pub fn with_fhir(mut self, settings: crate::fhir::FhirSettings) -> Self {
        self.fhir_capability =
            std::sync::Arc::new(crate::fhir::capability_statement(settings.loaded_at));
        self.fhir = std::sync::Arc::new(settings);
        self
    }

    /// Today in the hospital's time zone: the day end dates are checked
    /// against.
    pub fn today(&self) -> chrono::NaiveDate {
        today_in(self.timezone)
    }

    /// The hospital's day at an instant.
    pub fn day_of(&self, at: chrono::DateTime<chrono::Utc>) -> chrono::NaiveDate {
        at.with_timezone(&self.timezone).date_naive()
    }

    pub fn with_timezone(mut self, zone: chrono_tz::Tz) -> Self {
        self.timezone = zone;
        self
    }

    pub fn with_writer(mut self, writer: Option<Writer>) -> Self {
        self.writer = writer;
        self
    }

    pub fn with_queue_timeout(mut self, timeout: Duration) -> Self {
        self.queue_timeout = timeout;
        self
    }

    pub fn with_auth(mut self, auth: crate::auth::AuthSettings) -> Self {
        self.auth = auth;
        self
    }

    /// The database is known not to answer: fail now rather than queue.
    fn database_down(&self) -> Option<DbError> {
        self.db
            .health()
            .is_some_and(Health::is_down)
            .then(|| DbError::Unavailable("the database does not answer".into()))
    }
}

/// Waits for the answer to queued work. Work that has not started within
/// `wait` is given up (it will never run) and the request is answered
/// 503; work that has started is waited for to its end.
async fn answer_of<T>(
    wait: Duration,
    ticket: &Ticket,
    mut answered: oneshot::Receiver<Result<T, DbError>>,
    lost: &'static str,
) -> Result<T, DbError> {
    /// Gives the work up if the request goes before it starts (its client
    /// left, or hyper dropped it): no dead work stays in the queue.
    struct GiveUpIfDropped<'a>(&'a Ticket);
    impl Drop for GiveUpIfDropped<'_> {
        fn drop(&mut self) {
            self.0.abandon();
        }
    }
    let _give_up = GiveUpIfDropped(ticket);
    let answer = match tokio::time::timeout(wait, &mut answered).await {
        Ok(answer) => answer,
        Err(_) if ticket.abandon() => return Err(DbError::Busy),
        Err(_) => answered.await,
    };
    answer.map_err(|_| DbError::Internal(lost.into()))?
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

/// Runs a write on the pool rather than the SQLite writer: for a login's
/// failure count and session, which commit at once on their own.
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
    if let Some(down) = state.database_down() {
        return Err(down);
    }
    let ticket = Ticket::default();
    let (answer, answered) = oneshot::channel();
    state.db.submit(ticket.clone(), move |conn| {
        // The client may have gone; nothing to undo for a read, and a
        // write outside the writer thread has committed or rolled back.
        let _ = answer.send(conn.and_then(|conn| f(conn)));
    });
    answer_of(
        state.queue_timeout,
        &ticket,
        answered,
        "the database task failed",
    )
    .await
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
    let ticket = Ticket::default();
    let (answer, answered) = oneshot::channel();
    writer.submit(ticket.clone(), f, move |result| {
        // The client may have gone; the write stands either way.
        let _ = answer.send(result);
    });
    answer_of(
        state.queue_timeout,
        &ticket,
        answered,
        "the writer dropped a write",
    )
    .await
    .map_err(WriteFailure)
}

/// Today's date in `zone`: in India (UTC+5:30) a day starts five and a half
/// hours before it does in UTC, and an end date with it.
pub fn today_in(zone: chrono_tz::Tz) -> chrono::NaiveDate {
    chrono::Utc::now().with_timezone(&zone).date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn today_is_the_hospitals_day() {
        // Twenty-six hours apart: whatever the hour, the dates differ.
        let east = today_in(chrono_tz::Tz::Etc__GMTMinus14);
        let west = today_in(chrono_tz::Tz::Etc__GMTPlus12);
        assert!(east > west, "{east} {west}");
        assert!(today_in(chrono_tz::Tz::UTC) >= west);
    }
}
