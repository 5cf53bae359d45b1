//! The two order lifecycles, pricing, handoff proof, promised time and late compensation. Pure.
//!
//! Every order starts `awaiting_payment`: paid, it is `placed` and reaches the merchant; unpaid
//! when its time to pay is over, it is `closed` (the consumer may also cancel it).
//! Catering (`delivery`): `placed -> accepted -> ready -> picked_up -> delivered -> completed`;
//! `placed -> rejected | cancelled`; `picked_up -> failed -> picked_up | returned`.
//! Laundry and repair (`pickup_return`): `placed -> accepted -> pickup_scheduled -> picked_up ->
//! processing -> out_for_return -> delivered -> completed`, with `pickup_failed` retries and a
//! re-quote (`picked_up -> requoted -> processing | out_for_return`).

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::catalog::rules::Fulfilment;

crate::lifecycle::named_enum! {
    pub enum OrderKind {
        Delivery = "delivery",
        PickupReturn = "pickup_return",
    }
}

crate::lifecycle::named_enum! {
    pub enum OrderStatus {
        AwaitingPayment = "awaiting_payment",
        Closed = "closed",
        Placed = "placed",
        Accepted = "accepted",
        Rejected = "rejected",
        Cancelled = "cancelled",
        Ready = "ready",
        PickedUp = "picked_up",
        Delivered = "delivered",
        Completed = "completed",
        Failed = "failed",
        Returned = "returned",
        PickupScheduled = "pickup_scheduled",
        PickupFailed = "pickup_failed",
        Requoted = "requoted",
        Processing = "processing",
        OutForReturn = "out_for_return",
    }
}

impl OrderStatus {
    /// How the status reads in an email to the consumer, Chinese first.
    pub fn words(self) -> (&'static str, &'static str) {
        match self {
            Self::AwaitingPayment => ("待支付", "waiting for your payment"),
            Self::Closed => ("未支付，已关闭", "closed unpaid"),
            Self::Placed => ("已支付，等待商家接单", "paid, waiting for the merchant"),
            Self::Accepted => ("商家已接单", "accepted by the merchant"),
            Self::Rejected => ("商家未能接单", "declined by the merchant"),
            Self::Cancelled => ("已取消", "cancelled"),
            Self::Ready => ("已备好，等待取件", "ready for pickup"),
            Self::PickedUp => ("配送中", "on its way"),
            Self::Delivered => ("已送达", "delivered"),
            Self::Completed => ("已完成", "completed"),
            Self::Failed => ("配送失败", "not delivered"),
            Self::Returned => ("已退回商家", "returned to the merchant"),
            Self::PickupScheduled => ("已安排上门取件", "scheduled for pickup"),
            Self::PickupFailed => ("上门取件未成功", "not picked up"),
            Self::Requoted => (
                "商家已重新报价，等待您确认",
                "requoted, waiting for your answer",
            ),
            Self::Processing => ("处理中", "being processed"),
            Self::OutForReturn => ("送回途中", "on its way back to you"),
        }
    }
}

crate::lifecycle::named_enum! {
    pub enum OrderAction {
        Pay = "pay",
        CloseUnpaid = "close_unpaid",
        Accept = "accept",
        Reject = "reject",
        Cancel = "cancel",
        Ready = "ready",
        PickUp = "pick_up",
        Deliver = "deliver",
        Fail = "fail",
        Return = "return",
        ConfirmReceipt = "confirm_receipt",
        SchedulePickup = "schedule_pickup",
        PickupFail = "pickup_fail",
        Requote = "requote",
        ApproveQuote = "approve_quote",
        DeclineQuote = "decline_quote",
        Process = "process",
        SendBack = "send_back",
        Expire = "expire",
        AutoComplete = "auto_complete",
    }
}

crate::lifecycle::named_enum! {
    pub enum Actor {
        Consumer = "consumer",
        Merchant = "merchant",
        Courier = "courier",
        Operator = "operator",
        System = "system",
    }
}

