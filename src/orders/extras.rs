//! Around an order: assigning a courier, the safety record, operator refunds, and the merchant's
//! ordering settings.

use actix_web::{http::StatusCode, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::fields::Fields;
use crate::http::Json;
use crate::merchants::{self, access, MemberRole};
use crate::state::AppState;

use super::models::{self, SafetyCheck, Settings};
use super::rules::Actor;
use super::views::{OrderResponse, RefundResponse};
use crate::fields::Text;

fn active_order_of_member(
    conn: &mut diesel::PgConnection,
    id: &Identity,
    order_id: Uuid,
) -> AppResult<models::Order> {
    let order = models::find_for_update(conn, order_id)?;
    access::require(conn, order.merchant_id, id.user_id, MemberRole::Staff)?;
    ensure_active(&order)?;
    Ok(order)
}

fn ensure_active(order: &models::Order) -> AppResult<()> {
    if !order.status.is_active() {
        return Err(AppError::Conflict(
            "invalid_transition",
            format!("The order is {}.", order.status),
        ));
    }
    Ok(())
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
            },
        )?;
        super::detail(conn, saved, Actor::Merchant)
    })
    .await?;
    Ok(web::Json(order))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SafetyRole {
    Preparer,
    Packer,
    Courier,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SafetyCheckRequest {
    pub role: SafetyRole,
    /// Body temperature in °C (34 to 43).
    #[schema(minimum = 34, maximum = 43)]
    pub temperature_c: f64,
    pub ok: bool,
    /// Default now.
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
        ensure_active(&order)?;
        let role = serde_json::to_value(req.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
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
#[utoipa::path(post, path = "/api/v1/orders/{id}/refunds", tag = "orders", security(("bearer" = [])),
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
    f.finish()
        .map_err(|e| AppError::Validation("validation_failed", e))?;
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

/// A merchant's ordering rules.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderSettings {
    #[schema(minimum = 0, maximum = 10000000)]
    pub min_order_cents: i64,
    #[schema(minimum = 0, maximum = 10000000)]
    pub packaging_fee_cents: i64,
    #[schema(minimum = 0, maximum = 10000000)]
    pub delivery_fee_cents: i64,
    /// An order not accepted within this many minutes is cancelled (1..=1440).
    #[schema(minimum = 1, maximum = 1440)]
    pub accept_within_minutes: i32,
    /// Preparation time used for the promised delivery time (0..=1440).
    #[schema(minimum = 0, maximum = 1440)]
    pub prep_minutes: i32,
    /// A delivered order completes by itself after this many hours (1..=720).
    #[schema(minimum = 1, maximum = 720)]
    pub auto_complete_hours: i32,
    /// `[[minutes late, compensation in fen], ...]`, ascending.
    #[schema(value_type = Vec<Vec<i64>>, example = json!([[10, 300], [20, 600], [40, 1000]]))]
    pub late_tiers: Vec<(i64, i64)>,
    /// Compensation is capped at this share of the total (0..=100).
    #[schema(minimum = 0, maximum = 100)]
    pub late_cap_percent: i32,
}

impl OrderSettings {
    fn parse(self, merchant_id: Uuid) -> Result<Settings, Vec<FieldError>> {
        let mut f = Fields::default();
        for (name, v) in [
            ("min_order_cents", self.min_order_cents),
            ("packaging_fee_cents", self.packaging_fee_cents),
            ("delivery_fee_cents", self.delivery_fee_cents),
        ] {
            if !(0..=10_000_000).contains(&v) {
                f.check::<()>(Err(FieldError::new(name, "must be 0 to 10000000")));
            }
        }
        for (name, v, lo, hi) in [
            ("accept_within_minutes", self.accept_within_minutes, 1, 1440),
            ("prep_minutes", self.prep_minutes, 0, 1440),
            ("auto_complete_hours", self.auto_complete_hours, 1, 720),
            ("late_cap_percent", self.late_cap_percent, 0, 100),
        ] {
            if !(lo..=hi).contains(&v) {
                f.check::<()>(Err(FieldError::new(name, format!("must be {lo} to {hi}"))));
            }
        }
        let ascending = self.late_tiers.windows(2).all(|w| w[0].0 < w[1].0);
        if self.late_tiers.len() > 10
            || !ascending
            || self.late_tiers.iter().any(|(m, c)| *m <= 0 || *c < 0)
        {
            f.check::<()>(Err(FieldError::new(
                "late_tiers",
                "up to 10 [minutes, fen] pairs, minutes ascending and positive",
            )));
        }
        f.finish()?;
        Ok(Settings {
            merchant_id,
            min_order_cents: self.min_order_cents,
            packaging_fee_cents: self.packaging_fee_cents,
            delivery_fee_cents: self.delivery_fee_cents,
            accept_within_minutes: self.accept_within_minutes,
            prep_minutes: self.prep_minutes,
            auto_complete_hours: self.auto_complete_hours,
            late_tiers: serde_json::json!(self.late_tiers),
            late_cap_percent: self.late_cap_percent,
        })
    }
}

impl From<Settings> for OrderSettings {
    fn from(s: Settings) -> Self {
        Self {
            late_tiers: s.tiers(),
            min_order_cents: s.min_order_cents,
            packaging_fee_cents: s.packaging_fee_cents,
            delivery_fee_cents: s.delivery_fee_cents,
            accept_within_minutes: s.accept_within_minutes,
            prep_minutes: s.prep_minutes,
            auto_complete_hours: s.auto_complete_hours,
            late_cap_percent: s.late_cap_percent,
        }
    }
}

/// The merchant's ordering settings (any member).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/order-settings", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = OrderSettings), (status = 404, body = Problem)))]
pub async fn get_settings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<OrderSettings>> {
    let merchant_id = path.into_inner();
    let s = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        Ok(models::settings(conn, merchant_id)?)
    })
    .await?;
    Ok(web::Json(s.into()))
}

/// Replaces the merchant's ordering settings (owner or manager).
#[utoipa::path(put, path = "/api/v1/merchants/{id}/order-settings", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = OrderSettings,
    responses((status = 200, body = OrderSettings), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<OrderSettings>,
) -> AppResult<web::Json<OrderSettings>> {
    let merchant_id = path.into_inner();
    let settings = body
        .into_inner()
        .parse(merchant_id)
        .map_err(|e| AppError::Validation("validation_failed", e))?;
    let saved = db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        Ok(models::save_settings(conn, &settings)?)
    })
    .await?;
    Ok(web::Json(saved.into()))
}
