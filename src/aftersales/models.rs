//! After-sales request rows and their queries. The caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use super::rules::{Decision, RequestKind, RequestStatus, SubjectKind};
use crate::error::{codes, AppError, AppResult};
use crate::http::pagination::TimeCursor;
use crate::schema::after_sales_requests as requests;

/// An after-sales request.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = requests, check_for_backend(diesel::pg::Pg))]
pub struct Request {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub kind: RequestKind,
    pub status: RequestStatus,
    pub paid_cents: i64,
    pub requested_cents: Option<i64>,
    pub offered_cents: Option<i64>,
    pub refund_cents: Option<i64>,
    pub reason: String,
    pub photo_refs: serde_json::Value,
    pub answer: Option<String>,
    pub decision: Option<Decision>,
    pub decision_reason: Option<String>,
    pub decided_by: Option<Uuid>,
    pub respond_by: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

/// Inserts a new request; a second open one for the subject is 409 `after_sales_open` (the
/// partial unique index `after_sales_one_open`, which concurrent requests meet too).
pub fn insert(conn: &mut PgConnection, r: &Request) -> AppResult<Request> {
    match diesel::insert_into(requests::table)
        .values(r)
        .returning(Request::as_returning())
        .get_result(conn)
    {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some("after_sales_one_open") =>
        {
            Err(AppError::Conflict(
                codes::AFTER_SALES_OPEN,
                "This already has an after-sales request under way.".into(),
            ))
        }
        other => Ok(other?),
    }
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Request> {
    requests::table
        .find(id)
        .select(Request::as_select())
        .first(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Request> {
    requests::table
        .find(id)
        .select(Request::as_select())
        .for_update()
        .first(conn)
}

/// Writes a changed request back, compare-and-swap on status and version: `None` if it moved.
pub fn save(conn: &mut PgConnection, from: &Request, to: &Request) -> QueryResult<Option<Request>> {
    diesel::update(
        requests::table
            .filter(requests::id.eq(from.id))
            .filter(requests::status.eq(from.status))
            .filter(requests::version.eq(from.version)),
    )
    .set((
        requests::status.eq(to.status),
        requests::offered_cents.eq(to.offered_cents),
        requests::refund_cents.eq(to.refund_cents),
        requests::answer.eq(&to.answer),
        requests::decision.eq(to.decision),
        requests::decision_reason.eq(&to.decision_reason),
        requests::decided_by.eq(to.decided_by),
        requests::updated_at.eq(Utc::now()),
        requests::version.eq(from.version + 1),
    ))
    .returning(Request::as_returning())
    .get_result(conn)
    .optional()
}

/// What earlier requests about a booking agreed to refund (bookings have no money path yet, so
/// the requests are where those refunds are recorded).
pub fn booking_refunds(conn: &mut PgConnection, booking_id: Uuid) -> QueryResult<i64> {
    let amounts: Vec<Option<i64>> = requests::table
        .filter(requests::subject_kind.eq(SubjectKind::Booking))
        .filter(requests::subject_id.eq(booking_id))
        .select(requests::refund_cents)
        .load(conn)?;
    Ok(amounts.into_iter().flatten().sum())
}

/// Which requests a list shows; newest first.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub consumer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    pub status: Option<RequestStatus>,
}

pub fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    after: Option<TimeCursor>,
    limit: i64,
) -> QueryResult<Vec<Request>> {
    let mut q = requests::table
        .select(Request::as_select())
        .order((requests::created_at.desc(), requests::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(id) = f.consumer_id {
        q = q.filter(requests::consumer_id.eq(id));
    }
    if let Some(id) = f.merchant_id {
        q = q.filter(requests::merchant_id.eq(id));
    }
    if let Some(status) = f.status {
        q = q.filter(requests::status.eq(status));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            requests::created_at
                .lt(at)
                .or(requests::created_at.eq(at).and(requests::id.lt(id))),
        );
    }
    q.load(conn)
}

/// The person's requests, oldest first (their export).
pub fn of_consumer(conn: &mut PgConnection, consumer: Uuid) -> QueryResult<Vec<Request>> {
    requests::table
        .filter(requests::consumer_id.eq(consumer))
        .select(Request::as_select())
        .order(requests::created_at)
        .load(conn)
}

/// Blanks the reasons of the person's requests (their erasure); the requests stay, as the
/// merchant's and the platform's records.
pub fn erase_reasons(conn: &mut PgConnection, consumer: Uuid, erased: &str) -> QueryResult<usize> {
    diesel::update(requests::table.filter(requests::consumer_id.eq(consumer)))
        .set((
            requests::reason.eq(erased),
            requests::photo_refs.eq(serde_json::json!([])),
        ))
        .execute(conn)
}
