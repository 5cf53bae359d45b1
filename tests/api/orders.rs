//! Orders: both lifecycles, handoff proofs, masking, refunds and their races.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::orders::drop_address;
use crate::helpers::TestApp;

#[actix_web::test]
async fn a_catering_order_goes_from_placed_to_completed_with_proof_and_safety_card() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let res = app
        .order(&consumer, json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
            "items": [{"service_id": k.items[0], "quantity": 2}, {"service_id": k.items[1], "quantity": 1}]}))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["amounts"]["subtotal_cents"], 3400);
    assert_eq!(res.body["amounts"]["total_cents"], 4000);
    assert_eq!(res.body["items"][0]["name"], "重庆小面");
    assert_eq!(res.body["status"], "awaiting_payment");
    assert_eq!(res.body["pin"].as_str().unwrap().len(), 4);
    let id = res.body["id"].as_str().unwrap().to_owned();
    app.pay(&consumer, "orders", &id, "wechat").await;

    // A later price change leaves the order as it was charged.
    app.patch(&format!("/api/v1/services/{}", k.items[0]))
        .bearer(&k.owner.access)
        .json(json!({"price_cents": 9900}))
        .send()
        .await;

    let res = app.order_act(&k.owner, &id, "accept", json!({})).await;
    assert_eq!(res.body["status"], "accepted", "{}", res.text);
    assert!(res.body["promised_at"].is_string());
    assert!(res.body["pin"].is_null(), "only the consumer sees the PIN");
    app.post(&format!("/api/v1/orders/{id}/courier"))
        .bearer(&k.owner.access)
        .json(json!({"worker_id": k.courier}))
        .send()
        .await;
    let res = app
        .post(&format!("/api/v1/orders/{id}/safety-checks"))
        .bearer(&k.owner.access)
        .json(json!({"role": "preparer", "temperature_c": 36.5, "ok": true}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.order_act(&k.owner, &id, "ready", json!({})).await;
    let res = app
        .order_act(&k.courier_user, &id, "pick-up", json!({}))
        .await;
    assert_eq!(res.body["status"], "picked_up", "{}", res.text);

    let res = app
        .order_act(
            &k.courier_user,
            &id,
            "deliver",
            json!({"proof": {"method": "contactless", "drop_point": "门口鞋柜"}}),
        )
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["proof.photo_refs"]);
    let res = app
        .order_act(
            &k.courier_user,
            &id,
            "deliver",
            app.photo(&k.courier_user, "门口鞋柜").await,
        )
        .await;
    assert_eq!(res.body["status"], "delivered", "{}", res.text);

    let res = app
        .order_act(&consumer, &id, "confirm-receipt", json!({}))
        .await;
    assert_eq!(res.body["status"], "completed");
    assert_eq!(res.body["amounts"]["total_cents"], 4000);
    // The consumer's emails name each status in Chinese, with the total in yuan.
    app.run_jobs().await;
    let mails: Vec<_> = app
        .sent_emails()
        .into_iter()
        .filter(|m| m.to.contains(&consumer.email))
        .map(|m| m.raw)
        .collect();
    for words in [
        "当前状态：商家已接单",
        "当前状态：配送中",
        "当前状态：已完成",
    ] {
        assert!(
            mails.iter().any(|m| m.contains(words)),
            "no email says {words}: {mails:#?}"
        );
    }
    assert!(mails.iter().all(|m| !m.contains("状态：accepted")));
    assert!(mails.iter().any(|m| m.contains("合计 / Total: 40.00 元")));
    assert_eq!(res.body["proofs"][0]["method"], "contactless");
    assert_eq!(res.body["safety_checks"][0]["temperature_c"], 36.5);
    let detail = app
        .get(&format!("/api/v1/orders/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    let actions: Vec<&str> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "place",
            "pay",
            "accept",
            "assign_courier",
            "ready",
            "pick_up",
            "deliver",
            "confirm_receipt"
        ]
    );
    let mine = app
        .get("/api/v1/me/deliveries")
        .bearer(&k.courier_user.access)
        .send()
        .await;
    assert_eq!(mine.body["items"][0]["id"], id.as_str());
}

