//! The booking timers: a pending booking expires when the merchant has not answered by its
//! `respond_by`; a visit in service completes by itself 12 hours after its end. Each handler
//! re-checks the booking, so a timer for a booking that moved on does nothing.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{models as jobs, Outcome};

use super::models;
use super::rules::{Actor, BookingAction, BookingStatus};

pub const EXPIRE: &str = "booking.expire";
pub const AUTO_COMPLETE: &str = "booking.auto_complete";

/// How long after its end a visit in service completes by itself.
pub fn auto_complete_after() -> Duration {
    Duration::hours(12)
}

#[derive(Deserialize)]
struct Payload {
    booking_id: Uuid,
}

pub fn schedule_expiry(
    conn: &mut PgConnection,
    booking_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    jobs::enqueue(
        conn,
        EXPIRE,
        serde_json::json!({ "booking_id": booking_id }),
        at,
    )?;
    Ok(())
}

pub fn schedule_auto_complete(
    conn: &mut PgConnection,
    booking_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    jobs::enqueue(
        conn,
        AUTO_COMPLETE,
        serde_json::json!({ "booking_id": booking_id }),
        at,
    )?;
    Ok(())
}

/// Runs one booking timer.
pub fn run(conn: &mut PgConnection, kind: &str, payload: &serde_json::Value) -> AppResult<Outcome> {
    let Payload { booking_id } =
        serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let Some(booking) =
        diesel::OptionalExtension::optional(models::find_for_update(conn, booking_id))?
    else {
        return Ok(Outcome::Done);
    };
    let now = Utc::now();
    let status = booking.status;
    let due = match kind {
        EXPIRE => {
            status == BookingStatus::PendingConfirmation
                && booking.respond_by.is_some_and(|t| t <= now)
        }
        _ => status == BookingStatus::InService && booking.ends_at + auto_complete_after() <= now,
    };
    if due {
        let action = if kind == EXPIRE {
            BookingAction::Expire
        } else {
            BookingAction::AutoComplete
        };
        super::actions::apply(
            conn,
            &booking,
            action,
            Actor::System,
            None,
            None,
            |_| Ok(()),
        )?;
    }
    Ok(Outcome::Done)
}
