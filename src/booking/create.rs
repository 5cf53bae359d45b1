//! Placing a booking: `POST /bookings`. The slot is checked against the schedule, but the
//! guarantee against double booking is the database's: the exclusion constraint for a worker's
//! time, a locked seat counter for in-store capacity.

use actix_web::{http::StatusCode, web, HttpRequest};
use chrono::{DateTime, Duration, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::catalog::rules::Fulfilment;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::fields::{coordinates, text, Fields, Phone};
use crate::http::idempotency::{self, IdempotencyKey, Stored};
use crate::http::Json;
use crate::merchants;
use crate::state::AppState;

use super::availability::{worker_times, Bookable};
use super::models::{self, Booking};
use super::rules::{self, Actor, BookingStatus};
use super::slots::visit_slots;
use super::views::{self, BookingResponse, VisitAddress};
use crate::fields::Text;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateBookingRequest {
    pub service_id: Uuid,
    /// One of the service's slots (`GET /services/{id}/slots`).
    pub starts_at: DateTime<Utc>,
    /// A worker free at that slot; the first free qualified one when absent.
    pub worker_id: Option<Uuid>,
    /// Seats, for in-store reservations (default 1).
    #[schema(minimum = 1, maximum = 20)]
    pub party_size: Option<i32>,
    /// Required for home visits: the consumer's address or a relative's.
    pub address: Option<VisitAddress>,
    /// The visit is for someone else (an elderly relative, say) at their address.
    #[serde(default)]
    pub for_relative: bool,
    #[schema(schema_with = Text::<0, 500>::nullable)]
    pub note: Option<String>,
}

fn slot_taken() -> AppError {
    AppError::Conflict(
        "slot_taken",
        "This time has just been taken; choose another slot.".into(),
    )
}

/// Whether an error is the overlap constraint refusing a worker's time.
pub fn is_overlap(err: &DieselError) -> bool {
    matches!(err, DieselError::DatabaseError(DatabaseErrorKind::ExclusionViolation, info)
        if info.constraint_name() == Some("bookings_no_overlap"))
}

/// Great-circle distance in metres.
pub fn distance_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (lat1, lat2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = lat2 - lat1;
    let dlng = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + lat1.cos() * lat2.cos() * (dlng / 2.0).sin().powi(2);
    2.0 * 6_371_000.0 * h.sqrt().asin()
}

/// Checks the visit address (and that the merchant serves it).
fn parse_address(
    bookable: &Bookable,
    address: Option<VisitAddress>,
) -> AppResult<Option<VisitAddress>> {
    if bookable.fulfilment != Fulfilment::HomeVisit {
        return Ok(None);
    }
    let Some(a) = address else {
        return Err(AppError::invalid("address", "is required for a home visit"));
    };
    let mut f = Fields::default();
    let street = f.check(text("address.text", &a.text, 4, 200));
    let name = f.check(text("address.contact_name", &a.contact_name, 1, 50));
    let phone = f.check(Phone::parse("address.contact_phone", &a.contact_phone));
    if let Err(e) = coordinates(a.lat, a.lng) {
        f.check::<()>(Err(FieldError::new(
            format!("address.{}", e.field),
            e.message,
        )));
    } else if distance_m(
        (a.lat, a.lng),
        (bookable.merchant.lat, bookable.merchant.lng),
    ) > f64::from(bookable.merchant.service_radius_m)
    {
        f.check::<()>(Err(FieldError::new(
            "address",
            "is outside the merchant's service area",
        )));
    }
    f.finish()?;
    Ok(Some(VisitAddress {
        text: street.unwrap_or_default(),
        lat: a.lat,
        lng: a.lng,
        contact_name: name.unwrap_or_default(),
        contact_phone: phone.map(Phone::into_inner).unwrap_or_default(),
    }))
}

/// Tries each free worker in turn (in hire order, so calendar locks are taken in that order) until
/// the constraint accepts one.
fn insert_with_a_free_worker(
    conn: &mut PgConnection,
    mut booking: Booking,
    workers: &[Uuid],
) -> AppResult<Booking> {
    for worker in workers {
        booking.worker_id = Some(*worker);
        merchants::lock_calendars(conn, &[*worker])?;
        match conn.transaction(|conn| models::insert(conn, &booking)) {
            Ok(saved) => return Ok(saved),
            Err(e) if is_overlap(&e) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(slot_taken())
}

/// The worker candidates for a visit at `start`: 409 if it is a slot but nobody is free, 422 if
/// it is not a slot at all.
pub fn free_workers(
    conn: &mut PgConnection,
    bookable: &Bookable,
    wanted: Option<Uuid>,
    start: DateTime<Utc>,
    skip: Option<Uuid>,
) -> AppResult<Vec<Uuid>> {
    let qualified: Vec<Uuid> =
        merchants::qualified_workers(conn, bookable.merchant.id, &bookable.service.category)?
            .into_iter()
            .map(|w| w.0)
            .collect();
    let workers = match wanted {
        Some(id) if qualified.contains(&id) => vec![id],
        Some(_) => {
            return Err(AppError::invalid(
                "worker_id",
                "is not an active worker qualified for this service",
            ))
        }
        None => qualified,
    };
    let window = bookable.window(start, start + Duration::seconds(1), Utc::now());
    let around = (start - Duration::days(1), start + Duration::days(1));
    let times = worker_times(conn, &workers, around.0, around.1, skip)?;
    if let Some(slot) = visit_slots(bookable.tz, &window, &bookable.visit(), &times)
        .into_iter()
        .find(|s| s.start == start)
    {
        return Ok(slot.workers);
    }
    // Not free: taken (409), or not a slot of the schedule at all (422)?
    let idle: Vec<_> = times
        .into_iter()
        .map(|mut w| {
            w.busy.clear();
            w
        })
        .collect();
    if visit_slots(bookable.tz, &window, &bookable.visit(), &idle)
        .iter()
        .any(|s| s.start == start)
    {
        Err(slot_taken())
    } else {
        Err(AppError::invalid(
            "starts_at",
            "is not one of this service's slots",
        ))
    }
}

/// Checks that `start` is a seating and takes the seats.
pub fn take_seats(
    conn: &mut PgConnection,
    bookable: &Bookable,
    start: DateTime<Utc>,
    seats: i32,
) -> AppResult<()> {
    let capacity = bookable.service.capacity.unwrap_or(1);
    // A party is at most 50 (the bookings table's limit), and at most the capacity.
    if !(1..=capacity.min(50)).contains(&seats) {
        return Err(AppError::invalid(
            "party_size",
            format!("must be 1 to {}", capacity.min(50)),
        ));
    }
    let window = bookable.window(start, start + Duration::seconds(1), Utc::now());
    let hours = serde_json::from_value(bookable.merchant.opening_hours.clone()).unwrap_or_default();
    let seating = super::slots::seat_slots(
        bookable.tz,
        &window,
        &hours,
        bookable.duration(),
        capacity,
        &Default::default(),
    );
    if !seating.iter().any(|s| s.start == start) {
        return Err(AppError::invalid(
            "starts_at",
            "is not one of this service's seatings",
        ));
    }
    if !models::take_seats(conn, bookable.service.id, start, capacity, seats)? {
        return Err(AppError::Conflict(
            "slot_full",
            "Not enough seats are left at this time.".into(),
        ));
    }
    Ok(())
}

/// Books a slot; a prepaid booking must be paid within `pay_within` (and before it starts).
fn create(
    conn: &mut PgConnection,
    consumer: Uuid,
    req: CreateBookingRequest,
    pay_within: Duration,
) -> AppResult<Booking> {
    let bookable = Bookable::load(conn, req.service_id)?;
    let address = parse_address(&bookable, req.address)?;
    let note = req.note.map(|n| text("note", &n, 0, 500)).transpose()?;
    let now = Utc::now();
    let start = req.starts_at;
    let end = start + bookable.duration();
    let visit = bookable.visit();
    let status = if bookable.settings.auto_accept {
        BookingStatus::Confirmed
    } else {
        BookingStatus::PendingConfirmation
    };
    let party_size = req.party_size.unwrap_or(1);
    if bookable.fulfilment != Fulfilment::InStore && party_size != 1 {
        return Err(AppError::invalid(
            "party_size",
            "applies to in-store reservations only",
        ));
    }
    let booking = Booking {
        id: Uuid::now_v7(),
        consumer_id: consumer,
        merchant_id: bookable.merchant.id,
        service_id: bookable.service.id,
        worker_id: None,
        kind: bookable.fulfilment,
        status,
        starts_at: start,
        ends_at: end,
        blocked: models::range(start, end + visit.buffer),
        party_size,
        service_name: bookable.service.name.clone(),
        price_cents: bookable.service.price_cents,
        currency: bookable.service.currency.clone(),
        address_text: address.as_ref().map(|a| a.text.clone()),
        address_lat: address.as_ref().map(|a| a.lat),
        address_lng: address.as_ref().map(|a| a.lng),
        contact_name: address.as_ref().map(|a| a.contact_name.clone()),
        contact_phone: address.as_ref().map(|a| a.contact_phone.clone()),
        for_relative: req.for_relative,
        note,
        respond_by: (status == BookingStatus::PendingConfirmation)
            .then(|| rules::respond_by(now, start)),
        reschedule_count: 0,
        cancelled_by: None,
        cancel_fee_cents: None,
        cancel_reason: None,
        no_show_party: None,
        version: 1,
        created_at: now,
        updated_at: now,
        prepaid: bookable.settings.prepaid,
        paid_at: None,
    };
    let saved = match bookable.fulfilment {
        Fulfilment::InStore => {
            take_seats(conn, &bookable, start, party_size)?;
            models::insert(conn, &booking)?
        }
        _ => {
            let workers = free_workers(conn, &bookable, req.worker_id, start, None)?;
            insert_with_a_free_worker(conn, booking, &workers)?
        }
    };
    super::record_change(
        conn,
        &saved,
        None,
        "book",
        Actor::Consumer,
        Some(consumer),
        None,
        bookable.tz,
    )?;
    // The merchant's members hear of it at once: a pending booking waits for their answer.
    let (subject, body) = super::emails::new_booking(&saved, bookable.tz);
    merchants::tell_members(conn, saved.merchant_id, &subject, &body)?;
    if let Some(at) = saved.respond_by {
        super::timers::schedule_expiry(conn, saved.id, at)?;
    }
    if saved.prepaid {
        crate::jobs::payment_due(conn, "booking", saved.id, (now + pay_within).min(start))?;
    }
    Ok(saved)
}

/// Books a slot. Requires an `Idempotency-Key`: a retried request returns the same booking.
#[utoipa::path(post, path = "/api/v1/bookings", tag = "booking", security(("bearer" = [])),
    request_body = CreateBookingRequest,
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "Client-chosen key; the same key and body replay the first answer")),
    responses((status = 201, body = BookingResponse), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "slot_taken, slot_full, idempotency_in_flight"),
        (status = 422, body = Problem, description = "validation_failed, idempotency_key_reused, idempotency_key_required")))]
pub async fn create_booking(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<CreateBookingRequest>,
) -> AppResult<Stored> {
    let digest = idempotency::request_digest(&req, &body.digest());
    let request = body.into_inner();
    let pay_within = state.config.payment_timeout;
    db::tx(&state.pool, move |conn| {
        idempotency::once(conn, id.user_id, &key, &digest, |conn| {
            let booking = create(conn, id.user_id, request, pay_within)?;
            Ok((
                StatusCode::CREATED,
                views::show(conn, booking, Actor::Consumer)?,
            ))
        })
    })
    .await
}
