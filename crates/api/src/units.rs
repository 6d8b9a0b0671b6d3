//! `/units` and their heads.

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
use directory_db::units;
use directory_db::units::UnitFilter;
use directory_db::units::UnitSort;
use directory_domain::{
    AuditEntity, DepartmentId, Headship, InForce, NewUnit, PeriodRequest, StaffId, Unit, UnitId,
    UnitPatch,
};
use poem::web::Data;
use poem_openapi::param::{Header, Path, Query};
use poem_openapi::{Object, OpenApi};

/// A unit, with its heads when `expand=heads` asks for them.
#[derive(Debug, Clone, Object, serde::Serialize)]
pub struct UnitView {
    #[oai(flatten)]
    #[serde(flatten)]
    pub unit: Unit,
    /// With `expand=heads`.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub heads: Option<Vec<Headship>>,
}

fn expand_units(
    conn: &mut directory_db::DbConnection,
    units: Vec<Unit>,
    wanted: &[String],
    today: chrono::NaiveDate,
) -> directory_db::DbResult<Vec<UnitView>> {
    let heads = if wanted.iter().any(|w| w == "heads") {
        let ids: Vec<UnitId> = units.iter().map(|u| u.id).collect();
        Some(units::heads_of_units(conn, &ids, InForce::On(today))?)
    } else {
        None
    };
    Ok(units
        .into_iter()
        .map(|unit| UnitView {
            heads: heads.as_ref().map(|all| {
                all.iter()
                    .filter(|(u, _)| *u == unit.id)
                    .map(|(_, s)| s.clone())
                    .collect()
            }),
            unit,
        })
        .collect())
}

#[derive(Default)]
pub struct UnitsApi;

