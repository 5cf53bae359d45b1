//! Placing an order: `POST /orders`. The server prices everything from the current catalog and
//! snapshots names, prices and the address; a client cannot send a price or a total.

use actix_web::{http::StatusCode, web, HttpRequest};
use chrono::{Datelike, Duration, Utc};
use diesel::PgConnection;
use rand::Rng;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::addresses::{self, AddressRequest};
use crate::auth::Identity;
use crate::booking::create::distance_m;
use crate::catalog;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::fields::text;
use crate::http::idempotency::{self, IdempotencyKey, Stored};
use crate::http::Json;
use crate::merchants::fields::OpeningHours;
use crate::merchants::{self, Merchant};
use crate::state::AppState;

use super::models::{self, Item, Order};
use super::rules::{self, Actor, OrderKind, OrderStatus};
use super::views::{Extras, OrderResponse};
use crate::fields::Text;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryMode {
    Contactless,
    InPerson,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderLine {
    pub service_id: Uuid,
    /// 1 to 999.
    #[schema(minimum = 1, maximum = 999)]
    pub quantity: i32,
}

/// A new order. Amounts are computed by the server; prices or totals sent by the client are
/// refused as unknown fields.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceOrderRequest {
    pub merchant_id: Uuid,
    /// Services of kind `delivery` (catering) or `pickup_return` (laundry, repair), one kind.
    #[schema(min_items = 1, max_items = 50)]
    pub items: Vec<OrderLine>,
    /// A saved address of the caller's, or
    pub address_id: Option<Uuid>,
    /// an address given here.
    pub address: Option<AddressRequest>,
    pub delivery_mode: DeliveryMode,
    /// Where to leave it, e.g. "门口鞋柜"; defaults to the address's note.
    #[schema(schema_with = Text::<1, 100>::nullable)]
    pub drop_point_note: Option<String>,
    #[schema(schema_with = Text::<0, 500>::nullable)]
    pub note: Option<String>,
}

fn invalid(errors: Vec<FieldError>) -> AppError {
    AppError::from(errors)
}

/// Whether the merchant is open now in its own time zone.
fn is_open(merchant: &Merchant) -> bool {
    let local = Utc::now().with_timezone(&merchant.tz());
    let hours: OpeningHours =
        serde_json::from_value(merchant.opening_hours.clone()).unwrap_or_default();
    let weekday = usize::try_from(local.weekday().num_days_from_monday()).unwrap_or(0);
    let minute = chrono::Timelike::hour(&local) * 60 + chrono::Timelike::minute(&local);
    hours
        .intervals(weekday)
        .iter()
        .any(|(a, b)| (*a..*b).contains(&minute))
}

/// Prices the lines against the merchant's catalog.
fn lines(
    conn: &mut PgConnection,
    merchant: &Merchant,
    req: &[OrderLine],
) -> AppResult<(OrderKind, Vec<Item>)> {
    if req.is_empty() || req.len() > 50 {
        return Err(AppError::invalid("items", "must hold 1 to 50 lines"));
    }
    let mut kind = None;
    let mut items = Vec::new();
    for (i, line) in req.iter().enumerate() {
        let at = |f: &str, m: &str| AppError::invalid(format!("items[{i}].{f}"), m);
        if !(1..=999).contains(&line.quantity) {
            return Err(at("quantity", "must be 1 to 999"));
        }
        let service = diesel::OptionalExtension::optional(catalog::find(conn, line.service_id))?
            .filter(|s| s.merchant_id == merchant.id && s.active)
            .ok_or_else(|| at("service_id", "is not an available service of this merchant"))?;
        let this = OrderKind::of(service.fulfilment)
            .ok_or_else(|| at("service_id", "is booked, not ordered"))?;
        if kind.is_some_and(|k| k != this) {
            return Err(AppError::invalid(
                "items",
                "cannot mix delivery and pickup-and-return services",
            ));
        }
        if items.iter().any(|it: &Item| it.service_id == service.id) {
            return Err(at("service_id", "appears twice; use the quantity"));
        }
        kind = Some(this);
        items.push(Item {
            id: Uuid::now_v7(),
            order_id: Uuid::nil(),
            service_id: service.id,
            name: service.name,
            unit_price_cents: service.price_cents,
            price_unit: service.price_unit.to_string(),
            quantity: line.quantity,
            line_total_cents: service.price_cents * i64::from(line.quantity),
        });
    }
    Ok((kind.unwrap_or(OrderKind::Delivery), items))
}

