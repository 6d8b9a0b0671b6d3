//! SQLite's writes, on one connection and one thread of their own.
//!
//! SQLite takes one writer at a time. With writes spread over the pool,
//! every queued writer held a pooled connection while it waited (readers
//! starved), each write started on a connection whose page cache the last
//! write had made stale (it read its pages again), and every write paid a
//! commit and an FTS5 segment of its own. Here the writes queue in a
//! channel instead; the writer thread takes whatever is waiting (up to
//! [`MAX_GROUP`]) and runs it as one transaction, so 32 concurrent POSTs
//! cost one commit and a warm cache. The search index is written once per
//! group too (see [`SearchIndex`]).
//!
//! A group is all or nothing: if any write in it fails, the group is rolled
//! back and each write runs again in a transaction of its own, so one
//! client's 409 never undoes another's 201, and every result is delivered
//! only after its transaction has committed.

use crate::threads::Ticket;
use crate::{DbConnection, DbError, DbResult};
use std::cell::Cell;
use std::panic::AssertUnwindSafe;
use std::sync::mpsc;

/// The most writes committed together: enough to absorb a burst from every
/// connection a load balancer keeps open, small enough that one group's
/// WAL frames stay a few hundred pages.
pub const MAX_GROUP: usize = 64;

thread_local! {
    /// Set while the writer thread runs a group: the outermost
    /// [`crate::write_transaction`] of each write joins the group's
    /// transaction instead of opening a savepoint (an FTS5 savepoint flushes
    /// a search-index segment, the cost grouping is meant to save).
    static GROUPED: Cell<bool> = const { Cell::new(false) };
    /// A write's transaction failed inside the group: the group must not
    /// commit, even if the caller went on and returned `Ok`.
    static GROUP_SPOILED: Cell<bool> = const { Cell::new(false) };
}

/// Runs `f` as part of the writer's current group if there is one
/// (`None` otherwise: the caller opens its own transaction or savepoint).
#[cfg(feature = "sqlite")]
pub(crate) fn in_group<T, E>(
    conn: &mut DbConnection,
    f: &mut impl FnMut(&mut DbConnection) -> Result<T, E>,
) -> Option<Result<T, E>> {
    if !GROUPED.get() {
        return None;
    }
    // Only the outermost level joins the group; a transaction nested in it
    // gets its savepoint as usual (it may be rolled back on its own).
    // Its audit events join the group's too, written once before the
    // group commits.
    GROUPED.set(false);
    let result = f(conn);
    GROUPED.set(true);
    if result.is_err() {
        GROUP_SPOILED.set(true);
    }
    Some(result)
}

/// A write waiting for the writer thread.
#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
trait Job: Send {
    /// Runs the write; `false` if it failed. The result is kept for
    /// [`Job::finish`].
    fn run(&mut self, conn: &mut DbConnection) -> bool;
    /// Delivers the result once its transaction has ended; a failed commit
    /// fails every write that was in it.
    fn finish(self: Box<Self>, commit: Result<(), &DbError>);
}

#[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
struct Pending<T, F, R> {
    work: F,
    result: Option<DbResult<T>>,
    reply: R,
}

impl<T, F, R> Job for Pending<T, F, R>
where
    T: Send,
    F: FnMut(&mut DbConnection) -> DbResult<T> + Send,
    R: FnOnce(DbResult<T>) + Send,
{
    fn run(&mut self, conn: &mut DbConnection) -> bool {
        let result = std::panic::catch_unwind(AssertUnwindSafe(|| (self.work)(conn)))
            .unwrap_or_else(|_| Err(DbError::Internal("a database write panicked".into())));
        let ok = result.is_ok();
        self.result = Some(result);
        ok
    }

    fn finish(self: Box<Self>, commit: Result<(), &DbError>) {
        let result = match (commit, self.result) {
            (_, Some(Err(error))) => Err(error),
            (Ok(()), Some(Ok(value))) => Ok(value),
            (Err(error), Some(Ok(_))) => Err(same_error(error)),
            (_, None) => Err(DbError::Internal("a queued write never ran".into())),
        };
        (self.reply)(result)
    }
}

