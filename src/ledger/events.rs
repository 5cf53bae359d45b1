//! The money events and their postings (docs/ledger.md has the table). Each runs in the
//! caller's transaction, beside the change it records; each is posted once however often it is
//! asked (its entry's key), except a release, which its caller's state change makes happen once.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{self, RefundRequest};
use crate::pay::Method;
use crate::schema::{ledger_entries, ledger_postings};

use super::platform::{
    CLEARING, COMMISSION_REVENUE, COMPENSATION_EXPENSE, ESCROW, PAYOUTS_IN_TRANSIT, REFUNDS_PENDING,
};
use super::{held_for, lock, post, sum_cents, Entry, MerchantAccount, Subject};

/// Who pays a refund.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Funding {
    /// Out of what the consumer paid the merchant: the escrow while the purchase is open, the
    /// merchant's payable (with the commission on it given back) once it finished.
    #[default]
    Merchant,
    /// Out of the platform's pocket (goodwill, compensation the platform funds): the merchant
    /// keeps its earnings.
    Platform,
}

/// A payment the provider took.
#[derive(Debug, Clone, Copy)]
pub struct Received<'a> {
    pub subject: Subject,
    pub merchant_id: Uuid,
    pub payment_id: Uuid,
    pub method: Method,
    pub transaction_id: &'a str,
    pub amount_cents: i64,
    pub paid_at: DateTime<Utc>,
}

/// The provider took a payment: clearing → escrow of the order or booking.
pub fn payment_received(conn: &mut PgConnection, p: &Received<'_>) -> QueryResult<()> {
    post(
        conn,
        &Entry {
            kind: "payment",
            key: Some(format!("payment:{}", p.payment_id)),
            merchant_id: Some(p.merchant_id),
            subject: Some(p.subject),
            provider: Some(p.method),
            reference: Some(p.transaction_id),
            memo: "payment taken",
            occurred_at: p.paid_at,
            postings: vec![(CLEARING, p.amount_cents), (ESCROW, -p.amount_cents)],
        },
    )?;
    Ok(())
}

/// What was released to the merchant for a subject: the gross and the commission kept.
fn released(conn: &mut PgConnection, subject_id: Uuid) -> QueryResult<(i64, i64)> {
    let rows: Vec<(Uuid, i64)> = ledger_postings::table
        .inner_join(ledger_entries::table)
        .filter(ledger_entries::subject_id.eq(subject_id))
        .filter(ledger_entries::kind.eq("release"))
        .filter(ledger_postings::account_id.eq_any([ESCROW, COMMISSION_REVENUE]))
        .select((ledger_postings::account_id, ledger_postings::amount_cents))
        .load(conn)?;
    Ok(rows.iter().fold((0, 0), |(g, c), (account, amount)| {
        if *account == ESCROW {
            (g + amount, c)
        } else {
            (g, c - amount)
        }
    }))
}

/// A refund was asked for (the provider is asked after commit): what it takes is set aside in
/// `refunds_pending` now, so that no payout can pay it out meanwhile. A merchant-funded refund
/// takes the purchase's escrow first; beyond it (the purchase finished and was released) the
/// merchant's payable, less the commission on that part, which the platform gives back; what the
/// payable cannot cover (paid out already) the platform advances as the merchant's receivable.
/// Nothing is set aside for a purchase that was never paid through a provider. Then queues the
/// `payments.refund` job ([`jobs::refund_requested`]) that asks the provider.
pub fn refund_requested(
    conn: &mut PgConnection,
    request: &RefundRequest,
    merchant_id: Uuid,
    funding: Funding,
) -> AppResult<()> {
    let subject = Subject::parse(&request.subject_kind, request.subject_id)
        .ok_or_else(|| AppError::internal(format!("refund of a {}", request.subject_kind)))?;
    set_aside(conn, subject, merchant_id, request, funding)?;
    jobs::refund_requested(conn, request)
}

