//! The consumer's address book: `GET|POST /me/addresses`, `DELETE /me/addresses/{id}`. Orders
//! snapshot the address they were delivered to, so editing or deleting one never changes an
//! order.

use actix_web::{http::StatusCode, web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, FieldError, Problem};
use crate::fields::{coordinates, text, Fields, Phone, Text};
use crate::http::Json;
use crate::schema::addresses;

/// At most this many saved addresses per account.
pub const MAX_ADDRESSES: i64 = 20;

/// A saved address.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, Serialize, ToSchema)]
#[diesel(table_name = addresses, check_for_backend(diesel::pg::Pg))]
pub struct Address {
    pub id: Uuid,
    #[serde(skip)]
    pub user_id: Uuid,
    #[schema(example = "家")]
    pub label: Option<String>,
    #[schema(example = "王小明")]
    pub recipient_name: String,
    #[schema(example = "13812345678")]
    pub phone: String,
    #[schema(example = "重庆市渝中区解放碑步行街88号3栋1201")]
    pub text: String,
    pub lat: f64,
    pub lng: f64,
    /// Where to leave a contactless delivery, e.g. "门口鞋柜".
    pub drop_point_note: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A new address.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddressRequest {
    #[schema(schema_with = Text::<1, 20>::nullable)]
    pub label: Option<String>,
    #[schema(schema_with = Text::<1, 50>::schema)]
    pub recipient_name: String,
    #[schema(schema_with = Phone::schema)]
    pub phone: String,
    #[schema(schema_with = Text::<4, 200>::schema)]
    pub text: String,
    #[schema(minimum = -90, maximum = 90)]
    pub lat: f64,
    #[schema(minimum = -180, maximum = 180)]
    pub lng: f64,
    #[schema(schema_with = Text::<1, 100>::nullable)]
    pub drop_point_note: Option<String>,
}

impl AddressRequest {
    /// Checks every field (names prefixed with `prefix`, e.g. `address.`).
    pub fn parse(self, prefix: &str, user_id: Uuid) -> Result<Address, Vec<FieldError>> {
        let mut f = Fields::default();
        let name = |field: &str| format!("{prefix}{field}");
        let label = self
            .label
            .and_then(|l| f.check(text(&name("label"), &l, 1, 20)));
        let recipient_name = f.check(text(&name("recipient_name"), &self.recipient_name, 1, 50));
        let phone = f.check(Phone::parse(&name("phone"), &self.phone));
        let street = f.check(text(&name("text"), &self.text, 4, 200));
        if let Err(e) = coordinates(self.lat, self.lng) {
            f.check::<()>(Err(FieldError::new(name(&e.field), e.message)));
        }
        let drop = self
            .drop_point_note
            .and_then(|d| f.check(text(&name("drop_point_note"), &d, 1, 100)));
        f.finish()?;
        Ok(Address {
            id: Uuid::now_v7(),
            user_id,
            label,
            recipient_name: recipient_name.unwrap_or_default(),
            phone: phone.map(Phone::into_inner).unwrap_or_default(),
            text: street.unwrap_or_default(),
            lat: self.lat,
            lng: self.lng,
            drop_point_note: drop,
            created_at: Utc::now(),
        })
    }
}

/// One of the user's addresses (404 for anyone else's).
pub fn find(conn: &mut PgConnection, user_id: Uuid, id: Uuid) -> QueryResult<Address> {
    addresses::table
        .filter(addresses::id.eq(id))
        .filter(addresses::user_id.eq(user_id))
        .select(Address::as_select())
        .first(conn)
}

/// The user's saved addresses, oldest first.
pub fn of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<Address>> {
    addresses::table
        .filter(addresses::user_id.eq(user_id))
        .select(Address::as_select())
        .order((addresses::created_at, addresses::id))
        .load(conn)
}

/// The caller's addresses, oldest first.
#[utoipa::path(get, path = "/api/v1/me/addresses", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = Vec<Address>), (status = 401, body = Problem)))]
pub async fn list_addresses(
    id: Identity,
    state: web::Data<AppState>,
) -> AppResult<web::Json<Vec<Address>>> {
    let list = db::run(&state.pool, move |conn| Ok(of_user(conn, id.user_id)?)).await?;
    Ok(web::Json(list))
}

/// Saves an address (at most 20).
#[utoipa::path(post, path = "/api/v1/me/addresses", tag = "accounts", security(("bearer" = [])),
    request_body = AddressRequest,
    responses((status = 201, body = Address), (status = 409, body = Problem, description = "too_many_addresses"),
        (status = 422, body = Problem)))]
pub async fn add_address(
    id: Identity,
    state: web::Data<AppState>,
    body: Json<AddressRequest>,
) -> AppResult<(web::Json<Address>, StatusCode)> {
    let address = body.into_inner().parse("", id.user_id)?;
    let saved = db::tx(&state.pool, move |conn| {
        // Serialises this user's concurrent additions, so the limit holds.
        crate::schema::users::table
            .find(id.user_id)
            .select(crate::schema::users::id)
            .for_update()
            .first::<Uuid>(conn)?;
        let count: i64 = addresses::table
            .filter(addresses::user_id.eq(id.user_id))
            .count()
            .get_result(conn)?;
        if count >= MAX_ADDRESSES {
            return Err(AppError::Conflict(
                codes::TOO_MANY_ADDRESSES,
                format!("At most {MAX_ADDRESSES} addresses."),
            ));
        }
        Ok(diesel::insert_into(addresses::table)
            .values(&address)
            .returning(Address::as_returning())
            .get_result(conn)?)
    })
    .await?;
    Ok((web::Json(saved), StatusCode::CREATED))
}

/// Deletes one of the caller's addresses.
#[utoipa::path(delete, path = "/api/v1/me/addresses/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 204), (status = 404, body = Problem)))]
pub async fn delete_address(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<HttpResponse> {
    let address_id = path.into_inner();
    let deleted = db::tx(&state.pool, move |conn| {
        Ok(diesel::delete(
            addresses::table
                .filter(addresses::id.eq(address_id))
                .filter(addresses::user_id.eq(id.user_id)),
        )
        .execute(conn)?)
    })
    .await?;
    match deleted {
        0 => Err(AppError::NotFound),
        _ => Ok(HttpResponse::NoContent().finish()),
    }
}

use crate::state::AppState;
