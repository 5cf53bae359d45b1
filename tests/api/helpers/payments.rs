//! Payments in tests: one sandbox provider for the whole test binary (both protocols over real
//! HTTP, the committed test keys), every test app configured against it, paying as a consumer
//! would (open the payment, "pay" on the sandbox, the app checks with the provider), and the
//! app served over real HTTP (`served`) where the sandbox must reach it with notifications.

use std::net::TcpListener;
use std::sync::OnceLock;

use actix_web::http::StatusCode;
use serde_json::{json, Value};

use lifemarket::sandbox::{self, Running, SandboxConfig};

use super::{TestApp, TestUser};

/// The sandbox every test app talks to.
pub fn sandbox() -> &'static Running {
    static SANDBOX: OnceLock<Running> = OnceLock::new();
    SANDBOX.get_or_init(|| sandbox::start(SandboxConfig::for_tests()).expect("payment sandbox"))
}

/// Points the configuration's providers at the sandbox.
pub fn configure(config: &mut lifemarket::config::Config) {
    let s = sandbox();
    config.wechat_pay = Some(s.wechat_config());
    config.alipay = Some(s.alipay_config());
}

/// The app served over real HTTP on 127.0.0.1, its `PUBLIC_URL` pointing at itself, so the
/// sandbox's notifications reach it. Dropping it stops the server.
pub struct Served {
    // Fields drop in order: the server stops before the app's database goes.
    _server: super::served::Served,
    pub app: TestApp,
    pub base_url: String,
}

impl Served {
    pub async fn spawn() -> Self {
        Self::spawn_against(sandbox()).await
    }

    /// The same, talking to a sandbox of its own (one whose trade bills no other test shares).
    pub async fn spawn_against(s: &Running) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base_url = format!("http://{}", listener.local_addr().unwrap());
        let url = base_url.clone();
        let (wechat, alipay) = (s.wechat_config(), s.alipay_config());
        let app = TestApp::spawn_with(move |c, _| {
            c.public_url = url;
            c.wechat_pay = Some(wechat);
            c.alipay = Some(alipay);
        })
        .await;
        let server = app.serve_on(listener);
        Self {
            _server: server,
            app,
            base_url,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }
}

/// A plain HTTP client for real connections.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder().build().unwrap()
}

/// Stands in for the consumer's phone: the sandbox takes (or, with `fail`, fails) the payment
/// and sends its notification.
pub async fn sandbox_pay(payment: &Value, fail: bool) {
    pay_on(sandbox(), payment, fail, true).await
}

/// [`sandbox_pay`] on a given sandbox; with `notify` false the payment is taken but its
/// notification is never sent (a lost notification).
pub async fn pay_on(s: &Running, payment: &Value, fail: bool, notify: bool) {
    let mut body = json!({"method": payment["method"], "fail": fail, "notify": notify});
    match payment["method"].as_str() {
        Some("alipay") => body["order_string"] = payment["sheet"]["params"]["order_string"].clone(),
        _ => body["out_trade_no"] = payment["out_trade_no"].clone(),
    }
    let res = client()
        .post(format!("{}/sandbox/pay", s.base_url))
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = res.status();
    assert!(
        status.is_success(),
        "sandbox pay: {status} {}",
        res.text().await.unwrap()
    );
}

impl TestApp {
    /// `POST /{orders|bookings}/{id}/payments` through `method` with a fresh key.
    pub async fn open_payment(
        &self,
        consumer: &TestUser,
        subject: &str,
        id: &str,
        method: &str,
    ) -> super::Res {
        self.post(&format!("/api/v1/{subject}/{id}/payments"))
            .bearer(&consumer.access)
            .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
            .json(json!({ "method": method }))
            .send()
            .await
    }

    /// Pays the order or booking as the consumer does; returns the payment, succeeded.
    pub async fn pay(&self, consumer: &TestUser, subject: &str, id: &str, method: &str) -> Value {
        let res = self.open_payment(consumer, subject, id, method).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        sandbox_pay(&res.body, false).await;
        let checked = self
            .post(&format!(
                "/api/v1/payments/{}/check",
                res.body["id"].as_str().unwrap()
            ))
            .bearer(&consumer.access)
            .send()
            .await;
        assert_eq!(checked.status, StatusCode::OK, "{}", checked.text);
        assert_eq!(checked.body["status"], "succeeded", "{}", checked.text);
        checked.body
    }
}
