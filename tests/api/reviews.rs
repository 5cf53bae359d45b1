//! Reviews, moderation and credit.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::{TestApp, TestUser};

async fn review(app: &TestApp, author: &TestUser, body: Value) -> crate::helpers::Res {
    app.post("/api/v1/reviews")
        .bearer(&author.access)
        .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
        .json(body)
        .send()
        .await
}

const TEXT: &str = "阿姨打扫得非常干净，准时到达，下次还会再约！";

#[actix_web::test]
async fn a_verified_review_is_published_replied_to_and_edited_once() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let booking = app.completed_booking(&shop, &consumer).await;
    let res = review(
        &app,
        &consumer,
        json!({"booking_id": booking, "rating": 5, "quality": 5, "body": TEXT}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["status"], "published");
    assert_eq!(res.body["author_name"], "王**");
    let id = res.body["id"].as_str().unwrap().to_owned();

    let res = app
        .post(&format!("/api/v1/reviews/{id}/reply"))
        .bearer(&shop.owner.access)
        .json(json!({"body": "感谢您的认可！"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let list = app
        .get(&format!("/api/v1/merchants/{}/reviews", shop.merchant))
        .send()
        .await;
    assert_eq!(list.body["summary"]["count"], 1);
    assert_eq!(list.body["summary"]["distribution"], json!([0, 0, 0, 0, 1]));
    assert_eq!(list.body["items"][0]["reply"]["body"], "感谢您的认可！");
    let merchant = app
        .get(&format!("/api/v1/merchants/{}", shop.merchant))
        .send()
        .await;
    assert_eq!(merchant.body["rating"]["count"], 1);

    let res = app
        .patch(&format!("/api/v1/reviews/{id}"))
        .bearer(&consumer.access)
        .json(json!({"rating": 4, "body": "还不错"}))
        .send()
        .await;
    assert_eq!(res.body["edited"], true, "{}", res.text);
    assert_eq!(app.count("review_revisions"), 1, "the earlier text is kept");
    app.patch(&format!("/api/v1/reviews/{id}"))
        .bearer(&consumer.access)
        .json(json!({"rating": 3}))
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "already_edited");
    // Others cannot edit it or reply to it.
    let stranger = app.consumer().await;
    assert_eq!(
        app.patch(&format!("/api/v1/reviews/{id}"))
            .bearer(&stranger.access)
            .json(json!({"rating": 1}))
            .send()
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.post(&format!("/api/v1/reviews/{id}/reply"))
            .bearer(&stranger.access)
            .json(json!({"body": "x"}))
            .send()
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[actix_web::test]
async fn only_a_completed_purchase_may_be_reviewed_once_and_in_time() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let consumer = app.consumer().await;
    let pending = app
        .booking(&shop, &consumer, crate::helpers::booking::slot(3))
        .await;
    let res = review(&app, &consumer, json!({"booking_id": pending, "rating": 5})).await;
    assert_eq!(res.fields(), ["booking_id"]);
    let done = app.completed_booking(&shop, &consumer).await;
    let other = app.consumer().await;
    assert_eq!(
        review(&app, &other, json!({"booking_id": done, "rating": 1}))
            .await
            .fields(),
        ["booking_id"],
        "not theirs"
    );
    assert_eq!(
        review(&app, &consumer, json!({"booking_id": done, "rating": 6}))
            .await
            .fields(),
        ["rating"]
    );
    assert_eq!(
        review(&app, &consumer, json!({"booking_id": done, "rating": 5}))
            .await
            .status,
        StatusCode::CREATED
    );
    review(&app, &consumer, json!({"booking_id": done, "rating": 5}))
        .await
        .assert_problem(StatusCode::CONFLICT, "already_reviewed");

    let late = app.completed_booking(&shop, &other).await;
    app.conn()
        .batch_execute(&format!(
            "UPDATE booking_events SET at = now() - interval '16 days' WHERE booking_id = '{late}'"
        ))
        .unwrap();
    review(&app, &other, json!({"booking_id": late, "rating": 5}))
        .await
        .assert_problem(StatusCode::CONFLICT, "review_window_closed");
    assert_eq!(app.count("reviews"), 1);
}

#[actix_web::test]
async fn insiders_and_copied_texts_are_held_and_held_reviews_do_not_count() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    // The owner books their own merchant and praises it.
    let own = app.completed_booking(&shop, &shop.owner).await;
    let res = review(
        &app,
        &shop.owner,
        json!({"booking_id": own, "rating": 5, "body": "全城最好"}),
    )
    .await;
    assert_eq!(res.body["status"], "held", "{}", res.text);

    let first = app.consumer().await;
    let b1 = app.completed_booking(&shop, &first).await;
    assert_eq!(
        review(
            &app,
            &first,
            json!({"booking_id": b1, "rating": 5, "body": TEXT})
        )
        .await
        .body["status"],
        "published"
    );
    let second = app.consumer().await;
    let b2 = app.completed_booking(&shop, &second).await;
    let res = review(
        &app,
        &second,
        json!({"booking_id": b2, "rating": 5, "body": TEXT}),
    )
    .await;
    assert_eq!(res.body["status"], "held");
    let third = app.consumer().await;
    let b3 = app.completed_booking(&shop, &third).await;
    let res = review(
        &app,
        &third,
        json!({"booking_id": b3, "rating": 2, "body": "等了很久才来，打扫也不仔细。"}),
    )
    .await;
    assert_eq!(res.body["status"], "published", "an ordinary review passes");

    let list = app
        .get(&format!("/api/v1/merchants/{}/reviews", shop.merchant))
        .send()
        .await;
    assert_eq!(list.body["summary"]["count"], 2);
    assert_eq!(list.body["summary"]["average"], 3.5);
    assert_eq!(list.body["items"].as_array().unwrap().len(), 2);
    let operator = app.operator().await;
    let queue = app
        .get("/api/v1/admin/moderation/queue")
        .bearer(&operator.access)
        .send()
        .await;
    let mut rules: Vec<&str> = queue
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|i| i["held_rule"].as_str())
        .collect();
    rules.sort();
    assert_eq!(rules, ["duplicate_text", "insider"]);
}

#[actix_web::test]
async fn reports_queue_a_review_and_decisions_are_versioned_audited_and_appealable() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let author = app.consumer().await;
    let booking = app.completed_booking(&shop, &author).await;
    let id = review(
        &app,
        &author,
        json!({"booking_id": booking, "rating": 1, "body": "服务太差了，联系电话 13912345678"}),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let reporter = app.consumer().await;
    let url = format!("/api/v1/reviews/{id}/reports");
    assert_eq!(
        app.post(&url)
            .bearer(&reporter.access)
            .json(json!({"reason": "privacy"}))
            .send()
            .await
            .status,
        StatusCode::CREATED
    );
    app.post(&url)
        .bearer(&reporter.access)
        .json(json!({"reason": "spam"}))
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "already_reported");
    let list = app
        .get(&format!("/api/v1/merchants/{}/reviews", shop.merchant))
        .send()
        .await;
    assert_eq!(
        list.body["items"][0]["status"], "published",
        "a report alone hides nothing"
    );

    let (first, second) = (app.operator().await, app.operator().await);
    let queue = app
        .get("/api/v1/admin/moderation/queue")
        .bearer(&first.access)
        .send()
        .await;
    let item = queue
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["review_id"] == id.as_str())
        .unwrap()
        .clone();
    assert_eq!(item["reports"][0]["reason"], "privacy");
    let version = item["version"].as_i64().unwrap();

    let decision = format!("/api/v1/admin/reviews/{id}/decision");
    let res = app
        .post(&decision)
        .bearer(&first.access)
        .json(json!({"decision": "hide", "reason": "含有他人电话号码", "version": version}))
        .send()
        .await;
    assert_eq!(res.body["after"], "hidden", "{}", res.text);
    // The second operator saw the old version.
    app.post(&decision)
        .bearer(&second.access)
        .json(json!({"decision": "publish", "version": version}))
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "stale_version");
    let list = app
        .get(&format!("/api/v1/merchants/{}/reviews", shop.merchant))
        .send()
        .await;
    assert!(list.body["items"][0]["body"]
        .as_str()
        .unwrap()
        .contains("含有他人电话号码"));
    assert_eq!(
        list.body["summary"]["count"], 0,
        "hidden reviews leave the aggregates"
    );
    assert_eq!(
        app.get(&format!("/api/v1/merchants/{}", shop.merchant))
            .send()
            .await
            .body["rating"]["count"],
        0
    );

    let appeal = app
        .post(&format!("/api/v1/reviews/{id}/appeal"))
        .bearer(&author.access)
        .json(json!({"reason": "号码是商家的客服电话"}))
        .send()
        .await;
    assert_eq!(appeal.status, StatusCode::CREATED, "{}", appeal.text);
    let appeal_id = appeal.body["appeal_id"].as_str().unwrap().to_owned();
    app.post(&format!("/api/v1/reviews/{id}/appeal"))
        .bearer(&author.access)
        .json(json!({"reason": "再申诉"}))
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "already_appealed");
    let appeal_url = format!("/api/v1/admin/appeals/{appeal_id}/decision");
    app.post(&appeal_url)
        .bearer(&first.access)
        .json(json!({"outcome": "overturn", "reason": "自己复核"}))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "same_operator");
    let res = app
        .post(&appeal_url)
        .bearer(&second.access)
        .json(json!({"outcome": "overturn", "reason": "确为商家电话"}))
        .send()
        .await;
    assert_eq!(res.body["status"], "overturned", "{}", res.text);
    let list = app
        .get(&format!("/api/v1/merchants/{}/reviews", shop.merchant))
        .send()
        .await;
    assert_eq!(list.body["items"][0]["status"], "published");

    let log = app
        .get(&format!("/api/v1/admin/audit-log?subject_id={id}"))
        .bearer(&second.access)
        .send()
        .await;
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["appeal.overturned", "review.hide"]);
    assert_eq!(log.body["items"][1]["before"]["status"], "published");
    assert_eq!(log.body["items"][1]["after"]["status"], "hidden");
    app.run_jobs().await;
    assert!(app
        .sent_emails()
        .iter()
        .any(|m| m.to.contains(&author.email) && m.subject.contains("appeal")));
}