#[actix_web::test]
async fn an_in_person_handoff_needs_the_right_pin_and_wrong_ones_are_limited() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, pin) = app.placed(&k, &consumer, "in_person").await;
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &id, action, json!({})).await;
    }
    let wrong = if pin == "0000" { "1111" } else { "0000" };
    let handoff =
        |p: &str| json!({"proof": {"method": "in_person", "drop_point": "门口", "pin": p}});
    let res = app
        .order_act(&k.owner, &id, "deliver", handoff(wrong))
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "wrong_pin");
    assert_eq!(res.fields(), ["proof.pin"]);
    let res = app.order_act(&k.owner, &id, "deliver", handoff(&pin)).await;
    assert_eq!(res.body["status"], "delivered", "{}", res.text);
    assert_eq!(res.body["proofs"][0]["pin_checked"], true);

    // Five wrong PINs lock in-person handoff, and the count survives the refusals.
    let (second, pin) = app.placed(&k, &consumer, "in_person").await;
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &second, action, json!({})).await;
    }
    let wrong = if pin == "0000" { "1111" } else { "0000" };
    for _ in 0..5 {
        app.order_act(&k.owner, &second, "deliver", handoff(wrong))
            .await
            .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "wrong_pin");
    }
    app.order_act(&k.owner, &second, "deliver", handoff(&pin))
        .await
        .assert_problem(StatusCode::CONFLICT, "pin_locked");
    let res = app
        .order_act(
            &k.owner,
            &second,
            "deliver",
            json!({"proof": {"method": "reception", "drop_point": "物业前台"}}),
        )
        .await;
    assert_eq!(
        res.body["status"], "delivered",
        "another method still works"
    );
}

#[actix_web::test]
async fn prices_from_the_client_and_addresses_outside_the_area_are_refused() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let base = json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
                      "items": [{"service_id": k.items[0], "quantity": 1}]});
    let mut with_total = base.clone();
    with_total["total_cents"] = json!(1);
    assert_eq!(
        app.order(&consumer, with_total).await.fields(),
        ["total_cents"]
    );
    let mut with_price = base.clone();
    with_price["items"][0]["price_cents"] = json!(1);
    assert_eq!(
        app.order(&consumer, with_price).await.fields(),
        ["items[0].price_cents"]
    );
    let mut far = base.clone();
    far["address"]["lat"] = json!(30.6);
    let res = app.order(&consumer, far).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["address"]);
    let mut too_little = base.clone();
    too_little["items"] = json!([{"service_id": k.items[1], "quantity": 0}]);
    assert_eq!(
        app.order(&consumer, too_little).await.fields(),
        ["items[0].quantity"]
    );
    let mut below_minimum = base.clone();
    below_minimum["items"] = json!([]);
    assert_eq!(
        app.order(&consumer, below_minimum).await.fields(),
        ["items"]
    );
    assert_eq!(app.count("orders"), 0);

    app.patch(&format!("/api/v1/merchants/{}", k.merchant))
        .bearer(&k.owner.access)
        .json(json!({"opening_hours": {}}))
        .send()
        .await;
    app.order(&consumer, base)
        .await
        .assert_problem(StatusCode::CONFLICT, "merchant_closed");
    assert_eq!(app.count("orders"), 0);
}

#[actix_web::test]
async fn refused_order_transitions_answer_409_and_write_nothing() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    let events = app.count("order_events");
    for action in [
        "ready",
        "pick-up",
        "deliver",
        "fail",
        "return",
        "confirm-receipt",
        "schedule-pickup",
        "process",
    ] {
        let user = if action == "confirm-receipt" {
            &consumer
        } else {
            &k.owner
        };
        let res = app
            .order_act(user, &id, action, app.photo(user, "门口").await)
            .await;
        res.assert_problem(StatusCode::CONFLICT, "invalid_transition");
    }
    app.order_act(&consumer, &id, "accept", json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("order_events"), events);
    assert_eq!(app.count("handoff_proofs"), 0);
}