#[OpenApi(prefix_path = "/api/v1", tag = "Tag::Units")]
impl UnitsApi {
    /// List units
    #[oai(path = "/units", method = "get", operation_id = "listUnits")]
    #[allow(
        clippy::too_many_arguments,
        reason = "one argument per query parameter"
    )]
    async fn list_units(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// Page size, 1 to 200.
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))]
        limit: Query<Option<i64>>,
        /// Rows to skip, at most 100,000.
        #[oai(validator(minimum(value = "0"), maximum(value = "100000")))]
        offset: Query<Option<i64>>,
        /// `name`, `department_id`, `created_at`; `-` for descending.
        #[oai(validator(pattern = r"^([+-]?(name|department_id|created_at))?$"))]
        sort: Query<Option<String>>,
        /// Only units of this department.
        department_id: Query<Option<DepartmentId>>,
        /// Case-insensitive search in the name.
        q: Query<Option<Search>>,
        /// Relations to embed: `heads`.
        #[oai(validator(pattern = r"^((heads)(,(heads))*)?$"))]
        expand: Query<Option<String>>,
    ) -> Listed<UnitView> {
        respond(async {
            let page = parse_page(limit.0, offset.0)?;
            let sort = parse_sort::<UnitSort>(sort.0.as_deref())?;
            let today = state.today();
            let wanted = parse_expand(expand.0.as_deref(), &["heads"])?;
            let filter = UnitFilter {
                department_id: department_id.0,
                q: q.0.map(|q| q.0),
            };
            let (items, total) = reading(&state, move |c| {
                let found = units::list_units(c, &filter, sort, page)?;
                Ok((expand_units(c, found.items, &wanted, today)?, found.total))
            })
            .await?;
            Ok(Listed::page(items, total, page))
        })
        .await
    }

    /// Get a unit
    #[oai(path = "/units/:id", method = "get", operation_id = "getUnit")]
    async fn get_unit(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The unit's id.
        id: Path<UnitId>,
        /// Relations to embed: `heads`.
        #[oai(validator(pattern = r"^((heads)(,(heads))*)?$"))]
        expand: Query<Option<String>>,
        /// The record as it was at this instant (RFC 3339), from the audit
        /// trail, with the heads and works-in periods in force that day;
        /// 404 if it did not exist then.
        as_of: Query<Option<chrono::DateTime<chrono::Utc>>>,
    ) -> Fetched<UnitView> {
        respond(async {
            let today = state.today();
            let wanted = parse_expand(expand.0.as_deref(), &["heads"])?;
            // As of an instant: the record then, and its relations on that
            // day (the hospital's).
            let at = as_of.0;
            let day = at.map_or(today, |at| state.day_of(at));
            let view = reading(&state, move |c| {
                let unit = match at {
                    Some(at) => audit::as_of(c, AuditEntity::Units, id.0.0, at, "unit")?,
                    None => units::get_unit(c, id.0)?,
                };
                Ok(expand_units(c, vec![unit], &wanted, day)?.remove(0))
            })
            .await?;
            let tag = etag(view.unit.audit.version);
            Ok(Fetched::Ok(Json(view), tag))
        })
        .await
    }

    /// Create a unit in a department
    #[oai(path = "/units", method = "post", operation_id = "createUnit")]
    async fn create_unit(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        body: JsonBody<NewUnit>,
    ) -> Created<Unit> {
        respond(async {
            let new = body.0.validated()?;
            let created = writing(&state, move |c| {
                units::create_unit(c, &new, Some(auth.0.account))
            })
            .await?;
            Ok(Created::Created(
                Json(created.clone()),
                location("units", created.id),
                etag(created.audit.version),
            ))
        })
        .await
    }

    /// Update a unit
    ///
    /// A unit cannot move to another department.
    #[oai(path = "/units/:id", method = "patch", operation_id = "updateUnit")]
    async fn update_unit(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The unit's id.
        id: Path<UnitId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
        body: JsonBody<UnitPatch>,
    ) -> Updated<Unit> {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            let patch = body.0.validated()?;
            let updated = writing(&state, move |c| {
                units::update_unit(c, id.0, expected, &patch, Some(auth.0.account))
            })
            .await?;
            let tag = etag(updated.audit.version);
            Ok(Updated::Ok(Json(updated), tag))
        })
        .await
    }

    /// Delete a unit
    ///
    /// Its staff stay in the department without a unit; its head links go.
    #[oai(path = "/units/:id", method = "delete", operation_id = "deleteUnit")]
    async fn delete_unit(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The unit's id.
        id: Path<UnitId>,
        #[oai(name = "If-Match")] if_match_header: Header<Option<String>>,
    ) -> Deleted {
        respond(async {
            let expected = if_match(if_match_header.0.as_deref())?;
            writing(&state, move |c| {
                units::delete_unit(c, id.0, expected, Some(auth.0.account))
            })
            .await?;
            Ok(Deleted::NoContent)
        })
        .await
    }

    /// List a unit's heads
    ///
    /// Those in force today (the hospital's day), on `as_of`, or every
    /// period with `history=true`.
    #[oai(
        path = "/units/:id/heads",
        method = "get",
        operation_id = "listUnitHeads"
    )]
    async fn list_unit_heads(
        &self,
        state: Data<&AppState>,
        _auth: ReadAccess,
        /// The unit's id.
        id: Path<UnitId>,
        /// Those in force on this day (`YYYY-MM-DD`); today if left out.
        as_of: Query<Option<chrono::NaiveDate>>,
        /// Every period, past, present and future (not with `as_of`).
        history: Query<Option<bool>>,
    ) -> ListedUnder<Headship> {
        respond(async {
            let when = in_force(as_of.0, history.0, state.today())?;
            let found = reading(&state, move |c| {
                units::get_unit(c, id.0)?;
                units::heads_of_units(c, &[id.0], when)
            })
            .await?;
            Ok(ListedUnder::all(
                found.into_iter().map(|(_, item)| item).collect(),
            ))
        })
        .await
    }

    /// Make a staff member a head of the unit
    ///
    /// Over a period: `start_date` (default today) to `end_date` (the last
    /// day, inclusive; open if left out). A period starting on the day of
    /// an existing one changes its end; one that would overlap another of
    /// the same pair is 409.
    #[oai(
        path = "/units/:id/heads/:staff_id",
        method = "put",
        operation_id = "putUnitHead"
    )]
    async fn put_unit_head(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The unit's id.
        id: Path<UnitId>,
        /// The head's staff id.
        staff_id: Path<StaffId>,
        /// The period; left out, in force from today (unless it already is).
        body: OptionalJsonBody<PeriodRequest>,
    ) -> Assigned {
        respond(async {
            let today = state.today();
            let asked = body.0.map(|asked| asked.validated(today)).transpose()?;
            let assigned = writing(&state, move |c| {
                units::put_unit_head(c, id.0, staff_id.0, asked, today, Some(auth.0.account))
            })
            .await?;
            Ok(Assigned::of(assigned))
        })
        .await
    }

    /// End a headship of the unit
    ///
    /// The period in force is ended yesterday, so it is not in force from
    /// today; one that had not started is removed. History keeps them;
    /// `purge=true` removes the latest period as entered by mistake.
    #[oai(
        path = "/units/:id/heads/:staff_id",
        method = "delete",
        operation_id = "deleteUnitHead"
    )]
    async fn delete_unit_head(
        &self,
        state: Data<&AppState>,
        auth: WriteAccess,
        /// The unit's id.
        id: Path<UnitId>,
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
                units::end_unit_head(c, id.0, staff_id.0, purge, today, Some(auth.0.account))
            })
            .await?;
            Ok(Unlinked::NoContent)
        })
        .await
    }
}
