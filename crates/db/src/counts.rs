//! The totals of list queries, and the names their staff rows embed,
//! remembered until the directory changes.
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
//!
//! The names (of departments, units, designations and cadres: a few hundred
//! rows in a hospital) are kept the same way, so that a page of staff on
//! PostgreSQL or MariaDB reads `staff` alone: the four joins were half of
//! PostgreSQL's work on a page of 100. A row that names something newer than
//! the names held sends its page back to the joined statement.

use crate::schema::{audit_sequence, cadres, departments, designations, units};
use crate::{DbConnection, DbResult};
use diesel::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Remembered totals by query, each with the directory version it was
/// counted at, and the names at the newest version read. One per server
/// process, shared by its database threads.
#[derive(Debug)]
pub struct Counts {
    memory: Option<Memory>,
}

#[derive(Debug, Default)]
struct Memory {
    totals: Mutex<HashMap<String, Counted>>,
    names: Mutex<Option<Read<Arc<Names>>>>,
}

/// A value with the directory version it was read at, and when.
#[derive(Debug, Clone)]
struct Read<T> {
    version: i64,
    value: T,
    at: Instant,
}

/// The names a staff member's JSON embeds, by id.
#[derive(Debug, Default)]
pub struct Names {
    pub(crate) departments: HashMap<i32, String>,
    pub(crate) units: HashMap<i32, String>,
    /// The designation's name and its cadre.
    pub(crate) designations: HashMap<i32, (String, i32)>,
    pub(crate) cadres: HashMap<i32, String>,
}

impl Names {
    /// Every name, as the database holds them now.
    pub(crate) fn load(conn: &mut DbConnection) -> DbResult<Self> {
        let departments = departments::table
            .select((departments::id, departments::name))
            .load::<(i32, String)>(conn)?;
        let units = units::table
            .select((units::id, units::name))
            .load::<(i32, String)>(conn)?;
        let designations = designations::table
            .select((designations::id, designations::name, designations::cadre_id))
            .load::<(i32, String, i32)>(conn)?;
        let cadres = cadres::table
            .select((cadres::id, cadres::name))
            .load::<(i32, String)>(conn)?;
        Ok(Self {
            departments: departments.into_iter().collect(),
            units: units.into_iter().collect(),
            designations: designations
                .into_iter()
                .map(|(id, name, cadre)| (id, (name, cadre)))
                .collect(),
            cadres: cadres.into_iter().collect(),
        })
    }
}

type Counted = Read<i64>;

impl Default for Counts {
    fn default() -> Self {
        Self {
            memory: Some(Memory::default()),
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
        Self { memory: None }
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
        let Some(memory) = &self.memory else {
            return Ok(count(conn)?);
        };
        let version = version(conn)?;
        memory.total(conn, version, key, count)
    }

    /// The total for `key`, as [`Counts::total`], and the names, both for
    /// one read of the directory's version.
    pub fn total_and_names(
        &self,
        conn: &mut DbConnection,
        key: impl FnOnce() -> String,
        count: impl FnOnce(&mut DbConnection) -> QueryResult<i64>,
    ) -> DbResult<(i64, Arc<Names>)> {
        let Some(memory) = &self.memory else {
            return Ok((count(conn)?, Arc::new(Names::load(conn)?)));
        };
        let version = version(conn)?;
        let total = memory.total(conn, version, key, count)?;
        Ok((total, memory.names(conn, version)?))
    }

    /// The names as they are at `version` (read by the caller, before the
    /// rows they will name), from memory when read at that version.
    pub fn names(&self, conn: &mut DbConnection, version: i64) -> DbResult<Arc<Names>> {
        match &self.memory {
            Some(memory) => memory.names(conn, version),
            None => Ok(Arc::new(Names::load(conn)?)),
        }
    }
}

impl Memory {
    fn total(
        &self,
        conn: &mut DbConnection,
        version: i64,
        key: impl FnOnce() -> String,
        count: impl FnOnce(&mut DbConnection) -> QueryResult<i64>,
    ) -> DbResult<i64> {
        let key = key();
        if let Some(total) = self.totals.lock().ok().and_then(|totals| {
            totals
                .get(&key)
                .filter(|c| c.holds_at(version))
                .map(|c| c.value)
        }) {
            return Ok(total);
        }
        let total = count(conn)?;
        if let Ok(mut totals) = self.totals.lock() {
            if totals.len() >= Counts::MAX_ENTRIES && !totals.contains_key(&key) {
                totals.retain(|_, c| c.holds_at(version));
                if totals.len() >= Counts::MAX_ENTRIES {
                    totals.clear();
                }
            }
            let counted = Read::new(version, total);
            // A slower reader that counted an older version must not
            // replace a newer total.
            totals
                .entry(key)
                .and_modify(|c| {
                    if c.version <= version {
                        *c = counted.clone();
                    }
                })
                .or_insert(counted);
        }
        Ok(total)
    }

    fn names(&self, conn: &mut DbConnection, version: i64) -> DbResult<Arc<Names>> {
        let held = self.names.lock().ok().and_then(|names| {
            names
                .as_ref()
                .filter(|n| n.holds_at(version))
                .map(|n| n.value.clone())
        });
        if let Some(names) = held {
            return Ok(names);
        }
        let names = Arc::new(Names::load(conn)?);
        if let Ok(mut held) = self.names.lock()
            && held.as_ref().is_none_or(|n| n.version <= version)
        {
            *held = Some(Read::new(version, names.clone()));
        }
        Ok(names)
    }
}

impl<T> Read<T> {
    fn new(version: i64, value: T) -> Self {
        Self {
            version,
            value,
            at: Instant::now(),
        }
    }

    fn holds_at(&self, version: i64) -> bool {
        self.version == version && self.at.elapsed() < Counts::FRESH_FOR
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