/// A copy of a begin or commit failure for each write of the group.
fn same_error(error: &DbError) -> DbError {
    match error {
        DbError::Unavailable(message) => DbError::Unavailable(message.clone()),
        DbError::Transient(message) => DbError::Transient(message.clone()),
        other => DbError::Internal(other.to_string()),
    }
}

/// The queue to a SQLite database's writer thread. Clones share the thread;
/// it ends when the last clone is dropped.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<(Ticket, Box<dyn Job>)>,
}

impl std::fmt::Debug for Writer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Writer")
    }
}

impl Writer {
    /// A writer for a SQLite database file; `None` for PostgreSQL and MySQL
    /// (their writers do not exclude each other, the pool serves them) and
    /// for `:memory:` (a second connection would be another database).
    pub fn for_url(url: &str) -> DbResult<Option<Self>> {
        if crate::Backend::from_url(url)? != crate::Backend::Sqlite || url.contains(":memory:") {
            return Ok(None);
        }
        Self::start(url).map(Some)
    }

    #[cfg(not(feature = "sqlite"))]
    fn start(_url: &str) -> DbResult<Self> {
        Err(DbError::Config(
            "SQLite is not built in: rebuild with --features sqlite".into(),
        ))
    }

    #[cfg(feature = "sqlite")]
    fn start(url: &str) -> DbResult<Self> {
        use diesel::connection::SimpleConnection;
        let mut conn = DbConnection::open(url)?;
        // Checkpoints run on a thread of their own (see `checkpoints`).
        conn.batch_execute("PRAGMA wal_autocheckpoint = 0")?;
        let search = SearchIndex::of(&mut conn)?;
        let checkpointer = DbConnection::open(url)?;
        let (wrote, written) = mpsc::sync_channel(1);
        std::thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoints(checkpointer, written))
            .map_err(|e| DbError::Internal(format!("cannot start the checkpoint thread: {e}")))?;
        let (queue, waiting) = mpsc::channel();
        std::thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || serve(conn, search, waiting, wrote))
            .map_err(|e| DbError::Internal(format!("cannot start the writer thread: {e}")))?;
        Ok(Self { queue })
    }

    /// Queues `work`; `reply` gets its result once it has committed (or
    /// failed). `work` may run twice (see the module documentation), each
    /// time from the start and with the first run's changes rolled back.
    /// If `ticket` is abandoned before the writer takes it, it never runs
    /// and `reply` is dropped unanswered.
    pub fn submit<T, F, R>(&self, ticket: Ticket, work: F, reply: R)
    where
        T: Send + 'static,
        F: FnMut(&mut DbConnection) -> DbResult<T> + Send + 'static,
        R: FnOnce(DbResult<T>) + Send + 'static,
    {
        let job = Box::new(Pending {
            work,
            result: None,
            reply,
        });
        if let Err(mpsc::SendError((_, job))) = self.queue.send((ticket, job)) {
            job.finish(Err(&DbError::Unavailable("the writer has stopped".into())));
        }
    }
}

#[cfg(feature = "sqlite")]
fn serve(
    mut conn: DbConnection,
    search: SearchIndex,
    waiting: mpsc::Receiver<(Ticket, Box<dyn Job>)>,
    wrote: mpsc::SyncSender<()>,
) {
    while let Ok(first) = waiting.recv() {
        let mut group = Vec::with_capacity(MAX_GROUP);
        let mut next = Some(first);
        while let Some((ticket, job)) = next.take() {
            // A write whose caller gave up waiting (and answered 503) is
            // dropped unrun.
            if ticket.start() {
                group.push(job);
            }
            if group.len() < MAX_GROUP {
                next = waiting.try_recv().ok();
            }
        }
        if group.is_empty() {
            continue;
        }
        run_group(&mut conn, search, group);
        // Full means a checkpoint is already due.
        let _ = wrote.try_send(());
    }
}

/// How long the checkpoint thread lets writes gather after it hears of one.
#[cfg(feature = "sqlite")]
const CHECKPOINT_DELAY: std::time::Duration = std::time::Duration::from_millis(250);

