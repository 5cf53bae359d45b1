//! The pages (`/signin`, `/console/`, `/portal/`) without a browser: the cookie session, CSRF,
//! role checks, escaping and the headers. The browser journeys are in `browser.rs`.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::merchants::application;
use crate::helpers::{Res, TestApp, TestUser};

/// A page session: the cookie header and the session's CSRF token.
pub struct PageSession {
    pub cookie: String,
    pub csrf: String,
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").expect("a csrf field") + 19;
    html[at..].split('"').next().unwrap().to_owned()
}

fn set_cookie(res: &Res, name: &str) -> Option<String> {
    res.headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with(&format!("{name}=")))
        .map(str::to_owned)
}

impl TestApp {
    /// Signs `user` in through the sign-in page.
    pub async fn page_signin(&self, user: &TestUser) -> PageSession {
        let form = self.get("/signin").send().await;
        let login_cookie = set_cookie(&form, "lm_signin_csrf").unwrap();
        let login_cookie = login_cookie.split(';').next().unwrap().to_owned();
        let body = format!(
            "csrf={}&email={}&password={}",
            csrf_of(&form.text),
            urlencode(&user.email),
            urlencode(&user.password)
        );
        let res = self
            .post("/signin")
            .header("cookie", &login_cookie)
            .body("application/x-www-form-urlencoded", body)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
        let cookie = set_cookie(&res, "lm_session").unwrap();
        let cookie = cookie.split(';').next().unwrap().to_owned();
        let home = res.header("location").unwrap().to_owned();
        let page = self.get(&home).header("cookie", &cookie).send().await;
        assert_eq!(page.status, StatusCode::OK, "{home}: {}", page.text);
        PageSession {
            csrf: csrf_of(&page.text),
            cookie,
        }
    }

    /// Posts a form of the pages.
    pub async fn page_post(&self, s: &PageSession, path: &str, body: &str) -> Res {
        self.post(path)
            .header("cookie", &s.cookie)
            .body("application/x-www-form-urlencoded", body.to_owned())
            .send()
            .await
    }

    pub async fn page_get(&self, s: &PageSession, path: &str) -> Res {
        self.get(path).header("cookie", &s.cookie).send().await
    }

    /// A submitted application; returns the merchant's id and its owner.
    pub async fn submitted_application(&self, name: &str) -> (String, TestUser) {
        let owner = self.consumer().await;
        let mut body = application(&["housekeeping"]);
        body["display_name"] = json!(name);
        let id = self.draft_merchant(&owner, body).await;
        let res = self
            .post(&format!("/api/v1/merchants/{id}/submit"))
            .bearer(&owner.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        (id, owner)
    }
}

pub fn urlencode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

async fn merchant_status(app: &TestApp, id: &str) -> String {
    let op = app.operator().await;
    let res = app
        .get(&format!("/api/v1/merchants/{id}"))
        .bearer(&op.access)
        .send()
        .await;
    res.body["application"]["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

#[actix_web::test]
async fn signing_in_sets_a_strict_http_only_cookie_and_only_operators_reach_the_console() {
    let app = TestApp::spawn().await;
    let form = app.get("/signin").send().await;
    assert_eq!(form.status, StatusCode::OK);
    let csp = form.header("content-security-policy").unwrap();
    assert!(csp.contains("script-src 'self'") && csp.contains("default-src 'none'"));
    assert!(form.text.contains("lang=\"zh-CN\""));

    let op = app.operator().await;
    let login = app.get("/signin").send().await;
    let cookie = set_cookie(&login, "lm_signin_csrf").unwrap();
    let res = app
        .post("/signin")
        .header("cookie", cookie.split(';').next().unwrap())
        .body(
            "application/x-www-form-urlencoded",
            format!(
                "csrf={}&email={}&password={}",
                csrf_of(&login.text),
                urlencode(&op.email),
                urlencode(&op.password)
            ),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(res.header("location"), Some("/console/"));
    let session = set_cookie(&res, "lm_session").unwrap();
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Strict"), "{session}");
    assert!(
        !session.contains("Secure"),
        "not Secure in tests: {session}"
    );

    let wrong = app
        .post("/signin")
        .header("cookie", cookie.split(';').next().unwrap())
        .body(
            "application/x-www-form-urlencoded",
            format!(
                "csrf={}&email={}&password=wrong-password",
                csrf_of(&login.text),
                urlencode(&op.email)
            ),
        )
        .send()
        .await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(set_cookie(&wrong, "lm_session").is_none());

    let consumer = app.consumer().await;
    let s = app.page_signin(&consumer).await;
    for page in [
        "/console/",
        "/console/applications",
        "/console/moderation",
        "/console/audit",
    ] {
        let res = app.page_get(&s, page).await;
        assert_eq!(res.status, StatusCode::FORBIDDEN, "{page}");
        assert!(res.text.contains("forbidden"));
    }
    // Signed out: to the sign-in page, then back.
    let res = app.get("/console/moderation").send().await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(
        res.header("location"),
        Some("/signin?next=%2Fconsole%2Fmoderation")
    );
}

#[actix_web::test]
async fn a_form_posted_without_its_csrf_token_is_refused_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let (merchant, _) = app.submitted_application("整洁到家").await;
    let op = app.operator().await;
    let s = app.page_signin(&op).await;
    let approve = format!("/console/applications/{merchant}/approve");

    let res = app.page_post(&s, &approve, "reason=").await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text);
    assert!(res.text.contains("csrf_invalid"));
    let res = app
        .page_post(&s, &approve, "csrf=not-the-token&reason=")
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
    assert_eq!(merchant_status(&app, &merchant).await, "submitted");

    // The sign-in form is refused without its token too.
    let res = app
        .post("/signin")
        .body(
            "application/x-www-form-urlencoded",
            format!(
                "email={}&password={}",
                urlencode(&op.email),
                urlencode(&op.password)
            ),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);

    let page = app.page_get(&s, "/console/applications").await;
    assert!(page.text.contains("整洁到家"));
    assert!(page.text.contains("统一社会信用代码"));
    let res = app
        .page_post(&s, &approve, &format!("csrf={}&reason=", s.csrf))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(merchant_status(&app, &merchant).await, "approved");
    assert_eq!(app.count("audit_log WHERE action = 'merchant.approve'"), 1);
}

#[actix_web::test]
async fn a_rejection_needs_a_reason_as_in_the_api() {
    let app = TestApp::spawn().await;
    let (merchant, _) = app.submitted_application("快修师傅").await;
    let op = app.operator().await;
    let s = app.page_signin(&op).await;
    let reject = format!("/console/applications/{merchant}/reject");
    let res = app
        .page_post(&s, &reject, &format!("csrf={}&reason=", s.csrf))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.text);
    assert_eq!(merchant_status(&app, &merchant).await, "submitted");
    let res = app
        .page_post(
            &s,
            &reject,
            &format!("csrf={}&reason={}", s.csrf, urlencode("营业执照照片不清晰")),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(merchant_status(&app, &merchant).await, "rejected");
}

#[actix_web::test]
async fn a_member_of_another_merchant_gets_404_on_a_portal_page() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let (_, other_owner) = app.merchant().await;
    let s = app.page_signin(&other_owner).await;
    for page in ["/", "/board", "/reviews", "/workers"] {
        let path = format!("/portal/{}{page}", k.merchant);
        let res = app.page_get(&s, &path).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.text);
    }
    let (order, _) = app.placed(&k, &app.consumer().await, "contactless").await;
    let res = app
        .page_post(
            &s,
            &format!("/portal/{}/orders/{order}/accept", k.merchant),
            &format!("csrf={}", s.csrf),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(app.count("order_events WHERE action = 'accept'"), 0);

    // The owner's board shows the order and accepts it.
    let own = app.page_signin(&k.owner).await;
    let board = app
        .page_get(&own, &format!("/portal/{}/", k.merchant))
        .await;
    assert_eq!(board.status, StatusCode::OK);
    assert!(board.text.contains(&format!("card-{order}")));
    let res = app
        .page_post(
            &own,
            &format!("/portal/{}/orders/{order}/accept", k.merchant),
            &format!("csrf={}", own.csrf),
        )
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.text);
    assert_eq!(app.count("order_events WHERE action = 'accept'"), 1);
}

