//! The append-only histories of bookings, orders and after-sales requests (`booking_events`,
//! `order_events`, `after_sales_events`): one line per change, with who made it and why. The
//! tables have the same shape, so one piece of code writes and reads them; each stays owned by
//! its feature, which alone calls these functions.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

/// Which history.
#[derive(Debug, Clone, Copy)]
pub enum Of {
    Booking,
    Order,
    AfterSales,
}

impl Of {
    /// The subject's own table and its live-event kind.
    fn subject(self) -> (&'static str, &'static str) {
        match self {
            Of::Booking => ("bookings", "booking"),
            Of::Order => ("orders", "order"),
            Of::AfterSales => ("after_sales_requests", "after_sales"),
        }
    }

    fn table(self) -> (&'static str, &'static str) {
        match self {
            Of::Booking => ("booking_events", "booking_id"),
            Of::Order => ("order_events", "order_id"),
            Of::AfterSales => ("after_sales_events", "request_id"),
        }
    }
}

/// One change to record.
#[derive(Debug)]
pub struct Change<'a> {
    pub subject_id: Uuid,
    pub from: Option<&'a str>,
    pub to: &'a str,
    pub action: &'a str,
    pub actor_id: Option<Uuid>,
    pub actor_role: &'a str,
    pub reason: Option<&'a str>,
    /// Whether the merchant's members hear of it live (not of an order before it is paid).
    pub merchant_hears: bool,
}

/// Appends the change to the subject's history and publishes it as a live event to the
/// subject's consumer and merchant (`live::publish_to_parties`), in the caller's transaction.
pub fn record(conn: &mut PgConnection, of: Of, c: Change<'_>) -> QueryResult<()> {
    let (subjects, kind) = of.subject();
    crate::live::publish_to_parties(
        conn,
        subjects,
        crate::live::News {
            kind,
            subject_id: c.subject_id,
            action: c.action,
            from: c.from,
            to: c.to,
        },
        c.merchant_hears,
    )?;
    let (table, subject) = of.table();
    diesel::sql_query(format!(
        "INSERT INTO {table} (id, {subject}, from_status, to_status, action, actor_id, actor_role, reason) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<SqlUuid, _>(c.subject_id)
    .bind::<Nullable<Text>, _>(c.from)
    .bind::<Text, _>(c.to)
    .bind::<Text, _>(c.action)
    .bind::<Nullable<SqlUuid>, _>(c.actor_id)
    .bind::<Text, _>(c.actor_role)
    .bind::<Nullable<Text>, _>(c.reason)
    .execute(conn)
    .map(drop)
}

/// A recorded change, oldest first in a history.
#[derive(Debug, QueryableByName, Serialize, ToSchema)]
pub struct Entry {
    #[diesel(sql_type = Nullable<Text>)]
    pub from: Option<String>,
    #[diesel(sql_type = Text)]
    pub to: String,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Text)]
    pub actor_role: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub reason: Option<String>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

pub fn list(conn: &mut PgConnection, of: Of, subject_id: Uuid) -> QueryResult<Vec<Entry>> {
    let (table, subject) = of.table();
    diesel::sql_query(format!(
        "SELECT from_status AS from, to_status AS to, action, actor_role, reason, at FROM {table} \
         WHERE {subject} = $1 ORDER BY at, id"
    ))
    .bind::<SqlUuid, _>(subject_id)
    .load(conn)
}

#[derive(QueryableByName)]
struct At {
    #[diesel(sql_type = Timestamptz)]
    at: DateTime<Utc>,
}

/// When the subject last changed (`None`: no history).
pub fn last_at(
    conn: &mut PgConnection,
    of: Of,
    subject_id: Uuid,
) -> QueryResult<Option<DateTime<Utc>>> {
    let (table, subject) = of.table();
    diesel::sql_query(format!(
        "SELECT at FROM {table} WHERE {subject} = $1 ORDER BY at DESC, id DESC LIMIT 1"
    ))
    .bind::<SqlUuid, _>(subject_id)
    .get_result::<At>(conn)
    .optional()
    .map(|row| row.map(|r| r.at))
}

/// When the subject first reached status `to` (`None`: never).
pub fn reached_at(
    conn: &mut PgConnection,
    of: Of,
    subject_id: Uuid,
    to: &str,
) -> QueryResult<Option<DateTime<Utc>>> {
    let (table, subject) = of.table();
    diesel::sql_query(format!(
        "SELECT at FROM {table} WHERE {subject} = $1 AND to_status = $2 ORDER BY at, id LIMIT 1"
    ))
    .bind::<SqlUuid, _>(subject_id)
    .bind::<Text, _>(to)
    .get_result::<At>(conn)
    .optional()
    .map(|row| row.map(|r| r.at))
}