impl OrderKind {
    /// The kind of order a service of this fulfilment makes; `None` for booked services.
    pub fn of(fulfilment: Fulfilment) -> Option<Self> {
        match fulfilment {
            Fulfilment::Delivery => Some(OrderKind::Delivery),
            Fulfilment::PickupReturn => Some(OrderKind::PickupReturn),
            Fulfilment::HomeVisit | Fulfilment::InStore => None,
        }
    }
}

impl OrderStatus {
    /// The statuses an order ends in: nothing more happens to it.
    pub const ENDED: [OrderStatus; 5] = [
        OrderStatus::Closed,
        OrderStatus::Completed,
        OrderStatus::Cancelled,
        OrderStatus::Rejected,
        OrderStatus::Returned,
    ];

    /// Whether the order got past its payment (only such orders reach the merchant).
    pub fn was_paid(self) -> bool {
        !matches!(self, OrderStatus::AwaitingPayment | OrderStatus::Closed)
    }

    pub fn has_ended(self) -> bool {
        Self::ENDED.contains(&self)
    }

    /// While active, the merchant and courier see the full address.
    pub fn is_active(self) -> bool {
        !matches!(
            self,
            OrderStatus::AwaitingPayment
                | OrderStatus::Closed
                | OrderStatus::Rejected
                | OrderStatus::Cancelled
                | OrderStatus::Completed
                | OrderStatus::Returned
                | OrderStatus::Delivered
        )
    }
}

/// Whether `actor` may ever take `action`.
pub fn may(action: OrderAction, actor: Actor) -> bool {
    use OrderAction as A;
    match action {
        A::Accept
        | A::Reject
        | A::Ready
        | A::SchedulePickup
        | A::Requote
        | A::Process
        | A::SendBack => actor == Actor::Merchant,
        A::Cancel => matches!(actor, Actor::Consumer | Actor::Merchant | Actor::Operator),
        A::PickUp | A::Deliver | A::Fail | A::Return | A::PickupFail => {
            matches!(actor, Actor::Courier | Actor::Merchant)
        }
        A::ConfirmReceipt | A::ApproveQuote | A::DeclineQuote => actor == Actor::Consumer,
        A::Pay | A::CloseUnpaid | A::Expire | A::AutoComplete => actor == Actor::System,
    }
}

/// Why a transition is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleError {
    NotAllowed,
    InvalidTransition,
}

/// The state `action` by `actor` leads to from `from`, for an order of `kind`.
pub fn transition(
    kind: OrderKind,
    from: OrderStatus,
    action: OrderAction,
    actor: Actor,
) -> Result<OrderStatus, RuleError> {
    use OrderAction as A;
    use OrderKind as K;
    use OrderStatus as S;
    if !may(action, actor) {
        return Err(RuleError::NotAllowed);
    }
    let to = match (kind, from, action) {
        (_, S::AwaitingPayment, A::Pay) => S::Placed,
        (_, S::AwaitingPayment, A::CloseUnpaid) => S::Closed,
        (_, S::AwaitingPayment, A::Cancel) => S::Closed,
        (_, S::Placed, A::Accept) => S::Accepted,
        (_, S::Placed, A::Reject) => S::Rejected,
        (_, S::Placed, A::Cancel | A::Expire) => S::Cancelled,
        (_, S::Accepted, A::Cancel) => S::Cancelled,
        (_, S::Delivered, A::ConfirmReceipt | A::AutoComplete) => S::Completed,
        (K::Delivery, S::Accepted, A::Ready) => S::Ready,
        (K::Delivery, S::Ready | S::Failed, A::PickUp) => S::PickedUp,
        (K::Delivery, S::PickedUp, A::Deliver) => S::Delivered,
        (K::Delivery, S::PickedUp, A::Fail) => S::Failed,
        (K::Delivery, S::Failed, A::Return) => S::Returned,
        (K::PickupReturn, S::Accepted | S::PickupFailed, A::SchedulePickup) => S::PickupScheduled,
        (K::PickupReturn, S::PickupScheduled | S::PickupFailed, A::Cancel) => S::Cancelled,
        (K::PickupReturn, S::PickupScheduled, A::PickUp) => S::PickedUp,
        (K::PickupReturn, S::PickupScheduled, A::PickupFail) => S::PickupFailed,
        (K::PickupReturn, S::PickedUp, A::Requote) => S::Requoted,
        (K::PickupReturn, S::Requoted, A::ApproveQuote) => S::Processing,
        (K::PickupReturn, S::Requoted, A::DeclineQuote) => S::OutForReturn,
        (K::PickupReturn, S::PickedUp, A::Process) => S::Processing,
        (K::PickupReturn, S::Processing, A::SendBack) => S::OutForReturn,
        (K::PickupReturn, S::OutForReturn, A::Deliver) => S::Delivered,
        _ => return Err(RuleError::InvalidTransition),
    };
    Ok(to)
}

