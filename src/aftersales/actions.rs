//! State changes of a request: `POST /after-sales/{id}/{agree|offer|refuse|accept-offer|
//! decline-offer|escalate|withdraw}` and the operators' `POST /admin/after-sales/{id}/decision`.
//! Each is a compare-and-swap on status and version, recorded as an event and told to the other
//! party, in one transaction; an agreed or decided refund of an order is made in it too.

use actix_web::web;
use diesel::PgConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::fields::Text;
use crate::http::Json;
use crate::lifecycle;
use crate::orders;
use crate::state::AppState;

use super::create::purchase_of;
use super::models::{self, Request};
use super::rules::{self, Actor, Decision, RequestAction, RequestKind, SubjectKind};
use super::views::AfterSalesResponse;

const REQUEST: &str = "after-sales request";

/// What an action may carry; each action reads the fields it uses.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AfterSalesActionRequest {
    /// refuse (required), offer, decline-offer, escalate, withdraw: shown to the other party.
    #[schema(schema_with = Text::<1, 500>::nullable)]
    pub reason: Option<String>,
    /// offer: the partial refund, in fen (less than asked on a refund request).
    #[schema(minimum = 1)]
    pub amount_cents: Option<i64>,
}

fn reason_of(raw: Option<&str>) -> AppResult<Option<String>> {
    raw.map(|r| crate::fields::text("reason", r, 1, 500))
        .transpose()
        .map_err(AppError::from)
}

/// Makes the refund a request agreed or was decided, in the caller's transaction: for an order
/// one of its refunds (capped at its total), for a booking only the amount on the request.
fn refund(conn: &mut PgConnection, r: &Request, amount: i64, by: Option<Uuid>) -> AppResult<()> {
    match r.subject_kind {
        SubjectKind::Order => {
            let short = &r.id.simple().to_string()[..8];
            orders::after_sales_refund(
                conn,
                r.subject_id,
                amount,
                &format!("售后 {short} / after-sales request {short}"),
                by,
            )?;
        }
        SubjectKind::Booking => {
            let (_, left) =
                purchase_of(conn, r.subject_kind, r.subject_id)?.ok_or(AppError::NotFound)?;
            if amount > left {
                return Err(AppError::Conflict(
                    codes::REFUND_EXCEEDS_TOTAL,
                    "Refunds would exceed what was paid for the booking.".into(),
                ));
            }
            // A prepaid booking's money goes back through its provider; one paid at the shop
            // is refunded there (the payments job finds no payment and records nothing).
            let short = &r.id.simple().to_string()[..8];
            crate::ledger::refund_requested(
                conn,
                &crate::jobs::RefundRequest {
                    subject_kind: "booking".into(),
                    subject_id: r.subject_id,
                    source_key: format!("after_sales:{}", r.id),
                    amount_cents: amount,
                    reason: format!("售后 {short} / after-sales request {short}"),
                },
                r.merchant_id,
                crate::ledger::Funding::Merchant,
            )?;
        }
    }
    Ok(())
}

/// Applies a transition to a locked request: the rule, the caller's `edit`, the
/// compare-and-swap, the refund when one was agreed, the event and the email.
pub fn apply(
    conn: &mut PgConnection,
    current: &Request,
    action: RequestAction,
    actor: Actor,
    actor_id: Option<Uuid>,
    reason: Option<&str>,
    edit: impl FnOnce(&mut Request) -> AppResult<()>,
) -> AppResult<Request> {
    let from = current.status;
    let to = rules::transition(from, action, actor).map_err(|e| match e {
        rules::RuleError::NotAllowed => lifecycle::forbidden(action, REQUEST),
        rules::RuleError::InvalidTransition => lifecycle::invalid_transition(from, action, REQUEST),
    })?;
    let mut next = current.clone();
    next.status = to;
    edit(&mut next)?;
    // Before the swap, so a booking's earlier refunds are counted without this one; a swap
    // that then fails rolls the refund back with the transaction.
    if let (None, Some(amount)) = (current.refund_cents, next.refund_cents) {
        refund(conn, &next, amount, actor_id)?;
    }
    let saved = models::save(conn, current, &next)?
        .ok_or_else(|| lifecycle::invalid_transition(from, action, REQUEST))?;
    super::record_change(
        conn,
        &saved,
        Some(from.as_str()),
        action,
        actor,
        actor_id,
        reason,
    )?;
    Ok(saved)
}

