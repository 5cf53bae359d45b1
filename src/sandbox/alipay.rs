//! The sandbox's Alipay gateway: `POST /gateway.do` with the form the app signs (checked with
//! the app's public key), answers `{"<method>_response":{...},"sign":"..."}` signed over the
//! exact response text with Alipay's key.

use std::collections::BTreeMap;
use std::sync::Arc;

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde_json::{json, Value};

use super::notify;
use super::state::{Refund, Shared, Status, Trade};
use crate::pay::alipay::{self as ali, fen, yuan};
use crate::pay::{format_shanghai, Method};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/gateway.do", web::post().to(gateway))
        .route("/sandbox/alipay/bill", web::get().to(download_bill));
}

type Sandbox = web::Data<Shared>;

/// The form's fields; a repeated field is refused.
pub fn form(body: &[u8]) -> Option<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for (k, v) in form_urlencoded::parse(body) {
        if out.insert(k.into_owned(), v.into_owned()).is_some() {
            return None;
        }
    }
    Some(out)
}

/// Whether a signed parameter set (a gateway call, an `order_string`) verifies with the app key.
pub fn verified(shared: &Shared, params: &BTreeMap<String, String>) -> bool {
    let sign = params.get("sign").map(String::as_str).unwrap_or("");
    params.get("app_id") == Some(&shared.config.alipay.app_id)
        && params.get("sign_type").map(String::as_str) == Some("RSA2")
        && shared
            .keys
            .alipay_app
            .verify(ali::sign_content(params, &["sign"]).as_bytes(), sign)
}

fn text(body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/html;charset=utf-8")
        .body(body)
}

