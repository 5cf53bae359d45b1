//! The payment providers' protocols: WeChat Pay API v3 and Alipay (the open platform's v1
//! gateway), spoken over HTTP with their signatures. Kernel: knows no feature and no table; the
//! `payments` feature keeps the state, this module only talks to the provider and checks what
//! the provider sends. `docs/payments.md` describes both protocols as implemented here.
//!
//! One `Providers` value holds the providers the configuration enables (either, both or none);
//! `lifemarket sandbox-pay` (`crate::sandbox`) speaks both protocols on this machine.

pub mod alipay;
pub mod keys;
pub mod wechat;

use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::config::{AppEnv, Config};
use crate::error::AppError;

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
    /// Every value is a string (WeChat's APP SDK fields; Alipay's `order_string`).
    #[schema(value_type = std::collections::BTreeMap<String, String>)]
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

/// Money the platform sends to a merchant's account at the provider (a payout).
#[derive(Debug, Clone)]
pub struct Transfer {
    /// Ours, unique per payout; asking again with the same number never pays twice.
    pub out_biz_no: String,
    pub amount_fen: i64,
    /// The payee at the provider: an Alipay logon id (email or phone) / a WeChat openid.
    pub payee_account: String,
    /// The payee's real (legal) name, checked by the provider.
    pub payee_name: String,
    /// Shown to the payee, e.g. "lifemarket 结算 2026-12-03".
    pub title: String,
}

/// Where a payout stands at the provider. `Failed` means no money left (the provider refused
/// it or reports it failed); anything whose outcome is not known is a `ProviderError` instead,
/// to be asked again with the same `out_biz_no`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransferState {
    /// The money reached the payee (`transfer_id`: Alipay `order_id`, WeChat `batch_id`).
    Succeeded {
        transfer_id: String,
        at: DateTime<Utc>,
    },
    /// Accepted, not finished yet (Alipay `DEALING`; WeChat: every accepted batch, until its
    /// detail says `SUCCESS` or `FAIL`).
    Processing { transfer_id: String },
    /// Refused or failed, with the provider's code and text (`PAYEE_NOT_EXIST: ...`,
    /// `ACCOUNT_NOT_EXIST`).
    Failed { reason: String },
}

/// The providers this configuration enables; cheap to clone.
#[derive(Clone, Default)]
pub struct Providers {
    wechat: Option<Arc<wechat::Wechat>>,
    alipay: Option<Arc<alipay::Alipay>>,
}

/// The outgoing HTTP client both providers use: 5 s timeout, our User-Agent.
fn http_client() -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(5))
        .user_agent(concat!("lifemarket/", env!("CARGO_PKG_VERSION")))
        .build()
        .map_err(|e| format!("HTTP client: {e}"))
}

/// `yyyy-MM-dd HH:mm:ss` read as Asia/Shanghai (Alipay's times, both providers' bills).
pub fn shanghai_time(text: &str) -> Option<DateTime<Utc>> {
    use chrono::TimeZone;
    let local = chrono::NaiveDateTime::parse_from_str(text.trim(), "%Y-%m-%d %H:%M:%S").ok()?;
    chrono_tz::Asia::Shanghai
        .from_local_datetime(&local)
        .single()
        .map(|t| t.with_timezone(&Utc))
}

/// The inverse of `shanghai_time`.
pub fn format_shanghai(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// Reads a key file; in production, refuses the sandbox's `TEST-ONLY` keys.
fn read_key(config: &Config, what: &str, path: &str) -> Result<String, AppError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| AppError::internal_in(format!("{what} ({path})"), e))?;
    if config.env == AppEnv::Production && text.contains("TEST-ONLY") {
        return Err(AppError::internal(format!(
            "{what} ({path}) is a TEST-ONLY sandbox key; refusing it in production"
        )));
    }
    Ok(text)
}

fn key_error(what: &str, path: &str) -> impl FnOnce(keys::KeyError) -> AppError {
    let context = format!("{what} ({path})");
    move |e| AppError::internal_in(context, e)
}

