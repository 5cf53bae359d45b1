//! What an application needs before review: its licence documents, and a credit code that no
//! other legal entity holds.

use actix_web::http::StatusCode;
use serde_json::json;

use crate::helpers::images::{jpeg, png};
use crate::helpers::merchants::application;
use crate::helpers::TestApp;

#[actix_web::test]
async fn an_application_without_its_licence_documents_is_not_submitted() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let mut body = application(&["catering"]);
    body["documents"] = json!([]);
    let id = app.draft_merchant(&owner, body).await;
    let submit = || {
        app.post(&format!("/api/v1/merchants/{id}/submit"))
            .bearer(&owner.access)
            .send()
    };
    let res = submit().await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["documents", "documents"], "{}", res.text);
    // A licence alone is not enough for catering: the food permit too.
    let patch = |docs: serde_json::Value| {
        app.patch(&format!("/api/v1/merchants/{id}"))
            .bearer(&owner.access)
            .json(json!({ "documents": docs }))
            .send()
    };
    let licence = app.upload(&owner, "licence_document", png(false)).await;
    let permit = app.upload(&owner, "licence_document", jpeg(false)).await;
    assert_eq!(
        patch(json!([{"kind": "business_licence", "ref": licence}]))
            .await
            .status,
        StatusCode::OK
    );
    let res = submit().await;
    assert_eq!(res.fields(), ["documents"], "{}", res.text);
    let mid: uuid::Uuid = id.parse().unwrap();
    let status: String = app
        .db(move |conn| {
            use diesel::prelude::*;
            use lifemarket::schema::merchants;
            Ok(merchants::table
                .find(mid)
                .select(merchants::status)
                .first(conn)?)
        })
        .await
        .unwrap();
    assert_eq!(status, "draft");
    patch(json!([{"kind": "business_licence", "ref": licence},
                 {"kind": "food_permit", "ref": permit}]))
    .await;
    let res = submit().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(
        app.count("audit_log"),
        1,
        "the submission is the one audited change"
    );
}

#[actix_web::test]
async fn one_credit_code_belongs_to_one_legal_entity() {
    let app = TestApp::spawn().await;
    app.merchant().await; // approved, 重庆洁家家政服务有限公司
                          // The same company opening a second shop may share its code.
    let owner = app.consumer().await;
    let same = app
        .draft_merchant(&owner, application(&["housekeeping"]))
        .await;
    app.approve(&owner, &same).await;
    // Another company may not.
    let mut other = application(&["housekeeping"]);
    other["legal_name"] = json!("重庆另一家保洁有限公司");
    let stranger = app.consumer().await;
    let id = app.draft_merchant(&stranger, other).await;
    app.post(&format!("/api/v1/merchants/{id}/submit"))
        .bearer(&stranger.access)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "credit_code_taken");
}

#[actix_web::test]
async fn two_companies_submitting_one_code_at_once_cannot_both_get_through() {
    let app = TestApp::spawn().await;
    let mut drafts = Vec::new();
    for name in ["重庆甲公司", "重庆乙公司", "重庆丙公司", "重庆丁公司"] {
        let owner = app.consumer().await;
        let mut body = application(&["housekeeping"]);
        body["legal_name"] = json!(name);
        let id = app.draft_merchant(&owner, body).await;
        drafts.push((owner, id));
    }
    let results = futures_util::future::join_all(drafts.iter().map(|(owner, id)| {
        app.post(&format!("/api/v1/merchants/{id}/submit"))
            .bearer(&owner.access)
            .send()
    }))
    .await;
    let ok = results
        .iter()
        .filter(|r| r.status == StatusCode::OK)
        .count();
    let taken = results
        .iter()
        .filter(|r| r.status == StatusCode::CONFLICT && r.body["code"] == "credit_code_taken")
        .count();
    assert_eq!(
        (ok, taken),
        (1, 3),
        "{:?}",
        results.iter().map(|r| &r.text).collect::<Vec<_>>()
    );
}