#[actix_web::test]
async fn non_operators_get_403_on_every_admin_route() {
    let app = TestApp::spawn().await;
    let (merchant, owner) = app.merchant().await;
    let id = uuid::Uuid::new_v4();
    let cases = [
        ("GET", "/api/v1/admin/merchants".to_owned(), json!({})),
        ("GET", "/api/v1/admin/audit-log".to_owned(), json!({})),
        (
            "GET",
            "/api/v1/admin/moderation/queue".to_owned(),
            json!({}),
        ),
        (
            "POST",
            format!("/api/v1/admin/merchants/{merchant}/suspend"),
            json!({"reason": "x"}),
        ),
        (
            "POST",
            format!("/api/v1/admin/merchants/{merchant}/penalties"),
            json!({"kind": "other", "reason": "xx"}),
        ),
        (
            "POST",
            format!("/api/v1/admin/reviews/{id}/decision"),
            json!({"decision": "publish", "version": 1}),
        ),
        (
            "POST",
            format!("/api/v1/admin/appeals/{id}/decision"),
            json!({"outcome": "uphold", "reason": "xx"}),
        ),
        (
            "POST",
            format!("/api/v1/orders/{id}/refunds"),
            json!({"amount_cents": 1, "reason": "xx"}),
        ),
    ];
    for (method, url, body) in cases {
        let res = app
            .request(method.parse().unwrap(), &url)
            .bearer(&owner.access)
            .json(body)
            .send()
            .await;
        res.assert_problem(StatusCode::FORBIDDEN, "forbidden");
    }
}

