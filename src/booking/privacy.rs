//! A person's bookings, for their export and their erasure (composed in `app::personal_data`).

use diesel::prelude::*;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::schema::bookings;

use super::models::Booking;
use super::rules::{Actor, BookingStatus};
use super::views::{self, BookingResponse};

/// The bookings the person made, oldest first, as they see them.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<Vec<BookingResponse>> {
    let made = bookings::table
        .filter(bookings::consumer_id.eq(user))
        .select(Booking::as_select())
        .order(bookings::created_at)
        .load(conn)?;
    views::shown(conn, made, Actor::Consumer)
}

/// 409 `active_bookings` while one of them still holds a worker's time.
pub fn check_erasable(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let active: i64 = bookings::table
        .filter(bookings::consumer_id.eq(user))
        .filter(bookings::status.eq_any(BookingStatus::ACTIVE))
        .count()
        .get_result(conn)?;
    if active > 0 {
        return Err(AppError::Conflict(
            "active_bookings",
            "Finish or cancel your bookings first.".into(),
        ));
    }
    Ok(())
}

/// Blanks the visit address, the contact and the note; the bookings stay, pseudonymous, for the
/// merchant's records.
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::update(bookings::table.filter(bookings::consumer_id.eq(user)))
        .set((
            bookings::address_text.eq(None::<String>),
            bookings::address_lat.eq(None::<f64>),
            bookings::address_lng.eq(None::<f64>),
            bookings::contact_name.eq(None::<String>),
            bookings::contact_phone.eq(None::<String>),
            bookings::note.eq(None::<String>),
        ))
        .execute(conn)
        .map(drop)
}
