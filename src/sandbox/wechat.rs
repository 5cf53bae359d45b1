//! The sandbox's WeChat Pay API v3: checks each request's `Authorization` with the merchant's
//! public key (401 `SIGN_ERROR` otherwise), signs each answer with the platform key.

use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;

use super::notify::{self, wechat_transaction};
use super::state::{Refund, Shared, Status, Trade};
use crate::pay::keys;
use crate::pay::wechat::{self as wx, AppPrepay, RefundRequest};
use crate::pay::Method;

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v3/pay/transactions/app", web::post().to(prepay))
        .route(
            "/v3/pay/transactions/out-trade-no/{no}",
            web::get().to(query),
        )
        .route(
            "/v3/pay/transactions/out-trade-no/{no}/close",
            web::post().to(close),
        )
        .route("/v3/refund/domestic/refunds", web::post().to(refund))
        .route(
            "/v3/refund/domestic/refunds/{no}",
            web::get().to(query_refund),
        )
        .route("/v3/bill/tradebill", web::get().to(trade_bill))
        .route("/v3/billdownload/file", web::get().to(download_bill));
}

/// An answer signed with the platform key.
fn signed(shared: &Shared, status: u16, body: Vec<u8>) -> HttpResponse {
    let mut answer = HttpResponse::build(
        actix_web::http::StatusCode::from_u16(status)
            .unwrap_or(actix_web::http::StatusCode::INTERNAL_SERVER_ERROR),
    );
    let headers = notify::wechat_headers(
        &shared.keys.wechat_platform,
        &shared.config.wechat.platform_key_id,
        Utc::now().timestamp(),
        &keys::nonce(32),
        &body,
    );
    match headers {
        Ok(headers) => {
            for (name, value) in headers {
                answer.insert_header((name, value));
            }
            answer.insert_header(("Request-ID", uuid::Uuid::new_v4().to_string()));
        }
        Err(_) => return HttpResponse::InternalServerError().finish(),
    }
    if body.is_empty() {
        answer.finish()
    } else {
        answer.content_type("application/json").body(body)
    }
}

pub(super) fn error(shared: &Shared, status: u16, code: &str, message: &str) -> HttpResponse {
    let body = serde_json::json!({ "code": code, "message": message }).to_string();
    signed(shared, status, body.into_bytes())
}

pub(super) fn json(shared: &Shared, value: &impl serde::Serialize) -> HttpResponse {
    match serde_json::to_vec(value) {
        Ok(body) => signed(shared, 200, body),
        Err(_) => error(shared, 500, "SYSTEM_ERROR", "serialisation"),
    }
}

/// Checks the request's signature as WeChat Pay does; a refusal is the answer to send.
pub(super) fn check(shared: &Shared, req: &HttpRequest, body: &[u8]) -> Option<HttpResponse> {
    let refuse = |why: &str| Some(error(shared, 401, "SIGN_ERROR", why));
    let Some(auth) = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
    else {
        return refuse("Authorization 缺失");
    };
    let Some(pairs) = wx::parse_authorization(auth) else {
        return refuse("Authorization 格式错误");
    };
    let get = |k: &str| pairs.get(k).map(String::as_str).unwrap_or("");
    if get("mchid") != shared.config.wechat.mchid {
        return refuse("商户号与签名不匹配");
    }
    if get("serial_no") != shared.config.wechat.merchant_serial {
        return refuse("证书序列号错误");
    }
    let ts: i64 = get("timestamp").parse().unwrap_or(0);
    if (Utc::now().timestamp() - ts).abs() >= wx::MAX_SKEW_SECS {
        return refuse("时间戳过期");
    }
    let url = req
        .uri()
        .path_and_query()
        .map_or(req.path(), |pq| pq.as_str());
    let body = std::str::from_utf8(body).unwrap_or("");
    let message = wx::request_message(req.method().as_str(), url, ts, get("nonce_str"), body);
    if !shared
        .keys
        .wechat_merchant
        .verify(message.as_bytes(), get("signature"))
    {
        return refuse("签名错误");
    }
    None
}

type Sandbox = web::Data<Shared>;

