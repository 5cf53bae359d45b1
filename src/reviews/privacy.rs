//! A person's reviews and reports, for their export (composed in `app::personal_data`). Erasure
//! leaves them: a review stays, as a deleted user's, and its author's name goes with the account.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::schema::{review_reports, reviews};

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct ExportedReview {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub rating: i16,
    pub body: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema, Queryable)]
pub struct ExportedReport {
    pub review_id: Uuid,
    pub reason: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

/// The reviews the person wrote.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<Vec<ExportedReview>> {
    reviews::table
        .filter(reviews::author_id.eq(user))
        .select((
            reviews::id,
            reviews::merchant_id,
            reviews::rating,
            reviews::body,
            reviews::status,
            reviews::created_at,
        ))
        .load(conn)
}

/// The reports the person made.
pub fn reports_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<Vec<ExportedReport>> {
    review_reports::table
        .filter(review_reports::reporter_id.eq(user))
        .select((
            review_reports::review_id,
            review_reports::reason,
            review_reports::note,
            review_reports::status,
            review_reports::created_at,
        ))
        .load(conn)
}
