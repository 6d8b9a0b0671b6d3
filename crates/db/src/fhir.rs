//! What the FHIR view reads beyond the directory's own lists: works-in and
//! head periods as PractitionerRoles, each with its staff member and
//! organization, loaded a page at a time.

use crate::connection::MultiBackend;
use crate::query::fixed;
use crate::schema::{department_heads, departments, staff, staff_works_in, unit_heads, units};
use crate::stamp::Stamp;
use crate::{DbConnection, DbResult, utc};
use chrono::NaiveDate;
use diesel::prelude::*;
use directory_domain::{Period, StaffId};
use directory_fhir::Key;
use directory_fhir::map::{Assignment, AssignmentKind};
use directory_fhir::search::{Prefix, Query, TextMatch};

/// One period row: id, staff, organization id and name, dates, version and
/// last change.
type PeriodRow = (
    i32,
    i32,
    i32,
    String,
    NaiveDate,
    Option<NaiveDate>,
    i32,
    Stamp,
);

/// Which periods of a kind to load.
#[derive(Debug, Clone)]
pub enum Periods<'a> {
    /// These rows.
    Ids(&'a [i32]),
    /// Every period of these staff members.
    OfStaff(&'a [StaffId]),
}

/// Loads `$table`'s periods joined to the organization `$org` they are of.
macro_rules! period_rows {
    ($conn:expr, $table:ident, $org:ident . $org_column:ident, $which:expr) => {{
        let mut query = $table::table.inner_join($org::table).into_boxed();
        query = match $which {
            Periods::Ids(ids) => query.filter($table::id.eq_any(ids.to_vec())),
            Periods::OfStaff(staff) => {
                query.filter($table::staff_id.eq_any(staff.iter().map(|s| s.0).collect::<Vec<_>>()))
            }
        };
        query
            .order($table::id.asc())
            .select((
                $table::id,
                $table::staff_id,
                $table::$org_column,
                $org::name,
                $table::start_date,
                $table::end_date,
                $table::version,
                $table::updated_at,
            ))
            .load::<PeriodRow>($conn)?
    }};
}

/// The periods of one kind that `which` names, each with its staff member
/// (two queries whatever the count).
pub fn assignments(
    conn: &mut DbConnection,
    kind: AssignmentKind,
    which: Periods<'_>,
) -> DbResult<Vec<Assignment>> {
    let rows = match kind {
        AssignmentKind::WorksIn => {
            period_rows!(conn, staff_works_in, departments.department_id, which)
        }
        AssignmentKind::DepartmentHead => {
            period_rows!(conn, department_heads, departments.department_id, which)
        }
        AssignmentKind::UnitHead => period_rows!(conn, unit_heads, units.unit_id, which),
    };
    let mut staff_ids: Vec<StaffId> = rows.iter().map(|row| StaffId(row.1)).collect();
    staff_ids.sort_unstable_by_key(|id| id.0);
    staff_ids.dedup();
    let staff: std::collections::HashMap<i32, directory_domain::Staff> =
        crate::staff::staff_by_ids(conn, &staff_ids)?
            .into_iter()
            .map(|s| (s.id.0, s))
            .collect();
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                id,
                staff_id,
                organization_id,
                organization_name,
                start_date,
                end_date,
                version,
                at,
            )| {
                Some(Assignment {
                    kind,
                    id,
                    staff: staff.get(&staff_id)?.clone(),
                    organization_id,
                    organization_name,
                    period: Period {
                        start_date,
                        end_date,
                    },
                    version,
                    updated_at: utc(at.into()),
                })
            },
        )
        .collect())
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// Text for a LIKE pattern: lower case, without LIKE's wildcards and escape.
fn like_text(text: &str) -> String {
    text.to_lowercase()
        .chars()
        .filter(|c| !matches!(c, '%' | '_' | '\\'))
        .collect()
}

