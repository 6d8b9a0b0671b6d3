//! `/fhir`: the directory as FHIR R4 resources (`directory-fhir` maps
//! them), read-only, outside the OpenAPI document.
//!
//! One endpoint takes every request under `/fhir`, so every answer, a
//! wrong method or an unknown type included, is FHIR's: an
//! OperationOutcome in `application/fhir+json`, never problem+json.

use crate::auth::bearer_caller;
use crate::error::{ApiError, AuthFailure};
use crate::{AppState, reading};
use directory_db::fhir::{Role, assignments};
use directory_db::{DbError, buildings, departments, floors, operating_theatres, staff, units};
use directory_domain::{
    AuditAction, AuditEntity, AuditEvent, Building, BuildingId, Department, DepartmentId, Floor,
    FloorId, OperatingTheatre, OperatingTheatreId, Permission, Staff, StaffId, Unit, UnitId,
};
use directory_fhir::map::{self, AssignmentKind};
use directory_fhir::model::{
    Bundle, BundleEntry, BundleLink, EntryRequest, EntryResponse, EntrySearch, Location,
    OperationOutcome, Organization, Reference,
};
use directory_fhir::search::{self, Include, Search, SearchError};
use directory_fhir::select;
use directory_fhir::{CONTENT_TYPE, Key, Resource, ResourceType, capability};
use poem::http::{Method, StatusCode, header};
use poem::{Endpoint, Request, Response};
use serde::Serialize;

/// What the view takes from the configuration.
pub type FhirSettings = map::Settings;

/// A failure, as the OperationOutcome it is answered with.
#[derive(Debug)]
struct Failure {
    status: StatusCode,
    /// The issue type (FHIR's `IssueType` code).
    code: &'static str,
    diagnostics: String,
}

impl Failure {
    fn new(status: StatusCode, code: &'static str, diagnostics: impl Into<String>) -> Self {
        Self {
            status,
            code,
            diagnostics: diagnostics.into(),
        }
    }

    fn not_found(resource: ResourceType, id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not-found",
            format!("{resource}/{id} is not known"),
        )
    }

    fn into_response(self) -> Response {
        let mut response = body(
            self.status,
            &OperationOutcome::error(self.code, self.diagnostics),
        );
        match self.status {
            StatusCode::UNAUTHORIZED => {
                response.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer"),
                );
            }
            StatusCode::SERVICE_UNAVAILABLE => {
                response.headers_mut().insert(
                    header::RETRY_AFTER,
                    header::HeaderValue::from(crate::error::RETRY_AFTER_SECS),
                );
            }
            _ => {}
        }
        response
    }
}

impl From<ApiError> for Failure {
    fn from(error: ApiError) -> Self {
        let status = error.status();
        let problem = error.problem();
        let diagnostics = problem
            .detail
            .clone()
            .unwrap_or_else(|| problem.title.clone());
        let code = match status {
            StatusCode::NOT_FOUND => "not-found",
            StatusCode::BAD_REQUEST => "invalid",
            StatusCode::UNAUTHORIZED => "login",
            StatusCode::FORBIDDEN => "forbidden",
            StatusCode::SERVICE_UNAVAILABLE => "transient",
            _ => "exception",
        };
        Self::new(status, code, diagnostics)
    }
}

impl From<AuthFailure> for Failure {
    fn from(failure: AuthFailure) -> Self {
        failure.to_api_error().into()
    }
}

impl From<crate::error::ReadFailure> for Failure {
    fn from(failure: crate::error::ReadFailure) -> Self {
        ApiError::from(failure).into()
    }
}

/// A FHIR body: rendered as every other body is (sonic-rs).
fn body<T: Serialize>(status: StatusCode, value: &T) -> Response {
    match crate::payload::render(value) {
        Ok(bytes) => Response::builder()
            .status(status)
            .content_type(CONTENT_TYPE)
            .body(bytes),
        Err(error) => {
            tracing::error!(%error, "a FHIR body could not be rendered");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .finish()
        }
    }
}

