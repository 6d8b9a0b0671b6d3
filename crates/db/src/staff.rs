//! Staff members, their secondary departments (works-in), and the rules that
//! need the database: the unit is in the department, the supervisor chain
//! has no cycle, referenced rows exist.

use crate::account_managers::keeping_an_account_manager_if;
use crate::connection::{MultiBackend, native};
use crate::counts::Names;
use crate::exists::has_row;
pub use crate::exists::staff_exists;
use crate::query::{apply_sort, fixed, sort_fields};
use crate::schema::{
    accounts, audit_sequence, cadres, departments, designations, staff, staff_works_in, units,
};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{
    Actor, Counts, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now, utc,
};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use directory_domain::staff::{check_supervisor, check_unit_department};
use directory_domain::{
    AccountId, CadreId, DepartmentId, DesignationId, DomainError, NewStaff, Patch, Staff, StaffId,
    StaffPatch, UnitId,
};
use directory_domain::{AuditAction, InForce, WorksIn};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = staff)]
#[diesel(check_for_backend(MultiBackend))]
struct StaffRow {
    id: i32,
    full_name: String,
    employee_id: String,
    email: String,
    mobile: String,
    email2: Option<String>,
    email3: Option<String>,
    mobile2: Option<String>,
    mobile3: Option<String>,
    office_address: Option<String>,
    department_id: i32,
    unit_id: Option<i32>,
    designation_id: i32,
    supervisor_id: Option<i32>,
    end_date: Option<NaiveDate>,
    active: bool,
    deactivated_at: Option<NaiveDateTime>,
    deactivated_by: Option<i32>,
    #[diesel(embed)]
    audit: AuditColumns<staff::table>,
}

/// A staff row with the names the API embeds.
type StaffJoined = (StaffRow, String, Option<String>, String, i32, String);

fn to_staff(
    (row, department_name, unit_name, designation_name, cadre_id, cadre_name): StaffJoined,
) -> Staff {
    Staff {
        id: StaffId(row.id),
        full_name: row.full_name,
        employee_id: row.employee_id,
        email: row.email,
        mobile: row.mobile,
        email2: row.email2,
        email3: row.email3,
        mobile2: row.mobile2,
        mobile3: row.mobile3,
        office_address: row.office_address,
        department_id: DepartmentId(row.department_id),
        department_name,
        unit_id: row.unit_id.map(UnitId),
        unit_name,
        designation_id: DesignationId(row.designation_id),
        designation_name,
        cadre_id: CadreId(cadre_id),
        cadre_name,
        supervisor_id: row.supervisor_id.map(StaffId),
        end_date: row.end_date,
        active: row.active,
        deactivated_at: row.deactivated_at.map(utc),
        deactivated_by: row.deactivated_by.map(AccountId),
        audit: row.audit.into(),
    }
}

sort_fields!(
    /// How staff lists may be ordered.
    StaffSort {
        FullName => "full_name",
        EmployeeId => "employee_id",
        Email => "email",
        DepartmentId => "department_id",
        EndDate => "end_date",
        CreatedAt => "created_at",
        UpdatedAt => "updated_at",
    }
);

/// Filters for the staff list; all optional and combined with AND.
#[derive(Debug, Clone, Default)]
pub struct StaffFilter {
    pub department_id: Option<DepartmentId>,
    pub unit_id: Option<UnitId>,
    pub designation_id: Option<DesignationId>,
    pub cadre_id: Option<CadreId>,
    pub active: Option<bool>,
    /// Case-insensitive substring of the name, email or employee id.
    pub q: Option<String>,
}

diesel::define_sql_function!(fn lower(x: diesel::sql_types::Text) -> diesel::sql_types::Text);

/// The filtered staff query on the staff table alone (the cadre filter is a
/// subquery), boxed: counting and paging need no joins, so a deep page
/// skips index entries rather than joined rows.
fn filtered_staff(
    filter: &StaffFilter,
    backend: crate::Backend,
) -> staff::BoxedQuery<'static, MultiBackend> {
    filter_staff!(staff::table.into_boxed(), filter, backend, |cadre: i32| {
        staff::designation_id.eq_any(
            designations::table
                .filter(designations::cadre_id.eq(cadre))
                .select(designations::id),
        )
    })
}

/// Adds a [`StaffFilter`]'s conditions to a boxed query over `staff`, alone
/// or joined; `$cadre` makes the cadre condition, which needs the
/// designations (a subquery alone, the joined table when joined).
macro_rules! filter_staff {
    ($query:expr, $filter:expr, $backend:expr, $cadre:expr) => {{
        let (mut query, filter, backend) = ($query, $filter, $backend);
        if let Some(id) = filter.department_id {
            query = query.filter(staff::department_id.eq(id.0));
        }
        if let Some(id) = filter.unit_id {
            query = query.filter(staff::unit_id.eq(id.0));
        }
        if let Some(id) = filter.designation_id {
            query = query.filter(staff::designation_id.eq(id.0));
        }
        if let Some(id) = filter.cadre_id {
            query = query.filter(($cadre)(id.0));
        }
        if let Some(active) = filter.active {
            query = query.filter(staff::active.eq(active));
        }
        if let Some(q) = &filter.q {
            use diesel::sql_types::Bool;
            let pattern = like_pattern(q);
            // Each backend's search index wants its own form (migration 000009).
            query = match backend {
                crate::Backend::Sqlite => match fts_phrase(q) {
                    Some(phrase) => {
                        query.filter(fixed::<Bool>(MATCHING_IDS).text(phrase).sql(")"))
                    }
                    None => query.filter(
                        fixed::<Bool>(
                            "staff.id IN (SELECT rowid FROM staff_search WHERE search_text LIKE ",
                        )
                        .text(pattern)
                        .sql(")"),
                    ),
                },
                crate::Backend::Postgres => query.filter(
                    fixed::<Bool>(
                        "(lower(staff.full_name) || chr(10) || staff.email_key || chr(10) || lower(staff.employee_id)) LIKE ",
                    )
                    .text(pattern),
                ),
                crate::Backend::Mysql => query.filter(
                    lower(staff::full_name)
                        .like(pattern.clone())
                        .or(staff::email_key.like(pattern.clone()))
                        .or(lower(staff::employee_id).like(pattern)),
                ),
            };
        }
        query
    }};
}
use filter_staff;