/// Copies the WAL back into the database file, off the writer's path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses 1,000
/// WAL pages, on the committing thread: the writer thread stopped for the
/// copy and its `fsync` (perf under 32 concurrent POSTs: 16% of the
/// writer's time, and waits on the disk besides). Here a thread of its own
/// runs a PASSIVE checkpoint (it never blocks the writer or readers) a
/// moment after writes, and sleeps while none come. Connections of the
/// pool keep the automatic checkpoint for the few writes they make.
#[cfg(feature = "sqlite")]
fn checkpoints(mut conn: DbConnection, written: mpsc::Receiver<()>) {
    use diesel::connection::SimpleConnection;
    // Ends with the writer thread (the sender's only holder).
    while written.recv().is_ok() {
        std::thread::sleep(CHECKPOINT_DELAY);
        // The writes since the sleep began are in this checkpoint too.
        let _ = written.try_recv();
        if let Err(error) = conn.batch_execute("PRAGMA wal_checkpoint(PASSIVE)") {
            tracing::warn!(%error, "a WAL checkpoint failed; the next write retries it");
        }
    }
}

#[cfg(feature = "sqlite")]
fn run_group(conn: &mut DbConnection, search: SearchIndex, mut group: Vec<Box<dyn Job>>) {
    if group.len() > 1 {
        match together(conn, search, &mut group) {
            Ok(true) => {
                for job in group {
                    job.finish(Ok(()));
                }
                return;
            }
            // One failed and all were rolled back: each on its own below.
            Ok(false) => {}
            Err(error) => {
                tracing::warn!(%error, writes = group.len(), "a group of writes failed to commit");
                for job in group {
                    job.finish(Err(&error));
                }
                return;
            }
        }
    }
    for mut job in group {
        // The write opens and commits its own transaction, as on a pooled
        // connection.
        // (After a panic its transaction may still be open.)
        job.run(conn);
        if let Err(error) = crate::rollback(conn) {
            tracing::error!(%error, "cannot roll back a failed write");
        }
        job.finish(Ok(()));
    }
}

/// Says, when dropped, if the group was slow (however it ended).
#[cfg(feature = "sqlite")]
struct SayIfSlow {
    started: std::time::Instant,
    waited: std::time::Duration,
    writes: usize,
}

#[cfg(feature = "sqlite")]
impl Drop for SayIfSlow {
    fn drop(&mut self) {
        let took = self.started.elapsed();
        if took >= crate::SLOW_WORK {
            let what = format!("a group of {} SQLite writes", self.writes);
            crate::say_if_slow(&what, self.waited, took);
        }
    }
}

/// Runs every write of the group in one transaction: `Ok(true)` committed,
/// `Ok(false)` one failed and the group was rolled back.
#[cfg(feature = "sqlite")]
fn together(
    conn: &mut DbConnection,
    search: SearchIndex,
    group: &mut [Box<dyn Job>],
) -> DbResult<bool> {
    let started = std::time::Instant::now();
    let _writer = crate::sqlite_writer_lock();
    crate::begin_immediate(conn)?;
    let waited = started.elapsed();
    let _slow = SayIfSlow {
        started,
        waited,
        writes: group.len(),
    };
    if let Err(error) = search.defer(conn) {
        crate::rollback(conn)?;
        return Err(error);
    }
    GROUPED.set(true);
    GROUP_SPOILED.set(false);
    // One buffer of audit events for the whole group, written by one
    // flush: one block of ids and one multi-row insert per commit.
    let events = crate::audit::open();
    let all_ok = group
        .iter_mut()
        .all(|job| job.run(conn) && !GROUP_SPOILED.get());
    GROUPED.set(false);
    if !all_ok {
        drop(events);
        crate::rollback(conn)?;
        return Ok(false);
    }
    let written = search
        .catch_up(conn)
        .and_then(|()| crate::audit::flush(conn))
        .and_then(|()| crate::commit(conn));
    drop(events);
    match written {
        Ok(()) => {
            crate::audit::announce();
            Ok(true)
        }
        Err(error) => {
            crate::rollback(conn)?;
            Err(error)
        }
    }
}

