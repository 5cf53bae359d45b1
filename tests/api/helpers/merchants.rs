//! Builders for merchants: a valid application, and merchants in each state.

use actix_web::http::StatusCode;
use serde_json::{json, Value};

use super::{TestApp, TestUser};

/// Jiefangbei, Yuzhong district, Chongqing.
pub const CENTRE: (f64, f64) = (29.5582, 106.5772);

/// A point `km` kilometres north of the centre.
pub fn north(km: f64) -> (f64, f64) {
    (CENTRE.0 + km / 111.2, CENTRE.1)
}

/// A complete, valid application.
pub fn application(categories: &[&str]) -> Value {
    json!({
        "legal_name": "重庆洁家家政服务有限公司",
        "display_name": "洁家家政",
        "description": "日常保洁、深度清洁",
        "categories": categories,
        "credit_code": "91350100M000100Y43",
        "licence_expires_on": "2030-12-31",
        "food_permit_no": if categories.contains(&"catering") { json!("JY15001030012345") } else { Value::Null },
        "contact_phone": "023-63123456",
        "address": "重庆市渝中区解放碑步行街88号",
        "district": "渝中区",
        "lat": CENTRE.0,
        "lng": CENTRE.1,
        "service_radius_m": 5000,
        "opening_hours": {"mon": [["09:00", "21:00"]], "sat": [["10:00", "18:00"]]},
        "time_zone": "Asia/Shanghai",
        "documents": if categories.contains(&"catering") {
            json!([{"kind": "business_licence", "ref": TO_UPLOAD},
                   {"kind": "food_permit", "ref": TO_UPLOAD}])
        } else {
            json!([{"kind": "business_licence", "ref": TO_UPLOAD}])
        }
    })
}

/// The `ref` of an application's documents until [`TestApp::with_documents`] uploads them.
pub const TO_UPLOAD: &str = "to-upload";

impl TestApp {
    /// `body` with each document still [`TO_UPLOAD`] uploaded by `owner`.
    pub async fn with_documents(&self, owner: &TestUser, mut body: Value) -> Value {
        if let Some(docs) = body["documents"].as_array_mut() {
            for doc in docs.iter_mut().filter(|d| d["ref"] == TO_UPLOAD) {
                let png = super::images::png(false);
                doc["ref"] = json!(self.upload(owner, "licence_document", png).await);
            }
        }
        body
    }

    /// A draft merchant of `owner` from `body` (its documents uploaded); returns its id.
    pub async fn draft_merchant(&self, owner: &TestUser, body: Value) -> String {
        let body = self.with_documents(owner, body).await;
        let res = self
            .post("/api/v1/merchants")
            .bearer(&owner.access)
            .json(body)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.body["id"].as_str().unwrap().to_owned()
    }

    /// Submits and approves a merchant through the API.
    pub async fn approve(&self, owner: &TestUser, id: &str) {
        let res = self
            .post(&format!("/api/v1/merchants/{id}/submit"))
            .bearer(&owner.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let operator = self.operator().await;
        let res = self
            .post(&format!("/api/v1/admin/merchants/{id}/approve"))
            .bearer(&operator.access)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    }

    /// An approved merchant at `point` with `radius_m`, and its owner.
    pub async fn merchant_at(
        &self,
        name: &str,
        point: (f64, f64),
        radius_m: i32,
        categories: &[&str],
    ) -> (String, TestUser) {
        let owner = self.consumer().await;
        let mut body = application(categories);
        body["display_name"] = json!(name);
        body["lat"] = json!(point.0);
        body["lng"] = json!(point.1);
        body["service_radius_m"] = json!(radius_m);
        let id = self.draft_merchant(&owner, body).await;
        self.approve(&owner, &id).await;
        (id, owner)
    }

    /// An approved housekeeping merchant and its owner.
    pub async fn merchant(&self) -> (String, TestUser) {
        self.merchant_at("洁家家政", CENTRE, 5000, &["housekeeping"])
            .await
    }

    /// A home-visit service of the merchant; returns its id.
    pub async fn service(&self, owner: &TestUser, merchant_id: &str, price_cents: i64) -> String {
        let res = self
            .post(&format!("/api/v1/merchants/{merchant_id}/services"))
            .bearer(&owner.access)
            .json(json!({
                "category": "housekeeping", "fulfilment": "home_visit", "name": "日常保洁 3 小时",
                "price_cents": price_cents, "price_unit": "per_visit", "duration_minutes": 180, "buffer_minutes": 30
            }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.body["id"].as_str().unwrap().to_owned()
    }
}
