//! Dated links (a department's heads, a unit's heads, the departments a
//! staff member also works in): each row is a period in force from its
//! start date to its end date, and a pair may have several that do not
//! overlap. One way to assign a period, to end one, to read what is in
//! force, and to end a leaving staff member's periods; and the trail's
//! record of any link, an account's roles included.

use crate::audit::Event;
use crate::{Actor, DbConnection, DbError, DbResult};
use chrono::NaiveDate;
use directory_domain::{AuditAction, AuditEntity, Period};

/// What a PUT of a period did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Assigned {
    /// A new period (201).
    Created(Period),
    /// The period starting that day now ends on another (200).
    Changed(Period),
    /// It was there as asked (200).
    Unchanged(Period),
}

impl Assigned {
    pub fn period(self) -> Period {
        match self {
            Self::Created(p) | Self::Changed(p) | Self::Unchanged(p) => p,
        }
    }
}

/// Puts the writes to one staff member's periods in line: the overlap
/// check reads the pair's rows, and on PostgreSQL and MySQL two concurrent
/// writers would each miss the other's new row. The staff row's lock holds
/// the second until the first commits. SQLite has one writer anyway.
pub(crate) fn in_line(conn: &mut DbConnection, staff_id: i32) -> DbResult<()> {
    #[allow(unused_imports, reason = "not every backend locks")]
    use diesel::prelude::*;
    match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(_) => {
            let _ = staff_id;
        }
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => {
            crate::schema::staff::table
                .find(staff_id)
                .select(crate::schema::staff::id)
                .for_update()
                .first::<i32>(c)
                .optional()?;
        }
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(c) => {
            crate::schema::staff::table
                .find(staff_id)
                .select(crate::schema::staff::id)
                .for_update()
                .first::<i32>(c)
                .optional()?;
        }
    }
    Ok(())
}

/// The refusal of a period that shares a day with another of its pair.
pub(crate) fn clash(what: &str, asked: &Period, other: &Period) -> DbError {
    let until = |end: Option<NaiveDate>| end.map_or("open".to_owned(), |d| d.to_string());
    DbError::Conflict {
        field: Some("start_date".into()),
        message: format!(
            "the {what} from {} to {} would overlap the one from {} to {}",
            asked.start_date,
            until(asked.end_date),
            other.start_date,
            until(other.end_date)
        ),
    }
}

/// A period's row as the trail names it: its id (what the FHIR view's
/// PractitionerRole for the period is named by) and its version after the
/// change (none once removed).
#[derive(Debug, Clone, Copy)]
pub(crate) struct PeriodRow {
    pub(crate) id: i32,
    pub(crate) version: Option<i32>,
    /// The row's new `updated_at`, which the event's time is, so a version
    /// read and the same version in the trail say the same instant.
    pub(crate) at: Option<chrono::NaiveDateTime>,
}

impl PeriodRow {
    /// A row removed: it has no version after.
    pub(crate) fn removed(id: i32) -> Option<Self> {
        Some(Self {
            id,
            version: None,
            at: None,
        })
    }

    /// A row changed to `version` at `at`.
    pub(crate) fn changed(id: i32, version: i32, at: chrono::NaiveDateTime) -> Option<Self> {
        Some(Self {
            id,
            version: Some(version),
            at: Some(at),
        })
    }
}

/// The trail's record of a link made, changed, ended or removed: the link as
/// JSON (a period's row id, the two ids by column name, and its period if it
/// has one), with a period's version after the change.
pub(crate) fn link_event(
    entity: AuditEntity,
    first: (&str, i32),
    second: (&str, i32),
    action: AuditAction,
    change: (Option<Period>, Option<Period>),
    row: Option<PeriodRow>,
    actor: Actor,
) -> DbResult<()> {
    let json = |period: Option<Period>| {
        let mut link = serde_json::Map::new();
        if let Some(row) = row {
            link.insert("id".into(), row.id.into());
        }
        link.insert(first.0.to_owned(), first.1.into());
        link.insert(second.0.to_owned(), second.1.into());
        if let Some(period) = period {
            link.insert("start_date".into(), period.start_date.to_string().into());
            link.insert(
                "end_date".into(),
                period.end_date.map(|d| d.to_string()).into(),
            );
        }
        link
    };
    let mut event = Event::new(entity, format!("{}/{}", first.1, second.1), action, actor);
    if let Some(version) = row.and_then(|row| row.version) {
        event = event.version(version);
    }
    if let Some(at) = row.and_then(|row| row.at) {
        event = event.at(at);
    }
    let event = match (action, change) {
        (AuditAction::Unlink, (before, _)) => event.before(&json(before))?,
        (_, (None, after)) => event.after(&json(after))?,
        (_, (before, after)) => event.before(&json(before))?.after(&json(after))?,
    };
    event.record()
}

