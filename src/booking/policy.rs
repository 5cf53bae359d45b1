//! The booking rules a consumer reads before booking: how the merchant confirms, how far ahead
//! and how soon one can book, how often one can reschedule, and what cancelling costs. Shown on
//! the public merchant and service pages (composed in `app::pages`).

use diesel::{PgConnection, QueryResult};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::models::{self, Settings};
use super::rules::ANSWER_LEAD_HOURS;

/// One tier of the cancellation fee: a consumer cancelling a confirmed booking at least
/// `hours_before_start` hours before it starts pays `fee_percent` of the price.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct CancelTier {
    #[schema(minimum = 0)]
    pub hours_before_start: i32,
    #[schema(minimum = 0, maximum = 100)]
    pub fee_percent: i32,
}

/// A merchant's booking rules as the public sees them.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BookingPolicy {
    /// `true`: a booking is confirmed at once; `false`: the merchant confirms it by hand.
    pub auto_accept: bool,
    /// Without auto-accept: a pending booking is answered within 24 hours of being made and at
    /// least this many hours before it starts, or it expires (free for the consumer).
    pub answered_hours_before_start: Option<i64>,
    pub min_notice_minutes: i32,
    pub horizon_days: i32,
    pub reschedule_limit: i32,
    /// From the earliest cancellation to the latest; cancelling a booking the merchant has
    /// not confirmed yet is always free, and so is a cancellation by the merchant.
    pub cancellation_tiers: Vec<CancelTier>,
    /// The same in one sentence, Chinese then English.
    #[schema(
        example = "服务开始前24小时以上取消免费；24小时内取消收取服务费的50%。商家确认前取消免费。"
    )]
    pub summary: String,
}

impl From<Settings> for BookingPolicy {
    fn from(s: Settings) -> Self {
        let mut tiers = Vec::new();
        if s.free_cancel_hours > 0 {
            tiers.push(CancelTier {
                hours_before_start: s.free_cancel_hours,
                fee_percent: 0,
            });
        }
        tiers.push(CancelTier {
            hours_before_start: 0,
            fee_percent: s.late_cancel_fee_percent,
        });
        let (zh, en) = match (s.free_cancel_hours, s.late_cancel_fee_percent) {
            (_, 0) => (
                "随时取消免费。".to_owned(),
                "Cancelling is free.".to_owned(),
            ),
            (0, fee) => (
                format!("确认后取消收取服务费的{fee}%。"),
                format!("Cancelling once confirmed costs {fee}% of the price."),
            ),
            (hours, fee) => (
                format!("服务开始前{hours}小时以上取消免费；{hours}小时内取消收取服务费的{fee}%。"),
                format!("Free until {hours} hours before the start; later, {fee}% of the price."),
            ),
        };
        Self {
            auto_accept: s.auto_accept,
            answered_hours_before_start: (!s.auto_accept).then_some(ANSWER_LEAD_HOURS),
            min_notice_minutes: s.min_notice_minutes,
            horizon_days: s.horizon_days,
            reschedule_limit: s.reschedule_limit,
            cancellation_tiers: tiers,
            summary: format!(
                "{zh}商家确认前取消免费。{en} Free while the merchant has not confirmed."
            ),
        }
    }
}

/// The merchant's booking policy (its defaults until it saves its own settings).
pub fn policy_of(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<BookingPolicy> {
    Ok(models::settings(conn, merchant_id)?.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tiers_and_the_sentence_follow_the_settings() {
        let mut s = Settings::defaults(Uuid::nil());
        let p = BookingPolicy::from(s.clone());
        assert_eq!(
            p.cancellation_tiers,
            [
                CancelTier {
                    hours_before_start: 24,
                    fee_percent: 0
                },
                CancelTier {
                    hours_before_start: 0,
                    fee_percent: 50
                }
            ]
        );
        assert!(p
            .summary
            .starts_with("服务开始前24小时以上取消免费；24小时内取消收取服务费的50%。"));
        assert_eq!(p.answered_hours_before_start, Some(ANSWER_LEAD_HOURS));
        s.free_cancel_hours = 0;
        s.auto_accept = true;
        let p = BookingPolicy::from(s);
        assert_eq!(p.cancellation_tiers.len(), 1);
        assert!(p.summary.starts_with("确认后取消收取服务费的50%。"));
        assert_eq!(p.answered_hours_before_start, None);
    }
}
