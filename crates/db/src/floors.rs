//! Floors of a building.

use crate::buildings::building_row;
use crate::connection::MultiBackend;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{floors, operating_theatres};
use crate::versioned::{self, Target, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, now, version_is};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{BuildingId, Floor, FloorId, FloorPatch, NewFloor};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = floors)]
pub(crate) struct FloorRow {
    id: i32,
    building_id: i32,
    name: String,
    abbr: Option<String>,
    level: i32,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

impl From<FloorRow> for Floor {
    fn from(row: FloorRow) -> Self {
        Floor {
            id: FloorId(row.id),
            building_id: BuildingId(row.building_id),
            name: row.name,
            abbr: row.abbr,
            level: row.level,
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
    /// How floor lists may be ordered.
    FloorSort { Name => "name", Level => "level", BuildingId => "building_id", CreatedAt => "created_at" }
);

#[derive(Debug, Clone, Default)]
pub struct FloorFilter {
    pub building_id: Option<BuildingId>,
}

pub(crate) fn floor_row(conn: &mut DbConnection, id: FloorId) -> DbResult<FloorRow> {
    floors::table
        .find(id.0)
        .select(FloorRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("floor", id))
}

pub fn get_floor(conn: &mut DbConnection, id: FloorId) -> DbResult<Floor> {
    floor_row(conn, id).map(Floor::from)
}

pub fn create_floor(conn: &mut DbConnection, new: &NewFloor, actor: Actor) -> DbResult<Floor> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    crate::write_transaction(conn, |conn| {
        crate::referenced(building_row(conn, new.building_id), "building_id", || {
            format!("building {} does not exist", new.building_id)
        })?;
        diesel::insert_into(floors::table)
            .values((
                floors::building_id.eq(new.building_id.0),
                floors::name.eq(&new.name),
                floors::name_key.eq(&key),
                floors::abbr.eq(new.abbr.as_deref()),
                floors::level.eq(new.level),
                floors::created_at.eq(at),
                floors::created_by.eq(by),
                floors::updated_at.eq(at),
                floors::updated_by.eq(by),
                floors::version.eq(1),
            ))
            .execute(conn)?;
        Ok(floors::table
            .filter(floors::building_id.eq(new.building_id.0))
            .filter(floors::name_key.eq(&key))
            .select(FloorRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_floors(filter: &FloorFilter) -> floors::BoxedQuery<'static, MultiBackend> {
    let mut query = floors::table.into_boxed();
    if let Some(building) = filter.building_id {
        query = query.filter(floors::building_id.eq(building.0));
    }
    query
}

pub fn list_floors(
    conn: &mut DbConnection,
    filter: &FloorFilter,
    sort: Option<Sort<FloorSort>>,
    page: Page,
) -> DbResult<Paged<Floor>> {
    let total = filtered_floors(filter).count().get_result(conn)?;
    let rows: Vec<FloorRow> = apply_sort!(filtered_floors(filter), sort, floors::id, {
        FloorSort::Name => floors::name_key,
        FloorSort::Level => floors::level,
        FloorSort::BuildingId => floors::building_id,
        FloorSort::CreatedAt => floors::created_at,
    })
    .select(FloorRow::as_select())
    .limit(page.limit)
    .offset(page.offset)
    .load(conn)?;
    Ok(Paged {
        items: rows.into_iter().map(Floor::from).collect(),
        total,
    })
}

/// Every floor of the given buildings, for `expand=floors` (one query).
pub fn floors_of_buildings(
    conn: &mut DbConnection,
    buildings: &[BuildingId],
) -> DbResult<Vec<Floor>> {
    let ids: Vec<i32> = buildings.iter().map(|b| b.0).collect();
    let rows: Vec<FloorRow> = floors::table
        .filter(floors::building_id.eq_any(ids))
        .order((
            floors::building_id.asc(),
            floors::level.asc(),
            floors::id.asc(),
        ))
        .select(FloorRow::as_select())
        .load(conn)?;
    Ok(rows.into_iter().map(Floor::from).collect())
}

pub fn update_floor(
    conn: &mut DbConnection,
    id: FloorId,
    expected_version: Option<i32>,
    patch: &FloorPatch,
    actor: Actor,
) -> DbResult<Floor> {
    crate::write_transaction(conn, |conn| {
        let current = floor_row(conn, id)?;
        let target = Target::new("floor", id.0, expected_version);
        let write = |conn: &mut DbConnection| {
            let name = patch.name.as_set();
            Ok(diesel::update(floors::table.find(id.0).filter(version_is(
                floors::version,
                expected_version,
                current.version,
            )))
            .set((
                name.map(|n| floors::name.eq(n.clone())),
                name.map(|n| floors::name_key.eq(unique_key(n))),
                patch
                    .abbr
                    .clone()
                    .into_nullable()
                    .map(|a| floors::abbr.eq(a)),
                patch.level.as_set().map(|l| floors::level.eq(*l)),
                touched!(floors, actor),
            ))
            .execute(conn)?)
        };
        let reread = |conn: &mut DbConnection| Ok(floor_row(conn, id)?.version);
        versioned::update(conn, target, current.version, write, reread)?;
        get_floor(conn, id)
    })
}

pub fn delete_floor(
    conn: &mut DbConnection,
    id: FloorId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = floor_row(conn, id)?;
        let target = Target::new("floor", id.0, expected_version);
        versioned::delete(conn, target, current.version, |conn| {
            let count: i64 = operating_theatres::table
                .filter(operating_theatres::floor_id.eq(id.0))
                .count()
                .get_result(conn)?;
            if count > 0 {
                return Err(DbError::blocked(format!(
                    "floor {id} still has {count} operating theatres"
                )));
            }
            Ok(diesel::delete(floors::table.find(id.0)).execute(conn)?)
        })
    })
}

/// The floor of this building with this name (ignoring case), if any.
pub fn find_floor_by_name(
    conn: &mut DbConnection,
    building: BuildingId,
    name: &str,
) -> DbResult<Option<Floor>> {
    Ok(floors::table
        .filter(floors::building_id.eq(building.0))
        .filter(floors::name_key.eq(unique_key(name)))
        .select(FloorRow::as_select())
        .first(conn)
        .optional()?
        .map(Floor::from))
}
