//! Builders for bookings: a merchant whose worker works around the clock, and slots near now.

use actix_web::http::StatusCode;
use chrono::{DateTime, Duration, Utc};
use serde_json::{json, Value};

use super::merchants::CENTRE;
use super::{TestApp, TestUser};

/// A merchant ready to take home-visit bookings.
pub struct Shop {
    pub merchant: String,
    pub owner: TestUser,
    pub service: String,
    pub workers: Vec<String>,
}

/// Every day, all day.
pub fn always() -> Value {
    let day = json!([["00:00", "24:00"]]);
    json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day})
}

/// The first half-hour boundary at least `hours` from now (the merchant's zone is UTC+8, so its
/// half-hour grid is the same in UTC).
pub fn slot(hours: i64) -> DateTime<Utc> {
    // Two minutes of slack, so a slot never passes while its request is on the way.
    let t = (Utc::now() + Duration::hours(hours) + Duration::minutes(2)).timestamp();
    DateTime::from_timestamp((t / 1800 + 1) * 1800, 0).unwrap()
}

pub fn address() -> Value {
    json!({"text": "重庆市渝中区解放碑步行街88号3栋1201", "lat": CENTRE.0 + 0.001, "lng": CENTRE.1,
           "contact_name": "王奶奶", "contact_phone": "13812345678"})
}

impl TestApp {
    /// An approved merchant with `workers` housekeepers available around the clock, a 60-minute
    /// home-visit service, no minimum notice, and `auto_accept` as given.
    pub async fn shop(&self, workers: usize, auto_accept: bool) -> Shop {
        let (merchant, owner) = self.merchant().await;
        let res = self
            .request("PUT".parse().unwrap(), &format!("/api/v1/merchants/{merchant}/booking-settings"))
            .bearer(&owner.access)
            .json(json!({"auto_accept": auto_accept, "min_notice_minutes": 0, "horizon_days": 30, "buffer_minutes": 0,
                         "slot_step_minutes": 30, "free_cancel_hours": 24, "late_cancel_fee_percent": 50, "reschedule_limit": 2}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let mut ids = Vec::new();
        for i in 0..workers {
            let res = self
                .post(&format!("/api/v1/merchants/{merchant}/workers"))
                .bearer(&owner.access)
                .json(json!({"name": format!("阿姨{i}"), "skills": ["housekeeping"]}))
                .send()
                .await;
            let worker = res.body["id"].as_str().unwrap().to_owned();
            let res = self
                .request(
                    "PUT".parse().unwrap(),
                    &format!("/api/v1/merchants/{merchant}/workers/{worker}/schedule"),
                )
                .bearer(&owner.access)
                .json(json!({"weekly": always()}))
                .send()
                .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text);
            ids.push(worker);
        }
        let res = self
            .post(&format!("/api/v1/merchants/{merchant}/services"))
            .bearer(&owner.access)
            .json(json!({"category": "housekeeping", "fulfilment": "home_visit", "name": "日常保洁 1 小时",
                         "price_cents": 10_000, "price_unit": "per_visit", "duration_minutes": 60}))
            .send()
            .await;
        let service = res.body["id"].as_str().unwrap().to_owned();
        Shop {
            merchant,
            owner,
            service,
            workers: ids,
        }
    }

    /// `POST /bookings` with a fresh Idempotency-Key.
    pub async fn book(&self, consumer: &TestUser, body: Value) -> super::Res {
        self.post("/api/v1/bookings")
            .bearer(&consumer.access)
            .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .await
    }

    /// A booking of the shop's service at `start`; returns its id.
    pub async fn booking(&self, shop: &Shop, consumer: &TestUser, start: DateTime<Utc>) -> String {
        let res = self
            .book(
                consumer,
                json!({"service_id": shop.service, "starts_at": start, "address": address()}),
            )
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        res.body["id"].as_str().unwrap().to_owned()
    }

    /// `POST /bookings/{id}/{action}`.
    pub async fn act(
        &self,
        user: &TestUser,
        booking: &str,
        action: &str,
        body: Value,
    ) -> super::Res {
        self.post(&format!("/api/v1/bookings/{booking}/{action}"))
            .bearer(&user.access)
            .json(body)
            .send()
            .await
    }
}

impl TestApp {
    /// A booking of the shop's service by `consumer`, taken all the way to `completed`.
    pub async fn completed_booking(&self, shop: &Shop, consumer: &TestUser) -> String {
        let id = self.booking(shop, consumer, slot(0)).await;
        for action in ["check-in", "complete"] {
            let res = self.act(&shop.owner, &id, action, json!({})).await;
            assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.text);
        }
        id
    }
}
