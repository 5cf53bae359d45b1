//! Reviews: verified-purchase reviews, merchant replies, reports and helpful votes, with the
//! anti-fake rules that hold suspicious ones for moderation. Owns the `reviews`,
//! `review_revisions`, `review_replies`, `review_reports` and `review_helpful_votes` tables.

pub mod feedback;
pub mod list;
pub mod models;
mod privacy;
pub mod routes;
pub mod rules;
pub mod views;

pub use models::{
    close_reports, find, find_for_update, open_reports, reverse_reports, set_status, Review,
};
pub use privacy::{export_for, reports_for, ExportedReport, ExportedReview};
pub use routes::may_see_photos;

use crate::http::Endpoint;

/// Mounts the review routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/reviews").post(routes::create_review))
        .service(
            Endpoint::new("/reviews/{id}")
                .get(routes::get_review)
                .patch(routes::edit_review),
        )
        .service(Endpoint::new("/reviews/{id}/reply").post(feedback::reply))
        .service(Endpoint::new("/reviews/{id}/reports").post(feedback::report))
        .service(Endpoint::new("/reviews/{id}/helpful").post(feedback::helpful))
        .service(Endpoint::new("/merchants/{id}/reviews").get(list::list_reviews));
}

/// Publishes the change to the merchant's figures: rating aggregate now, credit by job.
pub fn refresh_merchant(
    conn: &mut diesel::PgConnection,
    merchant_id: uuid::Uuid,
) -> crate::error::AppResult<()> {
    crate::merchants::refresh_rating(conn, merchant_id)?;
    crate::jobs::merchant_changed(conn, merchant_id)
}
