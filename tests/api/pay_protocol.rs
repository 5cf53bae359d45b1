//! The payment providers' protocols end to end: the `Providers` client against the sandbox over
//! real HTTP with real signatures, notifications delivered to a listener in the test. No
//! database.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use chrono::Utc;
use lifemarket::config::Config;
use lifemarket::pay::{
    self, keys, wechat, Charge, Method, Notice, Providers, RefundCall, RefundState, TradeState,
    Transfer, TransferState, Verified,
};
use lifemarket::sandbox::{self, notify, SandboxConfig};
use tokio::sync::mpsc;

fn providers(sb: &sandbox::Running) -> Providers {
    let mut config = Config::for_tests("postgres://unused@127.0.0.1/unused");
    config.wechat_pay = Some(sb.wechat_config());
    config.alipay = Some(sb.alipay_config());
    Providers::new(&config).unwrap()
}

/// A notify_url: verifies what arrives with `Providers::verify`, answers as the provider
/// wants, and hands each verified notice to the test. It refuses the first `fail_first` ones.
struct Listener {
    base: String,
    rx: mpsc::UnboundedReceiver<Verified>,
    hits: Arc<AtomicU32>,
}

struct Sink {
    providers: Providers,
    tx: mpsc::UnboundedSender<Verified>,
    hits: Arc<AtomicU32>,
    fail_first: u32,
}

async fn receive(
    sink: web::Data<Sink>,
    req: HttpRequest,
    path: web::Path<String>,
    body: web::Bytes,
) -> HttpResponse {
    let method = if path.as_str() == "wechat" {
        Method::Wechat
    } else {
        Method::Alipay
    };
    if sink.hits.fetch_add(1, Ordering::SeqCst) < sink.fail_first {
        return pay::answer(method, Err((500, "try again".into())));
    }
    match sink
        .providers
        .verify(method, req.headers(), &body, Utc::now())
    {
        Ok(verified) => {
            let _ = sink.tx.send(verified);
            pay::answer(method, Ok(()))
        }
        Err(refusal) => pay::answer(method, Err((401, refusal.as_code().into()))),
    }
}

async fn listener(providers: Providers, fail_first: u32) -> Listener {
    let (tx, rx) = mpsc::unbounded_channel();
    let hits = Arc::new(AtomicU32::new(0));
    let sink = web::Data::new(Sink {
        providers,
        tx,
        hits: hits.clone(),
        fail_first,
    });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(sink.clone())
            .route("/notify/{method}", web::post().to(receive))
    })
    .workers(1)
    .disable_signals()
    .bind(("127.0.0.1", 0))
    .unwrap();
    let base = format!("http://{}", server.addrs()[0]);
    actix_web::rt::spawn(server.run());
    Listener { base, rx, hits }
}

impl Listener {
    async fn next(&mut self) -> Verified {
        tokio::time::timeout(Duration::from_secs(5), self.rx.recv())
            .await
            .expect("a notification within 5 s")
            .unwrap()
    }
}

fn charge(listener: &Listener, method: Method, amount_fen: i64) -> Charge {
    Charge {
        out_trade_no: format!("LM{}", uuid::Uuid::new_v4().simple())
            .chars()
            .take(32)
            .collect(),
        description: "洗衣 2 件".into(),
        amount_fen,
        expires_at: Utc::now() + chrono::Duration::minutes(30),
        notify_url: format!("{}/notify/{method}", listener.base),
    }
}

async fn sandbox_pay(sb: &sandbox::Running, body: serde_json::Value) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{}/sandbox/pay", sb.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

fn refund(charge: &Charge, no: &str, amount_fen: i64) -> RefundCall {
    RefundCall {
        out_trade_no: charge.out_trade_no.clone(),
        out_refund_no: no.into(),
        amount_fen,
        total_fen: charge.amount_fen,
        reason: "顾客取消".into(),
        notify_url: charge.notify_url.clone(),
    }
}

fn today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

