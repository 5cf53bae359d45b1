//! Payouts in the sandbox: Alipay `alipay.fund.trans.uni.transfer` and
//! `alipay.fund.trans.common.query` (called from the gateway), WeChat `POST
//! /v3/transfer/batches` and the detail query, both signature-checked like every other call.
//! Kept in memory, idempotent by our number (a repeat gets the same answer; the same number with
//! another amount, payee or title is refused as the providers do). Payouts to a payee named in
//! `POST /sandbox/fail-transfers {"payee_account"}` fail from then on (Alipay 40004
//! `PAYEE_NOT_EXIST`, WeChat detail `FAIL` with `ACCOUNT_NOT_EXIST`); `GET /sandbox/transfers`
//! lists them all. WeChat payouts finish at once: the batch answers `ACCEPTED`, its detail
//! already says `SUCCESS` (or `FAIL`).

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::Utc;
use serde::Deserialize;
use serde_json::{json, Value};

use super::alipay::business_error;
use super::state::{Shared, TransferRecord};
use super::wechat::{check, error, json as wx_json};
use crate::pay::alipay::fen;
use crate::pay::alipay::transfer::{BIZ_SCENE, PRODUCT_CODE};
use crate::pay::wechat::format_time;
use crate::pay::wechat::transfer::{
    TransferBatchAnswer, TransferBatchRequest, TransferDetail, USER_NAME_REQUIRED_FEN,
};
use crate::pay::{format_shanghai, Method};

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/v3/transfer/batches", web::post().to(wechat_transfer))
        .route(
            "/v3/transfer/batches/out-batch-no/{batch}/details/out-detail-no/{detail}",
            web::get().to(wechat_query),
        )
        .route("/sandbox/fail-transfers", web::post().to(fail_transfers))
        .route("/sandbox/transfers", web::get().to(list_transfers));
}

/// What a payout asks for, the part a repeat must match.
struct Ask<'a> {
    method: Method,
    out_biz_no: &'a str,
    out_detail_no: &'a str,
    amount_fen: i64,
    payee_account: &'a str,
    payee_name: &'a str,
    title: &'a str,
}

/// The same number used before with other parameters.
struct Conflict;

/// The payout recorded under the number: the one made before when the request repeats it,
/// else a new one, failed when its payee is set to fail.
fn record(shared: &Shared, ask: &Ask) -> Result<TransferRecord, Conflict> {
    let mut state = shared.state();
    let existing = state
        .transfers
        .iter()
        .find(|t| t.method == ask.method && t.out_biz_no == ask.out_biz_no);
    if let Some(t) = existing {
        let same = t.out_detail_no == ask.out_detail_no
            && t.amount_fen == ask.amount_fen
            && t.payee_account == ask.payee_account
            && t.payee_name == ask.payee_name
            && t.title == ask.title;
        return if same { Ok(t.clone()) } else { Err(Conflict) };
    }
    let failure = state
        .failing_payees
        .contains(ask.payee_account)
        .then(|| match ask.method {
            Method::Alipay => ("PAYEE_NOT_EXIST".to_owned(), "收款账号不存在".to_owned()),
            Method::Wechat => ("ACCOUNT_NOT_EXIST".to_owned(), "用户账户不存在".to_owned()),
        });
    let now = Utc::now();
    let (n, m) = (shared.next(), shared.next());
    let (transfer_id, fund_id) = match ask.method {
        Method::Alipay => {
            let day = now.format("%Y%m%d");
            (format!("{day}110070{n:018}"), format!("{day}110070{m:018}"))
        }
        Method::Wechat => (format!("1030000{n:033}"), format!("1040000{m:033}")),
    };
    let t = TransferRecord {
        method: ask.method,
        out_biz_no: ask.out_biz_no.to_owned(),
        out_detail_no: ask.out_detail_no.to_owned(),
        amount_fen: ask.amount_fen,
        payee_account: ask.payee_account.to_owned(),
        payee_name: ask.payee_name.to_owned(),
        title: ask.title.to_owned(),
        transfer_id,
        fund_id,
        failure,
        at: now,
    };
    state.transfers.push(t.clone());
    Ok(t)
}