/// How much memory a bulk write may spend to go faster on SQLite (other
/// backends keep their own caches).
#[derive(Debug, Clone, Copy)]
pub struct Bulk {
    /// The page cache for the write (a connection keeps 1 MiB): the index
    /// pages a bulk insert touches all over the file stay in memory rather
    /// than being spilled to the WAL and read back. 32 MiB took a
    /// 100,000-row import from 15,146 to 18,456 rows/s; 192 MiB a
    /// million-row load from 57.7 to 49.8 s.
    pub page_cache_mib: u32,
    /// FTS5's in-memory buffer for the search indexes while they catch up
    /// (its default is 1 MiB): each time it fills it is written out as a
    /// segment that later merges rewrite. 32 MiB built a million rows'
    /// trigram index in 5.4 s against 8.7 s (a test outside the server).
    pub search_buffer_mib: u32,
}

impl Bulk {
    /// A file imported by the server, whose memory it shares with every
    /// request (the import's target is 256 MB in all).
    pub const IMPORT: Self = Self {
        page_cache_mib: 32,
        search_buffer_mib: 1,
    };
    /// A load from the command line, with the process to itself (its
    /// target is 256 MB too).
    pub const LOAD: Self = Self {
        page_cache_mib: 160,
        search_buffer_mib: 16,
    };
}