#[actix_web::test]
async fn a_wechat_payment_is_created_paid_notified_refunded_and_billed() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let mut l = listener(p.clone(), 0).await;
    let c = charge(&l, Method::Wechat, 1000);

    let sheet = p.create(Method::Wechat, &c).await.unwrap();
    let params = &sheet.params;
    let message = wechat::app_sheet_message(
        params["appid"].as_str().unwrap(),
        params["timestamp"].as_str().unwrap().parse().unwrap(),
        params["noncestr"].as_str().unwrap(),
        &sheet.prepay_id,
    );
    let merchant = keys::Verifier::from_pem(
        &std::fs::read_to_string("tests/keys/wechat-merchant.pub.pem").unwrap(),
    )
    .unwrap();
    assert!(
        merchant.verify(message.as_bytes(), params["sign"].as_str().unwrap()),
        "the APP sheet is signed"
    );
    assert_eq!(
        p.create(Method::Wechat, &c).await.unwrap().prepay_id,
        sheet.prepay_id,
        "a repeat is the same prepay"
    );
    assert_eq!(
        p.query(Method::Wechat, &c.out_trade_no).await.unwrap(),
        TradeState::Pending
    );
    assert_eq!(
        p.query(Method::Wechat, "LMnosuchtrade").await.unwrap(),
        TradeState::Unknown
    );

    assert_eq!(
        sandbox_pay(
            &sb,
            serde_json::json!({"method": "wechat", "out_trade_no": c.out_trade_no})
        )
        .await,
        200
    );
    let Notice::Payment(paid) = l.next().await.notice else {
        panic!("not a payment")
    };
    assert_eq!(
        (paid.out_trade_no.as_str(), paid.amount_fen),
        (c.out_trade_no.as_str(), 1000)
    );
    assert_eq!(
        p.query(Method::Wechat, &c.out_trade_no).await.unwrap(),
        TradeState::Paid(paid.clone())
    );
    assert!(
        p.close(Method::Wechat, &c.out_trade_no).await.is_err(),
        "a paid trade does not close"
    );

    let first = p
        .refund(Method::Wechat, &refund(&c, "R1", 300))
        .await
        .unwrap();
    let RefundState::Processing { refund_id } = first else {
        panic!("{first:?}")
    };
    let Notice::Refund {
        out_refund_no,
        refund_id: notified,
        amount_fen,
        succeeded,
        ..
    } = l.next().await.notice
    else {
        panic!()
    };
    assert_eq!(
        (
            out_refund_no.as_str(),
            notified.as_str(),
            amount_fen,
            succeeded
        ),
        ("R1", refund_id.as_str(), 300, true)
    );
    assert!(matches!(
        p.query_refund(Method::Wechat, &c.out_trade_no, "R1")
            .await
            .unwrap(),
        RefundState::Succeeded { .. }
    ));
    let over = p
        .refund(Method::Wechat, &refund(&c, "R2", 701))
        .await
        .unwrap();
    assert!(
        matches!(over, RefundState::Failed { ref reason } if reason.contains("NOT_ENOUGH")),
        "{over:?}"
    );
    let again = p
        .refund(Method::Wechat, &refund(&c, "R1", 300))
        .await
        .unwrap();
    assert!(
        matches!(again, RefundState::Succeeded { refund_id: ref id, .. } if *id == refund_id),
        "{again:?}"
    );
    assert!(matches!(
        p.query_refund(Method::Wechat, &c.out_trade_no, "R2")
            .await
            .unwrap(),
        RefundState::Failed { .. }
    ));

    let bill = p.trade_bill(Method::Wechat, today()).await.unwrap();
    let mine: Vec<_> = bill
        .iter()
        .filter(|line| line.out_trade_no == c.out_trade_no)
        .collect();
    assert_eq!(mine.len(), 2, "{bill:?}");
    assert_eq!(
        (mine[0].amount_fen, mine[0].transaction_id.as_str()),
        (1000, paid.transaction_id.as_str())
    );
    assert_eq!(
        (mine[1].amount_fen, mine[1].refund_id.as_deref()),
        (300, Some(refund_id.as_str()))
    );

    let unpaid = charge(&l, Method::Wechat, 50);
    p.create(Method::Wechat, &unpaid).await.unwrap();
    p.close(Method::Wechat, &unpaid.out_trade_no).await.unwrap();
    assert_eq!(
        p.query(Method::Wechat, &unpaid.out_trade_no).await.unwrap(),
        TradeState::Closed
    );
    p.close(Method::Wechat, "LMneveropened").await.unwrap();
}

