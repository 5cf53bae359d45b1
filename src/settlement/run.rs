//! The daily settlement (T+1, cut-off at midnight Asia/Shanghai): for each merchant and day one
//! statement with its lines, and one payout of what the merchant was owed at the cut-off.
//!
//! Each merchant is settled in a transaction of its own, under the lock of its payable account
//! (refunds and releases of the merchant queue behind it), and the statement is unique per
//! merchant and day: a run killed at any point and run again settles the rest, never one twice.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Asia::Shanghai;
use diesel::prelude::*;
use diesel::sql_types::{Date, Timestamptz};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{self, Outcome};
use crate::ledger::{self, reports, MerchantAccount};

use super::models::{self, Payout, Statement, StatementLine};

/// The recurring job that queues the settlement of yesterday, daily after the cut-off.
pub const DAILY: &str = "settlement.daily";
/// One merchant's settlement of one day.
pub const MERCHANT: &str = "settlement.merchant";
/// Asks the provider for one payout.
pub const PAYOUT: &str = "settlement.payout";

/// Minutes after midnight (Shanghai) the daily job runs: late notifications have arrived.
const RUN_AT_MINUTES: i64 = 30;

/// `[start, end)` of a day in Asia/Shanghai.
pub fn day_bounds(day: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    let start = |d: NaiveDate| {
        Shanghai
            .from_local_datetime(&d.and_time(chrono::NaiveTime::MIN))
            .single()
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_else(|| Utc.from_utc_datetime(&d.and_time(chrono::NaiveTime::MIN)))
    };
    (start(day), start(day + Duration::days(1)))
}

/// The day (Asia/Shanghai) an instant falls on.
pub fn day_of(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&Shanghai).date_naive()
}

#[derive(QueryableByName)]
struct MerchantRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    merchant_id: Uuid,
}

/// The merchants with money to settle for `day` (ledger activity that day, or a balance) and
/// no statement for it yet.
pub fn to_settle(conn: &mut PgConnection, day: NaiveDate) -> QueryResult<Vec<Uuid>> {
    let (from, to) = day_bounds(day);
    let rows: Vec<MerchantRow> = diesel::sql_query(
        "SELECT merchant_id FROM (
             SELECT DISTINCT merchant_id FROM ledger_entries
              WHERE posted_at >= $1 AND posted_at < $2 AND merchant_id IS NOT NULL
             UNION
             SELECT merchant_id FROM ledger_accounts
              WHERE kind = 'merchant_payable' AND balance_cents > 0
         ) m
         WHERE NOT EXISTS (SELECT 1 FROM statements s WHERE s.merchant_id = m.merchant_id AND s.day = $3)
         ORDER BY merchant_id",
    )
    .bind::<Timestamptz, _>(from)
    .bind::<Timestamptz, _>(to)
    .bind::<Date, _>(day)
    .load(conn)?;
    Ok(rows.into_iter().map(|r| r.merchant_id).collect())
}

