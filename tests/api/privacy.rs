//! Personal information: consent, verification and reset, export, deletion, audited reads, logs.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use actix_web::http::{header, StatusCode};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::Text;
use serde_json::json;

use crate::helpers::orders::drop_address;
use crate::helpers::{TestApp, TestUser};

/// The latest email text sent to `to`, from the outbox.
fn mail_to(app: &TestApp, to: &str) -> String {
    #[derive(QueryableByName)]
    struct Body {
        #[diesel(sql_type = Text)]
        body_text: String,
    }
    diesel::sql_query("SELECT body_text FROM outbox_emails WHERE recipient = $1 ORDER BY created_at DESC, id DESC LIMIT 1")
        .bind::<Text, _>(to)
        .get_result::<Body>(&mut app.conn())
        .unwrap()
        .body_text
}

fn token_in(mail: &str) -> String {
    mail.split("token=")
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned()
}

async fn register(
    app: &TestApp,
    email: &str,
    phone: &str,
    name: &str,
    marketing: bool,
) -> TestUser {
    let res = app
        .post("/api/v1/auth/register")
        .json(json!({"email": email, "password": "a unique secret 9f3", "display_name": name, "phone": phone,
                     "accept_terms": true, "marketing_emails": marketing}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.login(email, "a unique secret 9f3").await
}

#[actix_web::test]
async fn registration_records_consent_and_optional_consent_can_be_withdrawn() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .json(json!({"email": "x@example.cn", "password": "long enough pw", "display_name": "x"}))
        .send()
        .await;
    assert_eq!(res.fields(), ["accept_terms"]);
    let user = register(&app, "consent@example.cn", "13700000001", "同意者", true).await;
    let res = app
        .get("/api/v1/me/consents")
        .bearer(&user.access)
        .send()
        .await;
    let current = res.body["current"].as_array().unwrap();
    assert_eq!(current.len(), 3);
    assert!(current
        .iter()
        .all(|c| c["granted"] == true && c["version"].is_string()));
    let res = app
        .request("PUT".parse().unwrap(), "/api/v1/me/consents")
        .bearer(&user.access)
        .json(json!({"marketing_email": false}))
        .send()
        .await;
    let marketing = res.body["current"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["kind"] == "marketing_email")
        .unwrap()
        .clone();
    assert_eq!(marketing["granted"], false);
    assert_eq!(
        res.body["history"].as_array().unwrap().len(),
        4,
        "withdrawal is appended, nothing overwritten"
    );
    // Declining marketing takes nothing away.
    let k = app.kitchen().await;
    let order = app.placed(&k, &user, "contactless").await;
    assert!(!order.0.is_empty());
}

#[actix_web::test]
async fn email_verification_and_password_reset_tokens_are_single_use_and_expire() {
    let app = TestApp::spawn().await;
    let user = register(&app, "reset@example.cn", "13700000002", "重置者", false).await;
    let token = token_in(&mail_to(&app, "reset@example.cn"));
    let verify = |t: String| {
        app.post("/api/v1/auth/verify-email")
            .json(json!({"token": t}))
            .send()
    };
    assert_eq!(verify(token.clone()).await.status, StatusCode::OK);
    verify(token)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "token_invalid");
    assert_eq!(
        app.get("/api/v1/me").bearer(&user.access).send().await.body["email_verified"],
        true
    );

    // Known and unknown emails get the same answer.
    let known = app
        .post("/api/v1/auth/password-reset")
        .json(json!({"email": "reset@example.cn"}))
        .send()
        .await;
    let unknown = app
        .post("/api/v1/auth/password-reset")
        .json(json!({"email": "nobody@example.cn"}))
        .send()
        .await;
    assert_eq!((known.status, &known.body), (unknown.status, &unknown.body));
    assert_eq!(known.status, StatusCode::ACCEPTED);
    let token = token_in(&mail_to(&app, "reset@example.cn"));
    let confirm = |t: &str| {
        app.post("/api/v1/auth/password-reset/confirm")
            .json(json!({"token": t, "new_password": "brand new secret 1"}))
            .send()
    };
    assert_eq!(confirm(&token).await.status, StatusCode::OK);
    confirm(&token)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "token_invalid");
    // Every session was signed out; the new password works.
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "refresh_token_invalid");
    app.login("reset@example.cn", "brand new secret 1").await;

    app.post("/api/v1/auth/password-reset")
        .json(json!({"email": "reset@example.cn"}))
        .send()
        .await;
    let late = token_in(&mail_to(&app, "reset@example.cn"));
    app.conn()
        .batch_execute("UPDATE account_tokens SET expires_at = now() - interval '1 second'")
        .unwrap();
    confirm(&late)
        .await
        .assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "token_invalid");
}