/// Whether the client asks for a format other than JSON: `_format`, or an
/// `Accept` that names XML and no JSON or wildcard.
fn wants_other_format(req: &Request) -> Option<String> {
    let format = req
        .uri()
        .query()
        .into_iter()
        .flat_map(|query| query.split('&'))
        .filter_map(|pair| pair.strip_prefix("_format="))
        .next();
    if let Some(format) = format {
        let format = format
            .replace("%2B", "+")
            .replace("%2F", "/")
            .to_ascii_lowercase();
        let json = matches!(
            format.as_str(),
            "json" | "application/json" | "application/fhir+json"
        );
        return (!json).then_some(format);
    }
    let accept = req
        .headers()
        .get(header::ACCEPT)?
        .to_str()
        .ok()?
        .to_ascii_lowercase();
    let takes_json = accept.split(',').any(|kind| {
        let kind = kind.split(';').next().unwrap_or("").trim();
        kind.contains("json") || kind == "*/*" || kind == "application/*" || kind.is_empty()
    });
    (!takes_json).then_some(accept)
}

/// The FHIR view's endpoint, mounted at `/fhir/*`.
pub fn endpoint() -> impl Endpoint<Output = Response> {
    poem::endpoint::make(|mut req: Request| async move {
        let body = req.take_body();
        match serve(&req, body).await {
            Ok(response) => response,
            Err(failure) => failure.into_response(),
        }
    })
}

async fn serve(req: &Request, payload: poem::Body) -> Result<Response, Failure> {
    let Some(state) = req.data::<AppState>() else {
        return Err(ApiError::internal().into());
    };
    if let Some(format) = wants_other_format(req) {
        return Err(Failure::new(
            StatusCode::NOT_ACCEPTABLE,
            "not-supported",
            format!("this server speaks FHIR JSON only, not {format}"),
        ));
    }
    let path = req.uri().path();
    let rest = path.strip_prefix("/fhir").unwrap_or(path);
    let segments: Vec<&str> = rest.split('/').filter(|s| !s.is_empty()).collect();
    let method = req.method();
    if segments == ["metadata"] {
        only(method, &[Method::GET])?;
        return Ok(body(StatusCode::OK, &*state.fhir_capability));
    }
    let Some(resource) = segments.first().map(|name| {
        name.parse::<ResourceType>().map_err(|()| {
            Failure::new(
                StatusCode::NOT_FOUND,
                "not-supported",
                format!(
                    "{name} is not a resource type this server serves (it serves Organization, \
                     Location, Practitioner and PractitionerRole)"
                ),
            )
        })
    }) else {
        return Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            "name a resource type, or /fhir/metadata",
        ));
    };
    let resource = resource?;
    let query = req.uri().query().unwrap_or("");
    match segments[1..] {
        [] => {
            only(method, &[Method::GET, Method::HEAD])?;
            bearer_caller(req, Permission::DirectoryRead).await?;
            search(state, req, resource, pairs(query)?).await
        }
        ["_history"] => {
            only(method, &[Method::GET, Method::HEAD])?;
            bearer_caller(req, Permission::DirectoryRead).await?;
            history(state, req, resource, pairs(query)?).await
        }
        ["_search"] => {
            only(method, &[Method::POST])?;
            bearer_caller(req, Permission::DirectoryRead).await?;
            let form = form_body(req, payload).await?;
            let mut params = pairs(query)?;
            params.extend(pairs(&form)?);
            search(state, req, resource, params).await
        }
        [id] => {
            only(method, &[Method::GET, Method::HEAD])?;
            bearer_caller(req, Permission::DirectoryRead).await?;
            read(state, resource, id).await
        }
        _ => Err(Failure::new(
            StatusCode::NOT_FOUND,
            "not-supported",
            format!("{path} is not an interaction this server supports"),
        )),
    }
}

/// A `POST _search` body: form-encoded parameters, as FHIR asks.
async fn form_body(req: &Request, body: poem::Body) -> Result<String, Failure> {
    let form = req
        .content_type()
        .is_some_and(|t| t.starts_with("application/x-www-form-urlencoded"));
    if !form {
        return Err(Failure::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "not-supported",
            "POST _search takes its parameters as application/x-www-form-urlencoded",
        ));
    }
    body.into_string().await.map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("the body could not be read as UTF-8 text: {e}"),
        )
    })
}

/// 405 for any other method: the view is read-only.
fn only(method: &Method, allowed: &[Method]) -> Result<(), Failure> {
    if allowed.contains(method) {
        Ok(())
    } else {
        Err(Failure::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "not-supported",
            format!("{method} is not supported here: the FHIR view is read-only"),
        ))
    }
}

