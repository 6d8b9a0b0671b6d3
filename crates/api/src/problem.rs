//! RFC 9457 problem details: the body of every 4xx and 5xx answer.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// The `type` URIs of this API's own kinds of problem.
pub const VALIDATION: &str = "urn:hospital-directory:problem:validation";
pub const CONFLICT: &str = "urn:hospital-directory:problem:conflict";
pub const STALE: &str = "urn:hospital-directory:problem:stale-version";
pub const NOT_FOUND: &str = "urn:hospital-directory:problem:not-found";
pub const UNAVAILABLE: &str = "urn:hospital-directory:problem:unavailable";

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, Object)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// One bad cell of an imported file.
#[derive(Debug, Clone, Serialize, Object)]
pub struct CellProblem {
    /// The row as a spreadsheet numbers it: the header is row 1.
    pub row: u32,
    /// The column, by its header name.
    pub column: String,
    pub message: String,
}

/// A problem details document whose `errors` are an imported file's bad
/// cells: every one of them, so that one round of corrections is enough.
#[derive(Debug, Clone, Serialize, Object)]
pub struct ImportProblem {
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    pub errors: Vec<CellProblem>,
}

impl ImportProblem {
    pub fn new(errors: Vec<CellProblem>) -> Self {
        let rows: std::collections::BTreeSet<u32> = errors.iter().map(|e| e.row).collect();
        Self {
            kind: VALIDATION.into(),
            title: "Unprocessable Entity".into(),
            status: 422,
            detail: format!(
                "{} bad cells in {} rows; nothing was imported",
                errors.len(),
                rows.len()
            ),
            errors,
        }
    }
}

/// A problem details document (RFC 9457).
#[derive(Debug, Clone, Serialize, Object)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[oai(rename = "type")]
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Every invalid field, for validation problems.
    #[oai(skip_serializing_if_is_none)]
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldProblem>>,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank".into(),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail: Some(detail.into()),
            errors: None,
        }
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }

    /// The same problem answered with another status (an operation that
    /// answers a kind of failure as another it declares). As a 500 it keeps
    /// nothing of the cause, which goes to the log.
    pub fn restatus(self, status: u16) -> Self {
        let code = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        if code == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::error!(was = self.status, detail = ?self.detail, "answered as a fault of ours");
            return Self::new(code, "The server could not handle this request.");
        }
        let kind = match code {
            StatusCode::CONFLICT => CONFLICT.to_owned(),
            StatusCode::SERVICE_UNAVAILABLE => UNAVAILABLE.to_owned(),
            StatusCode::BAD_REQUEST if self.errors.is_some() => VALIDATION.to_owned(),
            _ => "about:blank".to_owned(),
        };
        Self {
            kind,
            title: code.canonical_reason().unwrap_or("Error").to_owned(),
            status,
            ..self
        }
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self).unwrap_or_default();
        Response::builder()
            .status(self.status())
            .content_type(CONTENT_TYPE)
            .body(body)
    }
}

/// Turns poem's own errors (no route, wrong method, body too large...) into
/// problem documents; a 5xx tells the client nothing of the cause.
pub async fn from_poem_error(error: poem::Error) -> Response {
    let status = error.status();
    let detail = if status.is_server_error() {
        tracing::error!(error = %error, "unhandled error");
        "The server could not handle this request; quote the x-request-id header when reporting it."
            .to_owned()
    } else {
        error.to_string()
    };
    Problem::new(status, detail).into_response()
}

/// A 500 tells the client only which request failed (the log has the
/// cause under the same request id); other statuses pass unchanged.
pub async fn name_request_in_server_errors<E: poem::Endpoint>(
    next: E,
    req: poem::Request,
) -> poem::Result<Response> {
    let request_id = req
        .data::<poem::middleware::ReqId>()
        .map(ToString::to_string)
        .unwrap_or_default();
    let response = next.call(req).await?.into_response();
    if response.status() != StatusCode::INTERNAL_SERVER_ERROR {
        return Ok(response);
    }
    Ok(Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        format!(
            "The server could not handle this request. Quote request id {request_id} when reporting it."
        ),
    )
    .into_response())
}

pub fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    Problem::new(
        StatusCode::INTERNAL_SERVER_ERROR,
        "The server could not handle this request; quote the x-request-id header when reporting it.",
    )
    .into_response()
}

/// The documented methods of each path, to answer a 405 with the `Allow`
/// header RFC 9110 requires (poem's router does not say which methods).
#[derive(Debug, Clone, Default)]
pub struct AllowedMethods {
    routes: Vec<(Vec<String>, String)>,
}

impl AllowedMethods {
    /// Reads the paths and methods of an OpenAPI document.
    pub fn from_document(document: &str) -> Self {
        let Ok(spec) = serde_json::from_str::<serde_json::Value>(document) else {
            return Self::default();
        };
        let routes = spec["paths"]
            .as_object()
            .map(|paths| {
                paths
                    .iter()
                    .map(|(path, item)| {
                        let segments = path.split('/').map(str::to_owned).collect();
                        let methods: Vec<String> = item
                            .as_object()
                            .map(|m| m.keys().map(|k| k.to_uppercase()).collect())
                            .unwrap_or_default();
                        (segments, methods.join(", "))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Self { routes }
    }

    fn allow(&self, path: &str) -> Option<&str> {
        let wanted: Vec<&str> = path.split('/').collect();
        self.routes
            .iter()
            .find(|(segments, _)| {
                segments.len() == wanted.len()
                    && segments
                        .iter()
                        .zip(&wanted)
                        .all(|(s, w)| s.starts_with('{') || s == w)
            })
            .map(|(_, methods)| methods.as_str())
    }
}

/// Adds `Allow` to every 405.
pub async fn allow_on_405<E: poem::Endpoint>(
    next: E,
    req: poem::Request,
    allowed: std::sync::Arc<AllowedMethods>,
) -> poem::Result<Response> {
    let path = req.uri().path().to_owned();
    let mut response = next.call(req).await?.into_response();
    if response.status() == StatusCode::METHOD_NOT_ALLOWED
        && let Some(methods) = allowed.allow(&path)
        && let Ok(value) = poem::http::HeaderValue::from_str(methods)
    {
        response
            .headers_mut()
            .insert(poem::http::header::ALLOW, value);
    }
    Ok(response)
}

/// RFC 9112 section 3.2: an HTTP/1.1 request without exactly one `Host`
/// is answered 400 (hyper serves it otherwise). HTTP/1.0 may leave it out,
/// and HTTP/2 names the host in `:authority`. The server asks this before
/// the request reaches the endpoint.
pub fn missing_host(
    version: poem::http::Version,
    headers: &poem::http::HeaderMap,
) -> Option<Response> {
    if version != poem::http::Version::HTTP_11 {
        return None;
    }
    let detail = match headers.get_all(poem::http::header::HOST).iter().count() {
        1 => return None,
        0 => "an HTTP/1.1 request must name the host in a Host header",
        _ => "an HTTP/1.1 request must have exactly one Host header",
    };
    Some(Problem::new(StatusCode::BAD_REQUEST, detail).into_response())
}