/// `{"<key>":<content>,"sign":"..."}` with the signature over `content` as written.
fn signed(shared: &Shared, method: &str, content: &Value) -> HttpResponse {
    let content = content.to_string();
    match shared.keys.alipay_platform.sign(content.as_bytes()) {
        Ok(sign) => text(format!(
            "{{\"{}\":{content},\"sign\":{}}}",
            ali::response_key(method),
            Value::String(sign)
        )),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

pub(super) fn business_error(sub_code: &str, sub_msg: &str) -> Value {
    json!({"code": "40004", "msg": "Business Failed", "sub_code": sub_code, "sub_msg": sub_msg})
}

async fn gateway(shared: Sandbox, body: web::Bytes) -> HttpResponse {
    let Some(params) = form(&body) else {
        return text(r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-parameter","sub_msg":"参数重复"}}"#.into());
    };
    if !verified(&shared, &params) {
        return text(r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-signature","sub_msg":"验签出错"}}"#.into());
    }
    let method = params.get("method").cloned().unwrap_or_default();
    let biz: Value = params
        .get("biz_content")
        .and_then(|b| serde_json::from_str(b).ok())
        .unwrap_or(Value::Null);
    let field = |k: &str| biz.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let shared = shared.into_inner();
    let answer = match method.as_str() {
        "alipay.trade.query" => query(&shared, &field("out_trade_no")),
        "alipay.trade.close" => close(&shared, &field("out_trade_no")),
        "alipay.trade.refund" => refund(&shared, &field("out_trade_no"), &field("out_request_no"), &field("refund_amount")),
        "alipay.trade.fastpay.refund.query" => query_refund(&shared, &field("out_trade_no"), &field("out_request_no")),
        "alipay.fund.trans.uni.transfer" => super::transfers::alipay_transfer(&shared, &biz),
        "alipay.fund.trans.common.query" => super::transfers::alipay_query(&shared, &biz),
        "alipay.data.dataservice.bill.downloadurl.query" => json!({
            "code": "10000", "msg": "Success",
            "bill_download_url": format!("{}/sandbox/alipay/bill?bill_date={}", shared.base_url, field("bill_date")),
        }),
        _ => return text(r#"{"error_response":{"code":"40002","msg":"Invalid Arguments","sub_code":"isv.invalid-method","sub_msg":"不存在的方法名"}}"#.into()),
    };
    signed(&shared, &method, &answer)
}

fn status_text(trade: &Trade) -> &'static str {
    match trade.status {
        Status::Pending => "WAIT_BUYER_PAY",
        Status::Paid if trade.refunded_fen == trade.amount_fen => "TRADE_CLOSED",
        Status::Paid => "TRADE_SUCCESS",
        Status::Closed | Status::Failed => "TRADE_CLOSED",
    }
}

fn query(shared: &Shared, out_trade_no: &str) -> Value {
    let Some(t) = shared.state().trade(Method::Alipay, out_trade_no).cloned() else {
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在");
    };
    let mut answer = json!({
        "code": "10000", "msg": "Success", "trade_no": t.transaction_id, "out_trade_no": t.out_trade_no,
        "trade_status": status_text(&t), "total_amount": yuan(t.amount_fen), "buyer_logon_id": "159****5620",
    });
    if let (Some(at), Some(map)) = (t.paid_at, answer.as_object_mut()) {
        map.insert("send_pay_date".into(), format_shanghai(at).into());
    }
    answer
}

fn close(shared: &Shared, out_trade_no: &str) -> Value {
    let mut state = shared.state();
    match state.trade(Method::Alipay, out_trade_no) {
        None => business_error("ACQ.TRADE_NOT_EXIST", "交易不存在"),
        Some(t) if t.status == Status::Paid => {
            business_error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
        }
        Some(t) => {
            t.status = Status::Closed;
            json!({"code": "10000", "msg": "Success", "trade_no": t.transaction_id, "out_trade_no": t.out_trade_no})
        }
    }
}

fn refund(shared: &Arc<Shared>, out_trade_no: &str, out_request_no: &str, amount: &str) -> Value {
    let Some(amount_fen) = fen(amount).filter(|f| *f > 0) else {
        return json!({"code": "40002", "msg": "Invalid Arguments", "sub_code": "isv.invalid-parameter", "sub_msg": "refund_amount 格式错误"});
    };
    let key = (
        Method::Alipay,
        out_trade_no.to_owned(),
        out_request_no.to_owned(),
    );
    let mut state = shared.state();
    let Some(trade) = state.trade(Method::Alipay, out_trade_no).cloned() else {
        return business_error("ACQ.TRADE_NOT_EXIST", "交易不存在");
    };
    let answer = |refunded: i64, fund_change: &str, at| {
        json!({
            "code": "10000", "msg": "Success", "trade_no": trade.transaction_id, "out_trade_no": out_trade_no,
            "buyer_logon_id": "159****5620", "fund_change": fund_change, "refund_fee": yuan(refunded),
            "gmt_refund_pay": format_shanghai(at),
        })
    };
    if let Some(existing) = state.refunds.get(&key) {
        return answer(trade.refunded_fen, "N", existing.created_at);
    }
    if trade.status != Status::Paid {
        return business_error("ACQ.TRADE_STATUS_ERROR", "交易状态不合法");
    }
    if trade.refunds_fail {
        return business_error("ACQ.SYSTEM_ERROR", "系统错误");
    }
    if amount_fen > trade.amount_fen - trade.refunded_fen {
        return business_error("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限");
    }
    let now = Utc::now();
    let refunded = trade.refunded_fen + amount_fen;
    if let Some(t) = state.trade(Method::Alipay, out_trade_no) {
        t.refunded_fen = refunded;
    }
    state.refunds.insert(
        key,
        Refund {
            out_trade_no: out_trade_no.to_owned(),
            out_refund_no: out_request_no.to_owned(),
            refund_id: ali::refund_id(&trade.transaction_id, out_request_no),
            amount_fen,
            status: "SUCCESS",
            created_at: now,
            success_at: Some(now),
        },
    );
    drop(state);
    let mut paid = trade.clone();
    paid.refunded_fen = refunded;
    let status = status_text(&paid);
    notify_alipay(
        shared.clone(),
        &paid,
        status,
        Some((out_request_no, refunded)),
    );
    answer(refunded, "Y", now)
}

fn query_refund(shared: &Shared, out_trade_no: &str, out_request_no: &str) -> Value {
    let state = shared.state();
    let key = (
        Method::Alipay,
        out_trade_no.to_owned(),
        out_request_no.to_owned(),
    );
    let trade = state.trades.get(&(Method::Alipay, out_trade_no.to_owned()));
    match (state.refunds.get(&key), trade) {
        (Some(r), Some(t)) => json!({
            "code": "10000", "msg": "Success", "trade_no": t.transaction_id, "out_trade_no": out_trade_no,
            "out_request_no": out_request_no, "total_amount": yuan(t.amount_fen), "refund_amount": yuan(r.amount_fen),
            "refund_status": "REFUND_SUCCESS", "gmt_refund_pay": format_shanghai(r.success_at.unwrap_or(r.created_at)),
        }),
        // Alipay answers an unknown refund with an empty success.
        _ => {
            json!({"code": "10000", "msg": "Success", "out_trade_no": out_trade_no, "out_request_no": out_request_no})
        }
    }
}

/// Sends the trade's notification (with a refund's fields when there is one).
pub fn notify_alipay(
    shared: Arc<Shared>,
    trade: &Trade,
    status: &str,
    refund: Option<(&str, i64)>,
) {
    let notify_id = format!("{}{:08}", Utc::now().format("%Y%m%d%H%M%S"), shared.next());
    let mut fields = notify::alipay_trade_fields(&shared.config.alipay, trade, &notify_id, status);
    if let Some((out_request_no, refunded)) = refund {
        notify::alipay_refund_fields(&mut fields, out_request_no, refunded, Utc::now());
    }
    let s = shared.clone();
    let build: notify::Build = Box::new(move || {
        let body = notify::alipay_form(&s.keys.alipay_platform, &fields)?;
        Ok((Vec::new(), body.into_bytes()))
    });
    notify::deliver(
        shared,
        Method::Alipay,
        trade.notify_url.clone(),
        notify_id,
        build,
    );
}

#[derive(serde::Deserialize)]
struct BillQuery {
    bill_date: String,
}

async fn download_bill(shared: Sandbox, q: web::Query<BillQuery>) -> HttpResponse {
    match chrono::NaiveDate::parse_from_str(&q.bill_date, "%Y-%m-%d") {
        Ok(day) => HttpResponse::Ok()
            .content_type("text/csv;charset=utf-8")
            .body(super::bills::alipay(&shared, day)),
        Err(_) => HttpResponse::BadRequest().body("bill_date"),
    }
}