/// Staff with the tables whose names a staff member carries.
macro_rules! staff_joined {
    () => {
        staff::table
            .inner_join(departments::table)
            .left_join(units::table)
            .inner_join(designations::table.inner_join(cadres::table))
    };
}

macro_rules! staff_columns {
    () => {
        (
            StaffRow::as_select(),
            departments::name,
            units::name.nullable(),
            designations::name,
            cadres::id,
            cadres::name,
        )
    };
}

/// `staff.id IN (` the ids whose search text matches the bound FTS5 query;
/// the caller closes the parenthesis (after an ORDER BY/LIMIT if it wants).
const MATCHING_IDS: &str = "staff.id IN (SELECT rowid FROM staff_search WHERE staff_search MATCH ";

/// The FTS5 query for a `q` of three characters or more: one quoted
/// phrase, which the trigram index answers as "contains this text, ignoring
/// case" from its own posting lists, without reading any row. Shorter text
/// has no trigram, so it is matched with LIKE over every row instead.
fn fts_phrase(q: &str) -> Option<String> {
    let q = q.trim();
    (q.chars().count() >= 3).then(|| format!("\"{}\"", q.replace('"', "\"\"")))
}

/// A search by `q` alone in the default order, answered from the search
/// index (SQLite): its matches come out in id order, so the page stops
/// after `limit` rows and the total is counted without touching `staff`.
fn search_only(filter: &StaffFilter, sort: Option<Sort<StaffSort>>) -> Option<String> {
    let StaffFilter {
        department_id: None,
        unit_id: None,
        designation_id: None,
        cadre_id: None,
        active: None,
        q: Some(q),
    } = filter
    else {
        return None;
    };
    if sort.is_some() {
        return None;
    }
    fts_phrase(q)
}