fn find(shared: &Shared, method: Method, out_biz_no: &str) -> Option<TransferRecord> {
    shared
        .state()
        .transfers
        .iter()
        .find(|t| t.method == method && t.out_biz_no == out_biz_no)
        .cloned()
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

fn invalid(sub_msg: &str) -> Value {
    business_error("INVALID_PARAMETER", sub_msg)
}

/// `alipay.fund.trans.uni.transfer`: the biz content checked, the payout recorded.
pub fn alipay_transfer(shared: &Shared, biz: &Value) -> Value {
    if text(biz, "product_code") != PRODUCT_CODE || text(biz, "biz_scene") != BIZ_SCENE {
        return invalid("product_code 须为 TRANS_ACCOUNT_NO_PWD，biz_scene 须为 DIRECT_TRANSFER");
    }
    let Some(amount_fen) = fen(text(biz, "trans_amount")).filter(|f| *f > 0) else {
        return invalid("trans_amount 格式错误");
    };
    if amount_fen < 10 {
        return business_error("EXCEED_LIMIT_SM_MIN_AMOUNT", "单笔最低转账金额0.1元");
    }
    let payee = biz.get("payee_info").cloned().unwrap_or(Value::Null);
    let (identity, kind, name) = (
        text(&payee, "identity"),
        text(&payee, "identity_type"),
        text(&payee, "name"),
    );
    let named = match kind {
        "ALIPAY_LOGON_ID" => !name.is_empty(),
        "ALIPAY_USER_ID" => true,
        _ => false,
    };
    let out_biz_no = text(biz, "out_biz_no");
    if identity.is_empty() || !named || out_biz_no.is_empty() {
        return invalid("out_biz_no、payee_info（identity、identity_type、登录号时的 name）必填");
    }
    let ask = Ask {
        method: Method::Alipay,
        out_biz_no,
        out_detail_no: out_biz_no,
        amount_fen,
        payee_account: identity,
        payee_name: name,
        title: text(biz, "order_title"),
    };
    match record(shared, &ask) {
        Err(Conflict) => business_error(
            "PAYMENT_INFO_INCONSISTENCY",
            "两次请求商户单号一样，但是参数不一致",
        ),
        Ok(TransferRecord {
            failure: Some((code, message)),
            ..
        }) => business_error(&code, &message),
        Ok(t) => json!({
            "code": "10000", "msg": "Success", "out_biz_no": t.out_biz_no, "order_id": t.transfer_id,
            "pay_fund_order_id": t.fund_id, "status": "SUCCESS", "trans_date": format_shanghai(t.at),
        }),
    }
}

/// `alipay.fund.trans.common.query` by `out_biz_no` (with its product and scene).
pub fn alipay_query(shared: &Shared, biz: &Value) -> Value {
    if text(biz, "product_code") != PRODUCT_CODE || text(biz, "biz_scene") != BIZ_SCENE {
        return invalid("传入 out_biz_no 时 product_code、biz_scene 必填");
    }
    let Some(t) = find(shared, Method::Alipay, text(biz, "out_biz_no")) else {
        return business_error("ORDER_NOT_EXIST", "转账订单不存在");
    };
    let mut answer = json!({
        "code": "10000", "msg": "Success", "order_id": t.transfer_id, "out_biz_no": t.out_biz_no,
        "status": t.status(),
    });
    if let Some(map) = answer.as_object_mut() {
        match &t.failure {
            None => {
                map.insert("pay_fund_order_id".into(), t.fund_id.clone().into());
                map.insert("pay_date".into(), format_shanghai(t.at).into());
                map.insert(
                    "trans_amount".into(),
                    crate::pay::alipay::yuan(t.amount_fen).into(),
                );
            }
            Some((code, message)) => {
                map.insert("error_code".into(), code.clone().into());
                map.insert("fail_reason".into(), message.clone().into());
            }
        }
    }
    answer
}

fn alphanumeric(no: &str) -> bool {
    (5..=32).contains(&no.len()) && no.bytes().all(|b| b.is_ascii_alphanumeric())
}

/// Why a batch is refused with `PARAM_ERROR`, if it is (the sandbox takes one detail a batch).
fn batch_problem(shared: &Shared, batch: &TransferBatchRequest) -> Option<&'static str> {
    let [detail] = batch.transfer_detail_list.as_slice() else {
        return Some("沙箱每批只受理一笔明细");
    };
    if batch.appid != shared.config.wechat.appid {
        return Some("appid和mch_id不匹配");
    }
    if !alphanumeric(&batch.out_batch_no) || !alphanumeric(&detail.out_detail_no) {
        return Some("商家批次单号、明细单号只能由数字、大小写字母组成（5-32 位）");
    }
    if batch.total_num != 1
        || detail.transfer_amount <= 0
        || batch.total_amount != detail.transfer_amount
    {
        return Some("转账总金额、总笔数须与明细一致");
    }
    if detail.transfer_amount >= USER_NAME_REQUIRED_FEN && detail.user_name.is_none() {
        return Some("明细金额大于等于2000元时，收款用户姓名必填");
    }
    None
}

