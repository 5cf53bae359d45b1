//! The payments, refunds and notifications tables. Each function takes the caller's
//! connection; the caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::http::pagination::TimeCursor;
use crate::pay::Method;
use crate::schema::{payment_notifications, payment_refunds, payments};

use super::rules::{Outcome, PaymentStatus, RefundStatus, SubjectKind};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payments, check_for_backend(diesel::pg::Pg))]
pub struct Payment {
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    pub method: Method,
    pub out_trade_no: String,
    pub amount_cents: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub prepay_id: Option<String>,
    pub sheet: Option<serde_json::Value>,
    pub transaction_id: Option<String>,
    pub refunded_cents: i64,
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_refunds, check_for_backend(diesel::pg::Pg))]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub source_key: String,
    pub out_refund_no: String,
    pub amount_cents: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub provider_refund_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payment_notifications, check_for_backend(diesel::pg::Pg))]
pub struct Notification {
    pub id: Uuid,
    pub method: Method,
    pub event_key: Option<String>,
    pub headers: serde_json::Value,
    pub body: Vec<u8>,
    pub outcome: Outcome,
    pub reason: Option<String>,
    pub payment_id: Option<Uuid>,
    pub received_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, p: &Payment) -> QueryResult<Payment> {
    diesel::insert_into(payments::table)
        .values(p)
        .returning(Payment::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Payment> {
    payments::table
        .find(id)
        .select(Payment::as_select())
        .first(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Payment> {
    payments::table
        .find(id)
        .select(Payment::as_select())
        .for_update()
        .first(conn)
}

pub fn by_trade_no_for_update(
    conn: &mut PgConnection,
    out_trade_no: &str,
) -> QueryResult<Option<Payment>> {
    payments::table
        .filter(payments::out_trade_no.eq(out_trade_no))
        .select(Payment::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The subject's payment that is open or was taken (at most one, by a partial unique index),
/// locked.
pub fn live_for_update(
    conn: &mut PgConnection,
    kind: SubjectKind,
    subject_id: Uuid,
) -> QueryResult<Option<Payment>> {
    payments::table
        .filter(payments::subject_kind.eq(kind))
        .filter(payments::subject_id.eq(subject_id))
        .filter(payments::status.eq_any([PaymentStatus::Pending, PaymentStatus::Succeeded]))
        .select(Payment::as_select())
        .for_update()
        .first(conn)
        .optional()
}

/// The consumer's payments, oldest first.
pub fn of_consumer(conn: &mut PgConnection, consumer_id: Uuid) -> QueryResult<Vec<Payment>> {
    payments::table
        .filter(payments::consumer_id.eq(consumer_id))
        .select(Payment::as_select())
        .order(payments::created_at)
        .load(conn)
}

/// The consumer's payments for one subject, newest first (closed ones included).
pub fn of_subject(
    conn: &mut PgConnection,
    kind: SubjectKind,
    subject_id: Uuid,
) -> QueryResult<Vec<Payment>> {
    payments::table
        .filter(payments::subject_kind.eq(kind))
        .filter(payments::subject_id.eq(subject_id))
        .select(Payment::as_select())
        .order(payments::created_at.desc())
        .load(conn)
}

/// Keeps what the app needs to open the payment sheet, unless it is already kept.
pub fn set_sheet(
    conn: &mut PgConnection,
    id: Uuid,
    prepay_id: &str,
    sheet: &serde_json::Value,
) -> QueryResult<Payment> {
    diesel::update(payments::table.find(id).filter(payments::sheet.is_null()))
        .set((payments::prepay_id.eq(prepay_id), payments::sheet.eq(sheet)))
        .execute(conn)?;
    find(conn, id)
}

/// `pending -> succeeded`, compare-and-swap: `None` when it was not pending.
pub fn mark_succeeded(
    conn: &mut PgConnection,
    id: Uuid,
    transaction_id: &str,
    paid_at: DateTime<Utc>,
) -> QueryResult<Option<Payment>> {
    diesel::update(
        payments::table
            .find(id)
            .filter(payments::status.eq(PaymentStatus::Pending)),
    )
    .set((
        payments::status.eq(PaymentStatus::Succeeded),
        payments::transaction_id.eq(transaction_id),
        payments::paid_at.eq(paid_at),
        payments::ended_at.eq(Utc::now()),
    ))
    .returning(Payment::as_returning())
    .get_result(conn)
    .optional()
}

/// `pending -> closed | failed`, compare-and-swap: whether it was pending.
pub fn mark_ended(conn: &mut PgConnection, id: Uuid, to: PaymentStatus) -> QueryResult<bool> {
    Ok(diesel::update(
        payments::table
            .find(id)
            .filter(payments::status.eq(PaymentStatus::Pending)),
    )
    .set((payments::status.eq(to), payments::ended_at.eq(Utc::now())))
    .execute(conn)?
        == 1)
}

/// Raises (or, for a failed refund, lowers) what is being refunded of the payment. The CHECK
/// `payments_refunds_within_amount` refuses more than was paid.
pub fn add_refunded(conn: &mut PgConnection, id: Uuid, amount: i64) -> QueryResult<usize> {
    diesel::update(payments::table.find(id))
        .set(payments::refunded_cents.eq(payments::refunded_cents + amount))
        .execute(conn)
}

pub fn insert_refund(conn: &mut PgConnection, r: &Refund) -> QueryResult<Refund> {
    diesel::insert_into(payment_refunds::table)
        .values(r)
        .returning(Refund::as_returning())
        .get_result(conn)
}

pub fn refund_by_source(conn: &mut PgConnection, source_key: &str) -> QueryResult<Option<Refund>> {
    payment_refunds::table
        .filter(payment_refunds::source_key.eq(source_key))
        .select(Refund::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn refund_by_no_for_update(
    conn: &mut PgConnection,
    out_refund_no: &str,
) -> QueryResult<Option<Refund>> {
    payment_refunds::table
        .filter(payment_refunds::out_refund_no.eq(out_refund_no))
        .select(Refund::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn refunds_of(conn: &mut PgConnection, payment_ids: &[Uuid]) -> QueryResult<Vec<Refund>> {
    payment_refunds::table
        .filter(payment_refunds::payment_id.eq_any(payment_ids))
        .select(Refund::as_select())
        .order(payment_refunds::created_at)
        .load(conn)
}

/// Records what the provider said of a refund: its id while processing, or its end.
pub fn update_refund(
    conn: &mut PgConnection,
    id: Uuid,
    status: RefundStatus,
    provider_refund_id: Option<&str>,
    failure: Option<&str>,
) -> QueryResult<usize> {
    let ended = (status != RefundStatus::Requested).then(Utc::now);
    diesel::update(
        payment_refunds::table
            .find(id)
            .filter(payment_refunds::status.eq(RefundStatus::Requested)),
    )
    .set((
        payment_refunds::status.eq(status),
        payment_refunds::provider_refund_id.eq(provider_refund_id),
        payment_refunds::failure.eq(failure),
        payment_refunds::ended_at.eq(ended),
    ))
    .execute(conn)
}

/// Keeps a notification unless the same event was already processed or flagged; `false` when
/// it was (the partial unique index `payment_notifications_event` decides, also between
/// deliveries that arrive at once).
pub fn insert_notification(conn: &mut PgConnection, n: &Notification) -> QueryResult<bool> {
    let inserted = diesel::insert_into(payment_notifications::table)
        .values(n)
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(inserted == 1)
}

pub fn set_outcome(
    conn: &mut PgConnection,
    id: Uuid,
    outcome: Outcome,
    reason: Option<&str>,
    payment_id: Option<Uuid>,
) -> QueryResult<usize> {
    diesel::update(payment_notifications::table.find(id))
        .set((
            payment_notifications::outcome.eq(outcome),
            payment_notifications::reason.eq(reason),
            payment_notifications::payment_id.eq(payment_id),
        ))
        .execute(conn)
}

/// Notifications with `outcome`, newest first.
pub fn notifications(
    conn: &mut PgConnection,
    outcome: Outcome,
    after: Option<TimeCursor>,
    limit: i64,
) -> QueryResult<Vec<Notification>> {
    let mut q = payment_notifications::table
        .filter(payment_notifications::outcome.eq(outcome))
        .select(Notification::as_select())
        .order((
            payment_notifications::received_at.desc(),
            payment_notifications::id.desc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            payment_notifications::received_at
                .lt(at)
                .or(payment_notifications::received_at
                    .eq(at)
                    .and(payment_notifications::id.lt(id))),
        );
    }
    q.load(conn)
}
