//! The booking lifecycle and its policies. Pure; no database, no HTTP.
//!
//! `pending_confirmation | confirmed -> in_service -> completed`, with the side exits `declined`,
//! `expired`, `cancelled` and `no_show`. Each action names who may take it.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

crate::lifecycle::named_enum! {
    pub enum BookingStatus {
        PendingConfirmation = "pending_confirmation",
        Confirmed = "confirmed",
        InService = "in_service",
        Completed = "completed",
        Declined = "declined",
        Expired = "expired",
        Cancelled = "cancelled",
        NoShow = "no_show",
    }
}

impl BookingStatus {
    /// Active bookings hold their worker's time (the overlap constraint covers exactly these).
    pub const ACTIVE: [BookingStatus; 3] = [
        BookingStatus::PendingConfirmation,
        BookingStatus::Confirmed,
        BookingStatus::InService,
    ];

    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }
}

crate::lifecycle::named_enum! {
    pub enum BookingAction {
        Confirm = "confirm",
        Decline = "decline",
        Expire = "expire",
        Cancel = "cancel",
        Reschedule = "reschedule",
        CheckIn = "check_in",
        Complete = "complete",
        NoShow = "no_show",
        AutoComplete = "auto_complete",
    }
}

crate::lifecycle::named_enum! {
    /// Who acts on a booking.
    pub enum Actor {
        Consumer = "consumer",
        /// A member of the booking's merchant.
        Merchant = "merchant",
        /// The assigned worker, signed in with their own account.
        Worker = "worker",
        Operator = "operator",
        System = "system",
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    /// This actor may never take this action (403).
    NotAllowed,
    /// Not from the current state (409 `invalid_transition`).
    InvalidTransition,
}

/// Whether `actor` may ever take `action`, whatever the state.
pub fn may(action: BookingAction, actor: Actor) -> bool {
    use Actor as W;
    use BookingAction as A;
    match action {
        A::Confirm | A::Decline => matches!(actor, W::Merchant),
        A::Expire | A::AutoComplete => matches!(actor, W::System),
        // The system cancels a prepaid booking that was not paid in time.
        A::Cancel => matches!(actor, W::Consumer | W::Merchant | W::Operator | W::System),
        A::Reschedule => matches!(actor, W::Consumer | W::Merchant),
        A::CheckIn | A::Complete => matches!(actor, W::Merchant | W::Worker),
        A::NoShow => matches!(actor, W::Consumer | W::Merchant | W::Worker),
    }
}

/// The state `action` by `actor` leads to from `from`.
pub fn transition(
    from: BookingStatus,
    action: BookingAction,
    actor: Actor,
) -> Result<BookingStatus, RuleError> {
    use BookingAction as A;
    use BookingStatus as S;
    if !may(action, actor) {
        return Err(RuleError::NotAllowed);
    }
    match (from, action) {
        (S::PendingConfirmation, A::Confirm) => Ok(S::Confirmed),
        (S::PendingConfirmation, A::Decline) => Ok(S::Declined),
        (S::PendingConfirmation, A::Expire) => Ok(S::Expired),
        (S::PendingConfirmation | S::Confirmed, A::Cancel) => Ok(S::Cancelled),
        (S::PendingConfirmation | S::Confirmed, A::Reschedule) => Ok(from),
        (S::Confirmed, A::CheckIn) => Ok(S::InService),
        (S::InService, A::Complete | A::AutoComplete) => Ok(S::Completed),
        (S::Confirmed, A::NoShow) => Ok(S::NoShow),
        _ => Err(RuleError::InvalidTransition),
    }
}

/// How long before its start a pending booking must have been answered.
pub const ANSWER_LEAD_HOURS: i64 = 2;

/// The least time a merchant that confirms by hand gets to answer a new booking.
pub const ANSWER_WINDOW_MINUTES: i64 = 30;

/// When the merchant must have answered a pending booking: 24 hours after it was made, but no
/// later than 2 hours before it starts.
pub fn respond_by(created: DateTime<Utc>, start: DateTime<Utc>) -> DateTime<Utc> {
    (created + Duration::hours(24))
        .min(start - Duration::hours(ANSWER_LEAD_HOURS))
        .max(created)
}

/// The earliest start that may be booked at `now`: the merchant's notice, and for a merchant that
/// confirms by hand also a fair window to answer before the answer deadline (`respond_by` at
/// least `ANSWER_WINDOW_MINUTES` away), so no booking expires before the merchant could answer.
pub fn earliest_start(
    now: DateTime<Utc>,
    min_notice_minutes: i32,
    auto_accept: bool,
) -> DateTime<Utc> {
    let notice = now + Duration::minutes(i64::from(min_notice_minutes));
    if auto_accept {
        notice
    } else {
        notice.max(
            now + Duration::hours(ANSWER_LEAD_HOURS) + Duration::minutes(ANSWER_WINDOW_MINUTES),
        )
    }
}

/// A merchant's cancellation policy.
#[derive(Debug, Clone, Copy)]
pub struct CancelPolicy {
    pub free_hours: i32,
    pub late_fee_percent: i32,
}

/// What a cancellation costs the consumer, and the tier that applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeeTier {
    Free,
    Late,
}