/// One page of staff, and `total`, the count of every match.
///
/// In the default order (by id), the page is one statement: the rows with
/// their names joined, from the first id of the page on. That id is found
/// by a subquery over the staff table alone, so an `OFFSET` steps over
/// narrow index entries rather than joined rows, and the page's rows are a
/// range of the table's own b-tree. A search (SQLite), another order, or
/// any page on MariaDB finds the page's ids first (search index, or the
/// sorted staff table), then reads those rows.
///
/// `after` pages by key: only staff with a greater id (in the default id
/// order, the next page after that id), so a page deep in the list costs
/// what the first does; an `OFFSET` steps over every row it skips.
pub fn list_staff(
    conn: &mut DbConnection,
    counts: &Counts,
    filter: &StaffFilter,
    sort: Option<Sort<StaffSort>>,
    page: Page,
    after: Option<StaffId>,
) -> DbResult<Paged<Staff>> {
    use diesel::sql_types::{BigInt, Bool};
    let backend = conn.backend();
    // The total depends on the filter alone, not on the order or page.
    let key = || format!("staff {filter:?}");
    let searched = match backend {
        crate::Backend::Sqlite => search_only(filter, sort),
        _ => None,
    };
    match (searched, sort) {
        (Some(phrase), _) => {
            let total = counts.total(conn, key, |conn| {
                diesel::select(
                    fixed::<BigInt>("(SELECT count(*) FROM staff_search WHERE staff_search MATCH ")
                        .text(phrase.clone())
                        .sql(")"),
                )
                .get_result(conn)
            })?;
            let matching = fixed::<Bool>(MATCHING_IDS).text(phrase);
            let matching = match after {
                Some(id) => matching.sql(" AND rowid > ").big_int(i64::from(id.0)),
                None => matching,
            };
            let ids = staff::table
                .filter(
                    matching
                        .sql(" ORDER BY rowid LIMIT ")
                        .big_int(page.limit)
                        .sql(" OFFSET ")
                        .big_int(page.offset)
                        .sql(")"),
                )
                .order(staff::id.asc())
                .select(staff::id)
                .load(conn)?;
            rows_in_order(conn, ids, total)
        }
        (None, None) => {
            let count =
                |conn: &mut DbConnection| filtered_staff(filter, backend).count().get_result(conn);
            // Where the page starts, for the staff rows alone or joined:
            // after the id given, and past `offset` matches.
            macro_rules! from_start {
                ($query:expr, $total:expr) => {{
                    let mut query = $query;
                    if let Some(id) = after {
                        query = query.filter(staff::id.gt(id.0));
                    }
                    if page.offset > 0 {
                        let mut first = filtered_staff(filter, backend).select(staff::id);
                        // Skipping index entries one by one is the page's
                        // only cost that grows with the table (no backend
                        // keeps counts in its b-trees), so a page in the
                        // back half is found from the end: half the entries
                        // skipped on average.
                        let from_end = $total - 1 - page.offset;
                        first = match after {
                            None if page.offset > from_end && from_end >= 0 => {
                                first.order(staff::id.desc()).offset(from_end)
                            }
                            _ => {
                                if let Some(id) = after {
                                    first = first.filter(staff::id.gt(id.0));
                                }
                                first.order(staff::id.asc()).offset(page.offset)
                            }
                        };
                        if backend == crate::Backend::Mysql {
                            // MariaDB reads every row before a subquery's
                            // id rather than seeking to it (`type: index`,
                            // not `range`: 5 ms a page at 10,000 staff), so
                            // its page starts from the id found first.
                            match first.first::<i32>(conn).optional()? {
                                Some(start) => query = query.filter(staff::id.ge(start)),
                                None => {
                                    return Ok(Paged {
                                        items: Vec::new(),
                                        total: $total,
                                    });
                                }
                            }
                        } else {
                            // Past the last match the subquery is NULL: an
                            // empty page.
                            query = query.filter(staff::id.nullable().ge(first.single_value()));
                        }
                    }
                    query.order(staff::id.asc()).limit(page.limit)
                }};
            }
            if backend != crate::Backend::Sqlite {
                // The staff rows alone, their names from memory. Joined,
                // MariaDB's optimiser starts the page at the smallest table
                // (cadres) and sorts every staff member (10,000 staff: 30 ms
                // a page); PostgreSQL re-plans the join at every execution
                // (1-3 ms against 0.5 ms of running it: with `LIMIT $n` the
                // generic plan is costed for a tenth of the table), and
                // with a fixed plan the joins are still half its work.
                let (total, names) = counts.total_and_names(conn, key, count)?;
                let rows = from_start!(
                    filtered_staff(filter, backend).select(StaffRow::as_select()),
                    total
                )
                .load(conn)?;
                return with_names(conn, rows, &names, total);
            }
            let total = counts.total(conn, key, count)?;
            let rows = from_start!(
                filter_staff!(
                    staff_joined!().select(staff_columns!()).into_boxed(),
                    filter,
                    backend,
                    |cadre: i32| designations::cadre_id.eq(cadre)
                ),
                total
            );
            Ok(Paged {
                items: load_staff(conn, rows, usize::try_from(page.limit).unwrap_or(0))?,
                total,
            })
        }
        (None, sort) => {
            let count =
                |conn: &mut DbConnection| filtered_staff(filter, backend).count().get_result(conn);
            let (total, names) = match backend {
                crate::Backend::Sqlite => (counts.total(conn, key, count)?, None),
                _ => {
                    let (total, names) = counts.total_and_names(conn, key, count)?;
                    (total, Some(names))
                }
            };
            let mut query = filtered_staff(filter, backend);
            if let Some(id) = after {
                query = query.filter(staff::id.gt(id.0));
            }
            let ids = apply_sort!(query, sort, staff::id, {
                StaffSort::FullName => staff::full_name,
                StaffSort::EmployeeId => staff::employee_id,
                StaffSort::Email => staff::email_key,
                StaffSort::DepartmentId => staff::department_id,
                StaffSort::EndDate => staff::end_date,
                StaffSort::CreatedAt => staff::created_at,
                StaffSort::UpdatedAt => staff::updated_at,
            })
            .select(staff::id)
            .limit(page.limit)
            .offset(page.offset)
            .load(conn)?;
            match names {
                Some(names) => rows_named(conn, ids, &names, total),
                None => rows_in_order(conn, ids, total),
            }
        }
    }
}

/// Builds each staff member straight from its row, into a vector sized for
/// the `rows` expected: collecting diesel's tuples first and converting
/// them after copied every ~450-byte row two or three more times (growth,
/// then conversion), which perf showed as a third of a page's memmove.
fn load_staff<'q, Q>(conn: &mut DbConnection, query: Q, rows: usize) -> DbResult<Vec<Staff>>
where
    Q: diesel::query_dsl::LoadQuery<'q, DbConnection, StaffJoined>,
{
    let mut items = Vec::with_capacity(rows);
    for row in query.load_iter::<StaffJoined, diesel::connection::DefaultLoadingMode>(conn)? {
        items.push(to_staff(row?));
    }
    Ok(items)
}

/// The rows with these ids, in this order, with their names joined.
fn rows_in_order(conn: &mut DbConnection, ids: Vec<i32>, total: i64) -> DbResult<Paged<Staff>> {
    use diesel::sql_types::Bool;
    if ids.is_empty() {
        return Ok(Paged {
            items: Vec::new(),
            total,
        });
    }
    let rows_query = staff_joined!().select(staff_columns!()).into_boxed();
    let rows_query = match conn.backend() {
        // One statement text for every page (the ids as one JSON array), so
        // SQLite parses and plans it once per connection, not per request.
        crate::Backend::Sqlite => rows_query.filter(
            fixed::<Bool>("staff.id IN (SELECT value FROM json_each(")
                .text(json_ids(&ids))
                .sql("))"),
        ),
        _ => rows_query.filter(staff::id.eq_any(&ids)),
    };
    let mut items = load_staff(conn, rows_query, ids.len())?;
    in_order(&mut items, &ids, |staff| staff.id.0);
    Ok(Paged { items, total })
}

