//! Messages between the parties of a booking or an order: who may read and write, the grace
//! period, operators' audited reads, bad input, coalesced emails, the sweep, erasure, photos.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::booking::slot;
use crate::helpers::images::jpeg;
use crate::helpers::{Res, TestApp, TestUser};

async fn post(app: &TestApp, user: &TestUser, thread: &str, body: Value) -> Res {
    app.post(&format!("/api/v1/{thread}/messages"))
        .bearer(&user.access)
        .json(body)
        .send()
        .await
}

async fn say(app: &TestApp, user: &TestUser, thread: &str, text: &str) -> Value {
    let res = post(app, user, thread, json!({"body": text})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    res.body
}

async fn read(app: &TestApp, user: &TestUser, thread: &str, query: &str) -> Res {
    app.get(&format!("/api/v1/{thread}/messages{query}"))
        .bearer(&user.access)
        .send()
        .await
}

fn bodies(res: &Res) -> Vec<String> {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap().to_owned())
        .collect()
}

/// A confirmed booking of a fresh shop: (thread path, the shop's owner, the consumer).
async fn booking_thread(app: &TestApp) -> (String, TestUser, TestUser) {
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(3)).await;
    (format!("bookings/{id}"), shop.owner, consumer)
}

/// An accepted order with its courier assigned: (thread path, kitchen, consumer).
async fn order_thread(app: &TestApp) -> (String, crate::helpers::orders::Kitchen, TestUser) {
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (id, _) = app.placed(&k, &consumer, "contactless").await;
    let res = app.order_act(&k.owner, &id, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .post(&format!("/api/v1/orders/{id}/courier"))
        .bearer(&k.owner.access)
        .json(json!({"worker_id": k.courier}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    (format!("orders/{id}"), k, consumer)
}

#[actix_web::test]
async fn the_consumer_and_the_merchant_exchange_messages_on_a_booking() {
    let app = TestApp::spawn().await;
    let (thread, owner, consumer) = booking_thread(&app).await;
    let first = say(&app, &consumer, &thread, "请带上吸尘器").await;
    assert_eq!(first["sender_role"], "consumer");
    assert_eq!(
        first["sender_name"], "王**",
        "the consumer's name is masked"
    );
    assert!(first["photo"].is_null());
    let second = say(&app, &owner, &thread, "好的，明天见\n谢谢").await;
    assert_eq!(second["sender_role"], "merchant");
    assert_eq!(second["sender_name"], "洁家家政");

    for reader in [&consumer, &owner] {
        let res = read(&app, reader, &thread, "").await;
        assert_eq!(bodies(&res), ["请带上吸尘器", "好的，明天见\n谢谢"]);
        assert!(res.body["next_cursor"].is_null());
    }
    // Polling: only what came after the last message seen.
    let since = first["id"].as_str().unwrap();
    let res = read(&app, &consumer, &thread, &format!("?since={since}")).await;
    assert_eq!(bodies(&res), ["好的，明天见\n谢谢"]);
    // Paging, oldest first.
    let res = read(&app, &consumer, &thread, "?limit=1").await;
    assert_eq!(bodies(&res), ["请带上吸尘器"]);
    let cursor = res.body["next_cursor"].as_str().unwrap().to_owned();
    let res = read(
        &app,
        &consumer,
        &thread,
        &format!("?limit=1&cursor={cursor}"),
    )
    .await;
    assert_eq!(bodies(&res), ["好的，明天见\n谢谢"]);
    assert_eq!(app.count("messages"), 2);
}

#[actix_web::test]
async fn the_courier_and_the_consumer_exchange_messages_on_an_order() {
    let app = TestApp::spawn().await;
    let (thread, k, consumer) = order_thread(&app).await;
    let first = say(&app, &k.courier_user, &thread, "我到楼下了").await;
    assert_eq!(first["sender_role"], "courier");
    assert_eq!(first["sender_name"], "小陈");
    let reply = say(&app, &consumer, &thread, "放门口鞋柜").await;
    assert_eq!(reply["sender_role"], "consumer");
    let member = say(&app, &k.owner, &thread, "已出餐").await;
    assert_eq!(member["sender_role"], "merchant");
    assert_eq!(member["sender_name"], "山城小面");
    for reader in [&consumer, &k.owner, &k.courier_user] {
        let res = read(&app, reader, &thread, "").await;
        assert_eq!(bodies(&res), ["我到楼下了", "放门口鞋柜", "已出餐"]);
    }
}

#[actix_web::test]
async fn strangers_get_404_on_every_messages_route() {
    let app = TestApp::spawn().await;
    let (booking, _, _) = booking_thread(&app).await;
    let (order, _, _) = order_thread(&app).await;
    let other = app.kitchen().await;
    let strangers = [
        app.consumer().await,
        other.owner.clone(),
        other.courier_user.clone(),
    ];
    let unknown_booking = format!("bookings/{}", uuid::Uuid::new_v4());
    let unknown_order = format!("orders/{}", uuid::Uuid::new_v4());
    for thread in [&booking, &order, &unknown_booking, &unknown_order] {
        for stranger in &strangers {
            read(&app, stranger, thread, "")
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
            post(&app, stranger, thread, json!({"body": "你好"}))
                .await
                .assert_problem(StatusCode::NOT_FOUND, "not_found");
        }
    }
    assert_eq!(app.count("messages"), 0);
    assert_eq!(app.count("message_notices"), 0);
}

#[actix_web::test]
async fn writing_closes_a_day_after_the_end_but_reading_stays() {
    let app = TestApp::spawn().await;
    let (thread, owner, consumer) = booking_thread(&app).await;
    let id = thread.trim_start_matches("bookings/").to_owned();
    let res = app
        .act(&consumer, &id, "cancel", json!({"reason": "有事"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Within the grace period, a last word is still possible.
    say(&app, &owner, &thread, "好的，已取消").await;
    app.conn()
        .batch_execute(&format!(
            "UPDATE booking_events SET at = now() - interval '25 hours' WHERE booking_id = '{id}'"
        ))
        .unwrap();
    post(&app, &consumer, &thread, json!({"body": "还在吗"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "messages_closed");
    assert_eq!(
        bodies(&read(&app, &consumer, &thread, "").await),
        ["好的，已取消"]
    );

    let (thread, k, consumer) = order_thread(&app).await;
    let id = thread.trim_start_matches("orders/").to_owned();
    let res = app
        .order_act(&consumer, &id, "cancel", json!({"reason": "不要了"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    say(&app, &consumer, &thread, "抱歉").await;
    app.conn()
        .batch_execute(&format!(
            "UPDATE order_events SET at = now() - interval '25 hours' WHERE order_id = '{id}'"
        ))
        .unwrap();
    post(&app, &k.owner, &thread, json!({"body": "没关系"}))
        .await
        .assert_problem(StatusCode::CONFLICT, "messages_closed");
    assert_eq!(bodies(&read(&app, &k.owner, &thread, "").await), ["抱歉"]);
}

#[actix_web::test]
async fn an_operators_read_is_audited_and_operators_do_not_write() {
    let app = TestApp::spawn().await;
    let (thread, _, consumer) = order_thread(&app).await;
    say(&app, &consumer, &thread, "餐到了吗").await;
    // A party's own read is not audited.
    read(&app, &consumer, &thread, "").await;
    assert_eq!(app.count("audit_log WHERE action = 'messages.read'"), 0);
    let operator = app.operator().await;
    assert_eq!(
        bodies(&read(&app, &operator, &thread, "").await),
        ["餐到了吗"]
    );
    let res = app
        .get(&format!(
            "/api/v1/admin/audit-log?subject_id={}",
            thread.trim_start_matches("orders/")
        ))
        .bearer(&operator.access)
        .send()
        .await;
    let entries = res.body["items"].as_array().unwrap();
    assert_eq!(entries.len(), 1, "{}", res.text);
    assert_eq!(entries[0]["action"], "messages.read");
    assert_eq!(entries[0]["subject_type"], "order");
    assert_eq!(entries[0]["actor_id"], operator.id.as_str());
    post(
        &app,
        &operator,
        &thread,
        json!({"body": "您好，这里是客服"}),
    )
    .await
    .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(app.count("messages"), 1);
}

#[actix_web::test]
async fn bad_messages_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let (thread, k, consumer) = order_thread(&app).await;
    let theirs = app.upload(&k.owner, "message_photo", jpeg(false)).await;
    let review_photo = app.upload(&consumer, "review_photo", jpeg(false)).await;
    let cases = [
        (json!({"body": ""}), "body"),
        (json!({"body": "长".repeat(1001)}), "body"),
        (json!({"body": "响铃\u{7}"}), "body"),
        (json!({"body": " 前面有空格"}), "body"),
        (json!({}), "body"),
        (json!({"body": "好", "sticker": "😀"}), "sticker"),
        (json!({"body": "好", "photo": "not-an-id"}), "photo"),
        (json!({"body": "好", "photo": theirs}), "photo"),
        (json!({"body": "好", "photo": review_photo}), "photo"),
        (
            json!({"body": "好", "photo": uuid::Uuid::new_v4()}),
            "photo",
        ),
    ];
    for (body, field) in cases {
        let res = post(&app, &consumer, &thread, body.clone()).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert!(
            res.fields().iter().any(|f| f.contains(field)),
            "{body}: {}",
            res.text
        );
    }
    // 1000 characters is the most.
    say(&app, &consumer, &thread, &"长".repeat(1000)).await;
    assert_eq!(app.count("messages"), 1);
    let res = read(&app, &consumer, &thread, "?since=not-an-id").await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    let res = read(
        &app,
        &consumer,
        &thread,
        &format!("?since={}", uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(res.fields(), ["since"], "{}", res.text);
}

fn notices_to(app: &TestApp, user: &TestUser) -> usize {
    app.sent_emails()
        .iter()
        .filter(|e| e.to == user.email && e.subject.contains("New message"))
        .count()
}

#[actix_web::test]
async fn notices_are_emailed_at_most_once_per_thread_in_ten_minutes() {
    let app = TestApp::spawn().await;
    let (thread, k, consumer) = order_thread(&app).await;
    for text in ["在吗", "能快点吗", "谢谢"] {
        say(&app, &consumer, &thread, text).await;
    }
    app.run_jobs().await;
    assert_eq!(notices_to(&app, &k.owner), 1);
    assert_eq!(notices_to(&app, &k.courier_user), 1);
    assert_eq!(notices_to(&app, &consumer), 0, "not to the sender");
    // The other side's reply is emailed to the consumer.
    say(&app, &k.courier_user, &thread, "马上到").await;
    say(&app, &k.courier_user, &thread, "到了").await;
    app.run_jobs().await;
    assert_eq!(notices_to(&app, &consumer), 1);
    assert_eq!(
        notices_to(&app, &k.owner),
        1,
        "one email per thread and recipient in 10 minutes, whoever writes"
    );
    // Ten minutes later, a new message is emailed again.
    app.conn()
        .batch_execute("UPDATE message_notices SET notified_at = now() - interval '11 minutes'")
        .unwrap();
    say(&app, &consumer, &thread, "收到了").await;
    app.run_jobs().await;
    assert_eq!(notices_to(&app, &k.courier_user), 2);
    assert_eq!(notices_to(&app, &k.owner), 2);
    assert_eq!(notices_to(&app, &consumer), 1);
}

#[actix_web::test]
async fn sending_is_rate_limited_per_sender() {
    let app = TestApp::spawn().await;
    let (thread, _, consumer) = booking_thread(&app).await;
    for i in 0..30 {
        say(&app, &consumer, &thread, &format!("第{i}条")).await;
    }
    let res = post(&app, &consumer, &thread, json!({"body": "太多了"})).await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(res.header("retry-after").is_some());
    assert_eq!(app.count("messages"), 30);
}

#[actix_web::test]
async fn a_message_photo_is_for_the_parties_and_404_to_a_stranger() {
    let app = TestApp::spawn().await;
    let (thread, k, consumer) = order_thread(&app).await;
    let photo = app.upload(&consumer, "message_photo", jpeg(true)).await;
    let res = post(
        &app,
        &consumer,
        &thread,
        json!({"body": "是这个门", "photo": photo}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["photo"]["id"], photo.as_str());
    assert!(res.body["photo"]["url"]
        .as_str()
        .unwrap()
        .contains("signature="));
    let listed = read(&app, &k.courier_user, &thread, "").await;
    assert_eq!(listed.body["items"][0]["photo"]["id"], photo.as_str());
    for reader in [&k.owner, &k.courier_user] {
        let res = app
            .get(&format!("/api/v1/uploads/{photo}"))
            .bearer(&reader.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["subject_kind"], "message");
    }
    let stranger = app.consumer().await;
    app.get(&format!("/api/v1/uploads/{photo}"))
        .bearer(&stranger.access)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // Attached once: it cannot go with a second message.
    let res = post(
        &app,
        &consumer,
        &thread,
        json!({"body": "再发一次", "photo": photo}),
    )
    .await;
    assert_eq!(res.fields(), ["photo"], "{}", res.text);
}

#[actix_web::test]
async fn the_sweep_deletes_threads_thirty_days_after_the_end_with_their_photos() {
    let app = TestApp::spawn().await;
    let (old, _, consumer) = order_thread(&app).await;
    let photo = app.upload(&consumer, "message_photo", jpeg(false)).await;
    let res = post(
        &app,
        &consumer,
        &old,
        json!({"body": "旧消息", "photo": photo}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let old_id = old.trim_start_matches("orders/").to_owned();
    let res = app
        .order_act(&consumer, &old_id, "cancel", json!({"reason": "不要了"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    // Ended 29 days ago: kept.
    let (recent, _, other) = order_thread(&app).await;
    say(&app, &other, &recent, "近的").await;
    let recent_id = recent.trim_start_matches("orders/").to_owned();
    app.order_act(&other, &recent_id, "cancel", json!({"reason": "不要了"}))
        .await;
    // Still going on, however old its messages: kept.
    let (active, _, third) = booking_thread(&app).await;
    say(&app, &third, &active, "还在进行").await;
    app.conn()
        .batch_execute(&format!(
            "UPDATE order_events SET at = now() - interval '31 days' WHERE order_id = '{old_id}';
             UPDATE order_events SET at = now() - interval '29 days' WHERE order_id = '{recent_id}';
             UPDATE messages SET created_at = now() - interval '31 days';"
        ))
        .unwrap();
    let file = app.upload_dir().join(format!("uploads/{photo}"));
    assert!(file.exists());
    lifemarket::jobs::ensure_recurring(&app.state.jobs)
        .await
        .unwrap();
    app.run_jobs().await;
    let left: Vec<String> = {
        use diesel::prelude::*;
        use lifemarket::schema::messages;
        messages::table
            .select(messages::body)
            .order(messages::body)
            .load(&mut app.conn())
            .unwrap()
    };
    assert_eq!(left, ["近的", "还在进行"]);
    assert_eq!(
        lifemarket::uploads::SubjectKind::Message.as_str(),
        "message"
    );
    app.get(&format!("/api/v1/uploads/{photo}"))
        .bearer(&consumer.access)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert!(!file.exists(), "the photo's file goes too");
}

#[actix_web::test]
async fn the_export_lists_ones_messages_and_deleting_the_account_erases_them() {
    let app = TestApp::spawn().await;
    let (thread, k, consumer) = order_thread(&app).await;
    let photo = app.upload(&consumer, "message_photo", jpeg(false)).await;
    let res = post(
        &app,
        &consumer,
        &thread,
        json!({"body": "我的消息", "photo": photo}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    say(&app, &k.owner, &thread, "商家的消息").await;
    let res = app
        .get("/api/v1/me/export")
        .bearer(&consumer.access)
        .send()
        .await;
    let exported = res.body["messages"].as_array().unwrap();
    assert_eq!(exported.len(), 1, "{}", res.text);
    assert_eq!(exported[0]["body"], "我的消息");
    assert_eq!(exported[0]["subject_kind"], "order");
    assert_eq!(exported[0]["photo"], photo.as_str());

    let id = thread.trim_start_matches("orders/").to_owned();
    let res = app
        .order_act(&consumer, &id, "cancel", json!({"reason": "不要了"}))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let res = app
        .request("DELETE".parse().unwrap(), "/api/v1/me")
        .bearer(&consumer.access)
        .json(json!({"password": consumer.password}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(
        bodies(&read(&app, &k.owner, &thread, "").await),
        ["商家的消息"]
    );
    assert_eq!(app.count("messages"), 1);
    assert_eq!(app.count("uploads WHERE subject_kind = 'message'"), 0);
}

#[actix_web::test]
async fn only_the_assigned_worker_or_courier_is_a_party() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let worker = app.consumer().await;
    let res = app
        .patch(&format!(
            "/api/v1/merchants/{}/workers/{}",
            shop.merchant, shop.workers[0]
        ))
        .bearer(&shop.owner.access)
        .json(json!({"login_email": worker.email}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(3)).await;
    let thread = format!("bookings/{id}");
    let said = say(&app, &worker, &thread, "我明天九点到").await;
    assert_eq!(said["sender_role"], "worker");
    assert_eq!(said["sender_name"], "阿姨0");
    say(&app, &consumer, &thread, "好的").await;
    app.run_jobs().await;
    assert_eq!(notices_to(&app, &worker), 1);
    assert_eq!(notices_to(&app, &consumer), 1);
    assert_eq!(notices_to(&app, &shop.owner), 1);

    // The merchant's courier, before being assigned to the order, is no party to it.
    let k = app.kitchen().await;
    let (order, _) = app.placed(&k, &consumer, "contactless").await;
    let thread = format!("orders/{order}");
    read(&app, &k.courier_user, &thread, "")
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    post(&app, &k.courier_user, &thread, json!({"body": "你好"}))
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[actix_web::test]
async fn concurrent_messages_email_each_recipient_once() {
    let app = TestApp::spawn_with(|c, _| {
        c.db_pool_size = 8;
        c.db_acquire_timeout = std::time::Duration::from_secs(60);
    })
    .await;
    let (thread, k, consumer) = order_thread(&app).await;
    let sends = (0..20).map(|i| {
        post(
            &app,
            &consumer,
            &thread,
            json!({"body": format!("第{i}条")}),
        )
    });
    let results = futures_util::future::join_all(sends).await;
    assert!(results.iter().all(|r| r.status == StatusCode::CREATED));
    app.run_jobs().await;
    assert_eq!(notices_to(&app, &k.owner), 1);
    assert_eq!(notices_to(&app, &k.courier_user), 1);
    assert_eq!(app.count("messages"), 20);
}
