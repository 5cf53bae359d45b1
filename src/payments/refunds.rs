//! Refunds through the provider: the `payments.refund` job that orders, bookings and
//! after-sales requests ask for (`jobs::refund_requested`), each made once per asking source,
//! never above what was paid (the CHECK `payments_refunds_within_amount`, besides the order's
//! own cap), and finished by the provider's answer or its notification.

use chrono::Utc;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{Connection, PgConnection};
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{JobContext, Outcome, RefundRequest};
use crate::pay::{RefundCall, RefundState};

use super::models::{self, Refund};
use super::rules::{self, PaymentStatus, RefundStatus, SubjectKind};
use super::settle;

/// Runs one `payments.refund` job: records the refund (once per source) and asks the provider
/// for it. A provider that cannot be reached fails the job, which the runner retries with
/// backoff; asking again with the same `out_refund_no` is safe at both providers.
pub fn run(
    conn: &mut PgConnection,
    ctx: &JobContext<'_>,
    payload: &serde_json::Value,
) -> AppResult<Outcome> {
    let req: RefundRequest = serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let kind = SubjectKind::parse(&req.subject_kind)
        .ok_or_else(|| AppError::internal(format!("subject kind {:?}", req.subject_kind)))?;
    let Some(payment) = models::live_for_update(conn, kind, req.subject_id)?
        .filter(|p| p.status == PaymentStatus::Succeeded)
    else {
        // Paid at the shop (a booking that is not prepaid): nothing goes back through a
        // provider.
        tracing::info!(subject = %req.subject_id, key = %req.source_key, "refund without a provider payment");
        return Ok(Outcome::Done);
    };
    let refund = match models::refund_by_source(conn, &req.source_key)? {
        Some(r) if r.status != RefundStatus::Requested || r.provider_refund_id.is_some() => {
            return Ok(Outcome::Done)
        }
        Some(r) => r,
        None => {
            let id = Uuid::now_v7();
            let mut row = Refund {
                id,
                payment_id: payment.id,
                source_key: req.source_key.clone(),
                out_refund_no: rules::provider_no(id),
                amount_cents: req.amount_cents,
                reason: req.reason.clone(),
                status: RefundStatus::Requested,
                provider_refund_id: None,
                failure: None,
                created_at: Utc::now(),
                ended_at: None,
            };
            match conn.transaction(|c| models::add_refunded(c, payment.id, req.amount_cents)) {
                Err(DieselError::DatabaseError(DatabaseErrorKind::CheckViolation, info))
                    if info.constraint_name() == Some("payments_refunds_within_amount") =>
                {
                    row.status = RefundStatus::Failed;
                    row.failure = Some("more than was paid".into());
                    row.ended_at = Some(Utc::now());
                    models::insert_refund(conn, &row)?;
                    crate::ledger::refund_ended(conn, &req.source_key, None, false, None)?;
                    tracing::warn!(payment = %payment.id, key = %req.source_key, "refund above what was paid refused");
                    return Ok(Outcome::Done);
                }
                other => other?,
            };
            models::insert_refund(conn, &row)?
        }
    };
    let call = RefundCall {
        out_trade_no: payment.out_trade_no.clone(),
        out_refund_no: refund.out_refund_no.clone(),
        amount_fen: refund.amount_cents,
        total_fen: payment.amount_cents,
        reason: refund.reason.chars().take(80).collect(),
        notify_url: super::notify_url(ctx.public_url, payment.method),
    };
    let answer = ctx
        .runtime
        .block_on(ctx.pay.refund(payment.method, &call))
        .map_err(AppError::internal)?;
    match answer {
        RefundState::Processing { refund_id } => {
            models::update_refund(
                conn,
                refund.id,
                RefundStatus::Requested,
                Some(&refund_id),
                None,
            )?;
        }
        RefundState::Succeeded { refund_id, .. } => {
            settle::finish(conn, &refund, true, Some(&refund_id), None)?;
        }
        RefundState::Failed { reason } => {
            settle::finish(conn, &refund, false, None, Some(&reason))?;
        }
    }
    Ok(Outcome::Done)
}