fn act(
    conn: &mut PgConnection,
    id: &Identity,
    request_id: Uuid,
    action: RequestAction,
    req: AfterSalesActionRequest,
) -> AppResult<Request> {
    let locked = models::find_for_update(conn, request_id)?;
    let current = super::timers::expire_if_due(conn, locked)?;
    let roles = super::relations(conn, id, &current)?;
    let actor = lifecycle::actor_for(&roles, action, REQUEST, rules::may)?;
    let reason = reason_of(req.reason.as_deref())?;
    if action == RequestAction::Refuse && reason.is_none() {
        return Err(AppError::invalid(
            "reason",
            "say why the request is refused",
        ));
    }
    // Checked after the state, so escalating anything else stays a 409 transition; the window
    // runs from when the request reached its status, as its history records.
    if action == RequestAction::Escalate && rules::transition(current.status, action, actor).is_ok()
    {
        let settled = crate::history::reached_at(
            conn,
            crate::history::Of::AfterSales,
            current.id,
            current.status.as_str(),
        )?
        .unwrap_or(current.updated_at);
        if !rules::may_still_escalate(settled, chrono::Utc::now()) {
            return Err(AppError::Conflict(
                codes::ESCALATION_WINDOW_CLOSED,
                format!(
                    "A request is taken to the platform within {} days of its answer or expiry.",
                    rules::ESCALATE_DAYS
                ),
            ));
        }
    }
    let amount = match action {
        RequestAction::Offer => {
            // Checked after the state, so an offer on a request that moved on is a 409.
            rules::transition(current.status, action, actor)
                .map_err(|_| lifecycle::invalid_transition(current.status, action, REQUEST))?;
            let (_, left) = purchase_of(conn, current.subject_kind, current.subject_id)?
                .ok_or(AppError::NotFound)?;
            let max = rules::max_offer(current.kind, current.requested_cents, left);
            match req.amount_cents {
                Some(a) if (1..=max).contains(&a) => Some(a),
                _ if max < 1 => {
                    return Err(AppError::invalid("amount_cents", "nothing can be offered"))
                }
                _ => {
                    return Err(AppError::invalid(
                        "amount_cents",
                        format!("must be 1 to {max}"),
                    ))
                }
            }
        }
        _ => None,
    };
    apply(
        conn,
        &current,
        action,
        actor,
        Some(id.user_id),
        reason.as_deref(),
        |next| {
            match action {
                RequestAction::Agree if next.kind == RequestKind::Refund => {
                    next.refund_cents = next.requested_cents;
                }
                RequestAction::AcceptOffer => next.refund_cents = next.offered_cents,
                RequestAction::Offer => next.offered_cents = amount,
                _ => {}
            }
            if matches!(
                action,
                RequestAction::Agree | RequestAction::Offer | RequestAction::Refuse
            ) && reason.is_some()
            {
                next.answer = reason.clone();
            }
            Ok(())
        },
    )
}

/// Runs an action for the caller and answers with the request.
async fn respond(
    id: Identity,
    state: web::Data<AppState>,
    request_id: Uuid,
    action: RequestAction,
    req: AfterSalesActionRequest,
) -> AppResult<web::Json<AfterSalesResponse>> {
    let saved = db::tx(&state.pool, move |conn| {
        act(conn, &id, request_id, action, req)
    })
    .await?;
    Ok(web::Json(saved.into()))
}

