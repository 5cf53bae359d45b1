//! The daily reconciliation: the provider's trade bill of a day against the ledger, matched by
//! the provider's transaction id (payments) and refund id (refunds). What is missing on either
//! side or differs in amount is listed for operators; nothing is corrected here.

use std::collections::HashMap;

use chrono::{Duration, NaiveDate, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, Outcome};
use crate::ledger::reports::{self, ProviderLine};
use crate::pay::{BillLine, Method};

use super::models::{self, Difference, Reconciliation};
use super::run::{day_bounds, day_of};

/// The recurring job that reconciles yesterday with each enabled provider.
pub const DAILY: &str = "settlement.reconcile";

/// Hours after midnight (Shanghai) the job runs: both providers' bills are ready by 10:00.
const RUN_AT_HOURS: i64 = 10;

/// A line either side has, keyed by what kind of line and the provider's id.
type Key = (&'static str, String);

fn bill_key(line: &BillLine) -> Key {
    match &line.refund_id {
        Some(refund_id) => ("refund", refund_id.clone()),
        None => ("payment", line.transaction_id.clone()),
    }
}

fn ledger_key(line: &ProviderLine) -> Key {
    let kind = if line.kind == "payment" {
        "payment"
    } else {
        "refund"
    };
    (kind, line.reference.clone())
}

/// Compares a day's bill with the ledger. A bill line the ledger has on another day (a
/// notification after midnight) is matched still; a ledger line of the day missing from the
/// bill is `missing_in_bill`.
pub fn compare(
    id: Uuid,
    bill: &[BillLine],
    of_day: &[ProviderLine],
    elsewhere: &[ProviderLine],
) -> (usize, Vec<Difference>) {
    let ledger: HashMap<Key, &ProviderLine> = of_day
        .iter()
        .chain(elsewhere)
        .map(|l| (ledger_key(l), l))
        .collect();
    let billed: HashMap<Key, &BillLine> = bill.iter().map(|l| (bill_key(l), l)).collect();
    let mut matched = 0;
    let mut differences = Vec::new();
    let difference =
        |kind: &str, key: &Key, bill: Option<&BillLine>, ledger: Option<i64>| Difference {
            reconciliation_id: id,
            kind: kind.to_owned(),
            line_kind: key.0.to_owned(),
            reference: key.1.clone(),
            out_trade_no: bill.map(|b| b.out_trade_no.clone()),
            bill_cents: bill.map(|b| b.amount_fen),
            ledger_cents: ledger,
        };
    for (key, line) in &billed {
        match ledger.get(key) {
            None => differences.push(difference("missing_in_ledger", key, Some(line), None)),
            Some(l) if l.amount_cents != line.amount_fen => differences.push(difference(
                "amount_differs",
                key,
                Some(line),
                Some(l.amount_cents),
            )),
            Some(_) => matched += 1,
        }
    }
    for line in of_day {
        let key = ledger_key(line);
        if !billed.contains_key(&key) {
            differences.push(difference(
                "missing_in_bill",
                &key,
                None,
                Some(line.amount_cents),
            ));
        }
    }
    differences.sort_by(|a, b| (&a.kind, &a.reference).cmp(&(&b.kind, &b.reference)));
    (matched, differences)
}

/// Reconciles one provider's day and records what it found.
pub fn reconcile(
    conn: &mut PgConnection,
    ctx: &JobContext<'_>,
    method: Method,
    day: NaiveDate,
) -> AppResult<Reconciliation> {
    let bill = ctx
        .runtime
        .block_on(ctx.pay.trade_bill(method, day))
        .map_err(AppError::internal)?;
    record(conn, method, day, &bill)
}

/// Compares `bill` (the provider's lines of `day`) with the ledger and records the result.
pub fn record(
    conn: &mut PgConnection,
    method: Method,
    day: NaiveDate,
    bill: &[BillLine],
) -> AppResult<Reconciliation> {
    let (from, to) = day_bounds(day);
    let of_day = reports::provider_lines(conn, method, from, to)?;
    let references: Vec<String> = bill.iter().map(|l| bill_key(l).1).collect();
    let elsewhere: Vec<ProviderLine> = reports::provider_lines_with(conn, method, &references)?
        .into_iter()
        .filter(|l| {
            !of_day
                .iter()
                .any(|d| d.reference == l.reference && d.kind == l.kind)
        })
        .collect();
    let id = Uuid::now_v7();
    let (matched, differences) = compare(id, bill, &of_day, &elsewhere);
    let run = Reconciliation {
        id,
        method: method.as_str().to_owned(),
        day,
        bill_lines: count(bill.len()),
        ledger_lines: count(of_day.len()),
        matched: count(matched),
        created_at: Utc::now(),
    };
    models::insert_reconciliation(conn, &run, &differences)?;
    if !differences.is_empty() {
        tracing::warn!(%method, %day, differences = differences.len(), "reconciliation found differences");
    }
    Ok(run)
}

fn count(n: usize) -> i32 {
    i32::try_from(n).unwrap_or(i32::MAX)
}

/// The `settlement.reconcile` job: yesterday, with each provider this build has enabled; then
/// again tomorrow at 10:00 Shanghai. A provider that cannot be reached fails the job, which the
/// runner retries with backoff.
pub fn daily(conn: &mut PgConnection, ctx: &JobContext<'_>) -> AppResult<Outcome> {
    let now = Utc::now();
    let yesterday = day_of(now) - Duration::days(1);
    for method in [Method::Wechat, Method::Alipay] {
        if ctx.pay.enabled(method) {
            reconcile(conn, ctx, method, yesterday)?;
        }
    }
    let (_, next_midnight) = day_bounds(day_of(now));
    Ok(Outcome::RunAgainAt(
        next_midnight + Duration::hours(RUN_AT_HOURS),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bill(tx: &str, amount: i64, refund: Option<&str>) -> BillLine {
        BillLine {
            transaction_id: tx.into(),
            out_trade_no: format!("o-{tx}"),
            out_refund_no: refund.map(|r| format!("or-{r}")),
            refund_id: refund.map(str::to_owned),
            amount_fen: amount,
            at: Utc::now(),
        }
    }

    fn ledger(kind: &str, reference: &str, amount: i64) -> ProviderLine {
        ProviderLine {
            kind: kind.into(),
            reference: reference.into(),
            amount_cents: amount,
            subject_id: None,
        }
    }

    #[test]
    fn each_kind_of_difference_is_found_and_nothing_else() {
        let bill = [
            bill("t1", 1000, None),
            bill("t2", 500, None),
            bill("t3", 700, None),
            bill("t1", 200, Some("r1")),
            bill("t4", 300, None),
        ];
        let of_day = [
            ledger("payment", "t1", 1000),
            ledger("payment", "t2", 450),
            ledger("refund_paid", "r1", 200),
            ledger("payment", "t9", 900),
        ];
        // t4's notification came after midnight: the ledger has it on the next day.
        let elsewhere = [ledger("payment", "t4", 300)];
        let (matched, diffs) = compare(Uuid::nil(), &bill, &of_day, &elsewhere);
        assert_eq!(matched, 3);
        let found: Vec<(&str, &str, &str)> = diffs
            .iter()
            .map(|d| (d.kind.as_str(), d.line_kind.as_str(), d.reference.as_str()))
            .collect();
        assert_eq!(
            found,
            [
                ("amount_differs", "payment", "t2"),
                ("missing_in_bill", "payment", "t9"),
                ("missing_in_ledger", "payment", "t3"),
            ]
        );
    }

    #[test]
    fn a_clean_day_has_no_differences() {
        let bill = [bill("t1", 1000, None), bill("t1", 1000, Some("r1"))];
        let of_day = [
            ledger("payment", "t1", 1000),
            ledger("refund_paid", "r1", 1000),
        ];
        let (matched, diffs) = compare(Uuid::nil(), &bill, &of_day, &[]);
        assert_eq!((matched, diffs.len()), (2, 0));
    }
}
