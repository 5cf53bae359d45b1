//! A prepaid booking's side of its payment, for `payments` above: what there is to pay, the
//! booking paid, cancelled unpaid, and the money given back when it ends without the service.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::OptionalExtension;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::RefundRequest;
use crate::ledger::{self, Funding};
use crate::lifecycle::Payable;
use crate::schema::bookings;

use super::models::{self, Booking};
use super::rules::{Actor, BookingAction, BookingStatus};

/// What the consumer pays for a prepaid booking, locked until the caller's transaction ends;
/// `None` when it is not theirs (or does not exist), 409 `not_prepaid` when it is paid at the
/// shop.
pub fn payable(
    conn: &mut PgConnection,
    booking_id: Uuid,
    consumer_id: Uuid,
) -> AppResult<Option<Payable>> {
    let Some(b) = models::find_for_update(conn, booking_id)
        .optional()?
        .filter(|b| b.consumer_id == consumer_id)
    else {
        return Ok(None);
    };
    if !b.prepaid {
        return Err(AppError::Conflict(
            crate::error::codes::NOT_PREPAID,
            "This booking is paid at the merchant, not in advance.".into(),
        ));
    }
    let merchant = crate::merchants::find(conn, b.merchant_id)?;
    Ok(Some(Payable {
        consumer_id: b.consumer_id,
        merchant_id: b.merchant_id,
        amount_cents: b.price_cents,
        description: format!("{} {}", merchant.display_name, b.service_name),
        awaiting: b.paid_at.is_none() && b.status.is_active(),
        latest: Some(b.starts_at),
        created_at: b.created_at,
    }))
}

/// The prepaid booking is paid. `None` when it no longer waits for its payment (cancelled,
/// declined or expired meanwhile): the caller refunds the payment.
pub fn paid(
    conn: &mut PgConnection,
    booking_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<Option<Booking>> {
    let b = models::find_for_update(conn, booking_id)?;
    if b.paid_at.is_some() || !b.status.is_active() {
        return Ok(None);
    }
    let saved = diesel::update(bookings::table.find(booking_id))
        .set((
            bookings::paid_at.eq(at),
            bookings::updated_at.eq(Utc::now()),
        ))
        .returning(Booking::as_returning())
        .get_result(conn)?;
    Ok(Some(saved))
}

/// Cancels a prepaid booking that is still unpaid, without a fee; whether it did.
pub fn close_unpaid(conn: &mut PgConnection, booking_id: Uuid) -> AppResult<bool> {
    let b = models::find_for_update(conn, booking_id)?;
    if b.paid_at.is_some() || !b.status.is_active() {
        return Ok(false);
    }
    let reason = "未在支付时限内支付 / not paid in time";
    super::actions::apply(
        conn,
        &b,
        BookingAction::Cancel,
        Actor::System,
        None,
        Some(reason),
        |next| {
            next.cancelled_by = Some(Actor::System);
            next.cancel_fee_cents = Some(0);
            next.cancel_reason = Some(reason.to_owned());
            Ok(())
        },
    )?;
    Ok(true)
}

/// 409 `payment_pending` when a prepaid booking is not paid yet and `action` would go on with
/// it (confirm it, start or finish the service, record a no-show).
pub fn ensure_paid(b: &Booking, action: BookingAction) -> AppResult<()> {
    let goes_on = matches!(
        action,
        BookingAction::Confirm
            | BookingAction::CheckIn
            | BookingAction::Complete
            | BookingAction::NoShow
    );
    if goes_on && b.prepaid && b.paid_at.is_none() {
        return Err(AppError::Conflict(
            crate::error::codes::PAYMENT_PENDING,
            "The booking is not paid yet.".into(),
        ));
    }
    Ok(())
}

/// What a paid booking that just ended gives back: everything when the service did not happen
/// through no fault of the consumer (declined, expired, cancelled by the merchant, the merchant
/// did not come), the price less the fee when the consumer cancelled, nothing when it was
/// served or the consumer did not come.
pub fn refund_due(b: &Booking) -> i64 {
    if !b.prepaid || b.paid_at.is_none() {
        return 0;
    }
    match b.status {
        BookingStatus::Declined | BookingStatus::Expired => b.price_cents,
        BookingStatus::Cancelled => {
            b.price_cents - b.cancel_fee_cents.unwrap_or(0).min(b.price_cents)
        }
        BookingStatus::NoShow if b.no_show_party.as_deref() == Some("merchant") => b.price_cents,
        _ => 0,
    }
}

/// Asks for the refund a paid booking's end is due (see [`refund_due`]), in the caller's
/// transaction, once per booking however often it is asked; and releases the rest of what was
/// paid to the merchant.
pub fn refund_on_end(conn: &mut PgConnection, b: &Booking) -> AppResult<()> {
    let amount = refund_due(b);
    if amount > 0 {
        ledger::refund_requested(
            conn,
            &RefundRequest {
                subject_kind: "booking".into(),
                subject_id: b.id,
                source_key: format!("booking:{}:{}", b.id, b.status),
                amount_cents: amount,
                reason: b
                    .cancel_reason
                    .clone()
                    .unwrap_or_else(|| format!("booking {}", b.status)),
            },
            b.merchant_id,
            Funding::Merchant,
        )?;
    }
    // What the refund leaves (a cancellation fee; everything once served or when the consumer
    // did not come) is the merchant's.
    if b.prepaid && b.paid_at.is_some() && amount < b.price_cents {
        let category = crate::catalog::find(conn, b.service_id)?.category;
        let rate = ledger::rates::of(conn, &category)?;
        ledger::release(conn, ledger::Subject::booking(b.id), b.merchant_id, rate)?;
    }
    Ok(())
}
