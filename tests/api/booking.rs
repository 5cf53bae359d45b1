//! Bookings: the lifecycle, the refused transitions, who may see what, and the races.

use actix_web::http::StatusCode;
use chrono::Duration;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use futures_util::future::join_all;
use serde_json::json;

use crate::helpers::booking::{address, slot};
use crate::helpers::TestApp;

#[actix_web::test]
async fn a_booking_is_confirmed_checked_in_and_completed_with_its_history_and_emails() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let consumer = app.consumer().await;
    // The soonest a merchant that confirms by hand can be booked: time to answer first.
    let start = slot(3);
    let res = app.book(&consumer, json!({"service_id": shop.service, "starts_at": start, "address": address(), "for_relative": true})).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["status"], "pending_confirmation");
    assert_eq!(res.body["worker_id"], shop.workers[0].as_str());
    assert_eq!(
        res.body["worker_name"], "阿姨0",
        "the consumer learns who is coming"
    );
    assert_eq!(res.body["price_cents"], 10_000);
    assert!(res.body["respond_by"].is_string());
    let id = res.body["id"].as_str().unwrap().to_owned();

    // The price is copied: a later price change leaves the booking as it was.
    app.patch(&format!("/api/v1/services/{}", shop.service))
        .bearer(&shop.owner.access)
        .json(json!({"price_cents": 99_900}))
        .send()
        .await;

    let res = app.act(&shop.owner, &id, "confirm", json!({})).await;
    assert_eq!(res.body["status"], "confirmed", "{}", res.text);
    assert_eq!(res.body["price_cents"], 10_000);
    let mine = app
        .get("/api/v1/bookings")
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(
        mine.body["items"][0]["worker_name"], "阿姨0",
        "{}",
        mine.text
    );
    // Three hours pass: the visit is about to start.
    let shift = format!(
        "UPDATE bookings SET starts_at = starts_at - interval '3 hours', \
         ends_at = ends_at - interval '3 hours', \
         blocked = tstzrange(lower(blocked) - interval '3 hours', upper(blocked) - interval '3 hours') \
         WHERE id = '{id}'"
    );
    diesel::connection::SimpleConnection::batch_execute(&mut app.conn(), &shift).unwrap();
    let res = app.act(&shop.owner, &id, "check-in", json!({})).await;
    assert_eq!(res.body["status"], "in_service", "{}", res.text);
    let res = app.act(&shop.owner, &id, "complete", json!({})).await;
    assert_eq!(res.body["status"], "completed");

    let detail = app
        .get(&format!("/api/v1/bookings/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    let actions: Vec<&str> = detail.body["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["book", "confirm", "check_in", "complete"]);
    assert_eq!(
        detail.body["address"]["contact_phone"], "13812345678",
        "the consumer sees it whole"
    );
    assert!(
        detail.body["worker_name"].is_null(),
        "once the visit is over the worker's name is no longer shown: {}",
        detail.text
    );
    let merchant_view = app
        .get(&format!("/api/v1/merchants/{}/bookings", shop.merchant))
        .bearer(&shop.owner.access)
        .send()
        .await;
    assert_eq!(
        merchant_view.body["items"][0]["worker_name"], "阿姨0",
        "{}",
        merchant_view.text
    );

    app.run_jobs().await;
    let to_consumer = app
        .sent_emails()
        .iter()
        .filter(|m| m.to.contains(&consumer.email))
        .count();
    assert_eq!(to_consumer, 1 + 4, "welcome + one per change");
}

