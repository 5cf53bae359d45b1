//! Registration and the caller's profile.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn text_is_taken_as_sent_and_an_empty_patch_is_refused() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "padded@example.cn", "password": "correct horse", "display_name": " 李伟 ", "accept_terms": true}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["display_name"]);
    let user = app.consumer().await;
    let res = app
        .patch("/api/v1/me")
        .bearer(&user.access)
        .body("application/json", Vec::new())
        .send()
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
}

#[actix_web::test]
async fn registering_signs_in_and_queues_a_welcome_email() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "Li.Wei@Example.CN", "password": "correct horse", "display_name": "李伟", "phone": "+86 138 1234 5678", "accept_terms": true}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["user"]["email"], "li.wei@example.cn");
    assert_eq!(res.body["user"]["display_name"], "李伟");
    assert_eq!(res.body["user"]["phone"], "13812345678");
    assert_eq!(res.body["user"]["platform_role"], "consumer");
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 900);
    assert_eq!(app.count("users"), 1);
    assert_eq!(app.count("refresh_tokens"), 1);
    assert_eq!(app.count("outbox_emails"), 1);
    assert_eq!(app.count("jobs"), 1);

    let me = app
        .get("/api/v1/me")
        .bearer(res.body["access_token"].as_str().unwrap())
        .send()
        .await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["email"], "li.wei@example.cn");

    assert_eq!(app.run_jobs().await, 1);
    let sent = app.sent_emails();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].to.contains("li.wei@example.cn"));
    assert!(sent[0].raw.contains("lifemarket"));
}

#[actix_web::test]
async fn an_email_registers_once_whatever_its_case() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(json!({"email": user.email.to_uppercase(), "password": "another password", "display_name": "x", "accept_terms": true}))
        .send()
        .await;
    res.assert_problem(StatusCode::CONFLICT, "email_taken");
    assert_eq!(app.count("users"), 1);
    assert_eq!(app.count("outbox_emails"), 1);
}

#[actix_web::test]
async fn invalid_registration_names_every_bad_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "not-an-email", "password": "short", "display_name": "  ", "phone": "12345"}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(
        res.fields(),
        ["email", "password", "display_name", "phone", "accept_terms"]
    );
    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("jobs"), 0);
}

#[actix_web::test]
async fn me_needs_a_token() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/me").send().await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(res.header("www-authenticate"), Some("Bearer"));
}

#[actix_web::test]
async fn the_profile_can_be_changed_and_the_phone_removed() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let res = app
        .patch("/api/v1/me")
        .bearer(&user.access)
        .json(json!({"display_name": "张三", "phone": "13912345678"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["display_name"], "张三");
    assert_eq!(res.body["phone"], "13912345678");

    let res = app
        .patch("/api/v1/me")
        .bearer(&user.access)
        .json(json!({"phone": null}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["phone"], serde_json::Value::Null);
    assert_eq!(res.body["display_name"], "张三");

    let res = app
        .patch("/api/v1/me")
        .bearer(&user.access)
        .json(json!({"phone": "555"}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["phone"]);
    let res = app
        .patch("/api/v1/me")
        .bearer(&user.access)
        .json(json!({"email": "x@y.cn"}))
        .send()
        .await;
    assert_eq!(res.fields(), ["email"]);
}

#[actix_web::test]
async fn changing_the_password_signs_out_other_sessions() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let res = app
        .post("/api/v1/me/password")
        .bearer(&user.access)
        .json(json!({"current_password": "wrong password", "new_password": "a brand new password"}))
        .send()
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "wrong_password");

    let res = app
        .post("/api/v1/me/password")
        .bearer(&user.access)
        .json(json!({"current_password": user.password, "new_password": "a brand new password"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let fresh_refresh = res.body["refresh_token"].as_str().unwrap().to_owned();

    let old = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    old.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");
    let new = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": fresh_refresh}))
        .send()
        .await;
    assert_eq!(new.status, StatusCode::OK);

    let res = app
        .post("/api/v1/auth/login")
        .json(json!({"email": user.email, "password": user.password}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    app.login(&user.email, "a brand new password").await;
}

#[actix_web::test]
async fn an_operator_signs_in_with_the_operator_role() {
    let app = TestApp::spawn().await;
    let operator = app.operator().await;
    let me = app.get("/api/v1/me").bearer(&operator.access).send().await;
    assert_eq!(me.body["platform_role"], "operator");
    let consumer = app.consumer().await;
    let me = app.get("/api/v1/me").bearer(&consumer.access).send().await;
    assert_eq!(me.body["platform_role"], "consumer");
}

#[actix_web::test]
async fn the_address_book_is_private_and_orders_keep_their_snapshot() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let body = crate::helpers::orders::drop_address();
    let res = app
        .post("/api/v1/me/addresses")
        .bearer(&user.access)
        .json(body.clone())
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let mut bad = body.clone();
    bad["phone"] = json!("123");
    assert_eq!(
        app.post("/api/v1/me/addresses")
            .bearer(&user.access)
            .json(bad)
            .send()
            .await
            .fields(),
        ["phone"]
    );

    let k = app.kitchen().await;
    let res = app
        .order(
            &user,
            json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address_id": id,
                             "items": [{"service_id": k.items[0], "quantity": 1}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let order = res.body["id"].as_str().unwrap().to_owned();

    let stranger = app.consumer().await;
    let url = format!("/api/v1/me/addresses/{id}");
    let res = app
        .request(actix_web::http::Method::DELETE, &url)
        .bearer(&stranger.access)
        .send()
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let res = app
        .order(
            &stranger,
            json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address_id": id,
                                 "items": [{"service_id": k.items[0], "quantity": 1}]}),
        )
        .await;
    assert_eq!(res.fields(), ["address_id"]);
    assert!(app
        .get("/api/v1/me/addresses")
        .bearer(&stranger.access)
        .send()
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());

    let res = app
        .request(actix_web::http::Method::DELETE, &url)
        .bearer(&user.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app
        .get(&format!("/api/v1/orders/{order}"))
        .bearer(&user.access)
        .send()
        .await;
    assert_eq!(
        res.body["destination"]["address_text"], body["text"],
        "the order keeps its snapshot"
    );
}
