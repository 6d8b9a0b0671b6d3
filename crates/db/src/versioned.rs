//! The one path every change to a versioned row takes: the update and the
//! delete of departments, units, cadres, designations, staff, roles,
//! accounts, buildings, floors and operating theatres. Each reads the row
//! (404 if it is gone), checks the client's If-Match (412 if it names
//! another version), and writes under the version condition, so a
//! concurrent change between the read and the write is a 412 too, never a
//! lost update. Every change to the directory passes here, inside its
//! transaction: this is where the audit trail hooks in.

use crate::{DbConnection, DbResult, check_version, stale};

/// The row a change is to, as errors name it, and the version the client
/// named in If-Match (`None`: whatever the version).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub entity: &'static str,
    pub id: i32,
    pub expected: Option<i32>,
}

impl Target {
    pub(crate) fn new(entity: &'static str, id: i32, expected: Option<i32>) -> Self {
        Self {
            entity,
            id,
            expected,
        }
    }
}

/// Updates the row read at version `current`: 412 if If-Match names another
/// version; else `write` (the checks the change needs, then the UPDATE with
/// `version_is(.., current)` in its filter) runs and returns the rows it
/// changed, and none means a concurrent change came between (412 with the
/// version `reread` finds). Call it inside the transaction.
pub(crate) fn update(
    conn: &mut DbConnection,
    target: Target,
    current: i32,
    write: impl FnOnce(&mut DbConnection) -> DbResult<usize>,
    reread: impl FnOnce(&mut DbConnection) -> DbResult<i32>,
) -> DbResult<()> {
    check_version(target.entity, target.id, current, target.expected)?;
    if write(conn)? == 0 {
        return Err(stale(target.entity, target.id, reread(conn)?));
    }
    Ok(())
}

/// Deletes the row read at version `current`: 412 if If-Match names another
/// version; else `delete` (the refusal while something still refers to the
/// row, then the DELETE) runs. Call it inside the transaction.
pub(crate) fn delete(
    conn: &mut DbConnection,
    target: Target,
    current: i32,
    delete: impl FnOnce(&mut DbConnection) -> DbResult<usize>,
) -> DbResult<()> {
    check_version(target.entity, target.id, current, target.expected)?;
    delete(conn)?;
    Ok(())
}

/// The audit columns every update sets: when, who, and the next version.
macro_rules! touched {
    ($table:ident, $actor:expr) => {
        (
            $table::updated_at.eq($crate::now()),
            $table::updated_by.eq($actor.map(|a| a.0)),
            $table::version.eq($table::version + 1),
        )
    };
}
pub(crate) use touched;
