//! Overturning a moderation decision on appeal undoes every consequence of it.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::TestApp;

#[actix_web::test]
async fn an_overturned_hide_dismisses_its_reports_and_gives_the_credit_back() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let author = app.consumer().await;
    let booking = app.completed_booking(&shop, &author).await;
    let res = app
        .post("/api/v1/reviews")
        .bearer(&author.access)
        .header("idempotency-key", "appeal-review-1")
        .json(
            json!({"booking_id": booking, "rating": 2, "body": "阿姨迟到了半小时，打扫得一般般。"}),
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let id = res.body["id"].as_str().unwrap().to_owned();
    let reporter = app.consumer().await;
    let res = app
        .post(&format!("/api/v1/reviews/{id}/reports"))
        .bearer(&reporter.access)
        .json(json!({"reason": "offensive"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.run_jobs().await;
    let credit = || async {
        app.run_jobs().await;
        app.get(&format!("/api/v1/merchants/{}/credit", shop.merchant))
            .bearer(&shop.owner.access)
            .send()
            .await
            .body
    };
    let before = credit().await;

    let (first, second) = (app.operator().await, app.operator().await);
    let version = app
        .get(&format!("/api/v1/reviews/{id}"))
        .bearer(&first.access)
        .send()
        .await
        .body["version"]
        .as_i64()
        .unwrap();
    let res = app
        .post(&format!("/api/v1/admin/reviews/{id}/decision"))
        .bearer(&first.access)
        .json(json!({"decision": "hide", "reason": "辱骂性内容", "version": version}))
        .send()
        .await;
    assert_eq!(res.body["after"], "hidden", "{}", res.text);
    let hidden = credit().await;
    let points = |c: &serde_json::Value| c["breakdown"]["report_points"].as_i64().unwrap();
    assert!(
        points(&hidden) != points(&before),
        "an upheld report costs the merchant credit: {before} / {hidden}"
    );

    let res = app
        .post(&format!("/api/v1/reviews/{id}/appeal"))
        .bearer(&author.access)
        .json(json!({"reason": "内容属实，没有辱骂"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let appeal = res.body["appeal_id"].as_str().unwrap().to_owned();
    let res = app
        .post(&format!("/api/v1/admin/appeals/{appeal}/decision"))
        .bearer(&second.access)
        .json(json!({"outcome": "overturn", "reason": "复核后无辱骂"}))
        .send()
        .await;
    assert_eq!(res.body["status"], "overturned", "{}", res.text);

    let statuses: Vec<String> = app
        .db(move |conn| {
            use diesel::prelude::*;
            use lifemarket::schema::review_reports;
            Ok(review_reports::table
                .select(review_reports::status)
                .load(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(statuses, ["dismissed"], "the overturned decision upheld it");
    let after = credit().await;
    assert_eq!(
        after["breakdown"], before["breakdown"],
        "{before} / {after}"
    );
    assert_eq!(after["score"], before["score"]);
}
