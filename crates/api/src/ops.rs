//! Operational endpoints for load balancers and orchestrators.

use crate::payload::Json;
use crate::problem::Problem;
use crate::{AppState, reading};
use directory_db::migrations;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

#[derive(Tags)]
enum OpsTags {
    /// Liveness and readiness.
    Ops,
}

pub struct OpsApi;

#[derive(Debug, Object, serde::Serialize)]
pub struct Health {
    /// Always `ok` while the process serves requests.
    pub status: String,
}

#[derive(Debug, Object, serde::Serialize)]
pub struct Readiness {
    /// `ready` when the database answers and every migration is applied.
    pub status: String,
    /// The backend in use: sqlite, postgres or mysql.
    pub database: String,
    pub pending_migrations: u32,
}

#[derive(ApiResponse)]
pub enum ReadyResponse {
    /// The database is reachable and migrated.
    #[oai(status = 200)]
    Ready(Json<Readiness>),
    /// The database is unreachable or has pending migrations.
    #[oai(status = 503, content_type = "application/problem+json")]
    NotReady(Json<Problem>),
}

#[OpenApi]
impl OpsApi {
    /// The process is up.
    #[oai(path = "/healthz", method = "get", tag = "OpsTags::Ops")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// The database is reachable and fully migrated.
    #[oai(path = "/readyz", method = "get", tag = "OpsTags::Ops")]
    async fn readyz(&self, state: Data<&AppState>) -> ReadyResponse {
        let checked = reading(&state, |conn| {
            let pending = migrations::pending_count(conn)?;
            Ok((conn.backend().name(), pending))
        })
        .await;
        match checked {
            Ok((backend, 0)) => ReadyResponse::Ready(Json(Readiness {
                status: "ready".into(),
                database: backend.into(),
                pending_migrations: 0,
            })),
            Ok((_, pending)) => ReadyResponse::NotReady(Json(Problem::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                format!("{pending} database migrations are not applied"),
            ))),
            Err(error) => {
                tracing::warn!(error = %error.0, "readiness check failed");
                ReadyResponse::NotReady(Json(Problem::new(
                    poem::http::StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unreachable",
                )))
            }
        }
    }
}
