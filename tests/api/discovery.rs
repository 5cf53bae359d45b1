//! Discovery: only approved merchants whose area covers the point, in order, with a cursor.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;

use crate::helpers::merchants::{north, CENTRE};
use crate::helpers::TestApp;

fn names(body: &serde_json::Value) -> Vec<String> {
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["display_name"].as_str().unwrap().to_owned())
        .collect()
}

#[actix_web::test]
async fn discovery_lists_approved_in_radius_merchants_nearest_first_with_a_cursor() {
    let app = TestApp::spawn().await;
    let (near, near_owner) = app
        .merchant_at("近", north(1.0), 5000, &["housekeeping"])
        .await;
    app.merchant_at("中", north(3.0), 5000, &["housekeeping", "repair"])
        .await;
    app.merchant_at("远", north(8.0), 5000, &["housekeeping"])
        .await; // its area does not reach
    app.merchant_at("小", north(2.0), 1000, &["housekeeping"])
        .await; // nor does this one's
    let draft_owner = app.consumer().await;
    let mut draft = crate::helpers::merchants::application(&["housekeeping"]);
    draft["display_name"] = "草稿".into();
    app.draft_merchant(&draft_owner, draft).await;
    app.service(&near_owner, &near, 12_000).await;

    let url = format!("/api/v1/merchants?lat={}&lng={}", CENTRE.0, CENTRE.1);
    let res = app.get(&url).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(names(&res.body), ["近", "中"]);
    let first = &res.body["items"][0];
    assert!(
        (first["distance_m"].as_f64().unwrap() - 1000.0).abs() < 20.0,
        "{first}"
    );
    assert_eq!(first["headline_services"][0]["price_cents"], 12_000);
    assert_eq!(first["rating"]["count"], 0);

    let page1 = app.get(&format!("{url}&limit=1")).send().await;
    assert_eq!(names(&page1.body), ["近"]);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("{url}&limit=1&cursor={cursor}"))
        .send()
        .await;
    assert_eq!(names(&page2.body), ["中"]);
    assert!(page2.body["next_cursor"].is_null());

    assert_eq!(
        names(&app.get(&format!("{url}&category=repair")).send().await.body),
        ["中"]
    );
    assert_eq!(
        names(&app.get(&format!("{url}&q=%E4%B8%AD")).send().await.body),
        ["中"]
    );
    assert!(
        names(&app.get(&format!("{url}&q=%25")).send().await.body).is_empty(),
        "% is literal"
    );
}

#[actix_web::test]
async fn discovery_sorts_by_rating_and_checks_its_parameters() {
    let app = TestApp::spawn().await;
    let (a, _) = app.merchant_at("甲", north(0.5), 5000, &["laundry"]).await;
    let (b, _) = app.merchant_at("乙", north(1.0), 5000, &["laundry"]).await;
    app.conn()
        .batch_execute(&format!(
            "UPDATE merchants SET rating_count = 10, rating_average = 4.2 WHERE id = '{a}';
             UPDATE merchants SET rating_count = 30, rating_average = 4.8 WHERE id = '{b}';"
        ))
        .unwrap();
    let url = format!(
        "/api/v1/merchants?lat={}&lng={}&sort=rating&limit=1",
        CENTRE.0, CENTRE.1
    );
    let page1 = app.get(&url).send().await;
    assert_eq!(names(&page1.body), ["乙"]);
    let cursor = page1.body["next_cursor"].as_str().unwrap();
    assert_eq!(
        names(&app.get(&format!("{url}&cursor={cursor}")).send().await.body),
        ["甲"]
    );

    let bad = [
        ("/api/v1/merchants?lat=29.5", "lng"),
        ("/api/v1/merchants?sort=distance", "sort"),
        ("/api/v1/merchants?lat=95&lng=106", "lat"),
        ("/api/v1/merchants?limit=500", "limit"),
        ("/api/v1/merchants?cursor=nonsense", "cursor"),
    ];
    for (url, field) in bad {
        let res = app.get(url).send().await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), [field], "{url}");
    }
}

#[actix_web::test]
async fn bad_query_parameters_name_themselves() {
    let app = TestApp::spawn().await;
    for (url, field) in [
        ("/api/v1/merchants?sort=nearest", "sort"),
        ("/api/v1/merchants?lat=abc&lng=106", "lat"),
    ] {
        let res = app.get(url).send().await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), [field], "{url}");
    }
}

#[actix_web::test]
async fn credit_ordered_pages_follow_each_other_and_cursors_keep_to_their_order() {
    let app = TestApp::spawn().await;
    for name in ["一", "二", "三"] {
        app.merchant_at(name, north(0.5), 5000, &["repair"]).await;
    }
    let page1 = app
        .get("/api/v1/merchants?sort=credit&limit=2")
        .send()
        .await;
    let cursor = page1.body["next_cursor"].as_str().unwrap().to_owned();
    let page2 = app
        .get(&format!(
            "/api/v1/merchants?sort=credit&limit=2&cursor={cursor}"
        ))
        .send()
        .await;
    let mut seen = names(&page1.body);
    seen.extend(names(&page2.body));
    seen.sort();
    assert_eq!(
        seen,
        ["一", "三", "二"],
        "three different merchants over two pages"
    );
    let res = app
        .get(&format!("/api/v1/merchants?sort=rating&cursor={cursor}"))
        .send()
        .await;
    assert_eq!(res.fields(), ["cursor"]);
}
