//! The database goes away and comes back: requests answer 503 quickly while it is gone, and
//! the service recovers by itself.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;

use crate::helpers::{db, proxy::Proxy, TestApp};

#[actix_web::test]
async fn with_the_database_unreachable_requests_are_503_and_recover_when_it_returns() {
    let upstream_port: u16 = db::admin_url()
        .rsplit_once(':')
        .unwrap()
        .1
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let proxy = Proxy::start(format!("127.0.0.1:{upstream_port}").parse().unwrap());
    let port = proxy.port;
    let app = TestApp::spawn_with(|config, test_db| {
        config.database_url =
            lifemarket::config::Secret::new(db::url_for(&test_db.name, Some(port)));
    })
    .await;
    let user = app.consumer().await;
    assert_eq!(app.get("/readyz").send().await.status, StatusCode::OK);

    proxy.cut();
    for path in ["/readyz", "/api/v1/me"] {
        let started = Instant::now();
        let res = app.get(path).bearer(&user.access).send().await;
        res.assert_problem(StatusCode::SERVICE_UNAVAILABLE, "database_unavailable");
        assert!(res.header("retry-after").is_some());
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{path} took {:?}",
            started.elapsed()
        );
    }

    proxy.restore();
    let back = Instant::now();
    loop {
        let res = app.get("/api/v1/me").bearer(&user.access).send().await;
        if res.status == StatusCode::OK {
            break;
        }
        assert!(
            back.elapsed() < Duration::from_secs(2),
            "still {} after {:?}",
            res.status,
            back.elapsed()
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(app.get("/readyz").send().await.status, StatusCode::OK);
}
