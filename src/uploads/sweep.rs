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

/// Deletes a batch of stale unattached uploads in the job's transaction; their objects go after
/// the commit, by the same deletion job as an erasure's (no store call holds the row locks).
pub fn run(conn: &mut PgConnection, _ctx: &JobContext<'_>) -> AppResult<Outcome> {
    let now = Utc::now();
    let keys = models::delete_unattached(conn, now - Duration::hours(UNATTACHED_TTL_HOURS), BATCH)?;
    let swept = keys.len();
    super::privacy::queue_deletion(conn, keys)?;
    let next = if swept as i64 >= BATCH {
        now
    } else {
        now + Duration::hours(1)
    };
    Ok(Outcome::RunAgainAt(next))
}
