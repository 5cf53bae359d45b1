//! WeChat Pay API v3, public-key mode: the wire types, the signed messages, and the client
//! (every request signed with the merchant key, every answer verified with WeChat Pay's key).
//! The sandbox (`crate::sandbox`) uses the same types and messages from the other side.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::keys::{self, Signer, Verifier};
use super::{
    http_client, BillLine, Charge, Method, Notice, Paid, ProviderError, RefundCall, RefundState,
    Refusal, Sheet, TradeState, Verified,
};
use crate::config::WechatPayConfig;

pub mod transfer;

/// The `Authorization` scheme.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// The prefix of the deliberately wrong signatures of probe notifications.
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";
/// Answers and notifications further than this from now are refused.
pub const MAX_SKEW_SECS: i64 = 300;

/// What a request signs: `METHOD\nURL\ntimestamp\nnonce\nbody\n` (URL: path and query).
pub fn request_message(method: &str, url: &str, timestamp: i64, nonce: &str, body: &str) -> String {
    format!("{method}\n{url}\n{timestamp}\n{nonce}\n{body}\n")
}

/// What an answer or a notification signs: `timestamp\nnonce\nbody\n` over the raw body.
pub fn answer_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// What the APP SDK's `sign` signs: `appid\ntimestamp\nnoncestr\nprepayid\n`.
pub fn app_sheet_message(appid: &str, timestamp: i64, nonce: &str, prepay_id: &str) -> String {
    format!("{appid}\n{timestamp}\n{nonce}\n{prepay_id}\n")
}

/// The `Authorization` header value.
pub fn authorization(
    mchid: &str,
    nonce: &str,
    signature: &str,
    timestamp: i64,
    serial: &str,
) -> String {
    format!(
        "{SCHEME} mchid=\"{mchid}\",nonce_str=\"{nonce}\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{serial}\""
    )
}

/// The `key="value"` pairs of an `Authorization` value, by name (SDKs write them in different
/// orders); `None` when the scheme is not ours.
pub fn parse_authorization(value: &str) -> Option<std::collections::HashMap<String, String>> {
    let pairs = value.strip_prefix(SCHEME)?.trim_start();
    pairs
        .split(',')
        .map(|pair| {
            let (k, v) = pair.trim().split_once('=')?;
            let v = v.strip_prefix('"')?.strip_suffix('"')?;
            Some((k.to_owned(), v.to_owned()))
        })
        .collect()
}

/// `amount` of a transaction.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct TradeAmount {
    pub total: i64,
    #[serde(default = "cny")]
    pub currency: String,
}

fn cny() -> String {
    "CNY".into()
}

/// The APP prepay request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AppPrepay {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    pub time_expire: String,
    pub notify_url: String,
    pub amount: TradeAmount,
}

/// A transaction as a query answers it and a `TRANSACTION.SUCCESS` notification carries it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_type: Option<String>,
    pub trade_state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trade_state_desc: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<TradeAmount>,
}

impl Transaction {
    /// The payment, when the transaction is one (`SUCCESS`, or `REFUND`: paid, then refunded).
    pub fn paid(&self) -> Option<Paid> {
        if !matches!(self.trade_state.as_str(), "SUCCESS" | "REFUND") {
            return None;
        }
        let amount = self.amount.as_ref()?;
        Some(Paid {
            out_trade_no: self.out_trade_no.clone(),
            transaction_id: self.transaction_id.clone()?,
            amount_fen: amount.total,
            currency: amount.currency.clone(),
            app_id: self.appid.clone(),
            merchant_id: self.mchid.clone(),
            paid_at: parse_time(self.success_time.as_deref()?)?,
        })
    }
}

/// `amount` of a refund request, answer and notification.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct RefundAmount {
    pub refund: i64,
    pub total: i64,
    #[serde(default = "cny")]
    pub currency: String,
}

/// The refund request body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub reason: String,
    pub notify_url: String,
    pub amount: RefundAmount,
}

