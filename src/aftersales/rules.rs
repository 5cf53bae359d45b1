//! The after-sales lifecycle and its limits. Pure; no database, no HTTP.
//!
//! `open -> agreed | offered | refused | expired (unanswered) | withdrawn`; `offered -> agreed |
//! declined`; `refused | expired | declined -> escalated -> resolved` (an operator's decision).
//! The consumer may withdraw until the request has ended. Each action names who may take it.

use chrono::{DateTime, Duration, Utc};

crate::lifecycle::named_enum! {
    /// Where an after-sales request stands.
    pub enum RequestStatus {
        Open = "open",
        Offered = "offered",
        Agreed = "agreed",
        Refused = "refused",
        Expired = "expired",
        Declined = "declined",
        Withdrawn = "withdrawn",
        Escalated = "escalated",
        Resolved = "resolved",
    }
}

impl RequestStatus {
    /// A request in one of these has ended: another may be opened for its subject.
    pub const ENDED: [RequestStatus; 3] = [
        RequestStatus::Agreed,
        RequestStatus::Withdrawn,
        RequestStatus::Resolved,
    ];

    pub fn has_ended(self) -> bool {
        Self::ENDED.contains(&self)
    }

    /// Chinese and English words for emails.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            RequestStatus::Open => ("待商家处理", "waiting for the merchant"),
            RequestStatus::Offered => ("商家提出部分退款", "offered a partial refund"),
            RequestStatus::Agreed => ("已同意", "agreed"),
            RequestStatus::Refused => ("商家已拒绝", "refused by the merchant"),
            RequestStatus::Expired => ("商家未及时处理", "not answered in time"),
            RequestStatus::Declined => ("已拒绝部分退款", "offer declined"),
            RequestStatus::Withdrawn => ("已撤回", "withdrawn"),
            RequestStatus::Escalated => ("平台处理中", "with the platform"),
            RequestStatus::Resolved => ("平台已裁决", "decided by the platform"),
        }
    }
}

crate::lifecycle::named_enum! {
    /// What the consumer asks for.
    pub enum RequestKind {
        Refund = "refund",
        Redo = "redo",
    }
}

crate::lifecycle::named_enum! {
    /// What a request is about. Vouchers come later.
    pub enum SubjectKind {
        Order = "order",
        Booking = "booking",
    }
}

crate::lifecycle::named_enum! {
    pub enum RequestAction {
        Open = "open",
        Agree = "agree",
        Offer = "offer",
        Refuse = "refuse",
        Expire = "expire",
        AcceptOffer = "accept_offer",
        DeclineOffer = "decline_offer",
        Escalate = "escalate",
        Withdraw = "withdraw",
        Decide = "decide",
    }
}

crate::lifecycle::named_enum! {
    /// Who acts on a request.
    pub enum Actor {
        Consumer = "consumer",
        /// A member of the subject's merchant.
        Merchant = "merchant",
        Operator = "operator",
        System = "system",
    }
}

crate::lifecycle::named_enum! {
    /// An operator's decision on an escalated request.
    pub enum Decision {
        /// The amount asked for (a refund request) or everything not yet refunded (a redo).
        RefundFull = "refund_full",
        /// `amount_cents`, up to what is not yet refunded.
        RefundPart = "refund_part",
        /// The merchant does it again; no money.
        Redo = "redo",
        /// Nothing is owed.
        Reject = "reject",
    }
}

/// How long the merchant has to answer a new request.
pub const ANSWER_HOURS: i64 = 48;

/// How long after its completion an order or booking may be the subject of a request.
pub const WINDOW_DAYS: i64 = 7;

/// How long a refused, expired or declined request may still be taken to the platform.
pub const ESCALATE_DAYS: i64 = 7;

/// Whether a request that became refused, expired or declined at `settled` may still be
/// escalated at `now`.
pub fn may_still_escalate(settled: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= settled + Duration::days(ESCALATE_DAYS)
}

/// When the merchant must have answered a request made at `created`.
pub fn respond_by(created: DateTime<Utc>) -> DateTime<Utc> {
    created + Duration::hours(ANSWER_HOURS)
}