/// Puts `items` back into the order of `ids` (the page's order).
fn in_order<T>(items: &mut [T], ids: &[i32], id: impl Fn(&T) -> i32) {
    let position: std::collections::HashMap<i32, usize> =
        ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    items.sort_by_key(|item| position.get(&id(item)).copied().unwrap_or(usize::MAX));
}

/// The rows with these ids, in this order, named from `names`.
fn rows_named(
    conn: &mut DbConnection,
    ids: Vec<i32>,
    names: &Names,
    total: i64,
) -> DbResult<Paged<Staff>> {
    let mut rows: Vec<StaffRow> = staff::table
        .filter(staff::id.eq_any(&ids))
        .select(StaffRow::as_select())
        .load(conn)?;
    in_order(&mut rows, &ids, |row| row.id);
    with_names(conn, rows, names, total)
}

/// The page of these rows, each with its names from `names`; a row naming
/// something newer than they are (a unit created after they were read)
/// takes the page back to the joined statement.
fn with_names(
    conn: &mut DbConnection,
    rows: Vec<StaffRow>,
    names: &Names,
    total: i64,
) -> DbResult<Paged<Staff>> {
    let ids: Vec<i32> = rows.iter().map(|row| row.id).collect();
    match rows.into_iter().map(|row| named(row, names)).collect() {
        Some(items) => Ok(Paged { items, total }),
        None => rows_in_order(conn, ids, total),
    }
}

/// A row with its names from `names`, if they hold them all.
fn named(row: StaffRow, names: &Names) -> Option<Staff> {
    let (department, unit, designation, cadre_id, cadre) = names_of(&row, names)?;
    let (department, unit) = (department.clone(), unit.cloned());
    let (designation, cadre) = (designation.clone(), cadre.clone());
    Some(to_staff((
        row,
        department,
        unit,
        designation,
        cadre_id,
        cadre,
    )))
}

/// A row's department, unit, designation, cadre id and cadre names, if
/// `names` holds them all.
fn names_of<'n>(
    row: &StaffRow,
    names: &'n Names,
) -> Option<(&'n String, Option<&'n String>, &'n String, i32, &'n String)> {
    let department = names.departments.get(&row.department_id)?;
    let unit = match row.unit_id {
        Some(id) => Some(names.units.get(&id)?),
        None => None,
    };
    let (designation, cadre_id) = names.designations.get(&row.designation_id)?;
    let cadre = names.cadres.get(cadre_id)?;
    Some((department, unit, designation, *cadre_id, cadre))
}

/// The staff members with these ids, in this order (ids that match no one
/// are left out), in one query.
pub fn staff_by_ids(conn: &mut DbConnection, ids: &[StaffId]) -> DbResult<Vec<Staff>> {
    let ids: Vec<i32> = ids.iter().map(|id| id.0).collect();
    Ok(rows_in_order(conn, ids, 0)?.items)
}

/// `[1,2,3]`: ids as a JSON array, for SQLite's `json_each`.
fn json_ids(ids: &[i32]) -> String {
    let ids: Vec<String> = ids.iter().map(i32::to_string).collect();
    format!("[{}]", ids.join(","))
}

pub fn get_staff(conn: &mut DbConnection, id: StaffId) -> DbResult<Staff> {
    native!(conn, |c| staff_joined!()
        .filter(staff::id.eq(id.0))
        .select(staff_columns!())
        .first::<StaffJoined>(c)
        .optional())?
    .map(to_staff)
    .ok_or_else(|| DbError::not_found("staff member", id))
}

/// One staff member, for a read that may use remembered names. On
/// PostgreSQL and MySQL: the row alone, with the directory's version in the
/// same statement to check the names against (the four joins were most of
/// the database's work for GET of one staff member). SQLite joins.
pub fn read_staff(conn: &mut DbConnection, counts: &Counts, id: StaffId) -> DbResult<Staff> {
    if conn.backend() == crate::Backend::Sqlite {
        return get_staff(conn, id);
    }
    let version = audit_sequence::table
        .find(1)
        .select(audit_sequence::last_id)
        .single_value();
    let (row, version) = native!(conn, |c| staff::table
        .filter(staff::id.eq(id.0))
        .select((StaffRow::as_select(), version))
        .first::<(StaffRow, Option<i64>)>(c)
        .optional())?
    .ok_or_else(|| DbError::not_found("staff member", id))?;
    let names = counts.names(conn, version.unwrap_or(0))?;
    match named(row, &names) {
        Some(staff) => Ok(staff),
        // It names something newer than the names held.
        None => get_staff(conn, id),
    }
}

