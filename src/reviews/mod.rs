//! Reviews: verified-purchase reviews, merchant replies, reports and helpful votes, with the
//! anti-fake rules that hold suspicious ones for moderation. Owns the `reviews`,
//! `review_revisions`, `review_replies`, `review_reports` and `review_helpful_votes` tables.

pub mod models;
pub mod routes;
pub mod rules;
pub mod views;

use crate::http::Endpoint;

/// Mounts the review routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/reviews").post(routes::create_review))
        .service(Endpoint::new("/reviews/{id}").patch(routes::edit_review))
        .service(Endpoint::new("/reviews/{id}/reply").post(routes::reply))
        .service(Endpoint::new("/reviews/{id}/reports").post(routes::report))
        .service(Endpoint::new("/reviews/{id}/helpful").post(routes::helpful))
        .service(Endpoint::new("/reviews/{id}/appeal").post(crate::moderation::decisions::appeal))
        .service(Endpoint::new("/merchants/{id}/reviews").get(routes::list_reviews));
}