#[actix_web::test]
async fn an_alipay_payment_is_signed_locally_paid_notified_refunded_and_billed() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let mut l = listener(p.clone(), 0).await;
    let c = charge(&l, Method::Alipay, 8888);

    let sheet = p.create(Method::Alipay, &c).await.unwrap();
    let order_string = sheet.params["order_string"].as_str().unwrap().to_owned();
    assert_eq!(
        p.query(Method::Alipay, &c.out_trade_no).await.unwrap(),
        TradeState::Unknown,
        "no call until the SDK opens it"
    );
    p.close(Method::Alipay, &c.out_trade_no).await.unwrap();
    let tampered = order_string.replace("88.88", "0.01");
    assert_eq!(
        sandbox_pay(
            &sb,
            serde_json::json!({"method": "alipay", "order_string": tampered})
        )
        .await,
        400
    );
    assert_eq!(
        sandbox_pay(
            &sb,
            serde_json::json!({"method": "alipay", "order_string": order_string})
        )
        .await,
        200
    );
    let Notice::Payment(paid) = l.next().await.notice else {
        panic!("not a payment")
    };
    assert_eq!(paid.amount_fen, 8888);
    assert_eq!(
        p.query(Method::Alipay, &c.out_trade_no).await.unwrap(),
        TradeState::Paid(paid.clone())
    );
    assert!(
        p.close(Method::Alipay, &c.out_trade_no).await.is_err(),
        "a paid trade does not close"
    );

    let done = p
        .refund(Method::Alipay, &refund(&c, "R1", 1000))
        .await
        .unwrap();
    let RefundState::Succeeded { refund_id, .. } = done else {
        panic!("{done:?}")
    };
    let Notice::Refund {
        out_refund_no,
        amount_fen,
        refund_id: notified,
        ..
    } = l.next().await.notice
    else {
        panic!()
    };
    assert_eq!(
        (out_refund_no.as_str(), amount_fen, notified),
        ("R1", 1000, refund_id.clone())
    );
    let over = p
        .refund(Method::Alipay, &refund(&c, "R2", 7889))
        .await
        .unwrap();
    assert!(
        matches!(over, RefundState::Failed { ref reason } if reason.contains("ACQ.REFUND_AMT_NOT_EQUAL_TOTAL")),
        "{over:?}"
    );
    let again = p
        .refund(Method::Alipay, &refund(&c, "R1", 1000))
        .await
        .unwrap();
    assert!(
        matches!(again, RefundState::Succeeded { refund_id: ref id, .. } if *id == refund_id),
        "{again:?}"
    );
    assert!(matches!(
        p.query_refund(Method::Alipay, &c.out_trade_no, "R2")
            .await
            .unwrap(),
        RefundState::Failed { .. }
    ));

    let bill = p.trade_bill(Method::Alipay, today()).await.unwrap();
    let mine: Vec<_> = bill
        .iter()
        .filter(|line| line.out_trade_no == c.out_trade_no)
        .collect();
    assert_eq!(mine.len(), 2, "{bill:?}");
    assert_eq!(
        (mine[0].amount_fen, mine[0].transaction_id.as_str()),
        (8888, paid.transaction_id.as_str())
    );
    assert_eq!(
        (mine[1].amount_fen, mine[1].refund_id.as_deref()),
        (1000, Some(refund_id.as_str()))
    );

    let failing = charge(&l, Method::Alipay, 100);
    let order = p.create(Method::Alipay, &failing).await.unwrap().params["order_string"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        sandbox_pay(
            &sb,
            serde_json::json!({"method": "alipay", "order_string": order, "fail": true})
        )
        .await,
        200
    );
    assert_eq!(
        l.next().await.notice,
        Notice::PaymentClosed {
            out_trade_no: failing.out_trade_no.clone()
        }
    );
    assert_eq!(
        p.query(Method::Alipay, &failing.out_trade_no)
            .await
            .unwrap(),
        TradeState::Closed
    );
}