async fn prepay(shared: Sandbox, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, &body) {
        return refusal;
    }
    let Ok(order) = serde_json::from_slice::<AppPrepay>(&body) else {
        return error(&shared, 400, "PARAM_ERROR", "请求体格式错误");
    };
    if order.appid != shared.config.wechat.appid || order.mchid != shared.config.wechat.mchid {
        return error(&shared, 400, "PARAM_ERROR", "appid和mch_id不匹配");
    }
    if order.amount.total <= 0 {
        return error(&shared, 400, "PARAM_ERROR", "/amount/total 必须大于 0");
    }
    let request = String::from_utf8_lossy(&body).into_owned();
    let prepay_id = format!("wx{}", order.out_trade_no);
    let mut state = shared.state();
    if let Some(trade) = state.trade(Method::Wechat, &order.out_trade_no) {
        if trade.status == Status::Paid {
            return error(&shared, 400, "ORDERPAID", "订单已支付");
        }
        if trade.request != request {
            return error(
                &shared,
                400,
                "INVALID_REQUEST",
                "请求重入时，参数与首次请求时不一致",
            );
        }
        return json(&shared, &serde_json::json!({ "prepay_id": prepay_id }));
    }
    let trade = Trade {
        method: Method::Wechat,
        out_trade_no: order.out_trade_no.clone(),
        transaction_id: format!("42000{:015}", shared.next()),
        amount_fen: order.amount.total,
        description: order.description,
        notify_url: order.notify_url,
        request,
        status: Status::Pending,
        paid_at: None,
        refunded_fen: 0,
        refunds_fail: false,
        bill_amount_fen: None,
        expires_at: wx::parse_time(&order.time_expire),
    };
    state
        .trades
        .insert((Method::Wechat, order.out_trade_no), trade);
    json(&shared, &serde_json::json!({ "prepay_id": prepay_id }))
}

async fn query(shared: Sandbox, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, b"") {
        return refusal;
    }
    let trade = shared.state().trade(Method::Wechat, &path).cloned();
    match trade {
        Some(trade) => json(&shared, &wechat_transaction(&shared.config.wechat, &trade)),
        None => error(&shared, 404, "ORDER_NOT_EXIST", "订单不存在"),
    }
}

async fn close(
    shared: Sandbox,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, &body) {
        return refusal;
    }
    let mut state = shared.state();
    match state.trade(Method::Wechat, &path) {
        None => error(&shared, 404, "ORDER_NOT_EXIST", "订单不存在"),
        Some(trade) if trade.status == Status::Paid => {
            error(&shared, 400, "ORDERPAID", "订单已支付")
        }
        Some(trade) => {
            trade.status = Status::Closed;
            signed(&shared, 204, Vec::new())
        }
    }
}

fn refund_object(shared: &Shared, r: &Refund, transaction_id: &str, total: i64) -> wx::Refund {
    wx::Refund {
        mchid: Some(shared.config.wechat.mchid.clone()),
        refund_id: r.refund_id.clone(),
        out_refund_no: r.out_refund_no.clone(),
        transaction_id: Some(transaction_id.to_owned()),
        out_trade_no: r.out_trade_no.clone(),
        status: r.status.into(),
        success_time: r.success_at.map(wx::format_time),
        amount: wx::RefundAmount {
            refund: r.amount_fen,
            total,
            currency: "CNY".into(),
        },
    }
}

async fn refund(shared: Sandbox, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, &body) {
        return refusal;
    }
    let Ok(ask) = serde_json::from_slice::<RefundRequest>(&body) else {
        return error(&shared, 400, "PARAM_ERROR", "请求体格式错误");
    };
    let key = (
        Method::Wechat,
        ask.out_trade_no.clone(),
        ask.out_refund_no.clone(),
    );
    let mut state = shared.state();
    let Some(trade) = state.trade(Method::Wechat, &ask.out_trade_no).cloned() else {
        return error(&shared, 404, "RESOURCE_NOT_EXISTS", "订单不存在");
    };
    if let Some(existing) = state.refunds.get(&key) {
        return json(
            &shared,
            &refund_object(&shared, existing, &trade.transaction_id, trade.amount_fen),
        );
    }
    if trade.status != Status::Paid {
        return error(&shared, 400, "INVALID_REQUEST", "订单未支付");
    }
    if ask.amount.total != trade.amount_fen {
        return error(&shared, 400, "PARAM_ERROR", "订单金额与原订单金额不一致");
    }
    if ask.amount.refund <= 0 || ask.amount.refund > trade.amount_fen - trade.refunded_fen {
        return error(&shared, 400, "NOT_ENOUGH", "申请退款金额超过订单可退金额");
    }
    let record = Refund {
        out_trade_no: ask.out_trade_no.clone(),
        out_refund_no: ask.out_refund_no.clone(),
        refund_id: format!("50300{:015}", shared.next()),
        amount_fen: ask.amount.refund,
        status: "PROCESSING",
        created_at: Utc::now(),
        success_at: None,
    };
    if let Some(t) = state.trade(Method::Wechat, &ask.out_trade_no) {
        t.refunded_fen += ask.amount.refund;
    }
    state.refunds.insert(key.clone(), record.clone());
    drop(state);
    let answer = json(
        &shared,
        &refund_object(&shared, &record, &trade.transaction_id, trade.amount_fen),
    );
    complete_refund(shared.into_inner(), key, ask.notify_url, trade);
    answer
}

