//! The payment providers' protocols: WeChat Pay API v3 and Alipay (the open platform's v1
//! gateway), spoken over HTTP with their signatures. Kernel: knows no feature and no table; the
//! `payments` feature keeps the state, this module only talks to the provider and checks what
//! the provider sends. `docs/payments.md` describes both protocols as implemented here.
//!
//! One `Providers` value holds the providers the configuration enables (either, both or none);
//! `lifemarket sandbox-pay` (`crate::sandbox`) speaks both protocols on this machine.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

crate::lifecycle::named_enum! {
    /// Which provider a payment goes through.
    pub enum Method {
        Wechat = "wechat",
        Alipay = "alipay",
    }
}

/// A payment to open at the provider.
#[derive(Debug, Clone)]
pub struct Charge {
    /// Our id of the payment at the provider (`out_trade_no`): 6 to 32 of `[0-9A-Za-z_-]`.
    pub out_trade_no: String,
    /// What the consumer sees on the payment sheet (at most 127 bytes of UTF-8).
    pub description: String,
    pub amount_fen: i64,
    /// After this the provider refuses to take the payment (`time_expire`).
    pub expires_at: DateTime<Utc>,
    /// Where the provider sends the payment notification.
    pub notify_url: String,
}

/// What the consumer's app needs to open the provider's payment sheet, as the provider's SDK
/// takes it (WeChat: `appid, partnerid, prepayid, package, noncestr, timestamp, sign` for the
/// APP SDK; Alipay: the signed `order_string`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sheet {
    pub method: Method,
    /// The provider's id of the payment in the making (WeChat `prepay_id`, Alipay the
    /// `out_trade_no`).
    pub prepay_id: String,
    #[schema(value_type = Object)]
    pub params: serde_json::Value,
}

/// What the provider says of a payment when asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeState {
    /// Not paid yet (WeChat `NOTPAY`/`USERPAYING`, Alipay `WAIT_BUYER_PAY`).
    Pending,
    Paid(Paid),
    /// Closed or revoked without being paid (WeChat `CLOSED`/`REVOKED`/`PAYERROR`, Alipay
    /// `TRADE_CLOSED`).
    Closed,
    /// The provider does not know the trade (`ORDER_NOT_EXIST`, `ACQ.TRADE_NOT_EXIST`).
    Unknown,
}

/// A payment the provider took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Paid {
    pub out_trade_no: String,
    /// The provider's transaction id (`transaction_id`, Alipay `trade_no`).
    pub transaction_id: String,
    pub amount_fen: i64,
    pub currency: String,
    /// WeChat `appid`, Alipay `app_id`.
    pub app_id: String,
    /// WeChat `mchid`, Alipay `seller_id`.
    pub merchant_id: String,
    pub paid_at: DateTime<Utc>,
}

/// A refund to ask the provider for.
#[derive(Debug, Clone)]
pub struct RefundCall {
    pub out_trade_no: String,
    /// Our id of the refund (`out_refund_no`, Alipay `out_request_no`).
    pub out_refund_no: String,
    pub amount_fen: i64,
    /// What was paid, which WeChat wants beside the refund.
    pub total_fen: i64,
    pub reason: String,
    pub notify_url: String,
}

/// Where a refund stands at the provider.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundState {
    /// Accepted, the money is on its way (`PROCESSING`); a notification follows.
    Processing { refund_id: String },
    Succeeded {
        refund_id: String,
        at: DateTime<Utc>,
    },
    /// The provider refused or failed it (`ABNORMAL`, `CLOSED`, or an error answer).
    Failed { reason: String },
}

/// A notification that passed every check of its protocol.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Notice {
    Payment(Paid),
    /// A payment the provider reports as closed or failed (Alipay `TRADE_CLOSED`).
    PaymentClosed {
        out_trade_no: String,
    },
    Refund {
        out_trade_no: String,
        out_refund_no: String,
        refund_id: String,
        amount_fen: i64,
        succeeded: bool,
    },
}

/// A verified notification and the provider's own key of the event (WeChat `id`, Alipay
/// `notify_id`), which the inbox keeps unique.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub event_key: String,
    pub notice: Notice,
}

/// Why a notification was refused. Each has a stable code (`as_code`) that the inbox stores
/// and the answer carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A header or form field the protocol requires is missing or malformed.
    Malformed,
    /// `Wechatpay-Serial` names no key we hold.
    UnknownSerial,
    /// `Wechatpay-Timestamp` is more than 5 minutes from now.
    StaleTimestamp,
    /// A `WECHATPAY/SIGNTEST/` probe signature.
    Probe,
    /// The signature does not verify over the body as received.
    BadSignature,
    /// The resource does not decrypt (wrong key, nonce, associated data or tag).
    BadCiphertext,
    /// `app_id`/`appid` is not ours.
    WrongApp,
    /// `mchid`/`seller_id` is not ours.
    WrongMerchant,
    /// The provider is not enabled in this configuration.
    Disabled,
}

/// Talking to the provider failed: no answer, an error answer, or an answer whose signature
/// did not verify (the text says which, for logs; never shown to consumers).
#[derive(Debug, thiserror::Error)]
#[error("{method} provider: {reason}")]
pub struct ProviderError {
    pub method: Method,
    pub reason: String,
}

