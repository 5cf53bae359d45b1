//! The OpenAPI document against the handlers: what it says about tokens and request bodies is
//! what every route really does, so clients generated from it call the routes correctly.

use actix_web::http::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::TestApp;

/// Every operation: method, path with each `{param}` replaced by a fresh id, and the operation.
fn operations(doc: &Value) -> Vec<(Method, String, Value)> {
    let mut all = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        let concrete: String = path
            .split('/')
            .map(|segment| {
                if segment.starts_with('{') {
                    uuid::Uuid::new_v4().to_string()
                } else {
                    segment.to_owned()
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for (method, op) in item.as_object().unwrap() {
            let method = Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            all.push((method, concrete.clone(), op.clone()));
        }
    }
    all
}

/// `bearer` only: a token is required. `[]` or `[{}, ...]`: anonymous callers are served.
fn requires_token(op: &Value) -> bool {
    let requirements = op["security"]
        .as_array()
        .expect("every operation declares security");
    !requirements.is_empty()
        && requirements
            .iter()
            .all(|r| r.as_object().is_some_and(|r| !r.is_empty()))
}

#[actix_web::test]
async fn every_operation_asks_for_a_token_exactly_when_its_handler_needs_one() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json").send().await.body;
    let ops = operations(&doc);
    assert!(ops.len() > 90, "{}", ops.len());
    for (method, path, op) in ops {
        let route = format!("{method} {path}");
        let anonymous = app.request(method.clone(), &path).send().await;
        let bad_token = app
            .request(method.clone(), &path)
            .bearer("not-a-token")
            .send()
            .await;
        if requires_token(&op) {
            assert_eq!(
                anonymous.status,
                StatusCode::UNAUTHORIZED,
                "{route}: {}",
                anonymous.text
            );
            assert_eq!(
                bad_token.status,
                StatusCode::UNAUTHORIZED,
                "{route}: {}",
                bad_token.text
            );
        } else {
            assert_ne!(
                anonymous.status,
                StatusCode::UNAUTHORIZED,
                "{route}: {}",
                anonymous.text
            );
            assert_ne!(
                bad_token.status,
                StatusCode::UNAUTHORIZED,
                "{route}: {}",
                bad_token.text
            );
        }
    }
}

#[actix_web::test]
async fn a_post_body_is_required_exactly_when_the_handler_refuses_an_empty_one() {
    let app = TestApp::spawn().await;
    let doc = app.get("/api/openapi.json").send().await.body;
    let user = app.consumer().await;
    let mut optional = 0;
    for (method, path, op) in operations(&doc) {
        let Some(body) = op.get("requestBody").filter(|_| method == Method::POST) else {
            continue;
        };
        // The payment providers' notifications are answered in the providers' own formats
        // (docs/payments.md), not with problem+json.
        if path.starts_with("/api/v1/payments/notify/") {
            continue;
        }
        let route = format!("POST {path}");
        let res = app
            .post(&path)
            .bearer(&user.access)
            .header("Idempotency-Key", &uuid::Uuid::new_v4().to_string())
            .send()
            .await;
        if body["required"] == Value::Bool(false) {
            optional += 1;
            // Past the body: the id names nothing (404), or the caller may not (403).
            assert!(
                !matches!(res.status.as_u16(), 400 | 415 | 422),
                "{route} documents an optional body but refuses none: {}",
                res.text
            );
        } else {
            res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
            assert!(
                res.fields().iter().all(|f| f != "Idempotency-Key"),
                "{route}: {}",
                res.text
            );
        }
    }
    assert!(optional > 20, "{optional}");
}