#[actix_web::test]
async fn notifications_are_retried_on_the_schedule_until_answered() {
    let sb = sandbox::start(SandboxConfig {
        time_factor: 100.0,
        ..SandboxConfig::for_tests()
    })
    .unwrap();
    let p = providers(&sb);
    let mut l = listener(p.clone(), 2).await;
    let c = charge(&l, Method::Wechat, 200);
    p.create(Method::Wechat, &c).await.unwrap();
    sandbox_pay(
        &sb,
        serde_json::json!({"method": "wechat", "out_trade_no": c.out_trade_no}),
    )
    .await;
    // Two refusals, then retries after 15 s and 15 s of provider time: 0.3 s here.
    assert!(matches!(l.next().await.notice, Notice::Payment(_)));
    assert_eq!(l.hits.load(Ordering::SeqCst), 3);
    let delivery = sb
        .deliveries()
        .into_iter()
        .find(|d| d.url.starts_with(&l.base))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(50)).await;
    let delivery = sb
        .deliveries()
        .into_iter()
        .find(|d| d.event_key == delivery.event_key)
        .unwrap();
    assert_eq!((delivery.attempts, delivery.delivered), (3, true));
    assert_eq!(
        notify::WECHAT_RETRIES.iter().sum::<u64>(),
        86_640,
        "about 24 h of retries"
    );
}

#[actix_web::test]
async fn a_wechat_notification_tampered_after_signing_is_refused() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let (keys, ids) = (sb.keys(), &sb.config().wechat);
    let plain = serde_json::json!({"appid": ids.appid, "mchid": ids.mchid, "out_trade_no": "LM1",
        "transaction_id": "4200", "trade_state": "SUCCESS", "success_time": wechat::format_time(Utc::now()),
        "amount": {"total": 100, "currency": "CNY"}}).to_string();
    let build = |body: &str, serial: &str, at: i64, signature: Option<&str>| {
        let mut headers = actix_web::http::header::HeaderMap::new();
        for (k, v) in
            notify::wechat_headers(&keys.wechat_platform, serial, at, "n0nce", body.as_bytes())
                .unwrap()
        {
            let v = if k == "Wechatpay-Signature" {
                signature.unwrap_or(&v).to_owned()
            } else {
                v
            };
            headers.insert(k.parse().unwrap(), v.parse().unwrap());
        }
        headers
    };
    let verify = |headers, body: &str| {
        p.verify(Method::Wechat, &headers, body.as_bytes(), Utc::now())
            .map(|_| ())
    };
    let body = notify::wechat_envelope(
        keys.apiv3_key.expose(),
        "EV-1",
        "TRANSACTION.SUCCESS",
        &plain,
        "abcdefghijkl",
        "transaction",
    )
    .unwrap();
    let now = Utc::now().timestamp();
    assert_eq!(
        verify(build(&body, &ids.platform_key_id, now, None), &body),
        Ok(())
    );
    let changed = body.replace("EV-1", "EV-2");
    assert_eq!(
        verify(build(&body, &ids.platform_key_id, now, None), &changed),
        Err(pay::Refusal::BadSignature)
    );
    assert_eq!(
        verify(build(&body, "PUB_KEY_ID_OTHER", now, None), &body),
        Err(pay::Refusal::UnknownSerial)
    );
    assert_eq!(
        verify(build(&body, &ids.platform_key_id, now - 301, None), &body),
        Err(pay::Refusal::StaleTimestamp)
    );
    assert_eq!(
        verify(
            build(
                &body,
                &ids.platform_key_id,
                now,
                Some("WECHATPAY/SIGNTEST/x")
            ),
            &body
        ),
        Err(pay::Refusal::Probe)
    );
    let bad_tag = notify::wechat_envelope(
        keys.apiv3_key.expose(),
        "EV-1",
        "TRANSACTION.SUCCESS",
        &plain,
        "abcdefghijkl",
        "refund",
    )
    .unwrap()
    .replace(
        "\"associated_data\":\"refund\"",
        "\"associated_data\":\"transaction\"",
    );
    assert_eq!(
        verify(build(&bad_tag, &ids.platform_key_id, now, None), &bad_tag),
        Err(pay::Refusal::BadCiphertext)
    );
}