/// A refund as the refund calls answer it; notifications name `status` `refund_status`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Refund {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mchid: Option<String>,
    pub refund_id: String,
    pub out_refund_no: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transaction_id: Option<String>,
    pub out_trade_no: String,
    #[serde(alias = "refund_status")]
    pub status: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_time: Option<String>,
    pub amount: RefundAmount,
}

impl Refund {
    pub fn state(&self) -> RefundState {
        let refund_id = self.refund_id.clone();
        match self.status.as_str() {
            "SUCCESS" => RefundState::Succeeded {
                refund_id,
                at: self
                    .success_time
                    .as_deref()
                    .and_then(parse_time)
                    .unwrap_or_else(Utc::now),
            },
            "PROCESSING" => RefundState::Processing { refund_id },
            other => RefundState::Failed {
                reason: format!("refund {other}"),
            },
        }
    }
}

/// The notification envelope.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Envelope {
    pub id: String,
    pub create_time: String,
    pub event_type: String,
    pub resource_type: String,
    pub summary: String,
    pub resource: Resource,
}

/// The encrypted part of a notification.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

/// An error answer's body.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
}

/// The trade bill request's answer.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BillInfo {
    pub hash_type: String,
    pub hash_value: String,
    pub download_url: String,
}

/// RFC 3339 as WeChat writes it (`2026-12-03T10:15:00+08:00`).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// A time as WeChat writes it, in Beijing time.
pub fn format_time(at: DateTime<Utc>) -> String {
    at.with_timezone(&chrono_tz::Asia::Shanghai)
        .fixed_offset()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The columns of the trade bill that `parse_bill` reads, by their header names.
pub const BILL_COLUMNS: [&str; 8] = [
    "交易时间",
    "微信订单号",
    "商户订单号",
    "交易状态",
    "应结订单金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
];

/// The lines of a trade bill: a header row, detail rows whose fields each start with a
/// backtick, then a summary header (`总交易单数,...`) and its row, which are skipped. Columns
/// are found by header name; amounts are yuan, times Beijing time.
pub fn parse_bill(text: &str) -> Result<Vec<BillLine>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let header: Vec<&str> = lines
        .next()
        .ok_or("empty bill")?
        .trim_start_matches('\u{feff}')
        .split(',')
        .map(str::trim)
        .collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .ok_or_else(|| format!("bill has no column {name}"))
    };
    let idx: Vec<usize> = BILL_COLUMNS
        .iter()
        .map(|c| col(c))
        .collect::<Result<_, _>>()?;
    let mut out = Vec::new();
    for line in lines {
        if line.starts_with("总交易单数") {
            break;
        }
        let fields: Vec<&str> = line
            .split(',')
            .map(|f| f.trim().trim_start_matches('`'))
            .collect();
        let field = |i: usize| fields.get(idx[i]).copied().unwrap_or("");
        let at = super::shanghai_time(field(0)).ok_or_else(|| format!("bad time in {line}"))?;
        let (refund, amount) = match field(3) {
            "REFUND" => (true, field(7)),
            _ => (false, field(4)),
        };
        let amount_fen =
            super::alipay::fen(amount).ok_or_else(|| format!("bad amount in {line}"))?;
        let some = |s: &str| (!s.is_empty()).then(|| s.to_owned());
        out.push(BillLine {
            transaction_id: field(1).to_owned(),
            out_trade_no: field(2).to_owned(),
            out_refund_no: if refund { some(field(6)) } else { None },
            refund_id: if refund { some(field(5)) } else { None },
            amount_fen,
            at,
        });
    }
    Ok(out)
}

/// The WeChat Pay client.
pub struct Wechat {
    pub(super) config: WechatPayConfig,
    signer: Signer,
    platform: Verifier,
    http: reqwest::Client,
}

fn err(reason: impl Into<String>) -> ProviderError {
    ProviderError {
        method: Method::Wechat,
        reason: reason.into(),
    }
}

impl Wechat {
    pub fn new(
        config: WechatPayConfig,
        signer: Signer,
        platform: Verifier,
    ) -> Result<Self, String> {
        Ok(Self {
            config,
            signer,
            platform,
            http: http_client()?,
        })
    }

