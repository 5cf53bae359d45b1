//! What others do with a review: the merchant's reply, reports, helpful votes.

use actix_web::{http::StatusCode, web};
use chrono::Utc;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::fields::text;
use crate::http::Json;
use crate::merchants::{access, MemberRole};
use crate::state::AppState;

use super::models;
use super::routes::author_name;
use super::views::{ReplyResponse, ReviewResponse};
use crate::fields::Text;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyRequest {
    #[schema(schema_with = Text::<1, 1000>::schema)]
    pub body: String,
}

/// The merchant's reply (owner or manager), one per review, editable.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/reply", tag = "reviews", operation_id = "reply_to_review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReplyRequest,
    responses((status = 200, body = ReviewResponse), (status = 403, body = Problem), (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn reply(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<ReplyRequest>,
) -> AppResult<web::Json<ReviewResponse>> {
    let review_id = path.into_inner();
    let reply = text("body", &body.into_inner().body, 1, 1000)?;
    let review = db::tx(&state.pool, move |conn| {
        let review = models::find(conn, review_id)?;
        access::require(conn, review.merchant_id, id.user_id, MemberRole::Manager)?;
        if !matches!(review.status.as_str(), "published" | "hidden") {
            return Err(AppError::NotFound);
        }
        models::upsert_reply(conn, review_id, id.user_id, &reply)?;
        let name = author_name(conn, review.author_id)?;
        Ok(ReviewResponse::new(
            review,
            &name,
            Some(ReplyResponse {
                body: reply,
                updated_at: Utc::now(),
            }),
        ))
    })
    .await?;
    Ok(web::Json(review))
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReportReason {
    Spam,
    Fake,
    Offensive,
    Privacy,
    Irrelevant,
    Extortion,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportRequest {
    pub reason: ReportReason,
    #[schema(schema_with = Text::<1, 500>::nullable)]
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Acknowledged {
    #[schema(example = "received")]
    pub status: &'static str,
}

/// Reports a review once. It goes to the moderation queue; it is not hidden for being reported.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/reports", tag = "reviews", operation_id = "report_review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReportRequest,
    responses((status = 201, body = Acknowledged), (status = 404, body = Problem), (status = 409, body = Problem, description = "already_reported")))]
pub async fn report(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<ReportRequest>,
) -> AppResult<(web::Json<Acknowledged>, StatusCode)> {
    let review_id = path.into_inner();
    let req = body.into_inner();
    let note = req.note.map(|n| text("note", &n, 1, 500)).transpose()?;
    let reason = serde_json::to_value(req.reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    db::tx(&state.pool, move |conn| {
        let review = models::find(conn, review_id)?;
        if !matches!(review.status.as_str(), "published" | "hidden") {
            return Err(AppError::NotFound);
        }
        if !models::report(conn, review_id, id.user_id, &reason, note.as_deref())? {
            return Err(AppError::Conflict(
                codes::ALREADY_REPORTED,
                "You already reported this review.".into(),
            ));
        }
        Ok(())
    })
    .await?;
    Ok((
        web::Json(Acknowledged { status: "received" }),
        StatusCode::CREATED,
    ))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HelpfulResponse {
    pub helpful_count: i32,
}

/// Marks a review helpful (once per person).
#[utoipa::path(post, path = "/api/v1/reviews/{id}/helpful", tag = "reviews", operation_id = "mark_review_helpful", security(("bearer" = [])),
    params(("id" = Uuid, Path)), responses((status = 200, body = HelpfulResponse), (status = 404, body = Problem)))]
pub async fn helpful(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<HelpfulResponse>> {
    let review_id = path.into_inner();
    let count = db::tx(&state.pool, move |conn| {
        let review = models::find(conn, review_id)?;
        if review.status != "published" {
            return Err(AppError::NotFound);
        }
        models::vote_helpful(conn, review_id, id.user_id)?;
        Ok(models::find(conn, review_id)?.helpful_count)
    })
    .await?;
    Ok(web::Json(HelpfulResponse {
        helpful_count: count,
    }))
}
