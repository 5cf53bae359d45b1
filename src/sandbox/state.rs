//! What the sandbox remembers: trades, refunds, payouts and notification deliveries, in memory.

use std::collections::{HashMap, HashSet};
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
    /// Set by `/sandbox/bill-amount`: the trade's payment line in the daily bill shows this
    /// amount instead of `amount_fen` (the provider's record differs from ours).
    pub bill_amount_fen: Option<i64>,
}

impl Trade {
    /// The amount the trade's payment line in the bill shows.
    pub fn billed_fen(&self) -> i64 {
        self.bill_amount_fen.unwrap_or(self.amount_fen)
    }
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

/// A payout the sandbox made, or refused for its payee (`/sandbox/fail-transfers`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRecord {
    pub method: Method,
    /// Our number (WeChat: the batch's `out_batch_no`).
    pub out_biz_no: String,
    /// WeChat's `out_detail_no`; Alipay's is `out_biz_no` again.
    pub out_detail_no: String,
    pub amount_fen: i64,
    /// Alipay `payee_info.identity`, WeChat `openid`.
    pub payee_account: String,
    /// Alipay `payee_info.name`; empty for WeChat (whose `user_name` the client never sends).
    pub payee_name: String,
    /// Alipay `order_title`, WeChat `transfer_remark`.
    pub title: String,
    /// Alipay `order_id`, WeChat `batch_id`.
    pub transfer_id: String,
    /// Alipay `pay_fund_order_id`, WeChat `detail_id`.
    pub fund_id: String,
    /// `None`: paid. Otherwise the provider's code and text (`PAYEE_NOT_EXIST`, `ACCOUNT_NOT_EXIST`).
    pub failure: Option<(String, String)>,
    pub at: DateTime<Utc>,
}

impl TransferRecord {
    /// `SUCCESS` or `FAIL`, as both providers write it.
    pub fn status(&self) -> &'static str {
        if self.failure.is_none() {
            "SUCCESS"
        } else {
            "FAIL"
        }
    }
}

#[derive(Default)]
pub struct State {
    pub trades: HashMap<(Method, String), Trade>,
    /// By (method, out_trade_no, out_refund_no).
    pub refunds: HashMap<(Method, String, String), Refund>,
    pub deliveries: Vec<Delivery>,
    /// Oldest first; one per (method, out_biz_no).
    pub transfers: Vec<TransferRecord>,
    /// Set by `/sandbox/fail-transfers`: later transfers to these payees fail.
    pub failing_payees: HashSet<String>,
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

    pub fn transfers(&self) -> Vec<TransferRecord> {
        self.state().transfers.clone()
    }
}
