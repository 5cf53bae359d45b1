//! Order, item, proof, safety-check, refund, event and settings rows and their queries. The
//! caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use uuid::Uuid;

use super::rules::{OrderKind, OrderStatus};
use crate::error::{AppError, AppResult};
use crate::http::pagination::TimeCursor;
use crate::ledger::{self, Funding};
use crate::schema::{handoff_proofs, order_items, order_settings, orders, refunds, safety_checks};

/// A merchant's ordering rules (defaults until it saves its own).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = order_settings, check_for_backend(diesel::pg::Pg))]
pub struct Settings {
    pub merchant_id: Uuid,
    pub min_order_cents: i64,
    pub packaging_fee_cents: i64,
    pub delivery_fee_cents: i64,
    pub accept_within_minutes: i32,
    pub prep_minutes: i32,
    pub auto_complete_hours: i32,
    pub late_tiers: serde_json::Value,
    pub late_cap_percent: i32,
}

impl Settings {
    pub fn defaults(merchant_id: Uuid) -> Self {
        Self {
            merchant_id,
            min_order_cents: 0,
            packaging_fee_cents: 0,
            delivery_fee_cents: 0,
            accept_within_minutes: 10,
            prep_minutes: 20,
            auto_complete_hours: 24,
            late_tiers: serde_json::json!([[10, 300], [20, 600], [40, 1000]]),
            late_cap_percent: 30,
        }
    }

    /// The lateness tiers as `(minutes, cents)`.
    pub fn tiers(&self) -> Vec<(i64, i64)> {
        serde_json::from_value::<Vec<(i64, i64)>>(self.late_tiers.clone()).unwrap_or_default()
    }
}

