//! State changes of an order: `POST /orders/{id}/{action}`. Each is a compare-and-swap on status
//! and version, recorded as an event and emailed to the consumer, in one transaction; handoffs
//! also store their proof, and cancellations after acceptance, failed deliveries and lateness
//! create refunds.

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use diesel::{OptionalExtension, PgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::booking::create::distance_m;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::http::Json;
use crate::lifecycle;
use crate::merchants::{self, access};
use crate::state::AppState;
use crate::uploads;

use super::models::{self, Order, Proof};
use super::rules::{self, Actor, HandoffMethod, OrderAction, OrderKind, OrderStatus, ProofError};
use super::views::OrderResponse;
use crate::fields::Text;

/// Wrong PINs allowed before in-person handoff is locked for the order.
pub const MAX_PIN_ATTEMPTS: i32 = 5;

/// How the caller relates to an order; 404 when not at all.
pub fn relations(conn: &mut PgConnection, id: &Identity, o: &Order) -> AppResult<Vec<Actor>> {
    let parties = access::parties(conn, id, o.consumer_id, o.merchant_id, o.courier_id)?;
    let mut roles = parties.roles(
        Actor::Consumer,
        Actor::Merchant,
        Actor::Courier,
        Actor::Operator,
    );
    // An order reaches the merchant's side once it is paid: before, it is not theirs to see.
    if !o.status.was_paid() {
        roles.retain(|r| !matches!(r, Actor::Merchant | Actor::Courier));
        if roles.is_empty() {
            return Err(AppError::NotFound);
        }
    }
    Ok(roles)
}

const ORDER: &str = "order";

fn invalid_transition(from: OrderStatus, action: OrderAction) -> AppError {
    lifecycle::invalid_transition(from, action, ORDER)
}

/// A handoff at the consumer's door.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandoffProof {
    pub method: HandoffMethod,
    /// Where it was left or handed over, e.g. "门口鞋柜".
    #[schema(schema_with = Text::<1, 100>::schema)]
    pub drop_point: String,
    /// Ids of the caller's `handoff_photo` uploads (at least one for contactless).
    #[serde(default)]
    #[schema(max_items = 10, inline)]
    pub photo_refs: Vec<String>,
    /// The 4-digit PIN the consumer reads out (required in person).
    pub pin: Option<String>,
    /// Items collected (pickup legs).
    #[schema(minimum = 1, maximum = 999)]
    pub item_count: Option<i32>,
}

/// What an action may carry; each action reads the fields it uses.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderActionRequest {
    /// reject, cancel, fail, pickup-fail.
    #[schema(schema_with = Text::<1, 500>::nullable)]
    pub reason: Option<String>,
    /// deliver, and pick-up on a pickup leg.
    pub proof: Option<HandoffProof>,
    /// schedule-pickup: when the courier comes.
    pub pickup_at: Option<DateTime<Utc>>,
    /// requote: the new subtotal for what was actually collected.
    #[schema(minimum = 0, maximum = 100000000)]
    pub requote_cents: Option<i64>,
}

/// Attaches a proof's photos (ids checked by `check_proof`) to the order: each must be an upload
/// of the caller's of purpose `handoff_photo`, attached nowhere else.
fn attach_photos(
    conn: &mut PgConnection,
    user: Uuid,
    order_id: Uuid,
    refs: &[String],
) -> AppResult<()> {
    let subject = uploads::Subject {
        kind: uploads::SubjectKind::Order,
        id: order_id,
    };
    for (i, id) in uploads::parse_ids("proof.photo_refs", refs, 10)?
        .into_iter()
        .enumerate()
    {
        let field = format!("proof.photo_refs[{i}]");
        uploads::attach(
            conn,
            user,
            id,
            uploads::Purpose::HandoffPhoto,
            subject,
            &field,
        )?;
    }
    Ok(())
}