/// The references of a staff member, checked against the database. Every
/// broken reference is reported at once, as a validation error.
fn check_references(
    conn: &mut DbConnection,
    staff_id: Option<StaffId>,
    department: DepartmentId,
    unit: Option<UnitId>,
    designation: DesignationId,
    supervisor: Option<StaffId>,
) -> DbResult<()> {
    let mut errors = Vec::new();
    let mut push = |e: DomainError| errors.extend(e.errors().iter().cloned());
    let department_found = has_row!(conn, departments, department.0)?;
    if !department_found {
        push(DomainError::field(
            "department_id",
            format!("department {department} does not exist"),
        ));
    }
    if let Some(unit) = unit {
        let unit_department: Option<i32> = units::table
            .find(unit.0)
            .select(units::department_id)
            .first(conn)
            .optional()?;
        match unit_department {
            None => push(DomainError::field(
                "unit_id",
                format!("unit {unit} does not exist"),
            )),
            Some(d) if department_found => {
                if let Err(e) = check_unit_department(unit, DepartmentId(d), department) {
                    push(e);
                }
            }
            Some(_) => {}
        }
    }
    if !has_row!(conn, designations, designation.0)? {
        push(DomainError::field(
            "designation_id",
            format!("designation {designation} does not exist"),
        ));
    }
    if let Some(supervisor) = supervisor {
        if !has_row!(conn, staff, supervisor.0)? {
            push(DomainError::field(
                "supervisor_id",
                format!("staff member {supervisor} does not exist"),
            ));
        } else if let Err(e) = check_supervisor(staff_id, supervisor, |id| {
            staff::table
                .find(id.0)
                .select(staff::supervisor_id)
                .first::<Option<i32>>(conn)
                .optional()
                .map(|s| s.flatten().map(StaffId))
                .map_err(|e| DomainError::field("supervisor_id", e.to_string()))
        }) {
            push(e);
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(DomainError::Validation(errors).into())
    }
}

pub fn create_staff(conn: &mut DbConnection, new: &NewStaff, actor: Actor) -> DbResult<Staff> {
    let at = now();
    let by = actor.map(|a| a.0);
    versioned::create(conn, actor, |conn| {
        check_references(
            conn,
            None,
            new.department_id,
            new.unit_id,
            new.designation_id,
            new.supervisor_id,
        )?;
        diesel::insert_into(staff::table)
            .values((
                (
                    staff::full_name.eq(&new.full_name),
                    staff::employee_id.eq(&new.employee_id),
                    staff::email.eq(&new.email),
                    staff::email_key.eq(new.email.to_lowercase()),
                    staff::mobile.eq(&new.mobile),
                    staff::email2.eq(new.email2.as_deref()),
                    staff::email3.eq(new.email3.as_deref()),
                    staff::mobile2.eq(new.mobile2.as_deref()),
                    staff::mobile3.eq(new.mobile3.as_deref()),
                    staff::office_address.eq(new.office_address.as_deref()),
                ),
                (
                    staff::department_id.eq(new.department_id.0),
                    staff::unit_id.eq(new.unit_id.map(|u| u.0)),
                    staff::designation_id.eq(new.designation_id.0),
                    staff::supervisor_id.eq(new.supervisor_id.map(|s| s.0)),
                    staff::end_date.eq(new.end_date),
                    staff::active.eq(true),
                ),
                (
                    staff::created_at.eq(at),
                    staff::created_by.eq(by),
                    staff::updated_at.eq(at),
                    staff::updated_by.eq(by),
                    staff::version.eq(1),
                ),
            ))
            .execute(conn)?;
        let id: i32 = staff::table
            .filter(staff::employee_id.eq(&new.employee_id))
            .select(staff::id)
            .first(conn)?;
        get_staff(conn, StaffId(id))
    })
}

/// The columns a staff patch changes: `None` leaves a column as it is,
/// `Some(None)` clears a nullable one.
#[derive(AsChangeset)]
#[diesel(table_name = staff)]
struct StaffChanges {
    full_name: Option<String>,
    employee_id: Option<String>,
    email: Option<String>,
    email_key: Option<String>,
    mobile: Option<String>,
    email2: Option<Option<String>>,
    email3: Option<Option<String>>,
    mobile2: Option<Option<String>>,
    mobile3: Option<Option<String>>,
    office_address: Option<Option<String>>,
    department_id: Option<i32>,
    unit_id: Option<Option<i32>>,
    designation_id: Option<i32>,
    supervisor_id: Option<Option<i32>>,
    end_date: Option<Option<NaiveDate>>,
}

impl StaffChanges {
    fn of(patch: &StaffPatch) -> Self {
        let set = |p: &Patch<String>| p.as_set().cloned();
        Self {
            full_name: set(&patch.full_name),
            employee_id: set(&patch.employee_id),
            email_key: patch.email.as_set().map(|e| e.to_lowercase()),
            email: set(&patch.email),
            mobile: set(&patch.mobile),
            email2: patch.email2.clone().into_nullable(),
            email3: patch.email3.clone().into_nullable(),
            mobile2: patch.mobile2.clone().into_nullable(),
            mobile3: patch.mobile3.clone().into_nullable(),
            office_address: patch.office_address.clone().into_nullable(),
            department_id: patch.department_id.as_set().map(|d| d.0),
            unit_id: patch
                .unit_id
                .clone()
                .into_nullable()
                .map(|u| u.map(|u| u.0)),
            designation_id: patch.designation_id.as_set().map(|d| d.0),
            supervisor_id: patch
                .supervisor_id
                .clone()
                .into_nullable()
                .map(|s| s.map(|s| s.0)),
            end_date: patch.end_date.clone().into_nullable(),
        }
    }
}

pub fn update_staff(
    conn: &mut DbConnection,
    id: StaffId,
    expected_version: Option<i32>,
    patch: &StaffPatch,
    actor: Actor,
) -> DbResult<Staff> {
    change_staff(conn, id, expected_version, patch, actor, true)
}

/// [`update_staff`] for a caller that has checked the references itself
/// against the state it is bringing about: an import, whose supervisors
/// may be rows of the same file and whose cycle check is over the whole
/// file, so a row-by-row check would refuse a valid order of changes.
pub fn update_staff_vouched(
    conn: &mut DbConnection,
    id: StaffId,
    expected_version: Option<i32>,
    patch: &StaffPatch,
    actor: Actor,
) -> DbResult<Staff> {
    change_staff(conn, id, expected_version, patch, actor, false)
}

fn change_staff(
    conn: &mut DbConnection,
    id: StaffId,
    expected_version: Option<i32>,
    patch: &StaffPatch,
    actor: Actor,
    check: bool,
) -> DbResult<Staff> {
    let target = Target::new("staff member", id.0, expected_version, actor);
    let change = |conn: &mut DbConnection| {
        versioned::update(
            conn,
            target,
            |c| get_staff(c, id),
            |conn, before| {
                let department = patch
                    .department_id
                    .as_set()
                    .copied()
                    .unwrap_or(before.department_id);
                let unit = match &patch.unit_id {
                    Patch::Unchanged => before.unit_id,
                    Patch::Clear => None,
                    Patch::Set(unit) => Some(*unit),
                };
                let designation = patch
                    .designation_id
                    .as_set()
                    .copied()
                    .unwrap_or(before.designation_id);
                // Only a changed supervisor needs the cycle walk.
                let supervisor = patch.supervisor_id.as_set().copied();
                if check {
                    check_references(conn, Some(id), department, unit, designation, supervisor)?;
                }

                Ok(diesel::update(at_version!(staff, target, before))
                    .set((StaffChanges::of(patch), touched!(staff, actor)))
                    .execute(conn)?)
            },
        )
    };
    // An end date already past ends the staff member's logins now:
    // refused if theirs is the last account that manages accounts. It ends
    // their headships and works-in periods on that day.
    crate::write_transaction(conn, |conn| {
        let updated = keeping_an_account_manager_if(!patch.end_date.is_unchanged(), conn, change)?;
        if let Patch::Set(last_day) = patch.end_date {
            crate::links::end_periods_of_staff(conn, id.0, last_day, actor)?;
        }
        Ok(updated)
    })
}

/// Marks a staff member inactive (or active again), recording who and when.
/// Deactivating ends their headships and works-in periods: none is in
/// force from `today` on. (Their logins end too: a token or login of an
/// inactive staff member's account is refused.)
pub fn set_staff_active(
    conn: &mut DbConnection,
    id: StaffId,
    active: bool,
    today: NaiveDate,
    actor: Actor,
) -> DbResult<Staff> {
    let target = Target::new("staff member", id.0, None, actor).recorded_as(if active {
        AuditAction::Reactivate
    } else {
        AuditAction::Deactivate
    });
    let read = |c: &mut DbConnection| get_staff(c, id);
    let change = |conn: &mut DbConnection| {
        versioned::update_unless(
            conn,
            target,
            read,
            |s| s.active == active,
            |conn, before| {
                let at = now();
                Ok(diesel::update(at_version!(staff, target, before))
                    .set((
                        staff::active.eq(active),
                        staff::deactivated_at.eq((!active).then_some(at)),
                        staff::deactivated_by.eq(if active { None } else { actor.map(|a| a.0) }),
                        touched!(staff, actor, at),
                    ))
                    .execute(conn)?)
            },
        )
    };
    crate::write_transaction(conn, |conn| {
        let staff = change(conn)?;
        if !active {
            let yesterday = today.pred_opt().unwrap_or(today);
            crate::links::end_periods_of_staff(conn, id.0, yesterday, actor)?;
        }
        Ok(staff)
    })
}

/// Deletes a staff member who has no accounts; their head and works-in links
/// go with them and their supervisees are left without a supervisor.
pub fn delete_staff(
    conn: &mut DbConnection,
    id: StaffId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("staff member", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_staff(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [accounts::staff_id],
                "staff member {id} still has {accounts} accounts; deactivate them instead"
            );
            crate::links::record_cascade(conn, crate::links::Owner::Staff(id.0), actor)?;
            release(conn, Released::Supervisees(id.0), actor)?;
            Ok(diesel::delete(at_version!(staff, target, before)).execute(conn)?)
        },
    )
}

