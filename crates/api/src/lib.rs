//! The hospital directory's HTTP API. Only this crate knows HTTP.
//!
//! [`app`] assembles the whole service (the OpenAPI operations, the
//! document at `/openapi.json`, the docs page at `/docs`, and the
//! middleware); [`api_service`] is the OpenAPI service alone, which
//! `cargo xtask openapi` renders into `docs/openapi.json`.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod body;
pub mod buildings;
pub mod cadres;
mod common;
pub mod departments;
pub mod designations;
pub mod document;
pub mod error;
pub mod fhir;
pub mod files;
pub mod floors;
mod limits;
pub mod operating_theatres;
pub mod ops;
pub mod passwords;
pub mod payload;
pub mod problem;
pub mod responses;
pub mod roles;
pub mod sessions;
pub mod staff;
mod state;
pub mod units;

pub use state::{AppState, reading, today_in, writing, writing_on_pool};

use bytes::Bytes;
use poem::middleware::{CatchPanic, Cors, RequestId, ReuseId, Tracing};
use poem::{Endpoint, EndpointExt, Response, Route, get};
use poem_openapi::OpenApiService;

/// Settings the HTTP layer takes from the server's configuration.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// Largest request body accepted, in bytes.
    pub body_limit: usize,
    /// Largest file `POST /api/v1/staff/import` accepts, in bytes.
    pub import_limit: usize,
    /// Origins allowed to call the API from a browser; empty means none.
    pub cors_origins: Vec<String>,
    /// How long a request's body may take to arrive after its headers.
    pub body_timeout: std::time::Duration,
}

impl Default for HttpOptions {
    fn default() -> Self {
        Self {
            body_limit: 1024 * 1024,
            import_limit: 20 * 1024 * 1024,
            cors_origins: Vec::new(),
            body_timeout: std::time::Duration::from_secs(10),
        }
    }
}

pub const TITLE: &str = "Hospital Directory";
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The API's tags: one per resource.
#[derive(poem_openapi::Tags)]
pub enum Tag {
    /// Departments and centres, their units and heads.
    Departments,
    /// Units inside departments, and their heads.
    Units,
    /// Designation groups (Faculty, Residents, Nursing, ...).
    Cadres,
    /// Designations inside cadres.
    Designations,
    /// Staff members, their secondary departments, deactivation.
    Staff,
    /// Functional roles and their permissions.
    Roles,
    /// Buildings and their floors.
    Buildings,
    /// Floors and their operating theatres.
    Floors,
    /// Operating theatres and their tables.
    #[oai(rename = "Operating theatres")]
    OperatingTheatres,
    /// Log in and out; the caller's own account and password.
    Auth,
    /// Login accounts, their roles and deactivation (needs accounts:manage).
    Accounts,
    /// The audit trail (needs audit:read) and the change feed.
    Audit,
}

type Apis = (
    ops::OpsApi,
    sessions::SessionApi,
    accounts::AccountsApi,
    departments::DepartmentsApi,
    units::UnitsApi,
    cadres::CadresApi,
    designations::DesignationsApi,
    staff::StaffApi,
    roles::RolesApi,
    buildings::BuildingsApi,
    floors::FloorsApi,
    // Past twelve a tuple has no Default: the last two go in one.
    (operating_theatres::TheatresApi, audit::AuditApi),
);

/// The OpenAPI service: every documented operation.
pub fn api_service() -> OpenApiService<Apis, ()> {
    OpenApiService::new(Apis::default(), TITLE, VERSION).description(
        "A hospital's organisation and people: departments and units, cadres and \
             designations, staff, accounts and roles, buildings, floors and operating theatres.",
    )
}

/// The OpenAPI document as served at `/openapi.json` and committed as
/// `docs/openapi.json`.
pub fn spec_json() -> String {
    document::enrich(&api_service().spec())
}

/// A small icon in the page itself, so a browser asks for no
/// `/favicon.ico` and its console stays clean.
const FAVICON: &str = r#"<link rel="icon" href="data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E%3Cpath fill='%23c62828' d='M6 1h4v5h5v4h-5v5H6v-5H1V6h5z'/%3E%3C/svg%3E">"#;

/// poem-openapi's Swagger UI page with the served document, a title, the
/// icon, and the authorization kept across reloads (Swagger UI keeps it in
/// the browser's local storage), so a reload does not ask for a new login.
fn docs_page(html: &str, raw: &str, document: &str) -> Vec<u8> {
    html.replacen(raw, document, 1)
        .replacen(
            "<title>Swagger UI</title>",
            &format!("<title>{TITLE} API</title>\n    {FAVICON}"),
            1,
        )
        .replacen(
            "deepLinking: true,",
            "deepLinking: true,\n        persistAuthorization: true,",
            1,
        )
        .into_bytes()
}

/// The whole HTTP service.
pub fn app(state: AppState, options: &HttpOptions) -> impl Endpoint<Output = Response> + use<> {
    let service = api_service();
    let raw = service.spec();
    let document = document::enrich(&raw);
    // Both pages are built once and shared by every response (a clone is
    // a reference count, not a 2 MB copy), at their exact size.
    let docs_html =
        Bytes::from(docs_page(&service.swagger_ui_html(), &raw, &document).into_boxed_slice());
    let allowed = std::sync::Arc::new(problem::AllowedMethods::from_document(&document));
    let document = Bytes::from(document.into_bytes().into_boxed_slice());
    let spec = move |_: poem::Request| {
        let document = document.clone();
        async move {
            Response::builder()
                .content_type("application/json; charset=utf-8")
                .body(document)
        }
    };
    let (body_limit, body_timeout) = (options.body_limit, options.body_timeout);
    let import_limit = options.import_limit;
    let mut cors = Cors::new();
    for origin in &options.cors_origins {
        cors = cors.allow_origin(origin.as_str());
    }
    Route::new()
        .nest("/", service)
        .at("/openapi.json", get(poem::endpoint::make(spec)))
        .at("/fhir", fhir::endpoint())
        .at("/fhir/*path", fhir::endpoint())
        .at(
            "/docs",
            get(poem::endpoint::make_sync(move |_| {
                Response::builder()
                    .content_type("text/html; charset=utf-8")
                    .body(docs_html.clone())
            })),
        )
        .with(cors)
        .around(move |next, req| {
            // A staff file is larger than any JSON body.
            let limit = if req.uri().path() == staff::IMPORT_PATH {
                import_limit
            } else {
                body_limit
            };
            limits::limit_body(next, req, limit, body_timeout)
        })
        .around(responses::check_if_match)
        .data(state)
        // Every error below this point leaves as problem+json.
        .catch_all_error(problem::from_poem_error)
        .around(move |next, req| problem::allow_on_405(next, req, allowed.clone()))
        .with(CatchPanic::new().with_handler(problem::panic_response))
        .around(problem::name_request_in_server_errors)
        .with(Tracing)
        .with(RequestId::default().reuse_id(ReuseId::Ignore))
}