fn set_aside(
    conn: &mut PgConnection,
    subject: Subject,
    merchant_id: Uuid,
    request: &RefundRequest,
    funding: Funding,
) -> QueryResult<()> {
    let (source_key, amount_cents) = (request.source_key.as_str(), request.amount_cents);
    let key = Some(format!("refund:{source_key}"));
    let mut postings = Vec::new();
    match funding {
        Funding::Platform => postings.push((COMPENSATION_EXPENSE, amount_cents)),
        Funding::Merchant => {
            let from_escrow = amount_cents.min(held_for(conn, ESCROW, subject.id)?);
            postings.push((ESCROW, from_escrow));
            let rest = amount_cents - from_escrow;
            let (gross, commission) = if rest > 0 {
                released(conn, subject.id)?
            } else {
                (0, 0)
            };
            if gross > 0 {
                let rest = rest.min(gross);
                let commission_back = rest * commission / gross;
                let owed = rest - commission_back;
                let payable = lock(conn, merchant_id, MerchantAccount::Payable)?;
                let from_payable = owed.min(payable.balance_cents);
                postings.push((COMMISSION_REVENUE, commission_back));
                postings.push((payable.id, from_payable));
                if owed > from_payable {
                    let receivable = lock(conn, merchant_id, MerchantAccount::Receivable)?;
                    postings.push((receivable.id, owed - from_payable));
                }
            }
        }
    }
    let set_aside: i64 = postings.iter().map(|(_, a)| a).sum();
    if set_aside == 0 {
        return Ok(());
    }
    if set_aside < amount_cents {
        tracing::warn!(subject = %subject.id, key = %source_key, amount_cents, set_aside,
            "refund above what the purchase holds: the provider will refuse the rest");
    }
    postings.push((REFUNDS_PENDING, -set_aside));
    post(
        conn,
        &Entry {
            kind: "refund",
            key,
            merchant_id: Some(merchant_id),
            subject: Some(subject),
            provider: None,
            reference: None,
            memo: "refund asked for",
            occurred_at: Utc::now(),
            postings,
        },
    )?;
    Ok(())
}

/// The provider ended a refund: what was set aside leaves through the clearing account, or, if
/// it failed, goes back where it came from (a purchase released meanwhile is released again).
pub fn refund_ended(
    conn: &mut PgConnection,
    source_key: &str,
    method: Option<Method>,
    succeeded: bool,
    provider_refund_id: Option<&str>,
) -> QueryResult<()> {
    let Some((entry_id, merchant_id, subject_kind, subject_id)) = ledger_entries::table
        .filter(ledger_entries::key.eq(format!("refund:{source_key}")))
        .select((
            ledger_entries::id,
            ledger_entries::merchant_id,
            ledger_entries::subject_kind,
            ledger_entries::subject_id,
        ))
        .first::<(Uuid, Option<Uuid>, Option<String>, Option<Uuid>)>(conn)
        .optional()?
    else {
        return Ok(());
    };
    let subject = subject_kind
        .zip(subject_id)
        .and_then(|(k, id)| Subject::parse(&k, id));
    let set_aside: Vec<(Uuid, i64)> = ledger_postings::table
        .filter(ledger_postings::entry_id.eq(entry_id))
        .select((ledger_postings::account_id, ledger_postings::amount_cents))
        .load(conn)?;
    let pending: i64 = -set_aside
        .iter()
        .filter(|(a, _)| *a == REFUNDS_PENDING)
        .map(|(_, amount)| amount)
        .sum::<i64>();
    let entry = if succeeded {
        Entry {
            kind: "refund_paid",
            key: Some(format!("refund-paid:{source_key}")),
            merchant_id,
            subject,
            provider: method,
            reference: provider_refund_id,
            memo: "refund paid by the provider",
            occurred_at: Utc::now(),
            postings: vec![(REFUNDS_PENDING, pending), (CLEARING, -pending)],
        }
    } else {
        Entry {
            kind: "refund_reversal",
            key: Some(format!("refund-reversal:{source_key}")),
            merchant_id,
            subject,
            provider: None,
            reference: provider_refund_id,
            memo: "refund failed: set-aside returned",
            occurred_at: Utc::now(),
            postings: set_aside.iter().map(|(a, amount)| (*a, -amount)).collect(),
        }
    };
    let posted = post(conn, &entry)?;
    if posted.is_some() && !succeeded {
        if let (Some(subject), Some(merchant_id)) = (subject, merchant_id) {
            let (gross, commission) = released(conn, subject.id)?;
            if gross > 0 {
                release_with(conn, subject, merchant_id, |g| g * commission / gross)?;
            }
        }
    }
    Ok(())
}

/// The purchase finished (an order completed; a booking served, a no-show of the consumer, a
/// cancellation fee kept): what its escrow still holds goes to the merchant's payable, less the
/// category's commission (`rate_bp`, rounded half up) to the platform's revenue.
pub fn release(
    conn: &mut PgConnection,
    subject: Subject,
    merchant_id: Uuid,
    rate_bp: i32,
) -> QueryResult<()> {
    let rate = i64::from(rate_bp);
    release_with(conn, subject, merchant_id, |gross| {
        (gross * rate + 5_000) / 10_000
    })
}

