//! The one place errors become HTTP statuses and problem documents.
//!
//! Every failure becomes an [`ApiError`], one variant per status, through
//! total conversions (`match` without a catch-all: a new kind of database or
//! request error does not compile until it has a status). Reads answer with
//! the narrower [`ReadError`], which has no conflict or stale variant. Each
//! operation's response enum then takes one of the two through
//! `responses::answers!`, which must place every variant in a status the
//! operation declares, so a status an operation can produce and does not
//! document is a compile error, never a run-time 500.
//!
//! What reaches a read handler is a [`ReadFailure`] and what reaches a
//! write handler a [`WriteFailure`] (from `reading` and `writing`); only
//! the first converts into a [`ReadError`], so a handler that writes cannot
//! answer with a read's response enum:
//!
//! ```compile_fail
//! use directory_api::error::{ReadError, WriteFailure};
//! fn answer_a_write_as_a_read(failure: WriteFailure) -> ReadError {
//!     failure.into()
//! }
//! ```

use crate::problem::{CONFLICT, FieldProblem, NOT_FOUND, Problem, STALE, UNAVAILABLE, VALIDATION};
use directory_db::DbError;
use directory_domain::Permission;
use directory_domain::{DomainError, FieldError};
use poem::http::StatusCode;

/// Seconds a client is asked to wait (`Retry-After`) after a 503: the
/// database was busy, unreachable, or a transaction kept losing a race.
pub const RETRY_AFTER_SECS: u32 = 1;

/// Every way a request can fail, one variant per status.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400: wrong whatever the data (shape, types, lengths, formats).
    BadRequest(Problem),
    /// 401: no valid bearer token.
    Unauthorized(Problem),
    /// 403: the token's roles do not grant the permission.
    Forbidden(Problem),
    /// 404: no such resource.
    NotFound(Problem),
    /// 409: well-formed, but does not fit the stored data.
    Conflict(Problem),
    /// 412: If-Match names a version that is no longer current.
    PreconditionFailed(Problem),
    /// 415: the body is not JSON.
    UnsupportedMediaType(Problem),
    /// 503: the database is busy or unreachable; try again shortly.
    Unavailable(Problem),
    /// 500: a fault of ours; the body names only the request.
    Internal(Problem),
}

/// The failures of a read: no conflict, no stale version, no body.
#[derive(Debug, Clone)]
pub enum ReadError {
    BadRequest(Problem),
    Unauthorized(Problem),
    Forbidden(Problem),
    NotFound(Problem),
    Unavailable(Problem),
    Internal(Problem),
}

/// A database error from a read (`reading`).
#[derive(Debug)]
pub struct ReadFailure(pub DbError);

/// A database error from a write (`writing`).
#[derive(Debug)]
pub struct WriteFailure(pub DbError);

impl ApiError {
    pub fn problem(&self) -> &Problem {
        match self {
            Self::BadRequest(p)
            | Self::Unauthorized(p)
            | Self::Forbidden(p)
            | Self::NotFound(p)
            | Self::Conflict(p)
            | Self::PreconditionFailed(p)
            | Self::UnsupportedMediaType(p)
            | Self::Unavailable(p)
            | Self::Internal(p) => p,
        }
    }

    pub fn status(&self) -> StatusCode {
        self.problem().status()
    }

    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self::BadRequest(Problem {
            kind: VALIDATION.into(),
            title: "Invalid request".into(),
            status: 400,
            detail: Some(detail),
            errors: Some(errors),
        })
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Self::validation(vec![FieldProblem {
            field: field.into(),
            message: message.into(),
        }])
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        let mut problem = Problem::new(StatusCode::NOT_FOUND, detail);
        problem.kind = NOT_FOUND.into();
        Self::NotFound(problem)
    }

    pub fn conflict(detail: impl Into<String>, errors: Option<Vec<FieldProblem>>) -> Self {
        Self::Conflict(Problem {
            kind: CONFLICT.into(),
            title: "Conflict".into(),
            status: 409,
            detail: Some(detail.into()),
            errors,
        })
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::Unauthorized(Problem::new(StatusCode::UNAUTHORIZED, detail))
    }

    pub fn unavailable(detail: impl Into<String>) -> Self {
        let mut problem = Problem::new(StatusCode::SERVICE_UNAVAILABLE, detail);
        problem.kind = UNAVAILABLE.into();
        Self::Unavailable(problem)
    }

    pub fn internal() -> Self {
        Self::Internal(Problem::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "The server could not handle this request.",
        ))
    }
}

