//! Rows and queries of `messages` and `message_notices`. The caller owns the transaction.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::schema::{message_notices, messages};

use super::rules::{SenderRole, ThreadKind};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = messages, check_for_backend(diesel::pg::Pg))]
pub struct Message {
    pub id: Uuid,
    pub subject_kind: ThreadKind,
    pub subject_id: Uuid,
    pub sender_id: Uuid,
    pub sender_role: SenderRole,
    pub sender_name: String,
    pub body: String,
    pub photo_id: Option<Uuid>,
    pub created_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, m: &Message) -> QueryResult<()> {
    diesel::insert_into(messages::table)
        .values(m)
        .execute(conn)
        .map(drop)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Message>> {
    messages::table
        .find(id)
        .select(Message::as_select())
        .first(conn)
        .optional()
}

/// Up to `limit` messages of a thread after `after` (a message's time and id), oldest first.
pub fn page(
    conn: &mut PgConnection,
    kind: ThreadKind,
    subject_id: Uuid,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Message>> {
    let mut q = messages::table
        .filter(messages::subject_kind.eq(kind))
        .filter(messages::subject_id.eq(subject_id))
        .select(Message::as_select())
        .order((messages::created_at, messages::id))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        q = q.filter(
            messages::created_at
                .gt(at)
                .or(messages::created_at.eq(at).and(messages::id.gt(id))),
        );
    }
    q.load(conn)
}

/// Every message the person wrote, oldest first.
pub fn of_sender(conn: &mut PgConnection, sender: Uuid) -> QueryResult<Vec<Message>> {
    messages::table
        .filter(messages::sender_id.eq(sender))
        .select(Message::as_select())
        .order((messages::created_at, messages::id))
        .load(conn)
}

/// Deletes every message the person wrote and their notice times.
pub fn delete_of(conn: &mut PgConnection, user: Uuid) -> QueryResult<usize> {
    diesel::delete(message_notices::table.filter(message_notices::user_id.eq(user)))
        .execute(conn)?;
    diesel::delete(messages::table.filter(messages::sender_id.eq(user))).execute(conn)
}

/// Threads whose newest message is older than `quiet_since`, after the thread `after` in the
/// order of kind and id, at most `limit`: the candidates for the retention sweep (a thread whose
/// subject ended over 30 days ago has had no message for over 29 days).
pub fn quiet_threads(
    conn: &mut PgConnection,
    quiet_since: DateTime<Utc>,
    after: Option<(ThreadKind, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<(ThreadKind, Uuid)>> {
    #[derive(QueryableByName)]
    struct Thread {
        #[diesel(sql_type = Text)]
        subject_kind: String,
        #[diesel(sql_type = SqlUuid)]
        subject_id: Uuid,
    }
    let (kind, id) = after.map_or((String::new(), Uuid::nil()), |(k, id)| {
        (k.as_str().to_owned(), id)
    });
    let rows: Vec<Thread> = diesel::sql_query(
        "SELECT subject_kind, subject_id FROM messages WHERE (subject_kind, subject_id) > ($2, $3) \
         GROUP BY subject_kind, subject_id HAVING max(created_at) < $1 \
         ORDER BY subject_kind, subject_id LIMIT $4",
    )
    .bind::<Timestamptz, _>(quiet_since)
    .bind::<Text, _>(kind)
    .bind::<SqlUuid, _>(id)
    .bind::<diesel::sql_types::BigInt, _>(limit)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .filter_map(|t| Some((ThreadKind::parse(&t.subject_kind)?, t.subject_id)))
        .collect())
}

/// Deletes a thread and its notice times; returns the ids of its messages.
pub fn delete_thread(
    conn: &mut PgConnection,
    kind: ThreadKind,
    subject_id: Uuid,
) -> QueryResult<Vec<Uuid>> {
    diesel::delete(
        message_notices::table
            .filter(message_notices::subject_kind.eq(kind.as_str()))
            .filter(message_notices::subject_id.eq(subject_id)),
    )
    .execute(conn)?;
    diesel::delete(
        messages::table
            .filter(messages::subject_kind.eq(kind))
            .filter(messages::subject_id.eq(subject_id)),
    )
    .returning(messages::id)
    .get_results(conn)
}

/// Of `users`, those not emailed about the thread in the last `NOTICE_EVERY_MINUTES`; their
/// notice time becomes now (one statement, so two concurrent messages email a recipient once).
pub fn take_notices(
    conn: &mut PgConnection,
    kind: ThreadKind,
    subject_id: Uuid,
    users: &[Uuid],
    every: Duration,
) -> QueryResult<Vec<Uuid>> {
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = SqlUuid)]
        user_id: Uuid,
    }
    let rows: Vec<Due> = diesel::sql_query(
        "INSERT INTO message_notices AS n (subject_kind, subject_id, user_id, notified_at) \
         SELECT $1, $2, u, now() FROM unnest($3) AS u \
         ON CONFLICT (subject_kind, subject_id, user_id) DO UPDATE SET notified_at = now() \
         WHERE n.notified_at <= now() - $4 \
         RETURNING user_id",
    )
    .bind::<Text, _>(kind.as_str())
    .bind::<SqlUuid, _>(subject_id)
    .bind::<diesel::sql_types::Array<SqlUuid>, _>(users)
    .bind::<diesel::sql_types::Interval, _>(diesel::pg::data_types::PgInterval::from_microseconds(
        every.num_microseconds().unwrap_or(i64::MAX),
    ))
    .load(conn)?;
    let due: Vec<Uuid> = rows.into_iter().map(|d| d.user_id).collect();
    Ok(due)
}
