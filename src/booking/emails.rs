//! The emails the booking feature sends the consumer.

use chrono_tz::Tz;

use crate::accounts::User;
use crate::jobs::outbox::Email;

use super::models::Booking;
use super::rules::BookingStatus;

/// Tells the consumer what happened to their booking, in the merchant's local time.
pub fn status_changed(to: &User, booking: &Booking, tz: Tz, what_zh: &str, what_en: &str) -> Email {
    let when = booking
        .starts_at
        .with_timezone(&tz)
        .format("%Y-%m-%d %H:%M");
    Email {
        recipient: to.email.clone(),
        account: Some(to.id),
        subject: format!("预约{what_zh}：{} / Booking {what_en}", booking.service_name),
        body_text: format!(
            "您预约的「{name}」（{when}）{what_zh}。\nYour booking of \"{name}\" at {when} ({tz}) {what_en}.\n",
            name = booking.service_name,
        ),
    }
}

/// What the merchant's members read of a new booking: when, what, and by when to answer.
pub fn new_booking(booking: &Booking, tz: Tz) -> (String, String) {
    let local = |t: chrono::DateTime<chrono::Utc>| t.with_timezone(&tz).format("%m-%d %H:%M");
    let when = local(booking.starts_at);
    let name = &booking.service_name;
    let subject = format!("新预约：{name} {when} / New booking: {name} at {when}");
    let answer = match booking.respond_by {
        Some(by) if booking.status == BookingStatus::PendingConfirmation => format!(
            "请在 {by} 前确认或拒绝，逾期将自动失效。\nPlease confirm or decline by {by} ({tz}); after that it expires.\n",
            by = local(by)
        ),
        _ => "已自动确认。\nIt is confirmed automatically.\n".to_owned(),
    };
    let body = format!(
        "「{name}」{when}（{tz}）有一个新预约。\nA new booking of \"{name}\" at {when} ({tz}).\n{answer}"
    );
    (subject, body)
}

/// The words for each new status, Chinese first.
pub fn words(status: BookingStatus) -> (&'static str, &'static str) {
    match status {
        BookingStatus::PendingConfirmation => (
            "已提交，等待商家确认",
            "is waiting for the merchant's confirmation",
        ),
        BookingStatus::Confirmed => ("已确认", "is confirmed"),
        BookingStatus::Declined => ("已被商家拒绝", "was declined by the merchant"),
        BookingStatus::Expired => (
            "因商家未及时确认已失效",
            "expired: the merchant did not answer in time",
        ),
        BookingStatus::Cancelled => ("已取消", "was cancelled"),
        BookingStatus::InService => ("服务已开始", "has started"),
        BookingStatus::Completed => ("已完成", "is completed"),
        BookingStatus::NoShow => ("记录为未到场", "was recorded as a no-show"),
    }
}