fn field_problems(errors: &[FieldError]) -> Vec<FieldProblem> {
    errors
        .iter()
        .map(|e| FieldProblem {
            field: e.field.clone(),
            message: e.message.clone(),
        })
        .collect()
}

impl From<DomainError> for ApiError {
    fn from(error: DomainError) -> Self {
        Self::validation(field_problems(error.errors()))
    }
}

impl From<DbError> for ApiError {
    /// The one mapping of database errors to statuses.
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound { .. } => Self::not_found(error.to_string()),
            DbError::Conflict { field, message } => Self::conflict(
                message.clone(),
                field.map(|field| vec![FieldProblem { field, message }]),
            ),
            DbError::Stale { .. } => {
                let mut problem = Problem::new(StatusCode::PRECONDITION_FAILED, error.to_string());
                problem.kind = STALE.into();
                Self::PreconditionFailed(problem)
            }
            // A well-formed request that does not fit the stored data (a
            // missing referenced row, a unit of another department, a
            // supervision cycle): a conflict, not a malformed request.
            DbError::Invalid(domain) => {
                let errors = field_problems(domain.errors());
                let detail = errors
                    .iter()
                    .map(|e| format!("{}: {}", e.field, e.message))
                    .collect::<Vec<_>>()
                    .join("; ");
                Self::conflict(detail, Some(errors))
            }
            // Kept losing a race even after running again: a moment later
            // it will most likely succeed.
            DbError::Transient(cause) => {
                tracing::warn!(%cause, "transaction kept losing a race");
                Self::unavailable("concurrent changes got in the way; try again shortly")
            }
            DbError::Busy => {
                tracing::debug!("work could not start in time");
                Self::unavailable("the server is busy; try again shortly")
            }
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self::unavailable("the database is unavailable; try again shortly")
            }
            DbError::Config(cause) | DbError::Internal(cause) => {
                tracing::error!(%cause, "database error");
                Self::internal()
            }
        }
    }
}

impl From<directory_auth::passwords::HashError> for ApiError {
    /// A password could not be hashed: logged, and a plain 500.
    fn from(error: directory_auth::passwords::HashError) -> Self {
        tracing::error!(%error, "password hashing");
        Self::internal()
    }
}

impl From<WriteFailure> for ApiError {
    fn from(WriteFailure(error): WriteFailure) -> Self {
        Self::from(error)
    }
}

impl From<ReadFailure> for ApiError {
    fn from(ReadFailure(error): ReadFailure) -> Self {
        Self::from(error)
    }
}

impl From<ReadError> for ApiError {
    fn from(error: ReadError) -> Self {
        match error {
            ReadError::BadRequest(p) => Self::BadRequest(p),
            ReadError::Unauthorized(p) => Self::Unauthorized(p),
            ReadError::Forbidden(p) => Self::Forbidden(p),
            ReadError::NotFound(p) => Self::NotFound(p),
            ReadError::Unavailable(p) => Self::Unavailable(p),
            ReadError::Internal(p) => Self::Internal(p),
        }
    }
}

impl From<DomainError> for ReadError {
    fn from(error: DomainError) -> Self {
        Self::narrow(ApiError::from(error))
    }
}

impl From<ReadFailure> for ReadError {
    fn from(ReadFailure(error): ReadFailure) -> Self {
        Self::narrow(ApiError::from(error))
    }
}

impl ReadError {
    /// The read's view of an error. A query that only reads cannot
    /// conflict, go stale or carry a body, so those arrive here only from a
    /// fault of ours: logged, and a 500.
    pub fn narrow(error: ApiError) -> Self {
        match error {
            ApiError::BadRequest(p) => Self::BadRequest(p),
            ApiError::Unauthorized(p) => Self::Unauthorized(p),
            ApiError::Forbidden(p) => Self::Forbidden(p),
            ApiError::NotFound(p) => Self::NotFound(p),
            ApiError::Unavailable(p) => Self::Unavailable(p),
            ApiError::Internal(p) => Self::Internal(p),
            ApiError::Conflict(p)
            | ApiError::PreconditionFailed(p)
            | ApiError::UnsupportedMediaType(p) => {
                tracing::error!(status = p.status, detail = ?p.detail, "a read failed as only a write can");
                Self::Internal(ApiError::internal().problem().clone())
            }
        }
    }
}

/// Best-effort field name from poem-openapi's parse messages, which name
/// the field in backticks ("unknown field `id`", "field `name` ...").
fn field_of(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned())
}

