//! How a merchant is shown: the public profile everyone sees, and the application that only its
//! members and operators see.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::access::MemberRole;
use super::fields::{DocumentRef, OpeningHours};
use super::models::Merchant;
use super::rules::MerchantStatus;

/// Count and average of verified ratings.
#[derive(Debug, Serialize, ToSchema)]
pub struct RatingSummary {
    pub count: i32,
    pub average: Option<f64>,
}

/// What only members and operators see.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApplicationView {
    pub status: MerchantStatus,
    /// Why it was rejected or suspended.
    pub status_reason: Option<String>,
    pub legal_name: String,
    pub credit_code: String,
    pub licence_expires_on: NaiveDate,
    pub food_permit_no: Option<String>,
    pub documents: Vec<DocumentRef>,
    pub owner_id: Uuid,
    /// The caller's role, when a member.
    pub my_role: Option<MemberRole>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i32,
}

/// A merchant's profile.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantResponse {
    pub id: Uuid,
    pub display_name: String,
    pub description: String,
    pub categories: Vec<String>,
    pub contact_phone: String,
    pub address: String,
    pub district: Option<String>,
    pub lat: f64,
    pub lng: f64,
    pub service_radius_m: i32,
    pub opening_hours: OpeningHours,
    pub time_zone: String,
    pub rating: RatingSummary,
    /// Active services (on the profile page; absent in lists). Filled by the catalog, which
    /// sits above merchants, as its `ServiceResponse` values.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(schema_with = services_schema)]
    pub services: Option<Vec<serde_json::Value>>,
    /// Present for the merchant's members and for operators.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application: Option<ApplicationView>,
    pub created_at: DateTime<Utc>,
}

impl MerchantResponse {
    /// The public profile.
    pub fn public(m: Merchant, categories: Vec<String>) -> Self {
        Self {
            id: m.id,
            display_name: m.display_name,
            description: m.description,
            categories,
            contact_phone: m.contact_phone,
            address: m.address,
            district: m.district,
            lat: m.lat,
            lng: m.lng,
            service_radius_m: m.service_radius_m,
            opening_hours: serde_json::from_value(m.opening_hours).unwrap_or_default(),
            time_zone: m.time_zone,
            rating: RatingSummary {
                count: m.rating_count,
                average: m.rating_average,
            },
            services: None,
            application: None,
            created_at: m.created_at,
        }
    }

    /// The profile with its application, for members (`my_role`) and operators.
    pub fn full(m: Merchant, categories: Vec<String>, my_role: Option<MemberRole>) -> Self {
        let application = ApplicationView {
            status: MerchantStatus::parse(&m.status).unwrap_or(MerchantStatus::Draft),
            status_reason: m.status_reason.clone(),
            legal_name: m.legal_name.clone(),
            credit_code: m.credit_code.clone(),
            licence_expires_on: m.licence_expires_on,
            food_permit_no: m.food_permit_no.clone(),
            documents: serde_json::from_value(m.documents.clone()).unwrap_or_default(),
            owner_id: m.owner_id,
            my_role,
            submitted_at: m.submitted_at,
            decided_at: m.decided_at,
            version: m.version,
        };
        Self {
            application: Some(application),
            ..Self::public(m, categories)
        }
    }
}

/// The document's form of [`MerchantResponse::services`]: a list of the catalog's
/// `ServiceResponse`, named by reference so this layer does not import the catalog.
fn services_schema() -> utoipa::openapi::schema::Array {
    use utoipa::openapi::schema::{ArrayBuilder, SchemaType, Type};
    use utoipa::openapi::Ref;
    ArrayBuilder::new()
        .schema_type(SchemaType::from_iter([Type::Array, Type::Null]))
        .items(Ref::from_schema_name("ServiceResponse"))
        .description(Some(
            "Active services (on the profile page; absent in lists).",
        ))
        .build()
}