async fn wechat_transfer(
    shared: web::Data<Shared>,
    req: HttpRequest,
    body: web::Bytes,
) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, &body) {
        return refusal;
    }
    let Ok(batch) = serde_json::from_slice::<TransferBatchRequest>(&body) else {
        return error(&shared, 400, "PARAM_ERROR", "请求体格式错误");
    };
    if let Some(problem) = batch_problem(&shared, &batch) {
        return error(&shared, 400, "PARAM_ERROR", problem);
    }
    let Some(detail) = batch.transfer_detail_list.first() else {
        return error(&shared, 400, "PARAM_ERROR", "转账明细列表为空");
    };
    let ask = Ask {
        method: Method::Wechat,
        out_biz_no: &batch.out_batch_no,
        out_detail_no: &detail.out_detail_no,
        amount_fen: detail.transfer_amount,
        payee_account: &detail.openid,
        payee_name: "",
        title: &detail.transfer_remark,
    };
    match record(&shared, &ask) {
        Err(Conflict) => error(
            &shared,
            400,
            "INVALID_REQUEST",
            "请求重入时，参数与首次请求时不一致",
        ),
        Ok(t) => wx_json(
            &shared,
            &TransferBatchAnswer {
                out_batch_no: t.out_biz_no,
                batch_id: t.transfer_id,
                create_time: format_time(t.at),
                batch_status: Some("ACCEPTED".into()),
            },
        ),
    }
}

async fn wechat_query(
    shared: web::Data<Shared>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
) -> HttpResponse {
    if let Some(refusal) = check(&shared, &req, b"") {
        return refusal;
    }
    let (batch, detail) = path.into_inner();
    let Some(t) = find(&shared, Method::Wechat, &batch).filter(|t| t.out_detail_no == detail)
    else {
        return error(&shared, 404, "NOT_FOUND", "记录不存在");
    };
    let ids = &shared.config.wechat;
    wx_json(
        &shared,
        &TransferDetail {
            mchid: ids.mchid.clone(),
            out_batch_no: t.out_biz_no.clone(),
            batch_id: t.transfer_id.clone(),
            appid: ids.appid.clone(),
            out_detail_no: t.out_detail_no.clone(),
            detail_id: t.fund_id.clone(),
            detail_status: t.status().into(),
            transfer_amount: t.amount_fen,
            transfer_remark: t.title.clone(),
            fail_reason: t.failure.as_ref().map(|(code, _)| code.clone()),
            openid: t.payee_account.clone(),
            user_name: None,
            initiate_time: format_time(t.at),
            update_time: format_time(t.at),
        },
    )
}

#[derive(Deserialize)]
struct FailTransfersRequest {
    payee_account: String,
}

async fn fail_transfers(
    shared: web::Data<Shared>,
    body: web::Json<FailTransfersRequest>,
) -> HttpResponse {
    let payee = body.into_inner().payee_account;
    if payee.is_empty() {
        return HttpResponse::BadRequest()
            .json(json!({ "error": "say which payee: payee_account" }));
    }
    shared.state().failing_payees.insert(payee.clone());
    HttpResponse::Ok().json(json!({ "payee_account": payee, "transfers_fail": true }))
}

async fn list_transfers(shared: web::Data<Shared>) -> HttpResponse {
    let list: Vec<Value> = shared
        .transfers()
        .iter()
        .map(|t| {
            json!({"method": t.method, "out_biz_no": t.out_biz_no, "amount_fen": t.amount_fen,
                "payee_account": t.payee_account, "status": t.status()})
        })
        .collect();
    HttpResponse::Ok().json(list)
}
