//! The one path every change to a versioned row takes: the update and the
//! delete of departments, units, cadres, designations, staff, roles,
//! accounts, buildings, floors and operating theatres. Each reads the row
//! (404 if it is gone), checks the client's If-Match (412 if it names
//! another version), and writes under the version condition, so a
//! concurrent change between the read and the write is a 412 too, never a
//! lost update. Every change to a versioned record passes here, inside its
//! transaction, with the record before and after: this is where the audit
//! trail records it (creates pass through [`create`]).

use crate::audit::Event;
use crate::schema;
use crate::stamp::Stamp;
use crate::{Actor, DbConnection, DbResult, check_version, stale, utc};
use chrono::NaiveDateTime;
use diesel::Selectable;
use diesel::backend::Backend;
use diesel::deserialize::{self, FromStaticSqlRow, Queryable};
use diesel::expression::Expression;
use diesel::sql_types::{Integer, Nullable, Timestamp};
use directory_domain::{AccountId, Audit, AuditAction, AuditEntity};
use serde::Serialize;
use std::marker::PhantomData;

/// The row a change is to, as errors name it, the version the client
/// named in If-Match (`None`: whatever the version), who is changing it,
/// and what the audit trail is to call the change.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Target {
    pub entity: &'static str,
    pub id: i32,
    pub expected: Option<i32>,
    pub actor: Actor,
    pub action: AuditAction,
}

impl Target {
    /// An update by `actor` (a delete when passed to [`delete`]).
    pub(crate) fn new(entity: &'static str, id: i32, expected: Option<i32>, actor: Actor) -> Self {
        Self {
            entity,
            id,
            expected,
            actor,
            action: AuditAction::Update,
        }
    }

    /// The same change, recorded as `action` (deactivate, password, ...).
    pub(crate) fn recorded_as(self, action: AuditAction) -> Self {
        Self { action, ..self }
    }
}

/// A record as the API returns it, with the version If-Match names, and
/// the entity the audit trail files it under.
pub(crate) trait Versioned: Serialize {
    const ENTITY: AuditEntity;
    fn id(&self) -> i32;
    fn audit(&self) -> &Audit;
    fn version(&self) -> i32 {
        self.audit().version
    }
}

macro_rules! versioned_records {
    ($($record:ident => $entity:ident);+ $(;)?) => {
        $(
            impl Versioned for directory_domain::$record {
                const ENTITY: AuditEntity = AuditEntity::$entity;
                fn id(&self) -> i32 {
                    self.id.0
                }
                fn audit(&self) -> &Audit {
                    &self.audit
                }
            }
        )+
    };
}

versioned_records!(
    Department => Departments;
    Unit => Units;
    Cadre => Cadres;
    Designation => Designations;
    Staff => Staff;
    Role => Roles;
    Account => Accounts;
    Building => Buildings;
    Floor => Floors;
    OperatingTheatre => OperatingTheatres;
);

/// Creates a record in one transaction: `insert` writes it and reads it
/// back as the API shows it; the trail records it as created by `actor`.
pub(crate) fn create<T: Versioned>(
    conn: &mut DbConnection,
    actor: Actor,
    mut insert: impl FnMut(&mut DbConnection) -> DbResult<T>,
) -> DbResult<T> {
    crate::write_transaction(conn, |conn| {
        let created = insert(conn)?;
        created_event(&created, actor)?.record()?;
        Ok(created)
    })
}

/// The event of a record's creation (also the first event of a row that
/// was there before the trail).
pub(crate) fn created_event<T: Versioned>(created: &T, actor: Actor) -> DbResult<Event> {
    Event::new(T::ENTITY, created.id(), AuditAction::Create, actor)
        .at(created.audit().updated_at.naive_utc())
        .version(created.version())
        .after(created)
}

/// Changes a record in one transaction: `read` finds it (404 if it is
/// gone), If-Match is checked against its version (412 if it names
/// another), `write` makes the change from the record as it was (the checks
/// the change needs, then the UPDATE with `version_is(.., version)` in its
/// filter) and returns the rows it changed, where none means a concurrent
/// change came between (412 with the version now stored); the answer is the
/// record as `read` finds it after. The trail records it, before and after.
pub(crate) fn update<T: Versioned>(
    conn: &mut DbConnection,
    target: Target,
    read: impl Fn(&mut DbConnection) -> DbResult<T>,
    write: impl FnMut(&mut DbConnection, &T) -> DbResult<usize>,
) -> DbResult<T> {
    update_unless(conn, target, read, |_| false, write)
}

/// [`update`], but a record for which `unchanged` holds is returned as it
/// is, unwritten and unrecorded (switching on what is already on).
pub(crate) fn update_unless<T: Versioned>(
    conn: &mut DbConnection,
    target: Target,
    read: impl Fn(&mut DbConnection) -> DbResult<T>,
    unchanged: impl Fn(&T) -> bool,
    mut write: impl FnMut(&mut DbConnection, &T) -> DbResult<usize>,
) -> DbResult<T> {
    crate::write_transaction(conn, |conn| {
        let before = read(conn)?;
        check_version(target.entity, target.id, before.version(), target.expected)?;
        if unchanged(&before) {
            return Ok(before);
        }
        if write(conn, &before)? == 0 {
            return Err(stale(target.entity, target.id, read(conn)?.version()));
        }
        let after = read(conn)?;
        // At the instant the record says it changed, so `as_of` that
        // instant finds this version.
        Event::new(T::ENTITY, target.id, target.action, target.actor)
            .at(after.audit().updated_at.naive_utc())
            .version(after.version())
            .before(&before)?
            .after(&after)?
            .record()?;
        Ok(after)
    })
}

