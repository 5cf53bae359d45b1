//! `seed --scale N` builds a believable, usable marketplace: the counts add up, discovery finds
//! merchants, slots are offered, a generated consumer signs in, books and orders.

use actix_web::http::StatusCode;
use diesel::prelude::*;
use diesel::sql_types::{Double, Uuid as SqlUuid};
use lifemarket::scale::{self, ScaleReport, SCALE_PASSWORD};
use serde_json::json;

use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Point {
    #[diesel(sql_type = SqlUuid)]
    id: uuid::Uuid,
    #[diesel(sql_type = Double)]
    lat: f64,
    #[diesel(sql_type = Double)]
    lng: f64,
}

fn merchant(app: &TestApp, g: i64) -> Point {
    diesel::sql_query(format!(
        "SELECT id, lat, lng FROM merchants WHERE id = md5('scale-merchant-{g}')::uuid"
    ))
    .get_result(&mut app.conn())
    .unwrap()
}

#[actix_web::test]
async fn scale_seed_creates_a_usable_marketplace_once() {
    let app = TestApp::spawn().await;
    let report = scale::seed(&mut app.conn(), &app.state.passwords, 30).unwrap();
    // Categories go round by merchant number: 7 catering (4 services), 8 housekeeping, 8 laundry
    // and 7 repair (3 each); housekeeping and repair have 60 past bookings each, catering and
    // laundry 60 past orders; 36 of each 60 are reviewed.
    assert_eq!(
        report,
        ScaleReport {
            merchants: 30,
            consumers: 60,
            workers: 90,
            services: 7 * 4 + 23 * 3,
            bookings: 15 * 60,
            orders: 15 * 60,
            reviews: 30 * 36,
        }
    );
    assert_eq!(app.count("merchants WHERE status = 'approved'"), 30);
    assert_eq!(app.count("worker_schedules"), 90);
    assert_eq!(app.count("booking_settings"), 30);
    assert_eq!(app.count("order_settings"), 30);
    assert_eq!(app.count("order_items"), 15 * 60);
    assert_eq!(app.count("addresses"), 60);
    assert_eq!(app.count("merchants WHERE rating_count = 36"), 30);
    // Every merchant is in one of the nine districts, within ~25 km of the city.
    assert_eq!(
        app.count("merchants WHERE district IS NULL OR lat NOT BETWEEN 29.2 AND 30.0 OR lng NOT BETWEEN 106.2 AND 106.9"),
        0
    );

    // Seeding again is refused and changes nothing.
    let again = scale::seed(&mut app.conn(), &app.state.passwords, 30);
    assert!(again.is_err());
    assert_eq!(app.count("merchants"), 30);

    // Discovery near Jiefangbei finds merchants, nearest first.
    let res = app
        .get("/api/v1/merchants?lat=29.556&lng=106.568&limit=50")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let items = res.body["items"].as_array().unwrap();
    assert!(!items.is_empty(), "{}", res.text);
    let distances: Vec<f64> = items
        .iter()
        .map(|m| m["distance_m"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert!(!items[0]["headline_services"].as_array().unwrap().is_empty());

    // Merchant 1 (housekeeping) offers slots of its first service in the next week.
    let service = uuid_of(&app, "scale-service-1-1");
    let res = app
        .get(&format!("/api/v1/services/{service}/slots"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    let slots = res.body["slots"].as_array().unwrap();
    assert!(slots.len() > 20, "{}", res.text);
    assert!(!slots[0]["workers"].as_array().unwrap().is_empty());

    // A generated consumer signs in with the shared password and books the first slot.
    let consumer = app
        .login("scale-consumer-1@scale.lifemarket.local", SCALE_PASSWORD)
        .await;
    let m1 = merchant(&app, 1);
    let res = app
        .book(
            &consumer,
            json!({"service_id": service, "starts_at": slots[0]["start"],
                   "address": {"text": "重庆市渝中区幸福路1号1栋", "lat": m1.lat + 0.001, "lng": m1.lng,
                               "contact_name": "顾客", "contact_phone": "13812345678"}}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);

    // Merchant 8 (catering) is open around the clock and takes an order.
    let m8 = merchant(&app, 8);
    let res = app
        .order(
            &consumer,
            json!({"merchant_id": m8.id, "delivery_mode": "contactless",
                   "address": {"recipient_name": "顾客", "phone": "13812345678", "text": "重庆市幸福路1号1栋",
                               "lat": m8.lat + 0.001, "lng": m8.lng},
                   "items": [{"service_id": uuid_of(&app, "scale-service-8-1"), "quantity": 2}]}),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text);
    assert_eq!(res.body["amounts"]["total_cents"], 2 * 1500 + 100 + 300);
}

/// The uuid PostgreSQL's `md5(label)::uuid` gives: how the generator names its rows.
fn uuid_of(app: &TestApp, label: &str) -> String {
    #[derive(QueryableByName)]
    struct S {
        #[diesel(sql_type = diesel::sql_types::Text)]
        id: String,
    }
    diesel::sql_query("SELECT md5($1)::uuid::text AS id")
        .bind::<diesel::sql_types::Text, _>(label)
        .get_result::<S>(&mut app.conn())
        .unwrap()
        .id
}