#[actix_web::test]
async fn requests_and_answers_signed_with_the_wrong_key_are_refused_both_ways() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let with = |wechat: lifemarket::config::WechatPayConfig,
                alipay: lifemarket::config::AlipayConfig| {
        let mut config = Config::for_tests("postgres://unused@127.0.0.1/unused");
        config.wechat_pay = Some(wechat);
        config.alipay = Some(alipay);
        Providers::new(&config).unwrap()
    };
    let wrong = || format!("{}/tests/keys/wrong.key.pem", env!("CARGO_MANIFEST_DIR"));
    let wrong_pub = || format!("{}/tests/keys/wrong.pub.pem", env!("CARGO_MANIFEST_DIR"));

    // Our requests signed with a key the provider does not know: the provider refuses them.
    let bad_requests = with(
        lifemarket::config::WechatPayConfig {
            merchant_key_file: wrong(),
            ..sb.wechat_config()
        },
        lifemarket::config::AlipayConfig {
            app_key_file: wrong(),
            ..sb.alipay_config()
        },
    );
    let err = bad_requests.query(Method::Wechat, "LM1").await.unwrap_err();
    assert!(err.reason.contains("SIGN_ERROR"), "{err}");
    let err = bad_requests.query(Method::Alipay, "LM1").await.unwrap_err();
    assert!(err.reason.contains("isv.invalid-signature"), "{err}");

    // Answers checked with another key than the provider's: we refuse them.
    let bad_answers = with(
        lifemarket::config::WechatPayConfig {
            platform_key_file: wrong_pub(),
            ..sb.wechat_config()
        },
        lifemarket::config::AlipayConfig {
            public_key_file: wrong_pub(),
            ..sb.alipay_config()
        },
    );
    let err = bad_answers.query(Method::Wechat, "LM1").await.unwrap_err();
    assert!(err.reason.contains("bad_signature"), "{err}");
    let err = bad_answers.query(Method::Alipay, "LM1").await.unwrap_err();
    assert!(err.reason.contains("signature does not verify"), "{err}");
    let other_serial = with(
        lifemarket::config::WechatPayConfig {
            platform_key_id: "PUB_KEY_ID_OTHER".into(),
            ..sb.wechat_config()
        },
        sb.alipay_config(),
    );
    let err = other_serial.query(Method::Wechat, "LM1").await.unwrap_err();
    assert!(err.reason.contains("unknown_serial"), "{err}");
}

#[actix_web::test]
async fn refunds_the_provider_fails_are_answered_and_notified_as_failed() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let mut l = listener(p.clone(), 0).await;
    let c = charge(&l, Method::Wechat, 500);
    p.create(Method::Wechat, &c).await.unwrap();
    sandbox_pay(
        &sb,
        serde_json::json!({"method": "wechat", "out_trade_no": c.out_trade_no}),
    )
    .await;
    assert!(matches!(l.next().await.notice, Notice::Payment(_)));
    let switch = reqwest::Client::new()
        .post(format!("{}/sandbox/fail-refunds", sb.base_url))
        .json(&serde_json::json!({"method": "wechat", "out_trade_no": c.out_trade_no}))
        .send()
        .await
        .unwrap();
    assert_eq!(switch.status(), 200);
    let asked = p
        .refund(Method::Wechat, &refund(&c, "R1", 500))
        .await
        .unwrap();
    assert!(matches!(asked, RefundState::Processing { .. }), "{asked:?}");
    let Notice::Refund {
        succeeded,
        amount_fen,
        ..
    } = l.next().await.notice
    else {
        panic!()
    };
    assert_eq!((succeeded, amount_fen), (false, 500));
    let state = p
        .query_refund(Method::Wechat, &c.out_trade_no, "R1")
        .await
        .unwrap();
    assert!(
        matches!(state, RefundState::Failed { ref reason } if reason.contains("ABNORMAL")),
        "{state:?}"
    );

    let a = charge(&l, Method::Alipay, 500);
    let order = p.create(Method::Alipay, &a).await.unwrap().params["order_string"]
        .as_str()
        .unwrap()
        .to_owned();
    sandbox_pay(
        &sb,
        serde_json::json!({"method": "alipay", "order_string": order}),
    )
    .await;
    assert!(matches!(l.next().await.notice, Notice::Payment(_)));
    reqwest::Client::new()
        .post(format!("{}/sandbox/fail-refunds", sb.base_url))
        .json(&serde_json::json!({"method": "alipay", "out_trade_no": a.out_trade_no}))
        .send()
        .await
        .unwrap();
    let asked = p
        .refund(Method::Alipay, &refund(&a, "R1", 100))
        .await
        .unwrap();
    assert!(
        matches!(asked, RefundState::Failed { ref reason } if reason.contains("ACQ.SYSTEM_ERROR")),
        "{asked:?}"
    );
}

