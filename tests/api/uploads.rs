//! Uploads: type checks from the bytes, size limit, metadata stripping, signed URLs, who may
//! read what, attaching, the sweep and erasure; on real files in a temporary directory.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::{json, Value};

use crate::helpers::images::{jpeg, png, simple_webp, webp, COMMENT, GPS_LATITUDE};
use crate::helpers::merchants::application;
use crate::helpers::{Res, TestApp, TestUser};

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

async fn send(
    app: &TestApp,
    user: &TestUser,
    purpose: &str,
    content_type: &str,
    bytes: Vec<u8>,
) -> Res {
    app.post(&format!("/api/v1/uploads?purpose={purpose}"))
        .bearer(&user.access)
        .body(content_type, bytes)
        .send()
        .await
}

async fn get_upload(app: &TestApp, user: Option<&TestUser>, id: &str) -> Res {
    let req = app.get(&format!("/api/v1/uploads/{id}"));
    match user {
        Some(u) => req.bearer(&u.access),
        None => req,
    }
    .send()
    .await
}

/// The path and query of a signed URL (the app under test is called without a host).
fn path_of(url: &Value) -> String {
    let url = url.as_str().unwrap();
    url[url.find("/api/v1/").unwrap()..].to_owned()
}

fn stored(app: &TestApp, id: &str) -> std::path::PathBuf {
    app.upload_dir().join("uploads").join(id)
}

#[actix_web::test]
async fn each_image_type_is_accepted_whatever_the_declared_type_and_served_by_its_signed_url() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    for (bytes, declared, expected) in [
        (jpeg(false), "image/png", "image/jpeg"),
        (png(false), "application/octet-stream", "image/png"),
        (webp(false), "image/jpeg", "image/webp"),
        (simple_webp(), "image/webp", "image/webp"),
    ] {
        let res = send(&app, &user, "review_photo", declared, bytes.clone()).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        assert_eq!(res.body["content_type"], expected);
        assert_eq!(res.body["purpose"], "review_photo");
        assert_eq!(res.body["byte_size"], bytes.len());
        assert_eq!(res.body["subject_kind"], Value::Null);
        let id = res.body["id"].as_str().unwrap();
        assert_eq!(std::fs::read(stored(&app, id)).unwrap(), bytes);

        let file = app.get(&path_of(&res.body["url"])).send().await;
        assert_eq!(file.status, StatusCode::OK);
        assert_eq!(file.header("content-type"), Some(expected));
        assert!(file.header("cache-control").unwrap().starts_with("private"));
        assert_eq!(file.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(file.text, String::from_utf8_lossy(&bytes));
    }
    assert_eq!(app.count("uploads"), 4);
}

#[actix_web::test]
async fn other_types_a_forged_header_oversize_and_empty_bodies_are_refused() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let mut forged = vec![0xFF, 0xD8, 0xFF];
    forged.extend(png(false));
    for bytes in [
        forged,
        b"hello, this is a text file\n".to_vec(),
        b"GIF89a\x01\0\x01\0".to_vec(),
    ] {
        send(&app, &user, "review_photo", "image/jpeg", bytes)
            .await
            .assert_problem(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_image_type");
    }
    let limit = app.state.config.upload_max_bytes;
    let mut big = png(false);
    big.resize(limit + 1, 0);
    send(&app, &user, "review_photo", "image/png", big)
        .await
        .assert_problem(StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large");
    let res = send(&app, &user, "review_photo", "image/png", Vec::new()).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["body"]);
    let res = send(&app, &user, "selfie", "image/png", png(false)).await;
    assert_eq!(res.fields(), ["purpose"], "{}", res.text);
    let res = app
        .post("/api/v1/uploads")
        .bearer(&user.access)
        .body("image/png", png(false))
        .send()
        .await;
    assert_eq!(res.fields(), ["purpose"], "{}", res.text);
    app.post("/api/v1/uploads?purpose=review_photo")
        .body("image/png", png(false))
        .send()
        .await
        .assert_problem(StatusCode::UNAUTHORIZED, "unauthorized");
    assert_eq!(app.count("uploads"), 0);
    let files = std::fs::read_dir(app.upload_dir().join("uploads"))
        .map(|d| d.count())
        .unwrap_or(0);
    assert_eq!(files, 0, "nothing was stored");
}

