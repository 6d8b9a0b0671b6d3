//! `/departments` and their units and heads.

use crate::auth::{ReadAccess, WriteAccess};
use crate::body::{JsonBody, OptionalJsonBody};
use crate::common::{Search, in_force, location, parse_expand, parse_page, parse_sort};
use crate::payload::Json;
use crate::responses::{
    Assigned, Created, Deleted, Fetched, Listed, ListedUnder, Unlinked, Updated, etag, if_match,
    respond,
};
use crate::{AppState, Tag, reading, writing};
use directory_db::audit;
use directory_db::departments::DepartmentFilter;
use directory_db::departments::DepartmentSort;
use directory_db::units::UnitFilter;
use directory_db::units::UnitSort;
use directory_db::{departments, units};
use directory_domain::{
    AuditEntity, Department, DepartmentId, DepartmentKind, DepartmentPatch, Headship, InForce,
    NewDepartment, PeriodRequest, StaffId, Unit,
};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{Object, OpenApi};
use serde::Serialize;

/// A department, with its units and heads when `expand` asks for them.
#[derive(Debug, Clone, Serialize, Object)]
pub struct DepartmentView {
    #[oai(flatten)]
    #[serde(flatten)]
    pub department: Department,
    /// With `expand=units`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub units: Option<Vec<Unit>>,
    /// With `expand=heads`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heads: Option<Vec<Headship>>,
}

const EXPAND: [&str; 2] = ["units", "heads"];

/// Adds the asked-for relations to a page of departments: one query per
/// relation, whatever the page's length.
fn expand_departments(
    conn: &mut directory_db::DbConnection,
    departments: Vec<Department>,
    wanted: &[String],
    today: chrono::NaiveDate,
) -> directory_db::DbResult<Vec<DepartmentView>> {
    let ids: Vec<DepartmentId> = departments.iter().map(|d| d.id).collect();
    let units = if wanted.iter().any(|w| w == "units") {
        Some(units::units_of_departments(conn, &ids)?)
    } else {
        None
    };
    let heads = if wanted.iter().any(|w| w == "heads") {
        Some(departments::heads_of_departments(
            conn,
            &ids,
            InForce::On(today),
        )?)
    } else {
        None
    };
    Ok(departments
        .into_iter()
        .map(|department| DepartmentView {
            units: units.as_ref().map(|all| {
                all.iter()
                    .filter(|u| u.department_id == department.id)
                    .cloned()
                    .collect()
            }),
            heads: heads.as_ref().map(|all| {
                all.iter()
                    .filter(|(d, _)| *d == department.id)
                    .map(|(_, s)| s.clone())
                    .collect()
            }),
            department,
        })
        .collect())
}

