//! Booking: worker schedules, slots, and bookings that can never be double-booked. Owns the
//! `worker_schedules`, `schedule_exceptions`, `booking_settings`, `bookings`, `seatings` and
//! `booking_events` tables.

pub mod actions;
pub mod availability;
pub mod create;
mod emails;
pub mod models;
pub mod payment;
mod policy;
mod privacy;
pub mod routes;
pub mod rules;
pub mod schedule;
pub mod slots;
pub mod timers;
pub mod views;

pub use models::{completed, purchase};
pub use payment::{close_unpaid, paid, payable};
pub use policy::{policy_of, BookingPolicy, CancelTier};
pub use privacy::{check_erasable, erase_for, export_for};
pub use views::BookingResponse;

use diesel::PgConnection;
use uuid::Uuid;

use crate::accounts;
use crate::error::AppResult;
use crate::history;
use crate::http::Endpoint;
use crate::jobs::outbox;
use crate::merchants;

use models::Booking;
use rules::Actor;

/// Mounts the booking routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/services/{id}/slots").get(availability::list_slots))
        .service(
            Endpoint::new("/bookings")
                .post(create::create_booking)
                .get(routes::my_bookings),
        )
        .service(Endpoint::new("/bookings/{id}").get(routes::get_booking))
        .service(Endpoint::new("/bookings/{id}/confirm").post(actions::confirm))
        .service(Endpoint::new("/bookings/{id}/decline").post(actions::decline))
        .service(Endpoint::new("/bookings/{id}/cancel").post(actions::cancel))
        .service(Endpoint::new("/bookings/{id}/reschedule").post(actions::reschedule_booking))
        .service(Endpoint::new("/bookings/{id}/check-in").post(actions::check_in))
        .service(Endpoint::new("/bookings/{id}/complete").post(actions::complete))
        .service(Endpoint::new("/bookings/{id}/no-show").post(actions::no_show))
        .service(Endpoint::new("/merchants/{id}/bookings").get(routes::merchant_bookings))
        .service(Endpoint::new("/me/assignments").get(routes::my_assignments))
        .service(
            Endpoint::new("/merchants/{id}/workers/{worker_id}/schedule")
                .get(schedule::get_schedule)
                .put(schedule::put_schedule),
        )
        .service(
            Endpoint::new("/merchants/{id}/booking-settings")
                .get(schedule::get_settings)
                .put(schedule::put_settings),
        );
}

/// Records a change in the booking's history and tells the consumer, in the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub fn record_change(
    conn: &mut PgConnection,
    booking: &Booking,
    from: Option<&str>,
    action: &str,
    actor: Actor,
    actor_id: Option<Uuid>,
    reason: Option<&str>,
    tz: chrono_tz::Tz,
) -> AppResult<()> {
    history::record(
        conn,
        history::Of::Booking,
        history::Change {
            subject_id: booking.id,
            from,
            to: booking.status.as_str(),
            action,
            actor_id,
            actor_role: actor.as_str(),
            reason,
            merchant_hears: true,
        },
    )?;
    if !booking.status.is_active() {
        crate::jobs::merchant_changed(conn, booking.merchant_id)?;
    }
    let consumer = accounts::find(conn, booking.consumer_id)?;
    let (zh, en) = emails::words(booking.status);
    let (zh, en) = if action == "reschedule" {
        ("已改期", "was rescheduled")
    } else {
        (zh, en)
    };
    outbox::enqueue(
        conn,
        &emails::status_changed(&consumer, booking, tz, zh, en),
    )?;
    Ok(())
}

/// Who is involved in the booking and when it ended (the time of its last change, once it is no
/// longer active); `None` for an unknown booking.
pub fn involved(
    conn: &mut PgConnection,
    booking_id: Uuid,
) -> AppResult<Option<merchants::access::Involved>> {
    use diesel::OptionalExtension;
    let Some(b) = models::find(conn, booking_id).optional()? else {
        return Ok(None);
    };
    let ended_at = if b.status.is_active() {
        None
    } else {
        Some(history::last_at(conn, history::Of::Booking, b.id)?.unwrap_or(b.updated_at))
    };
    Ok(Some(merchants::access::Involved {
        consumer_id: b.consumer_id,
        merchant_id: b.merchant_id,
        worker_id: b.worker_id,
        ended_at,
    }))
}