/// Whether a subject completed at `completed` may still be the subject of a request at `now`.
pub fn within_window(completed: DateTime<Utc>, now: DateTime<Utc>) -> bool {
    now <= completed + Duration::days(WINDOW_DAYS)
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
pub fn may(action: RequestAction, actor: Actor) -> bool {
    use Actor as W;
    use RequestAction as A;
    match action {
        A::Open | A::AcceptOffer | A::DeclineOffer | A::Escalate | A::Withdraw => {
            actor == W::Consumer
        }
        A::Agree | A::Offer | A::Refuse => actor == W::Merchant,
        A::Expire => actor == W::System,
        A::Decide => actor == W::Operator,
    }
}

/// The state `action` by `actor` leads to from `from`.
pub fn transition(
    from: RequestStatus,
    action: RequestAction,
    actor: Actor,
) -> Result<RequestStatus, RuleError> {
    use RequestAction as A;
    use RequestStatus as S;
    if !may(action, actor) {
        return Err(RuleError::NotAllowed);
    }
    match (from, action) {
        (S::Open, A::Agree) => Ok(S::Agreed),
        (S::Open, A::Offer) => Ok(S::Offered),
        (S::Open, A::Refuse) => Ok(S::Refused),
        (S::Open, A::Expire) => Ok(S::Expired),
        (S::Offered, A::AcceptOffer) => Ok(S::Agreed),
        (S::Offered, A::DeclineOffer) => Ok(S::Declined),
        (S::Refused | S::Expired | S::Declined, A::Escalate) => Ok(S::Escalated),
        (S::Escalated, A::Decide) => Ok(S::Resolved),
        (_, A::Withdraw) if !from.has_ended() => Ok(S::Withdrawn),
        _ => Err(RuleError::InvalidTransition),
    }
}

/// The largest refund an offer may make: less than asked on a refund request, anything up to
/// what is left on a redo request.
pub fn max_offer(kind: RequestKind, requested: Option<i64>, refundable: i64) -> i64 {
    match (kind, requested) {
        (RequestKind::Refund, Some(asked)) => (asked - 1).min(refundable),
        _ => refundable,
    }
}

/// The refund a decision makes (`None`: no money), given what was asked, what is left to
/// refund and the amount sent with `refund_part`. `Err` names what is wrong with the amount.
pub fn decided_refund(
    decision: Decision,
    requested: Option<i64>,
    refundable: i64,
    amount: Option<i64>,
) -> Result<Option<i64>, String> {
    match decision {
        Decision::RefundFull if amount.is_some() => Err("is only sent with refund_part".into()),
        Decision::RefundFull => match requested.unwrap_or(refundable).min(refundable) {
            0 => Err("nothing is left to refund".into()),
            all => Ok(Some(all)),
        },
        Decision::RefundPart => match amount {
            Some(a) if (1..=refundable).contains(&a) => Ok(Some(a)),
            _ => Err(format!("must be 1 to {refundable}")),
        },
        Decision::Redo | Decision::Reject if amount.is_some() => {
            Err("is only sent with refund_part".into())
        }
        Decision::Redo | Decision::Reject => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Actor as W;
    use RequestAction as A;
    use RequestStatus as S;

    #[test]
    fn names_match_serde() {
        crate::lifecycle::check_names(RequestStatus::ALL);
        crate::lifecycle::check_names(RequestKind::ALL);
        crate::lifecycle::check_names(SubjectKind::ALL);
        crate::lifecycle::check_names(RequestAction::ALL);
        crate::lifecycle::check_names(Actor::ALL);
        crate::lifecycle::check_names(Decision::ALL);
    }

    #[test]
    fn the_lifecycle() {
        assert_eq!(transition(S::Open, A::Agree, W::Merchant), Ok(S::Agreed));
        assert_eq!(transition(S::Open, A::Offer, W::Merchant), Ok(S::Offered));
        assert_eq!(
            transition(S::Offered, A::AcceptOffer, W::Consumer),
            Ok(S::Agreed)
        );
        assert_eq!(
            transition(S::Offered, A::DeclineOffer, W::Consumer),
            Ok(S::Declined)
        );
        assert_eq!(transition(S::Open, A::Expire, W::System), Ok(S::Expired));
        for from in [S::Refused, S::Expired, S::Declined] {
            assert_eq!(transition(from, A::Escalate, W::Consumer), Ok(S::Escalated));
        }
        assert_eq!(
            transition(S::Escalated, A::Decide, W::Operator),
            Ok(S::Resolved)
        );
        assert_eq!(
            transition(S::Escalated, A::Withdraw, W::Consumer),
            Ok(S::Withdrawn)
        );
    }

    #[test]
    fn refused_transitions() {
        use RuleError::*;
        assert_eq!(
            transition(S::Open, A::Escalate, W::Consumer),
            Err(InvalidTransition)
        );
        assert_eq!(
            transition(S::Agreed, A::Withdraw, W::Consumer),
            Err(InvalidTransition)
        );
        assert_eq!(
            transition(S::Refused, A::Agree, W::Merchant),
            Err(InvalidTransition)
        );
        assert_eq!(
            transition(S::Open, A::Decide, W::Operator),
            Err(InvalidTransition)
        );
        assert_eq!(transition(S::Open, A::Agree, W::Consumer), Err(NotAllowed));
        assert_eq!(
            transition(S::Offered, A::AcceptOffer, W::Merchant),
            Err(NotAllowed)
        );
        assert_eq!(
            transition(S::Escalated, A::Decide, W::Merchant),
            Err(NotAllowed)
        );
        assert_eq!(transition(S::Open, A::Expire, W::Operator), Err(NotAllowed));
    }

    #[test]
    fn the_window_and_the_deadline() {
        let t = Utc::now();
        assert!(within_window(t, t + Duration::days(WINDOW_DAYS)));
        assert!(!within_window(
            t,
            t + Duration::days(WINDOW_DAYS) + Duration::seconds(1)
        ));
        assert_eq!(respond_by(t), t + Duration::hours(48));
    }

    #[test]
    fn offers_and_decisions_stay_within_what_is_left() {
        assert_eq!(max_offer(RequestKind::Refund, Some(1000), 4000), 999);
        assert_eq!(max_offer(RequestKind::Refund, Some(1000), 500), 500);
        assert_eq!(max_offer(RequestKind::Redo, None, 4000), 4000);
        let d = |d, amount| decided_refund(d, Some(1000), 3000, amount);
        assert_eq!(d(Decision::RefundFull, None), Ok(Some(1000)));
        assert_eq!(d(Decision::RefundPart, Some(3000)), Ok(Some(3000)));
        assert!(d(Decision::RefundPart, Some(3001)).is_err());
        assert!(d(Decision::RefundPart, None).is_err());
        assert_eq!(d(Decision::Reject, None), Ok(None));
        assert!(d(Decision::Redo, Some(5)).is_err());
        assert_eq!(
            decided_refund(Decision::RefundFull, None, 700, None),
            Ok(Some(700))
        );
        assert!(decided_refund(Decision::RefundFull, Some(100), 0, None).is_err());
    }
}