#[actix_web::test]
async fn strangers_and_other_merchants_get_404_on_every_order_route() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    let stranger = app.consumer().await;
    let other = app.kitchen().await;
    for user in [&stranger, &other.owner, &other.courier_user] {
        assert_eq!(
            app.get(&format!("/api/v1/orders/{id}"))
                .bearer(&user.access)
                .send()
                .await
                .status,
            StatusCode::NOT_FOUND
        );
        for action in [
            "accept",
            "reject",
            "cancel",
            "ready",
            "pick-up",
            "deliver",
            "fail",
            "return",
            "confirm-receipt",
            "schedule-pickup",
            "pickup-failed",
            "requote",
            "approve-quote",
            "decline-quote",
            "process",
            "send-back",
        ] {
            let res = app.order_act(user, &id, action, json!({})).await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{action}: {}", res.text);
        }
        let res = app
            .post(&format!("/api/v1/orders/{id}/courier"))
            .bearer(&user.access)
            .json(json!({"worker_id": other.courier}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let res = app
            .post(&format!("/api/v1/orders/{id}/safety-checks"))
            .bearer(&user.access)
            .json(json!({"role": "packer", "temperature_c": 36.6, "ok": true}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        assert_eq!(
            app.get(&format!("/api/v1/merchants/{}/orders", k.merchant))
                .bearer(&user.access)
                .send()
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
    // Refunds are for operators only.
    let res = app
        .post(&format!("/api/v1/orders/{id}/refunds"))
        .bearer(&consumer.access)
        .json(json!({"amount_cents": 100, "reason": "想要"}))
        .send()
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("refunds"), 0);
}

#[actix_web::test]
async fn the_merchant_and_courier_see_masked_contacts_and_the_address_only_while_active() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    app.order_act(&k.owner, &id, "accept", json!({})).await;
    app.post(&format!("/api/v1/orders/{id}/courier"))
        .bearer(&k.owner.access)
        .json(json!({"worker_id": k.courier}))
        .send()
        .await;
    let url = format!("/api/v1/orders/{id}");
    for viewer in [&k.owner, &k.courier_user] {
        let d = &app.get(&url).bearer(&viewer.access).send().await.body["destination"];
        assert_eq!(d["recipient_phone"], "138****5678");
        assert_eq!(d["recipient_name"], "王**");
        assert_eq!(d["address_text"], "重庆市渝中区解放碑步行街88号3栋1201");
    }
    for action in ["ready", "pick-up"] {
        app.order_act(&k.owner, &id, action, json!({})).await;
    }
    app.order_act(
        &k.courier_user,
        &id,
        "deliver",
        app.photo(&k.courier_user, "门口").await,
    )
    .await;
    app.order_act(&consumer, &id, "confirm-receipt", json!({}))
        .await;
    for viewer in [&k.owner, &k.courier_user] {
        let d = &app.get(&url).bearer(&viewer.access).send().await.body["destination"];
        assert_eq!(d["address_text"], "重庆市渝中区解放碑步行街88号***");
        assert!(d["drop_point_note"].is_null());
    }
    let own = &app.get(&url).bearer(&consumer.access).send().await.body["destination"];
    assert_eq!(own["recipient_phone"], "13812345678");
}

#[actix_web::test]
async fn an_unanswered_order_is_cancelled_by_the_acceptance_timer() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    app.run_jobs().await;
    app.conn()
        .batch_execute(
            "UPDATE jobs SET run_at = now() - interval '1 second' WHERE kind = 'order.expire'",
        )
        .unwrap();
    app.run_jobs().await;
    let res = app
        .get(&format!("/api/v1/orders/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(res.body["status"], "cancelled");
    assert_eq!(
        res.body["events"].as_array().unwrap().last().unwrap()["actor_role"],
        "system"
    );
    assert_eq!(
        app.count("refunds WHERE kind = 'rejection' AND amount_cents = 4000"),
        1,
        "not accepted in time: everything paid goes back"
    );
}

#[actix_web::test]
async fn cancellations_after_acceptance_failed_deliveries_and_lateness_create_refunds() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (cancelled, _) = app.placed(&k, &consumer, "contactless").await;
    app.order_act(&k.owner, &cancelled, "accept", json!({}))
        .await;
    let res = app
        .order_act(&consumer, &cancelled, "cancel", json!({"reason": "不要了"}))
        .await;
    assert_eq!(res.body["refunds"][0]["amount_cents"], 4000, "{}", res.text);
    assert_eq!(res.body["refunds"][0]["kind"], "cancellation");

    let (failed, _) = app.placed(&k, &consumer, "contactless").await;
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &failed, action, json!({})).await;
    }
    app.order_act(&k.owner, &failed, "fail", json!({}))
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    app.order_act(&k.owner, &failed, "fail", json!({"reason": "联系不上顾客"}))
        .await;
    let res = app.order_act(&k.owner, &failed, "return", json!({})).await;
    assert_eq!(res.body["status"], "returned");
    assert_eq!(res.body["amounts"]["refunded_cents"], 4000);

    let (late, _) = app.placed(&k, &consumer, "contactless").await;
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &late, action, json!({})).await;
    }
    app.conn()
        .batch_execute(&format!(
            "UPDATE orders SET promised_at = now() - interval '25 minutes' WHERE id = '{late}'"
        ))
        .unwrap();
    let res = app
        .order_act(
            &k.owner,
            &late,
            "deliver",
            app.photo(&k.owner, "门口").await,
        )
        .await;
    assert_eq!(res.body["late_minutes"], 25);
    assert_eq!(res.body["refunds"][0]["kind"], "late_compensation");
    assert_eq!(res.body["refunds"][0]["amount_cents"], 600);
}

