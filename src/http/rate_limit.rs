//! Fixed-window rate limits kept in PostgreSQL, so every app process shares them.
//! Keys are hashed: the table never holds an email or an address.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Integer, Interval, Text, Timestamptz};
use sha2::{Digest, Sha256};

use crate::config::Limit;
use crate::error::{AppError, AppResult};

#[derive(QueryableByName)]
struct Window {
    #[diesel(sql_type = Integer)]
    hits: i32,
    #[diesel(sql_type = Timestamptz)]
    window_start: DateTime<Utc>,
}

/// Counts one hit against `scope`/`subject`; 429 with Retry-After once the window is full.
pub fn hit(conn: &mut PgConnection, scope: &str, subject: &str, limit: Limit) -> AppResult<()> {
    let key = format!(
        "{scope}:{}",
        hex::encode(Sha256::digest(subject.as_bytes()))
    );
    let window = diesel::pg::data_types::PgInterval::from_microseconds(
        i64::try_from(limit.window.as_micros()).unwrap_or(i64::MAX),
    );
    let row: Window = diesel::sql_query(
        "INSERT INTO rate_limits AS r (key, window_start, hits) VALUES ($1, now(), 1) \
         ON CONFLICT (key) DO UPDATE SET \
           hits = CASE WHEN r.window_start + $2 <= now() THEN 1 ELSE r.hits + 1 END, \
           window_start = CASE WHEN r.window_start + $2 <= now() THEN now() ELSE r.window_start END \
         RETURNING hits, window_start",
    )
    .bind::<Text, _>(&key)
    .bind::<Interval, _>(window)
    .get_result(conn)?;
    if row.hits <= limit.max {
        return Ok(());
    }
    let reset =
        row.window_start + chrono::Duration::from_std(limit.window).map_err(AppError::internal)?;
    let retry_after_secs = u64::try_from((reset - Utc::now()).num_seconds())
        .unwrap_or(0)
        .max(1);
    Err(AppError::RateLimited { retry_after_secs })
}

/// Deletes windows that ended more than a day ago.
pub fn sweep(conn: &mut PgConnection) -> QueryResult<usize> {
    diesel::sql_query("DELETE FROM rate_limits WHERE window_start < now() - interval '1 day'")
        .execute(conn)
}