#[actix_web::test]
async fn exif_gps_and_other_metadata_are_gone_from_the_stored_bytes() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    for bytes in [jpeg(true), png(true), webp(true)] {
        assert!(contains(&bytes, GPS_LATITUDE));
        let res = send(&app, &user, "handoff_photo", "image/jpeg", bytes.clone()).await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let id = res.body["id"].as_str().unwrap();
        let kept = std::fs::read(stored(&app, id)).unwrap();
        for gone in [
            GPS_LATITUDE,
            b"Exif\0\0",
            b"GPSLatitude",
            COMMENT,
            b"eXIf",
            b"tEXt",
        ] {
            assert!(
                !contains(&kept, gone),
                "{:?} in {id}",
                String::from_utf8_lossy(gone)
            );
        }
        assert!(kept.len() < bytes.len());
        assert_eq!(res.body["byte_size"], kept.len());
        use sha2::Digest;
        assert_eq!(res.body["sha256"], hex::encode(sha2::Sha256::digest(&kept)));
    }
}

#[actix_web::test]
async fn a_signed_url_works_until_it_expires_and_a_tampered_one_is_refused() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let id = app.upload(&user, "review_photo", png(false)).await;
    let res = get_upload(&app, Some(&user), &id).await;
    assert_eq!(res.status, StatusCode::OK);
    let url = path_of(&res.body["url"]);
    assert_eq!(app.get(&url).send().await.status, StatusCode::OK);

    let (base, query) = url.split_once('?').unwrap();
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query).unwrap();
    let expires: i64 = params[0].1.parse().unwrap();
    let signature = &params[1].1;
    let app = &app;
    let refused = |query: String| {
        let path = format!("{base}?{query}");
        async move { app.get(&path).send().await }
    };
    refused(format!("expires={}&signature={signature}", expires + 3600))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "signature_invalid");
    let flipped = if signature.starts_with('A') { "B" } else { "A" };
    refused(format!(
        "expires={expires}&signature={flipped}{}",
        &signature[1..]
    ))
    .await
    .assert_problem(StatusCode::FORBIDDEN, "signature_invalid");
    let other = app.upload(&user, "review_photo", jpeg(false)).await;
    app.get(&format!("/api/v1/uploads/{other}/content?{query}"))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "signature_invalid");

    // Signed properly, but in the past.
    let secret = app.state.config.upload_url_secret.expose().as_bytes();
    let past = chrono::Utc::now().timestamp() - 1;
    let sig = lifemarket::uploads::rules::sign(secret, id.parse().unwrap(), past);
    refused(format!("expires={past}&signature={sig}"))
        .await
        .assert_problem(StatusCode::FORBIDDEN, "url_expired");
    let res = refused(format!("signature={sig}")).await;
    assert_eq!(res.fields(), ["expires"], "{}", res.text);
}

#[actix_web::test]
async fn licence_documents_are_for_the_merchants_members_and_operators() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let id = app
        .draft_merchant(&owner, application(&["housekeeping"]))
        .await;
    let res = app
        .get(&format!("/api/v1/merchants/{id}"))
        .bearer(&owner.access)
        .send()
        .await;
    let doc = res.body["application"]["documents"][0]["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    let upload = get_upload(&app, Some(&owner), &doc).await;
    assert_eq!(upload.body["subject_kind"], "merchant");
    assert_eq!(upload.body["subject_id"], id.as_str());
    let manager = app.consumer().await;
    app.post(&format!("/api/v1/merchants/{id}/members"))
        .bearer(&owner.access)
        .json(json!({"email": manager.email, "role": "staff"}))
        .send()
        .await;
    let operator = app.operator().await;
    for reader in [&manager, &operator] {
        assert_eq!(
            get_upload(&app, Some(reader), &doc).await.status,
            StatusCode::OK
        );
    }
    let stranger = app.consumer().await;
    get_upload(&app, Some(&stranger), &doc)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    get_upload(&app, None, &doc)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // An unattached upload is its owner's (and operators') alone.
    let loose = app.upload(&owner, "licence_document", png(false)).await;
    get_upload(&app, Some(&manager), &loose)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        get_upload(&app, Some(&operator), &loose).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn handoff_photos_are_for_the_consumer_the_merchant_and_the_courier() {
    let app = TestApp::spawn().await;
    let k = app.kitchen().await;
    let consumer = app.consumer().await;
    let (order, _) = app.placed(&k, &consumer, "contactless").await;
    app.post(&format!("/api/v1/orders/{order}/courier"))
        .bearer(&k.owner.access)
        .json(json!({"worker_id": k.courier}))
        .send()
        .await;
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &order, action, json!({})).await;
    }
    let proof = app.photo(&k.courier_user, "门口").await;
    let photo = proof["proof"]["photo_refs"][0].as_str().unwrap().to_owned();
    let res = app
        .order_act(&k.courier_user, &order, "deliver", proof)
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["proofs"][0]["photo_refs"], json!([photo]));
    for reader in [&consumer, &k.owner, &k.courier_user] {
        let res = get_upload(&app, Some(reader), &photo).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        assert_eq!(res.body["subject_kind"], "order");
    }
    let stranger = app.consumer().await;
    get_upload(&app, Some(&stranger), &photo)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    get_upload(&app, None, &photo)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
}