/// The resource that `key` names, as of today.
async fn load(state: &AppState, key: Key) -> Result<Resource, Failure> {
    let settings = state.fhir.clone();
    let today = state.today();
    let resource = reading(state, move |c| -> Result<Resource, DbError> {
        Ok(match key {
            Key::Hospital => Resource::Organization(map::hospital(&settings)),
            Key::Department(id) => Resource::Organization(map::department(
                &departments::get_department(c, DepartmentId(id))?,
                &settings,
            )),
            Key::Unit(id) => {
                let unit = units::get_unit(c, UnitId(id))?;
                let department = departments::get_department(c, unit.department_id)?;
                Resource::Organization(map::unit(&unit, &department.name))
            }
            Key::Building(id) => Resource::Location(map::building(
                &buildings::get_building(c, BuildingId(id))?,
                &settings,
            )),
            Key::Floor(id) => {
                let floor = floors::get_floor(c, FloorId(id))?;
                let building = buildings::get_building(c, floor.building_id)?;
                Resource::Location(map::floor(&floor, &building.name, &settings))
            }
            Key::Theatre(id) => {
                let theatre = operating_theatres::get_theatre(c, OperatingTheatreId(id))?;
                let floor = floors::get_floor(c, theatre.floor_id)?;
                Resource::Location(map::theatre(&theatre, &floor.name, &settings))
            }
            Key::Staff(id) => Resource::Practitioner(map::practitioner(
                &staff::get_staff(c, StaffId(id))?,
                &settings,
                today,
            )),
            Key::Post(id) => {
                Resource::PractitionerRole(map::post(&staff::get_staff(c, StaffId(id))?, today))
            }
            Key::WorksIn(id) | Key::DepartmentHead(id) | Key::UnitHead(id) => {
                let kind = match key {
                    Key::WorksIn(_) => AssignmentKind::WorksIn,
                    Key::DepartmentHead(_) => AssignmentKind::DepartmentHead,
                    _ => AssignmentKind::UnitHead,
                };
                let found = assignments(c, kind, &[id])?;
                let assignment = found
                    .first()
                    .ok_or_else(|| DbError::not_found("PractitionerRole", key))?;
                Resource::PractitionerRole(map::assignment(assignment, today))
            }
        })
    })
    .await?;
    Ok(resource)
}

/// `GET /fhir/{type}/{id}`, with the version as a weak ETag.
async fn read(state: &AppState, resource: ResourceType, id: &str) -> Result<Response, Failure> {
    let key = Key::parse(resource, id).ok_or_else(|| Failure::not_found(resource, id))?;
    let found = match load(state, key).await {
        Err(failure) if failure.status == StatusCode::NOT_FOUND => {
            return Err(Failure::not_found(resource, id));
        }
        other => other?,
    };
    let meta = found.meta();
    let etag = format!("W/\"{}\"", meta.version_id);
    let modified = meta.last_updated.to_rfc2822().replace("+0000", "GMT");
    let mut response = body(StatusCode::OK, &found);
    if let Ok(value) = header::HeaderValue::from_str(&etag) {
        response.headers_mut().insert(header::ETAG, value);
    }
    if let Ok(value) = header::HeaderValue::from_str(&modified) {
        response.headers_mut().insert(header::LAST_MODIFIED, value);
    }
    Ok(response)
}

/// The CapabilityStatement this server answers `/fhir/metadata` with.
pub fn capability_statement(started: chrono::DateTime<chrono::Utc>) -> serde_json::Value {
    capability::statement(
        crate::VERSION,
        &started.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

/// `https://host` as the client reached this server: the base of every
/// `fullUrl` and link (behind a proxy, from `X-Forwarded-Proto` and
/// `X-Forwarded-Host`).
fn base_url(req: &Request) -> String {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.split(',').next().unwrap_or("").trim().to_owned())
            .filter(|v| !v.is_empty())
    };
    let scheme = header("x-forwarded-proto").unwrap_or_else(|| "http".into());
    let host = header("x-forwarded-host")
        .or_else(|| header("host"))
        .or_else(|| req.uri().authority().map(|a| a.to_string()))
        .unwrap_or_else(|| "localhost".into());
    format!("{scheme}://{host}/fhir")
}

/// The name and value pairs of a query string or form body, decoded.
fn pairs(text: &str) -> Result<Vec<(String, String)>, Failure> {
    serde_urlencoded::from_str(text).map_err(|e| {
        Failure::new(
            StatusCode::BAD_REQUEST,
            "invalid",
            format!("the parameters do not parse: {e}"),
        )
    })
}

/// Whether the client asked for strict handling of unknown parameters.
fn strict(req: &Request) -> bool {
    req.headers()
        .get_all("prefer")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|p| p.trim().eq_ignore_ascii_case("handling=strict"))
}

