//! The threads that run database work: one per pooled connection, taking
//! work in the order it arrived.
//!
//! On tokio's blocking pool, database work shared its threads with password
//! checks, so the pool needed more threads than connections, and the extra
//! ones waited inside r2d2. A thread that returned its connection took the
//! next job and asked again at once, ahead of the thread r2d2 had just woken
//! (which went back to the end of the line): on two cores and 256 clients,
//! page reads lost 10-20% of their throughput to those hand-offs and some
//! requests waited far longer than the rest. Here each thread asks the pool
//! only when it has a job and there are no more threads than connections,
//! so r2d2 never makes anyone wait (and still checks, replaces and times out
//! connections as before), and the queue in front is first come, first
//! served.
//!
//! The queue is bounded in time, not length: each job carries a
//! [`Ticket`], and the caller gives up on a job that has not started within
//! its wait (the server answers 503) or when the request goes, so a job
//! runs entirely or not at all and what is queued is only what requests
//! still wait for. While
//! [`Health`] says the database is unreachable, jobs fail at once instead
//! of each waiting for a connection that cannot come.

use crate::health::Health;
use crate::{DbError, Pool, PooledConnection};
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, Ordering};

/// Database work: gets a connection from the pool (or the reason there is
/// none) and delivers its own result.
type Job = Box<dyn FnOnce(Result<&mut PooledConnection, DbError>) + Send>;

/// Whether queued work may still start. The thread that takes it claims
/// it ([`Ticket::start`]); the caller whose wait is over gives it up
/// ([`Ticket::abandon`]); whichever comes first wins, so work either runs
/// to its end or never starts.
#[derive(Debug, Clone, Default)]
pub struct Ticket(Arc<AtomicU8>);

impl Ticket {
    const QUEUED: u8 = 0;
    const STARTED: u8 = 1;
    const ABANDONED: u8 = 2;

    /// Claims the work for the thread about to run it; false if its caller
    /// has given up on it.
    pub fn start(&self) -> bool {
        self.0
            .compare_exchange(
                Self::QUEUED,
                Self::STARTED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }

    /// Gives up on work that has not started; false if it has (the caller
    /// then waits for its result).
    pub fn abandon(&self) -> bool {
        self.0
            .compare_exchange(
                Self::QUEUED,
                Self::ABANDONED,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}

/// A handle to the database threads; clones share them. The threads end
/// when the last handle is dropped and the queue is empty.
#[derive(Clone)]
pub struct DbThreads {
    queue: crossbeam_channel::Sender<(Ticket, Job)>,
    health: Option<Health>,
}

impl DbThreads {
    /// Starts one thread for each connection `pool` may hold; with
    /// `health`, work fails at once while it says the database is down.
    pub fn start(pool: &Pool, health: Option<Health>) -> std::io::Result<Self> {
        let (queue, jobs) = crossbeam_channel::unbounded::<(Ticket, Job)>();
        for n in 0..pool.max_size() {
            let jobs = jobs.clone();
            let pool = pool.clone();
            let health = health.clone();
            std::thread::Builder::new()
                .name(format!("db-{n}"))
                .spawn(move || work(&pool, &jobs, health.as_ref()))?;
        }
        Ok(Self { queue, health })
    }

    /// The health thread's view, if there is one.
    pub fn health(&self) -> Option<&Health> {
        self.health.as_ref()
    }

    /// Queues `job`; it runs on a database thread with a pooled connection
    /// unless `ticket` is abandoned first. If the job panics, its
    /// connection is discarded and its result never delivered (the caller
    /// sees its reply channel closed).
    pub fn submit(
        &self,
        ticket: Ticket,
        job: impl FnOnce(Result<&mut PooledConnection, DbError>) + Send + 'static,
    ) {
        // The receiver lives as long as any thread does, and threads only
        // stop once every sender is gone, so this cannot fail while `self`
        // exists; a job sent to no one would just be dropped, closing its
        // reply channel.
        let _ = self.queue.send((ticket, Box::new(job)));
    }
}

fn work(pool: &Pool, jobs: &crossbeam_channel::Receiver<(Ticket, Job)>, health: Option<&Health>) {
    // Every idle thread waits on the channel itself, which wakes one of
    // them per job and keeps the jobs in order. (A std receiver behind a
    // mutex woke two threads per job, the one holding the lock and the
    // next in line for it.)
    while let Ok((ticket, job)) = jobs.recv() {
        if !ticket.start() {
            // Its caller has answered 503 already.
            continue;
        }
        if health.is_some_and(Health::is_down) {
            job(Err(DbError::Unavailable(
                "the database does not answer".into(),
            )));
            continue;
        }
        // The connection is taken inside the unwind guard, so a panicking
        // job drops it while panicking and r2d2 discards it as broken.
        let started = std::time::Instant::now();
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| match pool.get() {
            Ok(mut conn) => {
                let connected = started.elapsed();
                job(Ok(&mut conn));
                crate::say_if_slow("pooled", connected, started.elapsed());
            }
            Err(e) => {
                let cause = e.to_string();
                // r2d2 names the last failed attempt to connect, if any; a
                // wait that only found every connection in use (the
                // sweeper holding one) is no sign of an outage.
                if let Some(health) = health
                    && cause.contains("timed out waiting for connection: ")
                {
                    health.report_unreachable(&cause);
                }
                job(Err(DbError::Unavailable(cause)))
            }
        }));
    }
}
