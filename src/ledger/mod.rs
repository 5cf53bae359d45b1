//! The double-entry ledger: accounts, immutable journal entries of postings, and the money
//! events that post them (a payment taken, a refund asked for and ended, a purchase finished, a
//! payout made). Owns the `ledger_accounts`, `ledger_entries`, `ledger_postings` and
//! `commission_rates` tables.
//!
//! In the kernel so that every feature that moves money posts in its own transaction: payments
//! post the payment, orders and bookings post their refunds and releases, settlement posts the
//! payouts. The database holds the invariants (docs/ledger.md): every entry sums to zero
//! (deferred constraint trigger), entries are never changed (triggers), a merchant account never
//! goes below zero (CHECK on the balance its postings keep).

pub mod events;
pub mod rates;
pub mod reports;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::pay::Method;
use crate::schema::{ledger_accounts, ledger_postings};

pub use events::{
    payment_received, payout_ended, payout_requested, reclaim, refund_ended, refund_requested,
    release, settle_offset, Funding, Received,
};

/// The platform's accounts (fixed ids, made by the migration).
pub mod platform {
    use uuid::{uuid, Uuid};

    /// What the provider holds for the platform: payments in, refunds and payouts out.
    pub const CLEARING: Uuid = uuid!("00000000-0000-0000-0000-00000000a001");
    /// Paid for an order or booking that has not finished yet, per subject.
    pub const ESCROW: Uuid = uuid!("00000000-0000-0000-0000-00000000a002");
    pub const COMMISSION_REVENUE: Uuid = uuid!("00000000-0000-0000-0000-00000000a003");
    /// Refunds the platform pays out of its own pocket (goodwill, compensation it funds).
    pub const COMPENSATION_EXPENSE: Uuid = uuid!("00000000-0000-0000-0000-00000000a004");
    /// Discounts of platform-funded coupon campaigns (group-buying issue).
    pub const SUBSIDY_EXPENSE: Uuid = uuid!("00000000-0000-0000-0000-00000000a005");
    /// Refunds asked of the provider and not yet ended, per refund.
    pub const REFUNDS_PENDING: Uuid = uuid!("00000000-0000-0000-0000-00000000a006");
    /// Payouts asked of the provider and not yet ended, per payout.
    pub const PAYOUTS_IN_TRANSIT: Uuid = uuid!("00000000-0000-0000-0000-00000000a007");

    /// +1 for the accounts whose balance grows with debits (assets, expenses), -1 otherwise.
    pub fn normal_side(account: Uuid) -> i64 {
        if [CLEARING, COMPENSATION_EXPENSE, SUBSIDY_EXPENSE].contains(&account) {
            1
        } else {
            -1
        }
    }
}

/// The merchant's own accounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MerchantAccount {
    /// What the platform owes the merchant (credit-normal).
    Payable,
    /// What the merchant owes the platform: a refund of money already paid out, advanced by
    /// the platform (先行赔付) and netted from the next payouts (debit-normal).
    Receivable,
}

impl MerchantAccount {
    fn kind(self) -> &'static str {
        match self {
            MerchantAccount::Payable => "merchant_payable",
            MerchantAccount::Receivable => "merchant_receivable",
        }
    }

    fn normal_side(self) -> i16 {
        match self {
            MerchantAccount::Payable => -1,
            MerchantAccount::Receivable => 1,
        }
    }
}

/// A merchant's account, locked until the caller's transaction ends (made on first use).
#[derive(Debug, Clone, Copy)]
pub struct Locked {
    pub id: Uuid,
    pub balance_cents: i64,
}

/// Locks (making it if need be) the merchant's account: one statement, whose `DO UPDATE`
/// takes the row lock, so concurrent payouts and refunds of one merchant queue here.
pub fn lock(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    account: MerchantAccount,
) -> QueryResult<Locked> {
    let (id, balance_cents) = diesel::insert_into(ledger_accounts::table)
        .values((
            ledger_accounts::id.eq(Uuid::now_v7()),
            ledger_accounts::kind.eq(account.kind()),
            ledger_accounts::merchant_id.eq(merchant_id),
            ledger_accounts::normal_side.eq(account.normal_side()),
        ))
        .on_conflict(diesel::upsert::on_constraint(
            "ledger_accounts_one_per_kind",
        ))
        .do_update()
        .set(ledger_accounts::kind.eq(diesel::upsert::excluded(ledger_accounts::kind)))
        .returning((ledger_accounts::id, ledger_accounts::balance_cents))
        .get_result(conn)?;
    Ok(Locked { id, balance_cents })
}