/// The money arrives a moment later (a second of provider time): `SUCCESS`, then
/// `REFUND.SUCCESS` to the refund's notify_url (`ABNORMAL` and `REFUND.ABNORMAL` when the
/// trade's refunds were set to fail).
fn complete_refund(
    shared: Arc<Shared>,
    key: (Method, String, String),
    notify_url: String,
    trade: Trade,
) {
    actix_web::rt::spawn(async move {
        actix_web::rt::time::sleep(Duration::from_secs_f64(1.0 / shared.config.time_factor)).await;
        let (record, event) = {
            let mut state = shared.state();
            let fails = state
                .trade(Method::Wechat, &key.1)
                .is_some_and(|t| t.refunds_fail);
            let Some(r) = state.refunds.get_mut(&key) else {
                return;
            };
            if fails {
                r.status = "ABNORMAL";
            } else {
                r.status = "SUCCESS";
                r.success_at = Some(Utc::now());
            }
            let record = r.clone();
            if fails {
                // The money did not leave: it can be refunded again.
                if let Some(t) = state.trade(Method::Wechat, &key.1) {
                    t.refunded_fen -= record.amount_fen;
                }
            }
            (
                record,
                if fails {
                    "REFUND.ABNORMAL"
                } else {
                    "REFUND.SUCCESS"
                },
            )
        };
        let resource = refund_object(&shared, &record, &trade.transaction_id, trade.amount_fen);
        notify_wechat(shared, &notify_url, event, &resource, "refund");
    });
}

/// Sends a WeChat notification of `resource` to `url`.
pub fn notify_wechat(
    shared: Arc<Shared>,
    url: &str,
    event_type: &'static str,
    resource: &impl serde::Serialize,
    aad: &'static str,
) {
    let Ok(plaintext) = serde_json::to_string(resource) else {
        return;
    };
    let id = format!("EV-{}{:08}", Utc::now().format("%Y%m%d"), shared.next());
    let (s, event_id) = (shared.clone(), id.clone());
    let build: notify::Build = Box::new(move || {
        let body = notify::wechat_envelope(
            s.keys.apiv3_key.expose(),
            &event_id,
            event_type,
            &plaintext,
            &keys::nonce(12),
            aad,
        )?;
        let headers = notify::wechat_headers(
            &s.keys.wechat_platform,
            &s.config.wechat.platform_key_id,
            Utc::now().timestamp(),
            &keys::nonce(32),
            body.as_bytes(),
        )?;
        Ok((headers, body.into_bytes()))
    });
    notify::deliver(shared, Method::Wechat, url.to_owned(), id, build);
}

async fn query_refund(shared: Sandbox, req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, b"") {
        return refusal;
    }
    let state = shared.state();
    let found = state
        .refunds_of(Method::Wechat)
        .find(|r| r.out_refund_no == *path)
        .cloned();
    let Some(r) = found else {
        return error(&shared, 404, "RESOURCE_NOT_EXISTS", "退款单不存在");
    };
    let trade = state.trades.get(&(Method::Wechat, r.out_trade_no.clone()));
    let (tx, total) = trade.map_or((String::new(), 0), |t| {
        (t.transaction_id.clone(), t.amount_fen)
    });
    json(&shared, &refund_object(&shared, &r, &tx, total))
}

#[derive(serde::Deserialize)]
struct BillQuery {
    bill_date: Option<String>,
    token: Option<String>,
}

async fn trade_bill(shared: Sandbox, req: HttpRequest, q: web::Query<BillQuery>) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, b"") {
        return refusal;
    }
    let Some(day) = q
        .bill_date
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return error(&shared, 400, "PARAM_ERROR", "bill_date 格式错误");
    };
    let file = super::bills::wechat(&shared, day);
    let digest = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, file.as_bytes());
    json(
        &shared,
        &wx::BillInfo {
            hash_type: "SHA1".into(),
            hash_value: hex::encode(digest.as_ref()),
            download_url: format!("{}/v3/billdownload/file?token={day}", shared.base_url),
        },
    )
}

async fn download_bill(
    shared: Sandbox,
    req: HttpRequest,
    q: web::Query<BillQuery>,
) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, b"") {
        return refusal;
    }
    let Some(day) = q
        .token
        .as_deref()
        .and_then(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
    else {
        return error(&shared, 400, "PARAM_ERROR", "token 无效");
    };
    signed(
        &shared,
        200,
        super::bills::wechat(&shared, day).into_bytes(),
    )
}