fn bad_request(error: SearchError) -> Failure {
    Failure::new(StatusCode::BAD_REQUEST, "invalid", error.0)
}

/// One searchset page: matches, then what they include.
struct Found {
    matches: Vec<Resource>,
    included: Vec<Resource>,
    total: i64,
    /// The next page's cursor.
    next: Option<String>,
}

fn entry(base: &str, resource: Resource, mode: &'static str) -> BundleEntry {
    BundleEntry {
        full_url: format!("{base}/{}/{}", resource.type_name(), resource.id()),
        resource: Some(resource),
        search: Some(EntrySearch { mode }),
        request: None,
        response: None,
    }
}

/// `GET /fhir/{type}?...` and `POST /fhir/{type}/_search`.
async fn search(
    state: &AppState,
    req: &Request,
    resource: ResourceType,
    params: Vec<(String, String)>,
) -> Result<Response, Failure> {
    let search = Search::parse(resource, &params, strict(req)).map_err(bad_request)?;
    let after = match &search.cursor {
        Some(cursor) => Some(Key::parse(resource, cursor).ok_or_else(|| {
            bad_request(SearchError(format!(
                "_cursor {cursor:?} is not one this server gave out"
            )))
        })?),
        None => None,
    };
    let found = match resource {
        ResourceType::Organization => organizations(state, &search, after).await?,
        ResourceType::Location => locations(state, &search, after).await?,
        ResourceType::Practitioner => practitioners(state, &search, after).await?,
        ResourceType::PractitionerRole => practitioner_roles(state, &search, after).await?,
    };
    let base = base_url(req);
    let kept: Vec<(String, String)> = params
        .into_iter()
        .filter(|(name, _)| name != "_cursor")
        .collect();
    let query = serde_urlencoded::to_string(&kept).unwrap_or_default();
    let link_to = |extra: Option<&str>| {
        let mut url = format!("{base}/{resource}");
        let mut query = query.clone();
        if let Some(cursor) = extra {
            if !query.is_empty() {
                query.push('&');
            }
            query.push_str(&serde_urlencoded::to_string([("_cursor", cursor)]).unwrap_or_default());
        }
        if !query.is_empty() {
            url.push('?');
            url.push_str(&query);
        }
        url
    };
    let mut link = vec![BundleLink {
        relation: "self",
        url: link_to(search.cursor.as_deref()),
    }];
    if let Some(next) = &found.next {
        link.push(BundleLink {
            relation: "next",
            url: link_to(Some(next)),
        });
    }
    let mut entries: Vec<BundleEntry> = found
        .matches
        .into_iter()
        .map(|r| entry(&base, r, "match"))
        .collect();
    entries.extend(
        found
            .included
            .into_iter()
            .map(|r| entry(&base, r, "include")),
    );
    let bundle = Bundle {
        type_: "searchset",
        total: Some(found.total),
        link,
        entry: entries,
    };
    Ok(body(StatusCode::OK, &bundle))
}

