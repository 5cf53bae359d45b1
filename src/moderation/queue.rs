//! The moderation queue: one list of everything that needs a human — held reviews, reported
//! reviews, open appeals, and merchants whose credit fell to D — highest priority first.

use actix_web::web;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::credit;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Query;
use crate::reviews;
use crate::schema::{appeals, moderation_decisions, review_reports};
use crate::state::AppState;

/// One thing waiting for an operator.
#[derive(Debug, Serialize, ToSchema)]
pub struct QueueItem {
    /// `review`, `appeal` or `merchant_credit`.
    pub kind: String,
    pub priority: f64,
    pub since: DateTime<Utc>,
    pub review_id: Option<Uuid>,
    pub appeal_id: Option<Uuid>,
    pub merchant_id: Uuid,
    /// The review's status and version (decide with this version).
    pub status: Option<String>,
    pub version: Option<i32>,
    pub rating: Option<i16>,
    pub body: Option<String>,
    /// The anti-fake rule that held the review.
    pub held_rule: Option<String>,
    pub reports: Vec<QueueReport>,
    /// The merchant's credit tier.
    pub tier: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct QueueReport {
    pub reason: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QueueQuery {
    /// Items to return, 1 to 100 (default 50), highest priority first.
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
}

#[derive(Queryable)]
struct OpenAppeal {
    id: Uuid,
    review_id: Uuid,
    reason: String,
    at: DateTime<Utc>,
    merchant_id: Uuid,
    version: i32,
    status: String,
}

fn hours_since(t: DateTime<Utc>) -> f64 {
    ((Utc::now() - t).num_minutes().max(0) as f64) / 60.0
}

fn tier_weight(tier: Option<&str>) -> f64 {
    match tier {
        Some("D") => 20.0,
        Some("C") => 10.0,
        _ => 0.0,
    }
}

/// The queue: priority grows with waiting time, with the number of reports and for merchants of
/// low credit.
#[utoipa::path(get, path = "/api/v1/admin/moderation/queue", tag = "moderation", operation_id = "list_moderation_queue", security(("bearer" = [])),
    params(QueueQuery), responses((status = 200, body = Vec<QueueItem>), (status = 403, body = Problem)))]
pub async fn queue(
    id: Identity,
    state: web::Data<AppState>,
    q: Query<QueueQuery>,
) -> AppResult<web::Json<Vec<QueueItem>>> {
    id.require_operator()?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(AppError::invalid("limit", "must be between 1 and 100"));
    }
    let items = db::run(&state.pool, move |conn| {
        use crate::schema::reviews as r;
        let reported = review_reports::table
            .filter(review_reports::status.eq("open"))
            .select(review_reports::review_id);
        let candidates: Vec<reviews::Review> = r::table
            .filter(r::status.eq("held").or(r::id.eq_any(reported)))
            .select(reviews::Review::as_select())
            .order(r::created_at.asc())
            .limit(500)
            .load(conn)?;
        let open: Vec<OpenAppeal> = appeals::table
            .inner_join(moderation_decisions::table.inner_join(r::table))
            .filter(appeals::status.eq("open"))
            .select((
                appeals::id,
                r::id,
                appeals::reason,
                appeals::created_at,
                r::merchant_id,
                r::version,
                r::status,
            ))
            .load(conn)?;
        let merchant_ids: Vec<Uuid> = candidates
            .iter()
            .map(|c| c.merchant_id)
            .chain(open.iter().map(|a| a.merchant_id))
            .collect();
        let tiers = credit::tiers_of(conn, &merchant_ids)?;
        let mut items = Vec::new();
        for review in candidates {
            let reports: Vec<QueueReport> = reviews::open_reports(conn, review.id)?
                .into_iter()
                .map(|r| QueueReport {
                    reason: r.reason,
                    note: r.note,
                    at: r.at,
                })
                .collect();
            // Waiting since it was held, or since its first open report.
            let since = match (review.status.as_str(), reports.first()) {
                ("held", _) | (_, None) => review.created_at,
                (_, Some(first)) => first.at,
            };
            let tier = tiers.get(&review.merchant_id).cloned();
            items.push(QueueItem {
                kind: "review".into(),
                priority: hours_since(since)
                    + 10.0 * reports.len() as f64
                    + tier_weight(tier.as_deref()),
                since,
                review_id: Some(review.id),
                appeal_id: None,
                merchant_id: review.merchant_id,
                status: Some(review.status),
                version: Some(review.version),
                rating: Some(review.rating),
                body: Some(review.body),
                held_rule: review.held_rule,
                reports,
                tier,
                note: None,
            });
        }
        for OpenAppeal {
            id: appeal,
            review_id: review,
            reason,
            at,
            merchant_id: merchant,
            version,
            status,
        } in open
        {
            items.push(QueueItem {
                kind: "appeal".into(),
                priority: hours_since(at) + 15.0,
                since: at,
                review_id: Some(review),
                appeal_id: Some(appeal),
                merchant_id: merchant,
                status: Some(status),
                version: Some(version),
                rating: None,
                body: None,
                held_rule: None,
                reports: Vec::new(),
                tier: tiers.get(&merchant).cloned(),
                note: Some(reason),
            });
        }
        for (merchant, at) in credit::failing(conn)? {
            items.push(QueueItem {
                kind: "merchant_credit".into(),
                priority: 30.0 + hours_since(at),
                since: at,
                review_id: None,
                appeal_id: None,
                merchant_id: merchant,
                status: None,
                version: None,
                rating: None,
                body: None,
                held_rule: None,
                reports: Vec::new(),
                tier: Some("D".into()),
                note: Some("Credit tier D: decide whether to suspend.".into()),
            });
        }
        items.sort_by(|a, b| b.priority.total_cmp(&a.priority));
        items.truncate(usize::try_from(limit).unwrap_or(50));
        Ok(items)
    })
    .await?;
    Ok(web::Json(items))
}
