//! Buildings, floors and operating theatres.

use crate::connection::MultiBackend;
use crate::query::{apply_sort, sort_fields};
use crate::schema::{buildings, floors, operating_theatres};
use crate::{
    Actor, DbConnection, DbError, DbResult, Page, Paged, Sort, audit, check_version, like_pattern,
    now, stale, version_is,
};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use directory_domain::validate::unique_key;
use directory_domain::{
    Building, BuildingId, BuildingPatch, Floor, FloorId, FloorPatch, NewBuilding, NewFloor,
    NewOperatingTheatre, OperatingTheatre, OperatingTheatreId, OperatingTheatrePatch,
};

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = buildings)]
struct BuildingRow {
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

fn building_row(conn: &mut DbConnection, id: BuildingId) -> DbResult<BuildingRow> {
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
        check_version("building", id.0, current.version, expected_version)?;
        let name = patch.name.as_set();
        let updated = diesel::update(buildings::table.find(id.0).filter(version_is(
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
            buildings::updated_at.eq(now()),
            buildings::updated_by.eq(actor.map(|a| a.0)),
            buildings::version.eq(buildings::version + 1),
        ))
        .execute(conn)?;
        if updated == 0 {
            let current = building_row(conn, id)?.version;
            return Err(stale("building", id.0, current));
        }
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
        check_version("building", id.0, current.version, expected_version)?;
        let count: i64 = floors::table
            .filter(floors::building_id.eq(id.0))
            .count()
            .get_result(conn)?;
        if count > 0 {
            return Err(DbError::blocked(format!(
                "building {id} still has {count} floors"
            )));
        }
        diesel::delete(buildings::table.find(id.0)).execute(conn)?;
        Ok(())
    })
}

// ---- floors ----------------------------------------------------------------

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = floors)]
struct FloorRow {
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

fn floor_row(conn: &mut DbConnection, id: FloorId) -> DbResult<FloorRow> {
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
        check_version("floor", id.0, current.version, expected_version)?;
        let name = patch.name.as_set();
        let updated = diesel::update(floors::table.find(id.0).filter(version_is(
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
            floors::updated_at.eq(now()),
            floors::updated_by.eq(actor.map(|a| a.0)),
            floors::version.eq(floors::version + 1),
        ))
        .execute(conn)?;
        if updated == 0 {
            let current = floor_row(conn, id)?.version;
            return Err(stale("floor", id.0, current));
        }
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
        check_version("floor", id.0, current.version, expected_version)?;
        let count: i64 = operating_theatres::table
            .filter(operating_theatres::floor_id.eq(id.0))
            .count()
            .get_result(conn)?;
        if count > 0 {
            return Err(DbError::blocked(format!(
                "floor {id} still has {count} operating theatres"
            )));
        }
        diesel::delete(floors::table.find(id.0)).execute(conn)?;
        Ok(())
    })
}

// ---- operating theatres ----------------------------------------------------

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = operating_theatres)]
struct TheatreRow {
    id: i32,
    floor_id: i32,
    name: String,
    abbr: Option<String>,
    table_count: i32,
    created_at: NaiveDateTime,
    created_by: Option<i32>,
    updated_at: NaiveDateTime,
    updated_by: Option<i32>,
    version: i32,
}

