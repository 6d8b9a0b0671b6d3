//! Departments and their heads.

use crate::connection::MultiBackend;
pub use crate::exists::department_exists;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{department_heads, departments, designations, staff, units};
use crate::versioned::{self, Target};
use crate::{
    Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, like_pattern, now, version_is,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{
    Department, DepartmentId, DepartmentPatch, NewDepartment, StaffId, StaffRef,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = departments)]
struct DepartmentRow {
    id: i32,
    name: String,
    abbr: Option<String>,
    kind: String,
    active: bool,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

impl TryFrom<DepartmentRow> for Department {
    type Error = DbError;

    fn try_from(row: DepartmentRow) -> DbResult<Self> {
        Ok(Department {
            id: DepartmentId(row.id),
            kind: row.kind.parse().map_err(|_| {
                DbError::Internal(format!("department {} has kind {:?}", row.id, row.kind))
            })?,
            name: row.name,
            abbr: row.abbr,
            active: row.active,
            audit: audit(
                row.created_at,
                row.created_by,
                row.updated_at,
                row.updated_by,
                row.version,
            ),
        })
    }
}

#[derive(Insertable)]
#[diesel(table_name = departments)]
struct DepartmentInsert<'a> {
    name: &'a str,
    name_key: String,
    abbr: Option<&'a str>,
    kind: &'a str,
    active: bool,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

#[derive(AsChangeset)]
#[diesel(table_name = departments)]
struct DepartmentChanges {
    name: Option<String>,
    name_key: Option<String>,
    abbr: Option<Option<String>>,
    kind: Option<&'static str>,
    active: Option<bool>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
}

sort_fields!(
    /// How department lists may be ordered.
    DepartmentSort { Name => "name", Kind => "kind", CreatedAt => "created_at", UpdatedAt => "updated_at" }
);

/// Filters for the department list; all optional.
#[derive(Debug, Clone, Default)]
pub struct DepartmentFilter {
    pub kind: Option<directory_domain::DepartmentKind>,
    pub active: Option<bool>,
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
}

fn department_row(conn: &mut DbConnection, id: DepartmentId) -> DbResult<DepartmentRow> {
    departments::table
        .find(id.0)
        .select(DepartmentRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("department", id))
}

pub fn get_department(conn: &mut DbConnection, id: DepartmentId) -> DbResult<Department> {
    department_row(conn, id)?.try_into()
}

pub fn create_department(
    conn: &mut DbConnection,
    new: &NewDepartment,
    actor: Actor,
) -> DbResult<Department> {
    let at = now();
    let key = unique_key(&new.name);
    crate::write_transaction(conn, |conn| {
        diesel::insert_into(departments::table)
            .values(DepartmentInsert {
                name: &new.name,
                name_key: key.clone(),
                abbr: new.abbr.as_deref(),
                kind: new.kind.as_str(),
                active: true,
                created_at: at,
                created_by: actor.map(|a| a.0),
                updated_at: at,
                updated_by: actor.map(|a| a.0),
                version: 1,
            })
            .execute(conn)?;
        departments::table
            .filter(departments::name_key.eq(&key))
            .select(DepartmentRow::as_select())
            .first(conn)?
            .try_into()
    })
}

fn filtered_departments(
    filter: &DepartmentFilter,
) -> departments::BoxedQuery<'static, MultiBackend> {
    let mut query = departments::table.into_boxed();
    if let Some(kind) = filter.kind {
        query = query.filter(departments::kind.eq(kind.as_str()));
    }
    if let Some(active) = filter.active {
        query = query.filter(departments::active.eq(active));
    }
    if let Some(q) = &filter.q {
        query = query.filter(departments::name_key.like(like_pattern(q)));
    }
    query
}

pub fn list_departments(
    conn: &mut DbConnection,
    filter: &DepartmentFilter,
    sort: Option<Sort<DepartmentSort>>,
    page: Page,
) -> DbResult<Paged<Department>> {
    let total = filtered_departments(filter).count().get_result(conn)?;
    let rows: Vec<DepartmentRow> =
        apply_sort!(filtered_departments(filter), sort, departments::id, {
            DepartmentSort::Name => departments::name_key,
            DepartmentSort::Kind => departments::kind,
            DepartmentSort::CreatedAt => departments::created_at,
            DepartmentSort::UpdatedAt => departments::updated_at,
        })
        .select(DepartmentRow::as_select())
        .limit(page.limit)
        .offset(page.offset)
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(Department::try_from)
        .collect::<DbResult<_>>()?;
    Ok(Paged { items, total })
}

