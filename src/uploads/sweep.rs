//! The recurring job that deletes uploads nobody attached within a day (or that were detached),
//! with their files.

use chrono::{Duration, Utc};
use diesel::PgConnection;

use crate::error::AppResult;
use crate::jobs::{JobContext, Outcome};

use super::models;

/// The recurring job's kind.
pub const KIND: &str = "uploads.sweep";

/// How long an upload may wait to be attached.
pub const UNATTACHED_TTL_HOURS: i64 = 24;

/// Uploads deleted per run; a full batch runs again at once.
const BATCH: i64 = 200;

/// Deletes a batch of stale unattached uploads and their objects, in the job's transaction: an
/// object that cannot be deleted fails the job, which rolls the rows back and retries.
pub fn run(conn: &mut PgConnection, ctx: &JobContext<'_>) -> AppResult<Outcome> {
    let now = Utc::now();
    let keys = models::delete_unattached(conn, now - Duration::hours(UNATTACHED_TTL_HOURS), BATCH)?;
    for key in &keys {
        ctx.runtime.block_on(ctx.store.delete(key))?;
    }
    let next = if keys.len() as i64 >= BATCH {
        now
    } else {
        now + Duration::hours(1)
    };
    Ok(Outcome::RunAgainAt(next))
}
