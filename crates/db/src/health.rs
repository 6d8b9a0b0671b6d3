//! Whether the database answers, as a thread of its own sees it.
//!
//! Readiness used to ask through the same queue as the requests, so a
//! stopped PostgreSQL made `/readyz` wait behind them (5 s even when idle)
//! and every request waited for a connection that could not come. Here a
//! `db-health` thread asks every [`CHECK_EVERY`] on a connection of its
//! own (opened again when lost) whether the database answers and how many
//! migrations are pending. Readiness reads its last answer at once; the
//! database threads fail work at once (503) while it says the database is
//! unreachable, and tell it when they find so first, so it looks again
//! without waiting for its next turn.

use crate::{Backend, DbConnection, DbError, migrations};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

/// How often the database is asked while it answers (and how soon after
/// a failure it is asked again).
pub const CHECK_EVERY: Duration = Duration::from_secs(1);

/// A check older than this means the checking thread itself is stuck (a
/// connection attempt that hangs): not ready, whatever it last saw.
pub const STALE_AFTER: Duration = Duration::from_secs(3);

/// What the last check saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    /// No check has finished yet.
    Unknown,
    /// The database answered; this many migrations are not applied.
    Answered { pending: usize },
    /// It did not answer (the driver's message; it may name the host,
    /// never the password).
    Unreachable(String),
}

#[derive(Debug)]
struct State {
    seen: Seen,
    at: Option<Instant>,
    /// Set when a database thread saw a failure: check again now.
    look_now: bool,
    stopped: bool,
}

struct Shared {
    state: Mutex<State>,
    wake: Condvar,
}

/// A handle to the health thread; clones share it. The thread ends when
/// the last handle is dropped.
#[derive(Clone)]
pub struct Health {
    shared: Arc<Shared>,
    backend: Backend,
    _owner: Arc<Owner>,
}

/// Stops the thread when the last [`Health`] goes.
struct Owner(Arc<Shared>);

impl Drop for Owner {
    fn drop(&mut self) {
        lock(&self.0.state).stopped = true;
        self.0.wake.notify_all();
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

impl std::fmt::Debug for Health {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Health").field(&self.seen()).finish()
    }
}

impl Health {
    /// Starts the thread that checks the database at `url`.
    pub fn start(url: &str) -> Result<Self, DbError> {
        let backend = Backend::from_url(url)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                seen: Seen::Unknown,
                at: None,
                look_now: false,
                stopped: false,
            }),
            wake: Condvar::new(),
        });
        let url = url.to_owned();
        let watched = shared.clone();
        std::thread::Builder::new()
            .name("db-health".into())
            .spawn(move || watch(&url, &watched))
            .map_err(|e| DbError::Internal(format!("cannot start the health thread: {e}")))?;
        Ok(Self {
            _owner: Arc::new(Owner(shared.clone())),
            backend,
            shared,
        })
    }

    /// The backend the URL names.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// What the last check saw, and how long ago.
    pub fn seen(&self) -> (Seen, Option<Duration>) {
        let state = lock(&self.shared.state);
        (state.seen.clone(), state.at.map(|at| at.elapsed()))
    }

    /// Whether work should fail at once: the last check found the database
    /// unreachable. (Before the first check, work goes ahead.)
    pub fn is_down(&self) -> bool {
        matches!(lock(&self.shared.state).seen, Seen::Unreachable(_))
    }

    /// A database thread could not get a connection: the database is
    /// taken as down until the health thread, asked to look now, sees it
    /// answer.
    pub fn report_unreachable(&self, cause: &str) {
        let mut state = lock(&self.shared.state);
        if !matches!(state.seen, Seen::Unreachable(_)) {
            tracing::warn!(%cause, "the database stopped answering");
        }
        state.seen = Seen::Unreachable(cause.to_owned());
        state.at = Some(Instant::now());
        state.look_now = true;
        self.shared.wake.notify_all();
    }

    /// Blocks until a check has finished (at most `wait`); for start-up
    /// and tests.
    pub fn wait_for_first_check(&self, wait: Duration) -> Seen {
        let deadline = Instant::now() + wait;
        let mut state = lock(&self.shared.state);
        while state.seen == Seen::Unknown {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = self
                .shared
                .wake
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        state.seen.clone()
    }
}

fn watch(url: &str, shared: &Shared) {
    let mut conn: Option<DbConnection> = None;
    loop {
        let seen = check(url, &mut conn);
        let mut state = lock(&shared.state);
        if state.stopped {
            return;
        }
        match (&state.seen, &seen) {
            (Seen::Unreachable(_), Seen::Answered { .. }) => {
                tracing::info!("the database answers again");
            }
            (Seen::Answered { .. } | Seen::Unknown, Seen::Unreachable(cause)) => {
                tracing::warn!(%cause, "the database does not answer");
            }
            _ => {}
        }
        state.seen = seen;
        state.at = Some(Instant::now());
        state.look_now = false;
        shared.wake.notify_all();
        // Sleep until the next turn, or until a database thread asks.
        let next = Instant::now() + CHECK_EVERY;
        while !state.look_now && !state.stopped {
            let left = next.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            state = shared
                .wake
                .wait_timeout(state, left)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
        }
        if state.stopped {
            return;
        }
    }
}

/// One look at the database on the thread's own connection.
fn check(url: &str, conn: &mut Option<DbConnection>) -> Seen {
    let result = (|| -> Result<usize, DbError> {
        if conn.is_none() {
            *conn = Some(DbConnection::open(url)?);
        }
        let Some(c) = conn.as_mut() else {
            return Err(DbError::Internal("no connection".into()));
        };
        use diesel::connection::SimpleConnection;
        c.batch_execute("SELECT 1")?;
        migrations::pending_count(c)
    })();
    match result {
        Ok(pending) => Seen::Answered { pending },
        Err(error) => {
            // Open a fresh one next time: this one may be broken.
            *conn = None;
            Seen::Unreachable(error.to_string())
        }
    }
}