pub fn update_department(
    conn: &mut DbConnection,
    id: DepartmentId,
    expected_version: Option<i32>,
    patch: &DepartmentPatch,
    actor: Actor,
) -> DbResult<Department> {
    crate::write_transaction(conn, |conn| {
        let current = department_row(conn, id)?;
        let target = Target::new("department", id.0, expected_version);
        let write = |conn: &mut DbConnection| {
            let name = patch.name.as_set().cloned();
            let changes = DepartmentChanges {
                name_key: name.as_deref().map(unique_key),
                name,
                abbr: patch.abbr.clone().into_nullable(),
                kind: patch.kind.as_set().map(|k| k.as_str()),
                active: patch.active.as_set().copied(),
                updated_at: now(),
                updated_by: actor.map(|a| a.0),
            };
            Ok(
                diesel::update(departments::table.find(id.0).filter(version_is(
                    departments::version,
                    expected_version,
                    current.version,
                )))
                .set((changes, departments::version.eq(departments::version + 1)))
                .execute(conn)?,
            )
        };
        let reread = |conn: &mut DbConnection| Ok(department_row(conn, id)?.version);
        versioned::update(conn, target, current.version, write, reread)?;
        get_department(conn, id)
    })
}

/// Deletes a department that nothing points at; while units or staff do,
/// the answer is a conflict naming them (deactivate it instead).
pub fn delete_department(
    conn: &mut DbConnection,
    id: DepartmentId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = department_row(conn, id)?;
        let target = Target::new("department", id.0, expected_version);
        versioned::delete(conn, target, current.version, |conn| {
            let unit_count: i64 = units::table
                .filter(units::department_id.eq(id.0))
                .count()
                .get_result(conn)?;
            let staff_count: i64 = staff::table
                .filter(staff::department_id.eq(id.0))
                .count()
                .get_result(conn)?;
            if unit_count > 0 || staff_count > 0 {
                return Err(DbError::blocked(format!(
                    "department {id} still has {unit_count} units and {staff_count} staff; deactivate it instead"
                )));
            }
            Ok(diesel::delete(departments::table.find(id.0)).execute(conn)?)
        })
    })
}

crate::links::link_table! {
    /// Makes a staff member a head of a department; true if the link is new.
    put put_department_head,
    /// Ends a staff member's headship of a department (404 if they were not head).
    remove remove_department_head,
    department_heads {
        department: DepartmentId = department_id, checked by department_exists;
        staff_id: StaffId = staff_id, checked by crate::exists::staff_exists;
    }
    missing "department head", "{staff_id} of department {department}"
}

/// The heads of each given department, in one query.
pub fn heads_of_departments(
    conn: &mut DbConnection,
    departments: &[DepartmentId],
) -> DbResult<Vec<(DepartmentId, StaffRef)>> {
    let ids: Vec<i32> = departments.iter().map(|d| d.0).collect();
    let rows: Vec<(i32, i32, String, String)> = department_heads::table
        .inner_join(staff::table.inner_join(designations::table))
        .filter(department_heads::department_id.eq_any(ids))
        .order((
            department_heads::department_id.asc(),
            staff::full_name.asc(),
        ))
        .select((
            department_heads::department_id,
            staff::id,
            staff::full_name,
            designations::name,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(department, id, full_name, designation_name)| {
            (
                DepartmentId(department),
                staff_ref(id, full_name, designation_name),
            )
        })
        .collect())
}

pub(crate) fn staff_ref(id: i32, full_name: String, designation_name: String) -> StaffRef {
    StaffRef {
        id: StaffId(id),
        full_name,
        designation_name,
    }
}

/// The department with this name (ignoring case), if any.
pub fn find_department_by_name(
    conn: &mut DbConnection,
    name: &str,
) -> DbResult<Option<Department>> {
    departments::table
        .filter(departments::name_key.eq(unique_key(name)))
        .select(DepartmentRow::as_select())
        .first(conn)
        .optional()?
        .map(Department::try_from)
        .transpose()
}