#[actix_web::test]
async fn refused_transitions_answer_409_and_write_nothing() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(1)).await; // auto-accepted: confirmed
    let events = app.count("booking_events");

    app.act(&shop.owner, &id, "confirm", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.act(&shop.owner, &id, "decline", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.act(&shop.owner, &id, "complete", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    // A consumer may never confirm or complete.
    app.act(&consumer, &id, "confirm", json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.act(&consumer, &id, "complete", json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // No-show before the start.
    app.act(&shop.owner, &id, "no-show", json!({}))
        .await
        .assert_problem(StatusCode::CONFLICT, "too_early");
    assert_eq!(app.count("booking_events"), events);

    let res = app
        .act(&consumer, &id, "cancel", json!({"reason": "临时有事"}))
        .await;
    assert_eq!(res.body["status"], "cancelled");
    for action in ["cancel", "confirm", "check-in", "reschedule"] {
        let res = app.act(&shop.owner, &id, action, json!({})).await;
        assert_eq!(res.status, StatusCode::CONFLICT, "{action}: {}", res.text);
    }
    assert_eq!(app.count("booking_events"), events + 1);
}

#[actix_web::test]
async fn a_late_consumer_cancellation_records_the_fee_and_frees_the_slot() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let start = slot(2);
    let id = app.booking(&shop, &consumer, start).await;
    let res = app.act(&consumer, &id, "cancel", json!({})).await;
    assert_eq!(res.body["cancellation"]["by"], "consumer");
    assert_eq!(
        res.body["cancellation"]["fee_cents"], 5_000,
        "inside 24 h: the 50% tier"
    );
    // The slot is free again.
    app.booking(&shop, &app.consumer().await, start).await;
}

#[actix_web::test]
async fn the_merchant_sees_the_address_only_while_the_booking_is_active() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(1)).await;
    let url = format!("/api/v1/bookings/{id}");
    let active = app.get(&url).bearer(&shop.owner.access).send().await;
    assert_eq!(active.body["address"]["contact_phone"], "13812345678");
    assert_eq!(active.body["address_masked"], false);
    app.act(&consumer, &id, "cancel", json!({})).await;
    let done = app.get(&url).bearer(&shop.owner.access).send().await;
    assert_eq!(done.body["address"]["contact_phone"], "138****5678");
    assert_eq!(done.body["address"]["contact_name"], "王**");
    assert_eq!(
        done.body["address"]["text"],
        "重庆市渝中区解放碑步行街88号***"
    );
    assert_eq!(done.body["address_masked"], true);
}

#[actix_web::test]
async fn strangers_and_other_merchants_get_404_on_every_booking_route() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(3)).await;
    let stranger = app.consumer().await;
    let (_other, other_owner) = app.merchant().await;
    for user in [&stranger, &other_owner] {
        let res = app
            .get(&format!("/api/v1/bookings/{id}"))
            .bearer(&user.access)
            .send()
            .await;
        res.assert_problem(StatusCode::NOT_FOUND, "not_found");
        for action in [
            "confirm",
            "decline",
            "cancel",
            "reschedule",
            "check-in",
            "complete",
            "no-show",
        ] {
            let res = app.act(user, &id, action, json!({})).await;
            assert_eq!(res.status, StatusCode::NOT_FOUND, "{action}: {}", res.text);
        }
        let res = app
            .get(&format!("/api/v1/merchants/{}/bookings", shop.merchant))
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let worker = &shop.workers[0];
        let res = app
            .get(&format!(
                "/api/v1/merchants/{}/workers/{worker}/schedule",
                shop.merchant
            ))
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
        let res = app
            .get(&format!(
                "/api/v1/merchants/{}/booking-settings",
                shop.merchant
            ))
            .bearer(&user.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND);
    }
    let mine = app
        .get("/api/v1/bookings")
        .bearer(&stranger.access)
        .send()
        .await;
    assert!(mine.body["items"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"))
            .bearer(&consumer.access)
            .send()
            .await
            .status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn an_idempotency_key_replays_the_same_booking_and_refuses_another_body() {
    let app = TestApp::spawn().await;
    let shop = app.shop(2, true).await;
    let consumer = app.consumer().await;
    let body = json!({"service_id": shop.service, "starts_at": slot(1), "address": address()});
    let send = |body: serde_json::Value, key: &'static str| {
        app.post("/api/v1/bookings")
            .bearer(&consumer.access)
            .header("idempotency-key", key)
            .json(body)
            .send()
    };
    let first = send(body.clone(), "key-1").await;
    assert_eq!(first.status, StatusCode::CREATED);
    let again = send(body.clone(), "key-1").await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.body["id"], first.body["id"]);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(app.count("bookings"), 1);

    let mut other = body.clone();
    other["starts_at"] = json!(slot(3));
    let res = send(other, "key-1").await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_reused");
    let res = app
        .post("/api/v1/bookings")
        .bearer(&consumer.access)
        .json(body)
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "idempotency_key_required");
    assert_eq!(app.count("bookings"), 1);
}

