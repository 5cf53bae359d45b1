//! Merchant applications, operator verification, members, workers and the licence-expiry job.

use actix_web::http::StatusCode;
use serde_json::{json, Value};

use crate::helpers::merchants::application;
use crate::helpers::TestApp;

#[actix_web::test]
async fn an_application_goes_from_draft_to_approved_with_an_audit_trail_and_an_email() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let res = app
        .post("/api/v1/merchants")
        .bearer(&owner.access)
        .json(
            app.with_documents(&owner, application(&["housekeeping"]))
                .await,
        )
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["application"]["status"], "draft");
    assert_eq!(res.body["application"]["my_role"], "owner");
    assert_eq!(res.body["categories"], json!(["housekeeping"]));
    let id = res.body["id"].as_str().unwrap().to_owned();

    // Consumers do not see drafts.
    let stranger = app.consumer().await;
    app.get(&format!("/api/v1/merchants/{id}"))
        .bearer(&stranger.access)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");

    let res = app
        .post(&format!("/api/v1/merchants/{id}/submit"))
        .bearer(&owner.access)
        .send()
        .await;
    assert_eq!(res.body["application"]["status"], "submitted");

    let operator = app.operator().await;
    let queue = app
        .get("/api/v1/admin/merchants?status=submitted")
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(queue.status, StatusCode::OK);
    assert_eq!(queue.body["items"][0]["id"], id.as_str());

    let res = app
        .post(&format!("/api/v1/admin/merchants/{id}/approve"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["application"]["status"], "approved");

    let public = app.get(&format!("/api/v1/merchants/{id}")).send().await;
    assert_eq!(public.status, StatusCode::OK);
    assert!(
        public.body.get("application").is_none(),
        "the public sees no application"
    );

    let log = app
        .get(&format!("/api/v1/admin/audit-log?subject_id={id}"))
        .bearer(&operator.access)
        .send()
        .await;
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["merchant.approve", "merchant.submit"]);
    assert_eq!(log.body["items"][0]["before"]["status"], "submitted");
    assert_eq!(log.body["items"][0]["after"]["status"], "approved");
    assert_eq!(log.body["items"][0]["actor_id"], operator.id.as_str());

    app.run_jobs().await;
    let decision = app
        .sent_emails()
        .into_iter()
        .find(|m| m.subject.contains("approved"))
        .expect("decision email");
    assert!(decision.to.contains(&owner.email));
}

