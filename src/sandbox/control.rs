//! The sandbox-only endpoints that stand in for the consumer's phone and for the tests:
//! - `POST /sandbox/pay {"method", "out_trade_no" | "order_string", "fail"?, "notify"?}` pays
//!   (or, with `"fail": true`, fails) a trade and sends its notification; with `"notify": false`
//!   (default `true`) the trade is paid (or failed) all the same but no notification is sent:
//!   a lost notification, which only a query or the bill then finds;
//! - `POST /sandbox/open {"method": "alipay", "order_string"}` only opens an Alipay trade (the
//!   SDK showed the sheet);
//! - `POST /sandbox/fail-refunds {"method", "out_trade_no"}` makes the trade's later refunds fail;
//! - `POST /sandbox/bill-amount {"method", "out_trade_no", "amount_fen"}` makes the trade's
//!   payment line in the daily trade bill show `amount_fen` instead of what was paid (the
//!   provider's record differs from ours), for reconciliation tests; queries and
//!   notifications keep the real amount.
//!
//! The payout controls (`POST /sandbox/fail-transfers`, `GET /sandbox/transfers`) are in
//! `transfers`.

use actix_web::{web, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::state::{Shared, Status, Trade};
use super::{alipay, notify, wechat};
use crate::pay::Method;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/sandbox/pay", web::post().to(pay))
        .route("/sandbox/open", web::post().to(open))
        .route("/sandbox/fail-refunds", web::post().to(fail_refunds))
        .route("/sandbox/bill-amount", web::post().to(bill_amount));
}

#[derive(Deserialize)]
struct PayRequest {
    method: Method,
    #[serde(default)]
    out_trade_no: Option<String>,
    /// Alipay: the signed `order_string` the app handed to the SDK.
    #[serde(default)]
    order_string: Option<String>,
    #[serde(default)]
    fail: bool,
    /// `false`: no notification (a lost one); the trade changes all the same.
    #[serde(default = "yes")]
    notify: bool,
}

fn yes() -> bool {
    true
}

fn refusal(status: u16, message: &str) -> Box<HttpResponse> {
    Box::new(refused(status, message))
}

fn refused(status: u16, message: &str) -> HttpResponse {
    HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::BAD_REQUEST),
    )
    .json(json!({ "error": message }))
}

/// Opens the Alipay trade an `order_string` describes, checking its signature as the SDK's
/// server side does; returns its `out_trade_no`.
fn open_alipay(shared: &Shared, order_string: &str) -> Result<String, Box<HttpResponse>> {
    let params = alipay::form(order_string.as_bytes())
        .ok_or_else(|| refusal(400, "order_string is not a form"))?;
    if !alipay::verified(shared, &params)
        || params.get("method").map(String::as_str) != Some("alipay.trade.app.pay")
    {
        return Err(refusal(
            400,
            "order_string: the signature does not verify (验签出错)",
        ));
    }
    let biz: Value = params
        .get("biz_content")
        .and_then(|b| serde_json::from_str(b).ok())
        .ok_or_else(|| refusal(400, "order_string: no biz_content"))?;
    let field = |k: &str| biz.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let out_trade_no = field("out_trade_no");
    let amount_fen = crate::pay::alipay::fen(&field("total_amount"))
        .filter(|f| *f > 0)
        .ok_or_else(|| refusal(400, "order_string: bad total_amount"))?;
    let request = params.get("biz_content").cloned().unwrap_or_default();
    let mut state = shared.state();
    if let Some(trade) = state.trade(Method::Alipay, &out_trade_no) {
        if trade.request != request {
            return Err(refusal(409, "out_trade_no reused with other parameters"));
        }
        return Ok(out_trade_no);
    }
    let trade = Trade {
        method: Method::Alipay,
        out_trade_no: out_trade_no.clone(),
        transaction_id: format!("{}22001{:011}", Utc::now().format("%Y%m%d"), shared.next()),
        amount_fen,
        description: field("subject"),
        notify_url: params.get("notify_url").cloned().unwrap_or_default(),
        request,
        status: Status::Pending,
        paid_at: None,
        refunded_fen: 0,
        refunds_fail: false,
        bill_amount_fen: None,
        expires_at: crate::pay::shanghai_time(&field("time_expire")),
    };
    state
        .trades
        .insert((Method::Alipay, out_trade_no.clone()), trade);
    Ok(out_trade_no)
}