#[actix_web::test]
async fn bad_booking_input_is_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let cases = [
        (
            json!({"service_id": shop.service, "starts_at": slot(1)}),
            "address",
        ),
        (
            json!({"service_id": shop.service, "starts_at": slot(1) + Duration::minutes(10), "address": address()}),
            "starts_at",
        ),
        (
            json!({"service_id": shop.service, "starts_at": slot(24 * 40), "address": address()}),
            "starts_at",
        ),
        (
            json!({"service_id": shop.service, "starts_at": slot(1), "address": {"text": "上海市浦东新区世纪大道100号", "lat": 31.2, "lng": 121.5, "contact_name": "x", "contact_phone": "13812345678"}}),
            "address",
        ),
        (
            json!({"service_id": shop.service, "starts_at": slot(1), "address": address(), "worker_id": shop.owner.id}),
            "worker_id",
        ),
        (
            json!({"service_id": shop.service, "starts_at": "tomorrow", "address": address()}),
            "starts_at",
        ),
    ];
    for (body, field) in cases {
        let res = app.book(&consumer, body).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), [field], "{}", res.text);
    }
    assert_eq!(app.count("bookings"), 0);
}

#[actix_web::test]
async fn a_pending_booking_expires_when_the_merchant_does_not_answer() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let consumer = app.consumer().await;
    // Far enough ahead that the merchant has until two hours before the start to answer.
    let start = slot(5);
    let id = app.booking(&shop, &consumer, start).await;
    app.run_jobs().await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"))
            .bearer(&consumer.access)
            .send()
            .await
            .body["status"],
        "pending_confirmation"
    );
    // The deadline passes.
    app.conn()
        .batch_execute(&format!(
            "UPDATE bookings SET respond_by = now() - interval '1 minute' WHERE id = '{id}';
             UPDATE jobs SET run_at = now() - interval '1 minute' WHERE kind = 'booking.expire';"
        ))
        .unwrap();
    app.run_jobs().await;
    let res = app
        .get(&format!("/api/v1/bookings/{id}"))
        .bearer(&consumer.access)
        .send()
        .await;
    assert_eq!(res.body["status"], "expired");
    assert_eq!(
        res.body["events"].as_array().unwrap().last().unwrap()["actor_role"],
        "system"
    );
    // The slot is free again.
    app.booking(&shop, &app.consumer().await, start).await;
}

#[actix_web::test]
async fn reschedule_moves_the_booking_a_limited_number_of_times() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(1)).await;
    let taken = app.booking(&shop, &app.consumer().await, slot(3)).await;
    let res = app
        .act(&consumer, &id, "reschedule", json!({"starts_at": slot(3)}))
        .await;
    res.assert_problem(StatusCode::CONFLICT, "slot_taken");
    let _ = taken;
    for hours in [5, 7] {
        let res = app
            .act(
                &consumer,
                &id,
                "reschedule",
                json!({"starts_at": slot(hours)}),
            )
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["starts_at"], json!(slot(hours)));
    }
    let res = app
        .act(&consumer, &id, "reschedule", json!({"starts_at": slot(9)}))
        .await;
    res.assert_problem(StatusCode::CONFLICT, "reschedule_limit_reached");
    // The slot left behind is free.
    app.booking(&shop, &app.consumer().await, slot(1)).await;
}

#[actix_web::test]
async fn the_worker_sees_their_assignments_and_records_a_no_show() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let worker_account = app.consumer().await;
    let worker = &shop.workers[0];
    app.patch(&format!(
        "/api/v1/merchants/{}/workers/{worker}",
        shop.merchant
    ))
    .bearer(&shop.owner.access)
    .json(json!({"login_email": worker_account.email}))
    .send()
    .await;
    let consumer = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(1)).await;
    let mine = app
        .get("/api/v1/me/assignments")
        .bearer(&worker_account.access)
        .send()
        .await;
    assert_eq!(mine.body["items"][0]["id"], id.as_str());
    assert_eq!(
        mine.body["items"][0]["address"]["contact_phone"],
        "13812345678"
    );
    // The worker may not cancel; once the start has passed they may record a no-show.
    app.act(&worker_account, &id, "cancel", json!({}))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.conn()
        .batch_execute(&format!(
            "UPDATE bookings SET starts_at = starts_at - interval '2 hours', ends_at = ends_at - interval '2 hours',
             blocked = tstzrange(lower(blocked) - interval '2 hours', upper(blocked) - interval '2 hours') WHERE id = '{id}'"
        ))
        .unwrap();
    let res = app.act(&worker_account, &id, "no-show", json!({})).await;
    assert_eq!(res.body["status"], "no_show", "{}", res.text);
    assert_eq!(res.body["no_show_party"], "consumer");
}

