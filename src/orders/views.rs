//! How an order is shown. The consumer sees everything, including the PIN. The merchant and the
//! courier see the recipient's name and phone masked, and the full address only while the order
//! is active; operators see it masked.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::fields::{mask_address, mask_name, mask_phone};

use super::models::{Item, Order, Proof, Refund, SafetyCheck};
use super::rules::{Actor, OrderKind, OrderStatus};

#[derive(Debug, Serialize, ToSchema)]
pub struct ItemResponse {
    pub service_id: Uuid,
    pub name: String,
    pub unit_price_cents: i64,
    pub price_unit: String,
    pub quantity: i32,
    pub line_total_cents: i64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Amounts {
    pub subtotal_cents: i64,
    pub packaging_cents: i64,
    pub delivery_fee_cents: i64,
    /// What the consumer pays.
    pub total_cents: i64,
    pub refunded_cents: i64,
    pub currency: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Destination {
    pub recipient_name: String,
    pub recipient_phone: String,
    pub address_text: String,
    pub lat: f64,
    pub lng: f64,
    pub drop_point_note: Option<String>,
    /// `contactless` or `in_person`.
    pub delivery_mode: String,
    pub masked: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProofResponse {
    pub leg: String,
    pub method: String,
    pub drop_point: String,
    #[schema(value_type = Vec<String>)]
    pub photo_refs: serde_json::Value,
    pub pin_checked: bool,
    pub item_count: Option<i32>,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SafetyCheckResponse {
    pub role: String,
    pub temperature_c: f64,
    pub ok: bool,
    pub checked_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RefundResponse {
    pub id: Uuid,
    pub amount_cents: i64,
    pub kind: String,
    pub reason: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

impl From<Refund> for RefundResponse {
    fn from(r: Refund) -> Self {
        Self {
            id: r.id,
            amount_cents: r.amount_cents,
            kind: r.kind,
            reason: r.reason,
            status: r.status,
            created_at: r.created_at,
        }
    }
}

/// An order as its viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderResponse {
    pub id: Uuid,
    pub kind: OrderKind,
    pub status: OrderStatus,
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    pub courier_id: Option<Uuid>,
    pub items: Vec<ItemResponse>,
    pub amounts: Amounts,
    pub destination: Destination,
    /// The consumer's handoff PIN (only the consumer sees it).
    pub pin: Option<String>,
    pub note: Option<String>,
    pub respond_by: Option<DateTime<Utc>>,
    pub promised_at: Option<DateTime<Utc>>,
    pub pickup_at: Option<DateTime<Utc>>,
    pub item_count: Option<i32>,
    /// A proposed new subtotal after pickup, awaiting the consumer.
    pub requote_cents: Option<i64>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub late_minutes: Option<i32>,
    pub reason: Option<String>,
    pub proofs: Vec<ProofResponse>,
    pub safety_checks: Vec<SafetyCheckResponse>,
    pub refunds: Vec<RefundResponse>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// What else is shown with an order (empty in lists).
#[derive(Default)]
pub struct Extras {
    pub items: Vec<Item>,
    pub proofs: Vec<Proof>,
    pub checks: Vec<SafetyCheck>,
    pub refunds: Vec<Refund>,
}

impl OrderResponse {
    pub fn new(o: Order, viewer: Actor, extras: Extras) -> Self {
        let status = o.status;
        let consumer = viewer == Actor::Consumer;
        let show_address =
            consumer || (matches!(viewer, Actor::Merchant | Actor::Courier) && status.is_active());
        let round = |x: f64| {
            if show_address {
                x
            } else {
                (x * 100.0).round() / 100.0
            }
        };
        let destination = Destination {
            recipient_name: if consumer {
                o.recipient_name.clone()
            } else {
                mask_name(&o.recipient_name)
            },
            recipient_phone: if consumer {
                o.recipient_phone.clone()
            } else {
                mask_phone(&o.recipient_phone)
            },
            address_text: if show_address {
                o.address_text.clone()
            } else {
                mask_address(&o.address_text)
            },
            lat: round(o.address_lat),
            lng: round(o.address_lng),
            drop_point_note: o.drop_point_note.clone().filter(|_| show_address),
            delivery_mode: o.delivery_mode.clone(),
            masked: !consumer,
        };
        Self {
            id: o.id,
            kind: o.kind,
            status,
            consumer_id: o.consumer_id,
            merchant_id: o.merchant_id,
            courier_id: o.courier_id,
            items: extras
                .items
                .into_iter()
                .map(|i| ItemResponse {
                    service_id: i.service_id,
                    name: i.name,
                    unit_price_cents: i.unit_price_cents,
                    price_unit: i.price_unit,
                    quantity: i.quantity,
                    line_total_cents: i.line_total_cents,
                })
                .collect(),
            amounts: Amounts {
                subtotal_cents: o.subtotal_cents,
                packaging_cents: o.packaging_cents,
                delivery_fee_cents: o.delivery_fee_cents,
                total_cents: o.total_cents,
                refunded_cents: o.refunded_cents,
                currency: o.currency,
            },
            destination,
            pin: consumer.then_some(o.pin),
            note: o.note,
            respond_by: o.respond_by,
            promised_at: o.promised_at,
            pickup_at: o.pickup_at,
            item_count: o.item_count,
            requote_cents: o.requote_cents,
            delivered_at: o.delivered_at,
            late_minutes: o.late_minutes,
            reason: o.reason,
            proofs: extras
                .proofs
                .into_iter()
                .map(|p| ProofResponse {
                    leg: p.leg,
                    method: p.method,
                    drop_point: p.drop_point,
                    photo_refs: p.photo_refs,
                    pin_checked: p.pin_checked,
                    item_count: p.item_count,
                    at: p.at,
                })
                .collect(),
            safety_checks: extras
                .checks
                .into_iter()
                .map(|c| SafetyCheckResponse {
                    role: c.role,
                    temperature_c: c.temperature_c,
                    ok: c.ok,
                    checked_at: c.checked_at,
                })
                .collect(),
            refunds: extras.refunds.into_iter().map(Into::into).collect(),
            version: o.version,
            created_at: o.created_at,
        }
    }
}