/// Whether the action hands goods over at the consumer's door and so needs a proof: delivery
/// to the consumer, and collection from them on a pickup leg.
pub fn needs_proof(kind: OrderKind, action: OrderAction) -> bool {
    action == OrderAction::Deliver
        || (kind == OrderKind::PickupReturn && action == OrderAction::PickUp)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HandoffMethod {
    /// Left at the drop point, proven by a photo.
    Contactless,
    /// Handed over; the consumer reads out their PIN.
    InPerson,
    Locker,
    Reception,
}

impl HandoffMethod {
    pub fn as_str(self) -> &'static str {
        match self {
            HandoffMethod::Contactless => "contactless",
            HandoffMethod::InPerson => "in_person",
            HandoffMethod::Locker => "locker",
            HandoffMethod::Reception => "reception",
        }
    }
}

/// What is wrong with a handoff proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProofError {
    /// A field is missing or invalid (`field`, message).
    Missing(&'static str, &'static str),
    WrongPin,
}

/// Checks a proof: a photo for contactless drops, the consumer's PIN for in-person handoffs.
pub fn check_proof(
    method: HandoffMethod,
    photos: usize,
    pin: Option<&str>,
    expected_pin: &str,
) -> Result<bool, ProofError> {
    match method {
        HandoffMethod::Contactless if photos == 0 => Err(ProofError::Missing(
            "photo_refs",
            "a photo is required for a contactless drop",
        )),
        HandoffMethod::InPerson => match pin {
            None => Err(ProofError::Missing(
                "pin",
                "the consumer's PIN is required for an in-person handoff",
            )),
            Some(p) if p == expected_pin => Ok(true),
            Some(_) => Err(ProofError::WrongPin),
        },
        _ => Ok(false),
    }
}

/// The amounts of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Totals {
    pub subtotal: i64,
    pub packaging: i64,
    pub delivery_fee: i64,
    pub total: i64,
}

/// Prices lines of `(unit price, quantity)` plus the merchant's fees.
pub fn price(lines: &[(i64, i32)], packaging: i64, delivery_fee: i64) -> Totals {
    let subtotal = lines.iter().map(|(p, q)| p * i64::from(*q)).sum();
    Totals {
        subtotal,
        packaging,
        delivery_fee,
        total: subtotal + packaging + delivery_fee,
    }
}

/// The promised delivery time: preparation, then ten minutes plus four per kilometre.
pub fn promised_at(accepted: DateTime<Utc>, prep_minutes: i32, distance_m: f64) -> DateTime<Utc> {
    let travel = 10.0 + (distance_m / 1000.0 * 4.0).ceil();
    accepted + Duration::minutes(i64::from(prep_minutes)) + Duration::minutes(travel as i64)
}

