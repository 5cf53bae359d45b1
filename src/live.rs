//! Live events: the `live_events` table that the event streams read, and the `Hub` that tails it
//! once per process and fans each new row out to every open stream.
//!
//! A row is written in the transaction of the change it tells of: `history::record` writes one
//! for every booking, order and after-sales change (its audience, the consumer and the merchant,
//! read from the subject's row), and features with other news (a new review, later payments)
//! call [`publish`]. The position `seq` is given at commit (see the migration), so it follows
//! commit order and a stream that resumes from `Last-Event-ID` misses nothing and repeats
//! nothing. Kernel: it knows no feature, only the tables named by `history`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamptz, Uuid as SqlUuid};
use serde::Serialize;
use tokio::sync::broadcast;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::db;
use crate::error::{AppError, AppResult};

/// Who a live event is for.
#[derive(Debug, Clone, Copy)]
pub struct Audience {
    pub consumer_id: Option<Uuid>,
    pub merchant_id: Option<Uuid>,
}

/// One piece of news to publish.
#[derive(Debug)]
pub struct News<'a> {
    /// `order`, `booking`, `after_sales`, `review` or `payment` (a CHECK lists them).
    pub kind: &'a str,
    pub subject_id: Uuid,
    pub action: &'a str,
    pub from: Option<&'a str>,
    pub to: &'a str,
}

/// Publishes `news` to `audience` in the caller's transaction: streams see it after the commit.
pub fn publish(conn: &mut PgConnection, audience: Audience, news: News<'_>) -> QueryResult<()> {
    diesel::sql_query(
        "INSERT INTO live_events (id, consumer_id, merchant_id, kind, subject_id, action, \
         from_status, to_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<Nullable<SqlUuid>, _>(audience.consumer_id)
    .bind::<Nullable<SqlUuid>, _>(audience.merchant_id)
    .bind::<Text, _>(news.kind)
    .bind::<SqlUuid, _>(news.subject_id)
    .bind::<Text, _>(news.action)
    .bind::<Nullable<Text>, _>(news.from)
    .bind::<Text, _>(news.to)
    .execute(conn)
    .map(drop)
}

/// Publishes `news` to the consumer and the merchant of the row `news.subject_id` of `table`
/// (a table with `consumer_id` and `merchant_id`; `history` passes its subjects' tables).
pub fn publish_to_parties(
    conn: &mut PgConnection,
    table: &'static str,
    news: News<'_>,
    merchant_hears: bool,
) -> QueryResult<()> {
    diesel::sql_query(format!(
        "INSERT INTO live_events (id, consumer_id, merchant_id, kind, subject_id, action, \
         from_status, to_status) SELECT $1, consumer_id, CASE WHEN $7 THEN merchant_id END, $2, \
         id, $3, $4, $5 FROM {table} WHERE id = $6"
    ))
    .bind::<SqlUuid, _>(Uuid::now_v7())
    .bind::<Text, _>(news.kind)
    .bind::<Text, _>(news.action)
    .bind::<Nullable<Text>, _>(news.from)
    .bind::<Text, _>(news.to)
    .bind::<SqlUuid, _>(news.subject_id)
    .bind::<diesel::sql_types::Bool, _>(merchant_hears)
    .execute(conn)
    .map(drop)
}

/// A live event as streams send it (the SSE `data`; its `seq` is the SSE `id`).
#[derive(Debug, Clone, QueryableByName, Serialize, ToSchema)]
pub struct Event {
    #[diesel(sql_type = BigInt)]
    pub seq: i64,
    /// `order`, `booking`, `after_sales`, `review` or `payment` (also the SSE `event` name).
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = SqlUuid)]
    pub subject_id: Uuid,
    #[diesel(sql_type = Text)]
    pub action: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub from: Option<String>,
    #[diesel(sql_type = Text)]
    pub to: String,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    #[serde(skip)]
    pub consumer_id: Option<Uuid>,
    #[diesel(sql_type = Nullable<SqlUuid>)]
    pub merchant_id: Option<Uuid>,
    #[diesel(sql_type = Timestamptz)]
    pub at: DateTime<Utc>,
}

/// Which events one stream receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Filter {
    /// A consumer's own orders, bookings, requests and payments.
    Consumer(Uuid),
    /// Everything about one merchant.
    Merchant(Uuid),
}

impl Filter {
    pub fn matches(&self, e: &Event) -> bool {
        match *self {
            Filter::Consumer(id) => e.consumer_id == Some(id),
            Filter::Merchant(id) => e.merchant_id == Some(id),
        }
    }
    fn column(&self) -> (&'static str, Uuid) {
        match *self {
            Filter::Consumer(id) => ("consumer_id", id),
            Filter::Merchant(id) => ("merchant_id", id),
        }
    }
}

const COLUMNS: &str =
    "seq, kind, subject_id, action, from_status AS from, to_status AS to, consumer_id, merchant_id, at";

