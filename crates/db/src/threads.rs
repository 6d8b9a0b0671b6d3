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

use crate::{DbError, Pool, PooledConnection};
use std::panic::AssertUnwindSafe;

/// Database work: gets a connection from the pool (or the reason there is
/// none) and delivers its own result.
type Job = Box<dyn FnOnce(Result<&mut PooledConnection, DbError>) + Send>;

/// A handle to the database threads; clones share them. The threads end
/// when the last handle is dropped and the queue is empty.
#[derive(Clone)]
pub struct DbThreads {
    queue: crossbeam_channel::Sender<Job>,
}

impl DbThreads {
    /// Starts one thread for each connection `pool` may hold.
    pub fn start(pool: &Pool) -> std::io::Result<Self> {
        let (queue, jobs) = crossbeam_channel::unbounded::<Job>();
        for n in 0..pool.max_size() {
            let jobs = jobs.clone();
            let pool = pool.clone();
            std::thread::Builder::new()
                .name(format!("db-{n}"))
                .spawn(move || work(&pool, &jobs))?;
        }
        Ok(Self { queue })
    }

    /// Queues `job`; it runs on a database thread with a pooled connection.
    /// If the job panics, its connection is discarded and its result never
    /// delivered (the caller sees its reply channel closed).
    pub fn submit(
        &self,
        job: impl FnOnce(Result<&mut PooledConnection, DbError>) + Send + 'static,
    ) {
        // The receiver lives as long as any thread does, and threads only
        // stop once every sender is gone, so this cannot fail while `self`
        // exists; a job sent to no one would just be dropped, closing its
        // reply channel.
        let _ = self.queue.send(Box::new(job));
    }
}

fn work(pool: &Pool, jobs: &crossbeam_channel::Receiver<Job>) {
    // Every idle thread waits on the channel itself, which wakes one of
    // them per job and keeps the jobs in order. (A std receiver behind a
    // mutex woke two threads per job, the one holding the lock and the
    // next in line for it.)
    while let Ok(job) = jobs.recv() {
        // The connection is taken inside the unwind guard, so a panicking
        // job drops it while panicking and r2d2 discards it as broken.
        let _ = std::panic::catch_unwind(AssertUnwindSafe(|| match pool.get() {
            Ok(mut conn) => job(Ok(&mut conn)),
            Err(e) => job(Err(DbError::Unavailable(e.to_string()))),
        }));
    }
}
