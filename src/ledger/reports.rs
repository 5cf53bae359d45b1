//! What settlement and reconciliation read from the ledger.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::pay::Method;

use super::platform::{CLEARING, COMMISSION_REVENUE, ESCROW};

/// One order's or booking's part in a merchant's day: what was released to the merchant
/// (`gross`), the commission kept (less what refunds gave back), the refunds charged to the
/// merchant after release, and the change of what the merchant is owed (`net`).
#[derive(Debug, Clone, QueryableByName)]
pub struct Line {
    #[diesel(sql_type = Text)]
    pub subject_kind: String,
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = BigInt)]
    pub gross_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub commission_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub refunds_cents: i64,
    #[diesel(sql_type = BigInt)]
    pub net_cents: i64,
}

/// The merchant's lines for entries posted in `[from, to)`, by subject.
pub fn lines(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    payable: Uuid,
    receivable: Option<Uuid>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<Line>> {
    diesel::sql_query(
        "SELECT e.subject_kind, e.subject_id,
                coalesce(sum(p.amount_cents) FILTER (WHERE e.kind = 'release' AND p.account_id = $1), 0)::bigint AS gross_cents,
                coalesce(-sum(p.amount_cents) FILTER (WHERE p.account_id = $2), 0)::bigint AS commission_cents,
                coalesce(sum(p.amount_cents) FILTER (WHERE e.kind IN ('refund', 'refund_reversal')
                    AND p.account_id IN ($2, $3, $4)), 0)::bigint AS refunds_cents,
                coalesce(-sum(p.amount_cents) FILTER (WHERE p.account_id IN ($3, $4)), 0)::bigint AS net_cents
           FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id
          WHERE e.merchant_id = $5 AND e.posted_at >= $6 AND e.posted_at < $7
            AND e.kind IN ('release', 'refund', 'refund_reversal')
            AND e.subject_kind IN ('order', 'booking')
          GROUP BY e.subject_kind, e.subject_id
         HAVING bool_or(p.account_id IN ($2, $3, $4))
          ORDER BY min(e.posted_at), e.subject_id",
    )
    .bind::<SqlUuid, _>(ESCROW)
    .bind::<SqlUuid, _>(COMMISSION_REVENUE)
    .bind::<SqlUuid, _>(payable)
    .bind::<SqlUuid, _>(receivable.unwrap_or(payable))
    .bind::<SqlUuid, _>(merchant_id)
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
}

/// What was credited to an account at or after `since` (positive).
pub fn credited_since(
    conn: &mut PgConnection,
    account: Uuid,
    since: DateTime<Utc>,
) -> QueryResult<i64> {
    use crate::schema::ledger_postings as p;
    let sum: i64 = p::table
        .filter(p::account_id.eq(account))
        .filter(p::posted_at.ge(since))
        .filter(p::amount_cents.lt(0))
        .select(super::sum_cents())
        .first(conn)?;
    Ok(-sum)
}

/// A movement of money at a provider as the ledger has it: a payment in or a refund out.
#[derive(Debug, Clone, QueryableByName)]
pub struct ProviderLine {
    /// `payment` or `refund_paid`.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// The provider's transaction id (payments) or refund id (refunds).
    #[diesel(sql_type = Text)]
    pub reference: String,
    #[diesel(sql_type = BigInt)]
    pub amount_cents: i64,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub subject_id: Option<Uuid>,
}

const PROVIDER_LINES: &str =
    "SELECT e.kind, e.reference, abs(p.amount_cents)::bigint AS amount_cents, e.subject_id
       FROM ledger_entries e JOIN ledger_postings p ON p.entry_id = e.id AND p.account_id = $1
      WHERE e.provider = $2 AND e.kind IN ('payment', 'refund_paid') AND e.reference IS NOT NULL";

/// The provider's payments and refunds the ledger has as happened in `[from, to)`.
pub fn provider_lines(
    conn: &mut PgConnection,
    method: Method,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> QueryResult<Vec<ProviderLine>> {
    diesel::sql_query(format!(
        "{PROVIDER_LINES} AND e.occurred_at >= $3 AND e.occurred_at < $4"
    ))
    .bind::<SqlUuid, _>(CLEARING)
    .bind::<Text, _>(method.as_str())
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .load(conn)
}

/// The ledger's lines with these references, whenever they happened.
pub fn provider_lines_with(
    conn: &mut PgConnection,
    method: Method,
    references: &[String],
) -> QueryResult<Vec<ProviderLine>> {
    diesel::sql_query(format!("{PROVIDER_LINES} AND e.reference = ANY($3)"))
        .bind::<SqlUuid, _>(CLEARING)
        .bind::<Text, _>(method.as_str())
        .bind::<diesel::sql_types::Array<Text>, _>(references)
        .load(conn)
}
