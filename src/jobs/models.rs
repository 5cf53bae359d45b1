//! Job rows and their queries. The caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::jobs;

/// A durable job: a timer or a piece of work to do after commit.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs, check_for_backend(diesel::pg::Pg))]
pub struct Job {
    pub id: Uuid,
    pub kind: String,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
    pub attempts: i32,
    pub max_attempts: i32,
    /// Set for recurring jobs (and once-only work).
    pub dedupe_key: Option<String>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = jobs)]
pub struct NewJob<'a> {
    pub id: Uuid,
    pub kind: &'a str,
    pub payload: serde_json::Value,
    pub run_at: DateTime<Utc>,
}

/// Schedules a job to run at `run_at` (or as soon as possible).
pub fn enqueue(
    conn: &mut PgConnection,
    kind: &str,
    payload: serde_json::Value,
    run_at: DateTime<Utc>,
) -> QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(jobs::table)
        .values(NewJob {
            id,
            kind,
            payload,
            run_at,
        })
        .execute(conn)?;
    Ok(id)
}

/// Locks the oldest due job that no other worker holds. The lock lasts until the caller's
/// transaction ends, so a worker that dies releases its job to the next one.
pub fn claim_next(conn: &mut PgConnection) -> QueryResult<Option<Job>> {
    jobs::table
        .filter(jobs::failed_at.is_null())
        .filter(jobs::run_at.le(Utc::now()))
        .order(jobs::run_at.asc())
        .select(Job::as_select())
        .limit(1)
        .for_update()
        .skip_locked()
        .first(conn)
        .optional()
}

/// Schedules a job unless one with the same `dedupe_key` is already waiting (work that only
/// needs doing once however many times it was asked for, like a recomputation). A waiting job
/// that had given up is revived, so a past failure never blocks later requests.
pub fn enqueue_once(
    conn: &mut PgConnection,
    kind: &str,
    payload: serde_json::Value,
    dedupe_key: &str,
) -> QueryResult<usize> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::id.eq(Uuid::now_v7()),
            jobs::kind.eq(kind),
            jobs::payload.eq(payload),
            jobs::run_at.eq(Utc::now()),
            jobs::dedupe_key.eq(dedupe_key),
        ))
        .on_conflict(jobs::dedupe_key)
        .do_update()
        .set((
            jobs::failed_at.eq(None::<DateTime<Utc>>),
            jobs::attempts.eq(0),
            jobs::run_at.eq(Utc::now()),
        ))
        .execute(conn)
}

/// Inserts the single row of a recurring job unless it exists.
pub fn ensure_recurring(
    conn: &mut PgConnection,
    kind: &str,
    run_at: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::insert_into(jobs::table)
        .values((
            jobs::id.eq(Uuid::now_v7()),
            jobs::kind.eq(kind),
            jobs::run_at.eq(run_at),
            jobs::dedupe_key.eq(kind),
        ))
        .on_conflict(jobs::dedupe_key)
        .do_nothing()
        .execute(conn)
}

/// Sets a recurring job's next run and clears its failures.
pub fn reschedule(conn: &mut PgConnection, id: Uuid, run_at: DateTime<Utc>) -> QueryResult<usize> {
    diesel::update(jobs::table.find(id))
        .set((
            jobs::run_at.eq(run_at),
            jobs::attempts.eq(0),
            jobs::last_error.eq(None::<String>),
        ))
        .execute(conn)
}

pub fn delete(conn: &mut PgConnection, id: Uuid) -> QueryResult<usize> {
    diesel::delete(jobs::table.find(id)).execute(conn)
}

/// Records a failed attempt: retried at `retry_at`, or given up when out of attempts. A
/// recurring job is never given up: it keeps retrying at the capped backoff.
pub fn record_failure(
    conn: &mut PgConnection,
    job: &Job,
    error: &str,
    retry_at: DateTime<Utc>,
) -> QueryResult<usize> {
    let attempts = job.attempts + 1;
    let recurring = job.dedupe_key.as_deref() == Some(job.kind.as_str());
    let failed_at = (attempts >= job.max_attempts && !recurring).then(Utc::now);
    diesel::update(jobs::table.find(job.id))
        .set((
            jobs::attempts.eq(attempts),
            jobs::last_error.eq(error),
            jobs::run_at.eq(retry_at),
            jobs::failed_at.eq(failed_at),
        ))
        .execute(conn)
}
