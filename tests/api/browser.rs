//! Browser journeys: headless Chromium (Debian's `chromium` and `chromium-driver`) driven over
//! WebDriver with fantoccini, against the app served on 127.0.0.1. They skip, saying so, when
//! `chromedriver` is not installed, unless `LIFEMARKET_BROWSER_TESTS=required` (which `.ci/run`
//! sets after installing it), and save a screenshot of each page into docs/screenshots/.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use serde_json::json;

use crate::helpers::served::open_stream;
use crate::helpers::TestApp;
use crate::pages::HOSTILE;

const WAIT: Duration = Duration::from_secs(10);

/// A headless Chromium session and the chromedriver this test started.
struct Browser {
    client: Client,
    _driver: Driver,
}

/// The chromedriver process this test started and Chromium's profile; both go with the test.
struct Driver {
    child: Child,
    profile: PathBuf,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

fn chromedriver() -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("chromedriver"))
            .find(|p| p.is_file())
    })
}

/// A browser, or `None` (with a message) when chromedriver is missing and not required.
async fn browser() -> Option<Browser> {
    let Some(driver_bin) = chromedriver() else {
        if std::env::var("LIFEMARKET_BROWSER_TESTS").as_deref() == Ok("required") {
            panic!("chromedriver is required (LIFEMARKET_BROWSER_TESTS=required) but not on PATH");
        }
        eprintln!(
            "SKIPPED browser test: chromedriver not found; install it with \
             `apt-get install -y chromium chromium-driver`"
        );
        return None;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let profile =
        std::env::temp_dir().join(format!("lifemarket-chromium-{}", uuid::Uuid::new_v4()));
    let driver = Driver {
        child: Command::new(driver_bin)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
        profile: profile.clone(),
    };
    let mut options = json!({"args": [
        "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
        "--window-size=1280,900", "--lang=zh-CN", "--no-first-run",
        format!("--user-data-dir={}", profile.display()),
    ]});
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = json!("/usr/bin/chromium");
    }
    let mut caps = serde_json::Map::new();
    caps.insert("goog:chromeOptions".into(), options);
    // An alert stays open so the test can see it, instead of being dismissed.
    caps.insert("unhandledPromptBehavior".into(), json!("ignore"));
    let url = format!("http://127.0.0.1:{port}");
    // Two rustls backends are in the dependency tree; fantoccini's client needs one chosen.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let mut last = None;
    for _ in 0..50 {
        match ClientBuilder::rustls()
            .unwrap()
            .capabilities(caps.clone())
            .connect(&url)
            .await
        {
            Ok(client) => {
                return Some(Browser {
                    client,
                    _driver: driver,
                })
            }
            Err(e) => last = Some(e),
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    panic!("could not start a Chromium session: {last:?}");
}

impl Browser {
    async fn go(&self, url: &str) {
        self.client.goto(url).await.unwrap();
    }
    async fn css(&self, selector: &str) -> fantoccini::elements::Element {
        self.client
            .wait()
            .at_most(WAIT)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|e| panic!("{selector}: {e}"))
    }
    async fn text(&self, selector: &str) -> String {
        self.css(selector).await.text().await.unwrap()
    }
    async fn js(&self, script: &str) -> serde_json::Value {
        self.client.execute(script, vec![]).await.unwrap()
    }
    async fn sign_in(&self, base: &str, email: &str, password: &str) {
        self.go(&format!("{base}/signin")).await;
        self.css("input[name=email]")
            .await
            .send_keys(email)
            .await
            .unwrap();
        self.css("input[name=password]")
            .await
            .send_keys(password)
            .await
            .unwrap();
        self.css("#signin button[type=submit]")
            .await
            .click()
            .await
            .unwrap();
        self.css("main h1").await;
    }
    async fn sign_out(&self) {
        self.css("form[action='/signout'] button")
            .await
            .click()
            .await
            .unwrap();
        self.css("#signin").await;
    }
    /// Saves the page as docs/screenshots/<name>.png.
    async fn shot(&self, name: &str) {
        let png = self.client.screenshot().await.unwrap();
        let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{name}.png")), png).unwrap();
    }
    /// No script of a review ran and no dialog is open.
    async fn assert_no_script_ran(&self) {
        assert!(
            self.client.get_alert_text().await.is_err(),
            "a dialog is open"
        );
        assert_eq!(self.js("return typeof window.__xss;").await, "undefined");
    }
}

async fn review(
    app: &TestApp,
    author: &crate::helpers::TestUser,
    booking: &str,
    rating: i32,
) -> String {
    let res = app
        .post("/api/v1/reviews")
        .bearer(&author.access)
        .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
        .json(json!({"booking_id": booking, "rating": rating, "body": HOSTILE}))
        .send()
        .await;
    assert_eq!(
        res.status,
        actix_web::http::StatusCode::CREATED,
        "{}",
        res.text
    );
    res.body["id"].as_str().unwrap().to_owned()
}

#[actix_web::test]
async fn an_operator_approves_an_application_and_decides_a_held_review_in_the_browser() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn().await;
    let server = app.serve();
    let base = server.base.clone();
    let (merchant, _) = app.submitted_application("整洁到家家政").await;
    let shop = app.shop(1, true).await;
    // The consumer's review first (published), then the owner's own (held: insider), so the
    // same text is not held as a copy.
    let consumer = app.consumer().await;
    let bought = app.completed_booking(&shop, &consumer).await;
    let published = review(&app, &consumer, &bought, 4).await;
    let own = app.completed_booking(&shop, &shop.owner).await;
    let held = review(&app, &shop.owner, &own, 5).await;
    let op = app.operator().await;

    b.go(&format!("{base}/signin")).await;
    b.shot("signin").await;
    b.sign_in(&base, &op.email, &op.password).await;
    assert_eq!(b.text("main h1").await, "运营后台");
    b.shot("console").await;

    b.go(&format!("{base}/console/applications")).await;
    let card = format!("#application-{merchant}");
    assert!(b.text(&card).await.contains("统一社会信用代码"));
    b.shot("console-applications").await;
    b.css(&format!("{card} button[name=approve]"))
        .await
        .click()
        .await
        .unwrap();
    b.css("#no-applications").await;
    let res = app
        .get(&format!("/api/v1/merchants/{merchant}"))
        .bearer(&op.access)
        .send()
        .await;
    assert_eq!(res.body["application"]["status"], "approved");

    b.go(&format!("{base}/console/moderation")).await;
    let card = format!("#review-{held}");
    let shown = b.text(&format!("{card} .review-text")).await;
    assert!(shown.contains("<script>window.__xss"), "{shown}");
    assert!(shown.contains("<img src=x onerror="), "{shown}");
    assert_eq!(b.text(&format!("{card} .rule")).await, "insider");
    b.assert_no_script_ran().await;
    b.shot("console-moderation").await;
    b.css(&format!("{card} select[name=decision]"))
        .await
        .select_by_value("hide")
        .await
        .unwrap();
    b.css(&format!("{card} input[name=reason]"))
        .await
        .send_keys("商家自评，不予展示")
        .await
        .unwrap();
    b.css(&format!("{card} button[type=submit]"))
        .await
        .click()
        .await
        .unwrap();
    b.css("#queue-empty").await;
    assert_eq!(
        app.count(&format!(
            "reviews WHERE id = '{held}' AND status = 'hidden'"
        )),
        1
    );

    b.go(&format!("{base}/console/audit?subject_type=review"))
        .await;
    assert!(b.text("table").await.contains("商家自评，不予展示"));
    b.shot("console-audit").await;
    b.go(&format!("{base}/console/appeals")).await;
    b.shot("console-appeals").await;
    b.go(&format!(
        "{base}/console/merchants/{}/credit",
        shop.merchant
    ))
    .await;
    b.css(".tier").await;
    b.shot("console-credit").await;

    // The portal shows the consumer's published review as text, too, and a reply form posted
    // without its CSRF token is refused.
    b.sign_out().await;
    b.sign_in(&base, &shop.owner.email, &shop.owner.password)
        .await;
    b.go(&format!("{base}/portal/{}/reviews", shop.merchant))
        .await;
    let mine = format!("#review-{published}");
    let text = b.text(&format!("{mine} .review-text")).await;
    assert!(text.contains("<script>window.__xss"), "{text}");
    b.assert_no_script_ran().await;
    b.shot("portal-reviews").await;
    b.css(&format!("{mine} textarea[name=body]"))
        .await
        .send_keys("感谢惠顾")
        .await
        .unwrap();
    b.js(&format!(
        "const f = document.querySelector('{mine} form'); \
         f.querySelector('input[name=csrf]').remove(); f.submit(); return null;"
    ))
    .await;
    assert_eq!(b.text("main code").await, "csrf_invalid");
    assert_eq!(app.count("review_replies"), 0);
    b.go(&format!("{base}/portal/{}/workers", shop.merchant))
        .await;
    b.css(".worker").await;
    b.shot("portal-workers").await;
}

