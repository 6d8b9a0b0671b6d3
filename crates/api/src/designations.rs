//! `/designations`.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::JsonBody;
use crate::common::{Search, location, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{Created, Deleted, Fetched, Listed, Updated, etag, if_match, respond};
use crate::{AppState, Tag, reading, writing};
use directory_db::designations;
use directory_db::designations::DesignationFilter;
use directory_db::designations::DesignationSort;
use directory_domain::{CadreId, Designation, DesignationId, DesignationPatch, NewDesignation};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

#[derive(Default)]
pub struct DesignationsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Designations")]
impl DesignationsApi {
    /// List designations
    #[oai(
        path = "/designations",
        method = "get",
        operation_id = "listDesignations"
    )]
    async fn list_designations(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `cadre_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|cadre_id|created_at))?$"))]
        sort: Query<Option<String>>,
        /// Only designations in this cadre.
        cadre_id: Query<Option<CadreId>>,
        /// Case-insensitive search in the name.
        q: Query<Option<Search>>,
    ) -> Listed<Designation> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<DesignationSort>(sort.0.as_deref())?;
            let filter = DesignationFilter {
                cadre_id: cadre_id.0,
                q: q.0.map(|q| q.0),
            };
            let found = reading(&state, move |c| {
                designations::list_designations(c, &filter, sort, page)
            })
            .await?;
            Ok(Listed::page(found.items, found.total, page))
        })
        .await
    }

    /// Get a designation
    #[oai(
        path = "/designations/:id",
        method = "get",
        operation_id = "getDesignation"
    )]
    async fn get_designation(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The designation's id.
        id: Path<DesignationId>,
    ) -> Fetched<Designation> {
        respond(async {
            let designation =
                reading(&state, move |c| designations::get_designation(c, id.0)).await?;
            let tag = etag(designation.audit.version);
            Ok(Fetched::Ok(Json(designation), tag))
        })
        .await
    }

    /// Create a designation in a cadre
    #[oai(
        path = "/designations",
        method = "post",
        operation_id = "createDesignation"
    )]
    async fn create_designation(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewDesignation>,
    ) -> Created<Designation> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                designations::create_designation(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("designations", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a designation
    ///
    /// A designation may move to another cadre; its holders' cadre follows.
    #[oai(
        path = "/designations/:id",
        method = "patch",
        operation_id = "updateDesignation"
    )]
    async fn update_designation(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The designation's id.
        id: Path<DesignationId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<DesignationPatch>,
    ) -> Updated<Designation> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                designations::update_designation(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a designation
    ///
    /// Refused (409) while staff hold it.
    #[oai(
        path = "/designations/:id",
        method = "delete",
        operation_id = "deleteDesignation"
    )]
    async fn delete_designation(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The designation's id.
        id: Path<DesignationId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                designations::delete_designation(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            Ok(Deleted::NoContent)
        })
        .await
    }
}