#[actix_web::test]
async fn the_export_holds_the_callers_data_and_nothing_of_anyone_elses() {
    let app = TestApp::spawn().await;
    let me = register(&app, "export@example.cn", "13700000003", "导出者", false).await;
    let other = register(&app, "other@example.cn", "13700000004", "旁人", false).await;
    let k = app.kitchen().await;
    app.placed(&k, &me, "contactless").await;
    app.placed(&k, &other, "contactless").await;
    app.post("/api/v1/me/addresses")
        .bearer(&me.access)
        .json(drop_address())
        .send()
        .await;
    let res = app.get("/api/v1/me/export").bearer(&me.access).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["profile"]["email"], "export@example.cn");
    assert_eq!(res.body["orders"].as_array().unwrap().len(), 1);
    assert_eq!(res.body["addresses"].as_array().unwrap().len(), 1);
    assert_eq!(res.body["consents"].as_array().unwrap().len(), 3);
    assert!(
        !res.text.contains("other@example.cn")
            && !res.text.contains("13700000004")
            && !res.text.contains("旁人")
    );
    assert!(!res.text.contains(&other.id));
}

/// How many rows of any table mention `needle` in any text or JSON column.
fn rows_mentioning(app: &TestApp, needle: &str) -> Vec<String> {
    #[derive(QueryableByName)]
    struct Col {
        #[diesel(sql_type = Text)]
        table_name: String,
        #[diesel(sql_type = Text)]
        column_name: String,
    }
    let mut conn = app.conn();
    let cols: Vec<Col> = diesel::sql_query(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public' AND data_type IN ('text', 'jsonb', 'USER-DEFINED', 'character varying')
           AND table_name <> '__diesel_schema_migrations'",
    )
    .load(&mut conn)
    .unwrap();
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    cols.into_iter()
        .filter(|c| {
            let n: N = diesel::sql_query(format!(
                "SELECT count(*) AS n FROM {} WHERE {}::text LIKE $1",
                c.table_name, c.column_name
            ))
            .bind::<Text, _>(format!("%{needle}%"))
            .get_result(&mut conn)
            .unwrap();
            n.n > 0
        })
        .map(|c| format!("{}.{}", c.table_name, c.column_name))
        .collect()
}

