//! Designations, each in a cadre.

use crate::cadres::cadre_row;
use crate::connection::MultiBackend;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{designations, staff};
use crate::versioned::{self, Target, touched};
use crate::{
    Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, like_pattern, now, version_is,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{CadreId, Designation, DesignationId, DesignationPatch, NewDesignation};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = designations)]
struct DesignationRow {
    id: i32,
    cadre_id: i32,
    name: String,
    abbr: Option<String>,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

impl From<DesignationRow> for Designation {
    fn from(row: DesignationRow) -> Self {
        Designation {
            id: DesignationId(row.id),
            cadre_id: CadreId(row.cadre_id),
            name: row.name,
            abbr: row.abbr,
            audit: audit(
                row.created_at,
                row.created_by,
                row.updated_at,
                row.updated_by,
                row.version,
            ),
        }
    }
}

sort_fields!(
    /// How designation lists may be ordered.
    DesignationSort { Name => "name", CadreId => "cadre_id", CreatedAt => "created_at" }
);

#[derive(Debug, Clone, Default)]
pub struct DesignationFilter {
    pub cadre_id: Option<CadreId>,
    pub q: Option<String>,
}

fn designation_row(conn: &mut DbConnection, id: DesignationId) -> DbResult<DesignationRow> {
    designations::table
        .find(id.0)
        .select(DesignationRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("designation", id))
}

pub fn get_designation(conn: &mut DbConnection, id: DesignationId) -> DbResult<Designation> {
    designation_row(conn, id).map(Designation::from)
}

fn cadre_must_exist(conn: &mut DbConnection, id: CadreId) -> DbResult<()> {
    crate::referenced(cadre_row(conn, id), "cadre_id", || {
        format!("cadre {id} does not exist")
    })
    .map(|_| ())
}

pub fn create_designation(
    conn: &mut DbConnection,
    new: &NewDesignation,
    actor: Actor,
) -> DbResult<Designation> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    crate::write_transaction(conn, |conn| {
        cadre_must_exist(conn, new.cadre_id)?;
        diesel::insert_into(designations::table)
            .values((
                designations::cadre_id.eq(new.cadre_id.0),
                designations::name.eq(&new.name),
                designations::name_key.eq(&key),
                designations::abbr.eq(new.abbr.as_deref()),
                designations::created_at.eq(at),
                designations::created_by.eq(by),
                designations::updated_at.eq(at),
                designations::updated_by.eq(by),
                designations::version.eq(1),
            ))
            .execute(conn)?;
        Ok(designations::table
            .filter(designations::name_key.eq(&key))
            .select(DesignationRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_designations(
    filter: &DesignationFilter,
) -> designations::BoxedQuery<'static, MultiBackend> {
    let mut query = designations::table.into_boxed();
    if let Some(cadre) = filter.cadre_id {
        query = query.filter(designations::cadre_id.eq(cadre.0));
    }
    if let Some(q) = &filter.q {
        query = query.filter(designations::name_key.like(like_pattern(q)));
    }
    query
}

pub fn list_designations(
    conn: &mut DbConnection,
    filter: &DesignationFilter,
    sort: Option<Sort<DesignationSort>>,
    page: Page,
) -> DbResult<Paged<Designation>> {
    let total = filtered_designations(filter).count().get_result(conn)?;
    let rows: Vec<DesignationRow> =
        apply_sort!(filtered_designations(filter), sort, designations::id, {
            DesignationSort::Name => designations::name_key,
            DesignationSort::CadreId => designations::cadre_id,
            DesignationSort::CreatedAt => designations::created_at,
        })
        .select(DesignationRow::as_select())
        .limit(page.limit)
        .offset(page.offset)
        .load(conn)?;
    Ok(Paged {
        items: rows.into_iter().map(Designation::from).collect(),
        total,
    })
}

pub fn update_designation(
    conn: &mut DbConnection,
    id: DesignationId,
    expected_version: Option<i32>,
    patch: &DesignationPatch,
    actor: Actor,
) -> DbResult<Designation> {
    crate::write_transaction(conn, |conn| {
        let current = designation_row(conn, id)?;
        let target = Target::new("designation", id.0, expected_version);
        let write = |conn: &mut DbConnection| {
            if let Some(cadre) = patch.cadre_id.as_set() {
                cadre_must_exist(conn, *cadre)?;
            }
            let name = patch.name.as_set();
            Ok(
                diesel::update(designations::table.find(id.0).filter(version_is(
                    designations::version,
                    expected_version,
                    current.version,
                )))
                .set((
                    patch
                        .cadre_id
                        .as_set()
                        .map(|c| designations::cadre_id.eq(c.0)),
                    name.map(|n| designations::name.eq(n.clone())),
                    name.map(|n| designations::name_key.eq(unique_key(n))),
                    patch
                        .abbr
                        .clone()
                        .into_nullable()
                        .map(|a| designations::abbr.eq(a)),
                    touched!(designations, actor),
                ))
                .execute(conn)?,
            )
        };
        let reread = |conn: &mut DbConnection| Ok(designation_row(conn, id)?.version);
        versioned::update(conn, target, current.version, write, reread)?;
        get_designation(conn, id)
    })
}

/// A designation someone holds cannot go.
pub fn delete_designation(
    conn: &mut DbConnection,
    id: DesignationId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = designation_row(conn, id)?;
        let target = Target::new("designation", id.0, expected_version);
        versioned::delete(conn, target, current.version, |conn| {
            let count: i64 = staff::table
                .filter(staff::designation_id.eq(id.0))
                .count()
                .get_result(conn)?;
            if count > 0 {
                return Err(DbError::blocked(format!(
                    "designation {id} is still held by {count} staff"
                )));
            }
            Ok(diesel::delete(designations::table.find(id.0)).execute(conn)?)
        })
    })
}

/// The designation with this name (ignoring case), if any.
pub fn find_designation_by_name(
    conn: &mut DbConnection,
    name: &str,
) -> DbResult<Option<Designation>> {
    Ok(designations::table
        .filter(designations::name_key.eq(unique_key(name)))
        .select(DesignationRow::as_select())
        .first(conn)
        .optional()?
        .map(Designation::from))
}