#[actix_web::test]
async fn the_merchant_lists_bookings_by_day_worker_and_status() {
    let app = TestApp::spawn().await;
    let shop = app.shop(2, true).await;
    let consumer = app.consumer().await;
    let start = slot(1);
    app.booking(&shop, &consumer, start).await;
    app.booking(&shop, &consumer, start).await; // the second worker
    let day = start.with_timezone(&chrono_tz::Asia::Shanghai).date_naive();
    let url = format!("/api/v1/merchants/{}/bookings?date={day}", shop.merchant);
    assert_eq!(
        app.get(&url).bearer(&shop.owner.access).send().await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    let by_worker = app
        .get(&format!("{url}&worker_id={}", shop.workers[1]))
        .bearer(&shop.owner.access)
        .send()
        .await;
    assert_eq!(by_worker.body["items"].as_array().unwrap().len(), 1);
    let cancelled = app
        .get(&format!("{url}&status=cancelled"))
        .bearer(&shop.owner.access)
        .send()
        .await;
    assert!(cancelled.body["items"].as_array().unwrap().is_empty());
    let next_day = day.succ_opt().unwrap();
    let empty = app
        .get(&format!(
            "/api/v1/merchants/{}/bookings?date={next_day}",
            shop.merchant
        ))
        .bearer(&shop.owner.access)
        .send()
        .await;
    assert!(empty.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|b| b["starts_at"] != json!(start)));
}

#[actix_web::test]
async fn slots_list_free_workers_and_drop_a_taken_time() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let from = slot(1);
    let url = format!(
        "/api/v1/services/{}/slots?from={}&to={}",
        shop.service,
        from.to_rfc3339(),
        (from + Duration::hours(3)).to_rfc3339()
    )
    .replace('+', "%2B");
    let res = app.get(&url).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["time_zone"], "Asia/Shanghai");
    assert_eq!(res.body["slots"].as_array().unwrap().len(), 6);
    assert_eq!(
        res.body["slots"][0]["workers"][0]["id"],
        shop.workers[0].as_str()
    );
    app.booking(&shop, &app.consumer().await, from + Duration::hours(1))
        .await;
    let res = app.get(&url).send().await;
    // 10:00 taken blocks 09:30 (overlaps), 10:00 and 10:30: three left.
    assert_eq!(
        res.body["slots"].as_array().unwrap().len(),
        3,
        "{}",
        res.text
    );
}

#[actix_web::test]
async fn back_to_back_bookings_both_succeed() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    app.booking(&shop, &consumer, slot(1)).await;
    app.booking(&shop, &consumer, slot(1) + Duration::hours(1))
        .await;
    let res = app.book(&consumer, json!({"service_id": shop.service, "starts_at": slot(1) + Duration::minutes(30), "address": address()})).await;
    res.assert_problem(StatusCode::CONFLICT, "slot_taken");
}

fn busy_app() -> impl FnOnce(&mut lifemarket::config::Config, &crate::helpers::TestDb) {
    |config, _| {
        config.db_pool_size = 8;
        config.db_acquire_timeout = std::time::Duration::from_secs(60);
    }
}

#[actix_web::test]
async fn two_hundred_concurrent_bookings_of_one_slot_give_exactly_one() {
    let app = TestApp::spawn_with(busy_app()).await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let body = json!({"service_id": shop.service, "starts_at": slot(1), "address": address(), "worker_id": shop.workers[0]});
    let responses = join_all((0..200).map(|_| app.book(&consumer, body.clone()))).await;
    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(created, 1);
    for res in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        res.assert_problem(StatusCode::CONFLICT, "slot_taken");
    }
    assert_eq!(app.count("bookings"), 1);
}