/// One line of a provider's daily trade bill (WeChat `tradebill`, Alipay `trade` bill): a
/// payment or a refund as the provider booked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillLine {
    pub transaction_id: String,
    pub out_trade_no: String,
    /// Set on refund lines.
    pub out_refund_no: Option<String>,
    pub refund_id: Option<String>,
    /// Positive: paid to us; refunds are their own lines with the refunded amount.
    pub amount_fen: i64,
    pub at: DateTime<Utc>,
}

/// The providers this configuration enables; cheap to clone.
#[derive(Clone, Default)]
pub struct Providers {
    // Filled by the protocol implementations (wechat.rs, alipay.rs).
}

impl Providers {
    /// Reads the keys the configuration names; fails on a missing or unreadable key file.
    pub fn new(_config: &crate::config::Config) -> Result<Self, crate::error::AppError> {
        Ok(Self::default())
    }

    pub fn enabled(&self, _method: Method) -> bool {
        false
    }

    fn disabled(method: Method) -> ProviderError {
        ProviderError {
            method,
            reason: "not enabled".into(),
        }
    }

    /// Opens the payment at the provider (WeChat `POST /v3/pay/transactions/app`, Alipay
    /// `alipay.trade.app.pay` signed locally) and returns what the app needs.
    pub async fn create(&self, method: Method, _charge: &Charge) -> Result<Sheet, ProviderError> {
        Err(Self::disabled(method))
    }

    /// Asks the provider where a payment stands (WeChat `GET
    /// /v3/pay/transactions/out-trade-no/{no}`, Alipay `alipay.trade.query`).
    pub async fn query(
        &self,
        method: Method,
        _out_trade_no: &str,
    ) -> Result<TradeState, ProviderError> {
        Err(Self::disabled(method))
    }

    /// Closes an unpaid payment (WeChat `.../close`, Alipay `alipay.trade.close`); closing one
    /// the provider never opened or already closed succeeds.
    pub async fn close(&self, method: Method, _out_trade_no: &str) -> Result<(), ProviderError> {
        Err(Self::disabled(method))
    }

    /// Asks for a refund (WeChat `POST /v3/refund/domestic/refunds`, Alipay
    /// `alipay.trade.refund`). Asking again with the same `out_refund_no` is safe.
    pub async fn refund(
        &self,
        method: Method,
        _call: &RefundCall,
    ) -> Result<RefundState, ProviderError> {
        Err(Self::disabled(method))
    }

    /// Where a refund stands (WeChat `GET /v3/refund/domestic/refunds/{out_refund_no}`, Alipay
    /// `alipay.trade.fastpay.refund.query`).
    pub async fn query_refund(
        &self,
        method: Method,
        _out_trade_no: &str,
        _out_refund_no: &str,
    ) -> Result<RefundState, ProviderError> {
        Err(Self::disabled(method))
    }

    /// Checks a notification as received (the raw body bytes and the headers) at `now`.
    pub fn verify(
        &self,
        _method: Method,
        _headers: &actix_web::http::header::HeaderMap,
        _body: &[u8],
        _now: DateTime<Utc>,
    ) -> Result<Verified, Refusal> {
        Err(Refusal::Disabled)
    }

    /// The provider's daily trade bill for a day in Asia/Shanghai.
    pub async fn trade_bill(
        &self,
        method: Method,
        _day: chrono::NaiveDate,
    ) -> Result<Vec<BillLine>, ProviderError> {
        Err(Self::disabled(method))
    }
}

impl Refusal {
    pub fn as_code(self) -> &'static str {
        match self {
            Refusal::Malformed => "malformed",
            Refusal::UnknownSerial => "unknown_serial",
            Refusal::StaleTimestamp => "stale_timestamp",
            Refusal::Probe => "probe_signature",
            Refusal::BadSignature => "bad_signature",
            Refusal::BadCiphertext => "bad_ciphertext",
            Refusal::WrongApp => "wrong_app",
            Refusal::WrongMerchant => "wrong_merchant",
            Refusal::Disabled => "disabled",
        }
    }
}

/// The answer a provider expects to a notification: WeChat 204 with no body on success and
/// 4xx/5xx with `{"code":"FAIL","message":...}` otherwise; Alipay the literal `success`, or
/// `fail` (the provider then sends it again).
pub fn answer(method: Method, outcome: Result<(), (u16, String)>) -> actix_web::HttpResponse {
    use actix_web::http::StatusCode;
    use actix_web::HttpResponse;
    match (method, outcome) {
        (Method::Wechat, Ok(())) => HttpResponse::NoContent().finish(),
        (Method::Wechat, Err((status, message))) => {
            HttpResponse::build(StatusCode::from_u16(status).unwrap_or(StatusCode::BAD_REQUEST))
                .json(serde_json::json!({"code": "FAIL", "message": message}))
        }
        (Method::Alipay, Ok(())) => HttpResponse::Ok()
            .content_type("text/plain")
            .body("success"),
        (Method::Alipay, Err(_)) => HttpResponse::Ok().content_type("text/plain").body("fail"),
    }
}
