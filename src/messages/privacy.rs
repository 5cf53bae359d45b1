//! A person's messages, for their export and their erasure (composed in `app::personal_data`),
//! and the recurring sweep that deletes threads past their retention.

use chrono::{DateTime, Duration, Utc};
use diesel::PgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::AppResult;
use crate::jobs::Outcome;
use crate::uploads::{self, SubjectKind};
use crate::{booking, orders};

use super::models;
use super::rules::{self, SenderRole, ThreadKind};

/// One message the person wrote, as the export lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedMessage {
    pub id: Uuid,
    /// `booking` or `order`, with its id.
    pub subject_kind: ThreadKind,
    pub subject_id: Uuid,
    pub sender_role: SenderRole,
    pub body: String,
    /// The upload of its photo (listed with the uploads too).
    pub photo: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

/// The messages the person wrote, oldest first.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> AppResult<Vec<ExportedMessage>> {
    Ok(models::of_sender(conn, user)?
        .into_iter()
        .map(|m| ExportedMessage {
            id: m.id,
            subject_kind: m.subject_kind,
            subject_id: m.subject_id,
            sender_role: m.sender_role,
            body: m.body,
            photo: m.photo_id,
            created_at: m.created_at,
        })
        .collect())
}

/// Deletes the messages the person wrote (their photos go with `uploads::erase_for`, as the
/// person's own uploads) and their notice times. The other parties' messages stay.
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    models::delete_of(conn, user)?;
    Ok(())
}

/// The recurring job's kind.
pub const SWEEP: &str = "messages.sweep";

/// Candidate threads read at a time.
const BATCH: i64 = 200;
/// Threads deleted per run at most; a run that reaches it runs again at once.
const MAX_DELETED: usize = 1000;

/// Deletes the threads whose booking or order ended `RETENTION_DAYS` ago (or no longer exists),
/// with their photos (rows now, files by `uploads.delete_objects` after the commit).
pub fn sweep(conn: &mut PgConnection) -> AppResult<Outcome> {
    let now = Utc::now();
    // No message is written later than a day after the end, so a thread that may be due has
    // been quiet for a day less than the retention.
    let quiet_since =
        now - Duration::days(rules::RETENTION_DAYS) + Duration::hours(rules::WRITE_GRACE_HOURS);
    // Quiet threads of subjects still going on are passed over, in the order of kind and id, so
    // they never hide the expired ones behind them.
    let (mut after, mut deleted) = (None, 0);
    loop {
        let threads = models::quiet_threads(conn, quiet_since, after, BATCH)?;
        for &(kind, subject_id) in &threads {
            let involved = match kind {
                ThreadKind::Booking => booking::involved(conn, subject_id)?,
                ThreadKind::Order => orders::involved(conn, subject_id)?,
            };
            if involved.is_none_or(|i| rules::expired(i.ended_at, now)) {
                let ids = models::delete_thread(conn, kind, subject_id)?;
                uploads::erase_attached(conn, SubjectKind::Message, &ids)?;
                deleted += 1;
            }
        }
        if deleted >= MAX_DELETED {
            return Ok(Outcome::RunAgainAt(now));
        }
        match threads.last() {
            Some(last) if threads.len() as i64 >= BATCH => after = Some(*last),
            _ => return Ok(Outcome::RunAgainAt(now + Duration::hours(1))),
        }
    }
}
