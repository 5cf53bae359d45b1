//! Paying: `POST /orders/{id}/payments` and `POST /bookings/{id}/payments` open a payment at
//! the provider and give the app what opens the payment sheet; `GET /payments/{id}` reads one;
//! `POST /payments/{id}/check` asks the provider where it stands (the app calls it when the
//! payment sheet closes); operators list the notifications that were flagged.

use actix_web::{http::StatusCode, web, HttpRequest};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::idempotency::{self, IdempotencyKey, Stored};
use crate::http::pagination::{self, Page, TimeCursor};
use crate::http::{Json, Query};
use crate::lifecycle::Payable;
use crate::pay::{Charge, Method, Sheet, TradeState};
use crate::state::AppState;
use crate::{booking, orders};

use super::models::{self, Notification, Payment, Refund};
use super::rules::{self, Outcome, PaymentStatus, RefundStatus, SubjectKind};
use super::settle;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PayRequest {
    /// Which provider the consumer pays through.
    pub method: Method,
}

/// A refund of a payment, as the provider carries it out.
#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentRefundResponse {
    pub id: Uuid,
    pub amount_cents: i64,
    pub reason: String,
    pub status: RefundStatus,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PaymentResponse {
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub method: Method,
    /// Our id of the payment at the provider (`out_trade_no`), as the provider's records and
    /// bills name it.
    pub out_trade_no: String,
    pub status: PaymentStatus,
    pub amount_cents: i64,
    pub currency: String,
    /// After this the provider takes no payment and the order or booking closes unpaid.
    pub expires_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    /// What refunds have taken back so far (requested or done).
    pub refunded_cents: i64,
    /// What the app passes to the provider's SDK to open the payment sheet; only while
    /// `pending`.
    pub sheet: Option<Sheet>,
    pub refunds: Vec<PaymentRefundResponse>,
}

impl PaymentResponse {
    fn new(p: Payment, refunds: Vec<Refund>) -> Self {
        let sheet = match (p.status, &p.prepay_id, &p.sheet) {
            (PaymentStatus::Pending, Some(prepay_id), Some(params)) => Some(Sheet {
                method: p.method,
                prepay_id: prepay_id.clone(),
                params: params.clone(),
            }),
            _ => None,
        };
        Self {
            id: p.id,
            subject_kind: p.subject_kind,
            subject_id: p.subject_id,
            method: p.method,
            out_trade_no: p.out_trade_no,
            status: p.status,
            amount_cents: p.amount_cents,
            currency: p.currency,
            expires_at: p.expires_at,
            paid_at: p.paid_at,
            refunded_cents: p.refunded_cents,
            sheet,
            refunds: refunds
                .into_iter()
                .filter(|r| r.payment_id == p.id)
                .map(|r| PaymentRefundResponse {
                    id: r.id,
                    amount_cents: r.amount_cents,
                    reason: r.reason,
                    status: r.status,
                    created_at: r.created_at,
                    ended_at: r.ended_at,
                })
                .collect(),
        }
    }
}

/// The consumer's payments with their refunds, for the personal-data export.
pub fn export_for(conn: &mut diesel::PgConnection, user: Uuid) -> AppResult<Vec<PaymentResponse>> {
    let payments = models::of_consumer(conn, user)?;
    let ids: Vec<Uuid> = payments.iter().map(|p| p.id).collect();
    let refunds = models::refunds_of(conn, &ids)?;
    Ok(payments
        .into_iter()
        .map(|p| {
            let mine = refunds
                .iter()
                .filter(|r| r.payment_id == p.id)
                .cloned()
                .collect();
            PaymentResponse::new(p, mine)
        })
        .collect())
}

fn load(conn: &mut diesel::PgConnection, p: Payment) -> AppResult<PaymentResponse> {
    let refunds = models::refunds_of(conn, &[p.id])?;
    Ok(PaymentResponse::new(p, refunds))
}