    /// Signs and sends one call, checks the answer's signature, returns its status and body.
    async fn call(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<String>,
    ) -> Result<(u16, Vec<u8>), ProviderError> {
        let (status, headers, bytes) = self.send(method, url, body).await?;
        let get = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        self.check_signed(get, &bytes, Utc::now()).map_err(|why| {
            err(format!(
                "{}: answer {status} refused: {}",
                url_path(url),
                why.as_code()
            ))
        })?;
        Ok((status, bytes))
    }

    /// Signs and sends one call; the answer unchecked.
    async fn send(
        &self,
        method: reqwest::Method,
        url: &str,
        body: Option<String>,
    ) -> Result<(u16, reqwest::header::HeaderMap, Vec<u8>), ProviderError> {
        let path = url.strip_prefix(&self.config.api_base).unwrap_or(url);
        let path = if path.starts_with('/') {
            path.to_owned()
        } else {
            url_path(url)
        };
        let (ts, nonce) = (Utc::now().timestamp(), keys::nonce(32));
        let text = body.clone().unwrap_or_default();
        let signature = self
            .signer
            .sign(request_message(method.as_str(), &path, ts, &nonce, &text).as_bytes())
            .map_err(|e| err(e.to_string()))?;
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.config.api_base))
            .header(
                "Authorization",
                authorization(
                    &self.config.mchid,
                    &nonce,
                    &signature,
                    ts,
                    &self.config.merchant_serial,
                ),
            )
            .header("Accept", "application/json")
            .header("Wechatpay-Serial", &self.config.platform_key_id);
        if let Some(body) = body {
            request = request
                .header("Content-Type", "application/json")
                .body(body);
        }
        let answer = request
            .send()
            .await
            .map_err(|e| err(format!("{path}: {e}")))?;
        let status = answer.status().as_u16();
        let headers = answer.headers().clone();
        let bytes = answer
            .bytes()
            .await
            .map_err(|e| err(format!("{path}: {e}")))?;
        Ok((status, headers, bytes.to_vec()))
    }

    /// The signature checks shared by answers and notifications.
    pub(super) fn check_signed<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<(), Refusal> {
        let get = |name: &str| header(name).ok_or(Refusal::Malformed);
        let (ts, nonce, signature, serial) = (
            get("wechatpay-timestamp")?,
            get("wechatpay-nonce")?,
            get("wechatpay-signature")?,
            get("wechatpay-serial")?,
        );
        // Absent means the one scheme there is; any other is not ours to check.
        if header("wechatpay-signature-type").is_some_and(|t| t != SCHEME) {
            return Err(Refusal::Malformed);
        }
        if serial != self.config.platform_key_id {
            return Err(Refusal::UnknownSerial);
        }
        let at: i64 = ts.parse().map_err(|_| Refusal::Malformed)?;
        if (now.timestamp() - at).abs() >= MAX_SKEW_SECS {
            return Err(Refusal::StaleTimestamp);
        }
        if signature.starts_with(PROBE_PREFIX) {
            return Err(Refusal::Probe);
        }
        if !self
            .platform
            .verify(&answer_message(ts, nonce, body), signature)
        {
            return Err(Refusal::BadSignature);
        }
        Ok(())
    }

    fn fail(status: u16, body: &[u8]) -> ProviderError {
        match serde_json::from_slice::<ErrorBody>(body) {
            Ok(e) => err(format!("{status} {}: {}", e.code, e.message)),
            Err(_) => err(format!("{status} with an unreadable body")),
        }
    }

    fn json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ProviderError> {
        serde_json::from_slice(body).map_err(|e| err(format!("unreadable answer: {e}")))
    }

    pub async fn create(&self, charge: &Charge) -> Result<Sheet, ProviderError> {
        let prepay = AppPrepay {
            appid: self.config.appid.clone(),
            mchid: self.config.mchid.clone(),
            description: charge.description.clone(),
            out_trade_no: charge.out_trade_no.clone(),
            time_expire: format_time(charge.expires_at),
            notify_url: charge.notify_url.clone(),
            amount: TradeAmount {
                total: charge.amount_fen,
                currency: cny(),
            },
        };
        let body = serde_json::to_string(&prepay).map_err(|e| err(e.to_string()))?;
        let (status, answer) = self
            .call(
                reqwest::Method::POST,
                "/v3/pay/transactions/app",
                Some(body),
            )
            .await?;
        if status != 200 {
            return Err(Self::fail(status, &answer));
        }
        #[derive(Deserialize)]
        struct Prepay {
            prepay_id: String,
        }
        let Prepay { prepay_id } = Self::json(&answer)?;
        let (ts, nonce) = (Utc::now().timestamp(), keys::nonce(32));
        let sign = self
            .signer
            .sign(app_sheet_message(&self.config.appid, ts, &nonce, &prepay_id).as_bytes())
            .map_err(|e| err(e.to_string()))?;
        Ok(Sheet {
            method: Method::Wechat,
            prepay_id: prepay_id.clone(),
            params: serde_json::json!({
                "appid": self.config.appid, "partnerid": self.config.mchid, "prepayid": prepay_id,
                "package": "Sign=WXPay", "noncestr": nonce, "timestamp": ts.to_string(), "sign": sign,
            }),
        })
    }

    pub async fn query(&self, out_trade_no: &str) -> Result<TradeState, ProviderError> {
        let url = format!(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
            self.config.mchid
        );
        let (status, body) = self.call(reqwest::Method::GET, &url, None).await?;
        match status {
            200 => {}
            404 => return Ok(TradeState::Unknown),
            _ => return Err(Self::fail(status, &body)),
        }
        let trade: Transaction = Self::json(&body)?;
        Ok(match trade.trade_state.as_str() {
            "SUCCESS" | "REFUND" => TradeState::Paid(
                trade
                    .paid()
                    .ok_or_else(|| err("paid trade without its details"))?,
            ),
            "NOTPAY" | "USERPAYING" => TradeState::Pending,
            "CLOSED" | "REVOKED" | "PAYERROR" => TradeState::Closed,
            other => return Err(err(format!("unknown trade_state {other}"))),
        })
    }

    pub async fn close(&self, out_trade_no: &str) -> Result<(), ProviderError> {
        let url = format!("/v3/pay/transactions/out-trade-no/{out_trade_no}/close");
        let body = serde_json::json!({ "mchid": self.config.mchid }).to_string();
        match self.call(reqwest::Method::POST, &url, Some(body)).await? {
            (200 | 204 | 404, _) => Ok(()),
            (status, body) => Err(Self::fail(status, &body)),
        }
    }

    pub async fn refund(&self, call: &RefundCall) -> Result<RefundState, ProviderError> {
        let request = RefundRequest {
            out_trade_no: call.out_trade_no.clone(),
            out_refund_no: call.out_refund_no.clone(),
            reason: call.reason.clone(),
            notify_url: call.notify_url.clone(),
            amount: RefundAmount {
                refund: call.amount_fen,
                total: call.total_fen,
                currency: cny(),
            },
        };
        let body = serde_json::to_string(&request).map_err(|e| err(e.to_string()))?;
        let (status, answer) = self
            .call(
                reqwest::Method::POST,
                "/v3/refund/domestic/refunds",
                Some(body),
            )
            .await?;
        self.refund_answer(status, &answer)
    }

    pub async fn query_refund(&self, out_refund_no: &str) -> Result<RefundState, ProviderError> {
        let url = format!("/v3/refund/domestic/refunds/{out_refund_no}");
        let (status, answer) = self.call(reqwest::Method::GET, &url, None).await?;
        self.refund_answer(status, &answer)
    }

    fn refund_answer(&self, status: u16, body: &[u8]) -> Result<RefundState, ProviderError> {
        match status {
            200 => Ok(Self::json::<Refund>(body)?.state()),
            // A refused refund (too much, not paid, unknown refund) is an answer, not an outage.
            400 | 403 | 404 => Ok(RefundState::Failed {
                reason: Self::fail(status, body).reason,
            }),
            _ => Err(Self::fail(status, body)),
        }
    }

    pub async fn trade_bill(&self, day: NaiveDate) -> Result<Vec<BillLine>, ProviderError> {
        let url = format!(
            "/v3/bill/tradebill?bill_date={}&bill_type=ALL",
            day.format("%Y-%m-%d")
        );
        let (status, body) = self.call(reqwest::Method::GET, &url, None).await?;
        if status != 200 {
            return Err(Self::fail(status, &body));
        }
        let info: BillInfo = Self::json(&body)?;
        // WeChat's samples do not verify the download's signature; the SHA1 below, from the
        // signed answer above, vouches for the file instead.
        let (status, _, file) = self
            .send(reqwest::Method::GET, &info.download_url, None)
            .await?;
        if status != 200 {
            return Err(Self::fail(status, &file));
        }
        let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &file);
        if !hex::encode(digest.as_ref()).eq_ignore_ascii_case(&info.hash_value) {
            return Err(err("the bill's SHA1 does not match hash_value"));
        }
        let text = String::from_utf8(file).map_err(|_| err("the bill is not UTF-8"))?;
        parse_bill(&text).map_err(err)
    }
}

