//! Notifications exactly as the sandbox sends them, and their delivery on the providers' retry
//! schedules. The builders are public so tests can make (and then tamper with) a notification
//! the way the sandbox would.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::state::{Shared, Trade};
use super::{AlipayIds, WechatIds};
use crate::error::AppError;
use crate::pay::keys::{self, Signer};
use crate::pay::{alipay, format_shanghai, wechat, Method};

/// WeChat's retry intervals after a failed delivery, in seconds (15 retries, about 24 h).
pub const WECHAT_RETRIES: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10800, 10800, 10800, 21600, 21600,
];
/// Alipay's (about 25 h).
pub const ALIPAY_RETRIES: [u64; 7] = [240, 600, 600, 3600, 7200, 21600, 54000];

/// One notification the sandbox delivers: where, how many attempts so far, whether one was
/// answered as the provider wants (WeChat 2xx, Alipay the body `success`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub method: Method,
    pub url: String,
    /// WeChat's `id` or Alipay's `notify_id`.
    pub event_key: String,
    pub attempts: u32,
    pub delivered: bool,
}

/// The transaction object of a payment, as a query answers it and a notification carries it.
pub fn wechat_transaction(ids: &WechatIds, trade: &Trade) -> wechat::Transaction {
    let (state, desc) = match trade.status {
        super::state::Status::Pending => ("NOTPAY", "订单未支付"),
        super::state::Status::Paid if trade.refunded_fen > 0 => ("REFUND", "转入退款"),
        super::state::Status::Paid => ("SUCCESS", "支付成功"),
        super::state::Status::Closed => ("CLOSED", "订单已关闭"),
        super::state::Status::Failed => ("PAYERROR", "支付失败"),
    };
    let paid = trade.paid_at.is_some();
    wechat::Transaction {
        appid: ids.appid.clone(),
        mchid: ids.mchid.clone(),
        out_trade_no: trade.out_trade_no.clone(),
        transaction_id: paid.then(|| trade.transaction_id.clone()),
        trade_type: Some("APP".into()),
        trade_state: state.into(),
        trade_state_desc: Some(desc.into()),
        success_time: trade.paid_at.map(wechat::format_time),
        amount: Some(wechat::TradeAmount {
            total: trade.amount_fen,
            currency: "CNY".into(),
        }),
    }
}

/// The notification body: the envelope with `plaintext` sealed under the APIv3 key.
pub fn wechat_envelope(
    apiv3_key: &str,
    id: &str,
    event_type: &str,
    plaintext: &str,
    nonce: &str,
    associated_data: &str,
) -> Result<String, AppError> {
    let ciphertext = keys::aes_gcm_seal(
        apiv3_key.as_bytes(),
        nonce,
        associated_data,
        plaintext.as_bytes(),
    )
    .ok_or_else(|| AppError::internal("AES-GCM sealing failed (key 32 bytes, nonce 12?)"))?;
    let original_type = if event_type.starts_with("REFUND") {
        "refund"
    } else {
        "transaction"
    };
    let envelope = wechat::Envelope {
        id: id.to_owned(),
        create_time: wechat::format_time(Utc::now()),
        event_type: event_type.to_owned(),
        resource_type: "encrypt-resource".into(),
        summary: if original_type == "refund" {
            "退款通知"
        } else {
            "支付成功"
        }
        .into(),
        resource: wechat::Resource {
            algorithm: "AEAD_AES_256_GCM".into(),
            ciphertext,
            associated_data: associated_data.to_owned(),
            nonce: nonce.to_owned(),
            original_type: original_type.into(),
        },
    };
    serde_json::to_string(&envelope).map_err(AppError::internal)
}

