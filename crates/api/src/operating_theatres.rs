//! `/operating-theatres`.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::JsonBody;
use crate::common::{location, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{Created, Deleted, Fetched, Listed, Updated, etag, if_match, respond};
use crate::{AppState, Tag, reading, writing};
use directory_db::operating_theatres;
use directory_db::operating_theatres::TheatreFilter;
use directory_db::operating_theatres::TheatreSort;
use directory_domain::{
    FloorId, NewOperatingTheatre, OperatingTheatre, OperatingTheatreId, OperatingTheatrePatch,
};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

#[derive(Default)]
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
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
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
                operating_theatres::list_theatres(c, &filter, sort, page)
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
            let theatre =
                reading(&state, move |c| operating_theatres::get_theatre(c, id.0)).await?;
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
                operating_theatres::create_theatre(c, &new, Some(auth.0.account))
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
                operating_theatres::update_theatre(c, id.0, expected, &patch, Some(auth.0.account))
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
        auth: WriteAccess,
        /// The operating theatre's id.
        id: Path<OperatingTheatreId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                operating_theatres::delete_theatre(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            Ok(Deleted::NoContent)
        })
        .await
    }
}