/// Included resources not already on the page, each once.
fn dedup_included(matches: &[Resource], included: Vec<Resource>) -> Vec<Resource> {
    let mut seen: std::collections::HashSet<(&'static str, String)> = matches
        .iter()
        .map(|r| (r.type_name(), r.id().to_owned()))
        .collect();
    included
        .into_iter()
        .filter(|r| seen.insert((r.type_name(), r.id().to_owned())))
        .collect()
}

/// Every row of a small table (departments, units, places).
const ALL: directory_db::Page = directory_db::Page {
    limit: 1_000_000,
    offset: 0,
};

async fn organizations(
    state: &AppState,
    search: &Search,
    after: Option<Key>,
) -> Result<Found, Failure> {
    let settings = state.fhir.clone();
    let (departments, units) = reading(state, |c| {
        let departments = departments::list_departments(c, &Default::default(), None, ALL)?.items;
        let units = units::list_units(c, &Default::default(), None, ALL)?.items;
        Ok((departments, units))
    })
    .await?;
    let names: std::collections::HashMap<i32, &str> = departments
        .iter()
        .map(|d| (d.id.0, d.name.as_str()))
        .collect();
    let mut all: Vec<(Key, Organization)> = vec![(Key::Hospital, map::hospital(&settings))];
    all.extend(
        departments
            .iter()
            .map(|d| (Key::Department(d.id.0), map::department(d, &settings))),
    );
    all.extend(units.iter().map(|u| {
        let name = names.get(&u.department_id.0).copied().unwrap_or_default();
        (Key::Unit(u.id.0), map::unit(u, name))
    }));
    let mut found = found_among(
        all,
        search,
        after,
        |key, org| select::organization_matches(&search.query, key, org),
        |org| org.part_of.as_ref(),
        search.include.contains(&Include::OrganizationPartOf),
        Resource::Organization,
    );
    if search.revinclude.contains(&Include::RoleOrganization) {
        let keys: Vec<Key> = found
            .matches
            .iter()
            .filter_map(|r| Key::parse(ResourceType::Organization, r.id()))
            .collect();
        let today = state.today();
        let query = directory_fhir::search::Query {
            organization: Some(keys),
            ..Default::default()
        };
        let (roles, _, _) = reading(state, move |c| {
            directory_db::fhir::roles(c, &query, today, None, MAX_REVINCLUDED)
        })
        .await?;
        found
            .included
            .extend(roles.iter().map(|role| role_resource(role, today)));
    }
    Ok(found)
}

async fn locations(
    state: &AppState,
    search: &Search,
    after: Option<Key>,
) -> Result<Found, Failure> {
    let settings = state.fhir.clone();
    let (buildings, floors, theatres) = reading(state, |c| {
        let buildings = buildings::list_buildings(c, None, None, ALL)?.items;
        let floors = floors::list_floors(c, &Default::default(), None, ALL)?.items;
        let theatres = operating_theatres::list_theatres(c, &Default::default(), None, ALL)?.items;
        Ok((buildings, floors, theatres))
    })
    .await?;
    let building_names: std::collections::HashMap<i32, &str> = buildings
        .iter()
        .map(|b| (b.id.0, b.name.as_str()))
        .collect();
    let floor_names: std::collections::HashMap<i32, &str> =
        floors.iter().map(|f| (f.id.0, f.name.as_str())).collect();
    let mut all: Vec<(Key, Location)> = buildings
        .iter()
        .map(|b| (Key::Building(b.id.0), map::building(b, &settings)))
        .collect();
    all.extend(floors.iter().map(|f| {
        let name = building_names
            .get(&f.building_id.0)
            .copied()
            .unwrap_or_default();
        (Key::Floor(f.id.0), map::floor(f, name, &settings))
    }));
    all.extend(theatres.iter().map(|t| {
        let name = floor_names.get(&t.floor_id.0).copied().unwrap_or_default();
        (Key::Theatre(t.id.0), map::theatre(t, name, &settings))
    }));
    Ok(found_among(
        all,
        search,
        after,
        |key, location| select::location_matches(&search.query, key, location),
        |location| location.part_of.as_ref(),
        search.include.contains(&Include::LocationPartOf),
        Resource::Location,
    ))
}

/// A search of a small type answered in memory: the matches among `all`
/// (every record, mapped), one page of them, and with `with_parents`
/// each match's `partOf` as an include.
fn found_among<T: Clone>(
    all: Vec<(Key, T)>,
    search: &Search,
    after: Option<Key>,
    matches: impl Fn(Key, &T) -> bool,
    part_of: impl Fn(&T) -> Option<&Reference>,
    with_parents: bool,
    resource: fn(T) -> Resource,
) -> Found {
    let matching: Vec<(Key, T)> = all
        .iter()
        .filter(|(key, item)| matches(*key, item))
        .cloned()
        .collect();
    let page = select::page(matching, after, search.count);
    let mut included = Vec::new();
    if with_parents {
        for parent in page.items.iter().filter_map(|(_, item)| part_of(item)) {
            let found = all
                .iter()
                .find(|(key, _)| key.reference() == parent.reference);
            included.extend(found.map(|(_, item)| resource(item.clone())));
        }
    }
    let matches: Vec<Resource> = page
        .items
        .into_iter()
        .map(|(_, item)| resource(item))
        .collect();
    Found {
        included: dedup_included(&matches, included),
        matches,
        total: page.total,
        next: page.next.map(|k| k.to_string()),
    }
}

async fn practitioners(
    state: &AppState,
    search: &Search,
    after: Option<Key>,
) -> Result<Found, Failure> {
    let settings = state.fhir.clone();
    let today = state.today();
    let after = match after {
        Some(Key::Staff(id)) => Some(id),
        _ => None,
    };
    let (query, count) = (search.query.clone(), search.count);
    let with_roles = search.revinclude.contains(&Include::RolePractitioner);
    let counts = state.counts.clone();
    let (staff, total, periods) = reading(state, move |c| {
        // One more than the page: whether a next page exists.
        let (mut staff, total) = directory_db::fhir::practitioners(
            c,
            &counts,
            &query,
            &settings.employee_id_system,
            today,
            after,
            count + 1,
        )?;
        let more = i64::try_from(staff.len()).unwrap_or(i64::MAX) > count;
        staff.truncate(usize::try_from(count).unwrap_or(0));
        let periods = if with_roles {
            directory_db::fhir::periods_of_staff(c, &staff)?
        } else {
            Vec::new()
        };
        Ok((staff, (total, more), periods))
    })
    .await?;
    let (total, more) = total;
    let next = if more {
        staff.last().map(|s| Key::Staff(s.id.0).to_string())
    } else {
        None
    };
    let mut included = Vec::new();
    if with_roles {
        for member in &staff {
            included.push(Resource::PractitionerRole(map::post(member, today)));
            for period in periods.iter().filter(|p| p.staff.id == member.id) {
                included.push(Resource::PractitionerRole(map::assignment(period, today)));
            }
        }
    }
    let matches = staff
        .iter()
        .map(|s| Resource::Practitioner(map::practitioner(s, &state.fhir, today)))
        .collect();
    Ok(Found {
        matches,
        included,
        total,
        next,
    })
}

/// The most PractitionerRoles one page of Organizations includes with
/// `_revinclude=PractitionerRole:organization` (a department's staff can
/// run to thousands; search PractitionerRole by organization to page).
pub const MAX_REVINCLUDED: i64 = 1_000;

fn role_resource(role: &Role, today: chrono::NaiveDate) -> Resource {
    Resource::PractitionerRole(match role {
        Role::Post(staff) => map::post(staff, today),
        Role::Period(period) => map::assignment(period, today),
    })
}

/// The organizations `keys` name (departments and units), mapped.
fn organizations_named(
    c: &mut directory_db::DbConnection,
    keys: &[Key],
    settings: &FhirSettings,
) -> Result<Vec<Resource>, DbError> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let departments = departments::list_departments(c, &Default::default(), None, ALL)?.items;
    let units = units::list_units(c, &Default::default(), None, ALL)?.items;
    let mut found = Vec::new();
    for key in keys {
        match key {
            Key::Department(id) => found.extend(
                departments
                    .iter()
                    .filter(|d| d.id.0 == *id)
                    .map(|d| Resource::Organization(map::department(d, settings))),
            ),
            Key::Unit(id) => {
                for unit in units.iter().filter(|u| u.id.0 == *id) {
                    let name = departments
                        .iter()
                        .find(|d| d.id == unit.department_id)
                        .map_or("", |d| d.name.as_str());
                    found.push(Resource::Organization(map::unit(unit, name)));
                }
            }
            _ => {}
        }
    }
    Ok(found)
}