/// The staff query of a Practitioner search, or `None` when nothing can
/// match (an id or identifier no staff member could have).
fn practitioner_filter(
    q: &Query,
    employee_id_system: &str,
    today: NaiveDate,
    backend: crate::Backend,
) -> Option<staff::BoxedQuery<'static, MultiBackend>> {
    use diesel::sql_types::Bool;
    let mut query = staff::table.into_boxed();
    if let Some(keys) = &q.ids {
        let ids: Vec<i32> = keys
            .iter()
            .filter_map(|k| match k {
                Key::Staff(id) => Some(*id),
                _ => None,
            })
            .collect();
        query = query.filter(staff::id.eq_any(ids));
    }
    for bound in &q.last_updated {
        let (start, end) = (bound.start.naive_utc(), bound.end.naive_utc());
        query = match bound.prefix {
            Prefix::Eq => query
                .filter(staff::updated_at.ge(start))
                .filter(staff::updated_at.lt(end)),
            Prefix::Gt => query.filter(staff::updated_at.ge(end)),
            Prefix::Ge => query.filter(staff::updated_at.ge(start)),
            Prefix::Lt => query.filter(staff::updated_at.lt(start)),
            Prefix::Le => query.filter(staff::updated_at.lt(end)),
        };
    }
    for any in &q.name {
        let mut either: Option<
            Box<dyn BoxableExpression<staff::table, MultiBackend, SqlType = Bool>>,
        > = None;
        for wanted in any {
            let one: Box<dyn BoxableExpression<staff::table, MultiBackend, SqlType = Bool>> =
                match wanted {
                    TextMatch::Exact(whole) => Box::new(staff::full_name.eq(whole.clone())),
                    TextMatch::StartsWithWord(part) | TextMatch::Contains(part) => {
                        let part = like_text(part);
                        let name = match wanted {
                            TextMatch::Contains(_) => {
                                Box::new(lower(staff::full_name).like(format!("%{part}%")))
                                    as Box<dyn BoxableExpression<_, _, SqlType = Bool>>
                            }
                            _ => Box::new(
                                lower(staff::full_name)
                                    .like(format!("{part}%"))
                                    .or(lower(staff::full_name).like(format!("% {part}%")))
                                    .or(lower(staff::full_name).like(format!("%-{part}%"))),
                            ),
                        };
                        // The search index narrows the rows first where it
                        // can (it holds name, email and employee id).
                        match backend {
                            crate::Backend::Sqlite if part.chars().count() >= 3 => Box::new(
                                fixed::<Bool>(
                                    "staff.id IN (SELECT rowid FROM staff_search WHERE staff_search MATCH ",
                                )
                                .text(format!("\"{}\"", part.replace('"', "\"\"")))
                                .sql(")")
                                .and(name),
                            ),
                            crate::Backend::Postgres => Box::new(
                                fixed::<Bool>(
                                    "(lower(staff.full_name) || chr(10) || staff.email_key || chr(10) || lower(staff.employee_id)) LIKE ",
                                )
                                .text(format!("%{part}%"))
                                .and(name),
                            ),
                            _ => name,
                        }
                    }
                };
            either = Some(match either {
                Some(before) => Box::new(before.or(one)),
                None => one,
            });
        }
        if let Some(condition) = either {
            query = query.filter(condition);
        }
    }
    for any in &q.identifiers {
        let values: Vec<String> = any
            .iter()
            .filter(|t| t.system.as_deref().is_none_or(|s| s == employee_id_system))
            .map(|t| t.code.clone())
            .collect();
        query = query.filter(staff::employee_id.eq_any(values));
    }
    for any in &q.telecoms {
        let mut emails = Vec::new();
        let mut phones = Vec::new();
        for token in any {
            let system = token.system.as_deref();
            if system.is_none_or(|s| s == "email") {
                emails.push(token.code.to_lowercase());
            }
            if system.is_none_or(|s| s == "phone") {
                phones.push(
                    directory_domain::validate::normalise_mobile(&token.code)
                        .unwrap_or_else(|| token.code.clone()),
                );
            }
        }
        query = query.filter(
            staff::email_key
                .eq_any(emails.clone())
                .or(lower(staff::email2.assume_not_null()).eq_any(emails.clone()))
                .or(lower(staff::email3.assume_not_null()).eq_any(emails))
                .or(staff::mobile.eq_any(phones.clone()))
                .or(staff::mobile2.assume_not_null().eq_any(phones.clone()))
                .or(staff::mobile3.assume_not_null().eq_any(phones)),
        );
    }
    if let Some(active) = q.active {
        let in_post = staff::active
            .eq(true)
            .and(staff::end_date.is_null().or(staff::end_date.ge(today)));
        query = if active {
            query.filter(in_post)
        } else {
            query.filter(diesel::dsl::not(in_post))
        };
    }
    Some(query)
}

/// One page of a Practitioner search: the staff members after `after`,
/// in id order, and the count of every match (three queries).
pub fn practitioners(
    conn: &mut DbConnection,
    q: &Query,
    employee_id_system: &str,
    today: NaiveDate,
    after: Option<i32>,
    count: i64,
) -> DbResult<(Vec<directory_domain::Staff>, i64)> {
    let backend = conn.backend();
    let Some(counted) = practitioner_filter(q, employee_id_system, today, backend) else {
        return Ok((Vec::new(), 0));
    };
    let total: i64 = counted.count().get_result(conn)?;
    let mut ids = practitioner_filter(q, employee_id_system, today, backend)
        .unwrap_or_else(|| staff::table.into_boxed());
    if let Some(after) = after {
        ids = ids.filter(staff::id.gt(after));
    }
    let ids: Vec<StaffId> = ids
        .order(staff::id.asc())
        .limit(count)
        .select(staff::id)
        .load::<i32>(conn)?
        .into_iter()
        .map(StaffId)
        .collect();
    Ok((crate::staff::staff_by_ids(conn, &ids)?, total))
}