#[actix_web::test]
async fn signing_out_ends_the_page_session() {
    let app = TestApp::spawn().await;
    let op = app.operator().await;
    let s = app.page_signin(&op).await;
    let res = app.page_post(&s, "/signout", "").await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "sign-out needs the token too"
    );
    let res = app
        .page_post(&s, "/signout", &format!("csrf={}", s.csrf))
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(app.count("web_sessions"), 0);
    let res = app.page_get(&s, "/console/").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);

    // Ending every session through the API ends page sessions as well.
    let s = app.page_signin(&op).await;
    let res = app
        .post("/api/v1/auth/logout-everywhere")
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.page_get(&s, "/console/").await.status,
        StatusCode::SEE_OTHER
    );
}

/// The review text of the escaping checks.
pub const HOSTILE: &str =
    "<script>window.__xss = 1; alert('xss')</script><img src=x onerror=\"window.__xss = 2; alert(2)\"> 好评";

#[actix_web::test]
async fn review_markup_is_shown_as_text_in_the_console_and_the_portal() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    // A consumer's published review: the portal's review page shows it.
    let consumer = app.consumer().await;
    let booking = app.completed_booking(&shop, &consumer).await;
    let res = app
        .post("/api/v1/reviews")
        .bearer(&consumer.access)
        .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
        .json(json!({"booking_id": booking, "rating": 4, "body": HOSTILE}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // The owner's own review is held (insider rule): the console's queue shows it.
    let own = app.completed_booking(&shop, &shop.owner).await;
    let res = app
        .post("/api/v1/reviews")
        .bearer(&shop.owner.access)
        .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
        .json(json!({"booking_id": own, "rating": 5, "body": HOSTILE}))
        .send()
        .await;
    assert_eq!(res.body["status"], "held", "{}", res.text);
    let op = app.operator().await;
    let s = app.page_signin(&op).await;
    let queue = app.page_get(&s, "/console/moderation").await;
    let portal = app.page_signin(&shop.owner).await;
    let reviews = app
        .page_get(&portal, &format!("/portal/{}/reviews", shop.merchant))
        .await;
    for page in [&queue, &reviews] {
        assert_eq!(page.status, StatusCode::OK, "{}", page.text);
        assert!(
            page.text.contains("&#60;script&#62;window.__xss"),
            "{}",
            page.text
        );
        assert!(!page.text.contains("<script>window"));
        assert!(!page.text.contains("<img src=x"));
    }
}

#[actix_web::test]
async fn the_vendored_files_are_served_with_a_long_cache() {
    let app = TestApp::spawn().await;
    let res = app.get("/static/htmx-2.0.11.min.js").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    assert!(res.text.contains("htmx"));
    assert_eq!(
        app.get("/static/nothing.js").send().await.status,
        StatusCode::NOT_FOUND
    );
}
