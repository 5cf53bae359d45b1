//! State changes of a booking: `POST /bookings/{id}/{confirm|decline|cancel|reschedule|
//! check-in|complete|no-show}`. Every change is a compare-and-swap on status and version,
//! recorded as an event, and emailed to the consumer, all in one transaction.

use actix_web::web;
use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::catalog::rules::Fulfilment;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Json;
use crate::lifecycle;
use crate::merchants::{self, access};
use crate::state::AppState;

use super::availability::Bookable;
use super::create::{free_workers, is_overlap, take_seats};
use super::models::{self, Booking};
use super::rules::{self, Actor, BookingAction, BookingStatus, CancelPolicy};
use super::views::{self, BookingResponse};
use crate::fields::Text;

/// How the caller relates to a booking; 404 when not at all.
pub fn relations(conn: &mut PgConnection, id: &Identity, b: &Booking) -> AppResult<Vec<Actor>> {
    let parties = access::parties(conn, id, b.consumer_id, b.merchant_id, b.worker_id)?;
    Ok(parties.roles(
        Actor::Consumer,
        Actor::Merchant,
        Actor::Worker,
        Actor::Operator,
    ))
}

const BOOKING: &str = "booking";

/// The caller's role for `action`: 403 if none of their roles may ever take it.
fn actor_for(relations: &[Actor], action: BookingAction) -> AppResult<Actor> {
    lifecycle::actor_for(relations, action, BOOKING, rules::may)
}

fn invalid_transition(from: BookingStatus, action: BookingAction) -> AppError {
    lifecycle::invalid_transition(from, action, BOOKING)
}

/// Applies a transition to a locked booking: the rule, the caller's `edit`, the compare-and-swap,
/// seats given back when it stops being active, the event and the email.
pub fn apply(
    conn: &mut PgConnection,
    current: &Booking,
    action: BookingAction,
    actor: Actor,
    actor_id: Option<Uuid>,
    reason: Option<&str>,
    edit: impl FnOnce(&mut Booking) -> AppResult<()>,
) -> AppResult<Booking> {
    let from = current.status;
    let to = rules::transition(from, action, actor).map_err(|e| match e {
        rules::RuleError::NotAllowed => lifecycle::forbidden(action, BOOKING),
        rules::RuleError::InvalidTransition => invalid_transition(from, action),
    })?;
    super::payment::ensure_paid(current, action)?;
    let mut next = current.clone();
    next.status = to;
    edit(&mut next)?;
    if to.is_active() && (next.worker_id != current.worker_id || next.blocked != current.blocked) {
        let workers: Vec<Uuid> = current
            .worker_id
            .into_iter()
            .chain(next.worker_id)
            .collect();
        merchants::lock_calendars(conn, &workers)?;
    }
    let saved = match models::save(conn, current, &next) {
        Ok(Some(saved)) => saved,
        Ok(None) => return Err(invalid_transition(from, action)),
        Err(e) if is_overlap(&e) => {
            return Err(AppError::Conflict(
                "slot_taken",
                "The worker is no longer free at that time.".into(),
            ))
        }
        Err(e) => return Err(e.into()),
    };
    if from.is_active() && !to.is_active() {
        if saved.kind == Fulfilment::InStore {
            models::release_seats(conn, saved.service_id, saved.starts_at, saved.party_size)?;
        }
        super::payment::refund_on_end(conn, &saved)?;
    }
    let tz = saved_tz(conn, &saved)?;
    super::record_change(
        conn,
        &saved,
        Some(from.as_str()),
        action.as_str(),
        actor,
        actor_id,
        reason,
        tz,
    )?;
    Ok(saved)
}

fn saved_tz(conn: &mut PgConnection, b: &Booking) -> AppResult<chrono_tz::Tz> {
    Ok(crate::merchants::find(conn, b.merchant_id)?.tz())
}

/// What an action may carry. Every field is optional; each action reads the ones it uses.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    /// decline, cancel: shown to the other party.
    #[schema(schema_with = Text::<1, 500>::nullable)]
    pub reason: Option<String>,
    /// confirm: the worker who will go (another qualified worker than the one assigned).
    pub worker_id: Option<Uuid>,
    /// reschedule: the new start, one of the service's slots.
    pub starts_at: Option<DateTime<Utc>>,
}

fn reason_of(req: &ActionRequest) -> AppResult<Option<String>> {
    req.reason
        .as_deref()
        .map(|r| crate::fields::text("reason", r, 1, 500))
        .transpose()
        .map_err(AppError::from)
}

