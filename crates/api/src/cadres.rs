//! `/cadres`.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::JsonBody;
use crate::common::{Search, location, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{
    Created, Deleted, Fetched, Listed, ListedUnder, Updated, etag, if_match, respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_db::cadres::CadreSort;
use directory_db::designations::DesignationFilter;
use directory_db::designations::DesignationSort;
use directory_db::{cadres, designations};
use directory_domain::{Cadre, CadreId, CadrePatch, Designation, NewCadre};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

#[derive(Default)]
pub struct CadresApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Cadres")]
impl CadresApi {
    /// List cadres
    #[oai(path = "/cadres", method = "get", operation_id = "listCadres")]
    async fn list_cadres(
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
    ) -> Listed<Cadre> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<CadreSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                cadres::list_cadres(c, q.0.as_ref().map(|q| q.0.as_str()), sort, page)
            })
            .await?;
            Ok(Listed::page(found.items, found.total, page))
        })
        .await
    }

    /// Get a cadre
    #[oai(path = "/cadres/:id", method = "get", operation_id = "getCadre")]
    async fn get_cadre(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The cadre's id.
        id: Path<CadreId>,
    ) -> Fetched<Cadre> {
        respond(async {
            let cadre = reading(&state, move |c| cadres::get_cadre(c, id.0)).await?;
            let tag = etag(cadre.audit.version);
            Ok(Fetched::Ok(Json(cadre), tag))
        })
        .await
    }

    /// Create a cadre
    #[oai(path = "/cadres", method = "post", operation_id = "createCadre")]
    async fn create_cadre(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewCadre>,
    ) -> Created<Cadre> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                cadres::create_cadre(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("cadres", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a cadre
    #[oai(path = "/cadres/:id", method = "patch", operation_id = "updateCadre")]
    async fn update_cadre(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The cadre's id.
        id: Path<CadreId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<CadrePatch>,
    ) -> Updated<Cadre> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                cadres::update_cadre(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a cadre
    ///
    /// Refused (409) while designations belong to it.
    #[oai(path = "/cadres/:id", method = "delete", operation_id = "deleteCadre")]
    async fn delete_cadre(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The cadre's id.
        id: Path<CadreId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                cadres::delete_cadre(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// List a cadre's designations
    #[oai(
        path = "/cadres/:id/designations",
        method = "get",
        operation_id = "listCadreDesignations"
    )]
    async fn list_cadre_designations(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The cadre's id.
        id: Path<CadreId>,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `cadre_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|cadre_id|created_at))?$"))]
        sort: Query<Option<String>>,
    ) -> ListedUnder<Designation> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<DesignationSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                cadres::get_cadre(c, id.0)?;
                let filter = DesignationFilter {
                    cadre_id: Some(id.0),
                    q: None,
                };
                designations::list_designations(c, &filter, sort, page)
            })
            .await?;
            Ok(ListedUnder::page(found.items, found.total, page))
        })
        .await
    }
}