/// The filter's events after `seq`, oldest first, at most `limit`.
pub fn after(
    conn: &mut PgConnection,
    filter: Filter,
    seq: i64,
    limit: i64,
) -> QueryResult<Vec<Event>> {
    let (column, id) = filter.column();
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM live_events WHERE {column} = $1 AND seq > $2 ORDER BY seq LIMIT $3"
    ))
    .bind::<SqlUuid, _>(id)
    .bind::<BigInt, _>(seq)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

/// Every event after `seq`, oldest first, at most `limit` (the tailer's read).
fn all_after(conn: &mut PgConnection, seq: i64, limit: i64) -> QueryResult<Vec<Event>> {
    diesel::sql_query(format!(
        "SELECT {COLUMNS} FROM live_events WHERE seq > $1 ORDER BY seq LIMIT $2"
    ))
    .bind::<BigInt, _>(seq)
    .bind::<BigInt, _>(limit)
    .load(conn)
}

#[derive(QueryableByName)]
struct Last {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// The position of the newest committed event (0: none yet).
pub fn last_seq(conn: &mut PgConnection) -> QueryResult<i64> {
    diesel::sql_query("SELECT coalesce(max(seq), 0) AS seq FROM live_events")
        .get_result::<Last>(conn)
        .map(|l| l.seq)
}

fn poisoned() -> AppError {
    AppError::internal("the live events hub's lock is poisoned")
}

/// The events of a process: one tailer thread (started by the first stream, stopped when the
/// last one closes) reads new rows every `poll` and broadcasts them; the per-user stream count.
#[derive(Clone)]
pub struct Hub {
    inner: Arc<Inner>,
}

struct Inner {
    pool: db::Pool,
    poll: Duration,
    per_user: usize,
    sender: broadcast::Sender<Arc<Event>>,
    tailing: Mutex<bool>,
    open: Mutex<HashMap<Uuid, usize>>,
}

/// Rows read per tailer query; a burst larger than this is read over several polls.
const BATCH: i64 = 1000;

impl Hub {
    pub fn new(pool: db::Pool, poll: Duration, per_user: usize) -> Self {
        let (sender, _) = broadcast::channel(4096);
        Self {
            inner: Arc::new(Inner {
                pool,
                poll,
                per_user,
                sender,
                tailing: Mutex::new(false),
                open: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Counts a new stream of `user`: 429 once the user has `per_user` open in this process.
    /// The stream holds the returned `Slot`; dropping it (the client went away) frees it.
    pub fn claim(&self, user: Uuid) -> AppResult<Slot> {
        let mut open = self.inner.open.lock().map_err(|_| poisoned())?;
        let count = open.entry(user).or_default();
        if *count >= self.inner.per_user {
            return Err(AppError::RateLimited {
                retry_after_secs: 30,
            });
        }
        *count += 1;
        Ok(Slot {
            hub: self.clone(),
            user,
        })
    }

    /// A receiver of what the tailer broadcasts from now on. When no tailer runs, one starts
    /// at `committed`, a position the caller read from the table ([`last_seq`]) before this
    /// call, and broadcasts every event after it. Whatever was broadcast before this call is at
    /// most the table's newest position at any later moment, so a stream that reads the table
    /// from its own start after subscribing, then takes the receiver's events after what it
    /// read, misses nothing and repeats nothing.
    pub fn subscribe(&self, committed: i64) -> AppResult<broadcast::Receiver<Arc<Event>>> {
        let mut tailing = self.inner.tailing.lock().map_err(|_| poisoned())?;
        let receiver = self.inner.sender.subscribe();
        if !*tailing {
            let inner = self.inner.clone();
            std::thread::Builder::new()
                .name("live-events".into())
                .spawn(move || tail(&inner, committed))
                .map_err(AppError::internal)?;
            *tailing = true;
        }
        Ok(receiver)
    }
}

/// A claimed stream place (see [`Hub::claim`]).
pub struct Slot {
    hub: Hub,
    user: Uuid,
}

impl Drop for Slot {
    fn drop(&mut self) {
        if let Ok(mut open) = self.hub.inner.open.lock() {
            if let Some(count) = open.get_mut(&self.user) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    open.remove(&self.user);
                }
            }
        }
    }
}

/// The tailer: reads rows after the last one it sent and broadcasts them, until no stream is
/// left. A database error is logged and the read retried at the next poll.
fn tail(inner: &Inner, from: i64) {
    let mut last = from;
    loop {
        if let Ok(mut tailing) = inner.tailing.lock() {
            if inner.sender.receiver_count() == 0 {
                *tailing = false;
                return;
            }
        }
        let read = inner
            .pool
            .get()
            .map_err(AppError::from)
            .and_then(|mut conn| Ok(all_after(&mut conn, last, BATCH)?));
        match read {
            Ok(rows) => {
                let full = rows.len() as i64 == BATCH;
                for row in rows {
                    last = row.seq;
                    // No receiver is not an error: the loop ends at its next turn.
                    let _ = inner.sender.send(Arc::new(row));
                }
                if full {
                    continue;
                }
            }
            Err(e) => tracing::warn!(error = %e, "reading live events failed; retrying"),
        }
        std::thread::sleep(inner.poll);
    }
}
