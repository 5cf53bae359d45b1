//! The `payments.due` job: once an order's or a prepaid booking's time to pay is over, its
//! open payment is asked about (a payment the notification of which was lost is found paid
//! then), closed at the provider otherwise, and the order or booking closes unpaid.

use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, Outcome};
use crate::pay::TradeState;

use super::models;
use super::rules::{PaymentStatus, SubjectKind};
use super::settle;

#[derive(Deserialize)]
struct Payload {
    subject_kind: String,
    subject_id: Uuid,
}

/// Runs one `payments.due` job. A provider that cannot be reached fails the job (retried with
/// backoff): nothing closes while it is not known whether the consumer paid.
pub fn run(
    conn: &mut PgConnection,
    ctx: &JobContext<'_>,
    payload: &serde_json::Value,
) -> AppResult<Outcome> {
    let Payload {
        subject_kind,
        subject_id,
    } = serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let kind = SubjectKind::parse(&subject_kind)
        .ok_or_else(|| AppError::internal(format!("subject kind {subject_kind:?}")))?;
    match models::live_for_update(conn, kind, subject_id)? {
        Some(p) if p.status == PaymentStatus::Succeeded => {}
        Some(p) => {
            let state = ctx
                .runtime
                .block_on(ctx.pay.query(p.method, &p.out_trade_no))
                .map_err(AppError::internal)?;
            if let TradeState::Paid(report) = state {
                if let Err(m) = settle::paid(conn, &p, &report)? {
                    return Err(AppError::internal(format!(
                        "payment {} reported paid but {}",
                        p.id,
                        m.as_code()
                    )));
                }
                return Ok(Outcome::Done);
            }
            ctx.runtime
                .block_on(ctx.pay.close(p.method, &p.out_trade_no))
                .map_err(AppError::internal)?;
            settle::closed(conn, &p, PaymentStatus::Closed)?;
        }
        None => settle::close_subject(conn, kind, subject_id)?,
    }
    Ok(Outcome::Done)
}
