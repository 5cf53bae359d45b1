//! Services and prices.

use actix_web::http::StatusCode;
use diesel::prelude::*;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn services_are_checked_against_their_kind_and_the_merchants_categories() {
    let app = TestApp::spawn().await;
    let (id, owner) = app.merchant().await;
    let url = format!("/api/v1/merchants/{id}/services");
    let visit = json!({"category": "housekeeping", "fulfilment": "home_visit", "name": "深度保洁", "price_cents": 30000, "price_unit": "per_visit"});
    let res = app
        .post(&url)
        .bearer(&owner.access)
        .json(visit)
        .send()
        .await;
    assert_eq!(res.fields(), ["duration_minutes"]);
    let res = app.post(&url).bearer(&owner.access)
        .json(json!({"category": "catering", "fulfilment": "delivery", "name": "宫保鸡丁", "price_cents": 3800, "price_unit": "per_item"}))
        .send().await;
    assert_eq!(res.fields(), ["category"]);
    let res = app.post(&url).bearer(&owner.access)
        .json(json!({"category": "housekeeping", "fulfilment": "teleport", "name": "x", "price_cents": 1, "price_unit": "per_visit"}))
        .send().await;
    assert_eq!(res.fields(), ["fulfilment"]);
    assert_eq!(app.count("services"), 0);
}

#[actix_web::test]
async fn a_price_change_keeps_earlier_prices_in_the_history() {
    let app = TestApp::spawn().await;
    let (id, owner) = app.merchant().await;
    let service = app.service(&owner, &id, 15_000).await;
    let res = app
        .patch(&format!("/api/v1/services/{service}"))
        .bearer(&owner.access)
        .json(json!({"price_cents": 18_000}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["price_cents"], 18_000);
    assert_eq!(res.body["version"], 2);

    #[derive(QueryableByName)]
    struct Change {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        old_cents: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        new_cents: i64,
    }
    let changes: Vec<Change> =
        diesel::sql_query("SELECT old_cents, new_cents FROM service_price_changes")
            .load(&mut app.conn())
            .unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(
        (changes[0].old_cents, changes[0].new_cents),
        (15_000, 18_000)
    );

    // An edit that leaves the price alone adds no history.
    app.patch(&format!("/api/v1/services/{service}"))
        .bearer(&owner.access)
        .json(json!({"name": "日常保洁"}))
        .send()
        .await;
    assert_eq!(app.count("service_price_changes"), 1);
}

#[actix_web::test]
async fn consumers_see_only_active_services_of_approved_merchants() {
    let app = TestApp::spawn().await;
    let (id, owner) = app.merchant().await;
    let shown = app.service(&owner, &id, 10_000).await;
    let hidden = app.service(&owner, &id, 20_000).await;
    app.patch(&format!("/api/v1/services/{hidden}"))
        .bearer(&owner.access)
        .json(json!({"active": false}))
        .send()
        .await;

    let public = app
        .get(&format!("/api/v1/merchants/{id}/services"))
        .send()
        .await;
    let ids: Vec<&str> = public.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [shown.as_str()]);
    app.get(&format!("/api/v1/services/{hidden}"))
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        app.get(&format!("/api/v1/services/{hidden}"))
            .bearer(&owner.access)
            .send()
            .await
            .status,
        StatusCode::OK
    );
    let own = app
        .get(&format!("/api/v1/merchants/{id}/services"))
        .bearer(&owner.access)
        .send()
        .await;
    assert_eq!(own.body["items"].as_array().unwrap().len(), 2);

    let profile = app.get(&format!("/api/v1/merchants/{id}")).send().await;
    assert_eq!(profile.body["services"].as_array().unwrap().len(), 1);

    let categories = app.get("/api/v1/categories").send().await;
    assert_eq!(categories.body.as_array().unwrap().len(), 4);
}
