//! What the sandbox remembers: trades, refunds and notification deliveries, in memory.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};

use super::notify::Delivery;
use super::{SandboxConfig, SandboxKeys};
use crate::error::AppError;
use crate::pay::Method;

/// Where a sandbox trade stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    Pending,
    Paid,
    Closed,
    /// The payment failed (WeChat `PAYERROR`, Alipay `TRADE_CLOSED`).
    Failed,
}

#[derive(Debug, Clone)]
pub struct Trade {
    pub method: Method,
    pub out_trade_no: String,
    pub transaction_id: String,
    pub amount_fen: i64,
    pub description: String,
    pub notify_url: String,
    /// The request that opened it, to tell a repeat from a conflicting reuse of the number.
    pub request: String,
    pub status: Status,
    pub paid_at: Option<DateTime<Utc>>,
    pub refunded_fen: i64,
    /// Set by `/sandbox/fail-refunds`: WeChat refunds end `ABNORMAL`, Alipay refunds are refused.
    pub refunds_fail: bool,
    /// `time_expire`: the trade cannot be paid after it.
    pub expires_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_id: String,
    pub amount_fen: i64,
    /// `PROCESSING`, `SUCCESS` (or `ABNORMAL`).
    pub status: &'static str,
    pub created_at: DateTime<Utc>,
    pub success_at: Option<DateTime<Utc>>,
}

#[derive(Default)]
pub struct State {
    pub trades: HashMap<(Method, String), Trade>,
    /// By (method, out_trade_no, out_refund_no).
    pub refunds: HashMap<(Method, String, String), Refund>,
    pub deliveries: Vec<Delivery>,
}

impl State {
    pub fn trade(&mut self, method: Method, out_trade_no: &str) -> Option<&mut Trade> {
        self.trades.get_mut(&(method, out_trade_no.to_owned()))
    }

    /// The refunds of one method, any trade.
    pub fn refunds_of(&self, method: Method) -> impl Iterator<Item = &Refund> {
        self.refunds
            .iter()
            .filter(move |((m, _, _), _)| *m == method)
            .map(|(_, r)| r)
    }
}

pub struct Shared {
    pub config: SandboxConfig,
    pub keys: SandboxKeys,
    pub base_url: String,
    pub http: reqwest::Client,
    state: Mutex<State>,
    seq: AtomicU64,
}

impl Shared {
    pub fn new(
        config: SandboxConfig,
        keys: SandboxKeys,
        base_url: String,
    ) -> Result<Self, AppError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(5))
            .user_agent("lifemarket-pay-sandbox")
            .build()
            .map_err(AppError::internal)?;
        Ok(Self {
            config,
            keys,
            base_url,
            http,
            state: Mutex::new(State::default()),
            seq: AtomicU64::new(1),
        })
    }

    /// The state; a panic while it was held leaves it as it was, which is fine for a sandbox.
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A fresh number for provider ids (`4200...`, `50300...`, `EV-...`).
    pub fn next(&self) -> u64 {
        self.seq.fetch_add(1, Ordering::Relaxed)
    }

    pub fn deliveries(&self) -> Vec<Delivery> {
        self.state().deliveries.clone()
    }
}
