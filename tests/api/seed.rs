//! `seed --demo` builds a usable marketplace and is safe to run twice.

use actix_web::http::StatusCode;

use crate::helpers::TestApp;

#[actix_web::test]
async fn demo_seeding_is_idempotent_and_yields_approved_merchants_of_every_category() {
    let app = TestApp::spawn().await;
    for _ in 0..2 {
        lifemarket::seed::demo(&mut app.conn(), &app.state.passwords, &app.state.store).unwrap();
    }
    assert_eq!(app.count("users"), 3);
    assert_eq!(app.count("merchants"), 4);
    assert_eq!(app.count("workers"), 7);
    assert_eq!(app.count("services"), 10);

    let res = app
        .get("/api/v1/merchants?lat=29.5582&lng=106.5772")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let mut categories: Vec<String> = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|m| {
            m["categories"]
                .as_array()
                .unwrap()
                .iter()
                .map(|c| c.as_str().unwrap().to_owned())
        })
        .collect();
    categories.sort();
    assert_eq!(
        categories,
        ["catering", "housekeeping", "laundry", "repair"]
    );

    let operator = app
        .login("operator@demo.lifemarket.local", "demo-operator-pass")
        .await;
    let me = app.get("/api/v1/me").bearer(&operator.access).send().await;
    assert_eq!(me.body["platform_role"], "operator");
}
