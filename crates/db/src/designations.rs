//! Designations, each in a cadre.

use crate::cadres::cadre_row;
use crate::connection::MultiBackend;
use crate::query::{page_of, sort_fields};
use crate::schema::{designations, staff};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now};
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
    #[diesel(embed)]
    audit: AuditColumns<designations::table>,
}

impl From<DesignationRow> for Designation {
    fn from(row: DesignationRow) -> Self {
        Designation {
            id: DesignationId(row.id),
            cadre_id: CadreId(row.cadre_id),
            name: row.name,
            abbr: row.abbr,
            audit: row.audit.into(),
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
    versioned::create(conn, actor, |conn| {
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
    let rows = page_of!(conn, DesignationRow, filtered_designations(filter), page, sort, designations::id, {
        DesignationSort::Name => designations::name_key,
        DesignationSort::CadreId => designations::cadre_id,
        DesignationSort::CreatedAt => designations::created_at,
    });
    Ok(rows.map(Designation::from))
}

pub fn update_designation(
    conn: &mut DbConnection,
    id: DesignationId,
    expected_version: Option<i32>,
    patch: &DesignationPatch,
    actor: Actor,
) -> DbResult<Designation> {
    let target = Target::new("designation", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_designation(c, id),
        |conn, before| {
            let cadre = patch.cadre_id.as_set();
            if let Some(cadre) = cadre {
                cadre_must_exist(conn, *cadre)?;
            }
            let name = patch.name.as_set();
            let abbr = patch.abbr.clone().into_nullable();
            Ok(diesel::update(at_version!(designations, target, before))
                .set((
                    cadre.map(|c| designations::cadre_id.eq(c.0)),
                    name.map(|n| designations::name.eq(n.clone())),
                    name.map(|n| designations::name_key.eq(unique_key(n))),
                    abbr.map(|a| designations::abbr.eq(a)),
                    touched!(designations, actor),
                ))
                .execute(conn)?)
        },
    )
}

/// A designation someone holds cannot go.
pub fn delete_designation(
    conn: &mut DbConnection,
    id: DesignationId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("designation", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_designation(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [staff::designation_id],
                "designation {id} is still held by {staff} staff"
            );
            Ok(diesel::delete(at_version!(designations, target, before)).execute(conn)?)
        },
    )
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
