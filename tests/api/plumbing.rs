//! HTTP conventions every route shares: problem+json errors, body limits, 405, health,
//! metrics, request ids and the OpenAPI document.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn malformed_json_is_400_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/register")
        .body("application/json", "{\"email\": ")
        .send()
        .await;
    res.assert_problem(StatusCode::BAD_REQUEST, "malformed_json");
    assert_eq!(app.count("users"), 0);
}

#[actix_web::test]
async fn wrong_types_unknown_and_missing_fields_are_422_naming_the_field() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            json!({"email": 5, "password": "correct horse", "display_name": "a"}),
            "email",
        ),
        (
            json!({"email": "a@b.cn", "password": "correct horse", "display_name": "a", "role": "operator"}),
            "role",
        ),
        (json!({"email": "a@b.cn", "display_name": "a"}), "password"),
    ];
    for (body, field) in cases {
        let res = app.post("/api/v1/auth/register").json(body).send().await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), [field]);
    }
    assert_eq!(app.count("users"), 0);
    assert_eq!(app.count("outbox_emails"), 0);
}

#[actix_web::test]
async fn a_body_over_the_limit_is_413_and_a_non_json_body_is_415() {
    let app = TestApp::spawn().await;
    let big = format!("{{\"email\": \"{}\"}}", "a".repeat(70 * 1024));
    let res = app
        .post("/api/v1/auth/login")
        .body("application/json", big)
        .send()
        .await;
    res.assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large");
    let res = app
        .post("/api/v1/auth/login")
        .body("text/plain", "email=a")
        .send()
        .await;
    res.assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type");
}

#[actix_web::test]
async fn an_undeclared_method_is_405_with_allow() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/v1/auth/login").send().await;
    res.assert_problem(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed");
    assert_eq!(res.header("allow"), Some("POST"));
    let res = app
        .request(actix_web::http::Method::PUT, "/api/v1/me")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.header("allow"), Some("GET, PATCH, DELETE"));
}

#[actix_web::test]
async fn an_unknown_path_is_a_problem_404() {
    let app = TestApp::spawn().await;
    app.get("/api/v1/nothing-here")
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

#[actix_web::test]
async fn health_readiness_and_request_ids() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.body["status"], "ok");
    let res = app.get("/readyz").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let id = res.header("x-request-id").expect("a request id").to_owned();
    let other = app.get("/readyz").send().await;
    assert_ne!(other.header("x-request-id"), Some(id.as_str()));
}

#[actix_web::test]
async fn metrics_count_requests_by_route_pattern_and_show_the_pool() {
    let app = TestApp::spawn().await;
    app.get("/healthz").send().await;
    let res = app.get("/metrics").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.text.contains("http_requests_total"),
        "{:?} {:?} {}",
        res.status,
        res.headers,
        res.text
    );
    assert!(res.text.contains("route=\"/healthz\""));
    assert!(res.text.contains("db_pool_max_size"));
}

#[actix_web::test]
async fn the_openapi_document_lists_every_route_and_the_docs_page_serves() {
    let app = TestApp::spawn().await;
    let res = app.get("/api/openapi.json").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let paths = res.body["paths"].as_object().expect("paths");
    let expected = [
        ("/healthz", "get"),
        ("/readyz", "get"),
        ("/api/v1/auth/register", "post"),
        ("/api/v1/auth/login", "post"),
        ("/api/v1/auth/refresh", "post"),
        ("/api/v1/auth/logout", "post"),
        ("/api/v1/me", "get"),
        ("/api/v1/me", "patch"),
        ("/api/v1/me/password", "post"),
    ];
    for (path, method) in expected {
        assert!(
            paths.get(path).and_then(|p| p.get(method)).is_some(),
            "{method} {path} missing"
        );
    }
    assert!(res.body["components"]["schemas"]["Problem"].is_object());
    let docs = app.get("/api/docs/").send().await;
    assert_eq!(docs.status, StatusCode::OK);
    assert!(
        docs.text.contains("swagger"),
        "{}",
        &docs.text[..docs.text.len().min(200)]
    );
}

#[actix_web::test]
async fn every_operation_documents_its_problem_answers() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json").send().await.body;
    let mut operations = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        // The payment providers' notifications answer in the providers' own formats.
        if path.starts_with("/api/v1/payments/notify/") {
            continue;
        }
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            let responses = op["responses"].as_object().unwrap();
            for code in ["422", "503", "500"] {
                assert!(responses.contains_key(code), "{method} {path} lacks {code}");
            }
            let requirements = op["security"].as_array().unwrap();
            if requirements.iter().all(|r| r != &serde_json::json!({})) && !requirements.is_empty()
            {
                assert!(responses.contains_key("401"), "{method} {path} lacks 401");
            }
            for (code, response) in responses
                .iter()
                .filter(|(c, _)| c.starts_with('4') || c.starts_with('5'))
            {
                let content = response["content"].as_object().unwrap();
                assert!(
                    content.contains_key("application/problem+json"),
                    "{method} {path} {code}"
                );
                assert!(
                    !content.contains_key("application/json"),
                    "{method} {path} {code}"
                );
            }
        }
    }
    assert!(operations > 80, "{operations}");
}

#[actix_web::test]
async fn request_schemas_of_different_routes_do_not_collide() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json").send().await.body;
    let body_of = |path: &str| {
        doc["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            .clone()
    };
    assert_eq!(
        body_of("/api/v1/admin/merchants/{id}/approve"),
        "#/components/schemas/MerchantDecisionRequest"
    );
    assert_eq!(
        body_of("/api/v1/admin/reviews/{id}/decision"),
        "#/components/schemas/ReviewDecisionRequest"
    );
}

#[actix_web::test]
async fn readiness_turns_503_while_draining_for_shutdown() {
    let app = TestApp::spawn().await;
    app.state
        .draining
        .store(true, std::sync::atomic::Ordering::Relaxed);
    let res = app.get("/readyz").send().await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.body["status"], "draining");
    assert!(res.header("retry-after").is_some());
    assert_eq!(
        app.get("/healthz").send().await.status,
        StatusCode::OK,
        "still alive, still serving"
    );
}

#[actix_web::test]
async fn a_nul_character_anywhere_is_422_not_500() {
    let app = TestApp::spawn().await;
    let res = app
        .post("/api/v1/auth/login")
        .body(
            "application/json",
            r#"{"email":"a\u0000@x.cn","password":"x"}"#,
        )
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["email"]);
    let res = app
        .post("/api/v1/auth/password-reset")
        .body("application/json", r#"{"email":"\u0000"}"#)
        .send()
        .await;
    assert_eq!(res.fields(), ["email"]);
    let res = app.get("/api/v1/merchants?q=a%00b").send().await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["q"]);
}