/// A delivered order of `consumer`, a review of it with `photos`, and the receipt confirmed.
async fn reviewed(app: &TestApp, consumer: &TestUser, photos: Value) -> Res {
    let k = app.kitchen().await;
    let (order, _) = app.placed(&k, consumer, "contactless").await;
    for action in ["accept", "ready", "pick-up"] {
        app.order_act(&k.owner, &order, action, json!({})).await;
    }
    let proof = app.photo(&k.owner, "门口").await;
    app.order_act(&k.owner, &order, "deliver", proof).await;
    let review = app
        .post("/api/v1/reviews")
        .bearer(&consumer.access)
        .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
        .json(json!({"order_id": order, "rating": 5, "body": "很好吃，送得也快。", "photo_refs": photos}))
        .send()
        .await;
    app.order_act(consumer, &order, "confirm-receipt", json!({}))
        .await;
    review
}

#[actix_web::test]
async fn review_photos_are_for_whoever_sees_the_review() {
    let app = TestApp::spawn().await;
    let consumer = app.consumer().await;
    let photo = app.upload(&consumer, "review_photo", jpeg(true)).await;
    let res = reviewed(&app, &consumer, json!([photo])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["photo_refs"], json!([photo]));
    let review = res.body["id"].as_str().unwrap().to_owned();
    // Published: anyone, signed in or not.
    let stranger = app.consumer().await;
    assert_eq!(get_upload(&app, None, &photo).await.status, StatusCode::OK);
    assert_eq!(
        get_upload(&app, Some(&stranger), &photo).await.status,
        StatusCode::OK
    );
    // Hidden by an operator: the public no longer sees its photos; the author still does.
    let operator = app.operator().await;
    let res = app
        .post(&format!("/api/v1/admin/reviews/{review}/decision"))
        .bearer(&operator.access)
        .json(json!({"decision": "hide", "reason": "含有他人电话号码", "version": 1}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    get_upload(&app, Some(&stranger), &photo)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    get_upload(&app, None, &photo)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    assert_eq!(
        get_upload(&app, Some(&consumer), &photo).await.status,
        StatusCode::OK
    );
}

#[actix_web::test]
async fn only_the_owner_attaches_an_upload_once_and_for_its_purpose() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let stranger = app.consumer().await;
    let theirs = app.upload(&stranger, "licence_document", png(false)).await;
    let photo = app.upload(&owner, "review_photo", png(false)).await;
    let mine = app.upload(&owner, "licence_document", png(false)).await;
    let apply = |docs: Value| {
        let mut body = application(&["housekeeping"]);
        body["documents"] = docs;
        app.post("/api/v1/merchants")
            .bearer(&owner.access)
            .json(body)
            .send()
    };
    for (refs, message) in [
        (
            json!([{"kind": "business_licence", "ref": theirs}]),
            "not one of your uploads",
        ),
        (
            json!([{"kind": "business_licence", "ref": photo}]),
            "review_photo",
        ),
        (
            json!([{"kind": "business_licence", "ref": uuid::Uuid::now_v7()}]),
            "not one of your uploads",
        ),
    ] {
        let res = apply(refs).await;
        res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
        assert_eq!(res.fields(), ["documents[0].ref"]);
        assert!(res.text.contains(message), "{}", res.text);
    }
    let res =
        apply(json!([{"kind": "business_licence", "ref": mine}, {"kind": "other", "ref": mine}]))
            .await;
    assert_eq!(res.fields(), ["documents[1].ref"], "{}", res.text);
    assert_eq!(app.count("merchants"), 0);

    let res = apply(json!([{"kind": "business_licence", "ref": mine}])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let first = res.body["id"].as_str().unwrap().to_owned();
    // The same file for a second merchant: refused.
    let res = apply(json!([{"kind": "business_licence", "ref": mine}])).await;
    assert_eq!(res.fields(), ["documents[0].ref"], "{}", res.text);
    assert!(res.text.contains("already attached"), "{}", res.text);
    // Sending the merchant's own list again changes nothing; dropping a document detaches it.
    let patch = |docs: Value| {
        app.patch(&format!("/api/v1/merchants/{first}"))
            .bearer(&owner.access)
            .json(json!({"documents": docs}))
            .send()
    };
    assert_eq!(
        patch(json!([{"kind": "business_licence", "ref": mine}]))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(patch(json!([])).await.status, StatusCode::OK);
    let res = get_upload(&app, Some(&owner), &mine).await;
    assert_eq!(res.body["subject_kind"], Value::Null, "{}", res.text);

    // A review photo of someone else's: refused on the field.
    let consumer = app.consumer().await;
    let res = reviewed(&app, &consumer, json!([photo])).await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["photo_refs[0]"], "{}", res.text);
    let res = reviewed(&app, &consumer, json!(["not-an-id"])).await;
    assert_eq!(res.fields(), ["photo_refs[0]"], "{}", res.text);
}

#[actix_web::test]
async fn unattached_uploads_are_swept_after_a_day_with_their_files() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    let old = app.upload(&user, "review_photo", png(false)).await;
    let fresh = app.upload(&user, "review_photo", png(false)).await;
    let owner = app.consumer().await;
    let merchant = app
        .draft_merchant(&owner, application(&["housekeeping"]))
        .await;
    let res = app
        .get(&format!("/api/v1/merchants/{merchant}"))
        .bearer(&owner.access)
        .send()
        .await;
    let attached = res.body["application"]["documents"][0]["ref"]
        .as_str()
        .unwrap()
        .to_owned();
    app.conn()
        .batch_execute(&format!(
            "UPDATE uploads SET created_at = now() - interval '25 hours' WHERE id IN ('{old}', '{attached}')"
        ))
        .unwrap();
    lifemarket::jobs::ensure_recurring(&app.state.jobs)
        .await
        .unwrap();
    app.run_jobs().await;
    assert!(!stored(&app, &old).exists());
    get_upload(&app, Some(&user), &old)
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    for kept in [&fresh, &attached] {
        assert!(stored(&app, kept).exists());
    }
    assert_eq!(app.count("uploads"), 2);
}

#[actix_web::test]
async fn the_export_lists_uploads_and_erasure_removes_rows_and_files() {
    let app = TestApp::spawn().await;
    let consumer = app.consumer().await;
    let photo = app.upload(&consumer, "review_photo", jpeg(true)).await;
    let res = reviewed(&app, &consumer, json!([photo])).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    let loose = app
        .upload(&consumer, "after_sales_evidence", webp(true))
        .await;
    let res = app
        .get("/api/v1/me/export")
        .bearer(&consumer.access)
        .send()
        .await;
    let listed: Vec<&str> = res.body["uploads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(listed, [photo.as_str(), loose.as_str()]);
    assert_eq!(res.body["uploads"][0]["subject_kind"], "review");
    // The handoff photo of the consumer's order (uploaded by the merchant) goes too.
    let handoff: String = {
        use diesel::prelude::*;
        use lifemarket::schema::uploads;
        uploads::table
            .filter(uploads::purpose.eq("handoff_photo"))
            .select(uploads::id)
            .first::<uuid::Uuid>(&mut app.conn())
            .unwrap()
            .to_string()
    };
    let someone = app.consumer().await;
    let stranger_upload = app.upload(&someone, "review_photo", png(false)).await;
    let before = app.count("uploads");
    let res = app
        .request("DELETE".parse().unwrap(), "/api/v1/me")
        .bearer(&consumer.access)
        .json(json!({"password": consumer.password}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.text);
    assert_eq!(
        app.count("uploads"),
        before - 3,
        "the merchant's documents and others' stay"
    );
    app.run_jobs().await;
    for gone in [&photo, &loose, &handoff] {
        assert!(!stored(&app, gone).exists(), "{gone}");
    }
    assert!(stored(&app, &stranger_upload).exists());
}

#[actix_web::test]
async fn one_account_sends_at_most_a_hundred_uploads_an_hour() {
    let app = TestApp::spawn().await;
    let user = app.consumer().await;
    for _ in 0..100 {
        app.upload(&user, "review_photo", png(false)).await;
    }
    let stored = app.count("uploads");
    let res = send(&app, &user, "review_photo", "image/png", png(false)).await;
    res.assert_problem(StatusCode::TOO_MANY_REQUESTS, "rate_limited");
    assert_eq!(
        app.count("uploads"),
        stored,
        "nothing stored past the limit"
    );
    // Another account is not held back.
    let other = app.consumer().await;
    app.upload(&other, "review_photo", png(false)).await;
}
