//! Messages between the parties of a booking or an order, so that a merchant, a worker or a
//! courier can reach the consumer (and back) without seeing a phone number: the threads
//! (`GET`/`POST /bookings/{id}/messages`, `/orders/{id}/messages`), their email notices, the
//! retention sweep, and each person's part of the export and erasure. Owns the `messages` and
//! `message_notices` tables.

mod models;
mod privacy;
pub mod routes;
pub mod rules;
mod thread;

pub use privacy::{erase_for, export_for, sweep, ExportedMessage, SWEEP};

use diesel::PgConnection;
use uuid::Uuid;

use crate::auth::Identity;
use crate::error::{AppError, AppResult};
use crate::http::Endpoint;

/// Mounts the two threads' routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(
        Endpoint::new("/bookings/{id}/messages")
            .get(routes::list_booking_messages)
            .post(routes::post_booking_message),
    )
    .service(
        Endpoint::new("/orders/{id}/messages")
            .get(routes::list_order_messages)
            .post(routes::post_order_message),
    );
}

/// Whether the caller may see a message's photo: whoever may read its thread (the parties;
/// operators and the uploader are let through by `uploads`).
pub fn may_see_photo(
    conn: &mut PgConnection,
    viewer: Option<&Identity>,
    message_id: Uuid,
) -> AppResult<bool> {
    let (Some(me), Some(message)) = (viewer, models::find(conn, message_id)?) else {
        return Ok(false);
    };
    match thread::open(conn, me, message.subject_kind, message.subject_id) {
        Ok(_) => Ok(true),
        Err(AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}
