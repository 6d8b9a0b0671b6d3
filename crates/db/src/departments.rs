//! Departments and their heads.

use crate::connection::MultiBackend;
pub use crate::exists::department_exists;
use crate::query::{page_of, sort_fields};
use crate::schema::{department_heads, departments, staff, units};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{Department, DepartmentId, DepartmentPatch, NewDepartment, StaffId};
use directory_domain::{Headship, InForce};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = departments)]
struct DepartmentRow {
    id: i32,
    name: String,
    abbr: Option<String>,
    kind: String,
    active: bool,
    #[diesel(embed)]
    audit: AuditColumns<departments::table>,
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
            audit: row.audit.into(),
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
    versioned::create(conn, actor, |conn| {
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
    let rows = page_of!(conn, DepartmentRow, filtered_departments(filter), page, sort, departments::id, {
        DepartmentSort::Name => departments::name_key,
        DepartmentSort::Kind => departments::kind,
        DepartmentSort::CreatedAt => departments::created_at,
        DepartmentSort::UpdatedAt => departments::updated_at,
    });
    rows.try_map_all(|rows| rows.into_iter().map(Department::try_from).collect())
}

pub fn update_department(
    conn: &mut DbConnection,
    id: DepartmentId,
    expected_version: Option<i32>,
    patch: &DepartmentPatch,
    actor: Actor,
) -> DbResult<Department> {
    let target = Target::new("department", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_department(c, id),
        |conn, before| {
            let name = patch.name.as_set().cloned();
            let changes = DepartmentChanges {
                name_key: name.as_deref().map(unique_key),
                name,
                abbr: patch.abbr.clone().into_nullable(),
                kind: patch.kind.as_set().map(|k| k.as_str()),
                active: patch.active.as_set().copied(),
            };
            Ok(diesel::update(at_version!(departments, target, before))
                .set((changes, touched!(departments, actor)))
                .execute(conn)?)
        },
    )
}

/// Deletes a department that nothing points at; while units or staff do,
/// the answer is a conflict naming them (deactivate it instead).
pub fn delete_department(
    conn: &mut DbConnection,
    id: DepartmentId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("department", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_department(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [units::department_id, staff::department_id],
                "department {id} still has {units} units and {staff} staff; deactivate it instead"
            );
            crate::links::record_cascade(conn, crate::links::Owner::Department(id.0), actor)?;
            Ok(diesel::delete(at_version!(departments, target, before)).execute(conn)?)
        },
    )
}

crate::links::period_table! {
    /// Makes a staff member a head of a department over a period.
    put put_department_head,
    /// Ends a staff member's headship of a department (404 if none is in
    /// force today or later).
    end end_department_head,
    department_heads {
        department: DepartmentId = department_id, checked by department_exists;
        staff_id: StaffId = staff_id, checked by crate::exists::staff_exists;
    }
    staff is staff_id,
    missing "department head", "{staff_id} of department {department}",
    recorded as DepartmentHeads
}

/// The heads of each given department, in one query.
pub fn heads_of_departments(
    conn: &mut DbConnection,
    departments: &[DepartmentId],
    when: InForce,
) -> DbResult<Vec<(DepartmentId, Headship)>> {
    let ids: Vec<i32> = departments.iter().map(|x| x.0).collect();
    let heads = crate::links::heads_of!(conn, department_heads.department_id, ids, when);
    Ok(heads.map(|(of, head)| (DepartmentId(of), head)).collect())
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
