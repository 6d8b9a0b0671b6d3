//! `/buildings`.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::JsonBody;
use crate::common::{Search, location, parse_expand, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{
    Created, Deleted, Fetched, Listed, ListedUnder, Updated, etag, if_match, respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_db::buildings::BuildingSort;
use directory_db::floors::FloorFilter;
use directory_db::floors::FloorSort;
use directory_db::{buildings, floors};
use directory_domain::{Building, BuildingId, BuildingPatch, Floor, NewBuilding};
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
        Some(floors::floors_of_buildings(conn, &ids)?)
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

#[derive(Default)]
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
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
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
                    buildings::list_buildings(c, q.0.as_ref().map(|q| q.0.as_str()), sort, page)?;
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
                let building = buildings::get_building(c, id.0)?;
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
                buildings::create_building(c, &new, Some(auth.0.account))
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
                buildings::update_building(c, id.0, expected, &patch, Some(auth.0.account))
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
        auth: WriteAccess,
        /// The building's id.
        id: Path<BuildingId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                buildings::delete_building(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
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
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `level`, `building_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|level|building_id|created_at))?$"))]
        sort: Query<Option<String>>,
    ) -> ListedUnder<Floor> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<FloorSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                buildings::get_building(c, id.0)?;
                floors::list_floors(
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