/// Whose staff rows a deletion would change through ON DELETE SET NULL.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Released {
    /// The staff of a unit being deleted (they stay in its department).
    UnitStaff(i32),
    /// The supervisees of a staff member being deleted.
    Supervisees(i32),
}

/// Clears the unit or supervisor that a deletion is about to remove, on
/// each staff row that names it, as an update of its own (a new version,
/// recorded), rather than leave the database's SET NULL to change the
/// rows unseen by the trail, the change feed and the FHIR view. Called in
/// the deletion's transaction, before it.
pub(crate) fn release(conn: &mut DbConnection, which: Released, actor: Actor) -> DbResult<()> {
    let ids: Vec<i32> = match which {
        Released::UnitStaff(unit) => staff::table
            .filter(staff::unit_id.eq(unit))
            .select(staff::id)
            .load(conn)?,
        Released::Supervisees(supervisor) => staff::table
            .filter(staff::supervisor_id.eq(supervisor))
            .select(staff::id)
            .load(conn)?,
    };
    for id in ids {
        let target = Target::new("staff member", id, None, actor);
        versioned::update(
            conn,
            target,
            |c| get_staff(c, StaffId(id)),
            |conn, before| {
                let row = at_version!(staff, target, before);
                Ok(match which {
                    Released::UnitStaff(_) => diesel::update(row)
                        .set((staff::unit_id.eq(None::<i32>), touched!(staff, actor)))
                        .execute(conn)?,
                    Released::Supervisees(_) => diesel::update(row)
                        .set((staff::supervisor_id.eq(None::<i32>), touched!(staff, actor)))
                        .execute(conn)?,
                })
            },
        )?;
    }
    Ok(())
}