#[actix_web::test]
async fn a_trade_past_its_time_expire_cannot_be_paid() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let l = listener(p.clone(), 0).await;
    let mut late = charge(&l, Method::Wechat, 100);
    late.expires_at = Utc::now() - chrono::Duration::seconds(1);
    p.create(Method::Wechat, &late).await.unwrap();
    assert_eq!(
        sandbox_pay(
            &sb,
            serde_json::json!({"method": "wechat", "out_trade_no": late.out_trade_no})
        )
        .await,
        409
    );
    let mut late = charge(&l, Method::Alipay, 100);
    late.expires_at = Utc::now() - chrono::Duration::seconds(1);
    let order = p.create(Method::Alipay, &late).await.unwrap().params["order_string"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        sandbox_pay(
            &sb,
            serde_json::json!({"method": "alipay", "order_string": order})
        )
        .await,
        409
    );
    assert_eq!(
        p.query(Method::Alipay, &late.out_trade_no).await.unwrap(),
        TradeState::Pending
    );
}

fn payout(payee_account: &str, amount_fen: i64) -> Transfer {
    Transfer {
        out_biz_no: format!("PO{}", uuid::Uuid::new_v4().simple())
            .chars()
            .take(32)
            .collect(),
        amount_fen,
        payee_account: payee_account.into(),
        payee_name: "张三".into(),
        title: "lifemarket 结算 2026-12-03".into(),
    }
}

/// The payee of each method: an Alipay logon id, a WeChat openid.
fn payee(method: Method) -> &'static str {
    match method {
        Method::Alipay => "shop@example.cn",
        Method::Wechat => "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
    }
}

async fn sandbox_post(
    sb: &sandbox::Running,
    path: &str,
    body: serde_json::Value,
) -> reqwest::StatusCode {
    reqwest::Client::new()
        .post(format!("{}{path}", sb.base_url))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
}

#[actix_web::test]
async fn a_transfer_succeeds_with_each_method_and_the_query_agrees() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    for method in [Method::Alipay, Method::Wechat] {
        let t = payout(payee(method), 12_345);
        let answer = p.transfer(method, &t).await.unwrap();
        let queried = p.query_transfer(method, &t.out_biz_no).await.unwrap();
        let TransferState::Succeeded { transfer_id, at } = &queried else {
            panic!("{method}: {queried:?}")
        };
        assert!((Utc::now() - *at).num_seconds().abs() < 5, "{at}");
        match (method, &answer) {
            // Alipay pays to an Alipay account at once; the query agrees, to the second.
            (Method::Alipay, TransferState::Succeeded { .. }) => assert_eq!(answer, queried),
            // WeChat accepts the batch; its detail says SUCCESS (at once, in the sandbox).
            (Method::Wechat, TransferState::Processing { transfer_id: batch }) => {
                assert_eq!(batch, transfer_id)
            }
            _ => panic!("{method}: {answer:?}"),
        }
        let err = p
            .query_transfer(method, "POneversent000001")
            .await
            .unwrap_err();
        assert!(err.reason.contains("same out_biz_no"), "{err}");
    }
    let listed: serde_json::Value = reqwest::get(format!("{}/sandbox/transfers", sb.base_url))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 2, "{listed}");
    assert_eq!(
        (
            &listed[0]["method"],
            &listed[0]["amount_fen"],
            &listed[0]["payee_account"],
            &listed[0]["status"]
        ),
        (
            &serde_json::json!("alipay"),
            &serde_json::json!(12_345),
            &serde_json::json!("shop@example.cn"),
            &serde_json::json!("SUCCESS")
        )
    );
    assert_eq!(listed[1]["method"], "wechat");
}

