//! Sign-in: login, refresh-token rotation and reuse detection, logout, rate limits, and every
//! kind of bad access token.

use actix_web::http::StatusCode;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use futures_util::future::join_all;
use jsonwebtoken::{encode, EncodingKey, Header};
use serde_json::{json, Value};

use crate::helpers::TestApp;

#[actix_web::test]
async fn login_returns_tokens_that_open_me() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let signed_in = app.login(&user.email.to_uppercase(), &user.password).await;
    let me = app.get("/api/v1/me").bearer(&signed_in.access).send().await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["id"], user.id.as_str());
}

#[actix_web::test]
async fn an_unknown_email_and_a_wrong_password_get_the_same_answer() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let wrong = app
        .post("/api/v1/auth/login")
        .json(json!({"email": user.email, "password": "not it at all"}))
        .send()
        .await;
    let unknown = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "nobody@example.cn", "password": "not it at all"}))
        .send()
        .await;
    wrong.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
    assert_eq!(wrong.body, unknown.body);
    assert_eq!(wrong.status, unknown.status);
}

#[actix_web::test]
async fn refresh_rotates_and_a_replayed_token_revokes_the_family() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let first = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    let next = first.body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(next, user.refresh);
    let me = app
        .get("/api/v1/me")
        .bearer(first.body["access_token"].as_str().unwrap())
        .send()
        .await;
    assert_eq!(me.status, StatusCode::OK);

    // The spent token comes back: someone copied it. The whole sign-in ends.
    let replay = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    replay.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_reused");
    let successor = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": next}))
        .send()
        .await;
    successor.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");

    // Another sign-in of the same user is untouched.
    let other = app.login(&user.email, &user.password).await;
    let res = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": other.refresh}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_web::test]
async fn ten_concurrent_refreshes_of_one_token_give_exactly_one_success() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let requests = (0..10).map(|_| {
        app.post("/api/v1/auth/refresh")
            .json(json!({"refresh_token": user.refresh}))
            .send()
    });
    let responses = join_all(requests).await;
    let ok = responses
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    assert_eq!(
        ok,
        1,
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    for res in responses.iter().filter(|r| r.status != StatusCode::OK) {
        res.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_reused");
    }
    // One successor was issued, and the replays revoked it with the rest of the family.
    assert_eq!(app.count("refresh_tokens"), 2);
    let winner = responses
        .iter()
        .find(|r| r.status == StatusCode::OK)
        .unwrap();
    let res = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": winner.body["refresh_token"]}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");
}

#[actix_web::test]
async fn logout_ends_the_session_and_is_idempotent() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let res = app
        .post("/api/v1/auth/logout")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app
        .post("/api/v1/auth/logout")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    let res = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");
    let res = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": "made-up"}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");
}

#[actix_web::test]
async fn login_beyond_the_account_limit_is_429_with_retry_after() {
    let app = TestApp::spawn().await; // 5 attempts per account per 15 minutes in tests
    let user = app.consumer().await;
    for _ in 0..5 {
        let res = app
            .post("/api/v1/auth/login")
            .json(json!({"email": user.email, "password": "wrong password"}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password waits: the limit protects the account from guessing.
    let res = app
        .post("/api/v1/auth/login")
        .json(json!({"email": user.email, "password": user.password}))
        .send()
        .await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    let retry: u64 = res.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=900).contains(&retry), "{retry}");
    // Other accounts are not affected from another address.
    let other = app.consumer().await;
    let res = app
        .post("/api/v1/auth/login")
        .peer("10.9.9.9:1234")
        .json(json!({"email": other.email, "password": other.password}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

#[actix_web::test]
async fn login_beyond_the_address_limit_is_429() {
    let app = TestApp::spawn().await; // 20 attempts per address per 15 minutes in tests
    for i in 0..20 {
        let res = app
            .post("/api/v1/auth/login")
            .peer("10.7.7.7:1000")
            .json(json!({"email": format!("guess{i}@example.cn"), "password": "whatever pass"}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    }
    let res = app
        .post("/api/v1/auth/login")
        .peer("10.7.7.7:1000")
        .json(json!({"email": "guess-more@example.cn", "password": "whatever pass"}))
        .send()
        .await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert!(res.header("retry-after").is_some());
    // The table keeps digests, never the email or the address.
    let mut conn = app.conn();
    #[derive(diesel::QueryableByName)]
    struct Key {
        #[diesel(sql_type = diesel::sql_types::Text)]
        key: String,
    }
    use diesel::RunQueryDsl;
    let keys: Vec<Key> = diesel::sql_query("SELECT key FROM rate_limits")
        .load(&mut conn)
        .unwrap();
    assert!(keys
        .iter()
        .all(|k| !k.key.contains('@') && !k.key.contains("10.7.7.7")));
}

fn claims(app: &TestApp, user_id: &str) -> Value {
    let now = chrono::Utc::now().timestamp();
    let _ = app;
    json!({"iss": "lifemarket", "aud": "lifemarket-api", "sub": user_id, "role": "consumer", "gen": 0, "iat": now, "exp": now + 600})
}

fn sign(claims: &Value, secret: &str) -> String {
    encode(
        &Header::default(),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

#[actix_web::test]
async fn every_kind_of_bad_token_is_401() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let secret = app.state.config.jwt_secret.expose().to_owned();
    let good = claims(&app, &user.id);
    // The genuine article works, so the refusals below are about the defect alone.
    assert_eq!(
        app.get("/api/v1/me")
            .bearer(&sign(&good, &secret))
            .send()
            .await
            .status,
        StatusCode::OK
    );

    let mut expired = good.clone();
    expired["iat"] = json!(chrono::Utc::now().timestamp() - 3600);
    expired["exp"] = json!(chrono::Utc::now().timestamp() - 1800);
    let mut wrong_aud = good.clone();
    wrong_aud["aud"] = json!("another-api");
    let mut wrong_iss = good.clone();
    wrong_iss["iss"] = json!("someone-else");
    let mut no_exp = good.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    let mut no_role = good.clone();
    no_role.as_object_mut().unwrap().remove("role");
    let mut no_gen = good.clone();
    no_gen.as_object_mut().unwrap().remove("gen");
    let mut other_gen = good.clone();
    other_gen["gen"] = json!(1);
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(good.to_string())
    );
    let hs512 = encode(
        &Header::new(jsonwebtoken::Algorithm::HS512),
        &good,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap();

    let bad_tokens = [
        ("expired", sign(&expired, &secret)),
        (
            "wrong signature",
            sign(&good, "not-the-secret-not-the-secret-not-the"),
        ),
        ("wrong aud", sign(&wrong_aud, &secret)),
        ("wrong iss", sign(&wrong_iss, &secret)),
        ("missing exp", sign(&no_exp, &secret)),
        ("missing role", sign(&no_role, &secret)),
        ("missing gen", sign(&no_gen, &secret)),
        ("another generation", sign(&other_gen, &secret)),
        ("alg none", alg_none),
        ("other algorithm", hs512),
        ("malformed", "not.a.jwt".to_owned()),
        ("garbage", "garbage".to_owned()),
    ];
    for (what, token) in bad_tokens {
        let res = app.get("/api/v1/me").bearer(&token).send().await;
        assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{what}: {}", res.text);
        assert_eq!(res.body["code"], "invalid_token", "{what}");
    }
    let res = app
        .get("/api/v1/me")
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
}