impl From<TheatreRow> for OperatingTheatre {
    fn from(row: TheatreRow) -> Self {
        OperatingTheatre {
            id: OperatingTheatreId(row.id),
            floor_id: FloorId(row.floor_id),
            name: row.name,
            abbr: row.abbr,
            table_count: row.table_count,
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
    /// How operating theatre lists may be ordered.
    TheatreSort { Name => "name", FloorId => "floor_id", TableCount => "table_count", CreatedAt => "created_at" }
);

#[derive(Debug, Clone, Default)]
pub struct TheatreFilter {
    pub floor_id: Option<FloorId>,
}

fn theatre_row(conn: &mut DbConnection, id: OperatingTheatreId) -> DbResult<TheatreRow> {
    operating_theatres::table
        .find(id.0)
        .select(TheatreRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| DbError::not_found("operating theatre", id))
}

pub fn get_theatre(conn: &mut DbConnection, id: OperatingTheatreId) -> DbResult<OperatingTheatre> {
    theatre_row(conn, id).map(OperatingTheatre::from)
}

pub fn create_theatre(
    conn: &mut DbConnection,
    new: &NewOperatingTheatre,
    actor: Actor,
) -> DbResult<OperatingTheatre> {
    let at = now();
    let key = unique_key(&new.name);
    let by = actor.map(|a| a.0);
    crate::write_transaction(conn, |conn| {
        crate::referenced(floor_row(conn, new.floor_id), "floor_id", || {
            format!("floor {} does not exist", new.floor_id)
        })?;
        diesel::insert_into(operating_theatres::table)
            .values((
                operating_theatres::floor_id.eq(new.floor_id.0),
                operating_theatres::name.eq(&new.name),
                operating_theatres::name_key.eq(&key),
                operating_theatres::abbr.eq(new.abbr.as_deref()),
                operating_theatres::table_count.eq(new.table_count),
                operating_theatres::created_at.eq(at),
                operating_theatres::created_by.eq(by),
                operating_theatres::updated_at.eq(at),
                operating_theatres::updated_by.eq(by),
                operating_theatres::version.eq(1),
            ))
            .execute(conn)?;
        Ok(operating_theatres::table
            .filter(operating_theatres::floor_id.eq(new.floor_id.0))
            .filter(operating_theatres::name_key.eq(&key))
            .select(TheatreRow::as_select())
            .first(conn)?
            .into())
    })
}

fn filtered_theatres(
    filter: &TheatreFilter,
) -> operating_theatres::BoxedQuery<'static, MultiBackend> {
    let mut query = operating_theatres::table.into_boxed();
    if let Some(floor) = filter.floor_id {
        query = query.filter(operating_theatres::floor_id.eq(floor.0));
    }
    query
}

pub fn list_theatres(
    conn: &mut DbConnection,
    filter: &TheatreFilter,
    sort: Option<Sort<TheatreSort>>,
    page: Page,
) -> DbResult<Paged<OperatingTheatre>> {
    let total = filtered_theatres(filter).count().get_result(conn)?;
    let rows: Vec<TheatreRow> =
        apply_sort!(filtered_theatres(filter), sort, operating_theatres::id, {
            TheatreSort::Name => operating_theatres::name_key,
            TheatreSort::FloorId => operating_theatres::floor_id,
            TheatreSort::TableCount => operating_theatres::table_count,
            TheatreSort::CreatedAt => operating_theatres::created_at,
        })
        .select(TheatreRow::as_select())
        .limit(page.limit)
        .offset(page.offset)
        .load(conn)?;
    Ok(Paged {
        items: rows.into_iter().map(OperatingTheatre::from).collect(),
        total,
    })
}

pub fn update_theatre(
    conn: &mut DbConnection,
    id: OperatingTheatreId,
    expected_version: Option<i32>,
    patch: &OperatingTheatrePatch,
    actor: Actor,
) -> DbResult<OperatingTheatre> {
    crate::write_transaction(conn, |conn| {
        let current = theatre_row(conn, id)?;
        check_version("operating theatre", id.0, current.version, expected_version)?;
        let name = patch.name.as_set();
        let updated = diesel::update(operating_theatres::table.find(id.0).filter(version_is(
            operating_theatres::version,
            expected_version,
            current.version,
        )))
        .set((
            name.map(|n| operating_theatres::name.eq(n.clone())),
            name.map(|n| operating_theatres::name_key.eq(unique_key(n))),
            patch
                .abbr
                .clone()
                .into_nullable()
                .map(|a| operating_theatres::abbr.eq(a)),
            patch
                .table_count
                .as_set()
                .map(|t| operating_theatres::table_count.eq(*t)),
            operating_theatres::updated_at.eq(now()),
            operating_theatres::updated_by.eq(actor.map(|a| a.0)),
            operating_theatres::version.eq(operating_theatres::version + 1),
        ))
        .execute(conn)?;
        if updated == 0 {
            let current = theatre_row(conn, id)?.version;
            return Err(stale("operating theatre", id.0, current));
        }
        get_theatre(conn, id)
    })
}

pub fn delete_theatre(
    conn: &mut DbConnection,
    id: OperatingTheatreId,
    expected_version: Option<i32>,
) -> DbResult<()> {
    crate::write_transaction(conn, |conn| {
        let current = theatre_row(conn, id)?;
        check_version("operating theatre", id.0, current.version, expected_version)?;
        diesel::delete(operating_theatres::table.find(id.0)).execute(conn)?;
        Ok(())
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

/// The theatre on this floor with this name (ignoring case), if any.
pub fn find_theatre_by_name(
    conn: &mut DbConnection,
    floor: FloorId,
    name: &str,
) -> DbResult<Option<OperatingTheatre>> {
    Ok(operating_theatres::table
        .filter(operating_theatres::floor_id.eq(floor.0))
        .filter(operating_theatres::name_key.eq(unique_key(name)))
        .select(TheatreRow::as_select())
        .first(conn)
        .optional()?
        .map(OperatingTheatre::from))
}