/// The open payment for the subject through `method`, made if there is none. 404 for
/// someone else's order or booking; 409 `not_payable` once it no longer waits for a payment,
/// 409 `payment_in_progress` while a payment through the other provider is open.
fn open_payment(
    conn: &mut diesel::PgConnection,
    kind: SubjectKind,
    subject_id: Uuid,
    consumer: Uuid,
    method: Method,
    pay_within: chrono::Duration,
) -> AppResult<(Payment, Payable)> {
    let payable = match kind {
        SubjectKind::Order => orders::payable(conn, subject_id, consumer)?,
        SubjectKind::Booking => booking::payable(conn, subject_id, consumer)?,
    }
    .ok_or(AppError::NotFound)?;
    match models::live_for_update(conn, kind, subject_id)? {
        Some(p) if p.status == PaymentStatus::Pending && p.method == method => Ok((p, payable)),
        Some(p) if p.status == PaymentStatus::Pending => Err(AppError::Conflict(
            codes::PAYMENT_IN_PROGRESS,
            format!(
                "A payment through {} is open until {}.",
                p.method,
                p.expires_at.to_rfc3339()
            ),
        )),
        Some(_) => Err(not_payable()),
        None if !payable.awaiting => Err(not_payable()),
        None => {
            let id = Uuid::now_v7();
            let now = Utc::now();
            let mut expires_at = payable.created_at + pay_within;
            if let Some(latest) = payable.latest {
                expires_at = expires_at.min(latest);
            }
            if expires_at <= now {
                return Err(not_payable());
            }
            let p = models::insert(
                conn,
                &Payment {
                    id,
                    subject_kind: kind,
                    subject_id,
                    consumer_id: payable.consumer_id,
                    merchant_id: payable.merchant_id,
                    method,
                    out_trade_no: rules::provider_no(id),
                    amount_cents: payable.amount_cents,
                    currency: "CNY".into(),
                    status: PaymentStatus::Pending,
                    prepay_id: None,
                    sheet: None,
                    transaction_id: None,
                    refunded_cents: 0,
                    expires_at,
                    paid_at: None,
                    ended_at: None,
                    created_at: now,
                },
            )?;
            Ok((p, payable))
        }
    }
}

fn not_payable() -> AppError {
    AppError::Conflict(
        codes::NOT_PAYABLE,
        "It no longer waits for a payment.".into(),
    )
}

fn provider_failed(err: crate::pay::ProviderError) -> AppError {
    AppError::BadGateway(codes::PROVIDER_UNAVAILABLE, err.to_string())
}

async fn pay(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    kind: SubjectKind,
    subject_id: Uuid,
    body: Json<PayRequest>,
) -> AppResult<Stored> {
    let digest = idempotency::request_digest(&req, &body.digest());
    let method = body.into_inner().method;
    if !state.pay.enabled(method) {
        return Err(AppError::invalid("method", "is not offered here"));
    }
    let pay_within = state.config.payment_timeout;
    let user = id.user_id;
    let (payment, payable) = db::tx(&state.pool, move |conn| {
        open_payment(conn, kind, subject_id, user, method, pay_within)
    })
    .await?;
    let payment = match payment.sheet {
        Some(_) => payment,
        None => {
            let charge = Charge {
                out_trade_no: payment.out_trade_no.clone(),
                description: payable.description.chars().take(40).collect(),
                amount_fen: payment.amount_cents,
                expires_at: payment.expires_at,
                notify_url: super::notify_url(&state.config.public_url, method),
            };
            let sheet = state
                .pay
                .create(method, &charge)
                .await
                .map_err(provider_failed)?;
            let payment_id = payment.id;
            db::run(&state.pool, move |conn| {
                Ok(models::set_sheet(
                    conn,
                    payment_id,
                    &sheet.prepay_id,
                    &sheet.params,
                )?)
            })
            .await?
        }
    };
    db::tx(&state.pool, move |conn| {
        idempotency::once(conn, user, &key, &digest, |conn| {
            Ok((StatusCode::CREATED, load(conn, payment)?))
        })
    })
    .await
}

/// Pays for an order awaiting its payment. Requires an `Idempotency-Key`; asking again (with
/// any key) while the payment is open gives the same payment. The order reaches the merchant
/// once the provider reports it paid.
#[utoipa::path(post, path = "/api/v1/orders/{id}/payments", tag = "payments", operation_id = "pay_order", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "Client-chosen key; the same key and body replay the first answer")),
    request_body = PayRequest,
    responses((status = 201, body = PaymentResponse, description = "the open payment with its sheet"), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not_payable, payment_in_progress, idempotency_in_flight"),
        (status = 422, body = Problem, description = "validation_failed (a method not offered), idempotency_key_required"),
        (status = 502, body = Problem, description = "provider_unavailable")))]
pub async fn pay_order(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<PayRequest>,
) -> AppResult<Stored> {
    pay(
        id,
        key,
        req,
        state,
        SubjectKind::Order,
        path.into_inner(),
        body,
    )
    .await
}

/// Pays for a prepaid booking (the merchant's `prepaid` booking setting). Requires an
/// `Idempotency-Key`. Until it is paid the merchant cannot confirm it; unpaid when its time to
/// pay is over (or at its start), it is cancelled without a fee.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/payments", tag = "payments", operation_id = "pay_booking", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "Client-chosen key; the same key and body replay the first answer")),
    request_body = PayRequest,
    responses((status = 201, body = PaymentResponse, description = "the open payment with its sheet"), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not_prepaid, not_payable, payment_in_progress, idempotency_in_flight"),
        (status = 422, body = Problem, description = "validation_failed (a method not offered), idempotency_key_required"),
        (status = 502, body = Problem, description = "provider_unavailable")))]