/// Defines `put` (assign a period: none given, in force from today unless
/// it already is; one starting on the day of an existing one changes that
/// one's end; one that would overlap another of the pair is 409) and `end`
/// (what is in force today or later stops being so: ended yesterday, or
/// removed if it had not started; with `purge`, the pair's latest period is
/// removed as entered by mistake), each end checked to exist first (404),
/// for a dated link table of two ids.
macro_rules! period_table {
    (
        $(#[$put_doc:meta])* put $put:ident,
        $(#[$end_doc:meta])* end $end:ident,
        $table:ident {
            $first:ident: $First:ty = $first_column:ident, checked by $first_check:path;
            $second:ident: $Second:ty = $second_column:ident, checked by $second_check:path;
        }
        staff is $staff:ident,
        missing $what:literal, $which:literal,
        recorded as $entity:ident
    ) => {
        $(#[$put_doc])*
        pub fn $put(
            conn: &mut DbConnection,
            $first: $First,
            $second: $Second,
            asked: Option<directory_domain::Period>,
            today: chrono::NaiveDate,
            actor: Actor,
        ) -> DbResult<$crate::links::Assigned> {
            use $crate::links::Assigned;
            use directory_domain::{AuditAction, AuditEntity, Period};
            let record = |action, change, row| {
                $crate::links::link_event(
                    AuditEntity::$entity,
                    (stringify!($first_column), $first.0),
                    (stringify!($second_column), $second.0),
                    action,
                    change,
                    row,
                    actor,
                )
            };
            crate::write_transaction(conn, |conn| {
                $first_check(conn, $first)?;
                $second_check(conn, $second)?;
                $crate::links::in_line(conn, $staff.0)?;
                let periods: Vec<(i32, i32, Period)> = $table::table
                    .filter($table::$first_column.eq($first.0))
                    .filter($table::$second_column.eq($second.0))
                    .order($table::start_date.asc())
                    .select(($table::id, $table::version, $table::start_date, $table::end_date))
                    .load::<(i32, i32, chrono::NaiveDate, Option<chrono::NaiveDate>)>(conn)?
                    .into_iter()
                    .map(|(id, version, start_date, end_date)| {
                        (id, version, Period { start_date, end_date })
                    })
                    .collect();
                let asked = match asked {
                    Some(asked) => asked,
                    None => {
                        // No dates: in force from today, unless it is.
                        if let Some((_, _, current)) =
                            periods.iter().find(|(_, _, p)| p.in_force_on(today))
                        {
                            return Ok(Assigned::Unchanged(*current));
                        }
                        Period { start_date: today, end_date: None }
                    }
                };
                let same_start = periods.iter().find(|(_, _, p)| p.start_date == asked.start_date);
                if let Some(other) = periods.iter().find(|(id, _, p)| {
                    Some(id) != same_start.map(|(id, _, _)| id) && p.overlaps(&asked)
                }) {
                    return Err($crate::links::clash($what, &asked, &other.2));
                }
                match same_start {
                    Some((_, _, existing)) if *existing == asked => Ok(Assigned::Unchanged(asked)),
                    Some((id, version, existing)) => {
                        let now = crate::now();
                        diesel::update($table::table.find(*id))
                            .set((
                                $table::end_date.eq(asked.end_date),
                                $table::updated_at.eq(now),
                                $table::version.eq($table::version + 1),
                            ))
                            .execute(conn)?;
                        record(
                            AuditAction::Link,
                            (Some(*existing), Some(asked)),
                            $crate::links::PeriodRow::changed(*id, version + 1, now),
                        )?;
                        Ok(Assigned::Changed(asked))
                    }
                    None => {
                        let now = crate::now();
                        diesel::insert_into($table::table)
                            .values((
                                $table::$first_column.eq($first.0),
                                $table::$second_column.eq($second.0),
                                $table::start_date.eq(asked.start_date),
                                $table::end_date.eq(asked.end_date),
                                $table::created_at.eq(now),
                                $table::created_by.eq(actor.map(|a| a.0)),
                                $table::updated_at.eq(now),
                            ))
                            .execute(conn)?;
                        // The new row's id, for the trail: the pair has one
                        // period starting that day.
                        let id: i32 = $table::table
                            .filter($table::$first_column.eq($first.0))
                            .filter($table::$second_column.eq($second.0))
                            .filter($table::start_date.eq(asked.start_date))
                            .select($table::id)
                            .first(conn)?;
                        record(
                            AuditAction::Link,
                            (None, Some(asked)),
                            $crate::links::PeriodRow::changed(id, 1, now),
                        )?;
                        Ok(Assigned::Created(asked))
                    }
                }
            })
        }

        $(#[$end_doc])*
        pub fn $end(
            conn: &mut DbConnection,
            $first: $First,
            $second: $Second,
            purge: bool,
            today: chrono::NaiveDate,
            actor: Actor,
        ) -> DbResult<()> {
            use directory_domain::{AuditAction, AuditEntity, Period};
            let record = |action, change, row| {
                $crate::links::link_event(
                    AuditEntity::$entity,
                    (stringify!($first_column), $first.0),
                    (stringify!($second_column), $second.0),
                    action,
                    change,
                    row,
                    actor,
                )
            };
            crate::write_transaction(conn, |conn| {
                $crate::links::in_line(conn, $staff.0)?;
                let periods: Vec<(i32, i32, Period)> = $table::table
                    .filter($table::$first_column.eq($first.0))
                    .filter($table::$second_column.eq($second.0))
                    .order($table::start_date.asc())
                    .select(($table::id, $table::version, $table::start_date, $table::end_date))
                    .load::<(i32, i32, chrono::NaiveDate, Option<chrono::NaiveDate>)>(conn)?
                    .into_iter()
                    .map(|(id, version, start_date, end_date)| {
                        (id, version, Period { start_date, end_date })
                    })
                    .collect();
                let ending: Vec<&(i32, i32, Period)> = if purge {
                    periods.last().into_iter().collect()
                } else {
                    periods
                        .iter()
                        .filter(|(_, _, p)| p.end_date.is_none_or(|end| end >= today))
                        .collect()
                };
                if ending.is_empty() {
                    return Err(DbError::not_found($what, format!($which)));
                }
                for &(id, version, period) in ending {
                    let yesterday = today.pred_opt().unwrap_or(today);
                    if purge || period.start_date > yesterday {
                        diesel::delete($table::table.find(id)).execute(conn)?;
                        record(
                            AuditAction::Unlink,
                            (Some(period), None),
                            $crate::links::PeriodRow::removed(id),
                        )?;
                    } else {
                        let ended = Period { end_date: Some(yesterday), ..period };
                        let now = crate::now();
                        diesel::update($table::table.find(id))
                            .set((
                                $table::end_date.eq(ended.end_date),
                                $table::updated_at.eq(now),
                                $table::version.eq($table::version + 1),
                            ))
                            .execute(conn)?;
                        record(
                            AuditAction::End,
                            (Some(period), Some(ended)),
                            $crate::links::PeriodRow::changed(id, version + 1, now),
                        )?;
                    }
                }
                Ok(())
            })
        }
    };
}
pub(crate) use period_table;

/// The rows of `$query` (over `$table`) that `$when` asks for: in force on
/// a day, or all.
macro_rules! in_force {
    ($query:expr, $table:ident, $when:expr) => {
        match $when {
            directory_domain::InForce::On(day) => $query
                .filter($table::start_date.le(day))
                .filter($table::end_date.is_null().or($table::end_date.ge(day))),
            directory_domain::InForce::Ever => $query,
        }
    };
}
pub(crate) use in_force;

/// The heads in `$table` of each of `$ids` (its `$column`) that `$when`
/// asks for, with their designation's name, in one query, ordered by id,
/// name and start: pairs of the id (as i32) and the headship.
macro_rules! heads_of {
    ($conn:expr, $table:ident . $column:ident, $ids:expr, $when:expr) => {{
        use $crate::schema::{designations, staff};
        let query = $table::table
            .inner_join(staff::table.inner_join(designations::table))
            .filter($table::$column.eq_any($ids))
            .into_boxed();
        let rows: Vec<(
            i32,
            i32,
            String,
            String,
            chrono::NaiveDate,
            Option<chrono::NaiveDate>,
        )> = $crate::links::in_force!(query, $table, $when)
            .order((
                $table::$column.asc(),
                staff::full_name.asc(),
                $table::start_date.asc(),
            ))
            .select((
                $table::$column,
                staff::id,
                staff::full_name,
                designations::name,
                $table::start_date,
                $table::end_date,
            ))
            .load($conn)?;
        rows.into_iter().map(
            |(of, id, full_name, designation_name, start_date, end_date)| {
                let head = directory_domain::Headship {
                    staff_id: directory_domain::StaffId(id),
                    full_name,
                    designation_name,
                    start_date,
                    end_date,
                };
                (of, head)
            },
        )
    }};
}
pub(crate) use heads_of;

/// A record whose deletion takes periods with it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Owner {
    Staff(i32),
    Department(i32),
    Unit(i32),
}

/// Records the removal of every period that deleting `owner` takes with
/// it (the rows go by the database's ON DELETE CASCADE), so the trail,
/// the change feed and the FHIR view's history see each one go. Called in
/// the deletion's transaction, before it.
pub(crate) fn record_cascade(conn: &mut DbConnection, owner: Owner, actor: Actor) -> DbResult<()> {
    use crate::schema::{department_heads, staff_works_in, unit_heads};
    use diesel::prelude::*;
    macro_rules! removed {
        ($table:ident, $entity:ident, $first:ident, $second:ident, where $column:ident = $id:expr) => {{
            let rows: Vec<(i32, i32, i32, NaiveDate, Option<NaiveDate>)> = $table::table
                .filter($table::$column.eq($id))
                .select((
                    $table::id,
                    $table::$first,
                    $table::$second,
                    $table::start_date,
                    $table::end_date,
                ))
                .load(conn)?;
            for (id, first, second, start_date, end_date) in rows {
                link_event(
                    AuditEntity::$entity,
                    (stringify!($first), first),
                    (stringify!($second), second),
                    AuditAction::Unlink,
                    (
                        Some(Period {
                            start_date,
                            end_date,
                        }),
                        None,
                    ),
                    PeriodRow::removed(id),
                    actor,
                )?;
            }
        }};
    }
    match owner {
        Owner::Staff(id) => {
            removed!(department_heads, DepartmentHeads, department_id, staff_id, where staff_id = id);
            removed!(unit_heads, UnitHeads, unit_id, staff_id, where staff_id = id);
            removed!(staff_works_in, WorksIn, staff_id, department_id, where staff_id = id);
        }
        Owner::Department(id) => {
            removed!(department_heads, DepartmentHeads, department_id, staff_id, where department_id = id);
            removed!(staff_works_in, WorksIn, staff_id, department_id, where department_id = id);
        }
        Owner::Unit(id) => {
            removed!(unit_heads, UnitHeads, unit_id, staff_id, where unit_id = id);
        }
    }
    Ok(())
}

/// Ends a leaving staff member's periods on `last_day` (their end date, or
/// yesterday when they are deactivated): those still in force after it end
/// then, those that would start after it are removed. Each is recorded.
pub(crate) fn end_periods_of_staff(
    conn: &mut DbConnection,
    staff_id: i32,
    last_day: NaiveDate,
    actor: Actor,
) -> DbResult<()> {
    use crate::schema::{department_heads, staff_works_in, unit_heads};
    use diesel::prelude::*;
    macro_rules! end_in {
        ($table:ident, $entity:ident, $first:ident, $second:ident) => {{
            let rows: Vec<(i32, i32, i32, i32, NaiveDate, Option<NaiveDate>)> = $table::table
                .filter($table::staff_id.eq(staff_id))
                .filter($table::end_date.is_null().or($table::end_date.gt(last_day)))
                .select((
                    $table::id,
                    $table::version,
                    $table::$first,
                    $table::$second,
                    $table::start_date,
                    $table::end_date,
                ))
                .load(conn)?;
            for (id, version, first, second, start_date, end_date) in rows {
                let period = Period {
                    start_date,
                    end_date,
                };
                let ids = ((stringify!($first), first), (stringify!($second), second));
                if start_date > last_day {
                    diesel::delete($table::table.find(id)).execute(conn)?;
                    link_event(
                        AuditEntity::$entity,
                        ids.0,
                        ids.1,
                        AuditAction::Unlink,
                        (Some(period), None),
                        PeriodRow::removed(id),
                        actor,
                    )?;
                } else {
                    let now = crate::now();
                    diesel::update($table::table.find(id))
                        .set((
                            $table::end_date.eq(Some(last_day)),
                            $table::updated_at.eq(now),
                            $table::version.eq($table::version + 1),
                        ))
                        .execute(conn)?;
                    let ended = Period {
                        end_date: Some(last_day),
                        ..period
                    };
                    link_event(
                        AuditEntity::$entity,
                        ids.0,
                        ids.1,
                        AuditAction::End,
                        (Some(period), Some(ended)),
                        PeriodRow::changed(id, version + 1, now),
                        actor,
                    )?;
                }
            }
        }};
    }
    end_in!(department_heads, DepartmentHeads, department_id, staff_id);
    end_in!(unit_heads, UnitHeads, unit_id, staff_id);
    end_in!(staff_works_in, WorksIn, staff_id, department_id);
    Ok(())
}