/// Runs a bulk write (an import or a load of thousands of staff) inside the
/// caller's write transaction, the way each backend takes one best.
///
/// SQLite: a larger page cache and search buffer ([`Bulk`]), and the search
/// indexes written by one statement at the end, as for a group. With the
/// triggers indexing each 500-row INSERT, the FTS5 segments and their
/// merges were a third of a 100,000-row import.
///
/// PostgreSQL: no sequential scans until the commit. Its statistics do not
/// count the rows the transaction has added, so as the table grew under a
/// load it kept reading each chunk back through a scan of the whole table
/// (a million-row load: 62 µs a row at 300,000 rows and rising; by index,
/// 9 µs). Then the load's tables are analysed before the commit.
/// MariaDB runs `f` as it is: InnoDB recomputes a table's statistics
/// itself once a tenth of it has changed.
pub fn bulk_write<T, E: From<DbError>>(
    conn: &mut DbConnection,
    bulk: Bulk,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, E> {
    #[cfg(feature = "sqlite")]
    if matches!(conn.backend(), crate::Backend::Sqlite) {
        return crate::connection::with_page_cache(conn, bulk.page_cache_mib, |conn| {
            let search = SearchIndex::of(conn)?;
            // A group this write joined has marked the transaction already
            // and catches up at its end.
            if !search.defer_unless_deferred(conn)? {
                return f(conn);
            }
            let value = f(conn)?;
            search.buffer(conn, bulk.search_buffer_mib)?;
            search.catch_up(conn)?;
            search.buffer(conn, 1)?;
            Ok(value)
        });
    }
    let _ = bulk;
    if matches!(conn.backend(), crate::Backend::Postgres) {
        use diesel::RunQueryDsl;
        diesel::sql_query("SET LOCAL enable_seqscan = off")
            .execute(conn)
            .map_err(DbError::from)?;
        let value = f(conn)?;
        // The planner's statistics come from autovacuum, a minute or more
        // after the commit (never where it is off): until then every list
        // is planned for the table as it was before the load (a page of
        // 100 staff after a 10,000-staff load: 1.9 ms of the database's
        // CPU a page). ANALYZE in the transaction counts the rows it added
        // and samples 30,000 rows whatever the table's size.
        diesel::sql_query("ANALYZE staff, audit_events")
            .execute(conn)
            .map_err(DbError::from)?;
        return Ok(value);
    }
    f(conn)
}

/// Whether the database's search triggers can wait for the end of a group
/// (migration 000011); on an older schema every write indexes at once.
///
/// Inside a transaction, every statement that writes staff opens a
/// statement savepoint, and FTS5 writes out its in-memory index at each
/// one: a group of 64 POSTs made 64 search-index segments, and merging them
/// was a third of the writer's time (perf). With the mark set, the triggers
/// only list the staff that changed, and [`SearchIndex::catch_up`] indexes
/// them with one statement: one segment a group.
#[cfg(feature = "sqlite")]
#[derive(Clone, Copy)]
struct SearchIndex {
    deferrable: bool,
    /// The name-words index (migration 000015) exists: caught up too.
    words: bool,
}

#[cfg(feature = "sqlite")]
impl SearchIndex {
    fn of(conn: &mut DbConnection) -> DbResult<Self> {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Found {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            tables: i64,
        }
        let mut exists = |name: &str| -> DbResult<bool> {
            let found: Found = diesel::sql_query(
                "SELECT count(*) AS tables FROM sqlite_master WHERE type = 'table' AND name = ?",
            )
            .bind::<diesel::sql_types::Text, _>(name)
            .get_result(conn)?;
            Ok(found.tables > 0)
        };
        Ok(Self {
            deferrable: exists("staff_search_deferred")?,
            words: exists("staff_name_words")?,
        })
    }

    /// Marks this transaction: the triggers list changed staff instead of
    /// indexing them. The mark never commits ([`SearchIndex::catch_up`]
    /// removes it), so no other connection sees it.
    fn defer(self, conn: &mut DbConnection) -> DbResult<()> {
        use diesel::RunQueryDsl;
        if self.deferrable {
            diesel::sql_query("INSERT INTO staff_search_deferred (marked) VALUES (1)")
                .execute(conn)?;
        }
        Ok(())
    }

    /// Sets FTS5's in-memory buffer (`hashsize`) of the search indexes. It
    /// is stored with the index, so a bulk write puts the default (1 MiB)
    /// back before it commits.
    fn buffer(self, conn: &mut DbConnection, mib: u32) -> DbResult<()> {
        use diesel::RunQueryDsl;
        let bytes = u64::from(mib) * 1024 * 1024;
        let mut tables = vec!["staff_search"];
        if self.words {
            tables.push("staff_name_words");
        }
        for table in tables {
            diesel::sql_query(format!(
                "INSERT INTO {table} ({table}, rank) VALUES ('hashsize', {bytes})"
            ))
            .execute(conn)?;
        }
        Ok(())
    }

    /// [`SearchIndex::defer`] unless the transaction is marked already:
    /// whether this call marked it (and so must catch up).
    fn defer_unless_deferred(self, conn: &mut DbConnection) -> DbResult<bool> {
        use diesel::RunQueryDsl;
        if !self.deferrable {
            return Ok(false);
        }
        let marked =
            diesel::sql_query("INSERT OR IGNORE INTO staff_search_deferred (marked) VALUES (1)")
                .execute(conn)?;
        Ok(marked == 1)
    }

    /// Indexes the staff the group changed (as the triggers would have,
    /// with the same text) and removes the mark.
    fn catch_up(self, conn: &mut DbConnection) -> DbResult<()> {
        use diesel::RunQueryDsl;
        if !self.deferrable {
            return Ok(());
        }
        if self.words {
            for statement in [
                "DELETE FROM staff_name_words WHERE rowid IN (SELECT staff_id FROM staff_search_pending)",
                "INSERT INTO staff_name_words (rowid, full_name) SELECT id, full_name FROM staff \
                 WHERE id IN (SELECT staff_id FROM staff_search_pending)",
            ] {
                diesel::sql_query(statement).execute(conn)?;
            }
        }
        for statement in [
            "DELETE FROM staff_search WHERE rowid IN (SELECT staff_id FROM staff_search_pending)",
            "INSERT INTO staff_search (rowid, search_text) \
             SELECT id, full_name || char(10) || email || char(10) || employee_id FROM staff \
             WHERE id IN (SELECT staff_id FROM staff_search_pending)",
            "DELETE FROM staff_search_pending",
            "DELETE FROM staff_search_deferred",
        ] {
            diesel::sql_query(statement).execute(conn)?;
        }
        Ok(())
    }
}
