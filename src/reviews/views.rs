//! How a review is shown: hidden reviews as a placeholder with the reason, the author's name
//! masked unless they chose otherwise.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::fields::mask_name;

use super::models::Review;

#[derive(Debug, Serialize, ToSchema)]
pub struct SubRatings {
    pub quality: Option<i16>,
    pub punctuality: Option<i16>,
    pub hygiene: Option<i16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplyResponse {
    pub body: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReviewResponse {
    pub id: Uuid,
    pub merchant_id: Uuid,
    /// `published`, `held` (awaiting moderation; only its author sees it), `hidden`.
    pub status: String,
    pub rating: i16,
    pub sub_ratings: SubRatings,
    /// The text, or for a hidden review a placeholder saying why.
    pub body: String,
    #[schema(value_type = Vec<String>)]
    pub photo_refs: serde_json::Value,
    pub author_name: String,
    pub edited: bool,
    pub helpful_count: i32,
    pub reply: Option<ReplyResponse>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// The text shown in place of a hidden review.
pub fn placeholder(reason: Option<&str>) -> String {
    format!(
        "该评价已被隐藏 / This review is hidden: {}",
        reason.unwrap_or("违反社区规范 / against the community rules")
    )
}

impl ReviewResponse {
    pub fn new(r: Review, author_name: &str, reply: Option<ReplyResponse>) -> Self {
        let hidden = r.status == "hidden";
        Self {
            id: r.id,
            merchant_id: r.merchant_id,
            rating: r.rating,
            sub_ratings: SubRatings {
                quality: r.quality,
                punctuality: r.punctuality,
                hygiene: r.hygiene,
            },
            body: if hidden {
                placeholder(r.hidden_reason.as_deref())
            } else {
                r.body
            },
            photo_refs: if hidden {
                serde_json::json!([])
            } else {
                r.photo_refs
            },
            author_name: if r.mask_author {
                mask_name(author_name)
            } else {
                author_name.to_owned()
            },
            status: r.status,
            edited: r.edited,
            helpful_count: r.helpful_count,
            reply,
            version: r.version,
            created_at: r.created_at,
        }
    }
}