#[derive(Default)]
pub struct DepartmentsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Departments")]
impl DepartmentsApi {
    /// List departments
    ///
    /// Sort by `name`, `kind`, `created_at` or `updated_at` (prefix `-` for
    /// descending); `expand=units,heads` embeds those relations.
    #[oai(
        path = "/departments",
        method = "get",
        operation_id = "listDepartments"
    )]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list_departments(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `kind`, `created_at`, `updated_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|kind|created_at|updated_at))?$"))]
        sort: Query<Option<String>>,
        /// Only departments of this kind.
        kind: Query<Option<DepartmentKind>>,
        /// Only active (`true`) or inactive (`false`) departments.
        active: Query<Option<bool>>,
        /// Case-insensitive search in the name.
        q: Query<Option<Search>>,
        /// Relations to embed: `units`, `heads`.
        #[oai(validator(pattern = r"^((units|heads)(,(units|heads))*)?$"))]
        expand: Query<Option<String>>,
    ) -> Listed<DepartmentView> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<DepartmentSort>(sort.0.as_deref())?;
            let today = state.today();
            let wanted = parse_expand(expand.0.as_deref(), &EXPAND)?;
            let filter = DepartmentFilter {
                kind: kind.0,
                active: active.0,
                q: q.0.map(|q| q.0),
            };
            let (items, total) = reading(&state, move |c| {
                let found = departments::list_departments(c, &filter, sort, page)?;
                Ok((
                    expand_departments(c, found.items, &wanted, today)?,
                    found.total,
                ))
            })
            .await?;
            Ok(Listed::page(items, total, page))
        })
        .await
    }

    /// Get a department
    #[oai(
        path = "/departments/:id",
        method = "get",
        operation_id = "getDepartment"
    )]
    async fn get_department(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        /// Relations to embed: `units`, `heads`.
        #[oai(validator(pattern = r"^((units|heads)(,(units|heads))*)?$"))]
        expand: Query<Option<String>>,
        /// The record as it was at this instant (RFC 3339), from the audit
        /// trail, with the heads and works-in periods in force that day;
        /// 404 if it did not exist then.
        as_of: Query<Option<chrono::DateTime<chrono::Utc>>>,
    ) -> Fetched<DepartmentView> {
        respond(async {
            let today = state.today();
            let wanted = parse_expand(expand.0.as_deref(), &EXPAND)?;
            // As of an instant: the record then, and its relations on that
            // day (the hospital's).
            let at = as_of.0;
            let day = at.map_or(today, |at| state.day_of(at));
            let view = reading(&state, move |c| {
                let department = match at {
                    Some(at) => {
                        audit::as_of(c, AuditEntity::Departments, id.0.0, at, "department")?
                    }
                    None => departments::get_department(c, id.0)?,
                };
                Ok(expand_departments(c, vec![department], &wanted, day)?.remove(0))
            })
            .await?;
            let tag = etag(view.department.audit.version);
            Ok(Fetched::Ok(Json(view), tag))
        })
        .await
    }

    /// Create a department
    #[oai(
        path = "/departments",
        method = "post",
        operation_id = "createDepartment"
    )]
    async fn create_department(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewDepartment>,
    ) -> Created<Department> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                departments::create_department(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("departments", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a department
    ///
    /// Only the fields present change; `null` clears an optional field.
    /// Send `If-Match` with the ETag you read to be sure nobody changed it since.
    #[oai(
        path = "/departments/:id",
        method = "patch",
        operation_id = "updateDepartment"
    )]
    async fn update_department(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<DepartmentPatch>,
    ) -> Updated<Department> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                departments::update_department(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a department
    ///
    /// Refused (409) while units or staff belong to it: deactivate it instead.
    #[oai(
        path = "/departments/:id",
        method = "delete",
        operation_id = "deleteDepartment"
    )]
    async fn delete_department(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                departments::delete_department(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// List a department's units
    #[oai(
        path = "/departments/:id/units",
        method = "get",
        operation_id = "listDepartmentUnits"
    )]
    async fn list_department_units(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `department_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|department_id|created_at))?$"))]
        sort: Query<Option<String>>,
    ) -> ListedUnder<Unit> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<UnitSort>(sort.0.as_deref())?;
            let found = reading(&state, move |c| {
                departments::department_exists(c, id.0)?;
                let filter = UnitFilter {
                    department_id: Some(id.0),
                    q: None,
                };
                units::list_units(c, &filter, sort, page)
            })
            .await?;
            Ok(ListedUnder::page(found.items, found.total, page))
        })
        .await
    }

    /// List a department's heads
    ///
    /// Those in force today (the hospital's day), on `as_of`, or every
    /// period with `history=true`.
    #[oai(
        path = "/departments/:id/heads",
        method = "get",
        operation_id = "listDepartmentHeads"
    )]
    async fn list_department_heads(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        /// Those in force on this day (`YYYY-MM-DD`); today if left out.
        as_of: Query<Option<chrono::NaiveDate>>,
        /// Every period, past, present and future (not with `as_of`).
        history: Query<Option<bool>>,
    ) -> ListedUnder<Headship> {
        respond(async {
            let when = in_force(as_of.0, history.0, state.today())?;
            let found = reading(&state, move |c| {
                departments::department_exists(c, id.0)?;
                departments::heads_of_departments(c, &[id.0], when)
            })
            .await?;
            Ok(ListedUnder::all(
                found.into_iter().map(|(_, item)| item).collect(),
            ))
        })
        .await
    }

    /// Make a staff member a head of the department
    ///
    /// Over a period: `start_date` (default today) to `end_date` (the last
    /// day, inclusive; open if left out). A period starting on the day of
    /// an existing one changes its end; one that would overlap another of
    /// the same pair is 409.
    #[oai(
        path = "/departments/:id/heads/:staff_id",
        method = "put",
        operation_id = "putDepartmentHead"
    )]
    async fn put_department_head(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        /// The head's staff id.
        staff_id: Path<StaffId>,
        /// The period; left out, in force from today (unless it already is).
        body: OptionalJsonBody<PeriodRequest>,
    ) -> Assigned {
        respond(async {
            let today = state.today();
            let asked = body.0.map(|asked| asked.validated(today)).transpose()?;
            let assigned = writing(&state, move |c| {
                departments::put_department_head(
                    c,
                    id.0,
                    staff_id.0,
                    asked,
                    today,
                    Some(auth.0.account),
                )
            })
            .await?;
            Ok(Assigned::of(assigned))
        })
        .await
    }

    /// End a headship of the department
    ///
    /// The period in force is ended yesterday, so it is not in force from
    /// today; one that had not started is removed. History keeps them;
    /// `purge=true` removes the latest period as entered by mistake.
    #[oai(
        path = "/departments/:id/heads/:staff_id",
        method = "delete",
        operation_id = "deleteDepartmentHead"
    )]
    async fn delete_department_head(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The department's id.
        id: Path<DepartmentId>,
        /// The head's staff id.
        staff_id: Path<StaffId>,
        /// Remove the latest period outright, as entered by mistake (the
        /// audit trail keeps it), instead of ending it.
        purge: Query<Option<bool>>,
    ) -> Unlinked {
        respond(async {
            let today = state.today();
            let purge = purge.0.unwrap_or(false);
            writing(&state, move |c| {
                departments::end_department_head(
                    c,
                    id.0,
                    staff_id.0,
                    purge,
                    today,
                    Some(auth.0.account),
                )
            })
            .await?;
            Ok(Unlinked::NoContent)
        })
        .await
    }
}
