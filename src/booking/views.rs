//! How a booking is shown, and to whom the visit address is revealed: always to the consumer;
//! to the merchant and the assigned worker only while the booking is active; masked otherwise.

use chrono::{DateTime, Utc};
use diesel::{PgConnection, QueryResult};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::fields::{mask_address, mask_name, mask_phone};
use crate::merchants;

use super::models::Booking;
use super::rules::{Actor, BookingStatus};
use crate::fields::Text;

/// Where a home visit happens, and whom to call.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitAddress {
    #[schema(example = "重庆市渝中区解放碑步行街88号3栋1201")]
    #[schema(schema_with = Text::<4, 200>::schema)]
    pub text: String,
    #[schema(example = 29.5590)]
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(example = 106.5780)]
    #[schema(minimum = -180, maximum = 180)]
    pub lng: f64,
    #[schema(example = "王奶奶")]
    #[schema(schema_with = Text::<1, 50>::schema)]
    pub contact_name: String,
    #[schema(example = "13812345678")]
    #[schema(schema_with = crate::fields::Phone::schema)]
    pub contact_phone: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Cancellation {
    pub by: String,
    pub fee_cents: i64,
    pub reason: Option<String>,
}

/// A booking as its viewer may see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingResponse {
    pub id: Uuid,
    pub status: BookingStatus,
    pub kind: String,
    pub consumer_id: Uuid,
    pub merchant_id: Uuid,
    pub service_id: Uuid,
    /// The service's name and price when booked.
    pub service_name: String,
    pub price_cents: i64,
    pub currency: String,
    pub worker_id: Option<Uuid>,
    /// The assigned worker's display name: for the consumer while the booking is active, and
    /// for the merchant's side always.
    pub worker_name: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub party_size: i32,
    /// Whole for the consumer, and for the merchant and worker while active; masked otherwise.
    pub address: Option<VisitAddress>,
    pub address_masked: bool,
    pub for_relative: bool,
    pub note: Option<String>,
    /// When a pending booking expires unless the merchant answers.
    pub respond_by: Option<DateTime<Utc>>,
    pub reschedule_count: i32,
    pub cancellation: Option<Cancellation>,
    pub no_show_party: Option<String>,
    /// Paid when booked, through `POST /bookings/{id}/payments` (the merchant's setting then).
    pub prepaid: bool,
    /// When a prepaid booking's payment arrived; until then the merchant cannot confirm it.
    pub paid_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
}

/// Bookings as `viewer` sees them, each with its worker's name where the viewer may see it (one
/// query for all of them).
pub fn shown(
    conn: &mut PgConnection,
    bookings: Vec<Booking>,
    viewer: Actor,
) -> QueryResult<Vec<BookingResponse>> {
    // The worker each booking may name to this viewer.
    let named = |b: &Booking| b.worker_id.filter(|_| sees_worker(viewer, b.status));
    let ids: Vec<Uuid> = bookings.iter().filter_map(named).collect();
    let names = merchants::worker_names(conn, &ids)?;
    Ok(bookings
        .into_iter()
        .map(|b| {
            let name = named(&b).and_then(|w| names.get(&w).cloned());
            BookingResponse {
                worker_name: name,
                ..BookingResponse::new(b, viewer)
            }
        })
        .collect())
}

/// One booking as `viewer` sees it (see [`shown`]).
pub fn show(conn: &mut PgConnection, b: Booking, viewer: Actor) -> QueryResult<BookingResponse> {
    Ok(shown(conn, vec![b], viewer)?.remove(0))
}

/// The consumer learns who comes while the visit is ahead; the merchant's side always knows.
fn sees_worker(viewer: Actor, status: BookingStatus) -> bool {
    match viewer {
        Actor::Consumer => status.is_active(),
        Actor::Merchant | Actor::Worker | Actor::Operator => true,
        Actor::System => false,
    }
}

impl BookingResponse {
    /// `viewer` is how the caller relates to the booking. The worker's name is filled in by
    /// [`shown`].
    fn new(b: Booking, viewer: Actor) -> Self {
        let status = b.status;
        let reveal = match viewer {
            Actor::Consumer => true,
            Actor::Merchant | Actor::Worker => status.is_active(),
            Actor::Operator | Actor::System => false,
        };
        let address = match (b.address_text, b.address_lat, b.address_lng) {
            (Some(text), Some(lat), Some(lng)) => {
                let name = b.contact_name.unwrap_or_default();
                let phone = b.contact_phone.unwrap_or_default();
                Some(if reveal {
                    VisitAddress {
                        text,
                        lat,
                        lng,
                        contact_name: name,
                        contact_phone: phone,
                    }
                } else {
                    // Coordinates are rounded to about a kilometre.
                    let round = |x: f64| (x * 100.0).round() / 100.0;
                    VisitAddress {
                        text: mask_address(&text),
                        lat: round(lat),
                        lng: round(lng),
                        contact_name: mask_name(&name),
                        contact_phone: mask_phone(&phone),
                    }
                })
            }
            _ => None,
        };
        Self {
            id: b.id,
            status,
            kind: b.kind.to_string(),
            consumer_id: b.consumer_id,
            merchant_id: b.merchant_id,
            service_id: b.service_id,
            service_name: b.service_name,
            price_cents: b.price_cents,
            currency: b.currency,
            worker_id: b.worker_id,
            worker_name: None,
            starts_at: b.starts_at,
            ends_at: b.ends_at,
            party_size: b.party_size,
            address_masked: address.is_some() && !reveal,
            address,
            for_relative: b.for_relative,
            note: b.note,
            respond_by: b.respond_by,
            reschedule_count: b.reschedule_count,
            cancellation: b.cancelled_by.map(|by| Cancellation {
                by: by.to_string(),
                fee_cents: b.cancel_fee_cents.unwrap_or(0),
                reason: b.cancel_reason,
            }),
            no_show_party: b.no_show_party,
            prepaid: b.prepaid,
            paid_at: b.paid_at,
            version: b.version,
            created_at: b.created_at,
        }
    }
}