#[actix_web::test]
async fn an_order_placed_through_the_api_appears_on_the_open_board_and_is_accepted_there() {
    let Some(b) = browser().await else { return };
    let app = TestApp::spawn().await;
    let server = app.serve();
    let base = server.base.clone();
    let k = app.kitchen().await;
    let consumer = app.consumer().await;

    b.sign_in(&base, &k.owner.email, &k.owner.password).await;
    assert_eq!(b.text("main h1").await, "商家工作台");
    b.shot("portal").await;
    b.go(&format!("{base}/portal/{}/", k.merchant)).await;
    b.css("#live-status[data-state=open]").await;
    b.js("window.__sameDocument = 'yes'; return null;").await;
    let mut stream = open_stream(&format!("{base}/api/v1/me/events"), &consumer.access, None).await;

    let (order, _) = app.placed(&k, &consumer, "contactless").await;
    let card = format!("#card-{order}");
    assert!(b.text(&card).await.contains("待接单"));
    assert_eq!(
        b.js("return window.__sameDocument || null;").await,
        "yes",
        "the order appeared without a reload"
    );
    b.shot("portal-board").await;
    let made = stream
        .next_event(WAIT)
        .await
        .expect("the consumer hears of the order");
    assert_eq!(made.data["to"], "awaiting_payment");
    let placed = stream
        .next_event(WAIT)
        .await
        .expect("the consumer hears it is paid");
    assert_eq!(placed.data["to"], "placed");

    b.css(&format!("{card} button"))
        .await
        .click()
        .await
        .unwrap();
    b.css(&format!("{card}[data-status=accepted]")).await;
    let accepted = stream
        .next_event(WAIT)
        .await
        .expect("the consumer hears it was accepted");
    assert_eq!(accepted.data["subject_id"], order.as_str());
    assert_eq!(accepted.data["to"], "accepted");
    assert_eq!(accepted.data["action"], "accept");
    // Keyboard: the large-text switch is a real button; Enter toggles it.
    b.css("#large-text")
        .await
        .send_keys("\u{E007}")
        .await
        .unwrap();
    assert_eq!(
        b.js("return document.documentElement.classList.contains('large');")
            .await,
        json!(true)
    );
    b.shot("portal-board-large-text").await;
}