pub fn settings(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Settings> {
    Ok(order_settings::table
        .find(merchant_id)
        .select(Settings::as_select())
        .first(conn)
        .optional()?
        .unwrap_or_else(|| Settings::defaults(merchant_id)))
}

pub fn save_settings(conn: &mut PgConnection, s: &Settings) -> QueryResult<Settings> {
    diesel::insert_into(order_settings::table)
        .values(s)
        .on_conflict(order_settings::merchant_id)
        .do_update()
        .set((s, order_settings::updated_at.eq(Utc::now())))
        .returning(Settings::as_returning())
        .get_result(conn)
}

/// An order.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = orders, check_for_backend(diesel::pg::Pg))]
pub struct Order {
    pub id: Uuid,
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub courier_id: Option<Uuid>,
    pub recipient_name: String,
    pub recipient_phone: String,
    pub address_text: String,
    pub address_lat: f64,
    pub address_lng: f64,
    pub drop_point_note: Option<String>,
    pub delivery_mode: String,
    pub note: Option<String>,
    pub subtotal_cents: i64,
    pub packaging_cents: i64,
    pub delivery_fee_cents: i64,
    pub total_cents: i64,
    pub currency: String,
    pub refunded_cents: i64,
    pub pin: String,
    pub pin_attempts: i32,
    pub respond_by: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    pub pickup_at: Option<DateTime<Utc>>,
    pub item_count: Option<i32>,
    pub requote_cents: Option<i64>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub late_minutes: Option<i32>,
    pub reason: Option<String>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, order: &Order) -> QueryResult<Order> {
    diesel::insert_into(orders::table)
        .values(order)
        .returning(Order::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Order> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .first(conn)
}

impl Order {
    /// 409 `invalid_transition` once the order has ended: no courier or safety check then.
    pub fn ensure_active(&self) -> AppResult<()> {
        if !self.status.is_active() {
            return Err(AppError::Conflict(
                "invalid_transition",
                format!("The order is {}.", self.status),
            ));
        }
        Ok(())
    }
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Order> {
    orders::table
        .find(id)
        .select(Order::as_select())
        .for_update()
        .first(conn)
}

/// Writes the mutable fields back, compare-and-swap on status and version.
pub fn save(conn: &mut PgConnection, from: &Order, to: &Order) -> QueryResult<Option<Order>> {
    diesel::update(
        orders::table
            .filter(orders::id.eq(from.id))
            .filter(orders::status.eq(&from.status))
            .filter(orders::version.eq(from.version)),
    )
    .set((
        orders::status.eq(&to.status),
        orders::courier_id.eq(to.courier_id),
        orders::subtotal_cents.eq(to.subtotal_cents),
        orders::total_cents.eq(to.total_cents),
        orders::pin_attempts.eq(to.pin_attempts),
        orders::promised_at.eq(to.promised_at),
        orders::pickup_at.eq(to.pickup_at),
        orders::item_count.eq(to.item_count),
        orders::requote_cents.eq(to.requote_cents),
        orders::delivered_at.eq(to.delivered_at),
        orders::late_minutes.eq(to.late_minutes),
        orders::reason.eq(&to.reason),
        orders::version.eq(from.version + 1),
    ))
    .returning(Order::as_returning())
    .get_result(conn)
    .optional()
}

/// Counts a wrong PIN (committed even though the handoff is refused).
pub fn count_wrong_pin(conn: &mut PgConnection, id: Uuid) -> QueryResult<i32> {
    diesel::update(orders::table.find(id))
        .set(orders::pin_attempts.eq(orders::pin_attempts + 1))
        .returning(orders::pin_attempts)
        .get_result(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = order_items, check_for_backend(diesel::pg::Pg))]
pub struct Item {
    pub id: Uuid,
    pub order_id: Uuid,
    pub service_id: Uuid,
    pub name: String,
    pub unit_price_cents: i64,
    pub price_unit: String,
    pub quantity: i32,
    pub line_total_cents: i64,
}

pub fn insert_items(conn: &mut PgConnection, items: &[Item]) -> QueryResult<usize> {
    diesel::insert_into(order_items::table)
        .values(items)
        .execute(conn)
}

pub fn items_of(conn: &mut PgConnection, order_ids: &[Uuid]) -> QueryResult<Vec<Item>> {
    order_items::table
        .filter(order_items::order_id.eq_any(order_ids))
        .select(Item::as_select())
        .order(order_items::id)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = handoff_proofs, check_for_backend(diesel::pg::Pg))]
pub struct Proof {
    pub id: Uuid,
    pub order_id: Uuid,
    pub leg: String,
    pub method: String,
    pub drop_point: String,
    pub photo_refs: serde_json::Value,
    pub pin_checked: bool,
    pub item_count: Option<i32>,
    pub recorded_by: Option<Uuid>,
    pub at: DateTime<Utc>,
}

pub fn insert_proof(conn: &mut PgConnection, p: &Proof) -> QueryResult<usize> {
    diesel::insert_into(handoff_proofs::table)
        .values(p)
        .execute(conn)
}

pub fn proofs(conn: &mut PgConnection, order_id: Uuid) -> QueryResult<Vec<Proof>> {
    handoff_proofs::table
        .filter(handoff_proofs::order_id.eq(order_id))
        .select(Proof::as_select())
        .order(handoff_proofs::at)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = safety_checks, check_for_backend(diesel::pg::Pg))]
pub struct SafetyCheck {
    pub id: Uuid,
    pub order_id: Uuid,
    pub role: String,
    pub temperature_c: f64,
    pub ok: bool,
    pub checked_at: DateTime<Utc>,
    pub recorded_by: Option<Uuid>,
}

pub fn insert_check(conn: &mut PgConnection, c: &SafetyCheck) -> QueryResult<usize> {
    diesel::insert_into(safety_checks::table)
        .values(c)
        .execute(conn)
}

pub fn checks(conn: &mut PgConnection, order_id: Uuid) -> QueryResult<Vec<SafetyCheck>> {
    safety_checks::table
        .filter(safety_checks::order_id.eq(order_id))
        .select(SafetyCheck::as_select())
        .order(safety_checks::checked_at)
        .load(conn)
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = refunds, check_for_backend(diesel::pg::Pg))]
pub struct Refund {
    pub id: Uuid,
    pub order_id: Uuid,
    pub amount_cents: i64,
    pub kind: String,
    pub reason: String,
    pub status: String,
    pub created_by: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// Records a refund. The order's `refunded_cents` rises in the same statement that the CHECK
/// `orders_refunds_within_total` guards, so refunds can never exceed the total, however many
/// arrive at once: 409 `refund_exceeds_total`.
pub fn refund(
    conn: &mut PgConnection,
    order_id: Uuid,
    amount: i64,
    kind: &str,
    reason: &str,
    by: Option<Uuid>,
) -> AppResult<Refund> {
    refund_funded(conn, order_id, amount, kind, reason, by, Funding::Merchant)
}

/// [`refund`], paid by `funding` (an operator may have the platform pay it).
pub fn refund_funded(
    conn: &mut PgConnection,
    order_id: Uuid,
    amount: i64,
    kind: &str,
    reason: &str,
    by: Option<Uuid>,
    funding: Funding,
) -> AppResult<Refund> {
    let raised = diesel::update(orders::table.find(order_id))
        .set(orders::refunded_cents.eq(orders::refunded_cents + amount))
        .returning(orders::merchant_id)
        .get_result::<Uuid>(conn);
    let merchant_id = match raised {
        Err(DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info))
            if info.constraint_name() == Some("orders_refunds_within_total") =>
        {
            return Err(AppError::Conflict(
                "refund_exceeds_total",
                "Refunds would exceed the order's total.".into(),
            ))
        }
        other => other?,
    };
    let row = Refund {
        id: Uuid::now_v7(),
        order_id,
        amount_cents: amount,
        kind: kind.to_owned(),
        reason: reason.to_owned(),
        status: "pending".to_owned(),
        created_by: by,
        created_at: Utc::now(),
    };
    diesel::insert_into(refunds::table)
        .values(&row)
        .execute(conn)?;
    ledger::refund_requested(
        conn,
        &crate::jobs::RefundRequest {
            subject_kind: "order".into(),
            subject_id: order_id,
            source_key: row.id.to_string(),
            amount_cents: amount,
            reason: row.reason.clone(),
        },
        merchant_id,
        funding,
    )?;
    Ok(row)
}