async fn open(shared: web::Data<Shared>, body: web::Json<PayRequest>) -> HttpResponse {
    match (body.method, body.order_string.as_deref()) {
        (Method::Alipay, Some(order)) => match open_alipay(&shared, order) {
            Ok(no) => HttpResponse::Ok()
                .json(json!({ "out_trade_no": no, "trade_status": "WAIT_BUYER_PAY" })),
            Err(refusal) => *refusal,
        },
        _ => refused(
            400,
            "open takes {\"method\":\"alipay\",\"order_string\":...}",
        ),
    }
}

async fn pay(shared: web::Data<Shared>, body: web::Json<PayRequest>) -> HttpResponse {
    let body = body.into_inner();
    let out_trade_no = match (body.method, body.order_string.as_deref(), body.out_trade_no) {
        (Method::Alipay, Some(order), _) => match open_alipay(&shared, order) {
            Ok(no) => no,
            Err(refusal) => return *refusal,
        },
        (_, _, Some(no)) => no,
        _ => {
            return refused(
                400,
                "say which trade: out_trade_no (or, for Alipay, order_string)",
            )
        }
    };
    let trade = {
        let mut state = shared.state();
        let Some(trade) = state.trade(body.method, &out_trade_no) else {
            return refused(404, "no such trade (for Alipay, send the order_string)");
        };
        if trade.status != Status::Pending {
            return refused(409, "the trade is not waiting for payment");
        }
        if trade.expires_at.is_some_and(|at| at < Utc::now()) {
            return refused(409, "the trade expired (time_expire)");
        }
        if body.fail {
            trade.status = Status::Failed;
        } else {
            trade.status = Status::Paid;
            trade.paid_at = Some(Utc::now());
        }
        trade.clone()
    };
    let shared = shared.into_inner();
    match (body.method, body.fail) {
        // A lost notification: the trade changed all the same.
        _ if !body.notify => {}
        (Method::Wechat, false) => {
            let resource = notify::wechat_transaction(&shared.config.wechat, &trade);
            let url = trade.notify_url.clone();
            wechat::notify_wechat(
                shared,
                &url,
                "TRANSACTION.SUCCESS",
                &resource,
                "transaction",
            );
        }
        // WeChat does not notify failed payments; a query shows PAYERROR.
        (Method::Wechat, true) => {}
        (Method::Alipay, false) => alipay::notify_alipay(shared, &trade, "TRADE_SUCCESS", None),
        (Method::Alipay, true) => alipay::notify_alipay(shared, &trade, "TRADE_CLOSED", None),
    }
    HttpResponse::Ok().json(json!({
        "method": body.method, "out_trade_no": trade.out_trade_no, "transaction_id": trade.transaction_id,
        "paid": !body.fail, "notify": body.notify,
    }))
}

async fn fail_refunds(shared: web::Data<Shared>, body: web::Json<PayRequest>) -> HttpResponse {
    let Some(no) = body.out_trade_no.as_deref() else {
        return refused(400, "say which trade: out_trade_no");
    };
    match shared.state().trade(body.method, no) {
        Some(trade) => {
            trade.refunds_fail = true;
            HttpResponse::Ok().json(json!({ "out_trade_no": no, "refunds_fail": true }))
        }
        None => refused(404, "no such trade"),
    }
}

#[derive(Deserialize)]
struct BillAmountRequest {
    method: Method,
    out_trade_no: String,
    amount_fen: i64,
}

async fn bill_amount(
    shared: web::Data<Shared>,
    body: web::Json<BillAmountRequest>,
) -> HttpResponse {
    let body = body.into_inner();
    if body.amount_fen <= 0 {
        return refused(400, "amount_fen must be positive");
    }
    match shared.state().trade(body.method, &body.out_trade_no) {
        Some(trade) => {
            trade.bill_amount_fen = Some(body.amount_fen);
            HttpResponse::Ok().json(json!({
                "method": body.method, "out_trade_no": body.out_trade_no, "bill_amount_fen": body.amount_fen,
            }))
        }
        None => refused(404, "no such trade"),
    }
}
