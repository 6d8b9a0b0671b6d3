//! Buildings.

use crate::connection::MultiBackend;
use crate::query::{page_of, sort_fields};
use crate::schema::{buildings, floors};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, like_pattern, now};
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{Building, BuildingId, BuildingPatch, NewBuilding};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = buildings)]
pub(crate) struct BuildingRow {
    id: i32,
    name: String,
    abbr: Option<String>,
    #[diesel(embed)]
    audit: AuditColumns<buildings::table>,
}

impl From<BuildingRow> for Building {
    fn from(row: BuildingRow) -> Self {
        Building {
            id: BuildingId(row.id),
            name: row.name,
            abbr: row.abbr,
            audit: row.audit.into(),
        }
    }
}

sort_fields!(
    /// How building lists may be ordered.
    BuildingSort { Name => "name", CreatedAt => "created_at" }
);

pub(crate) fn building_row(conn: &mut DbConnection, id: BuildingId) -> DbResult<BuildingRow> {
    buildings::table
        .find(id.0)
        .select(BuildingRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("building", id))
}

pub fn get_building(conn: &mut DbConnection, id: BuildingId) -> DbResult<Building> {
    building_row(conn, id).map(Building::from)
}

pub fn create_building(
    conn: &mut DbConnection,
    new: &NewBuilding,
    actor: Actor,
) -> DbResult<Building> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    versioned::create(conn, actor, |conn| {
        diesel::insert_into(buildings::table)
            .values((
                buildings::name.eq(&new.name),
                buildings::name_key.eq(&key),
                buildings::abbr.eq(new.abbr.as_deref()),
                buildings::created_at.eq(at),
                buildings::created_by.eq(by),
                buildings::updated_at.eq(at),
                buildings::updated_by.eq(by),
                buildings::version.eq(1),
            ))
            .execute(conn)?;
        Ok(buildings::table
            .filter(buildings::name_key.eq(&key))
            .select(BuildingRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_buildings(q: Option<&str>) -> buildings::BoxedQuery<'static, MultiBackend> {
    let mut query = buildings::table.into_boxed();
    if let Some(q) = q {
        query = query.filter(buildings::name_key.like(like_pattern(q)));
    }
    query
}

pub fn list_buildings(
    conn: &mut DbConnection,
    q: Option<&str>,
    sort: Option<Sort<BuildingSort>>,
    page: Page,
) -> DbResult<Paged<Building>> {
    let rows = page_of!(conn, BuildingRow, filtered_buildings(q), page, sort, buildings::id, {
        BuildingSort::Name => buildings::name_key,
        BuildingSort::CreatedAt => buildings::created_at,
    });
    Ok(rows.map(Building::from))
}

pub fn update_building(
    conn: &mut DbConnection,
    id: BuildingId,
    expected_version: Option<i32>,
    patch: &BuildingPatch,
    actor: Actor,
) -> DbResult<Building> {
    let target = Target::new("building", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_building(c, id),
        |conn, before| {
            let name = patch.name.as_set();
            let abbr = patch.abbr.clone().into_nullable();
            Ok(diesel::update(at_version!(buildings, target, before))
                .set((
                    name.map(|n| buildings::name.eq(n.clone())),
                    name.map(|n| buildings::name_key.eq(unique_key(n))),
                    abbr.map(|a| buildings::abbr.eq(a)),
                    touched!(buildings, actor),
                ))
                .execute(conn)?)
        },
    )
}

/// A building with floors cannot go: delete them first.
pub fn delete_building(
    conn: &mut DbConnection,
    id: BuildingId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("building", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_building(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [floors::building_id],
                "building {id} still has {floors} floors"
            );
            Ok(diesel::delete(at_version!(buildings, target, before)).execute(conn)?)
        },
    )
}

/// The building with this name (ignoring case), if any.
pub fn find_building_by_name(conn: &mut DbConnection, name: &str) -> DbResult<Option<Building>> {
    Ok(buildings::table
        .filter(buildings::name_key.eq(unique_key(name)))
        .select(BuildingRow::as_select())
        .first(conn)
        .optional()?
        .map(Building::from))
}
