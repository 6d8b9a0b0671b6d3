//! What the FHIR view reads beyond the directory's own lists: works-in and
//! head periods as PractitionerRoles, each with its staff member and
//! organization, loaded a page at a time.

use crate::connection::MultiBackend;
use crate::query::fixed;
use crate::schema::{
    department_heads, departments, designations, staff, staff_works_in, unit_heads, units,
};
use crate::stamp::Stamp;
use crate::{Counts, DbConnection, DbResult, utc};
use chrono::NaiveDate;
use diesel::prelude::*;
use directory_domain::{Period, StaffId};
use directory_fhir::Key;
use directory_fhir::map::{Assignment, AssignmentKind, systems};
use directory_fhir::search::{Prefix, Query, TextMatch, Token};

/// A `_lastUpdated` bound on a timestamp column.
macro_rules! instants {
    ($query:expr, $column:expr, $bound:expr) => {{
        let (start, end) = ($bound.start.naive_utc(), $bound.end.naive_utc());
        match $bound.prefix {
            Prefix::Eq => $query.filter($column.ge(start)).filter($column.lt(end)),
            Prefix::Gt => $query.filter($column.ge(end)),
            Prefix::Ge => $query.filter($column.ge(start)),
            Prefix::Lt => $query.filter($column.lt(start)),
            Prefix::Le => $query.filter($column.lt(end)),
        }
    }};
}

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

