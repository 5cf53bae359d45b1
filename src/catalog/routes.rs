//! Categories and merchants' services.

use actix_web::{http::StatusCode, web};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Identity, PlatformRole};
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Query;
use crate::http::{nullable, Json, Page, PageParams};
use crate::merchants::{self, access, MemberRole};
use crate::state::AppState;

use super::models::{self, Service};
use super::rules::{Fulfilment, PriceUnit, ServiceInput};

/// A service category.
#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryResponse {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub requires_food_permit: bool,
}

/// The service categories.
#[utoipa::path(get, path = "/api/v1/categories", security(), tag = "catalog",
    responses((status = 200, body = Vec<CategoryResponse>)))]
pub async fn list_categories(
    state: web::Data<AppState>,
) -> AppResult<web::Json<Vec<CategoryResponse>>> {
    let rows = db::run(&state.pool, |conn| Ok(merchants::all_categories(conn)?)).await?;
    Ok(web::Json(
        rows.into_iter()
            .map(|c| CategoryResponse {
                code: c.code,
                name_zh: c.name_zh,
                name_en: c.name_en,
                requires_food_permit: c.requires_food_permit,
            })
            .collect(),
    ))
}

/// A service and its current price.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceResponse {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub category: String,
    pub fulfilment: Fulfilment,
    pub name: String,
    pub description: String,
    /// Minor units (fen).
    pub price_cents: i64,
    pub currency: String,
    pub price_unit: PriceUnit,
    pub duration_minutes: Option<i32>,
    pub buffer_minutes: i32,
    pub capacity: Option<i32>,
    pub elderly_friendly: bool,
    pub active: bool,
    pub version: i32,
    pub updated_at: DateTime<Utc>,
}

impl From<Service> for ServiceResponse {
    fn from(s: Service) -> Self {
        Self {
            id: s.id,
            merchant_id: s.merchant_id,
            fulfilment: s.fulfilment,
            price_unit: s.price_unit,
            category: s.category,
            name: s.name,
            description: s.description,
            price_cents: s.price_cents,
            currency: s.currency,
            duration_minutes: s.duration_minutes,
            buffer_minutes: s.buffer_minutes,
            capacity: s.capacity,
            elderly_friendly: s.elderly_friendly,
            active: s.active,
            version: s.version,
            updated_at: s.updated_at,
        }
    }
}

/// Whether the caller may see the merchant's inactive services and unapproved merchant.
fn insider(conn: &mut PgConnection, merchant_id: Uuid, id: Option<Identity>) -> AppResult<bool> {
    Ok(match id {
        Some(i) if i.role == PlatformRole::Operator => true,
        Some(i) => access::role_of(conn, merchant_id, i.user_id)?.is_some(),
        None => false,
    })
}

/// A merchant's services: active ones of approved merchants for everyone; all of them for its
/// members and operators.
#[utoipa::path(get, path = "/api/v1/merchants/{id}/services", security((), ("bearer" = [])), tag = "catalog",
    params(("id" = Uuid, Path), PageParams),
    responses((status = 200, body = Page<ServiceResponse>), (status = 404, body = Problem)))]
pub async fn list_services(
    id: Option<Identity>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    page: Query<PageParams>,
) -> AppResult<web::Json<Page<ServiceResponse>>> {
    let merchant_id = path.into_inner();
    let limit = page.limit()?;
    let after = page.cursor::<(DateTime<Utc>, Uuid)>()?;
    let rows = db::run(&state.pool, move |conn| {
        let insider = insider(conn, merchant_id, id)?;
        let status = models::merchant_status(conn, merchant_id)?;
        if !insider && status != "approved" {
            return Err(AppError::NotFound);
        }
        Ok(models::list_for_merchant(
            conn,
            merchant_id,
            !insider,
            after,
            limit + 1,
        )?)
    })
    .await?;
    Ok(web::Json(
        Page::from_rows(rows, limit, |s| (s.created_at, s.id)).map(Into::into),
    ))
}

/// A new service.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateServiceRequest {
    #[schema(example = "housekeeping")]
    pub category: String,
    pub fulfilment: Fulfilment,
    #[schema(example = "日常保洁 3 小时")]
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[schema(example = 15000)]
    pub price_cents: i64,
    pub price_unit: PriceUnit,
    /// Required for home visits and in-store reservations.
    pub duration_minutes: Option<i32>,
    #[serde(default)]
    pub buffer_minutes: i32,
    /// Seats per slot; in-store reservations only.
    pub capacity: Option<i32>,
    #[serde(default)]
    pub elderly_friendly: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn yes() -> bool {
    true
}

