//! After-sales requests: refunds and redos of completed orders and bookings, the merchant's
//! answer, the deadline, escalation and the operator's decision.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::{json, Value};

use crate::helpers::images::jpeg;
use crate::helpers::{Res, TestApp, TestUser};

impl TestApp {
    /// `POST /after-sales` with a fresh Idempotency-Key.
    async fn after_sales(&self, user: &TestUser, body: Value) -> Res {
        self.post("/api/v1/after-sales")
            .bearer(&user.access)
            .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .await
    }

    /// Opens a request and returns its id.
    async fn opened(&self, user: &TestUser, body: Value) -> String {
        let res = self.after_sales(user, body).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.body["id"].as_str().unwrap().to_owned()
    }

    async fn as_act(&self, user: &TestUser, id: &str, action: &str, body: Value) -> Res {
        let path = if action == "decision" {
            format!("/api/v1/admin/after-sales/{id}/decision")
        } else {
            format!("/api/v1/after-sales/{id}/{action}")
        };
        self.post(&path)
            .bearer(&user.access)
            .json(body)
            .send()
            .await
    }

    fn refunded(&self, order: &str) -> i64 {
        use lifemarket::schema::orders;
        orders::table
            .find(uuid::Uuid::parse_str(order).unwrap())
            .select(orders::refunded_cents)
            .first(&mut self.conn())
            .unwrap()
    }
}

fn refund_of(kind: &str, id: &str, cents: i64) -> Value {
    json!({"subject_kind": kind, "subject_id": id, "kind": "refund", "amount_cents": cents,
           "reason": "菜品洒了一半"})
}

#[actix_web::test]
async fn an_agreed_refund_of_an_order_is_one_of_its_refunds_capped_at_the_total() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let photo = app
        .upload(&consumer, "after_sales_evidence", jpeg(true))
        .await;
    let mut body = refund_of("order", &order, 1500);
    body["photo_refs"] = json!([photo]);
    let res = app.after_sales(&consumer, body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["status"], "open");
    assert_eq!(res.body["paid_cents"], 4000);
    assert_eq!(res.body["photo_refs"], json!([photo]));
    let id = res.body["id"].as_str().unwrap().to_owned();

    // The merchant's members see it in their list and can read the evidence; a stranger not.
    let res = app
        .get(&format!("/api/v1/merchants/{}/after-sales", k.merchant))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(res.body["items"][0]["id"], id.as_str(), "{}", res.text);
    let upload = format!("/api/v1/uploads/{photo}");
    let res = app.get(&upload).bearer(&k.owner.access).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["subject_kind"], "after_sales_request");
    let stranger = app.consumer().await;
    let res = app.get(&upload).bearer(&stranger.access).send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);

    let res = app.as_act(&k.owner, &id, "agree", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["status"], "agreed");
    assert_eq!(res.body["refund_cents"], 1500);
    assert_eq!(app.refunded(&order), 1500);
    let res = app
        .get(&format!("/api/v1/orders/{order}"))
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(
        res.body["refunds"][0]["kind"], "after_sales",
        "{}",
        res.text
    );
    assert_eq!(res.body["refunds"][0]["amount_cents"], 1500);

    let res = app
        .get(&format!("/api/v1/after-sales/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    let actions: Vec<&str> = res.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["open", "agree"]);

    // The merchant heard of the request, the consumer of the answer.
    app.run_jobs().await;
    let mails = app.sent_emails();
    assert!(mails.iter().any(|m| m.to.contains(&k.owner.email)
        && m.raw.contains("After-sales request")
        && m.raw.contains("Please agree, offer part or refuse by")));
    assert!(mails
        .iter()
        .any(|m| m.to.contains(&consumer.email) && m.raw.contains("agreed")));

    // What is left is 2500: a second request may ask for that much and no more, and an
    // operator's refund meanwhile makes the merchant's agreement exceed the total.
    let res = app
        .after_sales(&consumer, refund_of("order", &order, 2501))
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["amount_cents"]);
    let second = app
        .opened(&consumer, refund_of("order", &order, 2500))
        .await;
    let operator = app.operator().await;
    let res = app
        .post(&format!("/api/v1/orders/{order}/refunds"))
        .bearer(&operator.access)
        .json(json!({"amount_cents": 100, "reason": "投诉处理"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.as_act(&k.owner, &second, "agree", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "refund_exceeds_total");
    assert_eq!(app.refunded(&order), 1600);
    let res = app
        .get(&format!("/api/v1/after-sales/{second}"))
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(
        res.body["status"], "open",
        "the refused agreement wrote nothing"
    );
}

#[actix_web::test]
async fn an_offer_accepted_records_the_refund_on_a_booking() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let booking = app.completed_booking(&shop, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("booking", &booking, 5000))
        .await;
    for amount in [json!(5000), json!(0), Value::Null] {
        let res = app
            .as_act(&shop.owner, &id, "offer", json!({"amount_cents": amount}))
            .await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), ["amount_cents"]);
    }
    let res = app
        .as_act(
            &shop.owner,
            &id,
            "offer",
            json!({"amount_cents": 3000, "reason": "只打扫了一半"}),
        )
        .await;
    assert_eq!(res.body["status"], "offered", "{}", res.text);
    assert_eq!(res.body["offered_cents"], 3000);
    assert_eq!(res.body["answer"], "只打扫了一半");
    let res = app.as_act(&consumer, &id, "accept-offer", json!({})).await;
    assert_eq!(res.body["status"], "agreed", "{}", res.text);
    assert_eq!(res.body["refund_cents"], 3000);

    // 7000 of the 10000 paid is left to ask for.
    let res = app
        .after_sales(&consumer, refund_of("booking", &booking, 7001))
        .await;
    assert_eq!(res.fields(), ["amount_cents"], "{}", res.text);
    app.opened(&consumer, refund_of("booking", &booking, 7000))
        .await;
}

