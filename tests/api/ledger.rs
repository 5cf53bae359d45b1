//! The ledger and settlement: every money event posts a balanced entry, merchants are paid what
//! they earned (T+1 statements and payouts through the sandbox), refunds racing the settlement
//! never pay out more than was collected, a settlement killed mid-run settles each merchant
//! once, and reconciliation finds exactly what differs from the provider's bill.

use actix_web::http::StatusCode;
use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Uuid as SqlUuid};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{json, Value};
use uuid::Uuid;

use lifemarket::ledger::{self, platform, Subject};
use lifemarket::pay::Method;
use lifemarket::settlement::{self, run::day_of};

use crate::helpers::orders::{drop_address, Kitchen};
use crate::helpers::payments::{client, pay_on, Served};
use crate::helpers::{TestApp, TestUser};

#[derive(QueryableByName, Debug)]
struct N {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn scalar(conn: &mut PgConnection, sql: &str) -> i64 {
    diesel::sql_query(sql).get_result::<N>(conn).unwrap().n
}

/// The sum of a platform account's postings on its normal side.
fn platform_balance(conn: &mut PgConnection, account: Uuid) -> i64 {
    let sum = scalar(
        conn,
        &format!("SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM ledger_postings WHERE account_id = '{account}'"),
    );
    sum * platform::normal_side(account)
}

/// What the ledger must always hold, whatever happened: balanced entries, no merchant account
/// below zero, and the money at the provider equal to what moved through it.
fn assert_ledger_holds(conn: &mut PgConnection) {
    assert_balanced(conn);
    let paid = scalar(conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payments WHERE status = 'succeeded'");
    let refunded = scalar(conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payment_refunds WHERE status = 'succeeded'");
    let paid_out = scalar(conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payouts WHERE status = 'succeeded'");
    assert_eq!(
        platform_balance(conn, platform::CLEARING),
        paid - refunded - paid_out,
        "the clearing account is what the provider holds"
    );
}

/// Balanced entries and no merchant account below zero.
fn assert_balanced(conn: &mut PgConnection) {
    let unbalanced = scalar(
        conn,
        "SELECT count(*) AS n FROM (SELECT entry_id FROM ledger_postings GROUP BY entry_id
          HAVING sum(amount_cents) <> 0 OR count(*) < 2) e",
    );
    assert_eq!(unbalanced, 0, "every entry sums to zero");
    let negative = scalar(
        conn,
        "SELECT count(*) AS n FROM ledger_accounts WHERE balance_cents < 0",
    );
    assert_eq!(negative, 0);
}

/// Completes `order`, already paid: accepted, ready, picked up, delivered, received.
async fn complete(app: &TestApp, k: &Kitchen, c: &TestUser, order: &str) {
    for action in ["accept", "ready", "pick-up"] {
        let res = app.order_act(&k.owner, order, action, json!({})).await;
        assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.text);
    }
    let proof = app.photo(&k.owner, "门口").await;
    let res = app.order_act(&k.owner, order, "deliver", proof).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.order_act(c, order, "confirm-receipt", json!({})).await;
    assert_eq!(res.body["status"], "completed", "{}", res.text);
}

/// An order of 4000 fen paid through `method`.
async fn paid_order(app: &TestApp, k: &Kitchen, c: &TestUser, method: &str) -> String {
    let res = app
        .order(c, json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
            "items": [{"service_id": k.items[0], "quantity": 2}, {"service_id": k.items[1], "quantity": 1}]}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    app.pay(c, "orders", &id, method).await;
    id
}

async fn set_payout_account(app: &TestApp, k: &Kitchen, account: &str) {
    let res = app
        .request("PUT".parse().unwrap(), &format!("/api/v1/merchants/{}/payout-account", k.merchant))
        .bearer(&k.owner.access)
        .json(json!({"method": "alipay", "account": account, "holder_name": "重庆山城小面餐饮有限公司"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}

async fn refund(app: &TestApp, op: &TestUser, order: &str, amount: i64, funded_by: &str) -> u16 {
    let res = app
        .post(&format!("/api/v1/orders/{order}/refunds"))
        .bearer(&op.access)
        .json(json!({"amount_cents": amount, "reason": "少送了一份", "funded_by": funded_by}))
        .send()
        .await;
    res.status.as_u16()
}

async fn balance(app: &TestApp, user: &TestUser, merchant: &str) -> Value {
    let res = app
        .get(&format!("/api/v1/merchants/{merchant}/balance"))
        .bearer(&user.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body
}

async fn eventually(what: &str, mut check: impl AsyncFnMut() -> bool) {
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("{what} did not happen");
}

fn settle(app: &TestApp, day: chrono::NaiveDate) -> settlement::Summary {
    settlement::settle_day(&mut app.conn(), day).unwrap()
}

#[actix_web::test]
async fn an_order_is_paid_completed_refunded_settled_and_paid_out() {
    let served = Served::spawn().await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let op = app.operator().await;
    set_payout_account(app, &k, "shop-ledger@example.cn").await;
    let order = app.completed_order(&k, &c).await;
    // 4000 released, 8 % (320) kept as commission.
    let b = balance(app, &k.owner, &k.merchant).await;
    assert_eq!(b["payable_cents"], 3680, "{b}");
    assert!(
        b["payout_account"]["account"]
            .as_str()
            .unwrap()
            .starts_with("****"),
        "{b}"
    );
    // A refund after completion comes from the merchant, which gets the commission on it back;
    // one the platform funds leaves the merchant's earnings alone.
    assert_eq!(refund(app, &op, &order, 1000, "merchant").await, 201);
    assert_eq!(refund(app, &op, &order, 500, "platform").await, 201);
    assert_eq!(
        balance(app, &k.owner, &k.merchant).await["payable_cents"],
        2760
    );
    app.run_jobs().await;
    let mut conn = app.conn();
    eventually("both refunds succeed", async || {
        scalar(
            &mut app.conn(),
            "SELECT count(*) AS n FROM payment_refunds WHERE status = 'succeeded'",
        ) == 2
    })
    .await;
    assert_eq!(platform_balance(&mut conn, platform::REFUNDS_PENDING), 0);
    assert_eq!(
        platform_balance(&mut conn, platform::COMPENSATION_EXPENSE),
        500
    );
    assert_eq!(
        platform_balance(&mut conn, platform::COMMISSION_REVENUE),
        240
    );
    assert_eq!(
        ledger::held_for(&mut conn, platform::ESCROW, order.parse().unwrap()).unwrap(),
        0
    );

    let today = day_of(Utc::now());
    let s = settle(app, today);
    assert_eq!((s.statements, s.payouts, s.payout_cents), (1, 1, 2760));
    // Settling again makes nothing more.
    assert_eq!(settle(app, today).statements, 0);
    let url = format!("/api/v1/merchants/{}/statements/{today}", k.merchant);
    let st = app.get(&url).bearer(&k.owner.access).send().await;
    assert_eq!(st.status, StatusCode::OK, "{}", st.text);
    assert_eq!(
        (
            &st.body["gross_cents"],
            &st.body["commission_cents"],
            &st.body["refunds_cents"],
            &st.body["net_cents"]
        ),
        (&json!(4000), &json!(240), &json!(1000), &json!(2760)),
        "{}",
        st.text
    );
    assert_eq!(st.body["lines"][0]["subject_id"], order.as_str());
    assert_eq!(st.body["payout"]["status"], "requested");
    let csv = app
        .get(&format!("{url}?format=csv"))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.text
            .contains(&format!("{today},order,{order},4000,240,1000,2760")),
        "{}",
        csv.text
    );
    assert!(
        csv.text
            .contains(&format!("{today},total,,4000,240,1000,2760")),
        "{}",
        csv.text
    );
    let list = app
        .get(&format!("/api/v1/merchants/{}/statements", k.merchant))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        1,
        "{}",
        list.text
    );

    // The payout job asks the sandbox, which transfers it.
    app.run_jobs().await;
    let b = balance(app, &k.owner, &k.merchant).await;
    assert_eq!(
        (&b["payable_cents"], &b["in_transit_cents"]),
        (&json!(0), &json!(0)),
        "{b}"
    );
    let sent: Vec<_> = crate::helpers::payments::sandbox()
        .transfers()
        .into_iter()
        .filter(|t| t.payee_account == "shop-ledger@example.cn")
        .collect();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].amount_fen, 2760);
    let st = app.get(&url).bearer(&k.owner.access).send().await;
    assert_eq!(st.body["payout"]["status"], "succeeded", "{}", st.text);
    assert_ledger_holds(&mut conn);

    // Entries are never changed or removed, and one that does not balance is refused.
    for sql in [
        "UPDATE ledger_postings SET amount_cents = amount_cents + 1",
        "DELETE FROM ledger_entries",
    ] {
        assert!(diesel::sql_query(sql).execute(&mut conn).is_err(), "{sql}");
    }
    let unbalanced = conn.transaction::<_, diesel::result::Error, _>(|c| {
        ledger::post(
            c,
            &ledger::Entry {
                kind: "correction",
                key: None,
                merchant_id: None,
                subject: None,
                provider: None,
                reference: None,
                memo: "off by one",
                occurred_at: Utc::now(),
                postings: vec![
                    (platform::CLEARING, 100),
                    (platform::COMMISSION_REVENUE, -99),
                ],
            },
        )?;
        Ok(())
    });
    assert!(
        unbalanced.is_err(),
        "the deferred trigger refuses it at commit"
    );
}

#[actix_web::test]
async fn money_routes_refuse_strangers_and_holds_stop_payouts() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let other = app.kitchen().await;
    let c = app.consumer().await;
    let op = app.operator().await;
    let staff = app.consumer().await;
    let res = app
        .post(&format!("/api/v1/merchants/{}/members", k.merchant))
        .bearer(&k.owner.access)
        .json(json!({"email": staff.email, "role": "staff"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let m = &k.merchant;
    let today = day_of(Utc::now());
    for path in [
        format!("/api/v1/merchants/{m}/balance"),
        format!("/api/v1/merchants/{m}/statements"),
        format!("/api/v1/merchants/{m}/statements/{today}"),
    ] {
        // Another merchant's owner and a consumer are strangers: 404; staff may not see money.
        for (who, status) in [(&other.owner, 404), (&c, 404), (&staff, 403)] {
            let res = app.get(&path).bearer(&who.access).send().await;
            assert_eq!(res.status.as_u16(), status, "{path}: {}", res.text);
        }
    }
    let res = app
        .request(
            "PUT".parse().unwrap(),
            &format!("/api/v1/merchants/{m}/payout-account"),
        )
        .bearer(&other.owner.access)
        .json(json!({"method": "alipay", "account": "x@example.cn", "holder_name": "某某公司"}))
        .send()
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = app
        .request(
            "PUT".parse().unwrap(),
            &format!("/api/v1/merchants/{m}/payout-account"),
        )
        .bearer(&k.owner.access)
        .json(json!({"method": "alipay", "account": "not an account", "holder_name": "某"}))
        .send()
        .await;
    assert_eq!(res.fields(), ["account", "holder_name"], "{}", res.text);
    let reason = json!({"reason": "试一试"});
    for (method, path, body) in [
        ("GET", "/api/v1/admin/commission-rates".to_owned(), None),
        (
            "PUT",
            "/api/v1/admin/commission-rates/catering".to_owned(),
            Some(json!({"rate_bp": 100, "reason": "试一试"})),
        ),
        (
            "POST",
            format!("/api/v1/admin/merchants/{m}/payout-hold"),
            Some(reason.clone()),
        ),
        (
            "POST",
            format!("/api/v1/admin/merchants/{m}/payout-hold/release"),
            Some(reason.clone()),
        ),
        ("GET", "/api/v1/admin/payouts".to_owned(), None),
        ("GET", "/api/v1/admin/reconciliations".to_owned(), None),
        (
            "GET",
            format!("/api/v1/admin/reconciliations/{}", Uuid::now_v7()),
            None,
        ),
    ] {
        let mut req = app
            .request(method.parse().unwrap(), &path)
            .bearer(&k.owner.access);
        if let Some(body) = body {
            req = req.json(body);
        }
        let res = req.send().await;
        res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    // Operators see any merchant's balance.
    assert_eq!(balance(&app, &op, m).await["payable_cents"], 0);

    // An operator raises the catering rate to 10 %, audited; it applies to what finishes next.
    let res = app
        .request(
            "PUT".parse().unwrap(),
            "/api/v1/admin/commission-rates/catering",
        )
        .bearer(&op.access)
        .json(json!({"rate_bp": 1000, "reason": "2027 年费率"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .request(
            "PUT".parse().unwrap(),
            "/api/v1/admin/commission-rates/catering",
        )
        .bearer(&op.access)
        .json(json!({"rate_bp": 9000, "reason": "x"}))
        .send()
        .await;
    assert_eq!(res.fields(), ["rate_bp", "reason"]);
    let res = app
        .request(
            "PUT".parse().unwrap(),
            "/api/v1/admin/commission-rates/no-such",
        )
        .bearer(&op.access)
        .json(json!({"rate_bp": 100, "reason": "没有这个类目"}))
        .send()
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(app.count("audit_log WHERE action = 'commission.set'"), 1);

    set_payout_account(&app, &k, "13800001111").await;
    assert_eq!(
        app.count("audit_log WHERE action = 'merchant.payout_account'"),
        1
    );
    app.completed_order(&k, &c).await;
    assert_eq!(balance(&app, &k.owner, m).await["payable_cents"], 3600);

    // Held: the statement is made, nothing is paid out; released: the next one pays it all.
    let hold = |path: &'static str, reason: &'static str| {
        let op = op.clone();
        let url = format!("/api/v1/admin/merchants/{m}/{path}");
        let app = &app;
        async move {
            app.post(&url)
                .bearer(&op.access)
                .json(json!({"reason": reason}))
                .send()
                .await
        }
    };
    assert_eq!(
        hold("payout-hold", "核查刷单").await.status,
        StatusCode::CREATED
    );
    assert_eq!(hold("payout-hold", "核查刷单").await.status, StatusCode::OK);
    assert_eq!(
        balance(&app, &k.owner, m).await["hold"]["reason"],
        "核查刷单"
    );
    let s = settle(&app, today);
    assert_eq!((s.statements, s.payouts), (1, 0));
    let st = app
        .get(&format!("/api/v1/merchants/{m}/statements/{today}"))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(st.body["not_paid_reason"], "held", "{}", st.text);
    assert_eq!(st.body["payable_cents"], 3600);
    assert_eq!(
        hold("payout-hold/release", "核查完毕").await.status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        hold("payout-hold/release", "核查完毕").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.count(
            "audit_log WHERE action IN ('merchant.hold_payouts', 'merchant.release_payouts')"
        ),
        2
    );
    let s = settle(&app, today + Duration::days(1));
    assert_eq!((s.payouts, s.payout_cents), (1, 3600));
    let payouts = app
        .get("/api/v1/admin/payouts?status=requested")
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(
        payouts.body["items"][0]["amount_cents"], 3600,
        "{}",
        payouts.text
    );
    let res = app
        .get("/api/v1/admin/payouts?status=lost")
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(res.fields(), ["status"]);
    let res = app
        .get(&format!("/api/v1/merchants/{m}/statements/2026-13-01"))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(res.fields(), ["day"]);
    assert_ledger_holds(&mut app.conn());
}

/// The orders of the property test and what may still happen to them.
struct Tracked {
    id: String,
    shop: usize,
    consumer: usize,
    stage: u8,
}

const PAID: u8 = 0;
const ACCEPTED: u8 = 1;
const DELIVERED: u8 = 2;
const ENDED: u8 = 3;

#[actix_web::test]
async fn random_money_histories_keep_every_invariant() {
    let app = TestApp::spawn().await;
    let op = app.operator().await;
    let shops = [app.kitchen().await, app.kitchen().await];
    for (i, k) in shops.iter().enumerate() {
        set_payout_account(
            &app,
            k,
            &format!("prop-{i}-{}@example.cn", &k.merchant[..8]),
        )
        .await;
    }
    let consumers = [app.consumer().await, app.consumer().await];
    let mut orders: Vec<Tracked> = Vec::new();
    let mut days = 0;
    let seed: u64 = std::env::var("LEDGER_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20261204);
    let mut rng = StdRng::seed_from_u64(seed);
    let mut log = Vec::new();
    for _ in 0..60 {
        let open: Vec<usize> = (0..orders.len())
            .filter(|i| orders[*i].stage < ENDED)
            .collect();
        let step = rng.random_range(0..8);
        let pick = (!open.is_empty()).then(|| open[rng.random_range(0..open.len())]);
        match (step, pick) {
            (0, _) | (_, None) => {
                let (shop, consumer) = (rng.random_range(0..2), rng.random_range(0..2));
                let id = paid_order(&app, &shops[shop], &consumers[consumer], "alipay").await;
                log.push(format!("pay {id}"));
                orders.push(Tracked {
                    id,
                    shop,
                    consumer,
                    stage: PAID,
                });
            }
            (1, Some(i)) if orders[i].stage == PAID => {
                let o = &mut orders[i];
                let res = app
                    .order_act(&shops[o.shop].owner, &o.id, "accept", json!({}))
                    .await;
                assert_eq!(res.status, StatusCode::OK, "{}", res.text);
                o.stage = ACCEPTED;
                log.push(format!("accept {}", o.id));
            }
            (2, Some(i)) if orders[i].stage == ACCEPTED => {
                // Late: delivered 25 minutes after the promised time, compensated by the rule.
                let o = &mut orders[i];
                let late = rng.random_bool(0.5);
                for action in ["ready", "pick-up"] {
                    let res = app
                        .order_act(&shops[o.shop].owner, &o.id, action, json!({}))
                        .await;
                    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
                }
                if late {
                    diesel::sql_query(format!(
                        "UPDATE orders SET promised_at = now() - interval '25 minutes' WHERE id = '{}'",
                        o.id
                    ))
                    .execute(&mut app.conn())
                    .unwrap();
                }
                let proof = app.photo(&shops[o.shop].owner, "门口").await;
                let res = app
                    .order_act(&shops[o.shop].owner, &o.id, "deliver", proof)
                    .await;
                assert_eq!(res.status, StatusCode::OK, "{}", res.text);
                o.stage = DELIVERED;
                log.push(format!("deliver {} late={late}", o.id));
            }
            (3, Some(i)) if orders[i].stage == DELIVERED => {
                let o = &mut orders[i];
                let res = app
                    .order_act(&consumers[o.consumer], &o.id, "confirm-receipt", json!({}))
                    .await;
                assert_eq!(res.body["status"], "completed", "{}", res.text);
                o.stage = ENDED;
                log.push(format!("complete {}", o.id));
            }
            (4 | 5, Some(i)) => {
                let amount = rng.random_range(1..=1500);
                let funded = if rng.random_bool(0.3) {
                    "platform"
                } else {
                    "merchant"
                };
                let status = refund(&app, &op, &orders[i].id, amount, funded).await;
                assert!(status == 201 || status == 409, "{status}");
                log.push(format!(
                    "refund {} {amount} {funded}: {status}",
                    orders[i].id
                ));
            }
            (6, Some(i)) if orders[i].stage == PAID => {
                let o = &mut orders[i];
                let res = app
                    .order_act(
                        &consumers[o.consumer],
                        &o.id,
                        "cancel",
                        json!({"reason": "不想要了"}),
                    )
                    .await;
                assert_eq!(res.status, StatusCode::OK, "{}", res.text);
                o.stage = ENDED;
                log.push(format!("cancel {}", o.id));
            }
            (7, _) => {
                app.run_jobs().await;
                let s = settle(&app, day_of(Utc::now()) + Duration::days(days));
                days += 1;
                app.run_jobs().await;
                log.push(format!("settle {s:?}"));
            }
            _ => {}
        }
        if rng.random_bool(0.3) {
            app.run_jobs().await;
        }
        assert_ledger_holds(&mut app.conn());
    }
    // Everything finishes: open orders are completed, refunds end, a last settlement pays out.
    for o in orders.iter_mut().filter(|o| o.stage < ENDED) {
        let (k, c) = (&shops[o.shop], &consumers[o.consumer]);
        if o.stage == PAID {
            let res = app.order_act(&k.owner, &o.id, "accept", json!({})).await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        }
        if o.stage < DELIVERED {
            for action in ["ready", "pick-up"] {
                app.order_act(&k.owner, &o.id, action, json!({})).await;
            }
            let proof = app.photo(&k.owner, "门口").await;
            app.order_act(&k.owner, &o.id, "deliver", proof).await;
        }
        let res = app.order_act(c, &o.id, "confirm-receipt", json!({})).await;
        assert_eq!(res.body["status"], "completed", "{}", res.text);
        o.stage = ENDED;
    }
    app.run_jobs().await;
    settle(&app, day_of(Utc::now()) + Duration::days(days));
    app.run_jobs().await;
    let mut conn = app.conn();
    assert_ledger_holds(&mut conn);
    let context = format!("seed {seed}: {}", log.join("; "));
    for o in &orders {
        let held = ledger::held_for(&mut conn, platform::ESCROW, o.id.parse().unwrap()).unwrap();
        assert_eq!(held, 0, "escrow of finished order {}: {context}", o.id);
    }
    assert_eq!(
        platform_balance(&mut conn, platform::REFUNDS_PENDING),
        0,
        "{context}"
    );
    assert_eq!(
        platform_balance(&mut conn, platform::PAYOUTS_IN_TRANSIT),
        0,
        "{context}"
    );
    let payable = scalar(&mut conn, "SELECT coalesce(sum(balance_cents), 0)::bigint AS n FROM ledger_accounts WHERE kind = 'merchant_payable'");
    let receivable = scalar(&mut conn, "SELECT coalesce(sum(balance_cents), 0)::bigint AS n FROM ledger_accounts WHERE kind = 'merchant_receivable'");
    assert_eq!(
        payable, 0,
        "the last settlement paid everything out: {context}"
    );
    // Σ payouts + Σ refunds + revenue = Σ payments, where revenue is the commission less what
    // the platform paid itself, and a refund advanced beyond a merchant's payable (receivable)
    // is money the platform is still owed.
    let paid = scalar(&mut conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payments WHERE status = 'succeeded'");
    let refunded = scalar(&mut conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payment_refunds WHERE status = 'succeeded'");
    let paid_out = scalar(&mut conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payouts WHERE status = 'succeeded'");
    let revenue = platform_balance(&mut conn, platform::COMMISSION_REVENUE)
        - platform_balance(&mut conn, platform::COMPENSATION_EXPENSE);
    assert_eq!(
        paid_out + refunded + revenue - receivable,
        paid,
        "{context}"
    );
    assert!(orders.len() >= 5, "{context}");
}

#[actix_web::test]
async fn concurrent_refunds_racing_the_settlement_never_pay_out_more_than_was_collected() {
    let served = Served::spawn().await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let op = app.operator().await;
    set_payout_account(app, &k, "race@example.cn").await;
    let mut orders = Vec::new();
    for _ in 0..4 {
        let id = paid_order(app, &k, &c, "alipay").await;
        complete(app, &k, &c, &id).await;
        orders.push(id);
    }
    let earned = 4 * 3680;
    assert_eq!(
        balance(app, &k.owner, &k.merchant).await["payable_cents"],
        earned
    );
    let merchant: Uuid = k.merchant.parse().unwrap();
    let db_url = app.db.url();
    let today = day_of(Utc::now());
    let settling = tokio::task::spawn_blocking(move || {
        let mut conn = PgConnection::establish(&db_url).unwrap();
        std::thread::sleep(std::time::Duration::from_millis(30));
        conn.transaction(|c| settlement::settle_merchant(c, merchant, today))
            .unwrap()
    });
    let sends = (0..20).map(|i| {
        let req = client()
            .post(served.url(&format!("/api/v1/orders/{}/refunds", orders[i % 4])))
            .bearer_auth(&op.access)
            .json(&json!({"amount_cents": 500, "reason": format!("售后 {i}")}));
        async move { req.send().await.unwrap().status().as_u16() }
    });
    let statuses = futures_util::future::join_all(sends).await;
    assert!(statuses.iter().all(|s| *s == 201), "{statuses:?}");
    let statement = settling.await.unwrap().expect("one statement");
    app.run_jobs().await;
    let mut conn = app.conn();
    assert_ledger_holds(&mut conn);
    // Each refund of 500 takes 460 from the merchant (40 commission comes back).
    let charged = 20 * 460;
    let b = balance(app, &k.owner, &k.merchant).await;
    let (payable, receivable) = (
        b["payable_cents"].as_i64().unwrap(),
        b["receivable_cents"].as_i64().unwrap(),
    );
    let paid_out = statement.payout_cents;
    assert!(paid_out <= earned, "paid out {paid_out} of {earned}");
    // Nothing lost or counted twice: what was paid out, what is left and what is owed back
    // account for what was earned less what was refunded.
    assert_eq!(paid_out + payable - receivable, earned - charged, "{b}");
    // A refund that came after the payout is owed back, never a negative payable; paid out
    // plus refunded never exceeds what was collected plus what the merchant owes back.
    let refunded = scalar(&mut conn, "SELECT coalesce(sum(amount_cents), 0)::bigint AS n FROM payment_refunds WHERE status = 'succeeded'");
    assert_eq!(refunded, 20 * 500);
    assert!(paid_out + refunded <= 4 * 4000 + receivable);
}

#[actix_web::test]
async fn a_settlement_killed_twenty_times_settles_each_of_1000_merchants_once() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    lifemarket::scale::seed(&mut conn, &app.state.passwords, 1000).unwrap();
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = SqlUuid)]
        id: Uuid,
    }
    let merchants: Vec<Uuid> = diesel::sql_query("SELECT id FROM merchants ORDER BY id")
        .load::<Id>(&mut conn)
        .unwrap()
        .into_iter()
        .map(|r| r.id)
        .collect();
    assert_eq!(merchants.len(), 1000);
    let owner: Uuid = app.consumer().await.id.parse().unwrap();
    // Each merchant earned from a few purchases (posted straight to the ledger: this test is
    // about the settlement run, not the order flow).
    conn.transaction::<_, diesel::result::Error, _>(|c| {
        for (i, m) in merchants.iter().enumerate() {
            for j in 0..(1 + i % 3) {
                let subject = Subject::order(Uuid::now_v7());
                let amount = 1000 + 10 * (i as i64 % 50) + j as i64;
                let transaction_id = format!("T{}", Uuid::now_v7().simple());
                ledger::payment_received(
                    c,
                    &ledger::Received {
                        subject,
                        merchant_id: *m,
                        payment_id: Uuid::now_v7(),
                        method: Method::Alipay,
                        transaction_id: &transaction_id,
                        amount_cents: amount,
                        paid_at: Utc::now(),
                    },
                )?;
                ledger::release(c, subject, *m, 800)?;
            }
        }
        diesel::sql_query(format!(
            "INSERT INTO payout_accounts (merchant_id, method, account, holder_name, updated_by, updated_at)
             SELECT id, 'alipay', 'm' || left(id::text, 8) || '@example.cn', '商户', '{owner}', now() FROM merchants"
        ))
        .execute(c)?;
        Ok(())
    })
    .unwrap();
    let owed = scalar(&mut conn, "SELECT sum(balance_cents)::bigint AS n FROM ledger_accounts WHERE kind = 'merchant_payable'");
    let today = day_of(Utc::now());
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_lifemarket"))
            .args(["settle", "--day", &today.to_string()])
            .env("DATABASE_URL", app.db.url())
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap()
    };
    let mut rng = StdRng::seed_from_u64(7);
    let mut kills = 0;
    let mut before = 0;
    while kills < 20 {
        let mut child = run();
        std::thread::sleep(std::time::Duration::from_millis(rng.random_range(20..150)));
        if child.try_wait().unwrap().is_some() {
            break; // finished before it could be killed: the run is over.
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        kills += 1;
        let made = scalar(&mut conn, "SELECT count(*) AS n FROM statements");
        assert!(made >= before, "statements never disappear");
        before = made;
    }
    assert!(
        kills >= 10,
        "the run was killed {kills} times: too fast to test"
    );
    assert!(before < 1000, "some merchants were left for the last run");
    let status = run().wait().unwrap();
    assert!(status.success());
    assert_eq!(
        scalar(&mut conn, "SELECT count(*) AS n FROM statements"),
        1000
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT count(DISTINCT merchant_id) AS n FROM statements"
        ),
        1000
    );
    assert_eq!(scalar(&mut conn, "SELECT count(*) AS n FROM payouts"), 1000);
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT sum(amount_cents)::bigint AS n FROM payouts"
        ),
        owed
    );
    assert_eq!(
        scalar(
            &mut conn,
            "SELECT sum(payout_cents)::bigint AS n FROM statements"
        ),
        owed
    );
    assert_eq!(scalar(&mut conn, "SELECT coalesce(sum(balance_cents), 0)::bigint AS n FROM ledger_accounts WHERE kind = 'merchant_payable'"), 0);
    assert_eq!(
        scalar(
            &mut conn,
            &format!(
                "SELECT count(*) AS n FROM jobs WHERE kind = '{}'",
                settlement::run::PAYOUT
            )
        ),
        1000
    );
    assert_balanced(&mut conn);
}

#[derive(QueryableByName, Debug)]
struct Diff {
    #[diesel(sql_type = Text)]
    kind: String,
    #[diesel(sql_type = Text)]
    reference: String,
}

#[actix_web::test]
async fn reconciliation_finds_each_injected_difference_and_nothing_else() {
    // A sandbox of its own, so that its bill holds this test's trades only.
    let sandbox =
        lifemarket::sandbox::start(lifemarket::sandbox::SandboxConfig::for_tests()).unwrap();
    let served = Served::spawn_against(&sandbox).await;
    let app = &served.app;
    let k = app.kitchen().await;
    let c = app.consumer().await;
    let op = app.operator().await;
    let mut payments = Vec::new();
    for _ in 0..3 {
        let res = app
            .order(&c, json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
                "items": [{"service_id": k.items[0], "quantity": 1}]}))
            .await;
        let id = res.body["id"].as_str().unwrap().to_owned();
        let opened = app.open_payment(&c, "orders", &id, "wechat").await;
        assert_eq!(opened.status, StatusCode::CREATED, "{}", opened.text);
        pay_on(&sandbox, &opened.body, false, true).await;
        payments.push((id, opened.body));
    }
    eventually("the three payments are notified", async || {
        scalar(
            &mut app.conn(),
            "SELECT count(*) AS n FROM ledger_entries WHERE kind = 'payment'",
        ) == 3
    })
    .await;
    // A refund, notified too: its line must match the ledger's as well.
    assert_eq!(refund(app, &op, &payments[0].0, 500, "merchant").await, 201);
    app.run_jobs().await;
    eventually("the refund is paid", async || {
        scalar(
            &mut app.conn(),
            "SELECT count(*) AS n FROM ledger_entries WHERE kind = 'refund_paid'",
        ) == 1
    })
    .await;
    let today = day_of(Utc::now());
    let reconcile = async || {
        let bill = app
            .state
            .pay
            .trade_bill(Method::Wechat, today)
            .await
            .unwrap();
        settlement::reconcile::record(&mut app.conn(), Method::Wechat, today, &bill).unwrap()
    };
    let clean = reconcile().await;
    assert_eq!((clean.bill_lines, clean.matched), (4, 4));
    assert_eq!(
        app.count(&format!(
            "reconciliation_differences WHERE reconciliation_id = '{}'",
            clean.id
        )),
        0
    );

    // Missing in the ledger: paid at the provider, the notification lost.
    let res = app
        .order(&c, json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
            "items": [{"service_id": k.items[1], "quantity": 1}]}))
        .await;
    let lost = app
        .open_payment(&c, "orders", res.body["id"].as_str().unwrap(), "wechat")
        .await;
    pay_on(&sandbox, &lost.body, false, false).await;
    // The amount differs: the provider's record of the second payment says otherwise.
    let res = client()
        .post(format!("{}/sandbox/bill-amount", sandbox.base_url))
        .json(&json!({"method": "wechat", "out_trade_no": payments[1].1["out_trade_no"], "amount_fen": 1100}))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    // Missing in the bill: the ledger has a payment the provider never took.
    let merchant: Uuid = k.merchant.parse().unwrap();
    let ghost = format!("4200{}", &Uuid::now_v7().simple().to_string()[..20]);
    let g = ghost.clone();
    app.db(move |c| {
        Ok(ledger::payment_received(
            c,
            &ledger::Received {
                subject: Subject::order(Uuid::now_v7()),
                merchant_id: merchant,
                payment_id: Uuid::now_v7(),
                method: Method::Wechat,
                transaction_id: &g,
                amount_cents: 900,
                paid_at: Utc::now(),
            },
        )?)
    })
    .await
    .unwrap();

    let found = reconcile().await;
    let diffs: Vec<Diff> = diesel::sql_query(format!(
        "SELECT kind, reference FROM reconciliation_differences WHERE reconciliation_id = '{}' ORDER BY kind",
        found.id
    ))
    .load(&mut app.conn())
    .unwrap();
    let kinds: Vec<&str> = diffs.iter().map(|d| d.kind.as_str()).collect();
    assert_eq!(
        kinds,
        ["amount_differs", "missing_in_bill", "missing_in_ledger"],
        "{diffs:?}"
    );
    assert_eq!(diffs[1].reference, ghost);
    let res = app
        .get(&format!("/api/v1/admin/reconciliations/{}", found.id))
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["difference_count"], 3);
    assert_eq!(
        res.body["differences"][0]["bill_cents"], 1100,
        "{}",
        res.text
    );
    assert_eq!(
        res.body["differences"][0]["ledger_cents"], 1800,
        "{}",
        res.text
    );
    let list = app
        .get(&format!(
            "/api/v1/admin/reconciliations?day={today}&method=wechat"
        ))
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(
        list.body["items"].as_array().unwrap().len(),
        2,
        "{}",
        list.text
    );
    // Nothing was corrected: the lost payment is still pending, the ghost still posted.
    assert_eq!(app.count("payments WHERE status = 'pending'"), 1);
    assert_eq!(app.count("ledger_entries WHERE kind = 'payment'"), 4);
}