#[actix_web::test]
async fn the_same_out_biz_no_twice_pays_once() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    for method in [Method::Alipay, Method::Wechat] {
        let t = payout(payee(method), 5_000);
        let first = p.transfer(method, &t).await.unwrap();
        assert_eq!(p.transfer(method, &t).await.unwrap(), first, "{method}");
        let other_amount = Transfer {
            amount_fen: 5_001,
            ..t.clone()
        };
        let err = p.transfer(method, &other_amount).await.unwrap_err();
        let expected = match method {
            Method::Alipay => "PAYMENT_INFO_INCONSISTENCY",
            Method::Wechat => "INVALID_REQUEST",
        };
        assert!(err.reason.contains(expected), "{err}");
        let paid: Vec<_> = sb
            .transfers()
            .into_iter()
            .filter(|r| r.method == method && r.out_biz_no == t.out_biz_no)
            .collect();
        assert_eq!(paid.len(), 1, "{paid:?}");
        assert_eq!(paid[0].amount_fen, 5_000);
    }
}

#[actix_web::test]
async fn a_transfer_to_a_failing_payee_is_failed_with_the_reason() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    for method in [Method::Alipay, Method::Wechat] {
        let switch = serde_json::json!({"payee_account": payee(method)});
        assert_eq!(
            sandbox_post(&sb, "/sandbox/fail-transfers", switch).await,
            200
        );
        let t = payout(payee(method), 800);
        let answer = p.transfer(method, &t).await.unwrap();
        let queried = p.query_transfer(method, &t.out_biz_no).await.unwrap();
        match method {
            Method::Alipay => {
                assert!(
                    matches!(answer, TransferState::Failed { ref reason } if reason.contains("PAYEE_NOT_EXIST")),
                    "{answer:?}"
                );
                assert!(
                    matches!(queried, TransferState::Failed { ref reason } if reason.contains("PAYEE_NOT_EXIST")),
                    "{queried:?}"
                );
            }
            Method::Wechat => {
                assert!(
                    matches!(answer, TransferState::Processing { .. }),
                    "{answer:?}"
                );
                assert_eq!(
                    queried,
                    TransferState::Failed {
                        reason: "ACCOUNT_NOT_EXIST".into()
                    }
                );
            }
        }
        let other = payout("someoneelse@example.cn", 800);
        let fine = p.transfer(method, &other).await.unwrap();
        assert!(!matches!(fine, TransferState::Failed { .. }), "{fine:?}");
    }
    let statuses: Vec<_> = sb.transfers().iter().map(|t| t.status()).collect();
    assert_eq!(statuses, ["FAIL", "SUCCESS", "FAIL", "SUCCESS"]);
}

#[actix_web::test]
async fn a_transfer_signed_with_the_wrong_key_is_refused_by_the_sandbox() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let wrong = format!("{}/tests/keys/wrong.key.pem", env!("CARGO_MANIFEST_DIR"));
    let mut config = Config::for_tests("postgres://unused@127.0.0.1/unused");
    config.wechat_pay = Some(lifemarket::config::WechatPayConfig {
        merchant_key_file: wrong.clone(),
        ..sb.wechat_config()
    });
    config.alipay = Some(lifemarket::config::AlipayConfig {
        app_key_file: wrong,
        ..sb.alipay_config()
    });
    let forged = Providers::new(&config).unwrap();
    let err = forged
        .transfer(Method::Wechat, &payout(payee(Method::Wechat), 100))
        .await
        .unwrap_err();
    assert!(err.reason.contains("SIGN_ERROR"), "{err}");
    let err = forged
        .transfer(Method::Alipay, &payout(payee(Method::Alipay), 100))
        .await
        .unwrap_err();
    assert!(err.reason.contains("isv.invalid-signature"), "{err}");
    let err = forged
        .query_transfer(Method::Wechat, "POanything0001")
        .await
        .unwrap_err();
    assert!(err.reason.contains("SIGN_ERROR"), "{err}");
    assert!(sb.transfers().is_empty(), "nothing was paid");
}

