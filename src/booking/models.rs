//! Schedule, settings, booking, seating and event rows and their queries. The caller owns the
//! transaction.

use std::collections::Bound;

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::rules::{Actor, BookingStatus};
use super::slots::Span;
use crate::catalog::rules::Fulfilment;
use crate::schema::{booking_settings, bookings, schedule_exceptions, seatings, worker_schedules};

/// A merchant's booking rules (defaults apply until the merchant saves its own).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = booking_settings, check_for_backend(diesel::pg::Pg))]
pub struct Settings {
    pub merchant_id: Uuid,
    pub auto_accept: bool,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub buffer_minutes: i32,
    pub slot_step_minutes: i32,
    pub free_cancel_hours: i32,
    pub late_cancel_fee_percent: i32,
    pub reschedule_limit: i32,
    pub prepaid: bool,
}

impl Settings {
    pub fn defaults(merchant_id: Uuid) -> Self {
        Self {
            merchant_id,
            auto_accept: false,
            min_notice_minutes: 120,
            horizon_days: 30,
            buffer_minutes: 0,
            slot_step_minutes: 30,
            free_cancel_hours: 24,
            late_cancel_fee_percent: 50,
            reschedule_limit: 2,
            prepaid: false,
        }
    }
}

pub fn settings(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Settings> {
    Ok(booking_settings::table
        .find(merchant_id)
        .select(Settings::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_else(|| Settings::defaults(merchant_id)))
}

pub fn save_settings(conn: &mut PgConnection, settings: &Settings) -> QueryResult<Settings> {
    diesel::insert_into(booking_settings::table)
        .values(settings)
        .on_conflict(booking_settings::merchant_id)
        .do_update()
        .set((settings, booking_settings::updated_at.eq(Utc::now())))
        .returning(Settings::as_returning())
        .get_result(conn)
}

/// A worker's weekly hours (`{}` when never set).
pub fn weekly(conn: &mut PgConnection, worker_id: Uuid) -> QueryResult<serde_json::Value> {
    Ok(worker_schedules::table
        .find(worker_id)
        .select(worker_schedules::weekly)
        .first(conn)
        .optional()?
        .unwrap_or_else(|| serde_json::json!({})))
}

/// The weekly hours of several workers at once (one query for a whole slot listing).
pub fn weekly_of(
    conn: &mut PgConnection,
    worker_ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, serde_json::Value)>> {
    worker_schedules::table
        .filter(worker_schedules::worker_id.eq_any(worker_ids))
        .select((worker_schedules::worker_id, worker_schedules::weekly))
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = schedule_exceptions, check_for_backend(diesel::pg::Pg))]
pub struct ExceptionRow {
    pub id: Uuid,
    pub worker_id: Uuid,
    pub on_date: NaiveDate,
    pub kind: String,
    pub start_minute: Option<i32>,
    pub end_minute: Option<i32>,
}

/// Exceptions of the given workers from `from` on (all of them when `from` is `None`).
pub fn exceptions(
    conn: &mut PgConnection,
    worker_ids: &[Uuid],
    from: Option<NaiveDate>,
) -> QueryResult<Vec<ExceptionRow>> {
    let mut query = schedule_exceptions::table
        .filter(schedule_exceptions::worker_id.eq_any(worker_ids))
        .select(ExceptionRow::as_select())
        .order((
            schedule_exceptions::on_date,
            schedule_exceptions::start_minute,
        ))
        .into_boxed();
    if let Some(from) = from {
        query = query.filter(schedule_exceptions::on_date.ge(from));
    }
    query.load(conn)
}

/// Replaces a worker's weekly hours and exceptions.
pub fn replace_schedule(
    conn: &mut PgConnection,
    worker_id: Uuid,
    weekly: &serde_json::Value,
    exceptions: &[ExceptionRow],
) -> QueryResult<()> {
    diesel::insert_into(worker_schedules::table)
        .values((
            worker_schedules::worker_id.eq(worker_id),
            worker_schedules::weekly.eq(weekly),
        ))
        .on_conflict(worker_schedules::worker_id)
        .do_update()
        .set((
            worker_schedules::weekly.eq(weekly),
            worker_schedules::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    diesel::delete(schedule_exceptions::table.filter(schedule_exceptions::worker_id.eq(worker_id)))
        .execute(conn)?;
    diesel::insert_into(schedule_exceptions::table)
        .values(exceptions)
        .execute(conn)?;
    Ok(())
}

pub type Range = (Bound<DateTime<Utc>>, Bound<DateTime<Utc>>);

/// `[start, end)`.
pub fn range(start: DateTime<Utc>, end: DateTime<Utc>) -> Range {
    (Bound::Included(start), Bound::Excluded(end))
}

/// Blocked ranges of the workers' active bookings that touch `[from, to)`, except `skip`.
pub fn busy(
    conn: &mut PgConnection,
    worker_ids: &[Uuid],
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    skip: Option<Uuid>,
) -> QueryResult<Vec<(Uuid, Span)>> {
    let rows: Vec<(Option<Uuid>, Uuid, Range)> = bookings::table
        .filter(bookings::worker_id.eq_any(worker_ids))
        .filter(bookings::status.eq_any(BookingStatus::ACTIVE))
        .filter(bookings::blocked.overlaps_with(range(from, to)))
        .select((bookings::worker_id, bookings::id, bookings::blocked))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .filter(|(_, id, _)| Some(*id) != skip)
        .filter_map(|(worker, _, (a, b))| match (worker, a, b) {
            (
                Some(w),
                Bound::Included(a) | Bound::Excluded(a),
                Bound::Included(b) | Bound::Excluded(b),
            ) => Some((w, (a, b))),
            _ => None,
        })
        .collect())
}

/// A booking.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = bookings, check_for_backend(diesel::pg::Pg))]
pub struct Booking {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    pub service_id: Uuid,
    pub worker_id: Option<Uuid>,
    pub kind: Fulfilment,
    pub status: BookingStatus,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub blocked: Range,
    pub party_size: i32,
    pub service_name: String,
    pub price_cents: i64,
    pub currency: String,
    pub address_text: Option<String>,
    pub address_lat: Option<f64>,
    pub address_lng: Option<f64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub for_relative: bool,
    pub note: Option<String>,
    pub respond_by: Option<DateTime<Utc>>,
    pub reschedule_count: i32,
    pub cancelled_by: Option<Actor>,
    pub cancel_fee_cents: Option<i64>,
    pub cancel_reason: Option<String>,
    pub no_show_party: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Paid when booked (the merchant's setting then).
    pub prepaid: bool,
    /// When a prepaid booking's payment arrived.
    pub paid_at: Option<DateTime<Utc>>,
}

pub fn insert(conn: &mut PgConnection, booking: &Booking) -> QueryResult<Booking> {
    diesel::insert_into(bookings::table)
        .values(booking)
        .returning(Booking::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Booking> {
    bookings::table
        .find(id)
        .select(Booking::as_select())
        .first(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Booking> {
    bookings::table
        .find(id)
        .select(Booking::as_select())
        .for_update()
        .first(conn)
}

/// Writes a changed booking back, compare-and-swap on status and version: `None` if it moved.
pub fn save(conn: &mut PgConnection, from: &Booking, to: &Booking) -> QueryResult<Option<Booking>> {
    diesel::update(
        bookings::table
            .filter(bookings::id.eq(from.id))
            .filter(bookings::status.eq(&from.status))
            .filter(bookings::version.eq(from.version)),
    )
    .set((
        bookings::status.eq(&to.status),
        bookings::worker_id.eq(to.worker_id),
        bookings::starts_at.eq(to.starts_at),
        bookings::ends_at.eq(to.ends_at),
        bookings::blocked.eq(to.blocked),
        bookings::respond_by.eq(to.respond_by),
        bookings::reschedule_count.eq(to.reschedule_count),
        bookings::cancelled_by.eq(&to.cancelled_by),
        bookings::cancel_fee_cents.eq(to.cancel_fee_cents),
        bookings::cancel_reason.eq(&to.cancel_reason),
        bookings::no_show_party.eq(&to.no_show_party),
        bookings::version.eq(from.version + 1),
        bookings::updated_at.eq(Utc::now()),
    ))
    .returning(Booking::as_returning())
    .get_result(conn)
    .optional()
}

/// Takes `seats` at a seating if they are free; `false` when it is full. The counter row's lock
/// serializes concurrent takers, so the capacity can never be exceeded.
pub fn take_seats(
    conn: &mut PgConnection,
    service_id: Uuid,
    start: DateTime<Utc>,
    capacity: i32,
    seats: i32,
) -> QueryResult<bool> {
    diesel::insert_into(seatings::table)
        .values((
            seatings::service_id.eq(service_id),
            seatings::starts_at.eq(start),
            seatings::capacity.eq(capacity),
        ))
        .on_conflict((seatings::service_id, seatings::starts_at))
        .do_nothing()
        .execute(conn)?;
    let taken = diesel::update(
        seatings::table
            .filter(seatings::service_id.eq(service_id))
            .filter(seatings::starts_at.eq(start))
            .filter((seatings::taken + seats).le(seatings::capacity)),
    )
    .set(seatings::taken.eq(seatings::taken + seats))
    .execute(conn)?;
    Ok(taken == 1)
}

pub fn release_seats(
    conn: &mut PgConnection,
    service_id: Uuid,
    start: DateTime<Utc>,
    seats: i32,
) -> QueryResult<usize> {
    diesel::update(
        seatings::table
            .filter(seatings::service_id.eq(service_id))
            .filter(seatings::starts_at.eq(start)),
    )
    .set(seatings::taken.eq(seatings::taken - seats))
    .execute(conn)
}

/// Seats taken per seating of a service in `[from, to)`.
pub fn seats_taken(
    conn: &mut PgConnection,
    service_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<(DateTime<Utc>, i32)>> {
    seatings::table
        .filter(seatings::service_id.eq(service_id))
        .filter(seatings::starts_at.ge(from))
        .filter(seatings::starts_at.lt(to))
        .select((seatings::starts_at, seatings::taken))
        .load(conn)
}

/// Which bookings a list shows.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub consumer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    /// Bookings assigned to any of these workers (an account's worker rows).
    pub worker_ids: Option<Vec<Uuid>>,
    pub worker_id: Option<Uuid>,
    pub status: Option<BookingStatus>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Newest first (a consumer's history) instead of soonest first (a schedule).
    pub newest_first: bool,
}

pub fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Booking>> {
    let mut q = bookings::table
        .select(Booking::as_select())
        .limit(limit)
        .into_boxed();
    if let Some(id) = f.consumer_id {
        q = q.filter(bookings::consumer_id.eq(id));
    }
    if let Some(id) = f.merchant_id {
        q = q.filter(bookings::merchant_id.eq(id));
    }
    if let Some(ids) = &f.worker_ids {
        q = q.filter(bookings::worker_id.eq_any(ids.clone()));
    }
    if let Some(id) = f.worker_id {
        q = q.filter(bookings::worker_id.eq(id));
    }
    if let Some(status) = &f.status {
        q = q.filter(bookings::status.eq(*status));
    }
    if let Some(from) = f.from {
        q = q.filter(bookings::starts_at.ge(from));
    }
    if let Some(to) = f.to {
        q = q.filter(bookings::starts_at.lt(to));
    }
    if f.newest_first {
        if let Some((at, id)) = after {
            q = q.filter(
                bookings::starts_at
                    .lt(at)
                    .or(bookings::starts_at.eq(at).and(bookings::id.lt(id))),
            );
        }
        q.order((bookings::starts_at.desc(), bookings::id.desc()))
            .load(conn)
    } else {
        if let Some((at, id)) = after {
            q = q.filter(
                bookings::starts_at
                    .gt(at)
                    .or(bookings::starts_at.eq(at).and(bookings::id.gt(id))),
            );
        }
        q.order((bookings::starts_at.asc(), bookings::id.asc()))
            .load(conn)
    }
}

/// The merchant and completion time of a booking the consumer completed (what makes it
/// reviewable).
pub fn completed(
    conn: &mut PgConnection,
    consumer: Uuid,
    booking_id: Uuid,
) -> QueryResult<Option<(Uuid, DateTime<Utc>)>> {
    let merchant: Option<Uuid> = bookings::table
        .filter(bookings::id.eq(booking_id))
        .filter(bookings::consumer_id.eq(consumer))
        .filter(bookings::status.eq(BookingStatus::Completed))
        .select(bookings::merchant_id)
        .first(conn)
        .optional()?;
    let Some(merchant) = merchant else {
        return Ok(None);
    };
    let at = crate::history::reached_at(
        conn,
        crate::history::Of::Booking,
        booking_id,
        BookingStatus::Completed.as_str(),
    )?;
    Ok(Some((merchant, at.unwrap_or_else(Utc::now))))
}

/// The booking as a purchase, locked until the caller's transaction ends (`None`: no such
/// booking). Its price is what was paid; bookings have no money path yet, so nothing is
/// refunded here.
pub fn purchase(
    conn: &mut PgConnection,
    booking_id: Uuid,
) -> QueryResult<Option<crate::lifecycle::Purchase>> {
    let Some(b) = find_for_update(conn, booking_id).optional()? else {
        return Ok(None);
    };
    let completed_at = match b.status {
        BookingStatus::Completed => crate::history::reached_at(
            conn,
            crate::history::Of::Booking,
            booking_id,
            BookingStatus::Completed.as_str(),
        )?,
        _ => None,
    };
    Ok(Some(crate::lifecycle::Purchase {
        consumer_id: b.consumer_id,
        merchant_id: b.merchant_id,
        completed_at,
        paid_cents: b.price_cents,
        refunded_cents: 0,
    }))
}
