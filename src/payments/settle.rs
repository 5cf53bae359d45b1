//! What a provider's verified word does to a payment or a refund, whether it came as a
//! notification, as the answer to a query, or as the answer to a refund request: one place
//! for all three.

use chrono::{DateTime, Utc};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};

use crate::error::AppResult;
use crate::jobs::RefundRequest;
use crate::ledger::{self, Subject};
use crate::pay::{Method, Paid};
use crate::{booking, orders};

use super::models::{self, Payment, Refund};
use super::rules::{self, Mismatch, PaymentStatus, RefundStatus, SubjectKind};

/// Whether the word changed something or found it already so.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applied {
    Changed,
    AlreadySo,
}

/// The provider took the payment: it succeeds and its order or booking goes on (or, if that
/// closed meanwhile, the money goes back). A report that does not match changes nothing.
pub fn paid(
    conn: &mut PgConnection,
    payment: &Payment,
    report: &Paid,
) -> AppResult<Result<Applied, Mismatch>> {
    if let Err(m) = rules::check_paid(
        payment.amount_cents,
        payment.transaction_id.as_deref(),
        report,
    ) {
        return Ok(Err(m));
    }
    match payment.status {
        PaymentStatus::Succeeded => return Ok(Ok(Applied::AlreadySo)),
        PaymentStatus::Failed | PaymentStatus::Closed => return Ok(Err(Mismatch::NotPending)),
        PaymentStatus::Pending => {}
    }
    // A transaction id the provider already gave another payment is its mistake to flag, not
    // a 500 to retry forever (the savepoint keeps the inbox row the caller is writing).
    let marked = conn.transaction(|c| {
        models::mark_succeeded(c, payment.id, &report.transaction_id, report.paid_at)
    });
    let saved = match marked {
        Err(DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some("payments_transaction_id_key") =>
        {
            return Ok(Err(Mismatch::Transaction))
        }
        other => other?,
    };
    let Some(saved) = saved else {
        return Ok(Ok(Applied::AlreadySo));
    };
    ledger::payment_received(
        conn,
        &ledger::Received {
            subject: subject_of(&saved),
            merchant_id: saved.merchant_id,
            payment_id: saved.id,
            method: saved.method,
            transaction_id: &report.transaction_id,
            amount_cents: saved.amount_cents,
            paid_at: report.paid_at,
        },
    )?;
    subject_paid(conn, &saved, report.paid_at)?;
    Ok(Ok(Applied::Changed))
}

fn subject_of(p: &Payment) -> Subject {
    match p.subject_kind {
        SubjectKind::Order => Subject::order(p.subject_id),
        SubjectKind::Booking => Subject::booking(p.subject_id),
    }
}

fn subject_paid(conn: &mut PgConnection, p: &Payment, at: DateTime<Utc>) -> AppResult<()> {
    let went_on = match p.subject_kind {
        SubjectKind::Order => orders::paid(conn, p.subject_id, at)?.is_some(),
        SubjectKind::Booking => booking::paid(conn, p.subject_id, at)?.is_some(),
    };
    if !went_on {
        ledger::refund_requested(
            conn,
            &RefundRequest {
                subject_kind: p.subject_kind.as_str().into(),
                subject_id: p.subject_id,
                source_key: format!("late:{}", p.id),
                amount_cents: p.amount_cents,
                reason: "支付时订单已关闭 / paid after it had closed".into(),
            },
            p.merchant_id,
            ledger::Funding::Merchant,
        )?;
    }
    Ok(())
}

/// The payment is closed (or failed) at the provider: so it is here, and its order or booking
/// closes unpaid.
pub fn closed(conn: &mut PgConnection, payment: &Payment, to: PaymentStatus) -> AppResult<Applied> {
    if !models::mark_ended(conn, payment.id, to)? {
        return Ok(Applied::AlreadySo);
    }
    close_subject(conn, payment.subject_kind, payment.subject_id)?;
    Ok(Applied::Changed)
}

/// Closes an order or a prepaid booking that still waits for its payment.
pub fn close_subject(conn: &mut PgConnection, kind: SubjectKind, id: uuid::Uuid) -> AppResult<()> {
    match kind {
        SubjectKind::Order => orders::close_unpaid(conn, id)?,
        SubjectKind::Booking => booking::close_unpaid(conn, id)?,
    };
    Ok(())
}

/// The provider ended a refund. A report of a refund we did not ask for, or of another amount,
/// changes nothing. Alipay reports the trade's refunded total so far (`refund_fee`), not the
/// refund's own amount: that must cover this refund and stay within the payment.
pub fn refund_ended(
    conn: &mut PgConnection,
    payment: &Payment,
    out_refund_no: &str,
    refund_id: &str,
    amount_cents: i64,
    succeeded: bool,
) -> AppResult<Result<Applied, Mismatch>> {
    let Some(r) = models::refund_by_no_for_update(conn, out_refund_no)? else {
        return Ok(Err(Mismatch::Refund));
    };
    let amount_matches = match payment.method {
        Method::Wechat => r.amount_cents == amount_cents,
        Method::Alipay => (r.amount_cents..=payment.amount_cents).contains(&amount_cents),
    };
    if r.payment_id != payment.id || !amount_matches {
        return Ok(Err(Mismatch::Refund));
    }
    if r.status != RefundStatus::Requested {
        return Ok(Ok(Applied::AlreadySo));
    }
    let failure = (!succeeded).then_some("the provider could not refund it");
    finish(conn, &r, succeeded, Some(refund_id), failure)?;
    Ok(Ok(Applied::Changed))
}

/// Ends a requested refund. A failed one no longer counts against what may be refunded.
pub fn finish(
    conn: &mut PgConnection,
    r: &Refund,
    succeeded: bool,
    provider_refund_id: Option<&str>,
    failure: Option<&str>,
) -> AppResult<()> {
    let status = if succeeded {
        RefundStatus::Succeeded
    } else {
        RefundStatus::Failed
    };
    if models::update_refund(conn, r.id, status, provider_refund_id, failure)? == 0 {
        return Ok(());
    }
    if !succeeded {
        models::add_refunded(conn, r.payment_id, -r.amount_cents)?;
    }
    let payment = models::find(conn, r.payment_id)?;
    ledger::refund_ended(
        conn,
        &r.source_key,
        Some(payment.method),
        succeeded,
        provider_refund_id,
    )?;
    if payment.subject_kind == SubjectKind::Order {
        orders::refund_ended(conn, &r.source_key, succeeded)?;
    }
    Ok(())
}