#[actix_web::test]
async fn twenty_concurrent_refunds_never_exceed_the_total() {
    let app = TestApp::spawn_with(|c, _| {
        c.db_pool_size = 8;
        c.db_acquire_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await; // total 4000
    let operator = app.operator().await;
    let url = format!("/api/v1/orders/{id}/refunds");
    let responses = join_all((0..20).map(|_| {
        app.post(&url)
            .bearer(&operator.access)
            .json(json!({"amount_cents": 700, "reason": "投诉处理"}))
            .send()
    }))
    .await;
    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 5, "5 x 700 = 3500 fits in 4000; a sixth would not");
    for res in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        res.assert_problem(StatusCode::CONFLICT, "refund_exceeds_total");
    }
    #[derive(QueryableByName)]
    struct Sum {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let sum: Sum =
        diesel::sql_query("SELECT COALESCE(sum(amount_cents), 0)::bigint AS n FROM refunds")
            .get_result(&mut app.conn())
            .unwrap();
    assert_eq!(sum.n, 3500);
    let order = app
        .get(&format!("/api/v1/orders/{id}"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(order.body["amounts"]["refunded_cents"], 3500);
    assert_eq!(app.count("refunds"), 5);
}

#[actix_web::test]
async fn fifty_concurrent_replays_of_one_idempotency_key_create_one_order() {
    let app = TestApp::spawn_with(|c, _| {
        c.db_pool_size = 8;
        c.db_acquire_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let body = json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": drop_address(),
                      "items": [{"service_id": k.items[0], "quantity": 1}]});
    let responses = join_all((0..50).map(|_| {
        app.post("/api/v1/orders")
            .bearer(&consumer.access)
            .header("idempotency-key", "lunch-1")
            .json(body.clone())
            .send()
    }))
    .await;
    assert!(
        responses
            .iter()
            .all(|r| r.status == StatusCode::CREATED || r.status == StatusCode::CONFLICT),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(app.count("orders"), 1);
    let ids: std::collections::HashSet<_> = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .map(|r| r.body["id"].clone())
        .collect();
    assert_eq!(ids.len(), 1);
    let again = app
        .post("/api/v1/orders")
        .bearer(&consumer.access)
        .header("idempotency-key", "lunch-1")
        .json(body)
        .send()
        .await;
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
}

#[actix_web::test]
async fn a_laundry_order_is_collected_requoted_processed_and_returned() {
    let app = TestApp::spawn().await;
    let k = app.kitchen_of("laundry", "pickup_return").await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await; // 3 items ordered
    app.order_act(&k.owner, &id, "accept", json!({})).await;
    app.post(&format!("/api/v1/orders/{id}/courier"))
        .bearer(&k.owner.access)
        .json(json!({"worker_id": k.courier}))
        .send()
        .await;
    let at = chrono::Utc::now() + chrono::Duration::hours(2);
    let res = app
        .order_act(&k.owner, &id, "schedule-pickup", json!({"pickup_at": at}))
        .await;
    assert_eq!(res.body["status"], "pickup_scheduled", "{}", res.text);
    app.order_act(
        &k.courier_user,
        &id,
        "pickup-failed",
        json!({"reason": "无人在家"}),
    )
    .await;
    app.order_act(&k.owner, &id, "schedule-pickup", json!({"pickup_at": at}))
        .await;
    // Collecting needs a proof with the item count.
    let res = app
        .order_act(
            &k.courier_user,
            &id,
            "pick-up",
            app.photo(&k.courier_user, "门口").await,
        )
        .await;
    assert_eq!(res.fields(), ["proof.item_count"]);
    let res = app.order_act(&k.courier_user, &id, "pick-up",
        json!({"proof": {"method": "in_person", "drop_point": "门口", "pin": null, "item_count": 4}})).await;
    assert_eq!(res.fields(), ["proof.pin"]);
    let photos = [
        app.upload(
            &k.courier_user,
            "handoff_photo",
            crate::helpers::images::jpeg(true),
        )
        .await,
        app.upload(
            &k.courier_user,
            "handoff_photo",
            crate::helpers::images::webp(true),
        )
        .await,
    ];
    let res = app.order_act(&k.courier_user, &id, "pick-up",
        json!({"proof": {"method": "contactless", "drop_point": "门口", "photo_refs": photos, "item_count": 4}})).await;
    assert_eq!(res.body["status"], "picked_up", "{}", res.text);
    assert_eq!(res.body["item_count"], 4);
    // Four collected, three ordered: processing waits for a re-quote.
    app.order_act(&k.owner, &id, "process", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "requote_required");
    app.order_act(&k.owner, &id, "requote", json!({"requote_cents": 4400}))
        .await;
    let res = app
        .order_act(&consumer, &id, "approve-quote", json!({}))
        .await;
    assert_eq!(res.body["status"], "processing");
    assert_eq!(res.body["amounts"]["total_cents"], 5000);
    app.order_act(&k.owner, &id, "send-back", json!({})).await;
    let res = app
        .order_act(
            &k.courier_user,
            &id,
            "deliver",
            app.photo(&k.courier_user, "门口").await,
        )
        .await;
    assert_eq!(res.body["status"], "delivered", "{}", res.text);
    let legs: Vec<&str> = res.body["proofs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["leg"].as_str().unwrap())
        .collect();
    assert_eq!(legs, ["pickup", "delivery"]);
}

#[actix_web::test]
async fn a_declined_requote_brings_the_items_back_and_refunds_the_subtotal() {
    let app = TestApp::spawn().await;
    let k = app.kitchen_of("laundry", "pickup_return").await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    app.order_act(&k.owner, &id, "accept", json!({})).await;
    app.order_act(
        &k.owner,
        &id,
        "schedule-pickup",
        json!({"pickup_at": chrono::Utc::now() + chrono::Duration::hours(1)}),
    )
    .await;
    app.order_act(
        &k.owner,
        &id,
        "pick-up",
        json!({"proof": {"method": "reception", "drop_point": "物业前台", "item_count": 5}}),
    )
    .await;
    app.order_act(&k.owner, &id, "requote", json!({"requote_cents": 6000}))
        .await;
    let res = app
        .order_act(&consumer, &id, "decline-quote", json!({}))
        .await;
    assert_eq!(res.body["status"], "out_for_return", "{}", res.text);
    assert_eq!(res.body["refunds"][0]["amount_cents"], 3400);
    assert_eq!(res.body["refunds"][0]["kind"], "requote_declined");
}

#[actix_web::test]
async fn an_in_person_order_is_not_dropped_and_the_courier_keeps_the_safety_card() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "in_person").await;
    app.order_act(&k.owner, &id, "accept", json!({})).await;
    app.post(&format!("/api/v1/orders/{id}/courier"))
        .bearer(&k.owner.access)
        .json(json!({"worker_id": k.courier}))
        .send()
        .await;
    let check = json!({"role": "courier", "temperature_c": 36.4, "ok": true});
    let res = app
        .post(&format!("/api/v1/orders/{id}/safety-checks"))
        .bearer(&k.courier_user.access)
        .json(check.clone())
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.post(&format!("/api/v1/orders/{id}/safety-checks"))
        .bearer(&consumer.access)
        .json(check)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    for action in ["ready", "pick-up"] {
        app.order_act(&k.owner, &id, action, json!({})).await;
    }
    let res = app
        .order_act(
            &k.courier_user,
            &id,
            "deliver",
            app.photo(&k.courier_user, "门口").await,
        )
        .await;
    assert_eq!(res.fields(), ["proof.method"]);
}

#[actix_web::test]
async fn a_safety_check_falls_within_the_orders_own_time() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    let check = |at: String| {
        app.post(&format!("/api/v1/orders/{id}/safety-checks"))
            .bearer(&k.owner.access)
            .json(json!({"role": "packer", "temperature_c": 36.5, "ok": true, "checked_at": at}))
            .send()
    };
    let now = chrono::Utc::now();
    for (what, at) in [
        ("the epoch", "1970-01-01T00:00:00Z".to_owned()),
        (
            "13 hours before the order",
            (now - chrono::Duration::hours(13)).to_rfc3339(),
        ),
        ("tomorrow", (now + chrono::Duration::days(1)).to_rfc3339()),
    ] {
        let res = check(at).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), ["checked_at"], "{what}");
    }
    assert_eq!(app.count("safety_checks"), 0);
    // The morning's check, 11 hours before the order, is accepted.
    let res = check((now - chrono::Duration::hours(11)).to_rfc3339()).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(app.count("safety_checks"), 1);
}