#[actix_web::test]
async fn the_credit_score_follows_its_formula_and_ranks_discovery() {
    use lifemarket::credit::rules::{score, Inputs};
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let (rival, _) = app
        .merchant_at(
            "对手家政",
            crate::helpers::merchants::north(1.0),
            5000,
            &["housekeeping"],
        )
        .await;
    let credit = |m: &str| {
        app.get(&format!("/api/v1/merchants/{m}/credit"))
            .bearer(&shop.owner.access)
            .send()
    };
    let fresh = credit(&shop.merchant).await;
    assert_eq!(
        (fresh.body["score"].clone(), fresh.body["tier"].clone()),
        (json!(750), json!("B"))
    );
    let public = app
        .get(&format!("/api/v1/merchants/{}/credit", shop.merchant))
        .send()
        .await;
    assert!(
        public.body.get("score").is_none(),
        "consumers see the tier only"
    );
    assert_eq!(public.body["tier"], "B");

    // Two completed visits with five stars.
    for _ in 0..2 {
        let consumer = app.consumer().await;
        let b = app.completed_booking(&shop, &consumer).await;
        review(
            &app,
            &consumer,
            json!({"booking_id": b, "rating": 5, "body": format!("很好 {}", uuid::Uuid::new_v4())}),
        )
        .await;
    }
    app.run_jobs().await;
    let expected = score(&Inputs {
        rating_count: 2,
        rating_average: 5.0,
        fulfilled: 2,
        licence_valid: true,
        ..Default::default()
    });
    assert_eq!(credit(&shop.merchant).await.body["score"], expected.score);

    // The merchant cancels a confirmed visit.
    let consumer = app.consumer().await;
    let b = app
        .booking(&shop, &consumer, crate::helpers::booking::slot(5))
        .await;
    app.act(&shop.owner, &b, "cancel", json!({"reason": "人手不足"}))
        .await;
    app.run_jobs().await;
    let expected = score(&Inputs {
        rating_count: 2,
        rating_average: 5.0,
        fulfilled: 2,
        merchant_failures: 1,
        licence_valid: true,
        ..Default::default()
    });
    let now = credit(&shop.merchant).await;
    assert_eq!(now.body["score"], expected.score);
    assert_eq!(
        now.body["breakdown"]["reliability_points"],
        expected.reliability_points
    );

    // Discovery by credit puts the better merchant first; buying reviews sinks it to D.
    let names = |body: &Value| {
        body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    let list = app.get("/api/v1/merchants?sort=credit").send().await;
    assert_eq!(names(&list.body), [shop.merchant.clone(), rival.clone()]);
    let operator = app.operator().await;
    let res = app
        .post(&format!(
            "/api/v1/admin/merchants/{}/penalties",
            shop.merchant
        ))
        .bearer(&operator.access)
        .json(json!({"kind": "buying_reviews", "reason": "刷单证据确凿"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["tier"], "D");
    assert_eq!(res.body["breakdown"]["penalty_points"], 300);
    let list = app.get("/api/v1/merchants?sort=credit").send().await;
    assert_eq!(names(&list.body), [rival, shop.merchant.clone()]);
    assert_eq!(list.body["items"][1]["credit_tier"], "D");
    let queue = app
        .get("/api/v1/admin/moderation/queue")
        .bearer(&operator.access)
        .send()
        .await;
    assert!(queue
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|i| i["kind"] == "merchant_credit" && i["merchant_id"] == shop.merchant.as_str()));
}

#[actix_web::test]
async fn a_held_review_is_visible_to_its_author_only_and_a_stale_overturn_is_refused() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let own = app.completed_booking(&shop, &shop.owner).await;
    let held = review(
        &app,
        &shop.owner,
        json!({"booking_id": own, "rating": 5, "body": "自家店最好"}),
    )
    .await;
    let id = held.body["id"].as_str().unwrap().to_owned();
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{id}"))
            .bearer(&shop.owner.access)
            .send()
            .await
            .body["status"],
        "held"
    );
    let stranger = app.consumer().await;
    assert_eq!(
        app.get(&format!("/api/v1/reviews/{id}"))
            .bearer(&stranger.access)
            .send()
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Hidden by one operator, appealed, then published by another before the appeal is decided.
    let (first, second) = (app.operator().await, app.operator().await);
    let decide = |op: &TestUser, body: Value| {
        app.post(&format!("/api/v1/admin/reviews/{id}/decision"))
            .bearer(&op.access)
            .json(body)
            .send()
    };
    decide(
        &first,
        json!({"decision": "hide", "reason": "自评", "version": 1}),
    )
    .await;
    let appeal = app
        .post(&format!("/api/v1/reviews/{id}/appeal"))
        .bearer(&shop.owner.access)
        .json(json!({"reason": "请复核"}))
        .send()
        .await;
    let appeal_id = appeal.body["appeal_id"].as_str().unwrap().to_owned();
    decide(&second, json!({"decision": "publish", "version": 2})).await;
    let res = app
        .post(&format!("/api/v1/admin/appeals/{appeal_id}/decision"))
        .bearer(&second.access)
        .json(json!({"outcome": "overturn", "reason": "复核"}))
        .send()
        .await;
    res.assert_problem(StatusCode::CONFLICT, "invalid_transition");
}

#[actix_web::test]
async fn a_recompute_that_gave_up_is_revived_by_the_next_request() {
    let app = TestApp::spawn().await;
    let (merchant, _) = app.merchant().await;
    app.run_jobs().await;
    app.conn()
        .batch_execute(&format!(
            "INSERT INTO jobs (id, kind, payload, attempts, failed_at, dedupe_key)
             VALUES (gen_random_uuid(), 'credit.recompute', '{{\"merchant_id\": \"{merchant}\"}}', 10, now(), 'credit.recompute:{merchant}')"
        ))
        .unwrap();
    let operator = app.operator().await;
    app.post(&format!("/api/v1/admin/merchants/{merchant}/suspend"))
        .bearer(&operator.access)
        .json(json!({"reason": "核查"}))
        .send()
        .await;
    assert_eq!(
        app.run_jobs().await,
        2,
        "the revived recompute and the owner's email"
    );
    assert_eq!(app.count("jobs"), 0, "the recompute ran and is gone");
    assert_eq!(app.count("merchant_credit"), 1);
}

#[actix_web::test]
async fn strangers_cannot_appeal_and_other_merchants_cannot_touch_settings() {
    let app = TestApp::spawn().await;
    let shop = app.shop(1, true).await;
    let author = app.consumer().await;
    let booking = app.completed_booking(&shop, &author).await;
    let id = review(
        &app,
        &author,
        json!({"booking_id": booking, "rating": 1, "body": "不满意"}),
    )
    .await
    .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let stranger = app.consumer().await;
    let res = app
        .post(&format!("/api/v1/reviews/{id}/appeal"))
        .bearer(&stranger.access)
        .json(json!({"reason": "路人申诉"}))
        .send()
        .await;
    res.assert_problem(StatusCode::NOT_FOUND, "not_found");
    let (_other, other_owner) = app.merchant().await;
    for path in ["booking-settings", "order-settings"] {
        let url = format!("/api/v1/merchants/{}/{path}", shop.merchant);
        let current = app.get(&url).bearer(&shop.owner.access).send().await.body;
        let res = app
            .request("PUT".parse().unwrap(), &url)
            .bearer(&other_owner.access)
            .json(current)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{path}: {}", res.text);
        assert_eq!(
            app.get(&url)
                .bearer(&other_owner.access)
                .send()
                .await
                .status,
            StatusCode::NOT_FOUND
        );
    }
}
