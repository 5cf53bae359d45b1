//! Rows of `uploads` and their queries; the caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::uploads;

use super::rules::{Purpose, Subject, SubjectKind};

/// One uploaded file.
#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = uploads, check_for_backend(diesel::pg::Pg))]
pub struct Upload {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub purpose: Purpose,
    pub content_type: String,
    pub byte_size: i32,
    pub sha256: String,
    pub storage_key: String,
    pub created_at: DateTime<Utc>,
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<Uuid>,
    pub attached_at: Option<DateTime<Utc>>,
}

impl Upload {
    /// The record it is attached to, if any.
    pub fn subject(&self) -> Option<Subject> {
        Some(Subject {
            kind: self.subject_kind?,
            id: self.subject_id?,
        })
    }
}

pub fn insert(conn: &mut PgConnection, upload: &Upload) -> QueryResult<()> {
    diesel::insert_into(uploads::table)
        .values(upload)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Upload> {
    uploads::table
        .find(id)
        .select(Upload::as_select())
        .first(conn)
}

/// The upload, locked for the caller's transaction, if it exists.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Upload>> {
    uploads::table
        .find(id)
        .select(Upload::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(uploads::table.find(id)).execute(conn)
}

pub fn set_subject(conn: &mut PgConnection, id: Uuid, subject: Subject) -> QueryResult<usize> {
    diesel::update(uploads::table.find(id))
        .set((
            uploads::subject_kind.eq(subject.kind),
            uploads::subject_id.eq(subject.id),
            uploads::attached_at.eq(Utc::now()),
        ))
        .execute(conn)
}

/// Detaches the uploads of `purpose` attached to `subject` other than `keep`; the sweep then
/// deletes them.
pub fn detach_others(
    conn: &mut PgConnection,
    subject: Subject,
    purpose: Purpose,
    keep: &[Uuid],
) -> QueryResult<usize> {
    diesel::update(
        uploads::table
            .filter(uploads::subject_kind.eq(subject.kind))
            .filter(uploads::subject_id.eq(subject.id))
            .filter(uploads::purpose.eq(purpose))
            .filter(uploads::id.ne_all(keep)),
    )
    .set((
        uploads::subject_kind.eq(None::<SubjectKind>),
        uploads::subject_id.eq(None::<Uuid>),
        uploads::attached_at.eq(None::<DateTime<Utc>>),
    ))
    .execute(conn)
}

/// The person's uploads, oldest first.
pub fn of_owner(conn: &mut PgConnection, owner: Uuid) -> QueryResult<Vec<Upload>> {
    uploads::table
        .filter(uploads::owner_id.eq(owner))
        .order((uploads::created_at, uploads::id))
        .select(Upload::as_select())
        .load(conn)
}

/// Deletes the person's uploads that are theirs to erase (personal purposes, and anything not
/// attached); returns their storage keys.
pub fn delete_personal(conn: &mut PgConnection, owner: Uuid) -> QueryResult<Vec<String>> {
    let personal: Vec<Purpose> = Purpose::ALL
        .iter()
        .copied()
        .filter(|p| p.is_personal())
        .collect();
    diesel::delete(
        uploads::table.filter(uploads::owner_id.eq(owner)).filter(
            uploads::purpose
                .eq_any(personal)
                .or(uploads::subject_id.is_null()),
        ),
    )
    .returning(uploads::storage_key)
    .get_results(conn)
}

/// Deletes every upload attached to one of `ids` of `kind`; returns their storage keys.
pub fn delete_attached(
    conn: &mut PgConnection,
    kind: SubjectKind,
    ids: &[Uuid],
) -> QueryResult<Vec<String>> {
    diesel::delete(
        uploads::table
            .filter(uploads::subject_kind.eq(kind))
            .filter(uploads::subject_id.eq_any(ids)),
    )
    .returning(uploads::storage_key)
    .get_results(conn)
}

/// Deletes up to `limit` uploads that were never attached (or were detached) and are older
/// than `before`; returns their storage keys.
pub fn delete_unattached(
    conn: &mut PgConnection,
    before: DateTime<Utc>,
    limit: i64,
) -> QueryResult<Vec<String>> {
    let stale: Vec<Uuid> = uploads::table
        .filter(uploads::subject_id.is_null())
        .filter(uploads::created_at.lt(before))
        .order(uploads::created_at)
        .limit(limit)
        .select(uploads::id)
        .for_update()
        .skip_locked()
        .load(conn)?;
    diesel::delete(uploads::table.filter(uploads::id.eq_any(&stale)))
        .returning(uploads::storage_key)
        .get_results(conn)
}
