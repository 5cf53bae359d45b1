//! Assigning (or reassigning) the courier of an active order: `POST /orders/{id}/courier`.

use actix_web::web;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Json;
use crate::merchants::{self, access, MemberRole};
use crate::state::AppState;

use super::models::{self};
use super::rules::Actor;
use super::views::OrderResponse;

fn active_order_of_member(
    conn: &mut diesel::PgConnection,
    id: &Identity,
    order_id: Uuid,
) -> AppResult<models::Order> {
    let order = models::find_for_update(conn, order_id)?;
    access::require(conn, order.merchant_id, id.user_id, MemberRole::Staff)?;
    order.ensure_active()?;
    Ok(order)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignCourierRequest {
    /// An active worker of the merchant with the `courier` skill.
    pub worker_id: Uuid,
}

/// Assigns (or reassigns) the courier of an active order (any member).
#[utoipa::path(post, path = "/api/v1/orders/{id}/courier", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AssignCourierRequest,
    responses((status = 200, body = OrderResponse), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn assign_courier(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<AssignCourierRequest>,
) -> AppResult<web::Json<OrderResponse>> {
    let order_id = path.into_inner();
    let worker = body.into_inner().worker_id;
    let order = db::tx(&state.pool, move |conn| {
        let current = active_order_of_member(conn, &id, order_id)?;
        if !merchants::is_courier(conn, current.merchant_id, worker)? {
            return Err(AppError::invalid(
                "worker_id",
                "is not an active courier of this merchant",
            ));
        }
        let mut next = current.clone();
        next.courier_id = Some(worker);
        let saved = models::save(conn, &current, &next)?.ok_or_else(|| {
            AppError::Conflict("invalid_transition", "The order changed meanwhile.".into())
        })?;
        crate::history::record(
            conn,
            crate::history::Of::Order,
            crate::history::Change {
                subject_id: order_id,
                from: Some(current.status.as_str()),
                to: saved.status.as_str(),
                action: "assign_courier",
                actor_id: Some(id.user_id),
                actor_role: Actor::Merchant.as_str(),
                reason: None,
                merchant_hears: true,
            },
        )?;
        super::detail(conn, saved, Actor::Merchant)
    })
    .await?;
    Ok(web::Json(order))
}
