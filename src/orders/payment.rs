//! The order's side of its payment, for `payments` above: what there is to pay, the order
//! paid (it reaches the merchant then), closed unpaid, and a refund's end.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::OptionalExtension;
use uuid::Uuid;

use crate::error::AppResult;
use crate::ledger;
use crate::lifecycle::Payable;
use crate::merchants;
use crate::schema::{orders, refunds};

use super::models::{self, Order};
use super::rules::{Actor, OrderAction, OrderStatus};

/// What the consumer pays for the order, locked until the caller's transaction ends; `None`
/// when it is not theirs (or does not exist).
pub fn payable(
    conn: &mut PgConnection,
    order_id: Uuid,
    consumer_id: Uuid,
) -> AppResult<Option<Payable>> {
    let Some(order) = models::find_for_update(conn, order_id)
        .optional()?
        .filter(|o| o.consumer_id == consumer_id)
    else {
        return Ok(None);
    };
    let merchant = merchants::find(conn, order.merchant_id)?;
    Ok(Some(Payable {
        consumer_id: order.consumer_id,
        merchant_id: order.merchant_id,
        amount_cents: order.total_cents,
        description: format!("{} 订单 {}", merchant.display_name, super::short_id(&order)),
        awaiting: order.status == OrderStatus::AwaitingPayment,
        latest: None,
        created_at: order.created_at,
    }))
}

/// The order is paid: it is `placed`, the merchant's members hear of it and its time to answer
/// starts. `None` when it no longer waits for its payment (closed or cancelled meanwhile): the
/// caller refunds the payment.
pub fn paid(
    conn: &mut PgConnection,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<Option<Order>> {
    let order = models::find_for_update(conn, order_id)?;
    if order.status != OrderStatus::AwaitingPayment {
        return Ok(None);
    }
    let settings = models::settings(conn, order.merchant_id)?;
    let respond_by =
        at.max(Utc::now()) + Duration::minutes(i64::from(settings.accept_within_minutes));
    let saved: Order = diesel::update(
        orders::table
            .filter(orders::id.eq(order_id))
            .filter(orders::status.eq(OrderStatus::AwaitingPayment)),
    )
    .set((
        orders::status.eq(OrderStatus::Placed),
        orders::respond_by.eq(respond_by),
        orders::version.eq(orders::version + 1),
    ))
    .returning(Order::as_returning())
    .get_result(conn)?;
    super::record_change(
        conn,
        &saved,
        Some(OrderStatus::AwaitingPayment.as_str()),
        OrderAction::Pay.as_str(),
        Actor::System,
        None,
        None,
    )?;
    let merchant = merchants::find(conn, saved.merchant_id)?;
    super::place::tell_merchant(conn, &merchant, &saved)?;
    super::timers::schedule(conn, super::timers::EXPIRE, saved.id, respond_by)?;
    Ok(Some(saved))
}

/// Closes the order if it still waits for its payment; whether it did.
pub fn close_unpaid(conn: &mut PgConnection, order_id: Uuid) -> AppResult<bool> {
    let order = models::find_for_update(conn, order_id)?;
    if order.status != OrderStatus::AwaitingPayment {
        return Ok(false);
    }
    let mut next = order.clone();
    next.status = OrderStatus::Closed;
    next.reason = Some("未在支付时限内支付 / not paid in time".to_owned());
    let Some(saved) = models::save(conn, &order, &next)? else {
        return Ok(false);
    };
    super::record_change(
        conn,
        &saved,
        Some(order.status.as_str()),
        OrderAction::CloseUnpaid.as_str(),
        Actor::System,
        None,
        saved.reason.as_deref(),
    )?;
    Ok(true)
}

/// The completed order's earnings (what its refunds left) go to the merchant, less the
/// commission of its category: that of its first item's service.
pub fn release(conn: &mut PgConnection, order: &Order) -> AppResult<()> {
    let items = models::items_of(conn, &[order.id])?;
    let Some(item) = items.first() else {
        return Ok(());
    };
    let category = crate::catalog::find(conn, item.service_id)?.category;
    let rate = ledger::rates::of(conn, &category)?;
    ledger::release(
        conn,
        ledger::Subject::order(order.id),
        order.merchant_id,
        rate,
    )?;
    Ok(())
}

/// Records how the provider ended one of the order's refunds (`source_key` is the refund's
/// id, as [`models::refund`] asked for it).
pub fn refund_ended(conn: &mut PgConnection, source_key: &str, succeeded: bool) -> AppResult<()> {
    let Ok(id) = Uuid::parse_str(source_key) else {
        return Ok(());
    };
    diesel::update(refunds::table.find(id))
        .set(refunds::status.eq(if succeeded { "succeeded" } else { "failed" }))
        .execute(conn)?;
    Ok(())
}