/// The merchant's account balance without locking (0 when it has none yet).
pub fn balance(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    account: MerchantAccount,
) -> QueryResult<i64> {
    Ok(ledger_accounts::table
        .filter(ledger_accounts::kind.eq(account.kind()))
        .filter(ledger_accounts::merchant_id.eq(merchant_id))
        .select(ledger_accounts::balance_cents)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// What an order, a booking or a payout is called in the ledger.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Subject {
    pub kind: &'static str,
    pub id: Uuid,
}

impl Subject {
    pub fn order(id: Uuid) -> Self {
        Subject { kind: "order", id }
    }
    pub fn booking(id: Uuid) -> Self {
        Subject {
            kind: "booking",
            id,
        }
    }
    pub fn payout(id: Uuid) -> Self {
        Subject { kind: "payout", id }
    }
    /// `order` or `booking` as the payments and jobs spell them.
    pub fn parse(kind: &str, id: Uuid) -> Option<Self> {
        match kind {
            "order" => Some(Self::order(id)),
            "booking" => Some(Self::booking(id)),
            _ => None,
        }
    }
}

/// One journal entry to post.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub kind: &'static str,
    /// Posting the same key twice posts once.
    pub key: Option<String>,
    pub merchant_id: Option<Uuid>,
    pub subject: Option<Subject>,
    /// The provider that moved the money (payments, refunds, payouts), for reconciliation.
    pub provider: Option<Method>,
    pub reference: Option<&'a str>,
    pub memo: &'a str,
    pub occurred_at: DateTime<Utc>,
    /// `(account, amount)`: debits positive, credits negative; zero amounts are left out.
    pub postings: Vec<(Uuid, i64)>,
}

/// Posts the entry: `None` when its key was posted before (or there is nothing to post). One
/// statement writes the entry and its postings, so it is whole even outside a transaction; the
/// database refuses it at commit unless it sums to zero.
pub fn post(conn: &mut PgConnection, entry: &Entry<'_>) -> QueryResult<Option<Uuid>> {
    use diesel::sql_types::{Array, BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
    let (accounts, amounts): (Vec<Uuid>, Vec<i64>) = entry
        .postings
        .iter()
        .copied()
        .filter(|(_, amount)| *amount != 0)
        .unzip();
    if accounts.is_empty() {
        return Ok(None);
    }
    let id = Uuid::now_v7();
    let written = diesel::sql_query(
        "WITH e AS (
             INSERT INTO ledger_entries (id, kind, key, merchant_id, subject_kind, subject_id,
                                         provider, reference, memo, occurred_at, posted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now())
             ON CONFLICT (key) DO NOTHING
             RETURNING id, subject_id, posted_at)
         INSERT INTO ledger_postings (entry_id, account_id, amount_cents, subject_id, posted_at)
         SELECT e.id, p.account, p.amount, e.subject_id, e.posted_at
           FROM e, unnest($11::uuid[], $12::bigint[]) AS p (account, amount)",
    )
    .bind::<SqlUuid, _>(id)
    .bind::<Text, _>(entry.kind)
    .bind::<Nullable<Text>, _>(entry.key.as_deref())
    .bind::<Nullable<SqlUuid>, _>(entry.merchant_id)
    .bind::<Nullable<Text>, _>(entry.subject.map(|s| s.kind))
    .bind::<Nullable<SqlUuid>, _>(entry.subject.map(|s| s.id))
    .bind::<Nullable<Text>, _>(entry.provider.map(|m| m.as_str()))
    .bind::<Nullable<Text>, _>(entry.reference)
    .bind::<Text, _>(entry.memo)
    .bind::<Timestamptz, _>(entry.occurred_at)
    .bind::<Array<SqlUuid>, _>(&accounts)
    .bind::<Array<BigInt>, _>(&amounts)
    .execute(conn)?;
    Ok((written > 0).then_some(id))
}

/// The balance of a platform account for one subject (escrow of an order, a pending refund),
/// on the account's normal side.
pub fn held_for(conn: &mut PgConnection, account: Uuid, subject_id: Uuid) -> QueryResult<i64> {
    let debits: i64 = ledger_postings::table
        .filter(ledger_postings::account_id.eq(account))
        .filter(ledger_postings::subject_id.eq(subject_id))
        .select(sum_cents())
        .first(conn)?;
    Ok(debits * platform::normal_side(account))
}

/// `coalesce(sum(amount_cents), 0)` as a bigint (PostgreSQL sums bigints to numeric).
pub fn sum_cents() -> diesel::expression::SqlLiteral<diesel::sql_types::BigInt> {
    diesel::dsl::sql::<diesel::sql_types::BigInt>("coalesce(sum(amount_cents), 0)::bigint")
}
