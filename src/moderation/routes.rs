//! Operator views of the moderation feature: the audit log.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::Query;
use crate::http::{Page, PageParams};
use crate::state::AppState;

use crate::audit::{self, AuditEntry, Filter};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// `merchant`, `review`, ...
    pub subject_type: Option<String>,
    pub subject_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The audit log, newest first (operators only).
#[utoipa::path(get, path = "/api/v1/admin/audit-log", tag = "moderation", security(("bearer" = [])),
    params(AuditQuery),
    responses((status = 200, body = Page<AuditEntry>), (status = 401, body = Problem), (status = 403, body = Problem)))]
pub async fn list_audit_log(
    id: Identity,
    state: web::Data<AppState>,
    query: Query<AuditQuery>,
) -> AppResult<web::Json<Page<AuditEntry>>> {
    id.require_operator()?;
    let query = query.into_inner();
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor::<(DateTime<Utc>, Uuid)>()?;
    let filter = Filter {
        subject_type: query.subject_type,
        subject_id: query.subject_id,
        actor_id: query.actor_id,
    };
    let rows = db::run(&state.pool, move |conn| {
        Ok(audit::list(conn, &filter, after, limit + 1)?)
    })
    .await?;
    Ok(web::Json(Page::from_rows(rows, limit, |e| (e.at, e.id))))
}
