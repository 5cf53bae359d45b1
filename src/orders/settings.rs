//! The merchant's ordering settings: `GET|PUT /merchants/{id}/order-settings`.

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::error::{AppResult, FieldError, Problem};
use crate::fields::Fields;
use crate::http::Json;
use crate::merchants;
use crate::state::AppState;

use super::models::{self, Settings};

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
#[utoipa::path(get, path = "/api/v1/merchants/{id}/order-settings", tag = "orders", operation_id = "get_order_settings", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = OrderSettings), (status = 404, body = Problem)))]
pub async fn get_settings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<OrderSettings>> {
    let settings =
        merchants::settings::read(&state.pool, id, path.into_inner(), models::settings).await?;
    Ok(web::Json(settings.into()))
}

/// Replaces the merchant's ordering settings (owner or manager).
#[utoipa::path(put, path = "/api/v1/merchants/{id}/order-settings", tag = "orders", operation_id = "put_order_settings", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = OrderSettings,
    responses((status = 200, body = OrderSettings), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn put_settings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<OrderSettings>,
) -> AppResult<web::Json<OrderSettings>> {
    let merchant_id = path.into_inner();
    let settings = body.into_inner().parse(merchant_id)?;
    let saved = merchants::settings::replace(
        &state.pool,
        id,
        merchant_id,
        settings,
        models::save_settings,
    )
    .await?;
    Ok(web::Json(saved.into()))
}
