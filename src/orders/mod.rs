//! Contactless-delivery orders: catering takeout and laundry/repair pickup-and-return, with
//! handoff proofs, a safety record, refunds and late compensation. Owns the `orders`,
//! `order_items`, `order_settings`, `handoff_proofs`, `safety_checks`, `refunds` and
//! `order_events` tables.

pub mod actions;
pub mod courier;
pub mod models;
pub mod payment;
pub mod place;
mod privacy;
pub mod refunds;
pub mod routes;
pub mod rules;
pub mod safety;
pub mod settings;
pub mod timers;
pub mod views;

pub use actions::may_see_photos;
pub use models::delivered;
pub use payment::{close_unpaid, paid, payable, refund_ended};
pub use privacy::{check_erasable, erase_for, export_for};
pub use refunds::{after_sales_refund, purchase};
pub use views::OrderResponse;

use diesel::PgConnection;
use uuid::Uuid;

use crate::accounts;
use crate::error::AppResult;
use crate::history;
use crate::http::Endpoint;
use crate::jobs::outbox::{self, Email};
use crate::merchants;

use models::Order;
use rules::Actor;

/// Mounts the order routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(
        Endpoint::new("/orders")
            .post(place::place_order)
            .get(routes::my_orders),
    )
    .service(Endpoint::new("/orders/{id}").get(routes::get_order))
    .service(Endpoint::new("/orders/{id}/accept").post(actions::accept))
    .service(Endpoint::new("/orders/{id}/reject").post(actions::reject))
    .service(Endpoint::new("/orders/{id}/cancel").post(actions::cancel))
    .service(Endpoint::new("/orders/{id}/ready").post(actions::ready))
    .service(Endpoint::new("/orders/{id}/pick-up").post(actions::pick_up))
    .service(Endpoint::new("/orders/{id}/deliver").post(actions::deliver))
    .service(Endpoint::new("/orders/{id}/fail").post(actions::fail))
    .service(Endpoint::new("/orders/{id}/return").post(actions::return_order))
    .service(Endpoint::new("/orders/{id}/confirm-receipt").post(actions::confirm_receipt))
    .service(Endpoint::new("/orders/{id}/schedule-pickup").post(actions::schedule_pickup))
    .service(Endpoint::new("/orders/{id}/pickup-failed").post(actions::pickup_fail))
    .service(Endpoint::new("/orders/{id}/requote").post(actions::requote))
    .service(Endpoint::new("/orders/{id}/approve-quote").post(actions::approve_quote))
    .service(Endpoint::new("/orders/{id}/decline-quote").post(actions::decline_quote))
    .service(Endpoint::new("/orders/{id}/process").post(actions::process))
    .service(Endpoint::new("/orders/{id}/send-back").post(actions::send_back))
    .service(Endpoint::new("/orders/{id}/courier").post(courier::assign_courier))
    .service(Endpoint::new("/orders/{id}/safety-checks").post(safety::add_safety_check))
    .service(Endpoint::new("/orders/{id}/refunds").post(refunds::refund))
    .service(Endpoint::new("/merchants/{id}/orders").get(routes::merchant_orders))
    .service(
        Endpoint::new("/merchants/{id}/order-settings")
            .get(settings::get_settings)
            .put(settings::put_settings),
    )
    .service(Endpoint::new("/me/deliveries").get(routes::my_deliveries));
}

/// The first 8 hex digits of the order's id, as emails name it.
fn short_id(order: &Order) -> String {
    order.id.simple().to_string()[..8].to_owned()
}

/// Records a change in the order's history and notifies the consumer, in the caller's
/// transaction.
pub fn record_change(
    conn: &mut PgConnection,
    order: &Order,
    from: Option<&str>,
    action: &str,
    actor: Actor,
    actor_id: Option<Uuid>,
    reason: Option<&str>,
) -> AppResult<()> {
    history::record(
        conn,
        history::Of::Order,
        history::Change {
            subject_id: order.id,
            from,
            to: order.status.as_str(),
            action,
            actor_id,
            actor_role: actor.as_str(),
            reason,
            merchant_hears: order.status.was_paid(),
        },
    )?;
    if order.status.has_ended() {
        crate::jobs::merchant_changed(conn, order.merchant_id)?;
    }
    if order.status == rules::OrderStatus::Completed {
        payment::release(conn, order)?;
    } else if order.status.has_ended() {
        crate::ledger::reclaim(
            conn,
            crate::ledger::Subject::order(order.id),
            order.merchant_id,
        )?;
    }
    let consumer = accounts::find(conn, order.consumer_id)?;
    let short = short_id(order);
    let (zh, en) = order.status.words();
    outbox::enqueue(
        conn,
        &Email {
            recipient: consumer.email,
            account: Some(consumer.id),
            subject: format!("订单 {short} 状态：{zh} / Order {short}: {en}"),
            body_text: format!(
                "您的订单 {short} 当前状态：{zh}。\nYour order {short} is now {en}.\n合计 / Total: {total} 元\n",
                total = crate::fields::yuan(order.total_cents),
            ),
        },
    )?;
    Ok(())
}

/// An order with everything attached to it, as `viewer` may see it.
pub fn detail(
    conn: &mut diesel::PgConnection,
    order: models::Order,
    viewer: rules::Actor,
) -> crate::error::AppResult<views::OrderResponse> {
    let extras = views::Extras {
        items: models::items_of(conn, &[order.id])?,
        proofs: models::proofs(conn, order.id)?,
        checks: models::checks(conn, order.id)?,
        refunds: models::refunds_of(conn, order.id)?,
    };
    Ok(views::OrderResponse::new(order, viewer, extras))
}

/// Who is involved in the order and when it ended (the time of its last change, once it has
/// ended: completed, cancelled, rejected or returned); `None` for an unknown order.
pub fn involved(
    conn: &mut PgConnection,
    order_id: Uuid,
) -> AppResult<Option<merchants::access::Involved>> {
    use diesel::OptionalExtension;
    let Some(o) = models::find(conn, order_id).optional()? else {
        return Ok(None);
    };
    let ended_at = if o.status.has_ended() {
        Some(history::last_at(conn, history::Of::Order, o.id)?.unwrap_or(o.created_at))
    } else {
        None
    };
    Ok(Some(merchants::access::Involved {
        consumer_id: o.consumer_id,
        merchant_id: o.merchant_id,
        worker_id: o.courier_id,
        ended_at,
    }))
}