impl Providers {
    /// Reads the keys the configuration names; fails on a missing or unreadable key file.
    pub fn new(config: &Config) -> Result<Self, AppError> {
        let wechat = match &config.wechat_pay {
            None => None,
            Some(wx) => {
                let (k, p) = (&wx.merchant_key_file, &wx.platform_key_file);
                let signer =
                    keys::Signer::from_pem(&read_key(config, "WECHAT_MERCHANT_KEY_FILE", k)?)
                        .map_err(key_error("WECHAT_MERCHANT_KEY_FILE", k))?;
                let platform =
                    keys::Verifier::from_pem(&read_key(config, "WECHAT_PLATFORM_KEY_FILE", p)?)
                        .map_err(key_error("WECHAT_PLATFORM_KEY_FILE", p))?;
                let client = wechat::Wechat::new(wx.clone(), signer, platform)
                    .map_err(AppError::internal)?;
                Some(Arc::new(client))
            }
        };
        let alipay = match &config.alipay {
            None => None,
            Some(ali) => {
                let (k, p) = (&ali.app_key_file, &ali.public_key_file);
                let signer = keys::Signer::from_pem(&read_key(config, "ALIPAY_APP_KEY_FILE", k)?)
                    .map_err(key_error("ALIPAY_APP_KEY_FILE", k))?;
                let public =
                    keys::Verifier::from_pem(&read_key(config, "ALIPAY_PUBLIC_KEY_FILE", p)?)
                        .map_err(key_error("ALIPAY_PUBLIC_KEY_FILE", p))?;
                let client =
                    alipay::Alipay::new(ali.clone(), signer, public).map_err(AppError::internal)?;
                Some(Arc::new(client))
            }
        };
        Ok(Self { wechat, alipay })
    }

    pub fn enabled(&self, method: Method) -> bool {
        match method {
            Method::Wechat => self.wechat.is_some(),
            Method::Alipay => self.alipay.is_some(),
        }
    }

    fn disabled(method: Method) -> ProviderError {
        ProviderError {
            method,
            reason: "not enabled".into(),
        }
    }

    fn wechat(&self) -> Result<&wechat::Wechat, ProviderError> {
        self.wechat
            .as_deref()
            .ok_or_else(|| Self::disabled(Method::Wechat))
    }

    fn alipay(&self) -> Result<&alipay::Alipay, ProviderError> {
        self.alipay
            .as_deref()
            .ok_or_else(|| Self::disabled(Method::Alipay))
    }

