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
    /// The payment providers, for handlers that ask them for refunds and closes.
    pub pay: &'a crate::pay::Providers,
    /// The public base URL (`PUBLIC_URL`).
    pub public_url: &'a str,
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

/// The job that asks the payment provider for a refund. Orders and bookings, which sit below
/// `payments`, record a refund and ask for it with [`refund_requested`]; `payments` registers
/// the handler in `app::jobs`.
pub const PAYMENT_REFUND: &str = "payments.refund";

/// The job that closes an order's or a booking's payment once its time to pay is over (asked
/// for with [`payment_due`] when the order or booking is made).
pub const PAYMENT_DUE: &str = "payments.due";

/// Money to give back to the consumer for an order or a booking.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct RefundRequest {
    /// `order` or `booking`.
    pub subject_kind: String,
    pub subject_id: uuid::Uuid,
    /// What asked for it, unique: asked for twice, refunded once (an order's refund id; a
    /// booking's `booking:<id>:<reason>`).
    pub source_key: String,
    pub amount_cents: i64,
    pub reason: String,
}

/// Queues a refund through the payment provider, in the caller's transaction.
pub fn refund_requested(
    conn: &mut diesel::PgConnection,
    request: &RefundRequest,
) -> crate::error::AppResult<()> {
    let payload = serde_json::to_value(request).map_err(crate::error::AppError::internal)?;
    models::enqueue_once(
        conn,
        PAYMENT_REFUND,
        payload,
        &format!("{PAYMENT_REFUND}:{}", request.source_key),
    )?;
    Ok(())
}

/// Queues the check at `at` that closes the order's or booking's payment if it is still unpaid,
/// in the caller's transaction.
pub fn payment_due(
    conn: &mut diesel::PgConnection,
    subject_kind: &str,
    subject_id: uuid::Uuid,
    at: chrono::DateTime<chrono::Utc>,
) -> crate::error::AppResult<()> {
    models::enqueue(
        conn,
        PAYMENT_DUE,
        serde_json::json!({ "subject_kind": subject_kind, "subject_id": subject_id }),
        at,
    )?;
    Ok(())
}