/// The key a reference (`Organization/dept-1`) names.
fn referenced(reference: &Reference, target: ResourceType) -> Option<Key> {
    let (ty, id) = reference.reference.split_once('/')?;
    (ty == target.as_str())
        .then(|| Key::parse(target, id))
        .flatten()
}

async fn practitioner_roles(
    state: &AppState,
    search: &Search,
    after: Option<Key>,
) -> Result<Found, Failure> {
    let settings = state.fhir.clone();
    let today = state.today();
    let (query, count) = (search.query.clone(), search.count);
    let (practitioners, organizations) = (
        search.include.contains(&Include::RolePractitioner),
        search.include.contains(&Include::RoleOrganization),
    );
    let (roles, total, more, included) = reading(state, move |c| {
        let (roles, total, more) = directory_db::fhir::roles(c, &query, today, after, count)?;
        let mut included = Vec::new();
        if practitioners {
            for role in &roles {
                let staff = match role {
                    Role::Post(staff) => staff,
                    Role::Period(period) => &period.staff,
                };
                included.push(Resource::Practitioner(map::practitioner(
                    staff, &settings, today,
                )));
            }
        }
        if organizations {
            let mut keys: Vec<Key> = roles
                .iter()
                .filter_map(|role| {
                    let Resource::PractitionerRole(shown) = role_resource(role, today) else {
                        return None;
                    };
                    referenced(&shown.organization, ResourceType::Organization)
                })
                .collect();
            keys.sort_unstable();
            keys.dedup();
            included.extend(organizations_named(c, &keys, &settings)?);
        }
        Ok((roles, total, more, included))
    })
    .await?;
    let next = if more {
        roles.last().map(|role| match role {
            Role::Post(staff) => Key::Post(staff.id.0).to_string(),
            Role::Period(period) => period.key().to_string(),
        })
    } else {
        None
    };
    let matches: Vec<Resource> = roles.iter().map(|r| role_resource(r, today)).collect();
    Ok(Found {
        included: dedup_included(&matches, included),
        matches,
        total,
        next,
    })
}