#[actix_web::test]
async fn refused_transitions_and_roles() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let operator = app.operator().await;
    let id = app.draft_merchant(&owner, application(&["repair"])).await;
    let admin = |action: &str| format!("/api/v1/admin/merchants/{id}/{action}");

    // An operator cannot approve a draft; a consumer may never approve.
    app.post(&admin("approve"))
        .bearer(&operator.access)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.post(&admin("approve"))
        .bearer(&owner.access)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    app.post(&format!("/api/v1/merchants/{id}/submit"))
        .bearer(&owner.access)
        .send()
        .await;
    let res = app
        .post(&admin("reject"))
        .bearer(&operator.access)
        .json(json!({}))
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["reason"]);
    let res = app
        .post(&admin("reject"))
        .bearer(&operator.access)
        .json(json!({"reason": "执照照片不清晰"}))
        .send()
        .await;
    assert_eq!(res.body["application"]["status"], "rejected");
    assert_eq!(res.body["application"]["status_reason"], "执照照片不清晰");

    // Resubmission after a rejection, then approval.
    app.post(&format!("/api/v1/merchants/{id}/submit"))
        .bearer(&owner.access)
        .send()
        .await;
    app.post(&admin("approve"))
        .bearer(&operator.access)
        .send()
        .await;

    // An approved merchant cannot be resubmitted, reinstated or approved again.
    app.post(&format!("/api/v1/merchants/{id}/submit"))
        .bearer(&owner.access)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.post(&admin("reinstate"))
        .bearer(&operator.access)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");
    app.post(&admin("approve"))
        .bearer(&operator.access)
        .send()
        .await
        .assert_problem(StatusCode::CONFLICT, "invalid_transition");

    // Suspension hides it; reinstatement shows it again.
    app.post(&admin("suspend"))
        .bearer(&operator.access)
        .json(json!({"reason": "投诉核查中"}))
        .send()
        .await;
    app.get(&format!("/api/v1/merchants/{id}"))
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    app.post(&admin("reinstate"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(
        app.get(&format!("/api/v1/merchants/{id}"))
            .send()
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(app.count("audit_log"), 6);

    // A refused transition wrote nothing.
    let before = app.count("audit_log");
    app.post(&admin("reinstate"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(app.count("audit_log"), before);
}

#[actix_web::test]
async fn the_credit_code_and_the_food_permit_are_checked() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let mut body = app
        .with_documents(&owner, application(&["housekeeping"]))
        .await;
    body["credit_code"] = json!("91350100M000100Y44");
    let res = app
        .post("/api/v1/merchants")
        .bearer(&owner.access)
        .json(body)
        .send()
        .await;
    res.assert_problem(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed");
    assert_eq!(res.fields(), ["credit_code"]);

    let mut body = app.with_documents(&owner, application(&["catering"])).await;
    body["food_permit_no"] = Value::Null;
    let res = app
        .post("/api/v1/merchants")
        .bearer(&owner.access)
        .json(body)
        .send()
        .await;
    assert_eq!(res.fields(), ["food_permit_no"]);

    let mut body = app
        .with_documents(&owner, application(&["housekeeping", "pet_grooming"]))
        .await;
    body["service_radius_m"] = json!(50);
    body["licence_expires_on"] = json!("2020-01-01");
    let res = app
        .post("/api/v1/merchants")
        .bearer(&owner.access)
        .json(body)
        .send()
        .await;
    assert_eq!(
        res.fields(),
        ["service_radius_m", "licence_expires_on", "categories"]
    );
    assert_eq!(app.count("merchants"), 0);

    assert_eq!(
        app.post("/api/v1/merchants")
            .bearer(&owner.access)
            .json(app.with_documents(&owner, application(&["catering"])).await)
            .send()
            .await
            .status,
        StatusCode::CREATED
    );
}

#[actix_web::test]
async fn verified_fields_are_locked_after_approval() {
    let app = TestApp::spawn().await;
    let (id, owner) = app.merchant().await;
    let url = format!("/api/v1/merchants/{id}");
    let res = app
        .patch(&url)
        .bearer(&owner.access)
        .json(json!({"credit_code": "91110108551385082Q"}))
        .send()
        .await;
    res.assert_problem(StatusCode::CONFLICT, "application_locked");
    let res = app
        .patch(&url)
        .bearer(&owner.access)
        .json(json!({"display_name": "洁家家政（解放碑店）", "service_radius_m": 8000}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["display_name"], "洁家家政（解放碑店）");
    assert_eq!(res.body["service_radius_m"], 8000);
    let res = app
        .patch(&url)
        .bearer(&owner.access)
        .json(json!({"opening_hours": {"mon": [["21:00", "09:00"]]}}))
        .send()
        .await;
    assert_eq!(res.fields(), ["opening_hours.mon"]);
}

#[actix_web::test]
async fn a_member_of_another_merchant_gets_404_on_every_merchant_route_with_an_id() {
    let app = TestApp::spawn().await;
    let owner = app.consumer().await;
    let draft = app
        .draft_merchant(&owner, application(&["housekeeping"]))
        .await;
    let (approved, approved_owner) = app.merchant().await;
    let service = app.service(&approved_owner, &approved, 10_000).await;
    let worker = app
        .post(&format!("/api/v1/merchants/{approved}/workers"))
        .bearer(&approved_owner.access)
        .json(json!({"name": "张阿姨", "skills": ["housekeeping"]}))
        .send()
        .await
        .body["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let (_other, foreign) = app.merchant().await;

    let m = |id: &str, rest: &str| format!("/api/v1/merchants/{id}{rest}");
    let empty = json!({});
    let cases: Vec<(&str, String, Value)> = vec![
        ("GET", m(&draft, ""), empty.clone()),
        ("PATCH", m(&draft, ""), json!({"display_name": "x"})),
        ("PATCH", m(&approved, ""), json!({"display_name": "x"})),
        ("POST", m(&draft, "/submit"), empty.clone()),
        ("GET", m(&approved, "/members"), empty.clone()),
        (
            "POST",
            m(&approved, "/members"),
            json!({"email": foreign.email, "role": "staff"}),
        ),
        (
            "DELETE",
            m(&approved, &format!("/members/{}", approved_owner.id)),
            empty.clone(),
        ),
        ("GET", m(&approved, "/workers"), empty.clone()),
        (
            "POST",
            m(&approved, "/workers"),
            json!({"name": "x", "skills": []}),
        ),
        (
            "PATCH",
            m(&approved, &format!("/workers/{worker}")),
            json!({"active": false}),
        ),
        ("GET", m(&draft, "/services"), empty.clone()),
        (
            "POST",
            m(&approved, "/services"),
            json!({"category": "housekeeping", "fulfilment": "home_visit", "name": "x", "price_cents": 1, "price_unit": "per_visit", "duration_minutes": 60}),
        ),
        (
            "PATCH",
            format!("/api/v1/services/{service}"),
            json!({"price_cents": 1}),
        ),
    ];
    for (method, url, body) in cases {
        let res = app
            .request(method.parse().unwrap(), &url)
            .bearer(&foreign.access)
            .json(body)
            .send()
            .await;
        assert_eq!(
            res.status,
            StatusCode::NOT_FOUND,
            "{method} {url}: {}",
            res.text
        );
    }
    // And nothing changed.
    let res = app.get(&format!("/api/v1/services/{service}")).send().await;
    assert_eq!(res.body["price_cents"], 10_000);
}

#[actix_web::test]
async fn members_get_the_merchant_role_for_that_merchant_only_and_lose_it_at_once() {
    let app = TestApp::spawn().await;
    let (id, owner) = app.merchant().await;
    let manager = app.consumer().await;
    let staff = app.consumer().await;
    let url = format!("/api/v1/merchants/{id}/members");
    let res = app
        .post(&url)
        .bearer(&owner.access)
        .json(json!({"email": manager.email, "role": "manager"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    app.post(&url)
        .bearer(&owner.access)
        .json(json!({"email": staff.email, "role": "staff"}))
        .send()
        .await;
    let res = app
        .post(&url)
        .bearer(&owner.access)
        .json(json!({"email": "nobody@example.cn", "role": "staff"}))
        .send()
        .await;
    assert_eq!(res.fields(), ["email"]);

    // A manager edits; staff may look but not edit or add members.
    let edit = json!({"description": "新的介绍"});
    assert_eq!(
        app.patch(&format!("/api/v1/merchants/{id}"))
            .bearer(&manager.access)
            .json(edit.clone())
            .send()
            .await
            .status,
        StatusCode::OK
    );
    app.patch(&format!("/api/v1/merchants/{id}"))
        .bearer(&staff.access)
        .json(edit.clone())
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    assert_eq!(
        app.get(&url)
            .bearer(&staff.access)
            .send()
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        3
    );
    app.post(&url)
        .bearer(&manager.access)
        .json(json!({"email": staff.email, "role": "manager"}))
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");

    // Removal counts at once, with the same token.
    let res = app
        .request("DELETE".parse().unwrap(), &format!("{url}/{}", manager.id))
        .bearer(&owner.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT);
    app.patch(&format!("/api/v1/merchants/{id}"))
        .bearer(&manager.access)
        .json(edit)
        .send()
        .await
        .assert_problem(StatusCode::NOT_FOUND, "not_found");
    // The owner cannot be removed.
    let res = app
        .request("DELETE".parse().unwrap(), &format!("{url}/{}", owner.id))
        .bearer(&owner.access)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

#[actix_web::test]
async fn workers_have_skills_an_active_flag_and_an_optional_login() {
    let app = TestApp::spawn().await;
    let (id, owner) = app.merchant().await;
    let worker_account = app.consumer().await;
    let url = format!("/api/v1/merchants/{id}/workers");
    let res = app.post(&url).bearer(&owner.access)
        .json(json!({"name": "李师傅", "phone": "13912345678", "skills": ["housekeeping", "courier"], "login_email": worker_account.email}))
        .send().await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["skills"], json!(["courier", "housekeeping"]));
    assert_eq!(res.body["user_id"], worker_account.id.as_str());
    let worker = res.body["id"].as_str().unwrap().to_owned();

    let res = app
        .post(&url)
        .bearer(&owner.access)
        .json(json!({"name": "王", "skills": ["juggling"]}))
        .send()
        .await;
    assert_eq!(res.fields(), ["skills"]);
    let res = app
        .post(&url)
        .bearer(&owner.access)
        .json(json!({"skills": []}))
        .send()
        .await;
    assert_eq!(res.fields(), ["name"]);

    let res = app
        .patch(&format!("{url}/{worker}"))
        .bearer(&owner.access)
        .json(json!({"active": false, "login_email": null}))
        .send()
        .await;
    assert_eq!(res.body["active"], false);
    assert_eq!(res.body["user_id"], Value::Null);
    assert_eq!(
        app.get(&url)
            .bearer(&owner.access)
            .send()
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[actix_web::test]
async fn the_licence_expiry_job_suspends_and_emails() {
    let app = TestApp::spawn().await;
    let (expired, owner) = app.merchant().await;
    let (valid, _) = app.merchant().await;
    use diesel::connection::SimpleConnection;
    app.conn()
        .batch_execute(&format!(
            "UPDATE merchants SET licence_expires_on = current_date - 2 WHERE id = '{expired}'"
        ))
        .unwrap();
    app.run_jobs().await; // the emails so far
    let sent_before = app.sent_emails().len();

    lifemarket::jobs::ensure_recurring(&app.state.jobs)
        .await
        .unwrap();
    app.run_jobs().await;

    let operator = app.operator().await;
    let m = app
        .get(&format!("/api/v1/merchants/{expired}"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(m.body["application"]["status"], "suspended");
    assert!(m.body["application"]["status_reason"]
        .as_str()
        .unwrap()
        .contains("licence"));
    let v = app.get(&format!("/api/v1/merchants/{valid}")).send().await;
    assert_eq!(v.status, StatusCode::OK);

    let log = app
        .get(&format!("/api/v1/admin/audit-log?subject_id={expired}"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(log.body["items"][0]["action"], "merchant.expire_licence");
    assert_eq!(log.body["items"][0]["actor_role"], "system");
    let emails = app.sent_emails();
    assert_eq!(emails.len(), sent_before + 1);
    assert!(emails.last().unwrap().to.contains(&owner.email));
    // The recurring jobs are still scheduled, for later.
    // (licence expiry, the credit, uploads and messages sweeps, settlement and reconciliation)
    assert_eq!(app.count("jobs"), 6);
    assert_eq!(app.run_jobs().await, 0);
}

#[actix_web::test]
async fn the_audit_log_is_for_operators_and_append_only() {
    let app = TestApp::spawn().await;
    let (_, owner) = app.merchant().await;
    app.get("/api/v1/admin/audit-log")
        .bearer(&owner.access)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    app.get("/api/v1/admin/merchants")
        .bearer(&owner.access)
        .send()
        .await
        .assert_problem(StatusCode::FORBIDDEN, "forbidden");
    use diesel::connection::SimpleConnection;
    let err = app
        .conn()
        .batch_execute("UPDATE audit_log SET reason = 'edited'")
        .unwrap_err();
    assert!(err.to_string().contains("append-only"));
    let operator = app.operator().await;
    let page = app
        .get("/api/v1/admin/audit-log?limit=1")
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(page.body["items"].as_array().unwrap().len(), 1);
    let next = page.body["next_cursor"].as_str().unwrap();
    let page2 = app
        .get(&format!("/api/v1/admin/audit-log?limit=1&cursor={next}"))
        .bearer(&operator.access)
        .send()
        .await;
    assert_ne!(page2.body["items"][0]["id"], page.body["items"][0]["id"]);
}

#[actix_web::test]
async fn the_review_queue_pages_drafts_and_submissions_alike() {
    let app = TestApp::spawn().await;
    let operator = app.operator().await;
    for _ in 0..2 {
        let owner = app.consumer().await;
        app.draft_merchant(&owner, application(&["laundry"])).await;
    }
    let page1 = app
        .get("/api/v1/admin/merchants?status=draft&limit=1")
        .bearer(&operator.access)
        .send()
        .await;
    let cursor = page1.body["next_cursor"]
        .as_str()
        .expect("a second page")
        .to_owned();
    let page2 = app
        .get(&format!(
            "/api/v1/admin/merchants?status=draft&limit=1&cursor={cursor}"
        ))
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(page2.body["items"].as_array().unwrap().len(), 1);
    assert_ne!(page1.body["items"][0]["id"], page2.body["items"][0]["id"]);
    let res = app
        .get("/api/v1/admin/merchants?status=open")
        .bearer(&operator.access)
        .send()
        .await;
    assert_eq!(res.fields(), ["status"]);
}