/// Settles one merchant's day in the caller's transaction: `None` when it was settled before.
/// The payout is what the merchant was owed at the cut-off (less what it owes back), unless its
/// payouts are held or it has no payout account; the provider is asked after commit (job
/// `settlement.payout`).
pub fn settle_merchant(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    day: NaiveDate,
) -> AppResult<Option<Statement>> {
    let payable = ledger::lock(conn, merchant_id, MerchantAccount::Payable)?;
    if models::statement_of(conn, merchant_id, day)?.is_some() {
        return Ok(None);
    }
    let (from, to) = day_bounds(day);
    let mut balance = payable.balance_cents;
    let owed_back = ledger::balance(conn, merchant_id, MerchantAccount::Receivable)?;
    let receivable = if owed_back > 0 {
        Some(ledger::lock(
            conn,
            merchant_id,
            MerchantAccount::Receivable,
        )?)
    } else {
        None
    };
    let lines = reports::lines(
        conn,
        merchant_id,
        payable.id,
        receivable.map(|r| r.id),
        from,
        to,
    )?;
    if let Some(r) = receivable {
        let netted = r.balance_cents.min(balance);
        if netted > 0 {
            ledger::settle_offset(conn, merchant_id, payable.id, r.id, netted)?;
            balance -= netted;
        }
    }
    // Earned after the cut-off is for tomorrow's statement.
    let later = reports::credited_since(conn, payable.id, to)?;
    let due = (balance - later).max(0);
    let not_paid = if due == 0 {
        Some("nothing to pay")
    } else if models::hold_of(conn, merchant_id)?.is_some() {
        Some("held")
    } else {
        None
    };
    let account = match not_paid {
        None => models::payout_account(conn, merchant_id)?,
        Some(_) => None,
    };
    let not_paid = not_paid.or(account.is_none().then_some("no payout account"));
    let sum = |f: fn(&reports::Line) -> i64| lines.iter().map(f).sum::<i64>();
    let statement = Statement {
        id: Uuid::now_v7(),
        merchant_id,
        day,
        gross_cents: sum(|l| l.gross_cents),
        commission_cents: sum(|l| l.commission_cents),
        refunds_cents: sum(|l| l.refunds_cents),
        net_cents: sum(|l| l.net_cents),
        payable_cents: balance,
        payout_cents: if not_paid.is_none() { due } else { 0 },
        not_paid_reason: not_paid.map(str::to_owned),
        created_at: Utc::now(),
    };
    let rows: Vec<StatementLine> = lines
        .iter()
        .map(|l| StatementLine {
            statement_id: statement.id,
            subject_kind: l.subject_kind.clone(),
            subject_id: l.subject_id,
            gross_cents: l.gross_cents,
            commission_cents: l.commission_cents,
            refunds_cents: l.refunds_cents,
            net_cents: l.net_cents,
        })
        .collect();
    models::insert_statement(conn, &statement, &rows)?;
    if let (Some(account), 1..) = (account, statement.payout_cents) {
        let id = Uuid::now_v7();
        models::insert_payout(
            conn,
            &Payout {
                id,
                merchant_id,
                statement_id: statement.id,
                method: account.method,
                out_biz_no: format!("P{}", id.simple()),
                amount_cents: statement.payout_cents,
                status: "requested".into(),
                transfer_id: None,
                failure: None,
                created_at: Utc::now(),
                ended_at: None,
            },
        )?;
        ledger::payout_requested(conn, merchant_id, payable.id, id, statement.payout_cents)?;
        jobs::models::enqueue_once(
            conn,
            PAYOUT,
            serde_json::json!({ "payout_id": id }),
            &format!("{PAYOUT}:{id}"),
        )?;
    }
    Ok(Some(statement))
}

/// The `settlement.daily` job: queues one `settlement.merchant` job per merchant to settle for
/// yesterday (once each, however often it runs), then runs again after the next cut-off.
pub fn daily(conn: &mut PgConnection) -> AppResult<Outcome> {
    let now = Utc::now();
    let yesterday = day_of(now) - Duration::days(1);
    queue_day(conn, yesterday)?;
    let (_, next_midnight) = day_bounds(day_of(now));
    Ok(Outcome::RunAgainAt(
        next_midnight + Duration::minutes(RUN_AT_MINUTES),
    ))
}

/// Queues the settlement of `day` for every merchant that needs it; how many were queued.
pub fn queue_day(conn: &mut PgConnection, day: NaiveDate) -> AppResult<usize> {
    let mut queued = 0;
    for merchant_id in to_settle(conn, day)? {
        queued += jobs::models::enqueue_once(
            conn,
            MERCHANT,
            serde_json::json!({ "merchant_id": merchant_id, "day": day }),
            &format!("{MERCHANT}:{merchant_id}:{day}"),
        )?;
    }
    Ok(queued)
}

#[derive(serde::Deserialize)]
struct MerchantJob {
    merchant_id: Uuid,
    day: NaiveDate,
}

/// The `settlement.merchant` job.
pub fn merchant_job(conn: &mut PgConnection, payload: &serde_json::Value) -> AppResult<Outcome> {
    let job: MerchantJob = serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    settle_merchant(conn, job.merchant_id, job.day)?;
    Ok(Outcome::Done)
}

/// What a whole run did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Summary {
    pub statements: usize,
    pub payouts: usize,
    pub payout_cents: i64,
}

/// Settles `day` for every merchant, each in its own transaction (`lifemarket settle`).
pub fn settle_day(conn: &mut PgConnection, day: NaiveDate) -> AppResult<Summary> {
    let mut summary = Summary::default();
    for merchant_id in to_settle(conn, day)? {
        let made = conn.transaction(|c| settle_merchant(c, merchant_id, day))?;
        if let Some(s) = made {
            summary.statements += 1;
            if s.payout_cents > 0 {
                summary.payouts += 1;
                summary.payout_cents += s.payout_cents;
            }
        }
    }
    Ok(summary)
}
