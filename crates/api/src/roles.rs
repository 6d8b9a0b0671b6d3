//! `/roles`: functional roles and the permissions they grant.

use crate::auth::{ManageAccess, ReadAccess};
use crate::body::JsonBody;
use crate::common::{Search, location, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{Created, Deleted, Fetched, Listed, Updated, etag, if_match, respond};
use crate::{AppState, Tag, reading, writing};
use directory_db::roles;
use directory_db::roles::RoleSort;
use directory_domain::{NewRole, Role, RoleId, RolePatch};
use poem::web::Data;
use poem_openapi::OpenApi;
use poem_openapi::param::{Header, Path, Query};

#[derive(Default)]
pub struct RolesApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Roles")]
impl RolesApi {
    /// List roles
    #[oai(path = "/roles", method = "get", operation_id = "listRoles")]
    async fn list_roles(
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
    ) -> Listed<Role> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<RoleSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                roles::list_roles(c, q.0.as_ref().map(|q| q.0.as_str()), sort, page)
            })
            .await?;
            Ok(Listed::page(found.items, found.total, page))
        })
        .await
    }

    /// Get a role
    #[oai(path = "/roles/:id", method = "get", operation_id = "getRole")]
    async fn get_role(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The role's id.
        id: Path<RoleId>,
    ) -> Fetched<Role> {
        respond(async {
            let role = reading(&state, move |c| roles::get_role(c, id.0)).await?;
            let tag = etag(role.audit.version);
            Ok(Fetched::Ok(Json(role), tag))
        })
        .await
    }

    /// Create a role
    #[oai(path = "/roles", method = "post", operation_id = "createRole")]
    async fn create_role(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        body: JsonBody<NewRole>,
    ) -> Created<Role> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                roles::create_role(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("roles", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a role
    ///
    /// `permissions`, when present, replaces the whole set; refused (409)
    /// when that would leave no account that can log in with
    /// `accounts:manage`.
    #[oai(path = "/roles/:id", method = "patch", operation_id = "updateRole")]
    async fn update_role(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The role's id.
        id: Path<RoleId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<RolePatch>,
    ) -> Updated<Role> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                roles::update_role(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            state.tokens.clear();
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a role
    ///
    /// Refused (409) while accounts have it.
    #[oai(path = "/roles/:id", method = "delete", operation_id = "deleteRole")]
    async fn delete_role(
        &self,
        state: Data<&AppState>,
        auth: ManageAccess,
        /// The role's id.
        id: Path<RoleId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                roles::delete_role(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            state.tokens.clear();
            Ok(Deleted::NoContent)
        })
        .await
    }
}
