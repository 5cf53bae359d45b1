//! Operators' refunds of an order: `POST /orders/{id}/refunds`, audited; and the order as a
//! purchase with its after-sales refunds, for the after-sales requests above.

use actix_web::{http::StatusCode, web};
use diesel::prelude::*;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, FieldError, Problem};
use crate::fields::{Fields, Text};
use crate::http::Json;
use crate::ledger::Funding;
use crate::lifecycle::Purchase;
use crate::state::AppState;

use super::models::{self, Refund};
use super::rules::OrderStatus;
use super::views::RefundResponse;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefundRequest {
    #[schema(minimum = 1, maximum = 100000000)]
    pub amount_cents: i64,
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
    /// Who pays it: `merchant` (the default: out of the order's money) or `platform` (goodwill
    /// or compensation the platform funds; the merchant keeps its earnings).
    #[serde(default)]
    pub funded_by: FundedBy,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FundedBy {
    #[default]
    Merchant,
    Platform,
}

/// An operator's refund decision, paid by the merchant (the default) or by the platform.
/// Refunds of an order never add up to more than its total (409 `refund_exceeds_total`); each
/// decision is in the audit log.
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
        let (funding, funded_by) = match req.funded_by {
            FundedBy::Merchant => (Funding::Merchant, "merchant"),
            FundedBy::Platform => (Funding::Platform, "platform"),
        };
        let refund = models::refund_funded(
            conn,
            order_id,
            req.amount_cents,
            "operator",
            &reason,
            Some(id.user_id),
            funding,
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
                after: Some(serde_json::json!({
                    "refunded_cents": before.refunded_cents + req.amount_cents,
                    "funded_by": funded_by,
                })),
                reason: Some(&reason),
            },
        )?;
        Ok(refund)
    })
    .await?;
    Ok((web::Json(refund.into()), StatusCode::CREATED))
}

/// The order as a purchase, locked until the caller's transaction ends (`None`: no such
/// order): its total is what was paid.
pub fn purchase(conn: &mut PgConnection, order_id: Uuid) -> AppResult<Option<Purchase>> {
    let Some(order) = models::find_for_update(conn, order_id).optional()? else {
        return Ok(None);
    };
    let completed_at = match order.status {
        OrderStatus::Completed => crate::history::reached_at(
            conn,
            crate::history::Of::Order,
            order_id,
            OrderStatus::Completed.as_str(),
        )?,
        _ => None,
    };
    Ok(Some(Purchase {
        consumer_id: order.consumer_id,
        merchant_id: order.merchant_id,
        completed_at,
        paid_cents: order.total_cents,
        refunded_cents: order.refunded_cents,
    }))
}

/// Refunds an agreed or decided after-sales request, in the caller's transaction: the same
/// refund the operators make, capped at the order's total (409 `refund_exceeds_total`).
pub fn after_sales_refund(
    conn: &mut PgConnection,
    order_id: Uuid,
    amount_cents: i64,
    reason: &str,
    by: Option<Uuid>,
) -> AppResult<Refund> {
    models::refund(conn, order_id, amount_cents, "after_sales", reason, by)
}