#[actix_web::test]
async fn deleting_an_account_erases_identifiers_and_keeps_pseudonymous_records() {
    let app = TestApp::spawn().await;
    let me = register(&app, "leaving@example.cn", "13766665555", "独一无二", false).await;
    let k = app.kitchen().await;
    let mut address = drop_address();
    address["recipient_name"] = json!("独一无二");
    address["phone"] = json!("13766665555");
    address["text"] = json!("重庆市北碚区独特路99号7栋701");
    app.post("/api/v1/me/addresses")
        .bearer(&me.access)
        .json(address.clone())
        .send()
        .await;
    let res = app
        .order(
            &me,
            json!({"merchant_id": k.merchant, "delivery_mode": "contactless", "address": address,
        "items": [{"service_id": k.items[0], "quantity": 1}]}),
        )
        .await;
    let order = res.body["id"].as_str().unwrap().to_owned();
    app.pay(&me, "orders", &order, "wechat").await;

    let delete = |pw: &str| {
        app.request("DELETE".parse().unwrap(), "/api/v1/me")
            .bearer(&me.access)
            .json(json!({"password": pw}))
            .send()
    };
    delete("not my password")
        .await
        .assert_problem(StatusCode::FORBIDDEN, "wrong_password");
    delete("a unique secret 9f3")
        .await
        .assert_problem(StatusCode::CONFLICT, "active_orders");
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &order, action, json!({})).await;
    }
    let photo = app
        .upload(
            &k.owner,
            "handoff_photo",
            crate::helpers::images::jpeg(true),
        )
        .await;
    app.order_act(&k.owner, &order, "deliver", json!({"proof": {"method": "contactless", "drop_point": "独特路门口", "photo_refs": [photo]}})).await;
    app.order_act(&me, &order, "confirm-receipt", json!({}))
        .await;
    let owner_cannot = app
        .request("DELETE".parse().unwrap(), "/api/v1/me")
        .bearer(&k.owner.access)
        .json(json!({"password": k.owner.password}))
        .send()
        .await;
    owner_cannot.assert_problem(StatusCode::CONFLICT, "owns_merchant");
    app.run_jobs().await;

    assert_eq!(
        delete("a unique secret 9f3").await.status,
        StatusCode::NO_CONTENT
    );
    for needle in ["leaving@example.cn", "13766665555", "独一无二", "独特路"] {
        assert_eq!(
            rows_mentioning(&app, needle),
            Vec::<String>::new(),
            "{needle} is still stored"
        );
    }
    // The completed order still counts for the merchant, pseudonymised.
    let board = app
        .get(&format!(
            "/api/v1/merchants/{}/orders?status=completed",
            k.merchant
        ))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert_eq!(board.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(board.body["items"][0]["amounts"]["total_cents"], 1800);
    app.run_jobs().await;
    let credit = app
        .get(&format!("/api/v1/merchants/{}/credit", k.merchant))
        .bearer(&k.owner.access)
        .send()
        .await;
    assert!(credit.body["breakdown"]["reliability"].as_f64().is_some());
    // And the account is gone.
    let res = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "leaving@example.cn", "password": "a unique secret 9f3"}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "invalid_credentials");
}

#[actix_web::test]
async fn an_operator_reading_a_persons_details_is_audited() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let url = format!("/api/v1/admin/users/{}", user.id);
    app.get(&url)
        .bearer(&user.access)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    let operator = app.operator().await;
    let res = app.get(&url).bearer(&operator.access).send().await;
    assert_eq!(res.body["email"], user.email.as_str());
    let log = app
        .get(&format!("/api/v1/admin/audit-log?subject_id={}", user.id))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(log.body["items"][0]["action"], "user.read_personal_data");
    assert_eq!(log.body["items"][0]["actor_id"], operator.id.as_str());
}

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The log of this test process, as the service writes it.
fn captured_log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        lifemarket::telemetry::init_with_writer(false, move || writer.clone());
        buffer
    })
    .clone()
}

#[actix_web::test]
async fn logs_of_a_full_flow_carry_no_personal_data_or_secrets() {
    let log = captured_log();
    let app = TestApp::spawn().await;
    let user = register(&app, "logged@example.cn", "13799998888", "日志者", true).await;
    app.post("/api/v1/auth/login")
        .json(json!({"email": "logged@example.cn", "password": "wrong password here"}))
        .send()
        .await;
    let refreshed = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": user.refresh}))
        .send()
        .await;
    app.patch("/api/v1/me")
        .bearer(&user.access)
        .json(json!({"phone": "not-a-phone-13799998888"}))
        .send()
        .await;
    let k = app.kitchen().await;
    let mut address = drop_address();
    address["phone"] = json!("13799998888");
    address["text"] = json!("重庆市渝北区日志路1号2栋3层");
    let res = app
        .order(
            &user,
            json!({"merchant_id": k.merchant, "delivery_mode": "in_person", "address": address,
        "items": [{"service_id": k.items[0], "quantity": 1}]}),
        )
        .await;
    let order = res.body["id"].as_str().unwrap().to_owned();
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &order, action, json!({})).await;
    }
    app.order_act(
        &k.owner,
        &order,
        "deliver",
        json!({"proof": {"method": "in_person", "drop_point": "门口", "pin": "0000x"}}),
    )
    .await;
    app.get(&format!("/api/v1/orders/{order}"))
        .bearer(&user.access)
        .send()
        .await;
    app.run_jobs().await;

    let text = String::from_utf8_lossy(&log.lock().unwrap()).into_owned();
    assert!(
        text.contains("/api/v1/orders"),
        "the flow was logged at all"
    );
    let secrets = [
        "logged@example.cn".to_owned(),
        "13799998888".to_owned(),
        "a unique secret 9f3".to_owned(),
        "wrong password here".to_owned(),
        user.access.clone(),
        user.refresh.clone(),
        refreshed.body["refresh_token"]
            .as_str()
            .unwrap_or("none")
            .to_owned(),
        "日志路".to_owned(),
    ];
    for secret in secrets {
        assert!(!text.contains(&secret), "the log holds {secret}");
    }
}

