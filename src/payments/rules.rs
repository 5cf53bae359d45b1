//! Payment and refund states and the checks a provider's word must pass before it changes
//! anything. Pure.
//!
//! A payment: `pending -> succeeded | failed | closed`. A refund: `requested -> succeeded |
//! failed`. Nothing leaves an end state.

use crate::pay::Paid;

crate::lifecycle::named_enum! {
    /// What a payment pays for.
    pub enum SubjectKind {
        Order = "order",
        Booking = "booking",
    }
}

crate::lifecycle::named_enum! {
    pub enum PaymentStatus {
        Pending = "pending",
        Succeeded = "succeeded",
        Failed = "failed",
        Closed = "closed",
    }
}

crate::lifecycle::named_enum! {
    pub enum RefundStatus {
        Requested = "requested",
        Succeeded = "succeeded",
        Failed = "failed",
    }
}

crate::lifecycle::named_enum! {
    /// What became of a notification.
    pub enum Outcome {
        /// It changed a payment or a refund (or found it already so).
        Processed = "processed",
        /// The same event arrived again; nothing changed.
        Duplicate = "duplicate",
        /// It failed a check of its protocol (the reason is the refusal's code).
        Refused = "refused",
        /// It verified but does not match what we hold; operators look at it.
        Flagged = "flagged",
    }
}

impl PaymentStatus {
    pub fn has_ended(self) -> bool {
        self != PaymentStatus::Pending
    }
}

/// Our id of a payment (or a refund) at the provider: the row's id in 32 hex digits, which
/// both providers accept (`[0-9A-Za-z_-]`, at most 32).
pub fn provider_no(id: uuid::Uuid) -> String {
    id.simple().to_string()
}

/// What a verified provider's report of a payment may not differ in from what we asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    Amount,
    Currency,
    /// A second transaction for a payment already paid by another.
    Transaction,
    /// A payment we closed or saw fail, reported as paid.
    NotPending,
    /// A refund we never asked for, or of another amount than we asked.
    Refund,
    /// An `out_trade_no` we never gave out.
    UnknownPayment,
}

impl Mismatch {
    pub fn as_code(self) -> &'static str {
        match self {
            Mismatch::Amount => "amount_mismatch",
            Mismatch::Currency => "currency_mismatch",
            Mismatch::Transaction => "transaction_mismatch",
            Mismatch::NotPending => "payment_not_pending",
            Mismatch::Refund => "refund_mismatch",
            Mismatch::UnknownPayment => "unknown_payment",
        }
    }
}

/// Checks the provider's report of a payment against ours: the same amount in fen, in CNY, and
/// (once paid) the same transaction.
pub fn check_paid(
    amount_cents: i64,
    transaction_id: Option<&str>,
    paid: &Paid,
) -> Result<(), Mismatch> {
    if paid.currency != "CNY" {
        return Err(Mismatch::Currency);
    }
    if paid.amount_fen != amount_cents {
        return Err(Mismatch::Amount);
    }
    match transaction_id {
        Some(t) if t != paid.transaction_id => Err(Mismatch::Transaction),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    fn paid(amount: i64, currency: &str, txn: &str) -> Paid {
        Paid {
            out_trade_no: "abc123".into(),
            transaction_id: txn.into(),
            amount_fen: amount,
            currency: currency.into(),
            app_id: "app".into(),
            merchant_id: "mch".into(),
            paid_at: Utc::now(),
        }
    }

    #[test]
    fn names_match_serde() {
        crate::lifecycle::check_names(SubjectKind::ALL);
        crate::lifecycle::check_names(PaymentStatus::ALL);
        crate::lifecycle::check_names(RefundStatus::ALL);
        crate::lifecycle::check_names(Outcome::ALL);
    }

    #[test]
    fn a_report_must_match_amount_currency_and_transaction() {
        assert_eq!(check_paid(4000, None, &paid(4000, "CNY", "t1")), Ok(()));
        assert_eq!(
            check_paid(4000, Some("t1"), &paid(4000, "CNY", "t1")),
            Ok(())
        );
        assert_eq!(
            check_paid(4000, None, &paid(3999, "CNY", "t1")),
            Err(Mismatch::Amount)
        );
        assert_eq!(
            check_paid(4000, None, &paid(4000, "USD", "t1")),
            Err(Mismatch::Currency)
        );
        assert_eq!(
            check_paid(4000, Some("t1"), &paid(4000, "CNY", "t2")),
            Err(Mismatch::Transaction)
        );
    }

    #[test]
    fn provider_numbers_fit_both_providers() {
        let no = provider_no(uuid::Uuid::now_v7());
        assert_eq!(no.len(), 32);
        assert!(no.chars().all(|c| c.is_ascii_alphanumeric()));
    }
}
