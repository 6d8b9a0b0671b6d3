//! The one place errors become HTTP statuses and problem documents.
//!
//! Handlers work with [`ApiError`]; it comes from the domain's validation
//! errors, the db crate's errors and poem-openapi's own parse errors, and
//! each per-operation response enum turns it into its matching variant.

use crate::problem::{FieldProblem, Problem};
use directory_db::DbError;
use directory_domain::{DomainError, FieldError};
use poem::http::StatusCode;

pub const VALIDATION: &str = "urn:hospital-directory:problem:validation";
pub const CONFLICT: &str = "urn:hospital-directory:problem:conflict";
pub const STALE: &str = "urn:hospital-directory:problem:stale-version";
pub const NOT_FOUND: &str = "urn:hospital-directory:problem:not-found";

#[derive(Debug, Clone)]
pub struct ApiError(pub Problem);

impl ApiError {
    pub fn status(&self) -> StatusCode {
        self.0.status()
    }

    pub fn validation(errors: Vec<FieldProblem>) -> Self {
        let detail = errors
            .iter()
            .map(|e| format!("{}: {}", e.field, e.message))
            .collect::<Vec<_>>()
            .join("; ");
        Self(Problem {
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
        Self(problem)
    }

    pub fn internal() -> Self {
        Self(Problem::new(
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
    fn from(error: DbError) -> Self {
        match error {
            DbError::NotFound { .. } => Self::not_found(error.to_string()),
            DbError::Conflict { field, message } => Self(Problem {
                kind: CONFLICT.into(),
                title: "Conflict".into(),
                status: 409,
                errors: field.map(|field| {
                    vec![FieldProblem {
                        field,
                        message: message.clone(),
                    }]
                }),
                detail: Some(message),
            }),
            DbError::Transient(cause) => {
                tracing::warn!(%cause, "transaction kept losing a race");
                Self(Problem {
                    kind: CONFLICT.into(),
                    title: "Conflict".into(),
                    status: 409,
                    detail: Some("a concurrent change got in the way; try again".into()),
                    errors: None,
                })
            }
            DbError::Stale { .. } => {
                let mut problem = Problem::new(StatusCode::PRECONDITION_FAILED, error.to_string());
                problem.kind = STALE.into();
                Self(problem)
            }
            // A well-formed request that does not fit the stored data (a
            // missing referenced row, a unit of another department, a
            // supervision cycle): a conflict, not a malformed request.
            DbError::Invalid(domain) => {
                let mut problem = ApiError::from(domain).0;
                problem.kind = CONFLICT.into();
                problem.title = "Conflict".into();
                problem.status = 409;
                Self(problem)
            }
            DbError::Unavailable(cause) => {
                tracing::warn!(%cause, "database unavailable");
                Self(Problem::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "The database is unavailable; try again shortly.",
                ))
            }
            DbError::Config(cause) | DbError::Internal(cause) => {
                tracing::error!(%cause, "database error");
                Self::internal()
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
/// missing or unknown fields, bad parameters, wrong content type) into a
/// problem document.
pub fn from_request_error(error: &poem::Error) -> ApiError {
    if let Some(body) = error.downcast_ref::<crate::body::BodyErrors>() {
        return ApiError::validation(body.0.clone());
    }
    if let Some(failure) = error.downcast_ref::<crate::auth::AuthFailure>() {
        return ApiError(Problem::new(failure.status(), failure.to_string()));
    }
    let status = error.status();
    if status == StatusCode::UNAUTHORIZED {
        return ApiError(Problem::new(
            status,
            crate::auth::AuthFailure::Unauthenticated.to_string(),
        ));
    }
    let message = error.to_string();
    if status == StatusCode::UNSUPPORTED_MEDIA_TYPE {
        return ApiError(Problem::new(
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
            (DbError::Internal("secret detail".into()), 500),
        ];
        for (error, status) in cases {
            let api = ApiError::from(error);
            assert_eq!(api.0.status, status);
            if status == 500 {
                assert!(!api.0.detail.unwrap_or_default().contains("secret"));
            }
        }
    }
}