#[actix_web::test]
async fn two_hundred_concurrent_overlapping_bookings_never_overlap() {
    let app = TestApp::spawn_with(busy_app()).await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    // 20 starts half an hour apart, each an hour long: every start overlaps its neighbours.
    let requests = (0..200).map(|i| {
        let start = slot(1) + Duration::minutes(30 * (i % 20));
        app.book(
            &consumer,
            json!({"service_id": shop.service, "starts_at": start, "address": address()}),
        )
    });
    let responses = join_all(requests).await;
    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert!((1..=10).contains(&created), "{created}");
    for res in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        res.assert_problem(StatusCode::CONFLICT, "slot_taken");
    }
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let overlapping: N = diesel::sql_query(
        "SELECT count(*) AS n FROM bookings a JOIN bookings b ON a.id < b.id AND a.worker_id = b.worker_id AND a.blocked && b.blocked",
    )
    .get_result(&mut app.conn())
    .unwrap();
    assert_eq!(overlapping.n, 0);
    assert_eq!(app.count("bookings"), i64::try_from(created).unwrap());
}

#[actix_web::test]
async fn fifty_concurrent_reservations_of_three_seats_admit_exactly_three() {
    let app = TestApp::spawn_with(busy_app()).await;
    let shop = app.shop(0, true).await;
    let res = app
        .patch(&format!("/api/v1/merchants/{}", shop.merchant))
        .bearer(&shop.owner.access)
        .json(json!({"opening_hours": crate::helpers::booking::always()}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let table = app
        .post(&format!("/api/v1/merchants/{}/services", shop.merchant))
        .bearer(&shop.owner.access)
        .json(json!({"category": "housekeeping", "fulfilment": "in_store", "name": "体验课", "price_cents": 0,
                     "price_unit": "per_visit", "duration_minutes": 60, "capacity": 3}))
        .send()
        .await;
    let service = table.body["id"].as_str().unwrap().to_owned();
    let consumer = app.consumer().await;
    let start = {
        let t = (chrono::Utc::now() + Duration::hours(2)).timestamp();
        chrono::DateTime::from_timestamp((t / 3600 + 1) * 3600, 0).unwrap()
    };
    let body = json!({"service_id": service, "starts_at": start, "party_size": 1});
    let responses = join_all((0..50).map(|_| app.book(&consumer, body.clone()))).await;
    let created = responses
        .iter()
        .filter(|r| r.status == StatusCode::CREATED)
        .count();
    assert_eq!(
        created,
        3,
        "{:?}",
        responses
            .iter()
            .map(|r| (r.status, r.body["code"].clone()))
            .collect::<Vec<_>>()
    );
    for res in responses.iter().filter(|r| r.status != StatusCode::CREATED) {
        res.assert_problem(StatusCode::CONFLICT, "slot_full");
    }
    assert_eq!(app.count("bookings"), 3);
}

#[actix_web::test]
async fn concurrent_confirmations_onto_each_others_worker_cannot_both_succeed() {
    let app = TestApp::spawn_with(busy_app()).await;
    let shop = app.shop(2, false).await;
    let consumer = app.consumer().await;
    let start = slot(3);
    let body = |w: &str| json!({"service_id": shop.service, "starts_at": start, "address": address(), "worker_id": w});
    let a = app.book(&consumer, body(&shop.workers[0])).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = app.book(&consumer, body(&shop.workers[1])).await.body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (ra, rb) = futures_util::join!(
        app.act(
            &shop.owner,
            &a,
            "confirm",
            json!({"worker_id": shop.workers[1]})
        ),
        app.act(
            &shop.owner,
            &b,
            "confirm",
            json!({"worker_id": shop.workers[0]})
        ),
    );
    assert!(!(ra.status == StatusCode::OK && rb.status == StatusCode::OK));
    for res in [&ra, &rb]
        .into_iter()
        .filter(|r| r.status != StatusCode::OK)
    {
        res.assert_problem(StatusCode::CONFLICT, "slot_taken");
    }
}

#[actix_web::test]
async fn a_reschedule_racing_a_new_booking_for_the_same_slot_leaves_exactly_one_there() {
    let app = TestApp::spawn_with(busy_app()).await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let other = app.consumer().await;
    let id = app.booking(&shop, &consumer, slot(1)).await;
    let target = slot(4);
    for _ in 0..5 {
        let (moved, booked) = futures_util::join!(
            app.act(&consumer, &id, "reschedule", json!({"starts_at": target})),
            app.book(
                &other,
                json!({"service_id": shop.service, "starts_at": target, "address": address()})
            ),
        );
        let winners = usize::from(moved.status == StatusCode::OK)
            + usize::from(booked.status == StatusCode::CREATED);
        assert_eq!(winners, 1, "{} / {}", moved.text, booked.text);
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let at_target: N = diesel::sql_query(format!(
            "SELECT count(*) AS n FROM bookings WHERE starts_at = '{}' AND status = 'confirmed'",
            target.to_rfc3339()
        ))
        .get_result(&mut app.conn())
        .unwrap();
        assert_eq!(at_target.n, 1);
        // Reset for the next round: whoever won gives the slot back.
        if booked.status == StatusCode::CREATED {
            app.act(
                &other,
                booked.body["id"].as_str().unwrap(),
                "cancel",
                json!({}),
            )
            .await;
        } else {
            app.conn().batch_execute(&format!("UPDATE bookings SET starts_at = starts_at - interval '3 hours', ends_at = ends_at - interval '3 hours', blocked = tstzrange(lower(blocked) - interval '3 hours', upper(blocked) - interval '3 hours'), reschedule_count = 0 WHERE id = '{id}'")).unwrap();
        }
    }
}

#[actix_web::test]
async fn party_sizes_apply_to_reservations_only_and_within_limits() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let res = app.book(&consumer, json!({"service_id": shop.service, "starts_at": slot(1), "address": address(), "party_size": 3})).await;
    assert_eq!(res.fields(), ["party_size"]);
    assert_eq!(app.count("bookings"), 0);
}

#[actix_web::test]
async fn a_deactivated_worker_loses_sight_of_their_assignments() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let worker_account = app.consumer().await;
    let url = format!(
        "/api/v1/merchants/{}/workers/{}",
        shop.merchant, shop.workers[0]
    );
    app.patch(&url)
        .bearer(&shop.owner.access)
        .json(json!({"login_email": worker_account.email}))
        .send()
        .await;
    let id = app.booking(&shop, &app.consumer().await, slot(1)).await;
    assert_eq!(
        app.get(&format!("/api/v1/bookings/{id}"))
            .bearer(&worker_account.access)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    app.patch(&url)
        .bearer(&shop.owner.access)
        .json(json!({"active": false}))
        .send()
        .await;
    let res = app
        .get(&format!("/api/v1/bookings/{id}"))
        .bearer(&worker_account.access)
        .send()
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert!(app
        .get("/api/v1/me/assignments")
        .bearer(&worker_account.access)
        .send()
        .await
        .body["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[actix_web::test]
async fn a_merchant_that_confirms_by_hand_always_gets_a_fair_window_to_answer() {
    let app = TestApp::spawn().await;
    // No minimum notice, no auto-accept: the tester's settings.
    let shop = app.shop(1, false).await;
    let now = chrono::Utc::now();
    let url = format!(
        "/api/v1/services/{}/slots?from={}&to={}",
        shop.service,
        now.to_rfc3339(),
        (now + Duration::hours(6)).to_rfc3339()
    )
    .replace('+', "%2B");
    let res = app.get(&url).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let earliest = now + Duration::minutes(150);
    for s in res.body["slots"].as_array().unwrap() {
        let start: chrono::DateTime<chrono::Utc> = s["start"].as_str().unwrap().parse().unwrap();
        assert!(start >= earliest, "{start} leaves no time to answer");
    }
    assert!(!res.body["slots"].as_array().unwrap().is_empty());
    // Booking a start under 2.5 hours away anyway is not a slot.
    let res = app
        .book(
            &app.consumer().await,
            json!({"service_id": shop.service, "starts_at": slot(1), "address": address()}),
        )
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(app.count("bookings"), 0);
    // The soonest bookable start answers with at least half an hour to respond.
    let res = app
        .book(
            &app.consumer().await,
            json!({"service_id": shop.service, "starts_at": slot(3), "address": address()}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let respond_by: chrono::DateTime<chrono::Utc> =
        res.body["respond_by"].as_str().unwrap().parse().unwrap();
    assert!(respond_by >= chrono::Utc::now() + Duration::minutes(29));

    // A merchant that accepts at once is bookable at short notice.
    let quick = app.shop(1, true).await;
    let res = app
        .book(
            &app.consumer().await,
            json!({"service_id": quick.service, "starts_at": slot(1), "address": address()}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["status"], "confirmed");
}

#[actix_web::test]
async fn an_expiry_without_a_fair_window_does_not_count_against_credit() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let id = app.booking(&shop, &app.consumer().await, slot(3)).await;
    let merchant: uuid::Uuid = shop.merchant.parse().unwrap();
    let reliability = |respond_after: &'static str| {
        let id = id.clone();
        let app = &app;
        let owner = &shop.owner;
        let url = format!("/api/v1/merchants/{merchant}/credit");
        async move {
            app.db(move |conn| {
                diesel::connection::SimpleConnection::batch_execute(
                    conn,
                    &format!(
                        "UPDATE bookings SET status = 'expired', \
                         respond_by = created_at + interval '{respond_after}' WHERE id = '{id}'"
                    ),
                )?;
                lifemarket::jobs::merchant_changed(conn, merchant)
            })
            .await
            .unwrap();
            app.run_jobs().await;
            let res = app.get(&url).bearer(&owner.access).send().await;
            res.body["breakdown"]["reliability_points"]
                .as_i64()
                .unwrap()
        }
    };
    // Expired with no time to answer (what short-notice slots used to do): not held against it.
    let unfair = reliability("0 minutes").await;
    let fair = reliability("2 hours").await;
    assert!(
        fair < unfair,
        "a fair expiry lowers reliability: {fair} vs {unfair}"
    );
}

#[actix_web::test]
async fn public_slots_name_no_worker_and_members_see_their_names() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let from = slot(1);
    let url = format!(
        "/api/v1/services/{}/slots?from={}&to={}",
        shop.service,
        from.to_rfc3339(),
        (from + Duration::hours(2)).to_rfc3339()
    )
    .replace('+', "%2B");
    let stranger = app.consumer().await;
    for res in [
        app.get(&url).send().await,
        app.get(&url).bearer(&stranger.access).send().await,
    ] {
        let worker = &res.body["slots"][0]["workers"][0];
        assert_eq!(worker["id"], shop.workers[0].as_str(), "{}", res.text);
        assert!(
            worker.get("name").is_none(),
            "a worker's name is not public: {worker}"
        );
    }
    let res = app.get(&url).bearer(&shop.owner.access).send().await;
    assert!(
        res.body["slots"][0]["workers"][0]["name"].is_string(),
        "{}",
        res.text
    );
}

#[actix_web::test]
async fn the_merchants_members_hear_of_new_bookings_and_orders() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let manager = app.consumer().await;
    let res = app
        .post(&format!("/api/v1/merchants/{}/members", shop.merchant))
        .bearer(&shop.owner.access)
        .json(json!({"email": manager.email, "role": "manager"}))
        .send()
        .await;
    assert!(res.status.is_success(), "{}", res.text);
    let consumer = app.consumer().await;
    app.booking(&shop, &consumer, slot(3)).await;
    app.run_jobs().await;
    let to = |who: &str| -> Vec<String> {
        app.sent_emails()
            .into_iter()
            .filter(|m| m.to.contains(who))
            .map(|m| m.raw)
            .collect()
    };
    for member in [&shop.owner.email, &manager.email] {
        let news: Vec<_> = to(member)
            .into_iter()
            .filter(|m| m.contains("有一个新预约"))
            .collect();
        assert_eq!(news.len(), 1, "{member}: {news:#?}");
        assert!(news[0].contains("请在"), "the answer deadline: {}", news[0]);
    }
    assert!(
        to(&consumer.email)
            .iter()
            .all(|m| !m.contains("有一个新预约")),
        "the consumer gets only their own status email"
    );

    // A new order: the kitchen's owner is told at once, with the total and the deadline.
    let k = app.kitchen().await;
    app.placed(&k, &consumer, "contactless").await;
    app.run_jobs().await;
    let news: Vec<_> = to(&k.owner.email)
        .into_iter()
        .filter(|m| m.contains("您有一个新订单"))
        .collect();
    assert_eq!(news.len(), 1, "{news:#?}");
    assert!(news[0].contains("前接单"), "{}", news[0]);
    // A confirmed-at-once booking says so.
    let quick = app.shop(1, true).await;
    app.booking(&quick, &consumer, slot(1)).await;
    app.run_jobs().await;
    assert!(to(&quick.owner.email)
        .iter()
        .any(|m| m.contains("有一个新预约") && m.contains("已自动确认")));
}
