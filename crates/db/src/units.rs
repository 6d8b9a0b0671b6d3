//! Units inside departments, and their heads.

use crate::connection::MultiBackend;
use crate::exists::department_exists;
use crate::query::{page_of, sort_fields};
use crate::schema::{unit_heads, units};
use crate::versioned::{self, AuditColumns, Target, at_version, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{DepartmentId, NewUnit, StaffId, Unit, UnitId, UnitPatch};
use directory_domain::{Headship, InForce};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = units)]
struct UnitRow {
    id: i32,
    department_id: i32,
    name: String,
    abbr: Option<String>,
    #[diesel(embed)]
    audit: AuditColumns<units::table>,
}

impl From<UnitRow> for Unit {
    fn from(row: UnitRow) -> Self {
        Unit {
            id: UnitId(row.id),
            department_id: DepartmentId(row.department_id),
            name: row.name,
            abbr: row.abbr,
            audit: row.audit.into(),
        }
    }
}

#[derive(Insertable)]
#[diesel(table_name = units)]
struct UnitInsert<'a> {
    department_id: i32,
    name: &'a str,
    name_key: String,
    abbr: Option<&'a str>,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

#[derive(AsChangeset)]
#[diesel(table_name = units)]
struct UnitChanges {
    name: Option<String>,
    name_key: Option<String>,
    abbr: Option<Option<String>>,
}

sort_fields!(
    /// How unit lists may be ordered.
    UnitSort { Name => "name", DepartmentId => "department_id", CreatedAt => "created_at" }
);

#[derive(Debug, Clone, Default)]
pub struct UnitFilter {
    pub department_id: Option<DepartmentId>,
    pub q: Option<String>,
}

fn unit_row(conn: &mut DbConnection, id: UnitId) -> DbResult<UnitRow> {
    units::table
        .find(id.0)
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("unit", id))
}

pub fn get_unit(conn: &mut DbConnection, id: UnitId) -> DbResult<Unit> {
    unit_row(conn, id).map(Unit::from)
}

/// Creates a unit; the department must exist.
pub fn create_unit(conn: &mut DbConnection, new: &NewUnit, actor: Actor) -> DbResult<Unit> {
    let at = now();
    let key = unique_key(&new.name);
    versioned::create(conn, actor, |conn| {
        crate::referenced(
            department_exists(conn, new.department_id),
            "department_id",
            || format!("department {} does not exist", new.department_id),
        )?;
        diesel::insert_into(units::table)
            .values(UnitInsert {
                department_id: new.department_id.0,
                name: &new.name,
                name_key: key.clone(),
                abbr: new.abbr.as_deref(),
                created_at: at,
                created_by: actor.map(|a| a.0),
                updated_at: at,
                updated_by: actor.map(|a| a.0),
                version: 1,
            })
            .execute(conn)?;
        Ok(units::table
            .filter(units::department_id.eq(new.department_id.0))
            .filter(units::name_key.eq(&key))
            .select(UnitRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_units(filter: &UnitFilter) -> units::BoxedQuery<'static, MultiBackend> {
    let mut query = units::table.into_boxed();
    if let Some(department) = filter.department_id {
        query = query.filter(units::department_id.eq(department.0));
    }
    if let Some(q) = &filter.q {
        query = query.filter(units::name_key.like(like_pattern(q)));
    }
    query
}

pub fn list_units(
    conn: &mut DbConnection,
    filter: &UnitFilter,
    sort: Option<Sort<UnitSort>>,
    page: Page,
) -> DbResult<Paged<Unit>> {
    let rows = page_of!(conn, UnitRow, filtered_units(filter), page, sort, units::id, {
        UnitSort::Name => units::name_key,
        UnitSort::DepartmentId => units::department_id,
        UnitSort::CreatedAt => units::created_at,
    });
    Ok(rows.map(Unit::from))
}

/// Every unit of the given departments, for `expand=units` (one query).
pub fn units_of_departments(
    conn: &mut DbConnection,
    departments: &[DepartmentId],
) -> DbResult<Vec<Unit>> {
    let ids: Vec<i32> = departments.iter().map(|d| d.0).collect();
    let rows: Vec<UnitRow> = units::table
        .filter(units::department_id.eq_any(ids))
        .order((units::department_id.asc(), units::name_key.asc()))
        .select(UnitRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Unit::from).collect())
}

pub fn update_unit(
    conn: &mut DbConnection,
    id: UnitId,
    expected_version: Option<i32>,
    patch: &UnitPatch,
    actor: Actor,
) -> DbResult<Unit> {
    let target = Target::new("unit", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_unit(c, id),
        |conn, before| {
            let name = patch.name.as_set().cloned();
            let changes = UnitChanges {
                name_key: name.as_deref().map(unique_key),
                name,
                abbr: patch.abbr.clone().into_nullable(),
            };
            Ok(diesel::update(at_version!(units, target, before))
                .set((changes, touched!(units, actor)))
                .execute(conn)?)
        },
    )
}

/// Deletes a unit: its staff stay in the department with no unit (each a
/// recorded update), and its head periods go (the database's CASCADE;
/// each removal recorded).
pub fn delete_unit(
    conn: &mut DbConnection,
    id: UnitId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("unit", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_unit(c, id),
        |conn, before| {
            crate::links::record_cascade(conn, crate::links::Owner::Unit(id.0), actor)?;
            crate::staff::release(conn, crate::staff::Released::UnitStaff(id.0), actor)?;
            Ok(diesel::delete(at_version!(units, target, before)).execute(conn)?)
        },
    )
}

// ---- heads -----------------------------------------------------------------

crate::links::period_table! {
    /// Makes a staff member a head of a unit over a period.
    put put_unit_head,
    /// Ends a staff member's headship of a unit (404 if none is in force
    /// today or later).
    end end_unit_head,
    unit_heads {
        unit: UnitId = unit_id, checked by unit_row;
        staff_id: StaffId = staff_id, checked by crate::exists::staff_exists;
    }
    staff is staff_id,
    missing "unit head", "{staff_id} of unit {unit}",
    recorded as UnitHeads
}

pub fn heads_of_units(
    conn: &mut DbConnection,
    units: &[UnitId],
    when: InForce,
) -> DbResult<Vec<(UnitId, Headship)>> {
    let ids: Vec<i32> = units.iter().map(|x| x.0).collect();
    let heads = crate::links::heads_of!(conn, unit_heads.unit_id, ids, when);
    Ok(heads.map(|(of, head)| (UnitId(of), head)).collect())
}

/// The unit of this department with this name (ignoring case), if any.
pub fn find_unit_by_name(
    conn: &mut DbConnection,
    department: DepartmentId,
    name: &str,
) -> DbResult<Option<Unit>> {
    Ok(units::table
        .filter(units::department_id.eq(department.0))
        .filter(units::name_key.eq(unique_key(name)))
        .select(UnitRow::as_select())
        .first(conn)
        .optional()?
        .map(Unit::from))
}