/// Compensation for lateness: the highest tier reached, capped at a share of the total.
pub fn late_compensation(
    late_minutes: i64,
    tiers: &[(i64, i64)],
    cap_percent: i64,
    total: i64,
) -> i64 {
    let tier = tiers
        .iter()
        .filter(|(m, _)| late_minutes >= *m)
        .map(|(_, c)| *c)
        .max()
        .unwrap_or(0);
    tier.min(total * cap_percent / 100)
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderAction as A;
    use OrderKind as K;
    use OrderStatus as S;

    #[test]
    fn the_catering_lifecycle() {
        let mut s = S::Placed;
        for (action, actor) in [
            (A::Accept, Actor::Merchant),
            (A::Ready, Actor::Merchant),
            (A::PickUp, Actor::Courier),
            (A::Fail, Actor::Courier),
            (A::PickUp, Actor::Courier),
            (A::Deliver, Actor::Courier),
            (A::ConfirmReceipt, Actor::Consumer),
        ] {
            s = transition(K::Delivery, s, action, actor).unwrap();
        }
        assert_eq!(s, S::Completed);
        assert_eq!(
            transition(K::Delivery, S::Failed, A::Return, Actor::Courier),
            Ok(S::Returned)
        );
    }

    #[test]
    fn the_pickup_and_return_lifecycle() {
        let mut s = S::Placed;
        for (action, actor) in [
            (A::Accept, Actor::Merchant),
            (A::SchedulePickup, Actor::Merchant),
            (A::PickupFail, Actor::Courier),
            (A::SchedulePickup, Actor::Merchant),
            (A::PickUp, Actor::Courier),
            (A::Requote, Actor::Merchant),
            (A::ApproveQuote, Actor::Consumer),
            (A::SendBack, Actor::Merchant),
            (A::Deliver, Actor::Courier),
        ] {
            s = transition(K::PickupReturn, s, action, actor).unwrap();
        }
        assert_eq!(s, S::Delivered);
        assert_eq!(
            transition(
                K::PickupReturn,
                S::Requoted,
                A::DeclineQuote,
                Actor::Consumer
            ),
            Ok(S::OutForReturn)
        );
    }

    #[test]
    fn refused_transitions_and_roles() {
        assert_eq!(
            transition(K::Delivery, S::Placed, A::Ready, Actor::Merchant),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(K::Delivery, S::Accepted, A::SchedulePickup, Actor::Merchant),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(K::PickupReturn, S::Accepted, A::Ready, Actor::Merchant),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(K::Delivery, S::PickedUp, A::Cancel, Actor::Consumer),
            Err(RuleError::InvalidTransition)
        );
        assert_eq!(
            transition(K::Delivery, S::Placed, A::Accept, Actor::Consumer),
            Err(RuleError::NotAllowed)
        );
        assert_eq!(
            transition(
                K::Delivery,
                S::Delivered,
                A::ConfirmReceipt,
                Actor::Merchant
            ),
            Err(RuleError::NotAllowed)
        );
    }

    #[test]
    fn proofs_need_a_photo_or_the_pin() {
        assert!(check_proof(HandoffMethod::Contactless, 0, None, "1234").is_err());
        assert_eq!(
            check_proof(HandoffMethod::Contactless, 1, None, "1234"),
            Ok(false)
        );
        assert_eq!(
            check_proof(HandoffMethod::InPerson, 0, Some("9999"), "1234"),
            Err(ProofError::WrongPin)
        );
        assert_eq!(
            check_proof(HandoffMethod::InPerson, 0, Some("1234"), "1234"),
            Ok(true)
        );
        assert_eq!(
            check_proof(HandoffMethod::Locker, 0, None, "1234"),
            Ok(false)
        );
    }

    #[test]
    fn prices_promises_and_compensation() {
        assert_eq!(
            price(&[(1200, 2), (1000, 1)], 100, 500),
            Totals {
                subtotal: 3400,
                packaging: 100,
                delivery_fee: 500,
                total: 4000
            }
        );
        let t: DateTime<Utc> = "2026-11-22T04:00:00Z".parse().unwrap();
        assert_eq!(
            promised_at(t, 20, 2500.0),
            t + Duration::minutes(20 + 10 + 10)
        );
        let tiers = [(10, 300), (20, 600), (40, 1000)];
        assert_eq!(late_compensation(5, &tiers, 30, 4000), 0);
        assert_eq!(late_compensation(25, &tiers, 30, 4000), 600);
        assert_eq!(
            late_compensation(90, &tiers, 30, 2000),
            600,
            "capped at 30% of 2000"
        );
    }
}
