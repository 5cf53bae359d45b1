//! Payments: orders and prepaid bookings paid through WeChat Pay or Alipay (`crate::pay` speaks
//! the protocols), the providers' notifications kept and processed once, unpaid orders and
//! bookings closed in time, and every refund carried out by the provider. Owns the
//! `payments`, `payment_refunds` and `payment_notifications` tables. Sits above orders and
//! booking: it tells them when they are paid (`orders::paid`, `booking::paid`) and closes them
//! unpaid; they ask it for refunds through the kernel's `jobs::refund_requested`.
//! `docs/payments.md` has the flows.

pub mod models;
pub mod notify;
pub mod refunds;
pub mod routes;
pub mod rules;
mod settle;
pub mod timers;

pub use routes::export_for;
pub use rules::SubjectKind;

use crate::http::Endpoint;
use crate::pay::Method;

/// Runs the refunds orders, bookings and after-sales requests ask for.
pub const REFUND: &str = crate::jobs::PAYMENT_REFUND;
/// Closes what was not paid in time.
pub const DUE: &str = crate::jobs::PAYMENT_DUE;

/// Mounts the payment routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/orders/{id}/payments").post(routes::pay_order))
        .service(Endpoint::new("/bookings/{id}/payments").post(routes::pay_booking))
        .service(Endpoint::new("/payments/{id}").get(routes::get_payment))
        .service(Endpoint::new("/payments/{id}/check").post(routes::check_payment))
        .service(Endpoint::new("/payments/notify/wechat").post(notify::wechat))
        .service(Endpoint::new("/payments/notify/alipay").post(notify::alipay))
        .service(Endpoint::new("/admin/payment-notifications").get(routes::list_notifications));
}

/// Where the provider sends its notifications for `method`.
pub fn notify_url(public_url: &str, method: Method) -> String {
    format!(
        "{}/api/v1/payments/notify/{method}",
        public_url.trim_end_matches('/')
    )
}