/// Whether the caller may see the order's handoff photos: its consumer, the merchant's members
/// and the assigned courier (operators and the uploader are let through by `uploads`).
pub fn may_see_photos(
    conn: &mut PgConnection,
    viewer: Option<&Identity>,
    order_id: Uuid,
) -> AppResult<bool> {
    let (Some(me), Some(order)) = (viewer, models::find(conn, order_id).optional()?) else {
        return Ok(false);
    };
    match relations(conn, me, &order) {
        Ok(roles) => Ok(!roles.is_empty()),
        Err(AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Checks a proof; a wrong PIN is counted (and committed) by the caller.
fn check_proof(
    order: &Order,
    kind: OrderKind,
    proof: Option<&HandoffProof>,
) -> AppResult<Result<(bool, HandoffProof), ProofError>> {
    let proof = proof
        .ok_or_else(|| AppError::invalid("proof", "is required for a handoff"))?
        .clone();
    if order.delivery_mode == "in_person" && proof.method == HandoffMethod::Contactless {
        return Err(AppError::invalid(
            "proof.method",
            "the consumer asked for an in-person handoff",
        ));
    }
    let drop = crate::fields::text("proof.drop_point", &proof.drop_point, 1, 100)?;
    let photos = uploads::parse_ids("proof.photo_refs", &proof.photo_refs, 10)?;
    if kind == OrderKind::PickupReturn && order.status == OrderStatus::PickupScheduled {
        match proof.item_count {
            Some(n) if (1..=999).contains(&n) => {}
            _ => {
                return Err(AppError::invalid(
                    "proof.item_count",
                    "is required when collecting: 1 to 999",
                ))
            }
        }
    }
    if proof.method == HandoffMethod::InPerson && order.pin_attempts >= MAX_PIN_ATTEMPTS {
        return Err(AppError::Conflict(
            "pin_locked",
            "Too many wrong PINs: hand over another way or contact support.".into(),
        ));
    }
    let checked = rules::check_proof(
        proof.method,
        proof.photo_refs.len(),
        proof.pin.as_deref(),
        &order.pin,
    );
    Ok(checked.map(|pin| {
        (
            pin,
            HandoffProof {
                drop_point: drop,
                photo_refs: photos.iter().map(Uuid::to_string).collect(),
                ..proof
            },
        )
    }))
}

/// The outcome of an action: the new order, or a refusal that still wrote something (a wrong
/// PIN is counted), so the transaction commits before the error is answered.
type Outcome = Result<Order, AppError>;

fn act(
    conn: &mut PgConnection,
    id: &Identity,
    order_id: Uuid,
    action: OrderAction,
    req: OrderActionRequest,
) -> AppResult<(Outcome, Actor)> {
    let current = models::find_for_update(conn, order_id)?;
    let actor = lifecycle::actor_for(&relations(conn, id, &current)?, action, ORDER, rules::may)?;
    let (kind, from) = (current.kind, current.status);
    let to = rules::transition(kind, from, action, actor)
        .map_err(|_| invalid_transition(from, action))?;
    let reason = req
        .reason
        .as_deref()
        .map(|r| crate::fields::text("reason", r, 1, 500))
        .transpose()?;
    if matches!(action, OrderAction::Fail | OrderAction::PickupFail) && reason.is_none() {
        return Err(AppError::invalid("reason", "say what went wrong"));
    }
    let now = Utc::now();
    let mut next = current.clone();
    next.status = to;
    if reason.is_some() {
        next.reason = reason.clone();
    }
    let mut proof = None;
    if rules::needs_proof(kind, action) {
        match check_proof(&current, kind, req.proof.as_ref())? {
            Ok(p) => proof = Some(p),
            Err(ProofError::Missing(f, m)) => {
                return Err(AppError::invalid(format!("proof.{f}"), m))
            }
            Err(ProofError::WrongPin) => {
                let attempts = models::count_wrong_pin(conn, order_id)?;
                let left = (MAX_PIN_ATTEMPTS - attempts).max(0);
                return Ok((
                    Err(AppError::Validation(
                        "wrong_pin",
                        vec![FieldError::new(
                            "proof.pin",
                            format!("is wrong; {left} attempts left"),
                        )],
                    )),
                    actor,
                ));
            }
        }
    }
    let settings = models::settings(conn, current.merchant_id)?;
    match action {
        OrderAction::Accept if kind == OrderKind::Delivery => {
            let merchant = merchants::find(conn, current.merchant_id)?;
            let distance = distance_m(
                (current.address_lat, current.address_lng),
                (merchant.lat, merchant.lng),
            );
            next.promised_at = Some(rules::promised_at(now, settings.prep_minutes, distance));
        }
        OrderAction::SchedulePickup => {
            let at = req
                .pickup_at
                .ok_or_else(|| AppError::invalid("pickup_at", "is required"))?;
            if at < now || at > now + Duration::days(14) {
                return Err(AppError::invalid(
                    "pickup_at",
                    "must be within the next 14 days",
                ));
            }
            next.pickup_at = Some(at);
        }
        OrderAction::PickUp => {
            next.item_count = proof
                .as_ref()
                .and_then(|(_, p)| p.item_count)
                .or(next.item_count)
        }
        OrderAction::Requote => {
            let cents = req
                .requote_cents
                .ok_or_else(|| AppError::invalid("requote_cents", "is required"))?;
            if !(0..=100_000_000).contains(&cents) {
                return Err(AppError::invalid("requote_cents", "must be 0 to 100000000"));
            }
            next.requote_cents = Some(cents);
        }
        OrderAction::ApproveQuote => {
            let subtotal = current.requote_cents.unwrap_or(current.subtotal_cents);
            next.subtotal_cents = subtotal;
            next.total_cents = subtotal + current.packaging_cents + current.delivery_fee_cents;
            next.requote_cents = None;
            if next.total_cents < current.refunded_cents {
                return Err(AppError::Conflict(
                    "refund_exceeds_total",
                    "More was refunded than the new total.".into(),
                ));
            }
        }
        OrderAction::Process => {
            let ordered: i32 = models::items_of(conn, &[order_id])?
                .iter()
                .map(|i| i.quantity)
                .sum();
            if current.item_count.is_some_and(|n| n != ordered) {
                return Err(AppError::Conflict(
                    "requote_required",
                    format!(
                        "{} items were collected but {ordered} ordered: requote first.",
                        current.item_count.unwrap_or(0)
                    ),
                ));
            }
        }
        OrderAction::Deliver => {
            next.delivered_at = Some(now);
            next.late_minutes = current
                .promised_at
                .map(|p| i32::try_from((now - p).num_minutes().max(0)).unwrap_or(i32::MAX));
        }
        _ => {}
    }
    let saved =
        models::save(conn, &current, &next)?.ok_or_else(|| invalid_transition(from, action))?;
    if let Some((pin_checked, p)) = proof {
        attach_photos(conn, id.user_id, order_id, &p.photo_refs)?;
        let leg = if action == OrderAction::Deliver {
            "delivery"
        } else {
            "pickup"
        };
        models::insert_proof(
            conn,
            &Proof {
                id: Uuid::now_v7(),
                order_id,
                leg: leg.to_owned(),
                method: p.method.as_str().to_owned(),
                drop_point: p.drop_point,
                photo_refs: serde_json::json!(p.photo_refs),
                pin_checked,
                item_count: p.item_count,
                recorded_by: Some(id.user_id),
                at: now,
            },
        )?;
    }
    let remaining = saved.total_cents - saved.refunded_cents;
    let by = Some(id.user_id);
    match action {
        // Everything past `awaiting_payment` was paid: a cancellation gives back what is left.
        OrderAction::Cancel if from != OrderStatus::AwaitingPayment && remaining > 0 => {
            models::refund(
                conn,
                order_id,
                remaining,
                "cancellation",
                reason.as_deref().unwrap_or("cancelled"),
                by,
            )?;
        }
        OrderAction::Reject if remaining > 0 => {
            models::refund(
                conn,
                order_id,
                remaining,
                "rejection",
                reason.as_deref().unwrap_or("rejected by the merchant"),
                by,
            )?;
        }
        OrderAction::Return if remaining > 0 => {
            models::refund(
                conn,
                order_id,
                remaining,
                "failed_delivery",
                "the delivery failed and was returned",
                by,
            )?;
        }
        OrderAction::DeclineQuote if remaining > 0 => {
            let amount = saved.subtotal_cents.min(remaining);
            models::refund(
                conn,
                order_id,
                amount,
                "requote_declined",
                "the re-quote was declined; items return unprocessed",
                by,
            )?;
        }
        OrderAction::Deliver => {
            let late = i64::from(saved.late_minutes.unwrap_or(0));
            let owed = rules::late_compensation(
                late,
                &settings.tiers(),
                i64::from(settings.late_cap_percent),
                saved.total_cents,
            )
            .min(remaining);
            if owed > 0 {
                models::refund(
                    conn,
                    order_id,
                    owed,
                    "late_compensation",
                    &format!("delivered {late} minutes late"),
                    None,
                )?;
            }
            let at = now + Duration::hours(i64::from(settings.auto_complete_hours));
            super::timers::schedule(conn, super::timers::AUTO_COMPLETE, order_id, at)?;
        }
        _ => {}
    }
    super::record_change(
        conn,
        &saved,
        Some(current.status.as_str()),
        action.as_str(),
        actor,
        by,
        reason.as_deref(),
    )?;
    Ok((Ok(models::find(conn, order_id)?), actor))
}

/// Runs an action for the caller and answers with the order as they see it.
async fn respond(
    id: Identity,
    state: web::Data<AppState>,
    order_id: Uuid,
    action: OrderAction,
    req: OrderActionRequest,
) -> AppResult<web::Json<OrderResponse>> {
    let outcome = db::tx(&state.pool, move |conn| {
        let (outcome, actor) = act(conn, &id, order_id, action, req)?;
        // A refusal that wrote something (a counted wrong PIN) commits, then answers.
        Ok(match outcome {
            Ok(order) => super::detail(conn, order, actor),
            Err(refusal) => Err(refusal),
        })
    })
    .await?;
    Ok(web::Json(outcome?))
}

crate::lifecycle::action_routes! {
    tag = "orders", request = OrderActionRequest, response = OrderResponse, run = respond,
    conflicts = "invalid_transition, pin_locked, requote_required",
    invalid = "validation_failed, wrong_pin";
    /// The merchant accepts; catering gets a promised time.
    accept = OrderAction::Accept, "/api/v1/orders/{id}/accept";
    /// The merchant rejects a placed order.
    reject = OrderAction::Reject, "/api/v1/orders/{id}/reject";
    /// Cancels before pickup; after acceptance the consumer is refunded.
    cancel = OrderAction::Cancel, "/api/v1/orders/{id}/cancel";
    /// Catering: the food is ready for the courier.
    ready = OrderAction::Ready, "/api/v1/orders/{id}/ready";
    /// The courier picks up (from the consumer on a pickup leg, with proof and item count).
    pick_up = OrderAction::PickUp, "/api/v1/orders/{id}/pick-up";
    /// The courier delivers, with a handoff proof; lateness is compensated.
    deliver = OrderAction::Deliver, "/api/v1/orders/{id}/deliver";
    /// Catering: the delivery failed (retry with pick-up, or return).
    fail = OrderAction::Fail, "/api/v1/orders/{id}/fail";
    /// Catering: a failed delivery goes back; the consumer is refunded.
    return_order = OrderAction::Return, "/api/v1/orders/{id}/return";
    /// The consumer confirms receipt.
    confirm_receipt = OrderAction::ConfirmReceipt, "/api/v1/orders/{id}/confirm-receipt";
    /// Laundry/repair: the merchant schedules the pickup.
    schedule_pickup = OrderAction::SchedulePickup, "/api/v1/orders/{id}/schedule-pickup";
    /// Laundry/repair: the pickup failed; schedule another.
    pickup_fail = OrderAction::PickupFail, "/api/v1/orders/{id}/pickup-failed";
    /// Laundry/repair: the merchant re-quotes what was collected.
    requote = OrderAction::Requote, "/api/v1/orders/{id}/requote";
    /// The consumer accepts the re-quote.
    approve_quote = OrderAction::ApproveQuote, "/api/v1/orders/{id}/approve-quote";
    /// The consumer declines the re-quote; items come back unprocessed.
    decline_quote = OrderAction::DeclineQuote, "/api/v1/orders/{id}/decline-quote";
    /// Laundry/repair: processing starts.
    process = OrderAction::Process, "/api/v1/orders/{id}/process";
    /// Laundry/repair: out for return.
    send_back = OrderAction::SendBack, "/api/v1/orders/{id}/send-back";
}