/// Turns poem-openapi's own request errors (malformed JSON, wrong types,
/// missing or unknown fields, bad parameters, wrong content type, a refused
/// token) into a problem document.
pub fn from_request_error(error: &poem::Error) -> ApiError {
    if let Some(body) = error.downcast_ref::<crate::body::BodyErrors>() {
        return ApiError::validation(body.0.clone());
    }
    if let Some(failure) = error.downcast_ref::<AuthFailure>() {
        return failure.to_api_error();
    }
    let status = error.status();
    if status == StatusCode::UNAUTHORIZED {
        return ApiError::unauthorized(AuthFailure::Unauthenticated.to_string());
    }
    let message = error.to_string();
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return ApiError::UnsupportedMediaType(Problem::new(
            status,
            "the request body must be application/json",
        ));
    }
    if status.is_server_error() {
        tracing::error!(%message, "request handling failed");
        return ApiError::internal();
    }
    // poem-openapi names path parameters by position (`param0`), which
    // means nothing to a client.
    if message.contains("path `param") {
        return ApiError::field("path", "a path parameter is not a valid id");
    }
    if let Some(param) = error.downcast_ref::<poem_openapi::error::ParseParamError>()
        && param.name == "offset"
        && param.reason.contains("maximum")
    {
        return ApiError::field(
            "offset",
            "must be at most 100000: a deeper offset costs more the deeper it is. Page on \
             with `after` set to the last id of the page before (the staff list), which costs \
             the same at any depth, or narrow the list with a filter",
        );
    }
    let field = if let Some(rest) = message.strip_prefix("failed to parse parameter `") {
        rest.split('`').next().map(str::to_owned)
    } else {
        field_of(&message)
    };
    let readable = message
        .replace("parse request payload error: ", "")
        .replace("failed to parse ", "");
    let field = field.unwrap_or_else(|| "body".into());
    let detail = if message.contains("unknown field") {
        format!("`{field}` is not a field of this request (read-only or unknown)")
    } else {
        readable
    };
    ApiError::validation(vec![FieldProblem {
        field,
        message: detail,
    }])
}

/// Why a request was not allowed; the api's error mapping turns it into
/// 401, 403, or (the token could not be checked) the database's own answer.
#[derive(Debug, thiserror::Error)]
pub enum AuthFailure {
    #[error("a valid bearer token is required: log in with POST /api/v1/auth/login")]
    Unauthenticated,
    #[error("this needs the {0} permission")]
    Forbidden(Permission),
    /// The database could not check the token (busy, unreachable, or a
    /// fault): answered as that failure is everywhere else.
    #[error("the token could not be checked")]
    Unchecked(ApiError),
}

impl AuthFailure {
    pub fn status(&self) -> StatusCode {
        match self {
            Self::Unauthenticated => StatusCode::UNAUTHORIZED,
            Self::Forbidden(_) => StatusCode::FORBIDDEN,
            Self::Unchecked(error) => error.status(),
        }
    }

    pub fn to_api_error(&self) -> ApiError {
        match self {
            Self::Unauthenticated => ApiError::unauthorized(self.to_string()),
            Self::Forbidden(_) => {
                ApiError::Forbidden(Problem::new(StatusCode::FORBIDDEN, self.to_string()))
            }
            Self::Unchecked(error) => error.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_found_in_parse_messages() {
        assert_eq!(
            field_of("failed to parse \"X\": unknown field `id`.").as_deref(),
            Some("id")
        );
        assert_eq!(field_of("nothing here"), None);
    }

    #[test]
    fn database_errors_map_to_statuses() {
        let cases = [
            (DbError::not_found("unit", 3), 404),
            (DbError::taken("name", "X"), 409),
            (DbError::blocked("department 1 still has 2 units"), 409),
            (
                DbError::Stale {
                    entity: "unit",
                    id: "1".into(),
                    current: 2,
                },
                412,
            ),
            (DbError::Unavailable("down".into()), 503),
            (DbError::Transient("deadlock".into()), 503),
            (DbError::Busy, 503),
            (DbError::Internal("secret detail".into()), 500),
        ];
        for (error, status) in cases {
            let api = ApiError::from(error);
            assert_eq!(api.status().as_u16(), status);
            assert!(
                !api.problem()
                    .detail
                    .clone()
                    .unwrap_or_default()
                    .contains("secret")
            );
        }
    }

    #[test]
    fn a_read_that_fails_as_a_write_would_is_our_fault() {
        let read = ReadError::from(ReadFailure(DbError::taken("name", "X")));
        assert!(matches!(read, ReadError::Internal(_)), "{read:?}");
        let read = ReadError::from(ReadFailure(DbError::not_found("unit", 3)));
        assert!(matches!(read, ReadError::NotFound(_)), "{read:?}");
    }
}
