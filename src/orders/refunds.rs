//! Operators' refunds of an order: `POST /orders/{id}/refunds`, audited.

use actix_web::{http::StatusCode, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, FieldError, Problem};
use crate::fields::{Fields, Text};
use crate::http::Json;
use crate::state::AppState;

use super::models::{self};
use super::views::RefundResponse;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount_cents: i64,
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
}

/// An operator's refund decision. Refunds of an order never add up to more than its total
/// (409 `refund_exceeds_total`); each decision is in the audit log.
#[utoipa::path(post, path = "/api/v1/orders/{id}/refunds", tag = "orders", operation_id = "refund_order", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = RefundRequest,
    responses((status = 201, body = RefundResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "refund_exceeds_total"), (status = 422, body = Problem)))]
pub async fn refund(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<RefundRequest>,
) -> AppResult<(web::Json<RefundResponse>, StatusCode)> {
    id.require_operator()?;
    let order_id = path.into_inner();
    let req = body.into_inner();
    let mut f = Fields::default();
    if !(1..=100_000_000).contains(&req.amount_cents) {
        f.check::<()>(Err(FieldError::new(
            "amount_cents",
            "must be 1 to 100000000",
        )));
    }
    let reason = f.check(crate::fields::text("reason", &req.reason, 2, 500));
    f.finish()?;
    let reason = reason.unwrap_or_default();
    let refund = db::tx(&state.pool, move |conn| {
        let before = models::find_for_update(conn, order_id)?;
        let refund = models::refund(
            conn,
            order_id,
            req.amount_cents,
            "operator",
            &reason,
            Some(id.user_id),
        )?;
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Operator,
                action: "order.refund",
                subject_type: "order",
                subject_id: order_id,
                before: Some(serde_json::json!({"refunded_cents": before.refunded_cents})),
                after: Some(
                    serde_json::json!({"refunded_cents": before.refunded_cents + req.amount_cents}),
                ),
                reason: Some(&reason),
            },
        )?;
        Ok(refund)
    })
    .await?;
    Ok((web::Json(refund.into()), StatusCode::CREATED))
}
