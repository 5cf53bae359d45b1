//! The rules of messages, pure: who writes as what, when a thread takes messages and how long
//! it is kept, and how often its recipients are emailed.

use chrono::{DateTime, Duration, Utc};

use crate::config::Limit;

crate::lifecycle::named_enum! {
    /// What a thread belongs to.
    pub enum ThreadKind {
        Booking = "booking",
        Order = "order",
    }
}

crate::lifecycle::named_enum! {
    /// As what a party writes: the consumer, a member of the merchant, the booking's assigned
    /// worker, the order's assigned courier.
    pub enum SenderRole {
        Consumer = "consumer",
        Merchant = "merchant",
        Worker = "worker",
        Courier = "courier",
    }
}

/// A message may be written up to this long after its booking or order ended.
pub const WRITE_GRACE_HOURS: i64 = 24;
/// A thread is deleted this long after its booking or order ended.
pub const RETENTION_DAYS: i64 = 30;
/// A recipient is emailed about a thread at most once in this many minutes.
pub const NOTICE_EVERY_MINUTES: i64 = 10;
/// The bounds of a message's text, in characters.
pub const BODY_MIN: usize = 1;
pub const BODY_MAX: usize = 1000;
/// Messages one person may send, over every thread.
pub const SEND_LIMIT: Limit = Limit {
    max: 30,
    window: std::time::Duration::from_secs(60),
};

/// Whether a thread whose subject ended at `ended_at` (`None`: still going on) takes messages.
pub fn may_write(ended_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    ended_at.is_none_or(|ended| now < ended + Duration::hours(WRITE_GRACE_HOURS))
}

/// Whether a thread whose subject ended at `ended_at` is past its retention.
pub fn expired(ended_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    ended_at.is_some_and(|ended| now >= ended + Duration::days(RETENTION_DAYS))
}

/// The role a party writes as: the consumer first, then a member, then the assigned worker or
/// courier (someone who is several of them writes as the first).
pub fn sender_role(
    kind: ThreadKind,
    consumer: bool,
    member: bool,
    worker: bool,
) -> Option<SenderRole> {
    if consumer {
        Some(SenderRole::Consumer)
    } else if member {
        Some(SenderRole::Merchant)
    } else if worker {
        Some(match kind {
            ThreadKind::Booking => SenderRole::Worker,
            ThreadKind::Order => SenderRole::Courier,
        })
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writing_closes_a_day_after_the_end() {
        let ended = Utc::now();
        assert!(may_write(None, ended));
        assert!(may_write(Some(ended), ended + Duration::hours(23)));
        assert!(!may_write(Some(ended), ended + Duration::hours(24)));
    }

    #[test]
    fn threads_expire_thirty_days_after_the_end_and_never_while_active() {
        let ended = Utc::now();
        assert!(!expired(None, ended + Duration::days(400)));
        assert!(!expired(Some(ended), ended + Duration::days(29)));
        assert!(expired(Some(ended), ended + Duration::days(30)));
    }

    #[test]
    fn the_consumer_comes_first_and_the_assignee_writes_by_kind() {
        use SenderRole as R;
        assert_eq!(
            sender_role(ThreadKind::Order, true, true, true),
            Some(R::Consumer)
        );
        assert_eq!(
            sender_role(ThreadKind::Order, false, true, true),
            Some(R::Merchant)
        );
        assert_eq!(
            sender_role(ThreadKind::Booking, false, false, true),
            Some(R::Worker)
        );
        assert_eq!(
            sender_role(ThreadKind::Order, false, false, true),
            Some(R::Courier)
        );
        assert_eq!(sender_role(ThreadKind::Order, false, false, false), None);
    }
}
