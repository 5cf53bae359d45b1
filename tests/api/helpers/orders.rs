//! Builders for orders: a catering kitchen and a laundry with a courier who signs in.

use actix_web::http::StatusCode;
use serde_json::{json, Value};

use super::booking::always;
use super::merchants::CENTRE;
use super::{TestApp, TestUser};

/// A merchant ready to take orders.
pub struct Kitchen {
    pub merchant: String,
    pub owner: TestUser,
    /// Services: 1200 and 1000 fen per item.
    pub items: Vec<String>,
    pub courier: String,
    pub courier_user: TestUser,
}

pub fn drop_address() -> Value {
    json!({"recipient_name": "王小明", "phone": "13812345678", "text": "重庆市渝中区解放碑步行街88号3栋1201",
           "lat": CENTRE.0 + 0.002, "lng": CENTRE.1, "drop_point_note": "门口鞋柜"})
}

impl TestApp {
    /// A contactless handoff proof at `drop` with a photo `user` uploads first.
    pub async fn photo(&self, user: &TestUser, drop: &str) -> Value {
        let photo = self
            .upload(user, "handoff_photo", super::images::jpeg(true))
            .await;
        json!({"proof": {"method": "contactless", "drop_point": drop, "photo_refs": [photo]}})
    }

    /// An open merchant of `category` selling two `fulfilment` items, with order fees of 100
    /// (packaging) and 500 (delivery), and a courier with an account of their own.
    pub async fn kitchen_of(&self, category: &str, fulfilment: &str) -> Kitchen {
        let (merchant, owner) = self
            .merchant_at("山城小面", CENTRE, 5000, &[category])
            .await;
        let res = self
            .patch(&format!("/api/v1/merchants/{merchant}"))
            .bearer(&owner.access)
            .json(json!({"opening_hours": always()}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let res = self
            .request("PUT".parse().unwrap(), &format!("/api/v1/merchants/{merchant}/order-settings"))
            .bearer(&owner.access)
            .json(json!({"min_order_cents": 1000, "packaging_fee_cents": 100, "delivery_fee_cents": 500,
                         "accept_within_minutes": 10, "prep_minutes": 20, "auto_complete_hours": 24,
                         "late_tiers": [[10, 300], [20, 600]], "late_cap_percent": 30}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let mut items = Vec::new();
        for (name, price) in [("重庆小面", 1200), ("酸辣粉", 1000)] {
            let res = self
                .post(&format!("/api/v1/merchants/{merchant}/services"))
                .bearer(&owner.access)
                .json(json!({"category": category, "fulfilment": fulfilment, "name": name, "price_cents": price, "price_unit": "per_item"}))
                .send()
                .await;
            assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
            items.push(res.body["id"].as_str().unwrap().to_owned());
        }
        let courier_user = self.consumer().await;
        let res = self
            .post(&format!("/api/v1/merchants/{merchant}/workers"))
            .bearer(&owner.access)
            .json(json!({"name": "小陈", "skills": ["courier"], "login_email": courier_user.email}))
            .send()
            .await;
        let courier = res.body["id"].as_str().unwrap().to_owned();
        Kitchen {
            merchant,
            owner,
            items,
            courier,
            courier_user,
        }
    }

    pub async fn kitchen(&self) -> Kitchen {
        self.kitchen_of("catering", "delivery").await
    }

    /// `POST /orders` with a fresh Idempotency-Key.
    pub async fn order(&self, consumer: &TestUser, body: Value) -> super::Res {
        self.post("/api/v1/orders")
            .bearer(&consumer.access)
            .header("idempotency-key", &uuid::Uuid::new_v4().to_string())
            .json(body)
            .send()
            .await
    }

    /// Two of the first item and one of the second, contactless: 2400 + 1000 + 100 + 500 = 4000,
    /// paid through WeChat Pay (the sandbox), so the order is `placed`.
    pub async fn placed(&self, k: &Kitchen, consumer: &TestUser, mode: &str) -> (String, String) {
        let res = self
            .order(consumer, json!({"merchant_id": k.merchant, "delivery_mode": mode, "address": drop_address(),
                "items": [{"service_id": k.items[0], "quantity": 2}, {"service_id": k.items[1], "quantity": 1}]}))
            .await;
        assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
        let id = res.body["id"].as_str().unwrap().to_owned();
        self.pay(consumer, "orders", &id, "wechat").await;
        (id, res.body["pin"].as_str().unwrap().to_owned())
    }

    pub async fn order_act(
        &self,
        user: &TestUser,
        order: &str,
        action: &str,
        body: Value,
    ) -> super::Res {
        self.post(&format!("/api/v1/orders/{order}/{action}"))
            .bearer(&user.access)
            .json(body)
            .send()
            .await
    }

    /// An order of `consumer`'s (total 4000) taken all the way to `completed`.
    pub async fn completed_order(&self, k: &Kitchen, consumer: &TestUser) -> String {
        let (id, _) = self.placed(k, consumer, "contactless").await;
        for action in ["accept", "ready", "pick-up"] {
            let res = self.order_act(&k.owner, &id, action, json!({})).await;
            assert_eq!(res.status, StatusCode::OK, "{action}: {}", res.text);
        }
        let proof = self.photo(&k.owner, "门口").await;
        let res = self.order_act(&k.owner, &id, "deliver", proof).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text);
        let res = self
            .order_act(consumer, &id, "confirm-receipt", json!({}))
            .await;
        assert_eq!(res.body["status"], "completed", "{}", res.text);
        id
    }
}
