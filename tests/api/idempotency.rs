//! The Idempotency-Key mechanism, exercised directly through real connections (the POSTs that
//! use it arrive with bookings and orders).

use std::sync::mpsc;

use actix_web::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

use lifemarket::error::AppError;
use lifemarket::http::idempotency::{once, IdempotencyKey};

use crate::helpers::TestApp;

fn write_marker(conn: &mut PgConnection, n: i32) -> QueryResult<usize> {
    diesel::sql_query(format!(
        "INSERT INTO rate_limits (key, window_start, hits) VALUES ('created-{n}', now(), {n})"
    ))
    .execute(conn)
}

async fn call(
    app: &TestApp,
    user: uuid::Uuid,
    key: &str,
    request: &'static [u8],
    n: i32,
) -> Result<(StatusCode, serde_json::Value, bool), AppError> {
    let key = IdempotencyKey::parse(key).unwrap();
    app.db(move |conn| {
        conn.transaction(|conn| {
            once(conn, user, &key, request, |conn| {
                write_marker(conn, n)?;
                Ok((StatusCode::CREATED, json!({"created": n})))
            })
        })
    })
    .await
    .map(|s| (s.status, s.body, s.replayed))
}

#[actix_web::test]
async fn the_same_key_and_body_replays_and_another_body_is_422() {
    let app = TestApp::spawn().await;
    let user: uuid::Uuid = app.consumer().await.id.parse().unwrap();

    let first = call(&app, user, "k-1", b"body-a", 1).await.unwrap();
    assert_eq!(first, (StatusCode::CREATED, json!({"created": 1}), false));
    let again = call(&app, user, "k-1", b"body-a", 2).await.unwrap();
    assert_eq!(again, (StatusCode::CREATED, json!({"created": 1}), true));
    assert_eq!(app.count("rate_limits"), 1, "the work ran once");

    let other = call(&app, user, "k-1", b"body-b", 3).await.unwrap_err();
    assert_eq!(other.code(), "idempotency_key_reused");
    // Keys are per user: another user's identical key is a different request.
    let someone: uuid::Uuid = app.consumer().await.id.parse().unwrap();
    assert!(!call(&app, someone, "k-1", b"body-a", 4).await.unwrap().2);
}

#[actix_web::test]
async fn a_concurrent_duplicate_is_409_while_the_first_is_in_flight() {
    let app = TestApp::spawn().await;
    let user: uuid::Uuid = app.consumer().await.id.parse().unwrap();
    let (started_tx, started_rx) = mpsc::channel();
    let (finish_tx, finish_rx) = mpsc::channel::<()>();

    // The first request holds its transaction open inside the work.
    let url = app.db.url();
    let first = std::thread::spawn(move || {
        let mut conn = PgConnection::establish(&url).unwrap();
        let key = IdempotencyKey::parse("k-slow").unwrap();
        conn.transaction(|conn| {
            once(conn, user, &key, b"same", |conn| {
                write_marker(conn, 1)?;
                started_tx.send(()).unwrap();
                finish_rx.recv().unwrap();
                Ok((StatusCode::CREATED, json!({"created": 1})))
            })
        })
        .map(|s| s.replayed)
    });
    started_rx.recv().unwrap();
    let duplicate = call(&app, user, "k-slow", b"same", 2).await.unwrap_err();
    assert_eq!(duplicate.code(), "idempotency_in_flight");
    finish_tx.send(()).unwrap();
    assert!(!first.join().unwrap().unwrap());

    let replay = call(&app, user, "k-slow", b"same", 3).await.unwrap();
    assert_eq!(replay, (StatusCode::CREATED, json!({"created": 1}), true));
    assert_eq!(app.count("rate_limits"), 1);
}

#[actix_web::test]
async fn a_failed_first_attempt_stores_nothing_so_a_retry_runs() {
    let app = TestApp::spawn().await;
    let user: uuid::Uuid = app.consumer().await.id.parse().unwrap();
    let key = IdempotencyKey::parse("k-fail").unwrap();
    let failed = app
        .db(move |conn| {
            conn.transaction(|conn| {
                once(conn, user, &key, b"x", |conn| {
                    write_marker(conn, 1)?;
                    Err::<(StatusCode, ()), _>(AppError::Conflict("slot_taken", "taken".into()))
                })
            })
        })
        .await
        .unwrap_err();
    assert_eq!(failed.code(), "slot_taken");
    assert_eq!(app.count("idempotency_keys"), 0);
    assert_eq!(app.count("rate_limits"), 0);
    let retry = call(&app, user, "k-fail", b"x", 2).await.unwrap();
    assert!(!retry.2);
}
