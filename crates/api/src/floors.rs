//! `/floors`.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::JsonBody;
use crate::common::{location, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{
    Created, Deleted, Fetched, Listed, ListedUnder, Updated, etag, if_match, respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_db::floors::FloorFilter;
use directory_db::floors::FloorSort;
use directory_db::operating_theatres::TheatreFilter;
use directory_db::operating_theatres::TheatreSort;
use directory_db::{floors, operating_theatres};
use directory_domain::{BuildingId, Floor, FloorId, FloorPatch, NewFloor, OperatingTheatre};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

#[derive(Default)]
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
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
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
                reading(&state, move |c| floors::list_floors(c, &filter, sort, page)).await?;
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
            let floor = reading(&state, move |c| floors::get_floor(c, id.0)).await?;
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
                floors::create_floor(c, &new, Some(auth.0.account))
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
                floors::update_floor(c, id.0, expected, &patch, Some(auth.0.account))
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
        auth: WriteAccess,
        /// The floor's id.
        id: Path<FloorId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                floors::delete_floor(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
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
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `floor_id`, `table_count`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|floor_id|table_count|created_at))?$"))]
        sort: Query<Option<String>>,
    ) -> ListedUnder<OperatingTheatre> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<TheatreSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                floors::get_floor(c, id.0)?;
                operating_theatres::list_theatres(
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