#[actix_web::test]
async fn a_refused_request_is_escalated_and_an_operator_decides_audited() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 1000))
        .await;
    let res = app.as_act(&k.owner, &id, "refuse", json!({})).await;
    assert_eq!(res.fields(), ["reason"], "a refusal says why");
    let res = app
        .as_act(&k.owner, &id, "refuse", json!({"reason": "照片看不出问题"}))
        .await;
    assert_eq!(res.body["status"], "refused", "{}", res.text);
    let res = app.as_act(&consumer, &id, "escalate", json!({})).await;
    assert_eq!(res.body["status"], "escalated", "{}", res.text);

    let operator = app.operator().await;
    let res = app
        .get("/api/v1/admin/after-sales?status=escalated")
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(res.body["items"][0]["id"], id.as_str(), "{}", res.text);
    app.get("/api/v1/admin/after-sales")
        .bearer(&consumer.access)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let decision = json!({"decision": "refund_part", "amount_cents": 800, "reason": "部分属实"});
    app.as_act(&consumer, &id, "decision", decision.clone())
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let res = app
        .as_act(
            &operator,
            &id,
            "decision",
            json!({"decision": "refund_part", "amount_cents": 4001, "reason": "部分属实"}),
        )
        .await;
    assert_eq!(res.fields(), ["amount_cents"], "{}", res.text);
    let res = app
        .as_act(&operator, &id, "decision", decision.clone())
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["status"], "resolved");
    assert_eq!(res.body["decision"], "refund_part");
    assert_eq!(res.body["refund_cents"], 800);
    assert_eq!(app.refunded(&order), 800);
    app.as_act(&operator, &id, "decision", decision)
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");

    let res = app
        .get(&format!(
            "/api/v1/admin/audit-log?subject_type=after_sales_request&subject_id={id}"
        ))
        .bearer(&operator.access)
        .send()
        .await;
    let entry = &res.body["items"][0];
    assert_eq!(entry["action"], "after_sales.decide", "{}", res.text);
    assert_eq!(entry["actor_id"], operator.id.as_str());
    assert_eq!(entry["before"]["status"], "escalated");
    assert_eq!(entry["after"]["refund_cents"], 800);
    assert_eq!(entry["reason"], "部分属实");
    assert_eq!(res.body["items"].as_array().unwrap().len(), 1);

    // The operator opening the request (the consumer's reason and photos) is audited too; its
    // consumer reading it is not.
    let audit = format!("/api/v1/admin/audit-log?subject_type=after_sales_request&subject_id={id}");
    let detail = format!("/api/v1/after-sales/{id}");
    let res = app.get(&detail).bearer(&consumer.access).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.get(&detail).bearer(&operator.access).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app.get(&audit).bearer(&operator.access).send().await;
    let actions: Vec<&str> = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["after_sales.read", "after_sales.decide"],
        "{}",
        res.text
    );
    assert_eq!(res.body["items"][0]["actor_id"], operator.id.as_str());
}