/// The path and query of an absolute URL (`https://host/v3/x?y` → `/v3/x?y`).
fn url_path(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.find('/')
        .map_or_else(|| "/".to_owned(), |i| rest[i..].to_owned())
}

impl Wechat {
    /// Checks a notification: headers, serial, timestamp, probe, signature over the raw body,
    /// then decrypts the resource and checks it is ours.
    pub fn verify<'h>(
        &self,
        header: impl Fn(&str) -> Option<&'h str>,
        body: &[u8],
        now: DateTime<Utc>,
    ) -> Result<Verified, Refusal> {
        self.check_signed(header, body, now)?;
        let envelope: Envelope = serde_json::from_slice(body).map_err(|_| Refusal::Malformed)?;
        let resource = &envelope.resource;
        if resource.algorithm != "AEAD_AES_256_GCM" {
            return Err(Refusal::BadCiphertext);
        }
        let plain = keys::aes_gcm_open(
            self.config.apiv3_key.expose().as_bytes(),
            &resource.nonce,
            &resource.associated_data,
            &resource.ciphertext,
        )
        .ok_or(Refusal::BadCiphertext)?;
        let notice = match envelope.event_type.as_str() {
            "TRANSACTION.SUCCESS" => {
                let trade: Transaction =
                    serde_json::from_slice(&plain).map_err(|_| Refusal::Malformed)?;
                if trade.appid != self.config.appid {
                    return Err(Refusal::WrongApp);
                }
                if trade.mchid != self.config.mchid {
                    return Err(Refusal::WrongMerchant);
                }
                Notice::Payment(trade.paid().ok_or(Refusal::Malformed)?)
            }
            "REFUND.SUCCESS" | "REFUND.ABNORMAL" | "REFUND.CLOSED" => {
                let refund: Refund =
                    serde_json::from_slice(&plain).map_err(|_| Refusal::Malformed)?;
                if refund.mchid.as_deref() != Some(self.config.mchid.as_str()) {
                    return Err(Refusal::WrongMerchant);
                }
                Notice::Refund {
                    out_trade_no: refund.out_trade_no,
                    out_refund_no: refund.out_refund_no,
                    refund_id: refund.refund_id,
                    amount_fen: refund.amount.refund,
                    succeeded: envelope.event_type == "REFUND.SUCCESS",
                }
            }
            _ => return Err(Refusal::Malformed),
        };
        Ok(Verified {
            event_key: envelope.id,
            notice,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn the_signed_messages_have_their_documented_lines() {
        assert_eq!(
            request_message(
                "GET",
                "/v3/pay/transactions/out-trade-no/LM1?mchid=1230000109",
                1554208460,
                "593BEC",
                ""
            ),
            "GET\n/v3/pay/transactions/out-trade-no/LM1?mchid=1230000109\n1554208460\n593BEC\n\n"
        );
        assert_eq!(
            answer_message("1554209980", "c5ac", b"{\"a\":1}"),
            b"1554209980\nc5ac\n{\"a\":1}\n"
        );
        assert_eq!(answer_message("1", "n", b""), b"1\nn\n\n");
        assert_eq!(
            app_sheet_message("wxapp", 1, "nonce", "wx201410272009395522657a690389285100"),
            "wxapp\n1\nnonce\nwx201410272009395522657a690389285100\n"
        );
    }

    #[test]
    fn the_authorization_header_round_trips_by_name_in_any_order() {
        let value = authorization("1230000109", "N", "S+/=", 1554208460, "3775B6");
        assert!(value.starts_with("WECHATPAY2-SHA256-RSA2048 mchid=\"1230000109\",nonce_str=\"N\""));
        let pairs = parse_authorization(&value).unwrap();
        assert_eq!(pairs["signature"], "S+/=");
        assert_eq!(pairs["serial_no"], "3775B6");
        let go_order = "WECHATPAY2-SHA256-RSA2048 mchid=\"1\",nonce_str=\"n\",timestamp=\"2\",serial_no=\"s\",signature=\"x\"";
        assert_eq!(parse_authorization(go_order).unwrap()["timestamp"], "2");
        assert!(parse_authorization("Bearer x").is_none());
        assert!(parse_authorization("WECHATPAY2-SHA256-RSA2048 mchid=1").is_none());
    }

    #[test]
    fn times_are_written_in_beijing_time() {
        let at = Utc.with_ymd_and_hms(2026, 12, 3, 2, 0, 0).unwrap();
        assert_eq!(format_time(at), "2026-12-03T10:00:00+08:00");
        assert_eq!(parse_time("2026-12-03T10:00:00+08:00"), Some(at));
    }

    #[test]
    fn a_trade_bill_parses_by_header_into_payment_and_refund_lines() {
        let bill = "交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态\n\
`2026-12-02 10:15:00,`wxapp,`1900000109,`0,`,`4200001,`LM1,`oUp,`APP,`SUCCESS,`OTHERS,`CNY,`88.88,`0.00,`0,`0,`0.00,`0.00,`,`\n\
`2026-12-02 11:00:00,`wxapp,`1900000109,`0,`,`4200001,`LM1,`oUp,`APP,`REFUND,`OTHERS,`CNY,`0.00,`0.00,`50300001,`R1,`10.00,`0.00,`ORIGINAL,`SUCCESS\n\
总交易单数,应结订单总金额,退款总金额\n`2,`88.88,`10.00\n";
        let lines = parse_bill(bill).unwrap();
        assert_eq!(lines.len(), 2);
        assert_eq!(
            (lines[0].amount_fen, lines[0].out_refund_no.as_deref()),
            (8888, None)
        );
        assert_eq!(
            lines[0].at,
            Utc.with_ymd_and_hms(2026, 12, 2, 2, 15, 0).unwrap()
        );
        assert_eq!(
            (
                lines[1].amount_fen,
                lines[1].refund_id.as_deref(),
                lines[1].out_refund_no.as_deref()
            ),
            (1000, Some("50300001"), Some("R1"))
        );
        assert!(parse_bill("交易时间,微信订单号\n").is_err());
    }

    #[test]
    fn a_paid_transaction_needs_its_id_time_and_amount() {
        let trade: Transaction =
            serde_json::from_value(serde_json::json!({"appid": "a", "mchid": "m",
            "out_trade_no": "LM1", "trade_state": "NOTPAY"}))
            .unwrap();
        assert!(trade.paid().is_none());
        let trade = Transaction {
            trade_state: "SUCCESS".into(),
            ..trade
        };
        assert!(trade.paid().is_none(), "no transaction_id, time or amount");
    }

    #[test]
    fn a_refund_maps_its_status_to_a_refund_state() {
        let refund: Refund =
            serde_json::from_value(serde_json::json!({"refund_id": "5", "out_refund_no": "R",
            "out_trade_no": "LM", "status": "PROCESSING", "amount": {"refund": 1, "total": 2}}))
            .unwrap();
        assert_eq!(
            refund.state(),
            RefundState::Processing {
                refund_id: "5".into()
            }
        );
        let closed = Refund {
            status: "CLOSED".into(),
            ..refund
        };
        assert!(matches!(closed.state(), RefundState::Failed { .. }));
    }
}
