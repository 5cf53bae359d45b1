//! A merchant's reviews, with its replies and a summary of the published ones.

use std::collections::HashMap;

use actix_web::web;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Problem};
use crate::http::pagination::TimeCursor;
use crate::http::{Page, PageParams};
use crate::http::{Query, Reads};
use crate::merchants;

use super::models;
use super::views::{ReplyResponse, ReviewResponse};

#[derive(Debug, Clone, Copy, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ReviewSort {
    Newest,
    Helpful,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReviewQuery {
    pub sort: Option<ReviewSort>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Published reviews only.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewSummary {
    pub count: i64,
    pub average: Option<f64>,
    /// Reviews with 1, 2, 3, 4 and 5 stars.
    pub distribution: [i64; 5],
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewPage {
    pub summary: ReviewSummary,
    pub items: Vec<ReviewResponse>,
    pub next_cursor: Option<String>,
}

/// A merchant's reviews (newest or most helpful first) with its replies, and a summary.
#[utoipa::path(get, path = "/api/v1/merchants/{id}/reviews", tag = "reviews", security(), params(("id" = Uuid, Path), ReviewQuery),
    responses((status = 200, body = ReviewPage), (status = 404, body = Problem)))]
pub async fn list_reviews(
    reads: Reads,
    path: web::Path<Uuid>,
    q: Query<ReviewQuery>,
) -> AppResult<web::Json<ReviewPage>> {
    let merchant_id = path.into_inner();
    let q = q.into_inner();
    let helpful = matches!(q.sort, Some(ReviewSort::Helpful));
    let page = PageParams {
        limit: q.limit,
        cursor: q.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor::<(i32, TimeCursor)>()?;
    let result = reads
        .run(move |conn| {
            let merchant = merchants::find(conn, merchant_id)?;
            if merchant.status != "approved" {
                return Err(AppError::NotFound);
            }
            let rows = models::list(conn, merchant_id, helpful, after, limit + 1)?;
            let page = Page::from_rows(rows, limit, |(r, _)| {
                (r.helpful_count, (r.created_at, r.id))
            });
            let ids: Vec<Uuid> = page.items.iter().map(|(r, _)| r.id).collect();
            let mut replies: HashMap<Uuid, ReplyResponse> = models::replies(conn, &ids)?
                .into_iter()
                .map(|(id, body, updated_at)| (id, ReplyResponse { body, updated_at }))
                .collect();
            let distribution = models::distribution(conn, merchant_id)?;
            Ok(ReviewPage {
                summary: ReviewSummary {
                    count: distribution.iter().sum(),
                    average: merchant.rating_average.map(|a| (a * 10.0).round() / 10.0),
                    distribution,
                },
                items: page
                    .items
                    .into_iter()
                    .map(|(r, name)| {
                        let reply = replies.remove(&r.id);
                        ReviewResponse::new(r, &name, reply)
                    })
                    .collect(),
                next_cursor: page.next_cursor,
            })
        })
        .await?;
    Ok(web::Json(result))
}