/// The audit trail's kinds of record behind each type's history.
fn history_entities(resource: ResourceType) -> &'static [AuditEntity] {
    match resource {
        ResourceType::Organization => &[AuditEntity::Departments, AuditEntity::Units],
        ResourceType::Location => &[
            AuditEntity::Buildings,
            AuditEntity::Floors,
            AuditEntity::OperatingTheatres,
        ],
        ResourceType::Practitioner => &[AuditEntity::Staff],
        // A staff member's record is their post; the links are periods.
        ResourceType::PractitionerRole => &[
            AuditEntity::Staff,
            AuditEntity::WorksIn,
            AuditEntity::DepartmentHeads,
            AuditEntity::UnitHeads,
        ],
    }
}

/// The kind of period a link event is about.
fn period_kind(entity: AuditEntity) -> Option<AssignmentKind> {
    match entity {
        AuditEntity::WorksIn => Some(AssignmentKind::WorksIn),
        AuditEntity::DepartmentHeads => Some(AssignmentKind::DepartmentHead),
        AuditEntity::UnitHeads => Some(AssignmentKind::UnitHead),
        _ => None,
    }
}

/// The period a link event records (as it was after the change, or
/// before a removal). Events written before the trail named a period's
/// row have no `id` and give none.
fn period_link(event: &AuditEvent) -> Option<map::PeriodLink> {
    #[derive(serde::Deserialize)]
    struct Recorded {
        id: i32,
        staff_id: i32,
        department_id: Option<i32>,
        unit_id: Option<i32>,
        start_date: chrono::NaiveDate,
        end_date: Option<chrono::NaiveDate>,
    }
    let kind = period_kind(event.entity)?;
    let text = event.after.as_ref().or(event.before.as_ref())?;
    let recorded: Recorded = serde_json::from_str(text.as_str()).ok()?;
    Some(map::PeriodLink {
        kind,
        id: recorded.id,
        staff_id: recorded.staff_id,
        organization_id: recorded.department_id.or(recorded.unit_id)?,
        period: directory_domain::Period {
            start_date: recorded.start_date,
            end_date: recorded.end_date,
        },
    })
}

/// The record a change event shows, as of that change, mapped; `None`
/// for a deletion (or a record the event does not hold).
fn version_of(
    resource: ResourceType,
    event: &AuditEvent,
    settings: &FhirSettings,
    today: chrono::NaiveDate,
) -> Option<Resource> {
    fn parsed<T: serde::de::DeserializeOwned>(event: &AuditEvent) -> Option<T> {
        serde_json::from_str(event.after.as_ref()?.as_str()).ok()
    }
    // A version's references carry the names its own record holds (a
    // staff member's department and unit); the names of other records
    // that day are not in it.
    Some(match event.entity {
        AuditEntity::Departments => {
            Resource::Organization(map::department(&parsed::<Department>(event)?, settings))
        }
        AuditEntity::Units => Resource::Organization(map::unit(&parsed::<Unit>(event)?, "")),
        AuditEntity::Buildings => {
            Resource::Location(map::building(&parsed::<Building>(event)?, settings))
        }
        AuditEntity::Floors => {
            Resource::Location(map::floor(&parsed::<Floor>(event)?, "", settings))
        }
        AuditEntity::OperatingTheatres => Resource::Location(map::theatre(
            &parsed::<OperatingTheatre>(event)?,
            "",
            settings,
        )),
        AuditEntity::Staff if resource == ResourceType::PractitionerRole => {
            Resource::PractitionerRole(map::post(&parsed::<Staff>(event)?, today))
        }
        AuditEntity::Staff => {
            Resource::Practitioner(map::practitioner(&parsed::<Staff>(event)?, settings, today))
        }
        _ => Resource::PractitionerRole(map::period_version(
            &period_link(event)?,
            event.version?,
            event.at,
            today,
        )),
    })
}

/// The key of the resource of this type an event is about.
fn key_of_event(resource: ResourceType, event: &AuditEvent) -> Option<Key> {
    if let Some(kind) = period_kind(event.entity) {
        return Some(kind.key(period_link(event)?.id));
    }
    let id: i32 = event.entity_id.parse().ok()?;
    Some(match event.entity {
        AuditEntity::Staff if resource == ResourceType::PractitionerRole => Key::Post(id),
        AuditEntity::Departments => Key::Department(id),
        AuditEntity::Units => Key::Unit(id),
        AuditEntity::Buildings => Key::Building(id),
        AuditEntity::Floors => Key::Floor(id),
        AuditEntity::OperatingTheatres => Key::Theatre(id),
        AuditEntity::Staff => Key::Staff(id),
        _ => return None,
    })
}

