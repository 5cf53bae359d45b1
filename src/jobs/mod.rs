//! Durable jobs (timers, work after commit) and the email outbox that runs on them.
//! Owns the `jobs` and `outbox_emails` tables.

pub mod models;
pub mod outbox;
mod registry;
pub mod runner;

pub use crate::mail::{Mailer, SentEmail};
pub use models::Job;
pub use registry::{Handler, Registry, Sweep};
pub use runner::{ensure_recurring, run_due, run_one, Runner, Workers};

/// What a handler did with its job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Finished: the job is deleted.
    Done,
    /// A recurring job: run it again then.
    RunAgainAt(chrono::DateTime<chrono::Utc>),
}

/// What a job handler may use besides its connection.
pub struct JobContext<'a> {
    pub mailer: &'a Mailer,
    pub mail_from: &'a str,
    /// For handlers that must await (sending mail) from the blocking thread they run on.
    pub runtime: &'a tokio::runtime::Handle,
    /// The object store, for handlers that delete stored files.
    pub store: &'a crate::storage::Store,
}

/// The job that recomputes one merchant's credit score. Features below `credit` ask for it with
/// [`merchant_changed`] when a credit input changes (a review, a booking or order outcome, a
/// status); `credit` registers its handler in `app::jobs`, so no feature calls up to it.
pub const CREDIT_RECOMPUTE: &str = "credit.recompute";

/// Queues a recomputation of the merchant's credit score (once, however often it is asked), in
/// the caller's transaction.
pub fn merchant_changed(
    conn: &mut diesel::PgConnection,
    merchant_id: uuid::Uuid,
) -> crate::error::AppResult<()> {
    models::enqueue_once(
        conn,
        CREDIT_RECOMPUTE,
        serde_json::json!({ "merchant_id": merchant_id }),
        &format!("{CREDIT_RECOMPUTE}:{merchant_id}"),
    )?;
    Ok(())
}