fn release_with(
    conn: &mut PgConnection,
    subject: Subject,
    merchant_id: Uuid,
    commission_of: impl Fn(i64) -> i64,
) -> QueryResult<()> {
    let gross = held_for(conn, ESCROW, subject.id)?;
    if gross <= 0 {
        return Ok(());
    }
    let commission = commission_of(gross).clamp(0, gross);
    let payable = lock(conn, merchant_id, MerchantAccount::Payable)?;
    post(
        conn,
        &Entry {
            kind: "release",
            key: None,
            merchant_id: Some(merchant_id),
            subject: Some(subject),
            provider: None,
            reference: None,
            memo: "purchase finished: earnings to the merchant",
            occurred_at: Utc::now(),
            postings: vec![
                (ESCROW, gross),
                (payable.id, -(gross - commission)),
                (COMMISSION_REVENUE, -commission),
            ],
        },
    )?;
    Ok(())
}

/// A purchase ended without being served (cancelled, rejected, returned) while its escrow still
/// holds money: the consumer got everything back, part of it from the platform (refunds it
/// funded), so that part of the escrow goes back against the platform's expense.
pub fn reclaim(conn: &mut PgConnection, subject: Subject, merchant_id: Uuid) -> QueryResult<()> {
    let left = held_for(conn, ESCROW, subject.id)?;
    if left <= 0 {
        return Ok(());
    }
    post(
        conn,
        &Entry {
            kind: "correction",
            key: None,
            merchant_id: Some(merchant_id),
            subject: Some(subject),
            provider: None,
            reference: None,
            memo: "ended unserved: what the platform refunded comes back from escrow",
            occurred_at: Utc::now(),
            postings: vec![(ESCROW, left), (COMPENSATION_EXPENSE, -left)],
        },
    )?;
    Ok(())
}

/// Nets what the merchant owes back (its receivable) from what it is owed, before a payout.
/// The caller holds both accounts' locks.
pub fn settle_offset(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    payable: Uuid,
    receivable: Uuid,
    amount_cents: i64,
) -> QueryResult<()> {
    post(
        conn,
        &Entry {
            kind: "offset",
            key: None,
            merchant_id: Some(merchant_id),
            subject: None,
            provider: None,
            reference: None,
            memo: "owed back: netted from the payable",
            occurred_at: Utc::now(),
            postings: vec![(payable, amount_cents), (receivable, -amount_cents)],
        },
    )?;
    Ok(())
}

/// A payout was asked for: merchant payable → payouts in transit.
pub fn payout_requested(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    payable: Uuid,
    payout_id: Uuid,
    amount_cents: i64,
) -> QueryResult<()> {
    post(
        conn,
        &Entry {
            kind: "payout",
            key: Some(format!("payout:{payout_id}")),
            merchant_id: Some(merchant_id),
            subject: Some(Subject::payout(payout_id)),
            provider: None,
            reference: None,
            memo: "payout asked of the provider",
            occurred_at: Utc::now(),
            postings: vec![(payable, amount_cents), (PAYOUTS_IN_TRANSIT, -amount_cents)],
        },
    )?;
    Ok(())
}

/// The provider ended a payout: settled out of the clearing account, or back to the payable.
pub fn payout_ended(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    payout_id: Uuid,
    amount_cents: i64,
    method: Method,
    transfer_id: Option<&str>,
    succeeded: bool,
) -> QueryResult<()> {
    let (kind, key, memo, to) = if succeeded {
        ("payout_paid", "payout-paid", "payout settled", CLEARING)
    } else {
        (
            "payout_returned",
            "payout-returned",
            "payout failed: back to the payable",
            lock(conn, merchant_id, MerchantAccount::Payable)?.id,
        )
    };
    post(
        conn,
        &Entry {
            kind,
            key: Some(format!("{key}:{payout_id}")),
            merchant_id: Some(merchant_id),
            subject: Some(Subject::payout(payout_id)),
            provider: Some(method),
            reference: transfer_id,
            memo,
            occurred_at: Utc::now(),
            postings: vec![(PAYOUTS_IN_TRANSIT, amount_cents), (to, -amount_cents)],
        },
    )?;
    Ok(())
}

/// The sum of an account's postings (debits positive) since `from` and before `to`.
pub fn movement(
    conn: &mut PgConnection,
    account: Uuid,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
) -> QueryResult<i64> {
    let mut q = ledger_postings::table
        .filter(ledger_postings::account_id.eq(account))
        .select(sum_cents())
        .into_boxed();
    if let Some(from) = from {
        q = q.filter(ledger_postings::posted_at.ge(from));
    }
    if let Some(to) = to {
        q = q.filter(ledger_postings::posted_at.lt(to));
    }
    q.first(conn)
}
