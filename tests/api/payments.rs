//! Payments through the sandbox provider over real HTTP: the full loop, notifications delivered
//! many times at once, every kind of bad notification, refunds racing, unpaid orders closing,
//! prepaid bookings, and who may see and do what.

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use actix_web::http::StatusCode;
use chrono::Utc;
use serde_json::{json, Value};

use lifemarket::sandbox::notify;

use crate::helpers::booking::slot;
use crate::helpers::orders::drop_address;
use crate::helpers::payments::{client, sandbox, sandbox_pay, Served};
use crate::helpers::TestApp;

/// Polls `check` every 50 ms for up to 10 s until it holds.
async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..200 {
        if check().await {
            return;
        }
        actix_web::rt::time::sleep(StdDuration::from_millis(50)).await;
    }
    panic!("{what} did not happen within 10 s");
}

/// An order of the kitchen's first two items (total 4000 fen), awaiting its payment.
async fn unpaid_order(
    app: &TestApp,
    k: &crate::helpers::orders::Kitchen,
    c: &crate::helpers::TestUser,
) -> String {
    let res = app
        .order(c, json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
            "items": [{"service_id": k.items[0], "quantity": 2}, {"service_id": k.items[1], "quantity": 1}]}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["status"], "awaiting_payment");
    res.body["id"].as_str().unwrap().to_owned()
}

async fn order_status(app: &TestApp, c: &crate::helpers::TestUser, id: &str) -> String {
    let res = app
        .get(&format!("/api/v1/orders/{id}"))
        .bearer(&c.access)
        .send()
        .await;
    res.body["status"].as_str().unwrap_or_default().to_owned()
}

