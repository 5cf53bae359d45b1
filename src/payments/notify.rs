//! The providers' notifications: `POST /api/v1/payments/notify/{wechat|alipay}`. Each is kept
//! as received (raw body, headers, outcome) and, once it verifies, processed in the same
//! transaction that changes the payment or the refund; an event is processed once however
//! often, and however concurrently, it arrives.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use diesel::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::error::AppResult;
use crate::pay::{self, Method, Notice, Refusal, Verified};
use crate::state::AppState;

use super::models::{self, Notification};
use super::rules::{Mismatch, Outcome};
use super::settle::{self, Applied};

/// WeChat Pay's failure answer: `{"code":"FAIL","message":<the refusal's code>}`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NotifyFailure {
    /// Always `FAIL`.
    pub code: String,
    /// Why: the refusal's code (`bad_signature`, `stale_timestamp`, `amount_mismatch`, ...).
    pub message: String,
}

/// Why a notification was not taken, as the provider is told.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refused {
    Protocol(Refusal),
    Mismatch(Mismatch),
}

impl Refused {
    pub fn as_code(self) -> &'static str {
        match self {
            Refused::Protocol(r) => r.as_code(),
            Refused::Mismatch(m) => m.as_code(),
        }
    }
}

/// The headers worth keeping, as a JSON object of strings.
fn headers_json(req: &HttpRequest) -> serde_json::Value {
    let map: serde_json::Map<String, serde_json::Value> = req
        .headers()
        .iter()
        .filter(|(name, _)| *name != actix_web::http::header::AUTHORIZATION)
        .map(|(name, value)| {
            (
                name.as_str().to_owned(),
                String::from_utf8_lossy(value.as_bytes())
                    .into_owned()
                    .into(),
            )
        })
        .collect();
    map.into()
}

/// Keeps the notification and processes it, in the caller's transaction.
pub fn receive(
    conn: &mut PgConnection,
    method: Method,
    headers: serde_json::Value,
    body: Vec<u8>,
    verified: Result<Verified, Refusal>,
) -> AppResult<Result<Outcome, Refused>> {
    let mut row = Notification {
        id: Uuid::now_v7(),
        method,
        event_key: None,
        headers,
        body,
        outcome: Outcome::Processed,
        reason: None,
        payment_id: None,
        received_at: Utc::now(),
    };
    let verified = match verified {
        Ok(v) => v,
        Err(refusal) => {
            row.outcome = Outcome::Refused;
            row.reason = Some(refusal.as_code().to_owned());
            models::insert_notification(conn, &row)?;
            return Ok(Err(Refused::Protocol(refusal)));
        }
    };
    row.event_key = Some(verified.event_key.clone());
    if !models::insert_notification(conn, &row)? {
        row.id = Uuid::now_v7();
        row.outcome = Outcome::Duplicate;
        models::insert_notification(conn, &row)?;
        return Ok(Ok(Outcome::Duplicate));
    }
    let (payment_id, result) = process(conn, &verified.notice)?;
    match result {
        Ok(_) => {
            models::set_outcome(conn, row.id, Outcome::Processed, None, payment_id)?;
            Ok(Ok(Outcome::Processed))
        }
        Err(m) => {
            tracing::warn!(method = %method, reason = m.as_code(), "payment notification flagged");
            models::set_outcome(
                conn,
                row.id,
                Outcome::Flagged,
                Some(m.as_code()),
                payment_id,
            )?;
            Ok(Err(Refused::Mismatch(m)))
        }
    }
}

/// Applies a verified notice; the payment it concerns, if known.
fn process(
    conn: &mut PgConnection,
    notice: &Notice,
) -> AppResult<(Option<Uuid>, Result<Applied, Mismatch>)> {
    let trade_no = match notice {
        Notice::Payment(p) => &p.out_trade_no,
        Notice::PaymentClosed { out_trade_no } | Notice::Refund { out_trade_no, .. } => {
            out_trade_no
        }
    };
    let Some(payment) = models::by_trade_no_for_update(conn, trade_no)? else {
        return Ok((None, Err(Mismatch::UnknownPayment)));
    };
    let applied = match notice {
        Notice::Payment(report) => settle::paid(conn, &payment, report)?,
        Notice::PaymentClosed { .. } => Ok(settle::closed(
            conn,
            &payment,
            super::rules::PaymentStatus::Closed,
        )?),
        Notice::Refund {
            out_refund_no,
            refund_id,
            amount_fen,
            succeeded,
            ..
        } => settle::refund_ended(
            conn,
            &payment,
            out_refund_no,
            refund_id,
            *amount_fen,
            *succeeded,
        )?,
    };
    Ok((Some(payment.id), applied))
}

async fn notified(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
    method: Method,
) -> HttpResponse {
    let verified = state.pay.verify(method, req.headers(), &body, Utc::now());
    let headers = headers_json(&req);
    let body = body.to_vec();
    let result = db::tx(&state.pool, move |conn| {
        receive(conn, method, headers, body, verified)
    })
    .await;
    metrics::counter!("payment_notifications_total", "method" => method.as_str()).increment(1);
    match result {
        Ok(Ok(_)) => pay::answer(method, Ok(())),
        Ok(Err(refused)) => pay::answer(method, Err((400, refused.as_code().to_owned()))),
        Err(err) => {
            tracing::error!(error = %err, "payment notification not processed");
            pay::answer(
                method,
                Err((500, "not processed; send it again".to_owned())),
            )
        }
    }
}

/// A WeChat Pay notification (payment or refund). 204 with no body once processed (or when it
/// was already); 4xx with `{"code":"FAIL","message":<reason>}` when refused, 500 when it could
/// not be processed now (WeChat Pay sends it again).
#[utoipa::path(post, path = "/api/v1/payments/notify/wechat", tag = "payments",
    operation_id = "wechat_notification", security(()),
    request_body(content = String, content_type = "application/json", description = "The notification exactly as WeChat Pay signed it"),
    responses((status = 204, description = "processed, or already processed"),
        (status = 400, body = NotifyFailure, description = "refused; `message` is the reason's code"),
        (status = 500, body = NotifyFailure, description = "not processed now; WeChat Pay sends it again")))]
pub async fn wechat(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    notified(state, req, body, Method::Wechat).await
}

/// An Alipay asynchronous notification (form-encoded). The literal `success` once processed
/// (or when it was already); `fail` otherwise (Alipay sends it again).
#[utoipa::path(post, path = "/api/v1/payments/notify/alipay", tag = "payments",
    operation_id = "alipay_notification", security(()),
    request_body(content = String, content_type = "application/x-www-form-urlencoded", description = "The notification exactly as Alipay signed it"),
    responses((status = 200, description = "`success`, or `fail` when refused or not processed", content_type = "text/plain", body = String)))]
pub async fn alipay(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    notified(state, req, body, Method::Alipay).await
}