/// Adds a service to the merchant's catalog (owner or manager).
#[utoipa::path(post, path = "/api/v1/merchants/{id}/services", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = CreateServiceRequest,
    responses((status = 201, body = ServiceResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn create_service(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<CreateServiceRequest>,
) -> AppResult<(web::Json<ServiceResponse>, StatusCode)> {
    let merchant_id = path.into_inner();
    let r = body.into_inner();
    let input = ServiceInput {
        category: r.category,
        fulfilment: r.fulfilment,
        name: r.name,
        description: r.description,
        price_cents: r.price_cents,
        price_unit: r.price_unit,
        duration_minutes: r.duration_minutes,
        buffer_minutes: r.buffer_minutes,
        capacity: r.capacity,
        elderly_friendly: r.elderly_friendly,
        active: r.active,
    };
    let service = db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        let categories = merchants::categories(conn, merchant_id)?;
        let fields = input.parse(&categories)?;
        Ok(models::insert(conn, merchant_id, &fields)?)
    })
    .await?;
    Ok((web::Json(service.into()), StatusCode::CREATED))
}

/// A service: visible to everyone while active and its merchant approved; always to the
/// merchant's members and to operators. The route (`GET /services/{id}`) is assembled in
/// `app::pages`, which adds the booking policy.
pub fn service_page(
    conn: &mut PgConnection,
    id: Option<Identity>,
    service_id: Uuid,
) -> AppResult<ServiceResponse> {
    let service = models::find(conn, service_id)?;
    let public =
        service.active && models::merchant_status(conn, service.merchant_id)? == "approved";
    if !public && !insider(conn, service.merchant_id, id)? {
        return Err(AppError::NotFound);
    }
    Ok(service.into())
}

/// An edit of a service; `null` clears duration or capacity.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateServiceRequest {
    pub category: Option<String>,
    pub fulfilment: Option<Fulfilment>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub price_unit: Option<PriceUnit>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub duration_minutes: Option<Option<i32>>,
    pub buffer_minutes: Option<i32>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<i32>)]
    pub capacity: Option<Option<i32>>,
    pub elderly_friendly: Option<bool>,
    pub active: Option<bool>,
}

/// Edits a service (owner or manager). A new price applies to new bookings and orders only:
/// those already made keep the price they copied, and the change is kept in the price history.
#[utoipa::path(patch, path = "/api/v1/services/{id}", tag = "catalog", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateServiceRequest,
    responses((status = 200, body = ServiceResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_service(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<UpdateServiceRequest>,
) -> AppResult<web::Json<ServiceResponse>> {
    let service_id = path.into_inner();
    let edit = body.into_inner();
    let service = db::tx(&state.pool, move |conn| {
        let current = models::find_for_update(conn, service_id)?;
        access::require(conn, current.merchant_id, id.user_id, MemberRole::Manager)?;
        let input = ServiceInput {
            category: edit.category.unwrap_or_else(|| current.category.clone()),
            fulfilment: edit.fulfilment.unwrap_or(current.fulfilment),
            name: edit.name.unwrap_or_else(|| current.name.clone()),
            description: edit
                .description
                .unwrap_or_else(|| current.description.clone()),
            price_cents: edit.price_cents.unwrap_or(current.price_cents),
            price_unit: edit.price_unit.unwrap_or(current.price_unit),
            duration_minutes: edit.duration_minutes.unwrap_or(current.duration_minutes),
            buffer_minutes: edit.buffer_minutes.unwrap_or(current.buffer_minutes),
            capacity: edit.capacity.unwrap_or(current.capacity),
            elderly_friendly: edit.elderly_friendly.unwrap_or(current.elderly_friendly),
            active: edit.active.unwrap_or(current.active),
        };
        let categories = merchants::categories(conn, current.merchant_id)?;
        let fields = input.parse(&categories)?;
        if fields.price_cents != Some(current.price_cents) {
            let new_price = fields.price_cents.unwrap_or(current.price_cents);
            models::record_price_change(
                conn,
                service_id,
                current.price_cents,
                new_price,
                id.user_id,
            )?;
        }
        Ok(models::update(conn, service_id, &fields)?)
    })
    .await?;
    Ok(web::Json(service.into()))
}
