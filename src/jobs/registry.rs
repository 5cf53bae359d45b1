//! The job kinds this process can run. The mechanism knows none of them: the assembly
//! (`app::jobs`) registers each feature's handlers, its recurring jobs and its periodic sweeps.

use std::collections::HashMap;

use diesel::{PgConnection, QueryResult};

use crate::error::AppResult;

use super::models::Job;
use super::{outbox, JobContext, Outcome};

/// Runs one job inside its transaction.
pub type Handler = fn(&mut PgConnection, &JobContext<'_>, &Job) -> AppResult<Outcome>;
/// Deletes expired rows; returns how many.
pub type Sweep = fn(&mut PgConnection) -> QueryResult<usize>;

/// Job kinds with their handlers, the recurring kinds, and the sweeps the worker runs every
/// ten minutes. The email outbox is registered from the start.
pub struct Registry {
    handlers: HashMap<&'static str, Handler>,
    recurring: Vec<&'static str>,
    sweeps: Vec<Sweep>,
}

impl Default for Registry {
    fn default() -> Self {
        Self {
            handlers: HashMap::new(),
            recurring: Vec::new(),
            sweeps: Vec::new(),
        }
        .register(outbox::SEND_EMAIL, |conn, ctx, job| {
            outbox::send(conn, ctx, &job.payload)
        })
    }
}

impl Registry {
    /// Runs jobs of `kind` with `handler`.
    pub fn register(mut self, kind: &'static str, handler: Handler) -> Self {
        self.handlers.insert(kind, handler);
        self
    }

    /// A recurring job: one row, created when a worker starts, rescheduled after every run.
    pub fn recurring(self, kind: &'static str, handler: Handler) -> Self {
        let mut this = self.register(kind, handler);
        this.recurring.push(kind);
        this
    }

    /// A periodic clean-up of expired rows.
    pub fn sweep(mut self, sweep: Sweep) -> Self {
        self.sweeps.push(sweep);
        self
    }

    pub fn handler(&self, kind: &str) -> Option<Handler> {
        self.handlers.get(kind).copied()
    }

    pub fn recurring_kinds(&self) -> &[&'static str] {
        &self.recurring
    }

    pub fn sweeps(&self) -> &[Sweep] {
        &self.sweeps
    }
}