/// Loads `$table`'s periods joined to the organization `$org` they are of.
macro_rules! period_rows {
    ($conn:expr, $table:ident, $org:ident . $org_column:ident, $which:expr) => {{
        let mut query = $table::table.inner_join($org::table).into_boxed();
        query = query.filter($table::id.eq_any($which.to_vec()));
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

/// The periods of one kind with these row ids, each with its staff member
/// (two queries whatever the count).
pub fn assignments(
    conn: &mut DbConnection,
    kind: AssignmentKind,
    which: &[i32],
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

type NameCondition =
    Box<dyn BoxableExpression<staff::table, MultiBackend, SqlType = diesel::sql_types::Bool>>;

/// Staff with a word of their name starting with `part` (a word begins
/// after anything not a letter, digit or mark): SQLite's word index answers it
/// with a prefix query; PostgreSQL narrows by its trigram index, then a
/// regular expression; MySQL a regular expression.
fn word_start(part: &str, backend: crate::Backend) -> NameCondition {
    use diesel::sql_types::Bool;
    let part = part.trim().to_lowercase();
    // Each character not a letter or digit escaped: a literal in both
    // regular expression dialects.
    let literal: String = part
        .chars()
        .flat_map(|c| {
            let escape = (!c.is_alphanumeric()).then_some('\\');
            escape.into_iter().chain(std::iter::once(c))
        })
        .collect();
    match backend {
        crate::Backend::Sqlite => match word_prefix(&part) {
            Some(prefix) => Box::new(
                fixed::<Bool>(
                    "staff.id IN (SELECT rowid FROM staff_name_words WHERE staff_name_words MATCH ",
                )
                .text(prefix)
                .sql(")"),
            ),
            None => {
                // No word in it (punctuation alone): the name patterns.
                let part = like_text(&part);
                Box::new(
                    lower(staff::full_name)
                        .like(format!("{part}%"))
                        .or(lower(staff::full_name).like(format!("% {part}%"))),
                )
            }
        },
        crate::Backend::Postgres => {
            let like = format!("%{}%", like_text(&part));
            Box::new(
                fixed::<Bool>(
                    "(lower(staff.full_name) || chr(10) || staff.email_key || chr(10) || lower(staff.employee_id)) LIKE ",
                )
                .text(like)
                .and(
                    fixed::<Bool>("lower(staff.full_name) ~ ")
                        .text(format!("(^|[^[:alnum:]]){literal}")),
                ),
            )
        }
        // MariaDB's [[:alnum:]] leaves out marks (a Devanagari vowel sign),
        // which are part of a word as Unicode classes say.
        crate::Backend::Mysql => Box::new(
            fixed::<Bool>("lower(staff.full_name) REGEXP ")
                .text(format!("(^|[^\\p{{L}}\\p{{N}}\\p{{M}}]){literal}")),
        ),
    }
}

/// The staff query of a Practitioner search.
fn practitioner_filter(
    q: &Query,
    employee_id_system: &str,
    today: NaiveDate,
    backend: crate::Backend,
) -> staff::BoxedQuery<'static, MultiBackend> {
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
        query = instants!(query, staff::updated_at, bound);
    }
    for any in &q.name {
        let mut either: Option<NameCondition> = None;
        for wanted in any {
            let one: NameCondition = match wanted {
                TextMatch::Exact(whole) => Box::new(staff::full_name.eq(whole.clone())),
                TextMatch::StartsWithWord(part) => word_start(part, backend),
                TextMatch::Contains(part) => {
                    let part = like_text(part);
                    let name = lower(staff::full_name).like(format!("%{part}%"));
                    // The trigram index narrows the rows first where it
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
                            _ => Box::new(name),
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
    query
}

/// One page of a Practitioner search: up to `limit` staff members after
/// `after`, in id order, and the count of every match. The count is a
/// query of its own only when the page does not hold every match (a first
/// page that is not full is the whole answer): two or three queries.
pub fn practitioners(
    conn: &mut DbConnection,
    counts: &Counts,
    q: &Query,
    employee_id_system: &str,
    today: NaiveDate,
    after: Option<i32>,
    limit: i64,
) -> DbResult<(Vec<directory_domain::Staff>, i64)> {
    let backend = conn.backend();
    if let Some(prefix) = words_only(q, backend) {
        return practitioners_by_word(conn, counts, prefix, after, limit);
    }
    let mut page = practitioner_filter(q, employee_id_system, today, backend);
    if let Some(after) = after {
        page = page.filter(staff::id.gt(after));
    }
    let ids: Vec<StaffId> = page
        .order(staff::id.asc())
        .limit(limit)
        .select(staff::id)
        .load::<i32>(conn)?
        .into_iter()
        .map(StaffId)
        .collect();
    let found = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let total = if after.is_none() && found < limit {
        found
    } else {
        counts.total(
            conn,
            || format!("Practitioner {q:?} {employee_id_system} {today}"),
            |conn| {
                practitioner_filter(q, employee_id_system, today, backend)
                    .count()
                    .get_result(conn)
            },
        )?
    };
    Ok((crate::staff::staff_by_ids(conn, &ids)?, total))
}

/// The FTS5 prefix query of a Practitioner search by one `name` word
/// start and nothing else, on SQLite: such a search is answered from the
/// word index alone (whose rowids are staff ids), as the native `q` is,
/// since counting or paging its matches through `staff` costs a row
/// lookup per match (3 ms for the 3,000 names with a word starting "mar"
/// among 100,000 staff).
fn words_only(q: &Query, backend: crate::Backend) -> Option<String> {
    if backend != crate::Backend::Sqlite
        || q.ids.is_some()
        || !q.last_updated.is_empty()
        || !q.identifiers.is_empty()
        || !q.telecoms.is_empty()
        || q.active.is_some()
    {
        return None;
    }
    let [any] = q.name.as_slice() else {
        return None;
    };
    let [TextMatch::StartsWithWord(part)] = any.as_slice() else {
        return None;
    };
    word_prefix(part)
}

/// The word index's prefix query for a word start: none for text without
/// a letter or digit, which the index holds no word of.
fn word_prefix(part: &str) -> Option<String> {
    let part = part.trim().to_lowercase();
    part.chars()
        .any(char::is_alphanumeric)
        .then(|| format!("\"{}\"*", part.replace('"', "\"\"")))
}

/// [`practitioners`] from the word index: the page's ids in rowid order
/// after `after`, and the count of the index's matches when the page does
/// not hold them all.
fn practitioners_by_word(
    conn: &mut DbConnection,
    counts: &Counts,
    prefix: String,
    after: Option<i32>,
    limit: i64,
) -> DbResult<(Vec<directory_domain::Staff>, i64)> {
    use diesel::sql_types::{BigInt, Bool};
    let matching = fixed::<Bool>(
        "staff.id IN (SELECT rowid FROM staff_name_words WHERE staff_name_words MATCH ",
    )
    .text(prefix.clone());
    let matching = match after {
        Some(id) => matching.sql(" AND rowid > ").big_int(i64::from(id)),
        None => matching,
    };
    let ids: Vec<StaffId> = staff::table
        .filter(
            matching
                .sql(" ORDER BY rowid LIMIT ")
                .big_int(limit)
                .sql(")"),
        )
        .order(staff::id.asc())
        .select(staff::id)
        .load::<i32>(conn)?
        .into_iter()
        .map(StaffId)
        .collect();
    let found = i64::try_from(ids.len()).unwrap_or(i64::MAX);
    let total = if after.is_none() && found < limit {
        found
    } else {
        counts.total(
            conn,
            || format!("Practitioner name words {prefix}"),
            |conn| {
                diesel::select(
                    fixed::<BigInt>(
                        "(SELECT count(*) FROM staff_name_words WHERE staff_name_words MATCH ",
                    )
                    .text(prefix.clone())
                    .sql(")"),
                )
                .get_result(conn)
            },
        )?
    };
    Ok((crate::staff::staff_by_ids(conn, &ids)?, total))
}

/// A PractitionerRole a search found: a staff member's post, or a period.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    Post(directory_domain::Staff),
    Period(Assignment),
}

/// What one `role` repetition asks of one kind of PractitionerRole.
enum RoleCodes {
    /// Every role of this kind (an assignment code that names it).
    All,
    /// None of this kind.
    None,
    /// Those whose staff member has one of these designations, or a
    /// designation of one of these cadres.
    Of {
        designations: Vec<i32>,
        cadres: Vec<i32>,
    },
}

fn role_codes(tokens: &[Token], kind: Option<AssignmentKind>) -> RoleCodes {
    let this_kind = match kind {
        None => "post",
        Some(AssignmentKind::WorksIn) => "works-in",
        Some(_) => "head",
    };
    let mut designations = Vec::new();
    let mut cadres = Vec::new();
    for token in tokens {
        let system = token.system.as_deref();
        if system.is_none_or(|s| s == systems::ASSIGNMENT) && token.code == this_kind {
            return RoleCodes::All;
        }
        if let Ok(number) = token.code.parse::<i32>() {
            if system.is_none_or(|s| s == systems::DESIGNATION) {
                designations.push(number);
            }
            if system.is_none_or(|s| s == systems::CADRE) {
                cadres.push(number);
            }
        }
    }
    if designations.is_empty() && cadres.is_empty() {
        RoleCodes::None
    } else {
        RoleCodes::Of {
            designations,
            cadres,
        }
    }
}

/// Applies a role search's conditions on the staff member (`role`, and
/// `active=true`: in post today) to `$query`, over `staff` or a table
/// joined to it; `None` when a `role` leaves nothing of this kind.
macro_rules! staff_filters {
    ($query:expr, $q:expr, $kind:expr, $today:expr) => {{
        let (mut query, q, today): (_, &Query, NaiveDate) = ($query, $q, $today);
        let mut possible = true;
        for tokens in &q.roles {
            match role_codes(tokens, $kind) {
                RoleCodes::All => {}
                RoleCodes::None => possible = false,
                RoleCodes::Of {
                    designations,
                    cadres,
                } => {
                    query = query.filter(
                        staff::designation_id
                            .eq_any(designations)
                            .or(staff::designation_id.eq_any(
                                designations::table
                                    .filter(designations::cadre_id.eq_any(cadres))
                                    .select(designations::id),
                            )),
                    );
                }
            }
        }
        if q.active == Some(true) {
            query = query
                .filter(staff::active.eq(true))
                .filter(staff::end_date.is_null().or(staff::end_date.ge(today)));
        }
        possible.then_some(query)
    }};
}

/// The ids of `key`s of one variant.
fn ids_of(keys: &[Key], variant: fn(Key) -> Option<i32>) -> Vec<i32> {
    keys.iter().filter_map(|k| variant(*k)).collect()
}

/// One kind of role: how many match, and the ids of up to `limit` of them
/// after `after`, in id order.
fn post_ids(
    conn: &mut DbConnection,
    q: &Query,
    today: NaiveDate,
    after: Option<i32>,
    limit: i64,
) -> DbResult<(i64, Vec<i32>)> {
    let filtered = || -> Option<staff::BoxedQuery<'static, MultiBackend>> {
        let mut query = staff_filters!(staff::table.into_boxed(), q, None, today)?;
        if let Some(keys) = &q.ids {
            query = query.filter(staff::id.eq_any(ids_of(keys, |k| match k {
                Key::Post(id) => Some(id),
                _ => None,
            })));
        }
        if let Some(keys) = &q.practitioner {
            query = query.filter(staff::id.eq_any(ids_of(keys, |k| match k {
                Key::Staff(id) => Some(id),
                _ => None,
            })));
        }
        if let Some(keys) = &q.organization {
            let departments = ids_of(keys, |k| match k {
                Key::Department(id) => Some(id),
                _ => None,
            });
            let units = ids_of(keys, |k| match k {
                Key::Unit(id) => Some(id),
                _ => None,
            });
            query = query.filter(
                staff::unit_id
                    .is_null()
                    .and(staff::department_id.eq_any(departments))
                    .or(staff::unit_id.assume_not_null().eq_any(units)),
            );
        }
        for bound in &q.last_updated {
            query = instants!(query, staff::updated_at, bound);
        }
        for day in &q.dates {
            // A post runs from always to the staff member's end date.
            query = match day.prefix {
                Prefix::Eq | Prefix::Ge => {
                    query.filter(staff::end_date.is_null().or(staff::end_date.ge(day.day)))
                }
                Prefix::Gt => {
                    query.filter(staff::end_date.is_null().or(staff::end_date.gt(day.day)))
                }
                Prefix::Le | Prefix::Lt => query,
            };
        }
        if q.active == Some(false) {
            query = query.filter(staff::active.eq(false).or(staff::end_date.lt(today)));
        }
        Some(query)
    };
    let Some(mut page) = filtered() else {
        return Ok((0, Vec::new()));
    };
    let mut ids = Vec::new();
    if limit > 0 {
        if let Some(after) = after {
            page = page.filter(staff::id.gt(after));
        }
        ids = page
            .order(staff::id.asc())
            .limit(limit)
            .select(staff::id)
            .load(conn)?;
    }
    let total = match whole(after, limit, ids.len()) {
        Some(total) => total,
        None => filtered().map_or(Ok(0), |counted| counted.count().get_result(conn))?,
    };
    Ok((total, ids))
}

/// The count of a kind's matches when its page holds them all (from its
/// start, and not full), so no count query is needed.
fn whole(after: Option<i32>, limit: i64, found: usize) -> Option<i64> {
    let found = i64::try_from(found).ok()?;
    (after.is_none() && limit > 0 && found < limit).then_some(found)
}

/// [`post_ids`] for a period table: `$org` is its organization column,
/// `$org_key` the key variant that names it, `$key` the role's own.
macro_rules! period_ids {
    ($conn:expr, $q:expr, $today:expr, $after:expr, $limit:expr,
     $table:ident, $kind:expr, $key:path, $org:ident, $org_key:path) => {{
        let (q, today): (&Query, NaiveDate) = ($q, $today);
        let filtered = || {
            let mut query = staff_filters!(
                $table::table
                    .inner_join(staff::table)
                    .into_boxed::<MultiBackend>(),
                q,
                Some($kind),
                today
            )?;
            if q.active == Some(true) {
                query = query
                    .filter($table::start_date.le(today))
                    .filter($table::end_date.is_null().or($table::end_date.ge(today)));
            }
            if q.active == Some(false) {
                query = query.filter(
                    $table::start_date
                        .gt(today)
                        .or($table::end_date.lt(today))
                        .or(staff::active.eq(false))
                        .or(staff::end_date.lt(today)),
                );
            }
            if let Some(keys) = &q.ids {
                query = query.filter($table::id.eq_any(ids_of(keys, |k| match k {
                    $key(id) => Some(id),
                    _ => None,
                })));
            }
            if let Some(keys) = &q.practitioner {
                query = query.filter($table::staff_id.eq_any(ids_of(keys, |k| match k {
                    Key::Staff(id) => Some(id),
                    _ => None,
                })));
            }
            if let Some(keys) = &q.organization {
                query = query.filter($table::$org.eq_any(ids_of(keys, |k| match k {
                    $org_key(id) => Some(id),
                    _ => None,
                })));
            }
            for bound in &q.last_updated {
                query = instants!(query, $table::updated_at, bound);
            }
            for day in &q.dates {
                let d = day.day;
                query = match day.prefix {
                    Prefix::Eq => query
                        .filter($table::start_date.le(d))
                        .filter($table::end_date.is_null().or($table::end_date.ge(d))),
                    Prefix::Ge => {
                        query.filter($table::end_date.is_null().or($table::end_date.ge(d)))
                    }
                    Prefix::Gt => {
                        query.filter($table::end_date.is_null().or($table::end_date.gt(d)))
                    }
                    Prefix::Le => query.filter($table::start_date.le(d)),
                    Prefix::Lt => query.filter($table::start_date.lt(d)),
                };
            }
            Some(query)
        };
        match filtered() {
            None => (0, Vec::new()),
            Some(mut page) => {
                let (after, limit): (Option<i32>, i64) = ($after, $limit);
                let mut ids = Vec::new();
                if limit > 0 {
                    if let Some(after) = after {
                        page = page.filter($table::id.gt(after));
                    }
                    ids = page
                        .order($table::id.asc())
                        .limit(limit)
                        .select($table::id)
                        .load::<i32>($conn)?;
                }
                let total: i64 = match whole(after, limit, ids.len()) {
                    Some(total) => total,
                    None => match filtered() {
                        Some(counted) => counted.count().get_result($conn)?,
                        None => 0,
                    },
                };
                (total, ids)
            }
        }
    }};
}

/// One page of a PractitionerRole search, in key order (posts, then
/// works-in, department head and unit head periods, each by id), after
/// the `after` key; the count of every match; and whether more follow.
/// At most thirteen queries whatever the page holds: for each kind a page
/// (where the page has room), a count (only where that page does not hold
/// all the kind's matches: the cursor's kind, a full page, or one with no
/// room left), and its rows (the posts' staff; the periods and their
/// staff).
pub fn roles(
    conn: &mut DbConnection,
    q: &Query,
    today: NaiveDate,
    after: Option<Key>,
    count: i64,
) -> DbResult<(Vec<Role>, i64, bool)> {
    // Where the cursor is: which kinds are done, and the id within its own.
    let rank = |key: Key| match key {
        Key::Post(_) => 0,
        Key::WorksIn(_) => 1,
        Key::DepartmentHead(_) => 2,
        _ => 3,
    };
    // The roles of given practitioners and nothing else asked (how a
    // system looks up a person's posts): their staff rows are the posts,
    // and one query brings every period.
    if let Some(keys) = &q.practitioner
        && after.is_none()
        && q.ids.is_none()
        && q.organization.is_none()
        && q.roles.is_empty()
        && q.active.is_none()
        && q.dates.is_empty()
        && q.last_updated.is_empty()
    {
        let mut ids: Vec<StaffId> = keys
            .iter()
            .filter_map(|k| match k {
                Key::Staff(id) => Some(StaffId(*id)),
                _ => None,
            })
            .collect();
        ids.sort_unstable_by_key(|id| id.0);
        ids.dedup();
        let staff = crate::staff::staff_by_ids(conn, &ids)?;
        let periods = periods_of_staff(conn, &staff)?;
        let mut found: Vec<Role> = staff.into_iter().map(Role::Post).collect();
        found.extend(periods.into_iter().map(Role::Period));
        let total = i64::try_from(found.len()).unwrap_or(i64::MAX);
        found.truncate(usize::try_from(count).unwrap_or(0));
        return Ok((found, total, total > count));
    }
    let start = after.map_or(0, rank);
    let after_id = |kind_rank: usize| -> Option<i32> {
        match after {
            Some(
                Key::Post(id) | Key::WorksIn(id) | Key::DepartmentHead(id) | Key::UnitHead(id),
            ) if rank(after.unwrap_or(Key::Hospital)) == kind_rank => Some(id),
            _ => None,
        }
    };
    let mut total = 0;
    let mut found: Vec<Role> = Vec::new();
    let wanted = count + 1;
    let room = |found: &Vec<Role>, kind_rank: usize| {
        if kind_rank < start {
            0
        } else {
            wanted - i64::try_from(found.len()).unwrap_or(i64::MAX)
        }
    };

    let (n, ids) = post_ids(conn, q, today, after_id(0), room(&found, 0))?;
    total += n;
    let ids: Vec<StaffId> = ids.into_iter().map(StaffId).collect();
    found.extend(
        crate::staff::staff_by_ids(conn, &ids)?
            .into_iter()
            .map(Role::Post),
    );

    let limit = room(&found, 1);
    let (n, ids) = period_ids!(
        conn,
        q,
        today,
        after_id(1),
        limit,
        staff_works_in,
        AssignmentKind::WorksIn,
        Key::WorksIn,
        department_id,
        Key::Department
    );
    total += n;
    found.extend(periods_by_id(conn, AssignmentKind::WorksIn, &ids)?);

    let limit = room(&found, 2);
    let (n, ids) = period_ids!(
        conn,
        q,
        today,
        after_id(2),
        limit,
        department_heads,
        AssignmentKind::DepartmentHead,
        Key::DepartmentHead,
        department_id,
        Key::Department
    );
    total += n;
    found.extend(periods_by_id(conn, AssignmentKind::DepartmentHead, &ids)?);

    let limit = room(&found, 3);
    let (n, ids) = period_ids!(
        conn,
        q,
        today,
        after_id(3),
        limit,
        unit_heads,
        AssignmentKind::UnitHead,
        Key::UnitHead,
        unit_id,
        Key::Unit
    );
    total += n;
    found.extend(periods_by_id(conn, AssignmentKind::UnitHead, &ids)?);

    let more = i64::try_from(found.len()).unwrap_or(i64::MAX) > count;
    found.truncate(usize::try_from(count).unwrap_or(0));
    Ok((found, total, more))
}

fn periods_by_id(
    conn: &mut DbConnection,
    kind: AssignmentKind,
    ids: &[i32],
) -> DbResult<Vec<Role>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(assignments(conn, kind, ids)?
        .into_iter()
        .map(Role::Period)
        .collect())
}

/// Every works-in and head period of these staff members, in key order
/// (works-in, department head, unit head, each by id), with the staff
/// given: one query, a UNION ALL of the three tables.
pub fn periods_of_staff(
    conn: &mut DbConnection,
    staff: &[directory_domain::Staff],
) -> DbResult<Vec<Assignment>> {
    use diesel::sql_types::{Bool, Integer};
    if staff.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i32> = staff.iter().map(|s| s.id.0).collect();
    // On SQLite the ids go in as one JSON array: an IN list of binds makes
    // diesel prepare the statement anew each time (its text depends on
    // the count), and parsing it was most of this query's cost.
    let json = format!(
        "[{}]",
        ids.iter().map(i32::to_string).collect::<Vec<_>>().join(",")
    );
    macro_rules! of {
        ($rank:literal, $table:ident, $org:ident . $org_column:ident, $of_staff:expr) => {
            $table::table
                .inner_join($org::table)
                .filter($of_staff)
                .select((
                    fixed::<Integer>($rank),
                    $table::id,
                    $table::staff_id,
                    $table::$org_column,
                    $org::name,
                    $table::start_date,
                    $table::end_date,
                    $table::version,
                    $table::updated_at,
                ))
        };
    }
    macro_rules! in_json {
        ($table:ident) => {
            fixed::<Bool>(concat!(
                stringify!($table),
                ".staff_id IN (SELECT value FROM json_each("
            ))
            .text(json.clone())
            .sql("))")
        };
    }
    type Row = (
        i32,
        i32,
        i32,
        i32,
        String,
        NaiveDate,
        Option<NaiveDate>,
        i32,
        Stamp,
    );
    // PostgreSQL and MySQL cache a statement whatever its list's length.
    #[cfg(any(feature = "postgres", feature = "mysql"))]
    macro_rules! by_list {
        () => {
            of!(
                "1",
                staff_works_in,
                departments.department_id,
                staff_works_in::staff_id.eq_any(ids.clone())
            )
            .union_all(of!(
                "2",
                department_heads,
                departments.department_id,
                department_heads::staff_id.eq_any(ids.clone())
            ))
            .union_all(of!(
                "3",
                unit_heads,
                units.unit_id,
                unit_heads::staff_id.eq_any(ids.clone())
            ))
        };
    }
    // diesel's multi-backend connection has no UNION: each backend's own.
    let mut rows: Vec<Row> = match conn {
        #[cfg(feature = "sqlite")]
        DbConnection::Sqlite(c) => of!(
            "1",
            staff_works_in,
            departments.department_id,
            in_json!(staff_works_in)
        )
        .union_all(of!(
            "2",
            department_heads,
            departments.department_id,
            in_json!(department_heads)
        ))
        .union_all(of!("3", unit_heads, units.unit_id, in_json!(unit_heads)))
        .load(c)?,
        #[cfg(feature = "postgres")]
        DbConnection::Pg(c) => by_list!().load(c)?,
        #[cfg(feature = "mysql")]
        DbConnection::Mysql(c) => by_list!().load(c)?,
    };
    rows.sort_by_key(|row| (row.0, row.1));
    let by_id: std::collections::HashMap<i32, &directory_domain::Staff> =
        staff.iter().map(|s| (s.id.0, s)).collect();
    Ok(rows
        .into_iter()
        .filter_map(
            |(
                rank,
                id,
                staff_id,
                organization_id,
                organization_name,
                start_date,
                end_date,
                version,
                at,
            )| {
                let kind = match rank {
                    1 => AssignmentKind::WorksIn,
                    2 => AssignmentKind::DepartmentHead,
                    _ => AssignmentKind::UnitHead,
                };
                Some(Assignment {
                    kind,
                    id,
                    staff: (*by_id.get(&staff_id)?).clone(),
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