#[actix_web::test]
async fn a_payment_with_notify_false_is_paid_but_sends_no_notification() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let l = listener(p.clone(), 0).await;
    let w = charge(&l, Method::Wechat, 300);
    p.create(Method::Wechat, &w).await.unwrap();
    let body =
        serde_json::json!({"method": "wechat", "out_trade_no": w.out_trade_no, "notify": false});
    assert_eq!(sandbox_pay(&sb, body).await, 200);
    let a = charge(&l, Method::Alipay, 400);
    let order = p.create(Method::Alipay, &a).await.unwrap().params["order_string"]
        .as_str()
        .unwrap()
        .to_owned();
    let body = serde_json::json!({"method": "alipay", "order_string": order, "notify": false});
    assert_eq!(sandbox_pay(&sb, body).await, 200);
    // Long enough for a notification and its first retries (WeChat's 15 s are 1.5 ms here).
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(sb.deliveries().is_empty(), "{:?}", sb.deliveries());
    assert_eq!(l.hits.load(Ordering::SeqCst), 0);
    for (method, c) in [(Method::Wechat, &w), (Method::Alipay, &a)] {
        let state = p.query(method, &c.out_trade_no).await.unwrap();
        assert!(
            matches!(state, TradeState::Paid(ref paid) if paid.amount_fen == c.amount_fen),
            "{method}: {state:?}"
        );
    }
}

#[actix_web::test]
async fn bill_amount_changes_the_trade_bill_line() {
    let sb = sandbox::start(SandboxConfig::for_tests()).unwrap();
    let p = providers(&sb);
    let l = listener(p.clone(), 0).await;
    let w = charge(&l, Method::Wechat, 1000);
    p.create(Method::Wechat, &w).await.unwrap();
    let pay =
        serde_json::json!({"method": "wechat", "out_trade_no": w.out_trade_no, "notify": false});
    sandbox_pay(&sb, pay).await;
    let a = charge(&l, Method::Alipay, 2000);
    let order = p.create(Method::Alipay, &a).await.unwrap().params["order_string"]
        .as_str()
        .unwrap()
        .to_owned();
    let pay = serde_json::json!({"method": "alipay", "order_string": order, "notify": false});
    sandbox_pay(&sb, pay).await;
    for (method, c, billed) in [(Method::Wechat, &w, 990), (Method::Alipay, &a, 1990)] {
        let line = |bill: &[lifemarket::pay::BillLine]| {
            bill.iter()
                .find(|line| line.out_trade_no == c.out_trade_no)
                .map(|line| line.amount_fen)
        };
        let before = p.trade_bill(method, today()).await.unwrap();
        assert_eq!(line(&before), Some(c.amount_fen), "{method}");
        let change = serde_json::json!({"method": method, "out_trade_no": c.out_trade_no, "amount_fen": billed});
        assert_eq!(sandbox_post(&sb, "/sandbox/bill-amount", change).await, 200);
        let after = p.trade_bill(method, today()).await.unwrap();
        assert_eq!(line(&after), Some(billed), "{method}");
        let paid = p.query(method, &c.out_trade_no).await.unwrap();
        assert!(
            matches!(paid, TradeState::Paid(ref paid) if paid.amount_fen == c.amount_fen),
            "the trade itself keeps its amount: {paid:?}"
        );
    }
    let unknown =
        serde_json::json!({"method": "wechat", "out_trade_no": "LMnosuch", "amount_fen": 1});
    assert_eq!(
        sandbox_post(&sb, "/sandbox/bill-amount", unknown).await,
        404
    );
}
