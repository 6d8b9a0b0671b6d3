//! `/buildings`, `/floors` and `/operating-theatres`.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::JsonBody;
use crate::common::{Search, location, parse_expand, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{
    Created, Deleted, Fetched, Listed, ListedUnder, Updated, etag, if_match, respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_db::infrastructure::{
    self as infra, BuildingSort, FloorFilter, FloorSort, TheatreFilter, TheatreSort,
};
use directory_domain::{
    Building, BuildingId, BuildingPatch, Floor, FloorId, FloorPatch, NewBuilding, NewFloor,
    NewOperatingTheatre, OperatingTheatre, OperatingTheatreId, OperatingTheatrePatch,
};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{Object, OpenApi};

/// A building, with its floors when `expand=floors` asks for them.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct BuildingView {
    #[oai(flatten)]
    #[serde(flatten)]
    pub building: Building,
    /// With `expand=floors`, lowest level first.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub floors: Option<Vec<Floor>>,
}

fn expand_buildings(
    conn: &mut directory_db::DbConnection,
    buildings: Vec<Building>,
    wanted: &[String],
) -> directory_db::DbResult<Vec<BuildingView>> {
    let floors = if wanted.iter().any(|w| w == "floors") {
        let ids: Vec<BuildingId> = buildings.iter().map(|b| b.id).collect();
        Some(infra::floors_of_buildings(conn, &ids)?)
    } else {
        None
    };
    Ok(buildings
        .into_iter()
        .map(|building| BuildingView {
            floors: floors.as_ref().map(|all| {
                all.iter()
                    .filter(|f| f.building_id == building.id)
                    .cloned()
                    .collect()
            }),
            building,
        })
        .collect())
}

pub struct BuildingsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Buildings")]
impl BuildingsApi {
    /// List buildings
    #[oai(path = "/buildings", method = "get", operation_id = "listBuildings")]
    async fn list_buildings(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
        /// `name`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|created_at))?$"))]
        sort: Query<Option<String>>,
        /// Case-insensitive search in the name.
        q: Query<Option<Search>>,
        /// Relations to embed: `floors`.
        #[oai(validator(pattern = r"^((floors)(,(floors))*)?$"))]
        expand: Query<Option<String>>,
    ) -> Listed<BuildingView> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<BuildingSort>(sort.0.as_deref())?;
            let wanted = parse_expand(expand.0.as_deref(), &["floors"])?;
            let (items, total) = reading(&state, move |c| {
                let found =
                    infra::list_buildings(c, q.0.as_ref().map(|q| q.0.as_str()), sort, page)?;
                Ok((expand_buildings(c, found.items, &wanted)?, found.total))
            })
            .await?;
            Ok(Listed::page(items, total, page))
        })
        .await
    }

    /// Get a building
    #[oai(path = "/buildings/:id", method = "get", operation_id = "getBuilding")]
    async fn get_building(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The building's id.
        id: Path<BuildingId>,
        /// Relations to embed: `floors`.
        #[oai(validator(pattern = r"^((floors)(,(floors))*)?$"))]
        expand: Query<Option<String>>,
    ) -> Fetched<BuildingView> {
        respond(async {
            let wanted = parse_expand(expand.0.as_deref(), &["floors"])?;
            let view = reading(&state, move |c| {
                let building = infra::get_building(c, id.0)?;
                Ok(expand_buildings(c, vec![building], &wanted)?.remove(0))
            })
            .await?;
            let tag = etag(view.building.audit.version);
            Ok(Fetched::Ok(Json(view), tag))
        })
        .await
    }

    /// Create a building
    #[oai(path = "/buildings", method = "post", operation_id = "createBuilding")]
    async fn create_building(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewBuilding>,
    ) -> Created<Building> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                infra::create_building(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("buildings", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a building
    #[oai(
        path = "/buildings/:id",
        method = "patch",
        operation_id = "updateBuilding"
    )]
    async fn update_building(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The building's id.
        id: Path<BuildingId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<BuildingPatch>,
    ) -> Updated<Building> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                infra::update_building(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a building
    ///
    /// Refused (409) while it has floors.
    #[oai(
        path = "/buildings/:id",
        method = "delete",
        operation_id = "deleteBuilding"
    )]
    async fn delete_building(
        &self,
        state: Data<&AppState>,
        _auth: WriteAccess,
        /// The building's id.
        id: Path<BuildingId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| infra::delete_building(c, id.0, expected)).await?;
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// List a building's floors
    #[oai(
        path = "/buildings/:id/floors",
        method = "get",
        operation_id = "listBuildingFloors"
    )]
    async fn list_building_floors(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The building's id.
        id: Path<BuildingId>,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
        /// `name`, `level`, `building_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|level|building_id|created_at))?$"))]
        sort: Query<Option<String>>,
    ) -> ListedUnder<Floor> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<FloorSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                infra::get_building(c, id.0)?;
                infra::list_floors(
                    c,
                    &FloorFilter {
                        building_id: Some(id.0),
                    },
                    sort,
                    page,
                )
            })
            .await?;
            Ok(ListedUnder::page(found.items, found.total, page))
        })
        .await
    }
}

