//! Durable jobs (timers, work after commit) and the email outbox that runs on them.
//! Owns the `jobs` and `outbox_emails` tables.

pub mod mailer;
pub mod models;
pub mod outbox;
pub mod runner;

pub use mailer::{Mailer, SentEmail};
pub use runner::{ensure_recurring, run_due, run_one, Workers};

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
}
