//! The totals of list queries, remembered until the directory changes.
//!
//! A list answers `total`, the count of every match, with each page. A
//! count visits every matching index entry, so with a million staff it
//! costs more than the page itself (7.5 ms for the whole table on SQLite,
//! against well under a millisecond for a page after an id). Every change
//! takes its audit ids from the one row of `audit_sequence` in its own
//! transaction, so that row's `last_id` names the state of the directory:
//! a total counted when it read `n` holds for as long as it still reads
//! `n`, in this process or any other on the same database. Reading it is
//! one primary-key lookup.
//!
//! The version is read before the count, so a change that commits between
//! the two can only make a remembered total newer than its version, never
//! older than a later one. Entries also expire after [`Counts::FRESH_FOR`],
//! which bounds what a change made outside the server (a restore, SQL by
//! hand) can leave stale.

use crate::schema::audit_sequence;
use crate::{DbConnection, DbResult};
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Remembered totals by query, each with the directory version it was
/// counted at. One per server process, shared by its database threads.
#[derive(Debug)]
pub struct Counts {
    entries: Option<Mutex<HashMap<String, Counted>>>,
}

#[derive(Debug, Clone, Copy)]
struct Counted {
    version: i64,
    total: i64,
    at: Instant,
}

impl Default for Counts {
    fn default() -> Self {
        Self {
            entries: Some(Mutex::default()),
        }
    }
}

impl Counts {
    /// How long a total is trusted without a change through the server.
    pub const FRESH_FOR: Duration = Duration::from_secs(60);
    /// Distinct queries remembered; past it, the oldest versions go first.
    const MAX_ENTRIES: usize = 1_024;

    /// Counts every time (no version read): for callers that list once,
    /// such as tools and tests of the counts themselves.
    pub const fn none() -> Self {
        Self { entries: None }
    }

    /// The total for `key` (which must name everything the count depends
    /// on), from memory when the directory has not changed since it was
    /// counted, else from `count`.
    pub fn total(
        &self,
        conn: &mut DbConnection,
        key: impl FnOnce() -> String,
        count: impl FnOnce(&mut DbConnection) -> QueryResult<i64>,
    ) -> DbResult<i64> {
        let Some(entries) = &self.entries else {
            return Ok(count(conn)?);
        };
        let version = version(conn)?;
        let key = key();
        if let Some(total) = entries.lock().ok().and_then(|entries| {
            entries
                .get(&key)
                .filter(|c| c.version == version && c.at.elapsed() < Self::FRESH_FOR)
                .map(|c| c.total)
        }) {
            return Ok(total);
        }
        let total = count(conn)?;
        if let Ok(mut entries) = entries.lock() {
            if entries.len() >= Self::MAX_ENTRIES && !entries.contains_key(&key) {
                entries.retain(|_, c| c.version == version && c.at.elapsed() < Self::FRESH_FOR);
                if entries.len() >= Self::MAX_ENTRIES {
                    entries.clear();
                }
            }
            let counted = Counted {
                version,
                total,
                at: Instant::now(),
            };
            // A slower reader that counted an older version must not
            // replace a newer total.
            entries
                .entry(key)
                .and_modify(|c| {
                    if c.version <= version {
                        *c = counted;
                    }
                })
                .or_insert(counted);
        }
        Ok(total)
    }
}

/// The directory's version: the last audit id handed out.
fn version(conn: &mut DbConnection) -> DbResult<i64> {
    Ok(audit_sequence::table
        .find(1)
        .select(audit_sequence::last_id)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}