pub struct FloorsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Floors")]
impl FloorsApi {
    /// List floors
    #[oai(path = "/floors", method = "get", operation_id = "listFloors")]
    async fn list_floors(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
        /// `name`, `level`, `building_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|level|building_id|created_at))?$"))]
        sort: Query<Option<String>>,
        /// Only floors of this building.
        building_id: Query<Option<BuildingId>>,
    ) -> Listed<Floor> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<FloorSort>(sort.0.as_deref())?;
            let filter = FloorFilter {
                building_id: building_id.0,
            };
            let found =
                reading(&state, move |c| infra::list_floors(c, &filter, sort, page)).await?;
            Ok(Listed::page(found.items, found.total, page))
        })
        .await
    }

    /// Get a floor
    #[oai(path = "/floors/:id", method = "get", operation_id = "getFloor")]
    async fn get_floor(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The floor's id.
        id: Path<FloorId>,
    ) -> Fetched<Floor> {
        respond(async {
            let floor = reading(&state, move |c| infra::get_floor(c, id.0)).await?;
            let tag = etag(floor.audit.version);
            Ok(Fetched::Ok(Json(floor), tag))
        })
        .await
    }

    /// Create a floor in a building
    #[oai(path = "/floors", method = "post", operation_id = "createFloor")]
    async fn create_floor(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewFloor>,
    ) -> Created<Floor> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                infra::create_floor(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("floors", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a floor
    #[oai(path = "/floors/:id", method = "patch", operation_id = "updateFloor")]
    async fn update_floor(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The floor's id.
        id: Path<FloorId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<FloorPatch>,
    ) -> Updated<Floor> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                infra::update_floor(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a floor
    ///
    /// Refused (409) while it has operating theatres.
    #[oai(path = "/floors/:id", method = "delete", operation_id = "deleteFloor")]
    async fn delete_floor(
        &self,
        state: Data<&AppState>,
        _auth: WriteAccess,
        /// The floor's id.
        id: Path<FloorId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| infra::delete_floor(c, id.0, expected)).await?;
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// List a floor's operating theatres
    #[oai(
        path = "/floors/:id/operating-theatres",
        method = "get",
        operation_id = "listFloorOperatingTheatres"
    )]
    async fn list_floor_operating_theatres(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The floor's id.
        id: Path<FloorId>,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
        /// `name`, `floor_id`, `table_count`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|floor_id|table_count|created_at))?$"))]
        sort: Query<Option<String>>,
    ) -> ListedUnder<OperatingTheatre> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<TheatreSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                infra::get_floor(c, id.0)?;
                infra::list_theatres(
                    c,
                    &TheatreFilter {
                        floor_id: Some(id.0),
                    },
                    sort,
                    page,
                )
            })
            .await?;
            Ok(ListedUnder::page(found.items, found.total, page))
        })
        .await
    }
}

pub struct TheatresApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::OperatingTheatres")]
impl TheatresApi {
    /// List operating theatres
    #[oai(
        path = "/operating-theatres",
        method = "get",
        operation_id = "listOperatingTheatres"
    )]
    async fn list_operating_theatres(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip.
        #[oai(validator(minimum(value = "0")))]
        offset: Query<Option<i64>>,
        /// `name`, `floor_id`, `table_count`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|floor_id|table_count|created_at))?$"))]
        sort: Query<Option<String>>,
        /// Only operating theatres on this floor.
        floor_id: Query<Option<FloorId>>,
    ) -> Listed<OperatingTheatre> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<TheatreSort>(sort.0.as_deref())?;
            let filter = TheatreFilter {
                floor_id: floor_id.0,
            };
            let found = reading(&state, move |c| {
                infra::list_theatres(c, &filter, sort, page)
            })
            .await?;
            Ok(Listed::page(found.items, found.total, page))
        })
        .await
    }

    /// Get an operating theatre
    #[oai(
        path = "/operating-theatres/:id",
        method = "get",
        operation_id = "getOperatingTheatre"
    )]
    async fn get_operating_theatre(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The operating theatre's id.
        id: Path<OperatingTheatreId>,
    ) -> Fetched<OperatingTheatre> {
        respond(async {
            let theatre = reading(&state, move |c| infra::get_theatre(c, id.0)).await?;
            let tag = etag(theatre.audit.version);
            Ok(Fetched::Ok(Json(theatre), tag))
        })
        .await
    }

    /// Create an operating theatre on a floor
    #[oai(
        path = "/operating-theatres",
        method = "post",
        operation_id = "createOperatingTheatre"
    )]
    async fn create_operating_theatre(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewOperatingTheatre>,
    ) -> Created<OperatingTheatre> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                infra::create_theatre(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("operating-theatres", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update an operating theatre
    #[oai(
        path = "/operating-theatres/:id",
        method = "patch",
        operation_id = "updateOperatingTheatre"
    )]
    async fn update_operating_theatre(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The operating theatre's id.
        id: Path<OperatingTheatreId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<OperatingTheatrePatch>,
    ) -> Updated<OperatingTheatre> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                infra::update_theatre(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete an operating theatre
    #[oai(
        path = "/operating-theatres/:id",
        method = "delete",
        operation_id = "deleteOperatingTheatre"
    )]
    async fn delete_operating_theatre(
        &self,
        state: Data<&AppState>,
        _auth: WriteAccess,
        /// The operating theatre's id.
        id: Path<OperatingTheatreId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| infra::delete_theatre(c, id.0, expected)).await?;
            Ok(Deleted::NoContent)
        })
        .await
    }
}