/// Deletes a record in one transaction, as [`update`] changes one: `delete`
/// refuses while something still refers to the record
/// ([`refuse_while_referenced`]), then deletes under the version condition.
/// The trail keeps the record as it was.
pub(crate) fn delete<T: Versioned>(
    conn: &mut DbConnection,
    target: Target,
    read: impl Fn(&mut DbConnection) -> DbResult<T>,
    mut delete: impl FnMut(&mut DbConnection, &T) -> DbResult<usize>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let before = read(conn)?;
        check_version(target.entity, target.id, before.version(), target.expected)?;
        if delete(conn, &before)? == 0 {
            return Err(stale(target.entity, target.id, read(conn)?.version()));
        }
        Event::new(T::ENTITY, target.id, AuditAction::Delete, target.actor)
            .before(&before)?
            .record()
    })
}

/// The row `target` names at the version `before` has, for the UPDATE or
/// DELETE in [`update`] and [`delete`]: without If-Match, whatever its
/// version.
macro_rules! at_version {
    ($table:ident, $target:expr, $before:expr) => {
        $table::table.find($target.id).filter($crate::version_is(
            $table::version,
            $target.expected,
            $crate::versioned::Versioned::version($before),
        ))
    };
}
pub(crate) use at_version;

/// Refuses the change (409) while rows of other tables still refer to the
/// record `$id`: each `table::column` is counted into a variable named after
/// its table, which the message may use (so each table is listed once).
macro_rules! refuse_while_referenced {
    ($conn:expr, $id:expr, [$($table:ident :: $column:ident),+ $(,)?], $($message:tt)+) => {{
        let mut referenced = false;
        $(
            let $table: i64 = $table::table
                .filter($table::$column.eq($id))
                .count()
                .get_result($conn)?;
            referenced |= $table > 0;
        )+
        if referenced {
            return Err($crate::DbError::blocked(format!($($message)+)));
        }
    }};
}
pub(crate) use refuse_while_referenced;

/// The audit columns every update sets: when, who, and the next version.
macro_rules! touched {
    ($table:ident, $actor:expr) => {
        $crate::versioned::touched!($table, $actor, $crate::now())
    };
    ($table:ident, $actor:expr, $at:expr) => {
        (
            $table::updated_at.eq($at),
            $table::updated_by.eq($actor.map(|a| a.0)),
            $table::version.eq($table::version + 1),
        )
    };
}
pub(crate) use touched;

/// The SQL types of the audit columns, in the order every table has them.
type AuditSql = (
    Timestamp,
    Nullable<Integer>,
    Timestamp,
    Nullable<Integer>,
    Integer,
);

/// A table with the five audit columns every versioned row carries.
pub(crate) trait VersionedTable {
    type Columns: Expression<SqlType = AuditSql>;
    const COLUMNS: Self::Columns;
}

macro_rules! versioned_tables {
    ($($table:ident),+) => {$(
        impl VersionedTable for schema::$table::table {
            type Columns = (
                schema::$table::created_at,
                schema::$table::created_by,
                schema::$table::updated_at,
                schema::$table::updated_by,
                schema::$table::version,
            );
            const COLUMNS: Self::Columns = (
                schema::$table::created_at,
                schema::$table::created_by,
                schema::$table::updated_at,
                schema::$table::updated_by,
                schema::$table::version,
            );
        }
    )+};
}

versioned_tables!(
    departments,
    units,
    cadres,
    designations,
    staff,
    roles,
    accounts,
    buildings,
    floors,
    operating_theatres
);

/// Who created and last changed a row of table `T`, when, and its version:
/// one `#[diesel(embed)]` field in each row struct instead of five.
#[derive(Debug)]
pub(crate) struct AuditColumns<T> {
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    pub version: i32,
    table: PhantomData<T>,
}

impl<T, DB: Backend> Queryable<AuditSql, DB> for AuditColumns<T>
where
    (Stamp, Option<i32>, Stamp, Option<i32>, i32): FromStaticSqlRow<AuditSql, DB>,
{
    type Row = (Stamp, Option<i32>, Stamp, Option<i32>, i32);

    fn build(
        (created_at, created_by, updated_at, updated_by, version): Self::Row,
    ) -> deserialize::Result<Self> {
        Ok(Self {
            created_at: created_at.into(),
            created_by,
            updated_at: updated_at.into(),
            updated_by,
            version,
            table: PhantomData,
        })
    }
}

impl<T: VersionedTable, DB: Backend> Selectable<DB> for AuditColumns<T> {
    type SelectExpression = T::Columns;

    fn construct_selection() -> Self::SelectExpression {
        T::COLUMNS
    }
}

impl<T> From<AuditColumns<T>> for Audit {
    fn from(row: AuditColumns<T>) -> Self {
        Audit {
            created_at: utc(row.created_at),
            created_by: row.created_by.map(AccountId),
            updated_at: utc(row.updated_at),
            updated_by: row.updated_by.map(AccountId),
            version: row.version,
        }
    }
}
