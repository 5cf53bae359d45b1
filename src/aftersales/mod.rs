//! After-sales requests (售后): a consumer asks for a refund or a redo of a completed order or
//! booking, with a reason and evidence photos; the merchant agrees, offers part or refuses
//! within [`rules::ANSWER_HOURS`]; an unanswered, refused or declined request can be escalated
//! to an operator, who decides (audited). An agreed refund of an order is one of the order's
//! refunds (`orders::after_sales_refund`). Owns the `after_sales_requests` and
//! `after_sales_events` tables.

pub mod actions;
pub mod create;
mod models;
mod privacy;
pub mod routes;
pub mod rules;
pub mod timers;
pub mod views;

pub use privacy::{erase_for, export_for};
pub use views::AfterSalesResponse;

use diesel::{OptionalExtension, PgConnection};
use uuid::Uuid;

use crate::accounts;
use crate::auth::Identity;
use crate::error::{AppError, AppResult};
use crate::history;
use crate::http::Endpoint;
use crate::jobs::outbox::{self, Email};
use crate::merchants::{self, access};

use models::Request;
use rules::{Actor, RequestAction};

/// Mounts the after-sales routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/after-sales").post(create::create_after_sales))
        .service(Endpoint::new("/after-sales/{id}").get(routes::get_after_sales))
        .service(Endpoint::new("/after-sales/{id}/agree").post(actions::agree))
        .service(Endpoint::new("/after-sales/{id}/offer").post(actions::offer))
        .service(Endpoint::new("/after-sales/{id}/refuse").post(actions::refuse))
        .service(Endpoint::new("/after-sales/{id}/accept-offer").post(actions::accept_offer))
        .service(Endpoint::new("/after-sales/{id}/decline-offer").post(actions::decline_offer))
        .service(Endpoint::new("/after-sales/{id}/escalate").post(actions::escalate))
        .service(Endpoint::new("/after-sales/{id}/withdraw").post(actions::withdraw))
        .service(Endpoint::new("/me/after-sales").get(routes::my_after_sales))
        .service(Endpoint::new("/merchants/{id}/after-sales").get(routes::merchant_after_sales))
        .service(Endpoint::new("/admin/after-sales").get(routes::admin_after_sales))
        .service(Endpoint::new("/admin/after-sales/{id}/decision").post(actions::decide));
}

/// How the caller relates to a request; 404 when not at all.
pub fn relations(conn: &mut PgConnection, id: &Identity, r: &Request) -> AppResult<Vec<Actor>> {
    let parties = access::parties(conn, id, r.consumer_id, r.merchant_id, None)?;
    Ok(parties.roles(
        Actor::Consumer,
        Actor::Merchant,
        Actor::Merchant,
        Actor::Operator,
    ))
}

/// Whether the caller may see a request's evidence photos: its consumer, the merchant's members
/// (operators and the uploader are let through by `uploads`).
pub fn may_see_evidence(
    conn: &mut PgConnection,
    viewer: Option<&Identity>,
    request_id: Uuid,
) -> AppResult<bool> {
    let (Some(me), Some(request)) = (viewer, models::find(conn, request_id).optional()?) else {
        return Ok(false);
    };
    match relations(conn, me, &request) {
        Ok(roles) => Ok(!roles.is_empty()),
        Err(AppError::NotFound) => Ok(false),
        Err(other) => Err(other),
    }
}

/// Records a change in the request's history and tells the other party, in the caller's
/// transaction: the merchant's members hear of what the consumer does, the consumer of what
/// the merchant, the deadline or an operator does (and the members of a decision too).
pub fn record_change(
    conn: &mut PgConnection,
    request: &Request,
    from: Option<&str>,
    action: RequestAction,
    actor: Actor,
    actor_id: Option<Uuid>,
    reason: Option<&str>,
) -> AppResult<()> {
    history::record(
        conn,
        history::Of::AfterSales,
        history::Change {
            subject_id: request.id,
            from,
            to: request.status.as_str(),
            action: action.as_str(),
            actor_id,
            actor_role: actor.as_str(),
            reason,
            merchant_hears: true,
        },
    )?;
    let short = &request.id.simple().to_string()[..8];
    let (zh, en) = request.status.words();
    let subject = format!("售后 {short}：{zh} / After-sales request {short}: {en}");
    let mut body =
        format!("售后申请 {short} 当前状态：{zh}。\nAfter-sales request {short} is now {en}.\n");
    if action == RequestAction::Open {
        // The members learn the deadline in the merchant's own time.
        let tz = merchants::find(conn, request.merchant_id)?.tz();
        let by = request
            .respond_by
            .with_timezone(&tz)
            .format("%Y-%m-%d %H:%M");
        body.push_str(&format!(
            "请在 {by} 前同意、部分退款或拒绝，逾期消费者可申请平台介入。\nPlease agree, offer part or refuse by {by} ({tz}); after that the consumer may take it to the platform.\n"
        ));
    }
    if actor != Actor::Consumer {
        let consumer = accounts::find(conn, request.consumer_id)?;
        outbox::enqueue(
            conn,
            &Email {
                recipient: consumer.email,
                account: Some(consumer.id),
                subject: subject.clone(),
                body_text: body.clone(),
            },
        )?;
    }
    if matches!(actor, Actor::Consumer | Actor::Operator) {
        merchants::tell_members(conn, request.merchant_id, &subject, &body)?;
    }
    Ok(())
}
