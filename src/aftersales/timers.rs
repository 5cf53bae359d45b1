//! The after-sales timer: a request the merchant has not answered by its `respond_by` expires
//! (and may then be escalated). The handler re-checks the request, so a timer for a request
//! that moved on does nothing.

use chrono::{DateTime, Utc};
use diesel::{OptionalExtension, PgConnection};
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{models as jobs, Outcome};

use super::models::{self, Request};
use super::rules::{Actor, RequestAction, RequestStatus};

pub const EXPIRE: &str = "after_sales.expire";

#[derive(Deserialize)]
struct Payload {
    request_id: Uuid,
}

pub fn schedule_expiry(
    conn: &mut PgConnection,
    request_id: Uuid,
    at: DateTime<Utc>,
) -> AppResult<()> {
    jobs::enqueue(
        conn,
        EXPIRE,
        serde_json::json!({ "request_id": request_id }),
        at,
    )?;
    Ok(())
}

/// Runs one expiry.
pub fn run(conn: &mut PgConnection, payload: &serde_json::Value) -> AppResult<Outcome> {
    let Payload { request_id } =
        serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let Some(request) = models::find_for_update(conn, request_id).optional()? else {
        return Ok(Outcome::Done);
    };
    expire_if_due(conn, request)?;
    Ok(Outcome::Done)
}

/// The (locked) request, expired first if the merchant's deadline has passed unanswered: the
/// job does it on time, and any action that comes before the job does it too, so nobody answers
/// late and an unanswered request can be escalated at once.
pub fn expire_if_due(conn: &mut PgConnection, request: Request) -> AppResult<Request> {
    if request.status == RequestStatus::Open && request.respond_by <= Utc::now() {
        return super::actions::apply(
            conn,
            &request,
            RequestAction::Expire,
            Actor::System,
            None,
            None,
            |_| Ok(()),
        );
    }
    Ok(request)
}