crate::lifecycle::action_routes! {
    tag = "after-sales", request = AfterSalesActionRequest, response = AfterSalesResponse,
    run = respond, conflicts = "invalid_transition, refund_exceeds_total, escalation_window_closed";
    /// The merchant agrees: a refund request is refunded as asked, a redo is to be done.
    agree = RequestAction::Agree, "/api/v1/after-sales/{id}/agree";
    /// The merchant offers a partial refund (`amount_cents`).
    offer = RequestAction::Offer, "/api/v1/after-sales/{id}/offer";
    /// The merchant refuses, with a reason.
    refuse = RequestAction::Refuse, "/api/v1/after-sales/{id}/refuse";
    /// The consumer accepts the merchant's offer: it is refunded.
    accept_offer = RequestAction::AcceptOffer, "/api/v1/after-sales/{id}/accept-offer";
    /// The consumer declines the merchant's offer (and may then escalate).
    decline_offer = RequestAction::DeclineOffer, "/api/v1/after-sales/{id}/decline-offer";
    /// The consumer takes a refused, unanswered or declined request to the platform.
    escalate = RequestAction::Escalate, "/api/v1/after-sales/{id}/escalate";
    /// The consumer withdraws the request.
    withdraw = RequestAction::Withdraw, "/api/v1/after-sales/{id}/withdraw";
}

/// An operator's decision on an escalated request.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionRequest {
    pub decision: Decision,
    /// `refund_part` only: the refund, in fen (1 to what is left to refund).
    #[schema(minimum = 1)]
    pub amount_cents: Option<i64>,
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
}

fn decide_in(
    conn: &mut PgConnection,
    id: &Identity,
    request_id: Uuid,
    req: DecisionRequest,
    reason: String,
) -> AppResult<Request> {
    let current = models::find_for_update(conn, request_id)?;
    let action = RequestAction::Decide;
    rules::transition(current.status, action, Actor::Operator)
        .map_err(|_| lifecycle::invalid_transition(current.status, action, REQUEST))?;
    let (_, left) =
        purchase_of(conn, current.subject_kind, current.subject_id)?.ok_or(AppError::NotFound)?;
    let amount = rules::decided_refund(
        req.decision,
        current.requested_cents,
        left,
        req.amount_cents,
    )
    .map_err(|m| AppError::invalid("amount_cents", m))?;
    let saved = apply(
        conn,
        &current,
        action,
        Actor::Operator,
        Some(id.user_id),
        Some(&reason),
        |next| {
            next.decision = Some(req.decision);
            next.decision_reason = Some(reason.clone());
            next.decided_by = Some(id.user_id);
            next.refund_cents = amount;
            Ok(())
        },
    )?;
    audit::record(
        conn,
        Entry {
            actor_id: Some(id.user_id),
            actor_role: ActorRole::Operator,
            action: "after_sales.decide",
            subject_type: "after_sales_request",
            subject_id: request_id,
            before: Some(serde_json::json!({"status": current.status})),
            after: Some(
                serde_json::json!({"status": saved.status, "decision": req.decision,
                "refund_cents": saved.refund_cents}),
            ),
            reason: Some(&reason),
        },
    )?;
    Ok(saved)
}

/// An operator decides an escalated request: refund in full or in part, redo, or reject. The
/// decision is in the audit log.
#[utoipa::path(post, path = "/api/v1/admin/after-sales/{id}/decision", tag = "after-sales",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = DecisionRequest,
    responses((status = 200, body = AfterSalesResponse), (status = 403, body = Problem),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "invalid_transition, refund_exceeds_total"),
        (status = 422, body = Problem)))]
pub async fn decide(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<DecisionRequest>,
) -> AppResult<web::Json<AfterSalesResponse>> {
    id.require_operator()?;
    let request_id = path.into_inner();
    let req = body.into_inner();
    let reason = crate::fields::text("reason", &req.reason, 2, 500)?;
    let saved = db::tx(&state.pool, move |conn| {
        decide_in(conn, &id, request_id, req, reason)
    })
    .await?;
    Ok(web::Json(saved.into()))
}