    /// Opens the payment at the provider (WeChat `POST /v3/pay/transactions/app`, Alipay
    /// `alipay.trade.app.pay` signed locally) and returns what the app needs.
    pub async fn create(&self, method: Method, charge: &Charge) -> Result<Sheet, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.create(charge).await,
            Method::Alipay => self.alipay()?.create(charge),
        }
    }

    /// Asks the provider where a payment stands (WeChat `GET
    /// /v3/pay/transactions/out-trade-no/{no}`, Alipay `alipay.trade.query`).
    pub async fn query(
        &self,
        method: Method,
        out_trade_no: &str,
    ) -> Result<TradeState, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.query(out_trade_no).await,
            Method::Alipay => self.alipay()?.query(out_trade_no).await,
        }
    }

    /// Closes an unpaid payment (WeChat `.../close`, Alipay `alipay.trade.close`); closing one
    /// the provider never opened or already closed succeeds.
    pub async fn close(&self, method: Method, out_trade_no: &str) -> Result<(), ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.close(out_trade_no).await,
            Method::Alipay => self.alipay()?.close(out_trade_no).await,
        }
    }

    /// Asks for a refund (WeChat `POST /v3/refund/domestic/refunds`, Alipay
    /// `alipay.trade.refund`). Asking again with the same `out_refund_no` is safe. A refund the
    /// provider refuses (more than is left, an unpaid trade) is `Ok(RefundState::Failed)`.
    pub async fn refund(
        &self,
        method: Method,
        call: &RefundCall,
    ) -> Result<RefundState, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.refund(call).await,
            Method::Alipay => self.alipay()?.refund(call).await,
        }
    }

    /// Where a refund stands (WeChat `GET /v3/refund/domestic/refunds/{out_refund_no}`, Alipay
    /// `alipay.trade.fastpay.refund.query`).
    pub async fn query_refund(
        &self,
        method: Method,
        out_trade_no: &str,
        out_refund_no: &str,
    ) -> Result<RefundState, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.query_refund(out_refund_no).await,
            Method::Alipay => {
                self.alipay()?
                    .query_refund(out_trade_no, out_refund_no)
                    .await
            }
        }
    }

    /// Pays a merchant (Alipay `alipay.fund.trans.uni.transfer`, WeChat `POST
    /// /v3/transfer/batches` with one detail, batch and detail numbered `out_biz_no`). Asking
    /// again with the same `out_biz_no` and the same transfer is safe and pays once; the same
    /// number with another amount or payee is a `ProviderError`. A payout the provider refuses
    /// (unknown payee, wrong name, balance too low) is `Ok(TransferState::Failed)`; an answer
    /// that does not settle the outcome (no answer, a system error) is a `ProviderError`, and
    /// the transfer is to be asked again with the same number.
    pub async fn transfer(
        &self,
        method: Method,
        t: &Transfer,
    ) -> Result<TransferState, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.transfer(t).await,
            Method::Alipay => self.alipay()?.transfer(t).await,
        }
    }

    /// Where a payout stands (Alipay `alipay.fund.trans.common.query`, WeChat `GET
    /// /v3/transfer/batches/out-batch-no/{no}/details/out-detail-no/{no}`). A payout the
    /// provider does not know is a `ProviderError` (never `Failed`): the first request may have
    /// been lost on its way, so the caller sends the transfer again with the same `out_biz_no`.
    pub async fn query_transfer(
        &self,
        method: Method,
        out_biz_no: &str,
    ) -> Result<TransferState, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.query_transfer(out_biz_no).await,
            Method::Alipay => self.alipay()?.query_transfer(out_biz_no).await,
        }
    }

    /// Checks a notification as received (the raw body bytes and the headers) at `now`.
    pub fn verify(
        &self,
        method: Method,
        headers: &actix_web::http::header::HeaderMap,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Verified, Refusal> {
        match method {
            Method::Wechat => {
                let client = self.wechat.as_deref().ok_or(Refusal::Disabled)?;
                client.verify(
                    |name| headers.get(name).and_then(|v| v.to_str().ok()),
                    body,
                    now,
                )
            }
            Method::Alipay => self
                .alipay
                .as_deref()
                .ok_or(Refusal::Disabled)?
                .verify(body, now),
        }
    }

    /// The provider's daily trade bill for a day in Asia/Shanghai.
    pub async fn trade_bill(
        &self,
        method: Method,
        day: chrono::NaiveDate,
    ) -> Result<Vec<BillLine>, ProviderError> {
        match method {
            Method::Wechat => self.wechat()?.trade_bill(day).await,
            Method::Alipay => self.alipay()?.trade_bill(day).await,
        }
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

#[cfg(test)]
mod tests {
    //! Every refusal of `verify`, for notifications built here with the test keys the way the
    //! providers build them.
    use std::collections::BTreeMap;

    use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue};
    use chrono::{Duration, TimeZone};

    use super::keys::tests::key;
    use super::keys::{aes_gcm_seal, Signer};
    use super::*;
    use crate::config::{AlipayConfig, Secret, WechatPayConfig};

    const APIV3: &str = "0123456789abcdef0123456789abcdef";
    const KEY_ID: &str = "PUB_KEY_ID_TEST";

    fn dir(name: &str) -> String {
        format!("{}/tests/keys/{name}", env!("CARGO_MANIFEST_DIR"))
    }

    fn providers() -> Providers {
        let mut config = Config::for_tests("postgres://unused@127.0.0.1/unused");
        config.wechat_pay = Some(WechatPayConfig {
            api_base: "http://127.0.0.1:9".into(),
            mchid: "1900000109".into(),
            appid: "wxapp".into(),
            merchant_key_file: dir("wechat-merchant.key.pem"),
            merchant_serial: "SERIAL".into(),
            platform_key_file: dir("wechat-platform.pub.pem"),
            platform_key_id: KEY_ID.into(),
            apiv3_key: Secret::new(APIV3),
        });
        config.alipay = Some(AlipayConfig {
            gateway: "http://127.0.0.1:9/gateway.do".into(),
            app_id: "2021001".into(),
            seller_id: "2088001".into(),
            app_key_file: dir("alipay-app.key.pem"),
            public_key_file: dir("alipay-platform.pub.pem"),
        });
        Providers::new(&config).unwrap()
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap()
    }

    struct Wx {
        plain: String,
        event: &'static str,
        aad: &'static str,
        apiv3: &'static str,
        serial: &'static str,
        at: DateTime<Utc>,
        signer: &'static str,
    }

    fn wx(plain: serde_json::Value) -> Wx {
        Wx {
            plain: plain.to_string(),
            event: "TRANSACTION.SUCCESS",
            aad: "transaction",
            apiv3: APIV3,
            serial: KEY_ID,
            at: now(),
            signer: "wechat-platform.key.pem",
        }
    }

    fn paid_json() -> serde_json::Value {
        serde_json::json!({"appid": "wxapp", "mchid": "1900000109", "out_trade_no": "LM1",
            "transaction_id": "4200001", "trade_state": "SUCCESS",
            "success_time": "2026-12-03T10:00:00+08:00", "amount": {"total": 8888, "currency": "CNY"}})
    }

    impl Wx {
        fn build(&self) -> (HeaderMap, Vec<u8>) {
            let ciphertext = aes_gcm_seal(
                self.apiv3.as_bytes(),
                "abcdefghijkl",
                self.aad,
                self.plain.as_bytes(),
            )
            .unwrap();
            let body = serde_json::json!({"id": "EV-1", "create_time": "2026-12-03T10:00:00+08:00",
                "event_type": self.event, "resource_type": "encrypt-resource", "summary": "s",
                "resource": {"algorithm": "AEAD_AES_256_GCM", "ciphertext": ciphertext,
                "associated_data": self.aad, "nonce": "abcdefghijkl", "original_type": "transaction"}})
            .to_string();
            let ts = self.at.timestamp().to_string();
            let signer = Signer::from_pem(&key(self.signer)).unwrap();
            let sig = signer
                .sign(&wechat::answer_message(&ts, "n0nce", body.as_bytes()))
                .unwrap();
            let mut headers = HeaderMap::new();
            for (k, v) in [
                ("wechatpay-timestamp", ts.as_str()),
                ("wechatpay-nonce", "n0nce"),
                ("wechatpay-signature", sig.as_str()),
                ("wechatpay-serial", self.serial),
            ] {
                headers.insert(
                    HeaderName::from_static(k),
                    HeaderValue::from_str(v).unwrap(),
                );
            }
            (headers, body.into_bytes())
        }

        fn verify(&self) -> Result<Verified, Refusal> {
            let (headers, body) = self.build();
            providers().verify(Method::Wechat, &headers, &body, now())
        }
    }

    #[test]
    fn a_wechat_payment_notification_verifies_into_a_payment() {
        let verified = wx(paid_json()).verify().unwrap();
        assert_eq!(verified.event_key, "EV-1");
        let Notice::Payment(paid) = verified.notice else {
            panic!("{verified:?}")
        };
        assert_eq!(
            (paid.amount_fen, paid.transaction_id.as_str()),
            (8888, "4200001")
        );
        assert_eq!(paid.paid_at, now());
    }

    #[test]
    fn a_wechat_refund_notification_verifies_into_a_refund() {
        let mut n = wx(
            serde_json::json!({"mchid": "1900000109", "out_trade_no": "LM1",
            "transaction_id": "4200001", "refund_id": "503001", "out_refund_no": "R1",
            "refund_status": "ABNORMAL", "amount": {"refund": 100, "total": 8888}}),
        );
        n.event = "REFUND.ABNORMAL";
        let notice = n.verify().unwrap().notice;
        assert_eq!(
            notice,
            Notice::Refund {
                out_trade_no: "LM1".into(),
                out_refund_no: "R1".into(),
                refund_id: "503001".into(),
                amount_fen: 100,
                succeeded: false
            }
        );
    }

    #[test]
    fn wechat_notifications_are_refused_for_each_broken_check() {
        let (headers, body) = wx(paid_json()).build();
        let p = providers();
        let mut missing = headers.clone();
        missing.remove("wechatpay-nonce");
        assert_eq!(
            p.verify(Method::Wechat, &missing, &body, now()),
            Err(Refusal::Malformed)
        );
        let mut tampered = body.clone();
        tampered[10] ^= 1;
        assert_eq!(
            p.verify(Method::Wechat, &headers, &tampered, now()),
            Err(Refusal::BadSignature)
        );
        let mut probe = headers.clone();
        probe.insert(
            HeaderName::from_static("wechatpay-signature"),
            HeaderValue::from_static("WECHATPAY/SIGNTEST/abc"),
        );
        assert_eq!(
            p.verify(Method::Wechat, &probe, &body, now()),
            Err(Refusal::Probe)
        );
        assert_eq!(
            p.verify(Method::Alipay, &headers, &body, now()),
            Err(Refusal::Malformed)
        );
        let mut other_scheme = headers.clone();
        other_scheme.insert(
            HeaderName::from_static("wechatpay-signature-type"),
            HeaderValue::from_static("WECHATPAY2-SM2-WITH-SM3"),
        );
        assert_eq!(
            p.verify(Method::Wechat, &other_scheme, &body, now()),
            Err(Refusal::Malformed)
        );

        let mut n = wx(paid_json());
        n.serial = "PUB_KEY_ID_OTHER";
        assert_eq!(n.verify(), Err(Refusal::UnknownSerial));
        let mut n = wx(paid_json());
        n.at = now() - Duration::seconds(300);
        assert_eq!(n.verify(), Err(Refusal::StaleTimestamp));
        n.at = now() - Duration::seconds(299);
        assert!(n.verify().is_ok(), "4 min 59 s of skew is accepted");
        let mut n = wx(paid_json());
        n.signer = "wrong.key.pem";
        assert_eq!(n.verify(), Err(Refusal::BadSignature));
        let mut n = wx(paid_json());
        n.apiv3 = "fedcba9876543210fedcba9876543210";
        assert_eq!(n.verify(), Err(Refusal::BadCiphertext));
        let mut n = wx(serde_json::json!({"appid": "wxother"}));
        n.plain = paid_json().to_string().replace("wxapp", "wxother");
        assert_eq!(n.verify(), Err(Refusal::WrongApp));
        n.plain = paid_json().to_string().replace("1900000109", "1900000999");
        assert_eq!(n.verify(), Err(Refusal::WrongMerchant));
        assert_eq!(
            Providers::default().verify(Method::Wechat, &headers, &body, now()),
            Err(Refusal::Disabled)
        );
    }

    fn alipay_form(fields: &[(&str, &str)], signer: &str) -> Vec<u8> {
        let mut map: BTreeMap<String, String> = fields
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let sign = Signer::from_pem(&key(signer))
            .unwrap()
            .sign(alipay::sign_content(&map, &["sign", "sign_type"]).as_bytes())
            .unwrap();
        map.insert("sign_type".into(), "RSA2".into());
        map.insert("sign".into(), sign);
        serde_urlencoded::to_string(&map).unwrap().into_bytes()
    }

    const PAID: &[(&str, &str)] = &[
        ("notify_id", "N1"),
        ("app_id", "2021001"),
        ("seller_id", "2088001"),
        ("out_trade_no", "LM1"),
        ("trade_no", "2026120322001"),
        ("trade_status", "TRADE_SUCCESS"),
        ("total_amount", "88.88"),
        ("gmt_payment", "2026-12-03 10:00:00"),
        ("subject", "洗衣 2 件"),
    ];

    fn ali(fields: &[(&str, &str)], signer: &str) -> Result<Verified, Refusal> {
        providers().verify(
            Method::Alipay,
            &HeaderMap::new(),
            &alipay_form(fields, signer),
            now(),
        )
    }

    fn with(changes: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
        let mut fields: Vec<_> = PAID
            .iter()
            .copied()
            .filter(|(k, _)| !changes.iter().any(|(c, _)| c == k))
            .collect();
        fields.extend(changes.iter().copied().filter(|(_, v)| !v.is_empty()));
        fields
    }

    #[test]
    fn alipay_notifications_verify_into_payments_closes_and_refunds() {
        let v = ali(PAID, "alipay-platform.key.pem").unwrap();
        assert_eq!(v.event_key, "N1");
        let Notice::Payment(paid) = v.notice else {
            panic!()
        };
        assert_eq!((paid.amount_fen, paid.paid_at), (8888, now()));
        let closed = ali(
            &with(&[("trade_status", "TRADE_CLOSED")]),
            "alipay-platform.key.pem",
        )
        .unwrap();
        assert_eq!(
            closed.notice,
            Notice::PaymentClosed {
                out_trade_no: "LM1".into()
            }
        );
        let refund = ali(
            &with(&[("out_biz_no", "R1"), ("refund_fee", "10.5")]),
            "alipay-platform.key.pem",
        )
        .unwrap();
        assert_eq!(
            refund.notice,
            Notice::Refund {
                out_trade_no: "LM1".into(),
                out_refund_no: "R1".into(),
                refund_id: "2026120322001/R1".into(),
                amount_fen: 1050,
                succeeded: true
            }
        );
    }

    #[test]
    fn alipay_notifications_are_refused_for_each_broken_check() {
        let platform = "alipay-platform.key.pem";
        assert_eq!(ali(PAID, "wrong.key.pem"), Err(Refusal::BadSignature));
        assert_eq!(
            ali(&with(&[("app_id", "2021999")]), platform),
            Err(Refusal::WrongApp)
        );
        assert_eq!(
            ali(&with(&[("seller_id", "2088999")]), platform),
            Err(Refusal::WrongMerchant)
        );
        assert_eq!(
            ali(&with(&[("notify_id", "")]), platform),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            ali(&with(&[("trade_status", "WAIT_BUYER_PAY")]), platform),
            Err(Refusal::Malformed)
        );
        assert_eq!(
            ali(&with(&[("total_amount", "88.888")]), platform),
            Err(Refusal::Malformed)
        );
        let mut body = alipay_form(PAID, platform);
        body.extend_from_slice(b"&total_amount=1.00");
        let p = providers();
        assert_eq!(
            p.verify(Method::Alipay, &HeaderMap::new(), &body, now()),
            Err(Refusal::Malformed)
        );
        let tampered = String::from_utf8(alipay_form(PAID, platform))
            .unwrap()
            .replace("88.88", "99.99");
        assert_eq!(
            p.verify(
                Method::Alipay,
                &HeaderMap::new(),
                tampered.as_bytes(),
                now()
            ),
            Err(Refusal::BadSignature)
        );
        assert_eq!(
            Providers::default().verify(Method::Alipay, &HeaderMap::new(), &body, now()),
            Err(Refusal::Disabled)
        );
    }

    #[test]
    fn a_missing_key_file_fails_start_up_with_its_variable_and_path() {
        let mut config = Config::for_tests("postgres://unused@127.0.0.1/unused");
        let mut ali = providers().alipay.unwrap().config.clone();
        ali.app_key_file = "/nonexistent/app.pem".into();
        config.alipay = Some(ali);
        let err = Providers::new(&config).err().unwrap();
        let text = format!("{:?}", err);
        assert!(
            text.contains("ALIPAY_APP_KEY_FILE") && text.contains("/nonexistent/app.pem"),
            "{text}"
        );
    }

    #[test]
    fn production_refuses_the_test_only_keys() {
        let mut config = Config::for_tests("postgres://unused@127.0.0.1/unused");
        config.alipay = providers().alipay.map(|a| a.config.clone());
        config.env = AppEnv::Production;
        let text = format!("{:?}", Providers::new(&config).err().unwrap());
        assert!(text.contains("TEST-ONLY"), "{text}");
    }

    #[test]
    fn shanghai_times_read_and_write_as_beijing_time() {
        assert_eq!(shanghai_time("2026-12-03 10:00:00"), Some(now()));
        assert_eq!(format_shanghai(now()), "2026-12-03 10:00:00");
        assert_eq!(shanghai_time("2026-12-03T10:00:00"), None);
    }
}