/// Only a consumer cancelling a confirmed booking inside the policy's window pays; pending
/// bookings and cancellations by the merchant or an operator are free for the consumer.
pub fn cancellation_fee(
    actor: Actor,
    status: BookingStatus,
    now: DateTime<Utc>,
    start: DateTime<Utc>,
    price_cents: i64,
    policy: CancelPolicy,
) -> (FeeTier, i64) {
    let late = now > start - Duration::hours(i64::from(policy.free_hours));
    if actor == Actor::Consumer && status == BookingStatus::Confirmed && late {
        (
            FeeTier::Late,
            price_cents * i64::from(policy.late_fee_percent) / 100,
        )
    } else {
        (FeeTier::Free, 0)
    }
}

/// The party that did not show, from who reports it.
pub fn no_show_party(reporter: Actor) -> &'static str {
    match reporter {
        Actor::Consumer => "merchant",
        _ => "consumer",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor as W;
    use BookingAction as A;
    use BookingStatus as S;

    #[test]
    fn the_lifecycle() {
        assert_eq!(
            transition(S::PendingConfirmation, A::Confirm, W::Merchant),
            Ok(S::Confirmed)
        );
        assert_eq!(
            transition(S::Confirmed, A::CheckIn, W::Worker),
            Ok(S::InService)
        );
        assert_eq!(
            transition(S::InService, A::Complete, W::Worker),
            Ok(S::Completed)
        );
        assert_eq!(
            transition(S::InService, A::AutoComplete, W::System),
            Ok(S::Completed)
        );
        assert_eq!(
            transition(S::PendingConfirmation, A::Expire, W::System),
            Ok(S::Expired)
        );
        assert_eq!(
            transition(S::Confirmed, A::Reschedule, W::Consumer),
            Ok(S::Confirmed)
        );
        assert_eq!(
            transition(S::Confirmed, A::NoShow, W::Consumer),
            Ok(S::NoShow)
        );
    }

    #[test]
    fn refused_transitions() {
        assert_eq!(
            transition(S::Confirmed, A::Confirm, W::Merchant),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::Completed, A::Cancel, W::Consumer),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::InService, A::Reschedule, W::Consumer),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::PendingConfirmation, A::CheckIn, W::Worker),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(S::Expired, A::Confirm, W::Merchant),
            Err(RuleError::InvalidTransition)
        );
        for status in BookingStatus::ALL
            .iter()
            .copied()
            .filter(|s| !s.is_active())
        {
            assert_eq!(
                transition(status, A::Cancel, W::Operator),
                Err(RuleError::InvalidTransition),
                "{status:?}"
            );
        }
    }

    #[test]
    fn roles_that_may_never_act() {
        assert_eq!(
            transition(S::PendingConfirmation, A::Confirm, W::Consumer),
            Err(RuleError::NotAllowed)
        );
        assert_eq!(
            transition(S::Confirmed, A::Complete, W::Consumer),
            Err(RuleError::NotAllowed)
        );
        assert_eq!(
            transition(S::PendingConfirmation, A::Expire, W::Merchant),
            Err(RuleError::NotAllowed)
        );
        assert_eq!(
            transition(S::Confirmed, A::Cancel, W::Worker),
            Err(RuleError::NotAllowed)
        );
    }

    #[test]
    fn the_merchant_answers_within_a_day_and_two_hours_before_the_start() {
        let now: DateTime<Utc> = "2026-11-22T08:00:00Z".parse().unwrap();
        assert_eq!(
            respond_by(now, now + Duration::days(5)),
            now + Duration::hours(24)
        );
        assert_eq!(
            respond_by(now, now + Duration::hours(10)),
            now + Duration::hours(8)
        );
    }

    #[test]
    fn late_consumer_cancellations_pay_the_fee_tier() {
        let policy = CancelPolicy {
            free_hours: 24,
            late_fee_percent: 50,
        };
        let start: DateTime<Utc> = "2026-11-25T02:00:00Z".parse().unwrap();
        let early = start - Duration::hours(30);
        let late = start - Duration::hours(3);
        assert_eq!(
            cancellation_fee(W::Consumer, S::Confirmed, early, start, 15_000, policy),
            (FeeTier::Free, 0)
        );
        assert_eq!(
            cancellation_fee(W::Consumer, S::Confirmed, late, start, 15_000, policy),
            (FeeTier::Late, 7_500)
        );
        assert_eq!(
            cancellation_fee(
                W::Consumer,
                S::PendingConfirmation,
                late,
                start,
                15_000,
                policy
            ),
            (FeeTier::Free, 0)
        );
        assert_eq!(
            cancellation_fee(W::Merchant, S::Confirmed, late, start, 15_000, policy),
            (FeeTier::Free, 0)
        );
    }
}
