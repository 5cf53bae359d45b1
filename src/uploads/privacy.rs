//! A person's uploads, for their export and their erasure (composed in `app::personal_data`),
//! and the job that deletes erased files from the object store after the erasure commits.

use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::jobs::{self, JobContext, Outcome};

use super::models;
use super::rules::{Purpose, SubjectKind};

/// The job that deletes stored objects: `{"keys": [...]}`.
pub const DELETE_OBJECTS: &str = "uploads.delete_objects";

/// One of the person's uploads, as the export lists it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedUpload {
    pub id: Uuid,
    pub purpose: Purpose,
    pub content_type: String,
    pub byte_size: i32,
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<Uuid>,
}

/// The uploads the person sent, oldest first.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> AppResult<Vec<ExportedUpload>> {
    Ok(models::of_owner(conn, user)?
        .into_iter()
        .map(|u| ExportedUpload {
            id: u.id,
            purpose: u.purpose,
            content_type: u.content_type,
            byte_size: u.byte_size,
            sha256: u.sha256,
            created_at: u.created_at,
            subject_kind: u.subject_kind,
            subject_id: u.subject_id,
        })
        .collect())
}

/// Deletes the person's own uploads (review and message photos, after-sales evidence and
/// anything not attached) and queues the deletion of their files. Licence documents stay with
/// the merchant and handoff photos with the order (they go with the consumer's erasure,
/// [`erase_attached`]).
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let keys = models::delete_personal(conn, user)?;
    queue_deletion(conn, keys)
}

/// Deletes the uploads attached to these records and queues the deletion of their files.
pub fn erase_attached(conn: &mut PgConnection, kind: SubjectKind, ids: &[Uuid]) -> AppResult<()> {
    let keys = models::delete_attached(conn, kind, ids)?;
    queue_deletion(conn, keys)
}

/// The files go after the commit, by job, so a rolled-back erasure keeps them.
pub(super) fn queue_deletion(conn: &mut PgConnection, keys: Vec<String>) -> AppResult<()> {
    if !keys.is_empty() {
        jobs::models::enqueue(
            conn,
            DELETE_OBJECTS,
            serde_json::json!({ "keys": keys }),
            Utc::now(),
        )?;
    }
    Ok(())
}

/// Runs a [`DELETE_OBJECTS`] job: deletes each object (one already gone is fine).
pub fn delete_objects(ctx: &JobContext<'_>, payload: &serde_json::Value) -> AppResult<Outcome> {
    let keys: Vec<String> = serde_json::from_value(payload["keys"].clone())
        .map_err(|e| AppError::internal_in("uploads.delete_objects payload", e))?;
    for key in keys {
        ctx.runtime.block_on(ctx.store.delete(&key))?;
    }
    Ok(Outcome::Done)
}
