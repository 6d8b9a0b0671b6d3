//! Operational endpoints for load balancers and orchestrators.

use crate::payload::Json;
use crate::problem::Problem;
use crate::{AppState, reading};
use directory_db::health::{STALE_AFTER, Seen};
use directory_db::migrations;
use poem::web::Data;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

#[derive(Tags)]
enum OpsTags {
    /// Liveness and readiness.
    #[oai(rename = "Health")]
    Ops,
}

#[derive(Default)]
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
    #[oai(
        path = "/healthz",
        method = "get",
        operation_id = "getHealth",
        tag = "OpsTags::Ops"
    )]
    async fn get_health(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// The database is reachable and fully migrated.
    ///
    /// Answered at once from the last look of a thread that asks the
    /// database every second on a connection of its own, never from behind
    /// the requests waiting for it.
    #[oai(
        path = "/readyz",
        method = "get",
        operation_id = "getReadiness",
        tag = "OpsTags::Ops"
    )]
    async fn get_readiness(&self, state: Data<&AppState>) -> ReadyResponse {
        let Some(health) = state.db.health() else {
            return ready_by_asking(&state).await;
        };
        let (seen, age) = health.seen();
        let not_ready = |detail: &str| {
            ReadyResponse::NotReady(Json(Problem::new(
                poem::http::StatusCode::SERVICE_UNAVAILABLE,
                detail,
            )))
        };
        if age.is_some_and(|age| age > STALE_AFTER) {
            return not_ready("the database check has not finished for seconds");
        }
        match seen {
            Seen::Answered { pending: 0 } => ReadyResponse::Ready(Json(Readiness {
                status: "ready".into(),
                database: health.backend().name().into(),
                pending_migrations: 0,
            })),
            Seen::Answered { pending } => {
                not_ready(&format!("{pending} database migrations are not applied"))
            }
            Seen::Unreachable(_) => not_ready("the database is unreachable"),
            Seen::Unknown => not_ready("the database has not been checked yet"),
        }
    }
}

/// Without a health thread (an app built for tests), readiness asks
/// through the queue.
async fn ready_by_asking(state: &AppState) -> ReadyResponse {
    let checked = reading(state, |conn| {
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
