//! Order timers: a placed order the merchant does not accept in time is cancelled; a delivered
//! order completes by itself. Each handler re-checks the order, so a stale timer does nothing.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{models as jobs, Outcome};

use super::models;
use super::rules::{Actor, OrderAction, OrderStatus};

pub const EXPIRE: &str = "order.expire";
pub const AUTO_COMPLETE: &str = "order.auto_complete";

#[derive(Deserialize)]
struct Payload {
    order_id: Uuid,
}

pub fn schedule(
    conn: &mut PgConnection,
    kind: &str,
    order_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    jobs::enqueue(conn, kind, serde_json::json!({ "order_id": order_id }), at)?;
    Ok(())
}

/// Runs one order timer.
pub fn run(conn: &mut PgConnection, kind: &str, payload: &serde_json::Value) -> AppResult<Outcome> {
    let Payload { order_id } =
        serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let Some(order) = diesel::OptionalExtension::optional(models::find_for_update(conn, order_id))?
    else {
        return Ok(Outcome::Done);
    };
    let (due_status, action) = match kind {
        EXPIRE => (OrderStatus::Placed, OrderAction::Expire),
        _ => (OrderStatus::Delivered, OrderAction::AutoComplete),
    };
    if order.status == due_status {
        let mut next = order.clone();
        next.status = if action == OrderAction::Expire {
            OrderStatus::Cancelled
        } else {
            OrderStatus::Completed
        };
        if action == OrderAction::Expire {
            next.reason = Some("商家未及时接单 / not accepted in time".to_owned());
        }
        if let Some(saved) = models::save(conn, &order, &next)? {
            let paid_back = saved.total_cents - saved.refunded_cents;
            if action == OrderAction::Expire && paid_back > 0 {
                models::refund(
                    conn,
                    order_id,
                    paid_back,
                    "rejection",
                    "商家未及时接单 / not accepted in time",
                    None,
                )?;
            }
            super::record_change(
                conn,
                &saved,
                Some(order.status.as_str()),
                action.as_str(),
                Actor::System,
                None,
                next.reason.as_deref(),
            )?;
        }
    }
    Ok(Outcome::Done)
}