#[actix_web::test]
async fn an_unanswered_request_expires_by_its_job_and_can_then_be_escalated() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let booking = app.completed_booking(&shop, &consumer).await;
    let id = app
        .opened(
            &consumer,
            json!({"subject_kind": "booking", "subject_id": booking, "kind": "redo",
                   "reason": "厨房没有打扫"}),
        )
        .await;
    app.run_jobs().await;
    let status = |app: &TestApp| {
        use lifemarket::schema::after_sales_requests as r;
        r::table
            .select(r::status)
            .first::<String>(&mut app.conn())
            .unwrap()
    };
    assert_eq!(status(&app), "open", "the deadline is 48 hours away");
    app.conn()
        .batch_execute(
            "UPDATE after_sales_requests SET respond_by = now() - interval '1 second';
             UPDATE jobs SET run_at = now() - interval '1 second' WHERE kind = 'after_sales.expire'",
        )
        .unwrap();
    app.run_jobs().await;
    assert_eq!(status(&app), "expired");
    app.as_act(&shop.owner, &id, "agree", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    let res = app.as_act(&consumer, &id, "escalate", json!({})).await;
    assert_eq!(res.body["status"], "escalated", "{}", res.text);
    let operator = app.operator().await;
    let res = app
        .as_act(
            &operator,
            &id,
            "decision",
            json!({"decision": "redo", "reason": "请商家重新上门"}),
        )
        .await;
    assert_eq!(res.body["decision"], "redo", "{}", res.text);
    assert!(res.body["refund_cents"].is_null());
    let res = app
        .get(&format!("/api/v1/after-sales/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    let expired = &res.body["events"][1];
    assert_eq!(expired["action"], "expire");
    assert_eq!(expired["actor_role"], "system");
}

#[actix_web::test]
async fn refused_transitions_answer_409_or_403_and_write_nothing() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let operator = app.operator().await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 1000))
        .await;
    let reason = json!({"reason": "不同意"});
    let decision = json!({"decision": "reject", "reason": "不属实"});
    let audited = app.count("audit_log");
    let check = |app: &TestApp, expected_events: i64| {
        assert_eq!(app.count("after_sales_events"), expected_events);
        assert_eq!(app.count("audit_log"), audited);
        assert_eq!(app.refunded(&order), 0);
    };
    for action in ["accept-offer", "decline-offer", "escalate"] {
        app.as_act(&consumer, &id, action, reason.clone())
            .await
            .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    }
    app.as_act(&operator, &id, "decision", decision.clone())
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    for action in ["agree", "offer", "refuse"] {
        app.as_act(&consumer, &id, action, reason.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    for action in ["escalate", "withdraw", "accept-offer"] {
        app.as_act(&k.owner, &id, action, reason.clone())
            .await
            .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
    check(&app, 1);
    let res = app.as_act(&consumer, &id, "withdraw", json!({})).await;
    assert_eq!(res.body["status"], "withdrawn", "{}", res.text);
    for action in ["agree", "refuse"] {
        app.as_act(&k.owner, &id, action, reason.clone())
            .await
            .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    }
    app.as_act(&k.owner, &id, "offer", json!({"amount_cents": 100}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    for action in ["withdraw", "escalate", "accept-offer", "decline-offer"] {
        app.as_act(&consumer, &id, action, json!({}))
            .await
            .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    }
    app.as_act(&operator, &id, "decision", decision)
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    check(&app, 2);
}

#[actix_web::test]
async fn foreign_callers_get_404_on_every_route_with_an_id() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 1000))
        .await;
    let other_consumer = app.consumer().await;
    let (_, other_owner) = app.merchant().await;
    for user in [&other_consumer, &other_owner] {
        let res = app
            .get(&format!("/api/v1/after-sales/{id}"))
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
        for action in [
            "agree",
            "offer",
            "refuse",
            "accept-offer",
            "decline-offer",
            "escalate",
            "withdraw",
        ] {
            let res = app
                .as_act(user, &id, action, json!({"reason": "x", "amount_cents": 1}))
                .await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{action}: {}", res.text);
        }
        let res = app
            .get(&format!("/api/v1/merchants/{}/after-sales", k.merchant))
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text);
        let res = app
            .get("/api/v1/me/after-sales")
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(res.body["items"], json!([]));
    }
    let operator = app.operator().await;
    let missing = uuid::Uuid::now_v7().to_string();
    app.as_act(
        &operator,
        &missing,
        "decision",
        json!({"decision": "reject", "reason": "不属实"}),
    )
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = app
        .get("/api/v1/me/after-sales")
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(res.body["items"][0]["id"], id.as_str());
}

