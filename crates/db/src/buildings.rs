//! Buildings.

use crate::connection::MultiBackend;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{buildings, floors};
use crate::versioned::{self, Target, touched};
use crate::{
    Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, like_pattern, now, version_is,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{Building, BuildingId, BuildingPatch, NewBuilding};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = buildings)]
pub(crate) struct BuildingRow {
    id: i32,
    name: String,
    abbr: Option<String>,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

impl From<BuildingRow> for Building {
    fn from(row: BuildingRow) -> Self {
        Building {
            id: BuildingId(row.id),
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
    crate::write_transaction(conn, |conn| {
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
    let total = filtered_buildings(q).count().get_result(conn)?;
    let rows: Vec<BuildingRow> = apply_sort!(filtered_buildings(q), sort, buildings::id, {
        BuildingSort::Name => buildings::name_key,
        BuildingSort::CreatedAt => buildings::created_at,
    })
    .select(BuildingRow::as_select())
    .limit(page.limit)
    .offset(page.offset)
    .load(conn)?;
    Ok(Paged {
        items: rows.into_iter().map(Building::from).collect(),
        total,
    })
}

pub fn update_building(
    conn: &mut DbConnection,
    id: BuildingId,
    expected_version: Option<i32>,
    patch: &BuildingPatch,
    actor: Actor,
) -> DbResult<Building> {
    crate::write_transaction(conn, |conn| {
        let current = building_row(conn, id)?;
        let target = Target::new("building", id.0, expected_version);
        let write = |conn: &mut DbConnection| {
            let name = patch.name.as_set();
            Ok(
                diesel::update(buildings::table.find(id.0).filter(version_is(
                    buildings::version,
                    expected_version,
                    current.version,
                )))
                .set((
                    name.map(|n| buildings::name.eq(n.clone())),
                    name.map(|n| buildings::name_key.eq(unique_key(n))),
                    patch
                        .abbr
                        .clone()
                        .into_nullable()
                        .map(|a| buildings::abbr.eq(a)),
                    touched!(buildings, actor),
                ))
                .execute(conn)?,
            )
        };
        let reread = |conn: &mut DbConnection| Ok(building_row(conn, id)?.version);
        versioned::update(conn, target, current.version, write, reread)?;
        get_building(conn, id)
    })
}

pub fn delete_building(
    conn: &mut DbConnection,
    id: BuildingId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = building_row(conn, id)?;
        let target = Target::new("building", id.0, expected_version);
        versioned::delete(conn, target, current.version, |conn| {
            let count: i64 = floors::table
                .filter(floors::building_id.eq(id.0))
                .count()
                .get_result(conn)?;
            if count > 0 {
                return Err(DbError::blocked(format!(
                    "building {id} still has {count} floors"
                )));
            }
            Ok(diesel::delete(buildings::table.find(id.0)).execute(conn)?)
        })
    })
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
