//! The `settlement.payout` job: asks the provider to transfer a payout to the merchant's payout
//! account, with the same `out_biz_no` on every retry (the provider pays it once), and posts how
//! it ended: settled out of the clearing account, or back to the merchant's payable (the next
//! settlement pays it again).

use chrono::{Duration, Utc};
use diesel::PgConnection;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, Outcome};
use crate::ledger;
use crate::pay::{Method, Transfer, TransferState};

use super::models;

/// How long to wait before asking again about a transfer the provider is still making.
const ASK_AGAIN: Duration = Duration::minutes(1);

#[derive(serde::Deserialize)]
struct PayoutJob {
    payout_id: Uuid,
}

pub fn run(
    conn: &mut PgConnection,
    ctx: &JobContext<'_>,
    payload: &serde_json::Value,
) -> AppResult<Outcome> {
    let job: PayoutJob = serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let Some(payout) = models::payout_for_update(conn, job.payout_id)? else {
        return Ok(Outcome::Done);
    };
    if payout.status != "requested" {
        return Ok(Outcome::Done);
    }
    let method = Method::parse(&payout.method)
        .ok_or_else(|| AppError::internal(format!("payout method {}", payout.method)))?;
    let state = match &payout.transfer_id {
        // Asked before and the provider was still making it: ask how it went.
        Some(_) => ctx
            .runtime
            .block_on(ctx.pay.query_transfer(method, &payout.out_biz_no)),
        None => {
            let account = models::payout_account(conn, payout.merchant_id)?
                .ok_or_else(|| AppError::internal("payout without a payout account"))?;
            let day = models::statement_day(conn, payout.statement_id)?;
            let transfer = Transfer {
                out_biz_no: payout.out_biz_no.clone(),
                amount_fen: payout.amount_cents,
                payee_account: account.account,
                payee_name: account.holder_name,
                title: format!("lifemarket 结算 {day}"),
            };
            ctx.runtime.block_on(ctx.pay.transfer(method, &transfer))
        }
    }
    .map_err(AppError::internal)?;
    let ended = |conn: &mut PgConnection, ok: bool, id: Option<&str>, failure: Option<&str>| {
        let status = if ok { "succeeded" } else { "failed" };
        models::update_payout(conn, payout.id, status, id, failure)?;
        ledger::payout_ended(
            conn,
            payout.merchant_id,
            payout.id,
            payout.amount_cents,
            method,
            id,
            ok,
        )?;
        AppResult::Ok(Outcome::Done)
    };
    match state {
        TransferState::Succeeded { transfer_id, .. } => ended(conn, true, Some(&transfer_id), None),
        TransferState::Failed { reason } => {
            tracing::warn!(payout = %payout.id, %reason, "payout failed");
            ended(conn, false, payout.transfer_id.as_deref(), Some(&reason))
        }
        TransferState::Processing { transfer_id } => {
            models::update_payout(conn, payout.id, "requested", Some(&transfer_id), None)?;
            Ok(Outcome::RunAgainAt(Utc::now() + ASK_AGAIN))
        }
    }
}