#[actix_web::test]
async fn the_links_in_account_emails_open_pages_that_verify_and_reset() {
    let app = TestApp::spawn().await;
    let user = register(&app, "link@example.cn", "13700000003", "点链接", false).await;
    app.run_jobs().await;
    let welcome = app
        .sent_emails()
        .into_iter()
        .find(|m| m.to.contains("link@example.cn"))
        .unwrap();
    // The file a developer opens in var/mail/ shows the text and the link as written.
    assert!(
        welcome.raw.contains("Content-Transfer-Encoding: 8bit"),
        "{}",
        welcome.raw
    );
    assert!(
        welcome.raw.contains("请点击链接验证邮箱"),
        "{}",
        welcome.raw
    );
    let link = welcome
        .raw
        .split_whitespace()
        .find(|w| w.starts_with("http://127.0.0.1:8080/verify-email?token="))
        .unwrap_or_else(|| panic!("no verification link in {}", welcome.raw))
        .to_owned();
    let path = link.trim_start_matches("http://127.0.0.1:8080");

    // Opening the link changes nothing: a mail scanner may fetch it.
    let page = app.get(path).send().await;
    assert_eq!(page.status, StatusCode::OK);
    let header = |name| page.headers.get(name).and_then(|v| v.to_str().ok());
    assert_eq!(
        header(header::CONTENT_TYPE),
        Some("text/html; charset=utf-8")
    );
    assert_eq!(header(header::REFERRER_POLICY), Some("no-referrer"));
    assert!(page
        .text
        .contains("<form method=\"post\" action=\"/verify-email\">"));
    let me = || app.get("/api/v1/me").bearer(&user.access).send();
    assert_eq!(me().await.body["email_verified"], false);
    // Its button posts the token and verifies the address.
    let token = token_in(&link);
    let submit = |t: &str| {
        app.post("/verify-email").body(
            "application/x-www-form-urlencoded",
            format!("token={t}").into_bytes(),
        )
    };
    let done = submit(&token).send().await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    assert!(done.text.contains("邮箱已验证"));
    assert_eq!(me().await.body["email_verified"], true);
    let again = submit(&token).send().await;
    assert_eq!(again.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(again.text.contains("链接已失效"));

    // The reset link: a form with the new password.
    app.post("/api/v1/auth/password-reset")
        .json(json!({"email": "link@example.cn"}))
        .send()
        .await;
    let token = token_in(&mail_to(&app, "link@example.cn"));
    let page = app
        .get(&format!("/reset-password?token={token}"))
        .send()
        .await;
    assert!(page.text.contains("name=\"new_password\""), "{}", page.text);
    let short = app
        .post("/reset-password")
        .body(
            "application/x-www-form-urlencoded",
            format!("token={token}&new_password=short").into_bytes(),
        )
        .send()
        .await;
    assert_eq!(short.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = app
        .post("/reset-password")
        .body(
            "application/x-www-form-urlencoded",
            format!("token={token}&new_password=a+brand+new+secret").into_bytes(),
        )
        .send()
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.text);
    app.login("link@example.cn", "a brand new secret").await;
    me().await
        .assert_problem(StatusCode::UNAUTHORIZED, "invalid_token");

    // Whatever the link carries is shown as text, never as markup.
    let page = app
        .get("/verify-email?token=%22%3E%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .send()
        .await;
    assert!(!page.text.contains("<script>"), "{}", page.text);
    assert!(page.text.contains("&quot;&gt;&lt;script&gt;"));
}
