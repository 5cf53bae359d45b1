//! Ending sessions refuses the account's access tokens at once, not when they expire: deletion,
//! sign-out everywhere and a password change (a reset ends them through the same
//! `auth::revoke_all_for_user`).

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::booking::{address, slot};
use crate::helpers::TestApp;

#[actix_web::test]
async fn a_deleted_accounts_token_writes_nothing_more() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let me = app.consumer().await;
    let res = app
        .request("DELETE".parse().unwrap(), "/api/v1/me")
        .bearer(&me.access)
        .json(json!({"password": me.password}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);

    // The same token, seconds later and well within its 15 minutes.
    let add = app
        .post("/api/v1/me/addresses")
        .bearer(&me.access)
        .json(json!({"recipient_name": "张三", "phone": "13800001111",
            "text": "重庆市渝中区解放碑1号", "lat": 29.56, "lng": 106.57}))
        .send()
        .await;
    add.assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
    let patch = app
        .patch("/api/v1/me")
        .bearer(&me.access)
        .json(json!({"display_name": "又回来了", "phone": "13800002222"}))
        .send()
        .await;
    patch.assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
    let book = app
        .post("/api/v1/bookings")
        .bearer(&me.access)
        .header("Idempotency-Key", "after-deletion-1")
        .json(json!({"service_id": shop.service, "starts_at": slot(30), "address": address()}))
        .send()
        .await;
    book.assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");

    assert_eq!(app.count("addresses"), 0);
    assert_eq!(app.count("bookings"), 0);
    let (name, phone): (String, Option<String>) = app
        .db(move |conn| {
            use diesel::prelude::*;
            use lifemarket::schema::users;
            let id: uuid::Uuid = me.id.parse().unwrap();
            Ok(users::table
                .find(id)
                .select((users::display_name, users::phone))
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!((name.as_str(), phone), ("已注销用户", None));
}

#[actix_web::test]
async fn signing_out_everywhere_refuses_every_token_of_the_account_only() {
    let app = TestApp::spawn().await;
    let me = app.consumer().await;
    let other_session = app.login(&me.email, &me.password).await;
    let someone_else = app.consumer().await;

    let res = app
        .post("/api/v1/auth/logout-everywhere")
        .bearer(&me.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);

    for token in [&me.access, &other_session.access] {
        app.get("/api/v1/me")
            .bearer(token)
            .send()
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
    }
    for refresh in [&me.refresh, &other_session.refresh] {
        app.post("/api/v1/auth/refresh")
            .json(json!({"refresh_token": refresh}))
            .send()
            .await
            .assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");
    }
    // Another account is untouched, and signing in again works.
    let theirs = app
        .get("/api/v1/me")
        .bearer(&someone_else.access)
        .send()
        .await;
    assert_eq!(theirs.status, StatusCode::OK);
    let again = app.login(&me.email, &me.password).await;
    let res = app.get("/api/v1/me").bearer(&again.access).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);

    app.post("/api/v1/auth/logout-everywhere")
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}

#[actix_web::test]
async fn a_password_change_refuses_the_old_access_tokens_and_keeps_the_new_one() {
    let app = TestApp::spawn().await;
    let me = app.consumer().await;
    let res = app
        .post("/api/v1/me/password")
        .bearer(&me.access)
        .json(json!({"current_password": me.password, "new_password": "a brand new password"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let fresh = res.body["access_token"].as_str().unwrap().to_owned();
    app.get("/api/v1/me")
        .bearer(&me.access)
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");
    let res = app.get("/api/v1/me").bearer(&fresh).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
}