/// Places an order awaiting its payment, which must come within `pay_within`.
fn place(
    conn: &mut PgConnection,
    consumer: Uuid,
    req: PlaceOrderRequest,
    pay_within: Duration,
) -> AppResult<(Order, Vec<Item>)> {
    let merchant = diesel::OptionalExtension::optional(merchants::find(conn, req.merchant_id))?
        .filter(|m| m.status == "approved")
        .ok_or(AppError::NotFound)?;
    let address = match (req.address_id, req.address) {
        (Some(id), None) => {
            diesel::OptionalExtension::optional(addresses::find(conn, consumer, id))?
                .ok_or_else(|| AppError::invalid("address_id", "is not one of your addresses"))?
        }
        (None, Some(a)) => a.parse("address.", consumer).map_err(invalid)?,
        _ => {
            return Err(AppError::invalid(
                "address",
                "give either address_id or address",
            ))
        }
    };
    if distance_m((address.lat, address.lng), (merchant.lat, merchant.lng))
        > f64::from(merchant.service_radius_m)
    {
        return Err(AppError::invalid(
            if req.address_id.is_some() {
                "address_id"
            } else {
                "address"
            },
            "is outside the merchant's service area",
        ));
    }
    let drop_point = req
        .drop_point_note
        .map(|d| text("drop_point_note", &d, 1, 100))
        .transpose()
        .map_err(|e| invalid(vec![e]))?;
    let note = req
        .note
        .map(|n| text("note", &n, 0, 500))
        .transpose()
        .map_err(|e| invalid(vec![e]))?;
    let (kind, mut items) = lines(conn, &merchant, &req.items)?;
    let settings = models::settings(conn, merchant.id)?;
    let totals = rules::price(
        &items
            .iter()
            .map(|i| (i.unit_price_cents, i.quantity))
            .collect::<Vec<_>>(),
        settings.packaging_fee_cents,
        settings.delivery_fee_cents,
    );
    if totals.subtotal < settings.min_order_cents {
        return Err(AppError::invalid(
            "items",
            format!("the minimum order is {} fen", settings.min_order_cents),
        ));
    }
    if !is_open(&merchant) {
        return Err(AppError::Conflict(
            "merchant_closed",
            "The merchant is closed now.".into(),
        ));
    }
    let now = Utc::now();
    let order = Order {
        id: Uuid::now_v7(),
        consumer_id: consumer,
        merchant_id: merchant.id,
        kind,
        status: OrderStatus::AwaitingPayment,
        courier_id: None,
        recipient_name: address.recipient_name,
        recipient_phone: address.phone,
        address_text: address.text,
        address_lat: address.lat,
        address_lng: address.lng,
        drop_point_note: drop_point.or(address.drop_point_note),
        delivery_mode: match req.delivery_mode {
            DeliveryMode::Contactless => "contactless",
            DeliveryMode::InPerson => "in_person",
        }
        .to_owned(),
        note,
        subtotal_cents: totals.subtotal,
        packaging_cents: totals.packaging,
        delivery_fee_cents: totals.delivery_fee,
        total_cents: totals.total,
        currency: "CNY".to_owned(),
        refunded_cents: 0,
        pin: format!("{:04}", rand::rng().random_range(0..10_000)),
        pin_attempts: 0,
        // The merchant's time to answer starts once the order is paid (`super::payment::paid`).
        respond_by: None,
        promised_at: None,
        pickup_at: None,
        item_count: None,
        requote_cents: None,
        delivered_at: None,
        late_minutes: None,
        reason: None,
        version: 1,
        created_at: now,
    };
    let saved = models::insert(conn, &order)?;
    for item in &mut items {
        item.order_id = saved.id;
    }
    models::insert_items(conn, &items)?;
    super::record_change(
        conn,
        &saved,
        None,
        "place",
        Actor::Consumer,
        Some(consumer),
        None,
    )?;
    crate::jobs::payment_due(conn, "order", saved.id, now + pay_within)?;
    Ok((saved, items))
}

/// The merchant's members hear of a new order as soon as it is paid: its accept window is
/// short.
pub(super) fn tell_merchant(
    conn: &mut PgConnection,
    merchant: &Merchant,
    order: &Order,
) -> AppResult<()> {
    let short = super::short_id(order);
    let total = crate::fields::yuan(order.total_cents);
    let answer = match order.respond_by {
        Some(by) => {
            let tz = merchant.tz();
            let by = by.with_timezone(&tz).format("%H:%M");
            format!("请在 {by} 前接单，逾期将自动取消。\nPlease accept or reject it by {by} ({tz}); after that it is cancelled.\n")
        }
        None => String::new(),
    };
    merchants::tell_members(
        conn,
        merchant.id,
        &format!("新订单 {short}：{total} 元 / New order {short}: ¥{total}"),
        &format!("您有一个新订单 {short}，合计 {total} 元。\nA new order {short}, total ¥{total}.\n{answer}"),
    )
}

/// Places an order. Requires an `Idempotency-Key`: a retried request returns the same order.
#[utoipa::path(post, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])),
    request_body = PlaceOrderRequest,
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "Client-chosen key; the same key and body replay the first answer")),
    responses((status = 201, body = OrderResponse), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "merchant_closed, idempotency_in_flight"),
        (status = 422, body = Problem, description = "validation_failed (e.g. an address outside the radius, a client-sent total)")))]
pub async fn place_order(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<PlaceOrderRequest>,
) -> AppResult<Stored> {
    let digest = idempotency::request_digest(&req, &body.digest());
    let request = body.into_inner();
    let pay_within = state.config.payment_timeout;
    db::tx(&state.pool, move |conn| {
        idempotency::once(conn, id.user_id, &key, &digest, |conn| {
            let (order, items) = place(conn, id.user_id, request, pay_within)?;
            let extras = Extras {
                items,
                ..Default::default()
            };
            Ok((
                StatusCode::CREATED,
                OrderResponse::new(order, Actor::Consumer, extras),
            ))
        })
    })
    .await
}
