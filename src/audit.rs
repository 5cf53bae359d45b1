//! The audit log: every operator decision and system sanction, with the state before and after.
//! Append-only (a trigger refuses UPDATE and DELETE). Rows are written in the transaction of the
//! change they describe, so the log and the data never disagree.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::schema::audit_log;

/// Who acted, as the log records it.
#[derive(Debug, Clone, Copy)]
pub enum ActorRole {
    Operator,
    System,
    Member,
}

impl ActorRole {
    fn as_str(self) -> &'static str {
        match self {
            ActorRole::Operator => "operator",
            ActorRole::System => "system",
            ActorRole::Member => "member",
        }
    }
}

/// One entry to append.
#[derive(Debug)]
pub struct Entry<'a> {
    pub actor_id: Option<Uuid>,
    pub actor_role: ActorRole,
    /// `<subject>.<verb>`, e.g. `merchant.approve`.
    pub action: &'a str,
    pub subject_type: &'a str,
    pub subject_id: Uuid,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
    pub reason: Option<&'a str>,
}

pub fn record(conn: &mut PgConnection, entry: Entry<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::id.eq(Uuid::now_v7()),
            audit_log::actor_id.eq(entry.actor_id),
            audit_log::actor_role.eq(entry.actor_role.as_str()),
            audit_log::action.eq(entry.action),
            audit_log::subject_type.eq(entry.subject_type),
            audit_log::subject_id.eq(entry.subject_id),
            audit_log::before.eq(entry.before),
            audit_log::after.eq(entry.after),
            audit_log::reason.eq(entry.reason),
        ))
        .execute(conn)
        .map(drop)
}

/// A logged entry.
#[derive(Debug, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = audit_log, check_for_backend(diesel::pg::Pg))]
pub struct AuditEntry {
    pub id: Uuid,
    pub actor_id: Option<Uuid>,
    pub actor_role: String,
    pub action: String,
    pub subject_type: String,
    pub subject_id: Uuid,
    #[schema(value_type = Option<Object>)]
    pub before: Option<serde_json::Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<serde_json::Value>,
    pub reason: Option<String>,
    pub at: DateTime<Utc>,
}

/// Filters of the log.
#[derive(Debug, Default, Deserialize)]
pub struct Filter {
    pub subject_type: Option<String>,
    pub subject_id: Option<Uuid>,
    pub actor_id: Option<Uuid>,
}

/// Newest first, after the cursor `(at, id)`.
pub fn list(
    conn: &mut PgConnection,
    filter: &Filter,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<AuditEntry>> {
    let mut query = audit_log::table
        .select(AuditEntry::as_select())
        .order((audit_log::at.desc(), audit_log::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(t) = &filter.subject_type {
        query = query.filter(audit_log::subject_type.eq(t.clone()));
    }
    if let Some(id) = filter.subject_id {
        query = query.filter(audit_log::subject_id.eq(id));
    }
    if let Some(id) = filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(id));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            audit_log::at
                .lt(at)
                .or(audit_log::at.eq(at).and(audit_log::id.lt(id))),
        );
    }
    query.load(conn)
}