async fn payment(app: &TestApp, c: &crate::helpers::TestUser, id: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/payments/{id}"))
        .bearer(&c.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

#[actix_web::test]
async fn full_loop_pay_accept_refund_over_real_http() {
    let served = Served::spawn().await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(app, &k, &c).await;
    // The merchant does not see an unpaid order, and cannot accept it.
    let board = app
        .get(&format!("/api/v1/merchants/{}/orders", k.merchant))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(
        board.body["items"].as_array().unwrap().len(),
        0,
        "{}",
        board.text
    );
    let res = app.order_act(&k.owner, &order, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);

    let opened = app.open_payment(&c, "orders", &order, "wechat").await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    assert_eq!(opened.body["amount_cents"], 4000);
    assert_eq!(opened.body["status"], "pending");
    let params = &opened.body["sheet"]["params"];
    for field in [
        "appid",
        "partnerid",
        "prepayid",
        "package",
        "noncestr",
        "timestamp",
        "sign",
    ] {
        assert!(params[field].is_string(), "sheet lacks {field}: {params}");
    }
    // The consumer pays; the sandbox notifies the app over HTTP.
    sandbox_pay(&opened.body, false).await;
    eventually("the order is paid", async || {
        order_status(app, &c, &order).await == "placed"
    })
    .await;
    let pay_id = opened.body["id"].as_str().unwrap();
    let paid = payment(app, &c, pay_id).await;
    assert_eq!(paid["status"], "succeeded");
    assert!(paid["sheet"].is_null());
    assert_eq!(app.count("outbox_emails WHERE subject LIKE '新订单%'"), 1);

    let res = app.order_act(&k.owner, &order, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    // An operator refunds part of it; the refund job asks the sandbox, whose notification ends
    // the refund.
    let op = app.operator().await;
    let res = app
        .post(&format!("/api/v1/orders/{order}/refunds"))
        .bearer(&op.access)
        .json(json!({"amount_cents": 1500, "reason": "少送了一份"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.run_jobs().await;
    eventually("the refund succeeds", async || {
        let p = payment(app, &c, pay_id).await;
        p["refunds"][0]["status"] == "succeeded"
    })
    .await;
    let p = payment(app, &c, pay_id).await;
    assert_eq!(p["refunded_cents"], 1500);
    assert_eq!(p["refunds"].as_array().unwrap().len(), 1);
    let detail = app
        .get(&format!("/api/v1/orders/{order}"))
        .bearer(&c.access)
        .send()
        .await;
    assert_eq!(
        detail.body["refunds"][0]["status"], "succeeded",
        "{}",
        detail.text
    );
    // The sandbox delivered the payment and the refund notifications, each answered as WeChat
    // wants.
    let mine: Vec<_> = sandbox()
        .deliveries()
        .into_iter()
        .filter(|d| d.url.starts_with(&served.base_url))
        .collect();
    assert!(
        mine.len() >= 2 && mine.iter().all(|d| d.delivered),
        "{mine:?}"
    );
}

#[actix_web::test]
async fn alipay_pays_an_order_and_refunds_it_in_parts() {
    let served = Served::spawn().await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(app, &k, &c).await;
    let opened = app.open_payment(&c, "orders", &order, "alipay").await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    let order_string = opened.body["sheet"]["params"]["order_string"]
        .as_str()
        .unwrap();
    assert!(order_string.contains("sign="), "{order_string}");
    sandbox_pay(&opened.body, false).await;
    eventually("the order is paid", async || {
        order_status(app, &c, &order).await == "placed"
    })
    .await;
    // Two partial refunds: Alipay's notifications carry the trade's refunded total so far.
    let res = app.order_act(&k.owner, &order, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let op = app.operator().await;
    for amount in [1000, 500] {
        let res = app
            .post(&format!("/api/v1/orders/{order}/refunds"))
            .bearer(&op.access)
            .json(json!({"amount_cents": amount, "reason": "部分退款"}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        app.run_jobs().await;
    }
    let pay_id = opened.body["id"].as_str().unwrap();
    eventually("both refunds succeed", async || {
        let p = payment(app, &c, pay_id).await;
        p["refunds"]
            .as_array()
            .is_some_and(|r| r.len() == 2 && r.iter().all(|r| r["status"] == "succeeded"))
    })
    .await;
    assert_eq!(payment(app, &c, pay_id).await["refunded_cents"], 1500);
    // Cancelled after acceptance: the rest goes back.
    let res = app
        .order_act(&c, &order, "cancel", json!({"reason": "不要了"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.run_jobs().await;
    eventually("the rest is refunded", async || {
        let p = payment(app, &c, pay_id).await;
        p["refunds"]
            .as_array()
            .is_some_and(|r| r.len() == 3 && r.iter().all(|r| r["status"] == "succeeded"))
    })
    .await;
    assert_eq!(payment(app, &c, pay_id).await["refunded_cents"], 4000);
}

/// A WeChat Pay payment notification for `payment`, built as the sandbox builds them; `edit`
/// changes the decrypted resource first.
fn wechat_notice(payment: &Value, event_id: &str, edit: impl FnOnce(&mut Value)) -> String {
    let s = sandbox();
    let ids = &s.config().wechat;
    let mut resource = json!({
        "appid": ids.appid, "mchid": ids.mchid, "out_trade_no": payment["out_trade_no"],
        "transaction_id": format!("42000{}", &event_id.replace('-', "")[..20]),
        "trade_type": "APP", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
        "success_time": "2026-12-03T12:00:00+08:00",
        "amount": {"total": payment["amount_cents"], "payer_total": payment["amount_cents"],
                   "currency": "CNY", "payer_currency": "CNY"},
        "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"},
    });
    edit(&mut resource);
    notify::wechat_envelope(
        s.keys().apiv3_key.expose(),
        event_id,
        "TRANSACTION.SUCCESS",
        &resource.to_string(),
        "fdasfjihkSGH",
        "transaction",
    )
    .unwrap()
}

/// A notification's HTTP headers, as name-value pairs.
type Headers = Vec<(String, String)>;

fn signed_headers(body: &str, timestamp: i64) -> Headers {
    let s = sandbox();
    notify::wechat_headers(
        &s.keys().wechat_platform,
        &s.config().wechat.platform_key_id,
        timestamp,
        "5K8264ILTKCH16CQ2502SI8ZNMTM67VS",
        body.as_bytes(),
    )
    .unwrap()
}

async fn post_wechat(
    app: &TestApp,
    headers: &[(String, String)],
    body: &str,
) -> crate::helpers::Res {
    let mut req = app
        .post("/api/v1/payments/notify/wechat")
        .body("application/json", body.as_bytes().to_vec());
    for (name, value) in headers {
        req = req.header(name, value);
    }
    req.send().await
}

fn set(headers: &mut [(String, String)], name: &str, value: &str) {
    for (n, v) in headers.iter_mut() {
        if n.eq_ignore_ascii_case(name) {
            *v = value.to_owned();
        }
    }
}

#[actix_web::test]
async fn bad_notifications_are_refused_and_change_nothing() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(&app, &k, &c).await;
    let opened = app.open_payment(&c, "orders", &order, "wechat").await;
    let p = opened.body.clone();
    let now = Utc::now().timestamp();
    let fresh = || uuid::Uuid::new_v4().to_string();

    let mut cases: Vec<(&str, Headers, String)> = Vec::new();
    // A signature over another body.
    let body = wechat_notice(&p, &fresh(), |_| {});
    let mut h = signed_headers(&body, now);
    let other = signed_headers("{}", now);
    set(&mut h, "Wechatpay-Signature", &other[2].1);
    cases.push(("bad_signature", h, body));
    // The body changed after signing (the amount in the envelope's summary).
    let body = wechat_notice(&p, &fresh(), |_| {});
    let h = signed_headers(&body, now);
    cases.push(("bad_signature", h, body.replace("支付成功", "支付成功!")));
    // A key id we do not hold.
    let body = wechat_notice(&p, &fresh(), |_| {});
    let mut h = signed_headers(&body, now);
    set(
        &mut h,
        "Wechatpay-Serial",
        "PUB_KEY_ID_0000000000000000000000000000",
    );
    cases.push(("unknown_serial", h, body));
    // Ten minutes old.
    let body = wechat_notice(&p, &fresh(), |_| {});
    let h = signed_headers(&body, now - 600);
    cases.push(("stale_timestamp", h, body));
    // WeChat Pay's probe signature.
    let body = wechat_notice(&p, &fresh(), |_| {});
    let mut h = signed_headers(&body, now);
    set(
        &mut h,
        "Wechatpay-Signature",
        "WECHATPAY/SIGNTEST/9AC8B1F3B1F1C2A3",
    );
    cases.push(("probe_signature", h, body));
    // A ciphertext whose tag does not verify (one byte of it flipped, then signed).
    let body = wechat_notice(&p, &fresh(), |_| {});
    let mut envelope: Value = serde_json::from_str(&body).unwrap();
    let ct = envelope["resource"]["ciphertext"]
        .as_str()
        .unwrap()
        .to_owned();
    let (first, rest) = ct.split_at(1);
    let flipped = format!("{}{rest}", if first == "A" { "B" } else { "A" });
    envelope["resource"]["ciphertext"] = json!(flipped);
    let body = envelope.to_string();
    let h = signed_headers(&body, now);
    cases.push(("bad_ciphertext", h, body));
    // Another amount than the payment's.
    let body = wechat_notice(&p, &fresh(), |r| r["amount"]["total"] = json!(1));
    let h = signed_headers(&body, now);
    cases.push(("amount_mismatch", h, body));
    // An out_trade_no we never gave out.
    let body = wechat_notice(&p, &fresh(), |r| {
        r["out_trade_no"] = json!("0000000000000000000000000000dead")
    });
    let h = signed_headers(&body, now);
    cases.push(("unknown_payment", h, body));
    // Another app's payment.
    let body = wechat_notice(&p, &fresh(), |r| r["appid"] = json!("wx0000000000000000"));
    let h = signed_headers(&body, now);
    cases.push(("wrong_app", h, body));
    // Another merchant's.
    let body = wechat_notice(&p, &fresh(), |r| r["mchid"] = json!("1234567890"));
    let h = signed_headers(&body, now);
    cases.push(("wrong_merchant", h, body));
    // A transaction id the provider already gave another payment (one paid just now).
    let other_order = unpaid_order(&app, &k, &c).await;
    let other = app.open_payment(&c, "orders", &other_order, "wechat").await;
    let taken = "4200000000000000000000000042";
    let body = wechat_notice(&other.body, &fresh(), |r| {
        r["transaction_id"] = json!(taken)
    });
    let res = post_wechat(&app, &signed_headers(&body, now), &body).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let body = wechat_notice(&p, &fresh(), |r| r["transaction_id"] = json!(taken));
    let h = signed_headers(&body, now);
    cases.push(("transaction_mismatch", h, body));
    // No signature headers at all.
    let body = wechat_notice(&p, &fresh(), |_| {});
    cases.push(("malformed", Vec::new(), body));

    for (code, headers, body) in &cases {
        let res = post_wechat(&app, headers, body).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{code}: {}", res.text);
        assert_eq!(res.body["code"], "FAIL", "{code}: {}", res.text);
        assert_eq!(res.body["message"], *code, "{}", res.text);
    }
    let p_now = payment(&app, &c, p["id"].as_str().unwrap()).await;
    assert_eq!(p_now["status"], "pending");
    assert_eq!(order_status(&app, &c, &order).await, "awaiting_payment");
    // Each is in the inbox as received, with the reason.
    let op = app.operator().await;
    let refused = app
        .get("/api/v1/admin/payment-notifications?outcome=refused&limit=50")
        .bearer(&op.access)
        .send()
        .await;
    let flagged = app
        .get("/api/v1/admin/payment-notifications?limit=50")
        .bearer(&op.access)
        .send()
        .await;
    let reasons: Vec<String> = [&refused, &flagged]
        .iter()
        .flat_map(|r| r.body["items"].as_array().unwrap().clone())
        .map(|n| n["reason"].as_str().unwrap().to_owned())
        .collect();
    for (code, ..) in &cases {
        assert!(
            reasons.iter().any(|r| r == code),
            "{code} not in {reasons:?}"
        );
    }
    assert_eq!(reasons.len(), cases.len());
    assert_eq!(
        flagged.body["items"][0]["body"]
            .as_str()
            .map(|b| b.contains("resource")),
        Some(true)
    );

    // An Alipay notification with a bad signature, and one of another app.
    let s = sandbox();
    let ids = &s.config().alipay;
    let mut fields = BTreeMap::new();
    for (key, value) in [
        ("notify_id", fresh()),
        ("notify_type", "trade_status_sync".into()),
        ("notify_time", "2026-12-03 12:00:00".into()),
        ("app_id", ids.app_id.clone()),
        ("charset", "utf-8".into()),
        ("version", "1.0".into()),
        ("trade_no", "2026120322001400000000000001".into()),
        ("out_trade_no", p["out_trade_no"].as_str().unwrap().into()),
        ("trade_status", "TRADE_SUCCESS".into()),
        ("total_amount", "40.00".into()),
        ("seller_id", ids.seller_id.clone()),
        ("gmt_payment", "2026-12-03 12:00:00".into()),
    ] {
        fields.insert(key.to_owned(), value);
    }
    let form = notify::alipay_form(&s.keys().alipay_platform, &fields).unwrap();
    let tampered = form.replace("40.00", "0.01");
    let res = app
        .post("/api/v1/payments/notify/alipay")
        .body("application/x-www-form-urlencoded", tampered.into_bytes())
        .send()
        .await;
    assert_eq!(res.text, "fail");
    fields.insert("app_id".into(), "2021999999999999".into());
    let other_app = notify::alipay_form(&s.keys().alipay_platform, &fields).unwrap();
    let res = app
        .post("/api/v1/payments/notify/alipay")
        .body("application/x-www-form-urlencoded", other_app.into_bytes())
        .send()
        .await;
    assert_eq!(res.text, "fail");
    assert_eq!(order_status(&app, &c, &order).await, "awaiting_payment");

    // The genuine notification still works.
    let body = wechat_notice(&p, &fresh(), |_| {});
    let res = post_wechat(&app, &signed_headers(&body, now), &body).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert!(res.text.is_empty());
    assert_eq!(order_status(&app, &c, &order).await, "placed");
}

#[actix_web::test]
async fn notification_delivered_15_times_at_once_pays_once() {
    let served = Served::spawn().await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(app, &k, &c).await;
    let opened = app.open_payment(&c, "orders", &order, "wechat").await;
    let body = wechat_notice(&opened.body, &uuid::Uuid::new_v4().to_string(), |_| {});
    let headers = signed_headers(&body, Utc::now().timestamp());
    let url = served.url("/api/v1/payments/notify/wechat");
    let sends = (0..15).map(|_| {
        let mut req = client().post(&url).body(body.clone());
        for (name, value) in &headers {
            req = req.header(name, value);
        }
        req = req.header("content-type", "application/json");
        async move { req.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 204), "{statuses:?}");
    assert_eq!(order_status(app, &c, &order).await, "placed");
    let events = app
        .get(&format!("/api/v1/orders/{order}"))
        .bearer(&c.access)
        .send()
        .await;
    let pays = events.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "pay")
        .count();
    assert_eq!(pays, 1, "{}", events.text);
    let op = app.operator().await;
    let dup = app
        .get("/api/v1/admin/payment-notifications?outcome=duplicate&limit=50")
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(
        dup.body["items"].as_array().unwrap().len(),
        14,
        "{}",
        dup.text
    );
    let processed = app
        .get("/api/v1/admin/payment-notifications?outcome=processed&limit=50")
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(processed.body["items"].as_array().unwrap().len(), 1);
    // The merchant's members were told once.
    assert_eq!(app.count("outbox_emails WHERE subject LIKE '新订单%'"), 1);
}

#[actix_web::test]
async fn twenty_concurrent_refunds_never_exceed_the_payment() {
    let served = Served::spawn().await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let (order, _) = app.placed(&k, &c, "contactless").await;
    let res = app.order_act(&k.owner, &order, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let op = app.operator().await;
    let url = served.url(&format!("/api/v1/orders/{order}/refunds"));
    let sends = (0..20).map(|i| {
        let req = client()
            .post(&url)
            .bearer_auth(&op.access)
            .json(&json!({"amount_cents": 300, "reason": format!("补偿 {i}")}));
        async move { req.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(sends).await;
    let created = statuses.iter().filter(|s| **s == 201).count();
    let refused = statuses.iter().filter(|s| **s == 409).count();
    assert_eq!((created, refused), (13, 7), "{statuses:?}");
    app.run_jobs().await;
    let pays = app
        .get(&format!("/api/v1/orders/{order}"))
        .bearer(&c.access)
        .send()
        .await;
    let granted: i64 = pays.body["refunds"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["amount_cents"].as_i64().unwrap())
        .sum();
    assert_eq!(granted, 3900, "{}", pays.text);
    let exported = app.get("/api/v1/me/export").bearer(&c.access).send().await;
    let p = &exported.body["payments"][0];
    assert_eq!(p["refunded_cents"], 3900, "{p}");
    let refunds = p["refunds"].as_array().unwrap();
    assert_eq!(refunds.len(), 13);
    let total: i64 = refunds
        .iter()
        .map(|r| r["amount_cents"].as_i64().unwrap())
        .sum();
    assert!(total <= 4000);
    // Asking the provider for more than is left is refused by the database, not only the code.
    let mut conn = app.conn();
    use diesel::RunQueryDsl;
    let over = diesel::sql_query(format!(
        "UPDATE payments SET refunded_cents = refunded_cents + 200 WHERE id = '{}'",
        p["id"].as_str().unwrap()
    ))
    .execute(&mut conn);
    assert!(
        over.is_err(),
        "the CHECK must refuse refunds above the payment"
    );
}

#[actix_web::test]
async fn an_unpaid_order_closes_with_its_payment() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(&app, &k, &c).await;
    let opened = app.open_payment(&c, "orders", &order, "wechat").await;
    assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
    // Fifteen minutes later.
    assert_eq!(app.count("jobs WHERE kind = 'payments.due'"), 1);
    let mut conn = app.conn();
    use diesel::RunQueryDsl;
    diesel::sql_query("UPDATE jobs SET run_at = now() WHERE kind = 'payments.due'")
        .execute(&mut conn)
        .unwrap();
    app.run_jobs().await;
    assert_eq!(order_status(&app, &c, &order).await, "closed");
    let p = payment(&app, &c, opened.body["id"].as_str().unwrap()).await;
    assert_eq!(p["status"], "closed");
    // The sandbox closed it too: paying now fails.
    let res = client()
        .post(format!("{}/sandbox/pay", sandbox().base_url))
        .json(&json!({"method": "wechat", "out_trade_no": p["out_trade_no"]}))
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());
    // A closed order cannot be paid any more.
    let res = app.open_payment(&c, "orders", &order, "wechat").await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert_eq!(res.body["code"], "not_payable");
}

#[actix_web::test]
async fn a_payment_made_but_not_notified_is_found_at_the_deadline() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(&app, &k, &c).await;
    let opened = app.open_payment(&c, "orders", &order, "wechat").await;
    // Paid at the sandbox; its notification cannot reach this in-process app.
    sandbox_pay(&opened.body, false).await;
    let mut conn = app.conn();
    use diesel::RunQueryDsl;
    diesel::sql_query("UPDATE jobs SET run_at = now() WHERE kind = 'payments.due'")
        .execute(&mut conn)
        .unwrap();
    app.run_jobs().await;
    assert_eq!(order_status(&app, &c, &order).await, "placed");
}

#[actix_web::test]
async fn paying_refuses_what_it_must() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let stranger = app.consumer().await;
    let order = unpaid_order(&app, &k, &c).await;
    // Someone else's order, a merchant member, an unknown order: 404.
    for who in [&stranger, &k.owner] {
        let res = app.open_payment(who, "orders", &order, "wechat").await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
    }
    let res = app
        .open_payment(&c, "orders", &uuid::Uuid::now_v7().to_string(), "wechat")
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    // No key, a method that does not exist.
    let res = app
        .post(&format!("/api/v1/orders/{order}/payments"))
        .bearer(&c.access)
        .json(json!({"method": "wechat"}))
        .send()
        .await;
    assert_eq!(res.body["code"], "idempotency_key_required");
    let res = app
        .post(&format!("/api/v1/orders/{order}/payments"))
        .bearer(&c.access)
        .header("idempotency-key", "k1")
        .json(json!({"method": "paypal"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);

    let first = app.open_payment(&c, "orders", &order, "wechat").await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    // Asked again, the same open payment; the other provider waits.
    let again = app.open_payment(&c, "orders", &order, "wechat").await;
    assert_eq!(again.body["id"], first.body["id"]);
    let other = app.open_payment(&c, "orders", &order, "alipay").await;
    assert_eq!(other.status, StatusCode::CONFLICT, "{}", other.text);
    assert_eq!(other.body["code"], "payment_in_progress");
    // Only its consumer and operators read the payment.
    let pay_id = first.body["id"].as_str().unwrap();
    for who in [&stranger, &k.owner] {
        let res = app
            .get(&format!("/api/v1/payments/{pay_id}"))
            .bearer(&who.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let res = app
            .post(&format!("/api/v1/payments/{pay_id}/check"))
            .bearer(&who.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
    let op = app.operator().await;
    let res = app
        .get(&format!("/api/v1/payments/{pay_id}"))
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let res = app
        .get("/api/v1/admin/payment-notifications")
        .bearer(&c.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    // Paid, it is paid: no second payment.
    sandbox_pay(&first.body, false).await;
    let res = app
        .post(&format!("/api/v1/payments/{pay_id}/check"))
        .bearer(&c.access)
        .send()
        .await;
    assert_eq!(res.body["status"], "succeeded", "{}", res.text);
    let res = app.open_payment(&c, "orders", &order, "alipay").await;
    assert_eq!(res.body["code"], "not_payable", "{}", res.text);
    // A consumer who cancels an unpaid order closes it.
    let second = unpaid_order(&app, &k, &c).await;
    let res = app.order_act(&c, &second, "cancel", json!({})).await;
    assert_eq!(res.body["status"], "closed", "{}", res.text);
}

#[actix_web::test]
async fn a_provider_that_is_down_is_a_502_and_records_nothing_paid() {
    let app = TestApp::spawn_with(|c, _| {
        if let Some(w) = c.wechat_pay.as_mut() {
            w.api_base = "http://127.0.0.1:9".into();
        }
    })
    .await;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let order = unpaid_order(&app, &k, &c).await;
    let res = app.open_payment(&c, "orders", &order, "wechat").await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.text);
    assert_eq!(res.body["code"], "provider_unavailable");
    assert_eq!(order_status(&app, &c, &order).await, "awaiting_payment");
}

#[actix_web::test]
async fn a_prepaid_booking_is_paid_and_a_late_cancellation_keeps_the_fee() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let res = app
        .request("PUT".parse().unwrap(), &format!("/api/v1/merchants/{}/booking-settings", shop.merchant))
        .bearer(&shop.owner.access)
        .json(json!({"auto_accept": false, "min_notice_minutes": 0, "horizon_days": 30, "buffer_minutes": 0,
                     "slot_step_minutes": 30, "free_cancel_hours": 24, "late_cancel_fee_percent": 50,
                     "reschedule_limit": 2, "prepaid": true}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["prepaid"], true);
    let c = app.consumer().await;
    // Within the free-cancellation window's end: a late cancellation costs half.
    let booking = app.booking(&shop, &c, slot(5)).await;
    let res = app.act(&shop.owner, &booking, "confirm", json!({})).await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text);
    assert_eq!(res.body["code"], "payment_pending");
    let paid = app.pay(&c, "bookings", &booking, "wechat").await;
    assert_eq!(paid["amount_cents"], 10_000);
    let res = app.act(&shop.owner, &booking, "confirm", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert!(res.body["paid_at"].is_string());
    let res = app
        .act(&c, &booking, "cancel", json!({"reason": "临时有事"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    app.run_jobs().await;
    let p = payment(&app, &c, paid["id"].as_str().unwrap()).await;
    assert_eq!(p["refunded_cents"], 5_000, "{p}");

    // A booking of a merchant that is paid at the shop cannot be paid here.
    let other = app.shop(1, false).await;
    let b = app.booking(&other, &c, slot(30)).await;
    let res = app.open_payment(&c, "bookings", &b, "wechat").await;
    assert_eq!(res.body["code"], "not_prepaid", "{}", res.text);
}
