//! CORS: browser apps on the origins in `CORS_ALLOWED_ORIGINS` may call the API; others get no
//! CORS headers (so the browser withholds the answer) and a refused preflight.

use actix_web::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::TestApp;

const APP_ORIGIN: &str = "https://app.example.cn";

async fn app_allowing_one_origin() -> TestApp {
    TestApp::spawn_with(|config, _| {
        config.cors_allowed_origins = vec![APP_ORIGIN.into(), "http://localhost:5173".into()];
    })
    .await
}

#[actix_web::test]
async fn an_allowed_origin_reads_the_answer_and_its_headers() {
    let app = app_allowing_one_origin().await;
    let res = app
        .post("/api/v1/auth/register")
        .header("Origin", APP_ORIGIN)
        .json(
            json!({"email": "cors@example.cn", "password": "correct horse battery",
            "display_name": "李伟", "accept_terms": true}),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
    assert_eq!(res.header("access-control-allow-credentials"), None);
    let exposed = res
        .header("access-control-expose-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in [
        "x-request-id",
        "idempotent-replayed",
        "retry-after",
        "www-authenticate",
    ] {
        assert!(exposed.contains(name), "{name} not exposed: {exposed}");
    }
    assert!(res
        .header("vary")
        .unwrap_or_default()
        .to_ascii_lowercase()
        .contains("origin"));
    // Error answers carry the headers too, so the app can read the problem.
    let res = app
        .get("/api/v1/me")
        .header("Origin", APP_ORIGIN)
        .send()
        .await;
    res.assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
}

#[actix_web::test]
async fn another_origin_is_served_without_cors_headers() {
    let app = app_allowing_one_origin().await;
    let res = app
        .get("/api/v1/categories")
        .header("Origin", "https://evil.example.com")
        .send()
        .await;
    // Served (a same-origin page or curl may send any Origin), but the browser withholds it.
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("access-control-allow-origin"), None);
    let preflight = app
        .request(Method::OPTIONS, "/api/v1/bookings")
        .header("Origin", "https://evil.example.com")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await;
    preflight.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(preflight.header("access-control-allow-origin"), None);
    assert_eq!(app.count("users"), 0);
}

#[actix_web::test]
async fn a_preflight_from_an_allowed_origin_allows_the_apis_methods_and_headers() {
    let app = app_allowing_one_origin().await;
    let res = app
        .request(Method::OPTIONS, "/api/v1/bookings")
        .header("Origin", APP_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.header("access-control-allow-origin"), Some(APP_ORIGIN));
    let methods = res.header("access-control-allow-methods").unwrap();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{method} not in {methods}");
    }
    let headers = res
        .header("access-control-allow-headers")
        .unwrap()
        .to_ascii_lowercase();
    for name in ["authorization", "content-type", "idempotency-key"] {
        assert!(headers.contains(name), "{name} not in {headers}");
    }
    assert_eq!(res.header("access-control-max-age"), Some("3600"));
    // A header the API does not read is refused.
    let res = app
        .request(Method::OPTIONS, "/api/v1/bookings")
        .header("Origin", APP_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-custom-thing")
        .send()
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
}

#[actix_web::test]
async fn without_configured_origins_no_origin_gets_cors_headers() {
    let app = TestApp::spawn().await;
    let res = app
        .get("/api/v1/categories")
        .header("Origin", APP_ORIGIN)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header("access-control-allow-origin"), None);
    let res = app
        .request(Method::OPTIONS, "/api/v1/categories")
        .header("Origin", APP_ORIGIN)
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await;
    res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    // An OPTIONS that is not a preflight is an undeclared method, as before.
    let res = app
        .request(Method::OPTIONS, "/api/v1/categories")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{}", res.text);
}