/// Runs `action` on booking `booking_id` for the caller.
async fn act(
    id: Identity,
    state: web::Data<AppState>,
    booking_id: Uuid,
    action: BookingAction,
    req: ActionRequest,
) -> AppResult<web::Json<BookingResponse>> {
    let reason = reason_of(&req)?;
    let booking = db::tx(&state.pool, move |conn| {
        let current = models::find_for_update(conn, booking_id)?;
        let actor = actor_for(&relations(conn, &id, &current)?, action)?;
        // A state that allows no such action answers 409 before any of the action's input is read.
        rules::transition(current.status, action, actor)
            .map_err(|_| invalid_transition(current.status, action))?;
        let now = Utc::now();
        let who = Some(id.user_id);
        let saved = match action {
            BookingAction::Confirm => {
                let worker = match req.worker_id.filter(|w| Some(*w) != current.worker_id) {
                    Some(worker) => {
                        let bookable = Bookable::load_any(conn, current.service_id)?;
                        let qualified = merchants::qualified_workers(
                            conn,
                            current.merchant_id,
                            &bookable.service.category,
                        )?;
                        if !qualified.iter().any(|(w, _)| *w == worker) {
                            return Err(AppError::invalid(
                                "worker_id",
                                "is not an active worker qualified for this service",
                            ));
                        }
                        Some(worker)
                    }
                    None => current.worker_id,
                };
                apply(conn, &current, action, actor, who, None, |b| {
                    b.worker_id = worker;
                    b.respond_by = None;
                    Ok(())
                })?
            }
            BookingAction::Cancel => {
                let settings = models::settings(conn, current.merchant_id)?;
                let policy = CancelPolicy {
                    free_hours: settings.free_cancel_hours,
                    late_fee_percent: settings.late_cancel_fee_percent,
                };
                let (_, fee) = rules::cancellation_fee(
                    actor,
                    current.status,
                    now,
                    current.starts_at,
                    current.price_cents,
                    policy,
                );
                apply(conn, &current, action, actor, who, reason.as_deref(), |b| {
                    b.cancelled_by = Some(actor);
                    b.cancel_fee_cents = Some(fee);
                    b.cancel_reason = reason.clone();
                    Ok(())
                })?
            }
            BookingAction::Reschedule => reschedule(conn, &current, actor, who, req.starts_at)?,
            BookingAction::CheckIn => {
                if now < current.starts_at - Duration::hours(1) {
                    return Err(AppError::Conflict(
                        "too_early",
                        "Check-in opens an hour before the start.".into(),
                    ));
                }
                let saved = apply(conn, &current, action, actor, who, None, |_| Ok(()))?;
                super::timers::schedule_auto_complete(
                    conn,
                    saved.id,
                    saved.ends_at + super::timers::auto_complete_after(),
                )?;
                saved
            }
            BookingAction::NoShow => {
                if now < current.starts_at {
                    return Err(AppError::Conflict(
                        "too_early",
                        "A no-show can be recorded once the start has passed.".into(),
                    ));
                }
                apply(conn, &current, action, actor, who, reason.as_deref(), |b| {
                    b.no_show_party = Some(rules::no_show_party(actor).to_owned());
                    Ok(())
                })?
            }
            _ => apply(
                conn,
                &current,
                action,
                actor,
                who,
                reason.as_deref(),
                |_| Ok(()),
            )?,
        };
        Ok(views::show(conn, saved, actor)?)
    })
    .await?;
    Ok(web::Json(booking))
}

/// Moves the booking to another slot with the same worker (or seats), atomically: the update is
/// checked by the same overlap constraint (or seat counter) as a new booking.
fn reschedule(
    conn: &mut PgConnection,
    current: &Booking,
    actor: Actor,
    who: Option<Uuid>,
    starts_at: Option<DateTime<Utc>>,
) -> AppResult<Booking> {
    let start =
        starts_at.ok_or_else(|| AppError::invalid("starts_at", "is required to reschedule"))?;
    let bookable = Bookable::load(conn, current.service_id)?;
    if current.reschedule_count >= bookable.settings.reschedule_limit {
        return Err(AppError::Conflict(
            "reschedule_limit_reached",
            format!(
                "This booking was already rescheduled {} times.",
                current.reschedule_count
            ),
        ));
    }
    if current.status.is_active() {
        if current.kind == Fulfilment::InStore {
            take_seats(conn, &bookable, start, current.party_size)?;
            models::release_seats(
                conn,
                current.service_id,
                current.starts_at,
                current.party_size,
            )?;
        } else {
            free_workers(conn, &bookable, current.worker_id, start, Some(current.id))?;
        }
    }
    let buffer = bookable.visit().buffer;
    let duration = bookable.duration();
    let saved = apply(
        conn,
        current,
        BookingAction::Reschedule,
        actor,
        who,
        None,
        |b| {
            b.starts_at = start;
            b.ends_at = start + duration;
            b.blocked = models::range(start, start + duration + buffer);
            b.reschedule_count += 1;
            b.respond_by = b.respond_by.map(|_| rules::respond_by(b.created_at, start));
            Ok(())
        },
    )?;
    if let Some(at) = saved.respond_by {
        super::timers::schedule_expiry(conn, saved.id, at)?;
    }
    Ok(saved)
}

crate::lifecycle::action_routes! {
    tag = "booking", request = ActionRequest, response = BookingResponse, run = act,
    conflicts = "invalid_transition, slot_taken, too_early, reschedule_limit_reached";
    /// The merchant confirms a pending booking, optionally sending another qualified worker.
    confirm = BookingAction::Confirm, "/api/v1/bookings/{id}/confirm";
    /// The merchant declines a pending booking.
    decline = BookingAction::Decline, "/api/v1/bookings/{id}/decline";
    /// Cancels a pending or confirmed booking; a consumer's late cancellation records the fee tier.
    cancel = BookingAction::Cancel, "/api/v1/bookings/{id}/cancel";
    /// Moves a pending or confirmed booking to another slot, a limited number of times.
    reschedule_booking = BookingAction::Reschedule, "/api/v1/bookings/{id}/reschedule";
    /// The worker (or merchant) starts the service; opens an hour before the start.
    check_in = BookingAction::CheckIn, "/api/v1/bookings/{id}/check-in";
    /// The worker (or merchant) completes the service.
    complete = BookingAction::Complete, "/api/v1/bookings/{id}/complete";
    #[doc = "Records a no-show after the start: reported by the consumer, the merchant did not come; by the merchant or worker, the consumer was not there."]
    no_show = BookingAction::NoShow, "/api/v1/bookings/{id}/no-show";
}