#[actix_web::test]
async fn a_request_needs_the_callers_own_completed_subject_within_the_window() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let someone = app.consumer().await;
    app.after_sales(&someone, refund_of("order", &order, 100))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let missing = uuid::Uuid::now_v7().to_string();
    app.after_sales(&consumer, refund_of("booking", &order, 100))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.after_sales(&consumer, refund_of("order", &missing, 100))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    let (placed, _) = app.placed(&k, &consumer, "contactless").await;
    app.after_sales(&consumer, refund_of("order", &placed, 100))
        .await
        .assert_problem(StatusCode::CONFLICT, "not_completed");
    app.conn()
        .batch_execute(&format!(
            "UPDATE order_events SET at = now() - interval '7 days 1 minute'
             WHERE order_id = '{order}' AND to_status = 'completed'"
        ))
        .unwrap();
    app.after_sales(&consumer, refund_of("order", &order, 100))
        .await
        .assert_problem(StatusCode::CONFLICT, "after_sales_window_closed");
    app.conn()
        .batch_execute(&format!(
            "UPDATE order_events SET at = now() - interval '6 days 23 hours'
             WHERE order_id = '{order}' AND to_status = 'completed'"
        ))
        .unwrap();
    app.opened(&consumer, refund_of("order", &order, 100)).await;
    assert_eq!(app.count("after_sales_requests"), 1);
}

#[actix_web::test]
async fn bad_amounts_reasons_and_photos_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let mut redo_with_amount = refund_of("order", &order, 100);
    redo_with_amount["kind"] = json!("redo");
    let mut no_amount = refund_of("order", &order, 1);
    no_amount.as_object_mut().unwrap().remove("amount_cents");
    let mut short = refund_of("order", &order, 100);
    short["reason"] = json!("差");
    let handoff = app.upload(&consumer, "handoff_photo", jpeg(false)).await;
    let mut wrong_photo = refund_of("order", &order, 100);
    wrong_photo["photo_refs"] = json!([handoff]);
    let others = app
        .upload(&k.owner, "after_sales_evidence", jpeg(false))
        .await;
    let mut not_mine = refund_of("order", &order, 100);
    not_mine["photo_refs"] = json!([others]);
    for (body, field) in [
        (refund_of("order", &order, 0), "amount_cents"),
        (refund_of("order", &order, 4001), "amount_cents"),
        (redo_with_amount, "amount_cents"),
        (no_amount, "amount_cents"),
        (short, "reason"),
        (wrong_photo, "photo_refs[0]"),
        (not_mine, "photo_refs[0]"),
    ] {
        let res = app.after_sales(&consumer, body).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), [field], "{}", res.text);
    }
    assert_eq!(app.count("after_sales_requests"), 0);
    app.opened(&consumer, refund_of("order", &order, 4000))
        .await;
}

