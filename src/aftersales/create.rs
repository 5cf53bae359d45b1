//! Opening a request: `POST /after-sales`, by the consumer of a completed order or booking,
//! within [`rules::WINDOW_DAYS`] of its completion, one open request per subject.

use actix_web::{http::StatusCode, web, HttpRequest};
use chrono::Utc;
use diesel::PgConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, FieldError, Problem};
use crate::fields::{Fields, Text};
use crate::http::idempotency::{self, IdempotencyKey, Stored};
use crate::http::Json;
use crate::lifecycle::Purchase;
use crate::state::AppState;
use crate::{booking, orders, uploads};

use super::models::{self, Request};
use super::rules::{self, Actor, RequestAction, RequestKind, RequestStatus, SubjectKind};
use super::timers;
use super::views::AfterSalesResponse;

/// The most evidence photos a request takes.
pub const MAX_PHOTOS: usize = 9;

/// A new after-sales request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAfterSalesRequest {
    pub subject_kind: SubjectKind,
    /// The order or booking, the caller's and completed.
    pub subject_id: Uuid,
    pub kind: RequestKind,
    /// The refund asked for, in fen: required for `refund` (1 to what was paid minus what was
    /// refunded), not sent for `redo`.
    #[schema(minimum = 1)]
    pub amount_cents: Option<i64>,
    #[schema(schema_with = Text::<2, 1000>::schema)]
    pub reason: String,
    /// Ids of the caller's `after_sales_evidence` uploads.
    #[serde(default)]
    #[schema(max_items = 9)]
    pub photo_refs: Vec<String>,
}

/// The subject as a purchase, locked, and what is left to refund of it (`None`: no such
/// subject).
pub(super) fn purchase_of(
    conn: &mut PgConnection,
    kind: SubjectKind,
    id: Uuid,
) -> AppResult<Option<(Purchase, i64)>> {
    let Some(purchase) = (match kind {
        SubjectKind::Order => orders::purchase(conn, id)?,
        SubjectKind::Booking => booking::purchase(conn, id)?,
    }) else {
        return Ok(None);
    };
    let refunded = match kind {
        SubjectKind::Order => purchase.refunded_cents,
        SubjectKind::Booking => purchase.refunded_cents + models::booking_refunds(conn, id)?,
    };
    Ok(Some((purchase, (purchase.paid_cents - refunded).max(0))))
}

fn open(
    conn: &mut PgConnection,
    me: Uuid,
    req: CreateAfterSalesRequest,
    reason: String,
    photos: Vec<Uuid>,
) -> AppResult<Request> {
    // Someone else's order or booking is not found, as if it did not exist.
    let (purchase, refundable) = purchase_of(conn, req.subject_kind, req.subject_id)?
        .filter(|(p, _)| p.consumer_id == me)
        .ok_or(AppError::NotFound)?;
    let now = Utc::now();
    let Some(completed) = purchase.completed_at else {
        return Err(AppError::Conflict(
            codes::NOT_COMPLETED,
            format!("The {} has not been completed.", req.subject_kind),
        ));
    };
    if !rules::within_window(completed, now) {
        return Err(AppError::Conflict(
            codes::AFTER_SALES_WINDOW_CLOSED,
            format!(
                "After-sales requests are taken until {} days after completion.",
                rules::WINDOW_DAYS
            ),
        ));
    }
    if let Some(amount) = req.amount_cents {
        if !(1..=refundable).contains(&amount) {
            return Err(AppError::invalid(
                "amount_cents",
                format!("must be 1 to {refundable} (paid minus refunded)"),
            ));
        }
    }
    let request = models::insert(
        conn,
        &Request {
            id: Uuid::now_v7(),
            consumer_id: me,
            merchant_id: purchase.merchant_id,
            subject_kind: req.subject_kind,
            subject_id: req.subject_id,
            kind: req.kind,
            status: RequestStatus::Open,
            paid_cents: purchase.paid_cents,
            requested_cents: req.amount_cents,
            offered_cents: None,
            refund_cents: None,
            reason,
            photo_refs: serde_json::json!(photos),
            answer: None,
            decision: None,
            decision_reason: None,
            decided_by: None,
            respond_by: rules::respond_by(now),
            created_at: now,
            updated_at: now,
            version: 1,
        },
    )?;
    let subject = uploads::Subject {
        kind: uploads::SubjectKind::AfterSalesRequest,
        id: request.id,
    };
    for (i, id) in photos.into_iter().enumerate() {
        let field = format!("photo_refs[{i}]");
        uploads::attach(
            conn,
            me,
            id,
            uploads::Purpose::AfterSalesEvidence,
            subject,
            &field,
        )?;
    }
    timers::schedule_expiry(conn, request.id, request.respond_by)?;
    super::record_change(
        conn,
        &request,
        None,
        RequestAction::Open,
        Actor::Consumer,
        Some(me),
        None,
    )?;
    Ok(request)
}

/// Checks what can be checked without the database; every bad field is named at once.
fn check(req: &CreateAfterSalesRequest) -> AppResult<(String, Vec<Uuid>)> {
    let mut f = Fields::default();
    let reason = f.check(crate::fields::text("reason", &req.reason, 2, 1000));
    let photos = f.check(uploads::parse_ids(
        "photo_refs",
        &req.photo_refs,
        MAX_PHOTOS,
    ));
    match (req.kind, req.amount_cents) {
        (RequestKind::Refund, None) => f.check::<()>(Err(FieldError::new(
            "amount_cents",
            "is required for a refund",
        ))),
        (RequestKind::Refund, Some(a)) if a < 1 => {
            f.check::<()>(Err(FieldError::new("amount_cents", "must be at least 1")))
        }
        (RequestKind::Redo, Some(_)) => f.check::<()>(Err(FieldError::new(
            "amount_cents",
            "is not sent with a redo",
        ))),
        _ => None,
    };
    f.finish()?;
    Ok((reason.unwrap_or_default(), photos.unwrap_or_default()))
}

/// Opens an after-sales request. Requires an `Idempotency-Key`: a retried request returns the
/// same request.
#[utoipa::path(post, path = "/api/v1/after-sales", tag = "after-sales", security(("bearer" = [])),
    request_body = CreateAfterSalesRequest,
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "Client-chosen key; the same key and body replay the first answer")),
    responses((status = 201, body = AfterSalesResponse), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "not_completed, after_sales_window_closed, after_sales_open, idempotency_in_flight"),
        (status = 422, body = Problem, description = "validation_failed (e.g. amount_cents above what is left to refund, photo_refs not the caller's evidence)")))]
pub async fn create_after_sales(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<CreateAfterSalesRequest>,
) -> AppResult<Stored> {
    let digest = idempotency::request_digest(&req, &body.digest());
    let request = body.into_inner();
    let (reason, photos) = check(&request)?;
    db::tx(&state.pool, move |conn| {
        idempotency::once(conn, id.user_id, &key, &digest, |conn| {
            let created = open(conn, id.user_id, request, reason, photos)?;
            Ok((StatusCode::CREATED, AfterSalesResponse::from(created)))
        })
    })
    .await
}