// ---- works-in --------------------------------------------------------------

crate::links::period_table! {
    /// Adds a secondary department over a period.
    put put_works_in,
    /// Ends a secondary department (404 if none is in force today or later).
    end end_works_in,
    staff_works_in {
        staff_id: StaffId = staff_id, checked by staff_exists;
        department: DepartmentId = department_id, checked by crate::exists::department_exists;
    }
    staff is staff_id,
    missing "works-in link", "staff {staff_id} in department {department}",
    recorded as WorksIn
}

/// The secondary departments of each given staff member that `when` asks
/// for, in one query.
pub fn works_in_of(
    conn: &mut DbConnection,
    staff_ids: &[StaffId],
    when: InForce,
) -> DbResult<Vec<(StaffId, WorksIn)>> {
    let ids: Vec<i32> = staff_ids.iter().map(|s| s.0).collect();
    let query = staff_works_in::table
        .inner_join(departments::table)
        .filter(staff_works_in::staff_id.eq_any(ids))
        .into_boxed();
    let rows: Vec<(i32, i32, String, NaiveDate, Option<NaiveDate>)> =
        crate::links::in_force!(query, staff_works_in, when)
            .order((
                staff_works_in::staff_id.asc(),
                departments::name_key.asc(),
                staff_works_in::start_date.asc(),
            ))
            .select((
                staff_works_in::staff_id,
                departments::id,
                departments::name,
                staff_works_in::start_date,
                staff_works_in::end_date,
            ))
            .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(staff_id, id, department_name, start_date, end_date)| {
            (
                StaffId(staff_id),
                WorksIn {
                    department_id: DepartmentId(id),
                    department_name,
                    start_date,
                    end_date,
                },
            )
        })
        .collect())
}

#[derive(Insertable)]
#[diesel(table_name = staff, treat_none_as_default_value = false)]
struct StaffInsert<'a> {
    full_name: &'a str,
    employee_id: &'a str,
    email: &'a str,
    email_key: String,
    mobile: &'a str,
    email2: Option<&'a str>,
    email3: Option<&'a str>,
    mobile2: Option<&'a str>,
    mobile3: Option<&'a str>,
    office_address: Option<&'a str>,
    department_id: i32,
    unit_id: Option<i32>,
    designation_id: i32,
    supervisor_id: Option<i32>,
    end_date: Option<NaiveDate>,
    active: bool,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

/// Inserts many staff members with multi-row INSERTs, for demo data and
/// imports, and returns their ids in the batch's order. The caller vouches
/// for the references (this skips the per-row checks of [`create_staff`])
/// and owns the transaction; uniqueness is still enforced by the database.
/// The trail records each creation.
pub fn insert_staff_batch(
    conn: &mut DbConnection,
    batch: &[NewStaff],
    actor: Actor,
) -> DbResult<Vec<StaffId>> {
    let at = now();
    let by = actor.map(|a| a.0);
    let rows: Vec<StaffInsert<'_>> = batch
        .iter()
        .map(|s| StaffInsert {
            full_name: &s.full_name,
            employee_id: &s.employee_id,
            email: &s.email,
            email_key: s.email.to_lowercase(),
            mobile: &s.mobile,
            email2: s.email2.as_deref(),
            email3: s.email3.as_deref(),
            mobile2: s.mobile2.as_deref(),
            mobile3: s.mobile3.as_deref(),
            office_address: s.office_address.as_deref(),
            department_id: s.department_id.0,
            unit_id: s.unit_id.map(|u| u.0),
            designation_id: s.designation_id.0,
            supervisor_id: s.supervisor_id.map(|s| s.0),
            end_date: s.end_date,
            active: true,
            created_at: at,
            created_by: by,
            updated_at: at,
            updated_by: by,
            version: 1,
        })
        .collect();
    let mut ids = std::collections::HashMap::with_capacity(rows.len());
    // Multi-row INSERT is not available on the connection enum, so match on
    // the backend (docs/BACKENDS.md); 500 rows stay under every bind limit.
    for chunk in rows.chunks(500) {
        // PostgreSQL and MariaDB read the chunk back as the rows above the
        // largest id before it, ids first: by `employee_id IN (500
        // values)` PostgreSQL, with no statistics for rows its own
        // transaction added, scanned the whole table for every chunk
        // (100,000 rows: 114 s against 12 s), and MariaDB, joined, started
        // from the small tables (25 s against 7.5 s). SQLite finds them by
        // employee id from its index, faster than two statements by id.
        let before: Option<i32> = match conn.backend() {
            crate::Backend::Postgres | crate::Backend::Mysql => staff::table
                .select(diesel::dsl::max(staff::id))
                .first::<Option<i32>>(conn)?
                .or(Some(0)),
            _ => None,
        };
        let _inserted: usize = match conn {
            #[cfg(feature = "sqlite")]
            DbConnection::Sqlite(c) => {
                diesel::insert_into(staff::table).values(chunk).execute(c)?
            }
            #[cfg(feature = "postgres")]
            // COPY: one statement parsed and planned, where a 500-row
            // INSERT with 10,500 bound values is planned afresh each time
            // (a million-row load: 5.5 s a 100,000 rows against 7.4 s).
            DbConnection::Pg(c) => {
                use diesel::ExecuteCopyFromDsl;
                diesel::copy_from(staff::table)
                    .from_insertable(chunk.iter().collect::<Vec<_>>())
                    .execute(c)?
            }
            #[cfg(feature = "mysql")]
            DbConnection::Mysql(c) => diesel::insert_into(staff::table).values(chunk).execute(c)?,
        };
        // Each one's creation, as the trail records any other (rows another
        // writer added meanwhile are left out by their employee ids).
        let employee_ids: std::collections::HashSet<&str> =
            chunk.iter().map(|row| row.employee_id).collect();
        let created = match before {
            Some(before) => {
                let added: Vec<i32> = staff::table
                    .filter(staff::id.gt(before))
                    .order(staff::id.asc())
                    .select(staff::id)
                    .load(conn)?;
                rows_in_order(conn, added, 0)?.items
            }
            None => {
                let wanted: Vec<&str> = employee_ids.iter().copied().collect();
                let query = staff_joined!()
                    .select(staff_columns!())
                    .filter(staff::employee_id.eq_any(wanted))
                    .into_boxed();
                load_staff(conn, query, chunk.len())?
            }
        };
        for created in created {
            if employee_ids.contains(created.employee_id.as_str()) {
                versioned::created_event(&created, actor)?.record()?;
                ids.insert(created.employee_id, created.id);
            }
        }
    }
    batch
        .iter()
        .map(|s| {
            ids.get(&s.employee_id).copied().ok_or_else(|| {
                DbError::Internal(format!("staff member {} was not inserted", s.employee_id))
            })
        })
        .collect()
}

