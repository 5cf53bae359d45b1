//! Merchant credit: a score (0–1000) and tier (A–D) from verified ratings, reliability, upheld
//! reports, penalties and licence validity. Recomputed by a job whenever an input changes; the
//! tier is public and ranks discovery, the breakdown is for the merchant and operators. Owns the
//! `merchant_credit` and `credit_penalties` tables.

pub mod models;
pub mod rules;

pub use models::{failing, tiers_of};

use actix_web::{http::StatusCode, web};
use chrono::{Duration, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::{Identity, PlatformRole};
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::{Endpoint, Json};
use crate::jobs::{self, Outcome};
use crate::merchants::{self, access};
use crate::state::AppState;

use crate::fields::Text;
use rules::Breakdown;

/// The job that recomputes one merchant's score (named in the kernel, which lower features use).
pub const RECOMPUTE: &str = jobs::CREDIT_RECOMPUTE;
/// The hourly job that recomputes the merchants whose penalties just expired.
pub const SWEEP: &str = "credit.sweep";

/// Mounts `/merchants/{id}/credit` and `/admin/merchants/{id}/penalties`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/merchants/{id}/credit").get(get_credit))
        .service(Endpoint::new("/admin/merchants/{id}/penalties").post(add_penalty));
}

/// Computes and stores the score now.
pub fn recompute(conn: &mut PgConnection, merchant_id: Uuid) -> AppResult<Breakdown> {
    let breakdown = rules::score(&models::inputs(conn, merchant_id)?);
    models::store(conn, merchant_id, &breakdown)?;
    Ok(breakdown)
}

/// The job handler.
pub fn run(conn: &mut PgConnection, payload: &serde_json::Value) -> AppResult<Outcome> {
    let merchant_id = payload["merchant_id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| AppError::internal("credit job without a merchant"))?;
    recompute(conn, merchant_id)?;
    Ok(Outcome::Done)
}

/// Asks for the recomputation of every merchant whose penalty expired in the last two hours (the
/// sweep runs hourly, so each expiry is seen at least once); runs again in an hour.
pub fn sweep(conn: &mut PgConnection) -> AppResult<Outcome> {
    for merchant_id in models::penalties_expired_lately(conn)? {
        jobs::merchant_changed(conn, merchant_id)?;
    }
    Ok(Outcome::RunAgainAt(Utc::now() + Duration::hours(1)))
}

/// A merchant's credit: the tier for everyone; the score and breakdown for its members and
/// operators.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreditResponse {
    pub merchant_id: Uuid,
    pub tier: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub score: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub breakdown: Option<Breakdown>,
    pub computed_at: chrono::DateTime<Utc>,
}

#[utoipa::path(get, path = "/api/v1/merchants/{id}/credit", tag = "credit", security((), ("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = CreditResponse), (status = 404, body = Problem)))]
pub async fn get_credit(
    id: Option<Identity>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<CreditResponse>> {
    let merchant_id = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let merchant = merchants::find(conn, merchant_id)?;
        let insider = match id {
            Some(i) if i.role == PlatformRole::Operator => true,
            Some(i) => access::role_of(conn, merchant_id, i.user_id)?.is_some(),
            None => false,
        };
        if merchant.status != "approved" && !insider {
            return Err(AppError::NotFound);
        }
        let (breakdown, computed_at) = match models::stored(conn, merchant_id)? {
            Some((json, at)) => (
                serde_json::from_value::<Breakdown>(json).map_err(AppError::internal)?,
                at,
            ),
            None => (
                rules::score(&models::inputs(conn, merchant_id)?),
                Utc::now(),
            ),
        };
        Ok(CreditResponse {
            merchant_id,
            tier: breakdown.tier.clone(),
            score: insider.then_some(breakdown.score),
            breakdown: insider.then_some(breakdown),
            computed_at,
        })
    })
    .await?;
    Ok(web::Json(response))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PenaltyKind {
    /// Caught buying reviews: 300 points for 180 days unless given otherwise.
    BuyingReviews,
    UpheldComplaint,
    Other,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PenaltyRequest {
    pub kind: PenaltyKind,
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
    /// 1 to 1000.
    #[schema(minimum = 1, maximum = 1000)]
    pub points: Option<i32>,
    /// Until it expires, 1 to 730 days.
    #[schema(minimum = 1, maximum = 730)]
    pub days: Option<i64>,
}

/// An operator sanctions a merchant with penalty points that expire (audit-logged).
#[utoipa::path(post, path = "/api/v1/admin/merchants/{id}/penalties", tag = "admin", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = PenaltyRequest,
    responses((status = 201, body = CreditResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn add_penalty(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<PenaltyRequest>,
) -> AppResult<(web::Json<CreditResponse>, StatusCode)> {
    id.require_operator()?;
    let merchant_id = path.into_inner();
    let req = body.into_inner();
    let reason = crate::fields::text("reason", &req.reason, 2, 500)?;
    let (default_points, default_days) = match req.kind {
        PenaltyKind::BuyingReviews => (300, 180),
        PenaltyKind::UpheldComplaint => (50, 90),
        PenaltyKind::Other => (50, 90),
    };
    let points = req.points.unwrap_or(default_points);
    let days = req.days.unwrap_or(default_days);
    if !(1..=1000).contains(&points) {
        return Err(AppError::invalid("points", "must be 1 to 1000"));
    }
    if !(1..=730).contains(&days) {
        return Err(AppError::invalid("days", "must be 1 to 730"));
    }
    let kind = serde_json::to_value(req.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let response = db::tx(&state.pool, move |conn| {
        merchants::find(conn, merchant_id)?;
        let before = rules::score(&models::inputs(conn, merchant_id)?);
        models::add_penalty(conn, merchant_id, &kind, points, &reason, id.user_id, Utc::now() + Duration::days(days))?;
        let after = recompute(conn, merchant_id)?;
        audit::record(conn, Entry {
            actor_id: Some(id.user_id),
            actor_role: ActorRole::Operator,
            action: &format!("merchant.penalty.{kind}"),
            subject_type: "merchant",
            subject_id: merchant_id,
            before: Some(serde_json::json!({"score": before.score, "tier": before.tier})),
            after: Some(serde_json::json!({"score": after.score, "tier": after.tier, "points": points, "days": days})),
            reason: Some(&reason),
        })?;
        Ok(CreditResponse { merchant_id, tier: after.tier.clone(), score: Some(after.score), breakdown: Some(after), computed_at: Utc::now() })
    })
    .await?;
    Ok((web::Json(response), StatusCode::CREATED))
}
