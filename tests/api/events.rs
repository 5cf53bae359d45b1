//! Live event streams: `GET /api/v1/me/events` and `GET /api/v1/merchants/{id}/events`, read
//! from a real socket as the events arrive.

use std::time::Duration;

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::served::open_stream;
use crate::helpers::TestApp;

const WAIT: Duration = Duration::from_secs(5);

#[actix_web::test]
async fn a_consumer_and_the_merchant_see_an_order_placed_and_accepted_and_a_stranger_sees_nothing()
{
    let app = TestApp::spawn().await;
    let server = app.serve();
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let stranger = app.consumer().await;

    let me = format!("{}/api/v1/me/events", server.base);
    let mut mine = open_stream(&me, &consumer.access, None).await;
    assert_eq!(mine.status, 200);
    assert_eq!(
        mine.headers["content-type"].to_str().unwrap(),
        "text/event-stream"
    );
    let mut theirs = open_stream(&me, &stranger.access, None).await;
    let board = format!("{}/api/v1/merchants/{}/events", server.base, k.merchant);
    let mut merchant = open_stream(&board, &k.owner.access, None).await;
    assert_eq!(merchant.status, 200);

    let (order, _pin) = app.placed(&k, &consumer, "contactless").await;
    let made = mine
        .next_event(WAIT)
        .await
        .expect("the order, awaiting its payment");
    assert_eq!(made.event, "order");
    assert_eq!(made.data["subject_id"], order.as_str());
    assert_eq!(made.data["action"], "place");
    assert_eq!(made.data["to"], "awaiting_payment");
    assert_eq!(made.data["from"], serde_json::Value::Null);
    let placed = mine.next_event(WAIT).await.expect("the paid order");
    assert_eq!(placed.data["subject_id"], order.as_str());
    assert_eq!(placed.data["action"], "pay");
    assert_eq!(placed.data["from"], "awaiting_payment");
    assert_eq!(placed.data["to"], "placed");
    assert_eq!(placed.id, placed.data["seq"].as_i64());

    let seen = merchant
        .next_event(WAIT)
        .await
        .expect("the merchant hears of it");
    assert_eq!(seen.data["subject_id"], order.as_str());
    // Of the paid order only: the merchant never heard of it awaiting its payment.
    assert_eq!(seen.id, placed.id);

    let res = app.order_act(&k.owner, &order, "accept", json!({})).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let accepted = mine.next_event(WAIT).await.expect("the accepted order");
    assert_eq!(accepted.data["action"], "accept");
    assert_eq!(accepted.data["from"], "placed");
    assert_eq!(accepted.data["to"], "accepted");
    assert!(accepted.id > placed.id);
    assert_eq!(
        merchant.next_event(WAIT).await.unwrap().data["to"],
        "accepted"
    );

    assert!(
        theirs
            .next_event(Duration::from_millis(500))
            .await
            .is_none(),
        "another consumer's stream stays quiet"
    );
}

#[actix_web::test]
async fn a_stream_resumed_with_last_event_id_gets_each_missed_event_once_in_order() {
    let app = TestApp::spawn().await;
    let server = app.serve();
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let me = format!("{}/api/v1/me/events", server.base);

    let mut first = open_stream(&me, &consumer.access, None).await;
    let (a, _) = app.placed(&k, &consumer, "contactless").await;
    let seen = first.next_event(WAIT).await.unwrap();
    first.close();
    // While the client is away: a is accepted, b is placed and rejected.
    app.order_act(&k.owner, &a, "accept", json!({})).await;
    let (b, _) = app.placed(&k, &consumer, "contactless").await;
    app.order_act(&k.owner, &b, "reject", json!({"reason": "今日售罄"}))
        .await;

    let mut resumed = open_stream(&me, &consumer.access, seen.id).await;
    let mut got = Vec::new();
    while let Some(e) = resumed.next_event(Duration::from_secs(1)).await {
        got.push(e);
    }
    let steps: Vec<(String, String)> = got
        .iter()
        .map(|e| {
            (
                e.data["subject_id"].as_str().unwrap().to_owned(),
                e.data["to"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (a.clone(), "placed".to_owned()),
            (a.clone(), "accepted".to_owned()),
            (b.clone(), "awaiting_payment".to_owned()),
            (b.clone(), "placed".to_owned()),
            (b.clone(), "rejected".to_owned())
        ]
    );
    let ids: Vec<i64> = got.iter().map(|e| e.id.unwrap()).collect();
    assert!(ids.windows(2).all(|w| w[0] < w[1]), "{ids:?}");
    assert!(ids[0] > seen.id.unwrap());

    // A new change after catching up arrives live, once.
    app.order_act(&k.owner, &a, "ready", json!({})).await;
    let live = resumed.next_event(WAIT).await.unwrap();
    assert_eq!(live.data["to"], "ready");
    assert!(resumed
        .next_event(Duration::from_millis(300))
        .await
        .is_none());
}

#[actix_web::test]
async fn a_merchant_stream_is_for_its_members_only() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let (_, other_owner) = app.merchant().await;
    let consumer = app.consumer().await;
    let path = format!("/api/v1/merchants/{}/events", k.merchant);
    app.get(&path)
        .bearer(&consumer.access)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&path)
        .bearer(&other_owner.access)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&format!(
        "/api/v1/merchants/{}/events",
        uuid::Uuid::new_v4()
    ))
    .bearer(&other_owner.access)
    .send()
    .await
    .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.get(&path)
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    app.get("/api/v1/me/events")
        .bearer(&consumer.access)
        .header("last-event-id", "yesterday")
        .send()
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
}

#[actix_web::test]
async fn an_account_holds_a_bounded_number_of_streams_and_a_closed_one_frees_its_place() {
    // Short heartbeats: the server notices a closed stream when its next write fails.
    let app = TestApp::spawn_with(|c, _| c.events.heartbeat = Duration::from_millis(100)).await;
    let server = app.serve();
    let consumer = app.consumer().await;
    let me = format!("{}/api/v1/me/events", server.base);
    let limit = app.state.config.events.per_user;
    let mut open = Vec::new();
    for _ in 0..limit {
        let s = open_stream(&me, &consumer.access, None).await;
        assert_eq!(s.status, 200);
        open.push(s);
    }
    let refused = open_stream(&me, &consumer.access, None).await;
    assert_eq!(refused.status, 429);
    assert!(refused.headers.contains_key("retry-after"));
    // Another account is not affected.
    let other = app.consumer().await;
    assert_eq!(open_stream(&me, &other.access, None).await.status, 200);

    open.pop().unwrap().close();
    let mut status = 0;
    for _ in 0..50 {
        status = open_stream(&me, &consumer.access, None)
            .await
            .status
            .as_u16();
        if status == 200 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(status, 200, "the closed stream's place is free again");
}

#[actix_web::test]
async fn an_idle_stream_sends_heartbeats() {
    let app = TestApp::spawn_with(|c, _| c.events.heartbeat = Duration::from_millis(200)).await;
    let server = app.serve();
    let consumer = app.consumer().await;
    let mut s = open_stream(
        &format!("{}/api/v1/me/events", server.base),
        &consumer.access,
        None,
    )
    .await;
    let mut beats = 0;
    while let Some(frame) = s.next_frame(Duration::from_secs(2)).await {
        if frame.event == ":" && frame.data == "heartbeat" {
            beats += 1;
            if beats == 2 {
                break;
            }
        }
    }
    assert_eq!(beats, 2);
}
