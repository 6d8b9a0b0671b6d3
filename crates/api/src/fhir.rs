//! `/fhir`: the directory as FHIR R4 resources (`directory-fhir` maps
//! them), read-only, outside the OpenAPI document.
//!
//! One endpoint takes every request under `/fhir`, so every answer, a
//! wrong method or an unknown type included, is FHIR's: an
//! OperationOutcome in `application/fhir+json`, never problem+json.

use crate::auth::bearer_caller;
use crate::error::{ApiError, AuthFailure};
use crate::{AppState, reading};
use directory_db::fhir::{Periods, assignments};
use directory_db::{DbError, buildings, departments, floors, operating_theatres, staff, units};
use directory_domain::{
    BuildingId, DepartmentId, FloorId, OperatingTheatreId, Permission, StaffId, UnitId,
};
use directory_fhir::map::{self, AssignmentKind};
use directory_fhir::model::OperationOutcome;
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
    poem::endpoint::make(|req: Request| async move {
        match serve(&req).await {
            Ok(response) => response,
            Err(failure) => failure.into_response(),
        }
    })
}

async fn serve(req: &Request) -> Result<Response, Failure> {
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
    match segments[1..] {
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
                let found = assignments(c, kind, Periods::Ids(&[id]))?;
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
