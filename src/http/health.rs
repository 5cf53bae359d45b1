//! `/healthz` (the process is up) and `/readyz` (the database answers).

use actix_web::{web, HttpResponse};
use diesel::RunQueryDsl;
use serde::Serialize;
use utoipa::ToSchema;

use crate::db;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "health", security(), responses((status = 200, body = Health)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// The database can be reached; 503 `database_unavailable` (with Retry-After) when not, and
/// 503 `{"status": "draining"}` while the process shuts down.
#[utoipa::path(get, path = "/readyz", security(), tag = "health",
    responses((status = 200, body = Health), (status = 503, body = Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return Ok(HttpResponse::ServiceUnavailable()
            .insert_header((actix_web::http::header::RETRY_AFTER, "1"))
            .json(Health { status: "draining" }));
    }
    db::run(&state.pool, |conn| {
        Ok(diesel::sql_query("SELECT 1").execute(conn)?)
    })
    .await?;
    Ok(HttpResponse::Ok().json(Health { status: "ok" }))
}