/// The staff members with these employee ids (those that exist), for an
/// import to compare its rows with; 500 ids a query, under every
/// backend's limit on bound values.
pub fn staff_by_employee_ids(
    conn: &mut DbConnection,
    employee_ids: &[&str],
) -> DbResult<Vec<Staff>> {
    // The ids first, from the staff table alone, then the rows by id:
    // joined, MariaDB started from the small tables and read every staff
    // row for each chunk (100,000 rows: 28 s against 1.4 s).
    let mut found = Vec::new();
    for chunk in employee_ids.chunks(500) {
        let ids: Vec<i32> = staff::table
            .filter(staff::employee_id.eq_any(chunk))
            .select(staff::id)
            .load(conn)?;
        found.extend(rows_in_order(conn, ids, 0)?.items);
    }
    Ok(found)
}

/// Which employee holds each of these emails (compared ignoring case,
/// `email_keys` lower-cased), as `(email_key, employee_id)` pairs.
pub fn employee_ids_by_email(
    conn: &mut DbConnection,
    email_keys: &[&str],
) -> DbResult<Vec<(String, String)>> {
    let mut found = Vec::new();
    for chunk in email_keys.chunks(500) {
        found.extend(
            staff::table
                .filter(staff::email_key.eq_any(chunk))
                .select((staff::email_key, staff::employee_id))
                .load::<(String, String)>(conn)?,
        );
    }
    Ok(found)
}

/// Every staff member's supervisor, as `(staff, supervisor)` pairs: the
/// graph an import checks for cycles once its own rows are laid over it.
pub fn supervisor_links(conn: &mut DbConnection) -> DbResult<Vec<(StaffId, StaffId)>> {
    Ok(staff::table
        .filter(staff::supervisor_id.is_not_null())
        .select((staff::id, staff::supervisor_id.assume_not_null()))
        .load::<(i32, i32)>(conn)?
        .into_iter()
        .map(|(s, sup)| (StaffId(s), StaffId(sup)))
        .collect())
}

/// Up to `limit` staff members matching `filter` with an id above
/// `after`, in id order, each with their supervisor's employee id: one
/// page of an export, which walks the list by key so that each page costs
/// the same and no count is taken.
pub fn export_page(
    conn: &mut DbConnection,
    filter: &StaffFilter,
    after: Option<StaffId>,
    limit: i64,
) -> DbResult<Vec<(Staff, Option<String>)>> {
    // The page's ids from the staff table alone, in its key's order, then
    // their rows: joined in one statement, MariaDB started from the small
    // tables and sorted every staff row for each page.
    let mut ids = filtered_staff(filter, conn.backend()).select(staff::id);
    if let Some(id) = after {
        ids = ids.filter(staff::id.gt(id.0));
    }
    let ids: Vec<i32> = ids.order(staff::id.asc()).limit(limit).load(conn)?;
    let page = rows_in_order(conn, ids, 0)?.items;
    let mut supervisors: Vec<i32> = page
        .iter()
        .filter_map(|s| s.supervisor_id.map(|id| id.0))
        .collect();
    supervisors.sort_unstable();
    supervisors.dedup();
    let mut employee_ids = std::collections::HashMap::with_capacity(supervisors.len());
    for chunk in supervisors.chunks(500) {
        employee_ids.extend(
            staff::table
                .filter(staff::id.eq_any(chunk))
                .select((staff::id, staff::employee_id))
                .load::<(i32, String)>(conn)?,
        );
    }
    Ok(page
        .into_iter()
        .map(|s| {
            let supervisor = s
                .supervisor_id
                .and_then(|id| employee_ids.get(&id.0).cloned());
            (s, supervisor)
        })
        .collect())
}

/// How many staff members have an employee id starting with `prefix`.
pub fn count_with_employee_prefix(conn: &mut DbConnection, prefix: &str) -> DbResult<i64> {
    Ok(staff::table
        .filter(staff::employee_id.like(format!("{prefix}%")))
        .count()
        .get_result(conn)?)
}
