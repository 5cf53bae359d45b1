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

#[actix_web::test]
async fn the_cancellation_policy_is_public_before_booking() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, false).await;
    let stranger = app.consumer().await;
    let expect = json!({
        "auto_accept": false, "answered_hours_before_start": 2, "min_notice_minutes": 0,
        "horizon_days": 30, "reschedule_limit": 2,
        "cancellation_tiers": [{"hours_before_start": 24, "fee_percent": 0},
                               {"hours_before_start": 0, "fee_percent": 50}],
    });
    let merchant = format!("/api/v1/merchants/{}", shop.merchant);
    let service = format!("/api/v1/services/{}", shop.service);
    for res in [
        app.get(&merchant).send().await,
        app.get(&merchant).bearer(&stranger.access).send().await,
        app.get(&service).send().await,
    ] {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let mut policy = res.body["booking_policy"].clone();
        let summary = policy.as_object_mut().unwrap().remove("summary").unwrap();
        assert_eq!(policy, expect, "{}", res.text);
        assert!(summary
            .as_str()
            .unwrap()
            .starts_with("服务开始前24小时以上取消免费；24小时内取消收取服务费的50%。"));
    }
    // The pages are what they were, with the policy beside.
    let page = app.get(&service).send().await;
    assert_eq!(page.body["id"], shop.service.as_str());
    assert_eq!(page.body["price_cents"], 10_000);
    let page = app.get(&merchant).send().await;
    assert_eq!(page.body["services"][0]["id"], shop.service.as_str());

    // The merchant's new rules are what the next consumer reads.
    let settings = format!("/api/v1/merchants/{}/booking-settings", shop.merchant);
    let res = app
        .request("PUT".parse().unwrap(), &settings)
        .bearer(&shop.owner.access)
        .json(json!({"auto_accept": true, "min_notice_minutes": 60, "horizon_days": 14, "buffer_minutes": 0,
                     "slot_step_minutes": 30, "free_cancel_hours": 0, "late_cancel_fee_percent": 20, "reschedule_limit": 1}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let policy = app.get(&service).send().await.body["booking_policy"].clone();
    assert_eq!(policy["auto_accept"], true);
    assert!(policy["answered_hours_before_start"].is_null());
    assert_eq!(
        policy["cancellation_tiers"],
        json!([{"hours_before_start": 0, "fee_percent": 20}])
    );

    // A delivered dish is not booked: no booking policy on its page.
    let k = app.kitchen().await;
    let dish = app
        .get(&format!("/api/v1/services/{}", k.items[0]))
        .send()
        .await;
    assert_eq!(dish.status, StatusCode::OK, "{}", dish.text);
    assert!(dish.body["booking_policy"].is_null());
    // The settings themselves stay the members' (404 to anyone else).
    app.get(&settings)
        .bearer(&stranger.access)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}