pub fn refunds_of(conn: &mut PgConnection, order_id: Uuid) -> QueryResult<Vec<Refund>> {
    refunds::table
        .filter(refunds::order_id.eq(order_id))
        .select(Refund::as_select())
        .order(refunds::created_at)
        .load(conn)
}

/// Which orders a list shows; newest first.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub consumer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
    /// Orders assigned to any of these couriers (an account's worker rows).
    pub courier_ids: Option<Vec<Uuid>>,
    pub status: Option<OrderStatus>,
    /// Only orders that were paid (the merchant's board: unpaid ones never reach it).
    pub paid_only: bool,
}

pub fn list(
    conn: &mut PgConnection,
    f: &ListFilter,
    after: Option<TimeCursor>,
    limit: i64,
) -> QueryResult<Vec<Order>> {
    let mut q = orders::table
        .select(Order::as_select())
        .order((orders::created_at.desc(), orders::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(id) = f.consumer_id {
        q = q.filter(orders::consumer_id.eq(id));
    }
    if let Some(id) = f.merchant_id {
        q = q.filter(orders::merchant_id.eq(id));
    }
    if let Some(ids) = &f.courier_ids {
        q = q.filter(orders::courier_id.eq_any(ids.clone()));
    }
    if let Some(status) = &f.status {
        q = q.filter(orders::status.eq(*status));
    }
    if f.paid_only {
        q = q.filter(orders::status.ne_all([OrderStatus::AwaitingPayment, OrderStatus::Closed]));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            orders::created_at
                .lt(at)
                .or(orders::created_at.eq(at).and(orders::id.lt(id))),
        );
    }
    q.load(conn)
}

/// The merchant and delivery time of an order delivered to the consumer (what makes it
/// reviewable).
pub fn delivered(
    conn: &mut PgConnection,
    consumer: Uuid,
    order_id: Uuid,
) -> QueryResult<Option<(Uuid, DateTime<Utc>)>> {
    let row: Option<(Uuid, Option<DateTime<Utc>>)> = orders::table
        .filter(orders::id.eq(order_id))
        .filter(orders::consumer_id.eq(consumer))
        .filter(orders::status.eq_any([OrderStatus::Delivered, OrderStatus::Completed]))
        .select((orders::merchant_id, orders::delivered_at))
        .first(conn)
        .optional()?;
    Ok(row.map(|(m, at)| (m, at.unwrap_or_else(Utc::now))))
}
