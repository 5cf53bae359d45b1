//! The test harness: an in-process app on a fresh database, a small request builder, and
//! builders for users and tokens.

pub mod booking;
pub mod db;
pub mod images;
pub mod merchants;
pub mod orders;
pub mod payments;
pub mod proxy;
pub mod served;

use std::rc::Rc;

use actix_web::body::BoxBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::test::{self, TestRequest};
use diesel::prelude::*;
use futures_util::future::LocalBoxFuture;
use serde_json::{json, Value};

use lifemarket::config::Config;
/// Shared with `images` (which the uploads unit tests include too, with their own `super`).
pub use lifemarket::uploads::image::png_chunk;
use lifemarket::{db as app_db, AppState};

pub use db::TestDb;

type Call = Rc<dyn Fn(actix_http::Request) -> LocalBoxFuture<'static, ServiceResponse<BoxBody>>>;

/// The app under test. Fields drop in order: the service and pool before the database.
pub struct TestApp {
    call: Call,
    pub state: AppState,
    pub db: TestDb,
}

/// A signed-in user.
#[derive(Debug, Clone)]
pub struct TestUser {
    pub id: String,
    pub email: String,
    pub password: String,
    pub access: String,
    pub refresh: String,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_, _| {}).await
    }

    /// An app whose configuration `tweak` may change (the database URL is already set).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config, &TestDb)) -> Self {
        let db = TestDb::create();
        let mut config = Config::for_tests(&db.url());
        payments::configure(&mut config);
        tweak(&mut config, &db);
        let state = lifemarket::app::state(config).expect("app state");
        let service = Rc::new(test::init_service(lifemarket::app(state.clone())).await);
        let call: Call = Rc::new(move |req| {
            let service = service.clone();
            Box::pin(async move {
                match service.call(req).await {
                    Ok(res) => res.map_into_boxed_body(),
                    Err(err) => panic!("service error: {err}"),
                }
            })
        });
        Self { call, state, db }
    }

    pub fn request(&self, method: Method, path: &str) -> Req<'_> {
        Req {
            app: self,
            req: TestRequest::default()
                .method(method)
                .uri(path)
                .peer_addr("10.1.1.1:4000".parse().unwrap()),
        }
    }
    pub fn get(&self, path: &str) -> Req<'_> {
        self.request(Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Req<'_> {
        self.request(Method::POST, path)
    }
    pub fn patch(&self, path: &str) -> Req<'_> {
        self.request(Method::PATCH, path)
    }

    /// A connection to this test's database, for assertions on rows.
    pub fn conn(&self) -> PgConnection {
        PgConnection::establish(&self.db.url()).expect("connect to the test database")
    }

    /// Counts the rows of a table.
    pub fn count(&self, table: &str) -> i64 {
        #[derive(QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(format!("SELECT count(*) AS n FROM {table}"))
            .get_result::<Count>(&mut self.conn())
            .unwrap()
            .n
    }

    /// Runs every due job (timers, outbox) to completion.
    pub async fn run_jobs(&self) -> usize {
        lifemarket::jobs::run_due(&self.state.jobs)
            .await
            .expect("jobs run")
    }

    pub fn sent_emails(&self) -> Vec<lifemarket::jobs::SentEmail> {
        self.state.mailer.sent()
    }

    /// Uploads `bytes` as `user` for `purpose`; returns the upload's id.
    pub async fn upload(&self, user: &TestUser, purpose: &str, bytes: Vec<u8>) -> String {
        let res = self
            .post(&format!("/api/v1/uploads?purpose={purpose}"))
            .bearer(&user.access)
            .body("application/octet-stream", bytes)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.body["id"].as_str().unwrap().to_owned()
    }

    /// The directory this app stores uploads in.
    pub fn upload_dir(&self) -> std::path::PathBuf {
        match &self.state.config.upload_store {
            lifemarket::config::StoreConfig::Directory(dir) => dir.clone(),
            other => panic!("tests store uploads in a directory, not {other:?}"),
        }
    }

    /// Registers a consumer through the API.
    pub async fn consumer(&self) -> TestUser {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("user-{}@example.cn", &n[..12]);
        let password = "correct horse battery".to_owned();
        let res = self
            .post("/api/v1/auth/register")
            .json(json!({"email": email, "password": password, "display_name": "王小明", "accept_terms": true}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        TestUser::from_tokens(&res.body, email, password)
    }

    /// Creates an operator in the database and signs it in through the API.
    pub async fn operator(&self) -> TestUser {
        let n = uuid::Uuid::new_v4().simple().to_string();
        let email = format!("op-{}@lifemarket.cn", &n[..12]);
        let password = "operator password 1".to_owned();
        let hash = self.state.passwords.hash(&password).unwrap();
        lifemarket::accounts::create(
            &mut self.conn(),
            &lifemarket::accounts::NewUser {
                id: uuid::Uuid::now_v7(),
                email: &email,
                password_hash: &hash,
                display_name: "运营",
                phone: None,
                platform_role: "operator",
            },
        )
        .unwrap();
        self.login(&email, &password).await
    }

    pub async fn login(&self, email: &str, password: &str) -> TestUser {
        let res = self
            .post("/api/v1/auth/login")
            .json(json!({"email": email, "password": password}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        TestUser::from_tokens(&res.body, email.to_owned(), password.to_owned())
    }

    /// Runs a closure on the blocking pool with a pooled connection, as handlers do.
    pub async fn db<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut PgConnection) -> lifemarket::error::AppResult<T> + Send + 'static,
    ) -> lifemarket::error::AppResult<T> {
        app_db::run(&self.state.pool, f).await
    }
}

impl Drop for TestApp {
    /// The upload directory goes with the test (the database is dropped by `TestDb`).
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(self.upload_dir());
    }
}

impl TestUser {
    fn from_tokens(body: &Value, email: String, password: String) -> Self {
        Self {
            id: body["user"]["id"].as_str().unwrap().to_owned(),
            email,
            password,
            access: body["access_token"].as_str().unwrap().to_owned(),
            refresh: body["refresh_token"].as_str().unwrap().to_owned(),
        }
    }
}

/// A request being built.
pub struct Req<'a> {
    app: &'a TestApp,
    req: TestRequest,
}

impl Req<'_> {
    pub fn json(mut self, body: Value) -> Self {
        self.req = self.req.set_json(body);
        self
    }
    /// A raw body with a content type.
    pub fn body(mut self, content_type: &str, body: impl Into<Vec<u8>>) -> Self {
        self.req = self
            .req
            .insert_header((header::CONTENT_TYPE, content_type))
            .set_payload(body.into());
        self
    }
    pub fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.req = self.req.insert_header((name.to_owned(), value.to_owned()));
        self
    }
    pub fn peer(mut self, addr: &str) -> Self {
        self.req = self.req.peer_addr(addr.parse().unwrap());
        self
    }
    pub async fn send(self) -> Res {
        let response = (self.app.call)(self.req.to_request()).await;
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = actix_web::body::to_bytes(response.into_body())
            .await
            .expect("read the body");
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Res {
            status,
            headers,
            body,
            text,
        }
    }
}

/// A response, its body parsed as JSON when it is JSON.
#[derive(Debug)]
pub struct Res {
    pub status: StatusCode,
    pub headers: header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Res {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
    /// Asserts a problem+json answer with this status and code.
    pub fn assert_problem(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body["code"], code, "{}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json")
        );
    }
    /// The fields named by a 422.
    pub fn fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|errors| {
                errors
                    .iter()
                    .map(|e| e["field"].as_str().unwrap_or_default().to_owned())
                    .collect()
            })
            .unwrap_or_default()
    }
}
