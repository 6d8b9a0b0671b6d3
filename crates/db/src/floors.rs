//! Floors of a building.

use crate::buildings::building_row;
use crate::connection::MultiBackend;
use crate::query::{page_of, sort_fields};
use crate::schema::{floors, operating_theatres};
use crate::versioned::{self, AuditColumns, Target, at_version, refuse_while_referenced, touched};
use crate::{Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, now};
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
    #[diesel(embed)]
    audit: AuditColumns<floors::table>,
}

impl From<FloorRow> for Floor {
    fn from(row: FloorRow) -> Self {
        Floor {
            id: FloorId(row.id),
            building_id: BuildingId(row.building_id),
            name: row.name,
            abbr: row.abbr,
            level: row.level,
            audit: row.audit.into(),
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
    versioned::create(conn, actor, |conn| {
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
    let rows = page_of!(conn, FloorRow, filtered_floors(filter), page, sort, floors::id, {
        FloorSort::Name => floors::name_key,
        FloorSort::Level => floors::level,
        FloorSort::BuildingId => floors::building_id,
        FloorSort::CreatedAt => floors::created_at,
    });
    Ok(rows.map(Floor::from))
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
    let target = Target::new("floor", id.0, expected_version, actor);
    versioned::update(
        conn,
        target,
        |c| get_floor(c, id),
        |conn, before| {
            let name = patch.name.as_set();
            let abbr = patch.abbr.clone().into_nullable();
            Ok(diesel::update(at_version!(floors, target, before))
                .set((
                    name.map(|n| floors::name.eq(n.clone())),
                    name.map(|n| floors::name_key.eq(unique_key(n))),
                    abbr.map(|a| floors::abbr.eq(a)),
                    patch.level.as_set().map(|l| floors::level.eq(*l)),
                    touched!(floors, actor),
                ))
                .execute(conn)?)
        },
    )
}

/// A floor with operating theatres cannot go: delete them first.
pub fn delete_floor(
    conn: &mut DbConnection,
    id: FloorId,
    expected_version: Option<i32>,
    actor: Actor,
) -> DbResult<()> {
    let target = Target::new("floor", id.0, expected_version, actor);
    versioned::delete(
        conn,
        target,
        |c| get_floor(c, id),
        |conn, before| {
            refuse_while_referenced!(
                conn,
                id.0,
                [operating_theatres::floor_id],
                "floor {id} still has {operating_theatres} operating theatres"
            );
            Ok(diesel::delete(at_version!(floors, target, before)).execute(conn)?)
        },
    )
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
