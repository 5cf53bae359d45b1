//! Operators reading a person's details: every read is written to the audit log.

use actix_web::web;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::state::AppState;

use super::UserResponse;

/// A user's personal details (operators only; the read is audited).
#[utoipa::path(get, path = "/api/v1/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = UserResponse), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn read_user(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<UserResponse>> {
    id.require_operator()?;
    let user_id = path.into_inner();
    let user = db::tx(&state.pool, move |conn| {
        let user = super::find(conn, user_id)?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Operator,
                action: "user.read_personal_data",
                subject_type: "user",
                subject_id: user_id,
                before: None,
                after: None,
                reason: None,
            },
        )?;
        Ok(user)
    })
    .await?;
    Ok(web::Json(user.into()))
}