#[actix_web::test]
async fn one_request_per_subject_is_open_even_when_two_arrive_at_once() {
    let app = TestApp::spawn_with(|c, _| {
        c.db_pool_size = 8;
        c.db_acquire_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let responses = join_all((0..10).map(|_| {
        app.post("/api/v1/after-sales")
            .bearer(&consumer.access)
            .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
            .json(refund_of("order", &order, 500))
            .send()
    }))
    .await;
    let created: Vec<&Res> = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .collect();
    assert_eq!(
        created.len(),
        1,
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for res in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        res.assert_problem(StatusCode::CONFLICT, "after_sales_open");
    }
    assert_eq!(app.count("after_sales_requests"), 1);
    let id = created[0].body["id"].as_str().unwrap().to_owned();
    app.after_sales(&consumer, refund_of("order", &order, 500))
        .await
        .assert_problem(StatusCode::CONFLICT, "after_sales_open");
    // Withdrawn, the subject takes a new request.
    app.as_act(&consumer, &id, "withdraw", json!({})).await;
    app.opened(&consumer, refund_of("order", &order, 500)).await;
}

#[actix_web::test]
async fn the_export_lists_requests_and_erasure_blanks_their_reasons_and_photos() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let photo = app
        .upload(&consumer, "after_sales_evidence", jpeg(true))
        .await;
    let mut body = refund_of("order", &order, 1000);
    body["photo_refs"] = json!([photo]);
    let id = app.opened(&consumer, body).await;
    app.as_act(&k.owner, &id, "agree", json!({})).await;
    let res = app
        .get("/api/v1/me/export")
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(
        res.body["after_sales"][0]["id"],
        id.as_str(),
        "{}",
        res.text
    );
    assert_eq!(res.body["after_sales"][0]["reason"], "菜品洒了一半");
    let res = app
        .request("DELETE".parse().unwrap(), "/api/v1/me")
        .bearer(&consumer.access)
        .json(json!({"password": consumer.password}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    let res = app
        .get(&format!("/api/v1/after-sales/{id}"))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(res.body["reason"], "已删除", "{}", res.text);
    assert_eq!(res.body["photo_refs"], json!([]));
    assert_eq!(
        res.body["refund_cents"], 1000,
        "the request stays for the records"
    );
    let res = app
        .get(&format!("/api/v1/uploads/{photo}"))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn a_declined_offer_is_escalated_and_refunded_in_full_by_the_operator() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 2000))
        .await;
    let res = app
        .as_act(&k.owner, &id, "offer", json!({"amount_cents": 500}))
        .await;
    assert_eq!(res.body["status"], "offered", "{}", res.text);
    let res = app
        .as_act(&consumer, &id, "decline-offer", json!({"reason": "太少了"}))
        .await;
    assert_eq!(res.body["status"], "declined", "{}", res.text);
    assert_eq!(app.refunded(&order), 0, "a declined offer refunds nothing");
    app.as_act(&consumer, &id, "escalate", json!({})).await;
    let operator = app.operator().await;
    let res = app
        .as_act(
            &operator,
            &id,
            "decision",
            json!({"decision": "refund_full", "amount_cents": 100, "reason": "属实"}),
        )
        .await;
    assert_eq!(
        res.fields(),
        ["amount_cents"],
        "only refund_part takes an amount"
    );
    let res = app
        .as_act(
            &operator,
            &id,
            "decision",
            json!({"decision": "refund_full", "reason": "属实"}),
        )
        .await;
    assert_eq!(res.body["refund_cents"], 2000, "{}", res.text);
    assert_eq!(app.refunded(&order), 2000);
    // The merchant's members hear of the decision too.
    app.run_jobs().await;
    assert!(app
        .sent_emails()
        .iter()
        .any(|m| m.to.contains(&k.owner.email) && m.raw.contains("decided by the platform")));
}

#[actix_web::test]
async fn an_agreed_redo_refunds_nothing_and_a_retried_request_replays() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let body = json!({"subject_kind": "order", "subject_id": order, "kind": "redo",
                      "reason": "面是冷的，请重做"});
    let send = |body: Value| {
        app.post("/api/v1/after-sales")
            .bearer(&consumer.access)
            .header("idempotency-key", "after-sales-1")
            .json(body)
            .send()
    };
    let first = send(body.clone()).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text);
    let again = send(body.clone()).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body["id"], first.body["id"]);
    let mut other = body;
    other["reason"] = json!("另一个理由");
    send(other)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    let res = app
        .post("/api/v1/after-sales")
        .bearer(&consumer.access)
        .json(refund_of("order", &order, 100))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_required");
    assert_eq!(app.count("after_sales_requests"), 1);

    let id = first.body["id"].as_str().unwrap();
    let res = app.as_act(&k.owner, id, "agree", json!({})).await;
    assert_eq!(res.body["status"], "agreed", "{}", res.text);
    assert!(res.body["refund_cents"].is_null());
    assert_eq!(app.refunded(&order), 0);
}

