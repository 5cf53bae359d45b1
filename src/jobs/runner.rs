//! Runs due jobs. Each job runs in its own transaction that also holds the job's row lock: if the
//! handler fails, its writes roll back to a savepoint and the failure is recorded with a backoff;
//! if the process dies, the lock is released and another worker runs the job.

use std::time::{Duration, Instant};

use chrono::Utc;
use diesel::{Connection, PgConnection};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::db;
use crate::error::{AppError, AppResult};

use super::{models, JobContext, Outcome, Registry};

/// What the job loops need: the pool, the mailer, the object store and the registered job
/// kinds. Cheap to clone.
#[derive(Clone)]
pub struct Runner {
    pub pool: db::Pool,
    pub mailer: crate::mail::Mailer,
    pub mail_from: String,
    pub store: crate::storage::Store,
    pub pay: crate::pay::Providers,
    /// The public base URL, for the providers' notification URLs.
    pub public_url: String,
    pub registry: std::sync::Arc<Registry>,
}

/// Calls the handler registered for `job.kind`.
fn dispatch(
    conn: &mut PgConnection,
    ctx: &JobContext<'_>,
    registry: &Registry,
    job: &models::Job,
) -> AppResult<Outcome> {
    match registry.handler(&job.kind) {
        Some(handler) => handler(conn, ctx, job),
        None => Err(AppError::internal(format!(
            "no handler for job kind `{}`",
            job.kind
        ))),
    }
}

/// Makes sure each recurring job exists (once, whatever the number of workers).
pub async fn ensure_recurring(runner: &Runner) -> AppResult<()> {
    let registry = runner.registry.clone();
    db::run(&runner.pool, move |conn| {
        for kind in registry.recurring_kinds() {
            models::ensure_recurring(conn, kind, Utc::now())?;
        }
        Ok(())
    })
    .await
}

/// Delay before retry `attempt` (1-based): 5 s doubling, at most an hour.
pub fn backoff(attempt: i32) -> Duration {
    let exponent = u32::try_from(attempt.clamp(1, 20) - 1).unwrap_or(0);
    Duration::from_secs(5u64.saturating_mul(1 << exponent).min(3600))
}

/// Runs the oldest due job, if any; returns its kind.
pub async fn run_one(runner: &Runner) -> AppResult<Option<String>> {
    let runtime = tokio::runtime::Handle::current();
    let mailer = runner.mailer.clone();
    let mail_from = runner.mail_from.clone();
    let store = runner.store.clone();
    let pay = runner.pay.clone();
    let public_url = runner.public_url.clone();
    let registry = runner.registry.clone();
    db::run(&runner.pool, move |conn| {
        let ctx = JobContext {
            mailer: &mailer,
            mail_from: &mail_from,
            runtime: &runtime,
            store: &store,
            pay: &pay,
            public_url: &public_url,
        };
        conn.transaction(|conn| {
            let Some(job) = models::claim_next(conn)? else { return Ok(None) };
            match conn.transaction(|conn| dispatch(conn, &ctx, &registry, &job)) {
                Ok(Outcome::Done) => {
                    models::delete(conn, job.id)?;
                }
                Ok(Outcome::RunAgainAt(at)) => {
                    models::reschedule(conn, job.id, at)?;
                }
                Err(err) => {
                    let attempt = job.attempts + 1;
                    tracing::warn!(job = %job.id, kind = %job.kind, attempt, error = %err, "job failed");
                    let delay = chrono::Duration::from_std(backoff(attempt)).map_err(AppError::internal)?;
                    models::record_failure(conn, &job, &err.to_string(), Utc::now() + delay)?;
                }
            }
            Ok(Some(job.kind))
        })
    })
    .await
}

/// Runs jobs until none is due; returns how many ran. Tests call this to drive timers and mail.
pub async fn run_due(runner: &Runner) -> AppResult<usize> {
    let mut count = 0;
    while run_one(runner).await?.is_some() {
        count += 1;
    }
    Ok(count)
}

/// Runs the registered sweeps (expired idempotency keys, rate-limit windows, refresh tokens).
pub async fn sweep(runner: &Runner) -> AppResult<()> {
    let registry = runner.registry.clone();
    db::run(&runner.pool, move |conn| {
        for sweep in registry.sweeps() {
            sweep(conn)?;
        }
        Ok(())
    })
    .await
}

/// Background workers; stop them with [`Workers::shutdown`].
pub struct Workers {
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

const POLL: Duration = Duration::from_secs(1);
const SWEEP_EVERY: Duration = Duration::from_secs(600);

async fn work(runner: Runner, mut stop: watch::Receiver<bool>, sweeper: bool) {
    let mut last_sweep: Option<Instant> = None;
    if sweeper {
        if let Err(err) = ensure_recurring(&runner).await {
            tracing::warn!(error = %err, "could not schedule recurring jobs");
        }
    }
    while !*stop.borrow() {
        if sweeper && last_sweep.is_none_or(|t| t.elapsed() > SWEEP_EVERY) {
            if let Err(err) = sweep(&runner).await {
                tracing::warn!(error = %err, "sweep failed");
            }
            last_sweep = Some(Instant::now());
        }
        match run_one(&runner).await {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(err) => tracing::warn!(error = %err, "job worker could not run"),
        }
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = stop.changed() => {}
        }
    }
}

impl Workers {
    /// Starts `concurrency` worker loops on the current runtime.
    pub fn spawn(runner: &Runner, concurrency: usize) -> Self {
        let (stop, rx) = watch::channel(false);
        let tasks = (0..concurrency.max(1))
            .map(|i| tokio::spawn(work(runner.clone(), rx.clone(), i == 0)))
            .collect();
        Self { stop, tasks }
    }

    /// Lets running jobs finish, then stops.
    pub async fn shutdown(self) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let _ = task.await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_is_capped() {
        assert_eq!(backoff(1), Duration::from_secs(5));
        assert_eq!(backoff(2), Duration::from_secs(10));
        assert_eq!(backoff(4), Duration::from_secs(40));
        assert_eq!(backoff(30), Duration::from_secs(3600));
    }
}