/// The `Wechatpay-*` headers of an answer or notification over `body`.
pub fn wechat_headers(
    signer: &Signer,
    serial: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Result<Vec<(String, String)>, AppError> {
    let ts = timestamp.to_string();
    let signature = signer
        .sign(&wechat::answer_message(&ts, nonce, body))
        .map_err(AppError::internal)?;
    Ok(vec![
        ("Wechatpay-Timestamp".into(), ts),
        ("Wechatpay-Nonce".into(), nonce.to_owned()),
        ("Wechatpay-Signature".into(), signature),
        ("Wechatpay-Serial".into(), serial.to_owned()),
        ("Wechatpay-Signature-Type".into(), wechat::SCHEME.into()),
    ])
}

/// The fields of an Alipay payment (or closed trade) notification, unsigned.
pub fn alipay_trade_fields(
    ids: &AlipayIds,
    trade: &Trade,
    notify_id: &str,
    trade_status: &str,
) -> BTreeMap<String, String> {
    let mut f = BTreeMap::new();
    let mut put = |k: &str, v: String| {
        f.insert(k.to_owned(), v);
    };
    put("notify_id", notify_id.to_owned());
    put("notify_type", "trade_status_sync".into());
    put("notify_time", format_shanghai(Utc::now()));
    put("app_id", ids.app_id.clone());
    put("auth_app_id", ids.app_id.clone());
    put("charset", "utf-8".into());
    put("version", "1.0".into());
    put("trade_no", trade.transaction_id.clone());
    put("out_trade_no", trade.out_trade_no.clone());
    put("trade_status", trade_status.to_owned());
    put("total_amount", alipay::yuan(trade.amount_fen));
    put("seller_id", ids.seller_id.clone());
    put("buyer_id", "2088102177846880".into());
    put("subject", trade.description.clone());
    if let Some(at) = trade.paid_at {
        put("gmt_payment", format_shanghai(at));
        put("receipt_amount", alipay::yuan(trade.amount_fen));
        put("buyer_pay_amount", alipay::yuan(trade.amount_fen));
    }
    f
}

/// Adds a refund to a trade's notification fields: `out_biz_no`, `refund_fee` (the trade's
/// refunded total so far, as Alipay sends it) and `gmt_refund`.
pub fn alipay_refund_fields(
    fields: &mut BTreeMap<String, String>,
    out_request_no: &str,
    refunded_fen: i64,
    at: DateTime<Utc>,
) {
    fields.insert("out_biz_no".into(), out_request_no.to_owned());
    fields.insert("refund_fee".into(), alipay::yuan(refunded_fen));
    fields.insert("gmt_refund".into(), format_shanghai(at));
}

/// The form body of a notification: the fields plus `sign_type=RSA2` and `sign` over the sorted
/// fields without `sign` and `sign_type`.
pub fn alipay_form(signer: &Signer, fields: &BTreeMap<String, String>) -> Result<String, AppError> {
    let mut fields = fields.clone();
    let sign = signer
        .sign(alipay::sign_content(&fields, &["sign", "sign_type"]).as_bytes())
        .map_err(AppError::internal)?;
    fields.insert("sign_type".into(), "RSA2".into());
    fields.insert("sign".into(), sign);
    serde_urlencoded::to_string(&fields).map_err(AppError::internal)
}

/// What the sandbox posts, built afresh for each attempt (a new timestamp and signature).
pub(super) type Build = Box<dyn Fn() -> Result<(Vec<(String, String)>, Vec<u8>), AppError> + Send>;

/// Sends a notification, then retries on the method's schedule divided by the time factor
/// until it is answered as the provider wants.
pub(super) fn deliver(
    shared: Arc<Shared>,
    method: Method,
    url: String,
    event_key: String,
    build: Build,
) {
    let index = {
        let mut state = shared.state();
        state.deliveries.push(Delivery {
            method,
            url: url.clone(),
            event_key,
            attempts: 0,
            delivered: false,
        });
        state.deliveries.len() - 1
    };
    let schedule: &'static [u64] = match method {
        Method::Wechat => &WECHAT_RETRIES,
        Method::Alipay => &ALIPAY_RETRIES,
    };
    actix_web::rt::spawn(async move {
        for wait in std::iter::once(0).chain(schedule.iter().copied()) {
            let pause = Duration::from_secs_f64(wait as f64 / shared.config.time_factor);
            actix_web::rt::time::sleep(pause).await;
            let delivered = attempt(&shared, method, &url, &build).await;
            let mut state = shared.state();
            if let Some(d) = state.deliveries.get_mut(index) {
                d.attempts += 1;
                d.delivered = delivered;
            }
            if delivered {
                return;
            }
        }
    });
}

async fn attempt(shared: &Shared, method: Method, url: &str, build: &Build) -> bool {
    let Ok((headers, body)) = build() else {
        return false;
    };
    let content_type = match method {
        Method::Wechat => "application/json",
        Method::Alipay => "application/x-www-form-urlencoded;charset=utf-8",
    };
    let mut request = shared
        .http
        .post(url)
        .header("Content-Type", content_type)
        .body(body);
    for (name, value) in headers {
        request = request.header(name, value);
    }
    let Ok(answer) = request.send().await else {
        return false;
    };
    let ok = answer.status().is_success();
    match method {
        Method::Wechat => ok,
        Method::Alipay => ok && answer.text().await.is_ok_and(|t| t.trim() == "success"),
    }
}