#[actix_web::test]
async fn a_refused_request_is_escalated_within_seven_days_or_only_withdrawn() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 1000))
        .await;
    let res = app
        .as_act(&k.owner, &id, "refuse", json!({"reason": "已按要求出餐"}))
        .await;
    assert_eq!(res.body["status"], "refused", "{}", res.text);
    // Eight days pass without the consumer taking it further.
    app.conn()
        .batch_execute(&format!(
            "UPDATE after_sales_events SET at = at - interval '8 days' WHERE request_id = '{id}'"
        ))
        .unwrap();
    let events = app.count("after_sales_events");
    app.as_act(&consumer, &id, "escalate", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "escalation_window_closed");
    assert_eq!(app.count("after_sales_events"), events, "nothing written");
    let res = app.as_act(&consumer, &id, "withdraw", json!({})).await;
    assert_eq!(res.body["status"], "withdrawn", "{}", res.text);
    // Within the window a fresh refusal can be escalated (the other tests), and an escalated or
    // ended request still answers invalid_transition, not the window.
    app.as_act(&consumer, &id, "escalate", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[actix_web::test]
async fn past_the_deadline_the_merchant_cannot_answer_and_the_consumer_escalates_before_the_job() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 1000))
        .await;
    // The 48 hours pass; the expiry job has not run yet.
    app.conn()
        .batch_execute(&format!(
            "UPDATE after_sales_requests SET respond_by = now() - interval '1 second' WHERE id = '{id}'"
        ))
        .unwrap();
    app.as_act(&k.owner, &id, "agree", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    assert_eq!(app.refunded(&order), 0, "no late agreement refunds");
    let res = app.as_act(&consumer, &id, "escalate", json!({})).await;
    assert_eq!(res.body["status"], "escalated", "{}", res.text);
    let detail = app
        .get(&format!("/api/v1/after-sales/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    let actions: Vec<&str> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["open", "expire", "escalate"], "{}", detail.text);
}

#[actix_web::test]
async fn answers_that_race_each_other_settle_a_request_once() {
    let app = TestApp::spawn_with(|c, _| {
        c.db_pool_size = 8;
        c.db_acquire_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let order = app.completed_order(&k, &consumer).await;
    let id = app
        .opened(&consumer, refund_of("order", &order, 1000))
        .await;
    // The merchant agrees five times while the consumer withdraws five times, all at once.
    let answers = join_all((0..10).map(|i| {
        let (user, action) = if i % 2 == 0 {
            (&k.owner, "agree")
        } else {
            (&consumer, "withdraw")
        };
        app.as_act(user, &id, action, json!({}))
    }))
    .await;
    let ok: Vec<&Res> = answers
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .collect();
    assert_eq!(
        ok.len(),
        1,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for res in answers.iter().filter(|r| r.status != StatusCode::OK) {
        res.assert_problem(StatusCode::CONFLICT, "invalid_transition");
    }
    let expected = if ok[0].body["status"] == "agreed" {
        1000
    } else {
        0
    };
    assert_eq!(
        app.refunded(&order),
        expected,
        "refunded once or not at all"
    );
}