/// `GET /fhir/{type}/_history?_since=`: the type's changes from the
/// change feed, newest first, each the version it made (a deletion as a
/// DELETE entry), paged by an opaque cursor like a search.
async fn history(
    state: &AppState,
    req: &Request,
    resource: ResourceType,
    params: Vec<(String, String)>,
) -> Result<Response, Failure> {
    let entities = history_entities(resource);
    let (mut since, mut count, mut before) = (None, search::DEFAULT_COUNT, None);
    for (name, value) in &params {
        match name.as_str() {
            "_since" => {
                let at = chrono::DateTime::parse_from_rfc3339(value)
                    .map(|at| at.with_timezone(&chrono::Utc))
                    .map_err(|_| {
                        bad_request(SearchError(format!(
                            "_since {value:?} is not an instant (YYYY-MM-DDThh:mm:ss with a zone)"
                        )))
                    })?;
                since = Some(at);
            }
            "_count" => {
                count = value
                    .parse::<i64>()
                    .ok()
                    .filter(|n| *n >= 0)
                    .ok_or_else(|| {
                        bad_request(SearchError(format!(
                            "_count must be a whole number of 0 or more, not {value:?}"
                        )))
                    })?
                    .min(search::MAX_COUNT);
            }
            "_cursor" => {
                before = Some(
                    value
                        .parse::<i64>()
                        .ok()
                        .filter(|n| *n > 0)
                        .ok_or_else(|| {
                            bad_request(SearchError(format!(
                                "_cursor {value:?} is not one this server gave out"
                            )))
                        })?,
                );
            }
            "_format" | "_pretty" => {}
            other if strict(req) => {
                return Err(bad_request(SearchError(format!(
                    "{other} is not a parameter of _history; it takes _since, _count"
                ))));
            }
            _ => {}
        }
    }
    let events = reading(state, move |c| {
        directory_db::audit::recent_changes(c, entities, since, before, count + 1)
    })
    .await?;
    let more = i64::try_from(events.len()).unwrap_or(i64::MAX) > count;
    let events = &events[..events.len().min(usize::try_from(count).unwrap_or(0))];
    let base = base_url(req);
    let today = state.today();
    let entries: Vec<BundleEntry> = events
        .iter()
        .filter_map(|event| {
            let key = key_of_event(resource, event)?;
            let removed = matches!(event.action, AuditAction::Delete | AuditAction::Unlink);
            let created = event.action == AuditAction::Create
                || (event.action == AuditAction::Link && event.before.is_none());
            let (method, url, status) = if removed {
                ("DELETE", key.reference(), "204 No Content")
            } else if created {
                ("POST", resource.to_string(), "201 Created")
            } else {
                ("PUT", key.reference(), "200 OK")
            };
            let version = (!removed)
                .then(|| version_of(resource, event, &state.fhir, today))
                .flatten();
            Some(BundleEntry {
                full_url: format!("{base}/{}", key.reference()),
                resource: version,
                search: None,
                request: Some(EntryRequest { method, url }),
                response: Some(EntryResponse {
                    status,
                    etag: event.version.map(|v| format!("W/\"{v}\"")),
                    last_modified: Some(event.at),
                }),
            })
        })
        .collect();
    let kept: Vec<(String, String)> = params
        .into_iter()
        .filter(|(name, _)| name != "_cursor")
        .collect();
    let link_to = |cursor: Option<i64>| {
        let mut pairs = kept.clone();
        if let Some(cursor) = cursor {
            pairs.push(("_cursor".into(), cursor.to_string()));
        }
        let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
        if query.is_empty() {
            format!("{base}/{resource}/_history")
        } else {
            format!("{base}/{resource}/_history?{query}")
        }
    };
    let mut link = vec![BundleLink {
        relation: "self",
        url: link_to(before),
    }];
    if more && let Some(last) = events.last() {
        link.push(BundleLink {
            relation: "next",
            url: link_to(Some(last.id)),
        });
    }
    Ok(body(
        StatusCode::OK,
        &Bundle {
            type_: "history",
            total: None,
            link,
            entry: entries,
        },
    ))
}