pub async fn pay_booking(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<PayRequest>,
) -> AppResult<Stored> {
    pay(
        id,
        key,
        req,
        state,
        SubjectKind::Booking,
        path.into_inner(),
        body,
    )
    .await
}

/// The payment if the caller is its consumer or an operator; 404 otherwise.
fn visible(conn: &mut diesel::PgConnection, id: &Identity, payment_id: Uuid) -> AppResult<Payment> {
    let p = diesel::OptionalExtension::optional(models::find(conn, payment_id))?
        .ok_or(AppError::NotFound)?;
    if p.consumer_id != id.user_id && id.require_operator().is_err() {
        return Err(AppError::NotFound);
    }
    Ok(p)
}

/// One payment with its refunds, for its consumer and operators.
#[utoipa::path(get, path = "/api/v1/payments/{id}", tag = "payments", operation_id = "get_payment", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PaymentResponse), (status = 404, body = Problem)))]
pub async fn get_payment(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<PaymentResponse>> {
    let payment_id = path.into_inner();
    let response = db::run(&state.pool, move |conn| {
        let p = visible(conn, &id, payment_id)?;
        load(conn, p)
    })
    .await?;
    Ok(web::Json(response))
}

/// Asks the provider where an open payment stands and records what it says (paid, or closed
/// there); the app calls it when the payment sheet closes, in case the notification is slow.
/// An ended payment is answered as it is, without asking.
#[utoipa::path(post, path = "/api/v1/payments/{id}/check", tag = "payments", operation_id = "check_payment", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = PaymentResponse), (status = 404, body = Problem),
        (status = 502, body = Problem, description = "provider_unavailable")))]
pub async fn check_payment(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<PaymentResponse>> {
    let payment_id = path.into_inner();
    let p = db::run(&state.pool, move |conn| visible(conn, &id, payment_id)).await?;
    if p.status == PaymentStatus::Pending {
        let report = state
            .pay
            .query(p.method, &p.out_trade_no)
            .await
            .map_err(provider_failed)?;
        db::tx(&state.pool, move |conn| {
            let p = models::find_for_update(conn, payment_id)?;
            match report {
                TradeState::Paid(report) => {
                    if let Err(m) = settle::paid(conn, &p, &report)? {
                        tracing::warn!(payment = %p.id, reason = m.as_code(), "provider's answer does not match");
                    }
                }
                TradeState::Closed => {
                    settle::closed(conn, &p, PaymentStatus::Closed)?;
                }
                TradeState::Pending | TradeState::Unknown => {}
            }
            Ok(())
        })
        .await?;
    }
    let response = db::run(&state.pool, move |conn| {
        let p = models::find(conn, payment_id)?;
        load(conn, p)
    })
    .await?;
    Ok(web::Json(response))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NotificationsQuery {
    /// `flagged` (the default): verified but not matching what we hold; also `refused`,
    /// `processed`, `duplicate`.
    pub outcome: Option<Outcome>,
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A notification as received, for operators.
#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationResponse {
    pub id: Uuid,
    pub method: Method,
    pub event_key: Option<String>,
    pub outcome: Outcome,
    /// The refusal's code or what did not match.
    pub reason: Option<String>,
    pub payment_id: Option<Uuid>,
    /// The headers as received (`Authorization` left out), lower-case names.
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
    pub headers: serde_json::Value,
    /// The body as received (UTF-8, invalid bytes replaced).
    pub body: String,
    pub received_at: DateTime<Utc>,
}

impl From<Notification> for NotificationResponse {
    fn from(n: Notification) -> Self {
        Self {
            id: n.id,
            method: n.method,
            event_key: n.event_key,
            outcome: n.outcome,
            reason: n.reason,
            payment_id: n.payment_id,
            headers: n.headers,
            body: String::from_utf8_lossy(&n.body).into_owned(),
            received_at: n.received_at,
        }
    }
}

/// The providers' notifications by outcome, newest first (operators).
#[utoipa::path(get, path = "/api/v1/admin/payment-notifications", tag = "payments", operation_id = "list_payment_notifications", security(("bearer" = [])),
    params(NotificationsQuery),
    responses((status = 200, body = Page<NotificationResponse>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_notifications(
    id: Identity,
    state: web::Data<AppState>,
    q: Query<NotificationsQuery>,
) -> AppResult<web::Json<Page<NotificationResponse>>> {
    id.require_operator()?;
    let q = q.into_inner();
    let (limit, after) = pagination::parse::<TimeCursor>(q.limit, q.cursor)?;
    let outcome = q.outcome.unwrap_or(Outcome::Flagged);
    let page = db::run(&state.pool, move |conn| {
        let rows = models::notifications(conn, outcome, after, limit + 1)?;
        Ok(Page::from_rows(rows, limit, |n| (n.received_at, n.id)).map(Into::into))
    })
    .await?;
    Ok(web::Json(page))
}
