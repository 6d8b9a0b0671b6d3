//! RFC 9457 problem details: the body of every 4xx and 5xx answer.

use poem::http::StatusCode;
use poem::{IntoResponse, Response};
use poem_openapi::Object;
use serde::Serialize;

pub const CONTENT_TYPE: &str = "application/problem+json";

/// One field that failed validation.
#[derive(Debug, Clone, Serialize, Object)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
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
