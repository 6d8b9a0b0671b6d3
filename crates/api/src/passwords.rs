//! Password work (argon2id, ~10 ms of a core a hash) away from both the
//! reactor and the database threads: on tokio's blocking pool, one per
//! core at a time, with a bounded line. On a database thread a hash held a
//! pooled connection for its whole length, and every read queued behind
//! it: a burst of account changes stalled unrelated requests for seconds.

use directory_db::DbError;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

/// Password work that may wait, per core, before more is answered 503 at
/// once: a storm of logins queues a fraction of a second at most rather
/// than without end.
const WAITING_PER_CORE: usize = 32;

/// Runs `work` (a hash or a check) on a blocking thread, at most one per
/// core at a time. The wait is here, on the async side, so a storm of
/// logins takes no thread while it waits.
pub async fn password_work<T, F>(work: F) -> Result<T, DbError>
where
    T: Send + 'static,
    F: FnOnce() -> T + Send + 'static,
{
    static RUNNING: LazyLock<Arc<Semaphore>> =
        LazyLock::new(|| Arc::new(Semaphore::new(directory_auth::passwords::at_once())));
    static IN_LINE: AtomicUsize = AtomicUsize::new(0);
    /// Counts one piece of work in line until it is done.
    struct InLine;
    impl Drop for InLine {
        fn drop(&mut self) {
            IN_LINE.fetch_sub(1, Ordering::AcqRel);
        }
    }
    let most = directory_auth::passwords::at_once() * (WAITING_PER_CORE + 1);
    let in_line = InLine;
    if IN_LINE.fetch_add(1, Ordering::AcqRel) >= most {
        return Err(DbError::Busy);
    }
    let failed =
        |e: &dyn std::fmt::Display| DbError::Internal(format!("password work failed: {e}"));
    let permit = RUNNING
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| failed(&e))?;
    // The place in line and the permit go with the work: if the request is
    // dropped while it runs, they are freed when it ends, not before.
    tokio::task::spawn_blocking(move || {
        let _held = (in_line, permit);
        work()
    })
    .await
    .map_err(|e| failed(&e))
}
