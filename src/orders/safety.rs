//! The order's safety record: staff health checks, `POST /orders/{id}/safety-checks`.

use actix_web::{http::StatusCode, web};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Json;
use crate::merchants::access;
use crate::state::AppState;

use super::models::{self, SafetyCheck};
use super::rules::Actor;
use super::views::OrderResponse;

crate::lifecycle::named_enum! {
    pub enum SafetyRole {
        Preparer = "preparer",
        Packer = "packer",
        Courier = "courier",
    }
}

/// How long before the order was placed a check may have been made (a shift's morning check).
pub const SAFETY_CHECK_LEAD_HOURS: i64 = 12;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetyCheckRequest {
    pub role: SafetyRole,
    /// Body temperature in °C (34 to 43).
    #[schema(minimum = 34, maximum = 43)]
    pub temperature_c: f64,
    pub ok: bool,
    /// Default now; from 12 hours before the order was placed until now.
    pub checked_at: Option<DateTime<Utc>>,
}

/// Records a staff health check on the order's safety card (any member); the consumer sees it.
#[utoipa::path(post, path = "/api/v1/orders/{id}/safety-checks", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = SafetyCheckRequest,
    responses((status = 201, body = OrderResponse), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_safety_check(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<SafetyCheckRequest>,
) -> AppResult<(web::Json<OrderResponse>, StatusCode)> {
    let order_id = path.into_inner();
    let req = body.into_inner();
    if !(34.0..=43.0).contains(&req.temperature_c) {
        return Err(AppError::invalid("temperature_c", "must be 34 to 43"));
    }
    let checked_at = req.checked_at.unwrap_or_else(Utc::now);
    if checked_at > Utc::now() + chrono::Duration::minutes(5) {
        return Err(AppError::invalid("checked_at", "cannot be in the future"));
    }
    let order = db::tx(&state.pool, move |conn| {
        let order = models::find_for_update(conn, order_id)?;
        // The merchant's members, and the courier on the order, keep its safety card.
        let parties = access::parties(
            conn,
            &id,
            order.consumer_id,
            order.merchant_id,
            order.courier_id,
        )?;
        if !(parties.member || parties.worker) {
            return Err(AppError::Forbidden(
                "forbidden",
                "Only the merchant or its courier records health checks.".into(),
            ));
        }
        order.ensure_active()?;
        let earliest = order.created_at - chrono::Duration::hours(SAFETY_CHECK_LEAD_HOURS);
        if checked_at < earliest {
            return Err(AppError::invalid(
                "checked_at",
                format!(
                    "must be at most {SAFETY_CHECK_LEAD_HOURS} hours before the order was placed \
                     (not before {})",
                    earliest.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
                ),
            ));
        }
        let role = req.role.as_str().to_owned();
        models::insert_check(
            conn,
            &SafetyCheck {
                id: Uuid::now_v7(),
                order_id,
                role,
                temperature_c: req.temperature_c,
                ok: req.ok,
                checked_at,
                recorded_by: Some(id.user_id),
            },
        )?;
        super::detail(conn, order, Actor::Merchant)
    })
    .await?;
    Ok((web::Json(order), StatusCode::CREATED))
}
