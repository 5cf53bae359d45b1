//! The person's rights over their data, composed here at the top because they span every
//! feature: `GET /me/export` (everything held about them, in one JSON document) and `DELETE /me` (direct identifiers erased; bookings and orders kept for the
//! legally required time but pseudonymised; reviews stay, as a deleted user's).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts::addresses::{self, Address};
use crate::accounts::consent::{self, Consent};
use crate::accounts::{self, UserResponse};
use crate::aftersales::AfterSalesResponse;
use crate::auth::Identity;
use crate::booking::BookingResponse;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Json;
use crate::jobs::outbox;
use crate::messages::ExportedMessage;
use crate::orders::OrderResponse;
use crate::reviews::{ExportedReport, ExportedReview};
use crate::state::AppState;
use crate::uploads::ExportedUpload;
use crate::{aftersales, auth, booking, http, merchants, messages, orders, reviews, uploads};

/// Everything the platform holds about the caller.
#[derive(Debug, Serialize, ToSchema)]
pub struct Export {
    pub generated_at: DateTime<Utc>,
    pub profile: UserResponse,
    pub consents: Vec<Consent>,
    pub addresses: Vec<Address>,
    pub bookings: Vec<BookingResponse>,
    pub orders: Vec<OrderResponse>,
    pub reviews: Vec<ExportedReview>,
    pub reports: Vec<ExportedReport>,
    /// The after-sales requests the caller made.
    pub after_sales: Vec<AfterSalesResponse>,
    /// Merchants the caller is a member of, with the role: `[merchant id, role]` pairs.
    #[schema(schema_with = membership_pairs)]
    pub memberships: Vec<(Uuid, String)>,
    /// The files the caller uploaded (`GET /uploads/{id}` serves each).
    pub uploads: Vec<ExportedUpload>,
    /// The messages the caller wrote to the parties of bookings and orders.
    pub messages: Vec<ExportedMessage>,
    /// The caller's payments with their refunds (kept after an account is deleted: they are
    /// accounting records; they hold no personal data beyond the account id).
    pub payments: Vec<crate::payments::routes::PaymentResponse>,
}

/// `[[merchant id, role]]`: pairs of strings, stated without a tuple schema (`prefixItems`,
/// `items: false`), which client generators do not read.
fn membership_pairs() -> utoipa::openapi::Array {
    use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
    let pair = ArrayBuilder::new()
        .items(ObjectBuilder::new().schema_type(Type::String))
        .min_items(Some(2))
        .max_items(Some(2))
        .description(Some(
            "The merchant's id (a UUID), then the role: owner, manager or staff",
        ))
        .examples([serde_json::json!([
            "019a4f5e-2b1c-7d3e-8f90-123456789abc",
            "owner"
        ])]);
    ArrayBuilder::new().items(pair).build()
}

/// Everything the platform holds about the caller, as one JSON document.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "privacy", operation_id = "export_personal_data", security(("bearer" = [])),
    responses((status = 200, body = Export), (status = 401, body = Problem)))]
pub async fn export(id: Identity, state: web::Data<AppState>) -> AppResult<web::Json<Export>> {
    let me = id.user_id;
    let export = db::run(&state.pool, move |conn| {
        Ok(Export {
            generated_at: Utc::now(),
            profile: accounts::find(conn, me)?.into(),
            consents: consent::history(conn, me)?,
            addresses: addresses::of_user(conn, me)?,
            bookings: booking::export_for(conn, me)?,
            orders: orders::export_for(conn, me)?,
            reviews: reviews::export_for(conn, me)?,
            reports: reviews::reports_for(conn, me)?,
            after_sales: aftersales::export_for(conn, me)?,
            memberships: merchants::export_for(conn, me)?,
            uploads: uploads::export_for(conn, me)?,
            messages: messages::export_for(conn, me)?,
            payments: crate::payments::export_for(conn, me)?,
        })
    })
    .await?;
    Ok(web::Json(export))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteAccountRequest {
    /// The current password, to confirm.
    #[schema(max_length = 1024)]
    pub password: String,
}

/// Refuses while something is still under way.
fn check_deletable(conn: &mut PgConnection, me: Uuid) -> AppResult<()> {
    booking::check_erasable(conn, me)?;
    orders::check_erasable(conn, me)?;
    merchants::check_erasable(conn, me)
}

/// Erases what identifies the person, keeping pseudonymous records that others rely on: each
/// owner erases its part, the account last (its email finds the mail addressed to it).
fn erase(conn: &mut PgConnection, me: Uuid, email: &str) -> AppResult<()> {
    outbox::forget_user(conn, me, email)?;
    auth::forget_user(conn, me)?;
    http::idempotency::forget_user(conn, me)?;
    merchants::erase_for(conn, me)?;
    booking::erase_for(conn, me)?;
    orders::erase_for(conn, me)?;
    aftersales::erase_for(conn, me)?;
    messages::erase_for(conn, me)?;
    uploads::erase_for(conn, me)?;
    accounts::erase_for(conn, me)?;
    Ok(())
}

/// Deletes the caller's account: needs the password; refused while bookings or orders are
/// active or while the caller owns a merchant.
#[utoipa::path(delete, path = "/api/v1/me", tag = "privacy", security(("bearer" = [])),
    request_body = DeleteAccountRequest,
    responses((status = 204), (status = 401, body = Problem),
        (status = 409, body = Problem, description = "active_bookings, active_orders, owns_merchant"),
        (status = 422, body = Problem, description = "wrong password")))]
pub async fn delete_me(
    id: Identity,
    state: web::Data<AppState>,
    body: Json<DeleteAccountRequest>,
) -> AppResult<HttpResponse> {
    let password = body.into_inner().password;
    let me = id.user_id;
    let user = db::run(&state.pool, move |conn| Ok(accounts::find(conn, me)?)).await?;
    if user.deleted_at.is_some() {
        return Err(AppError::NotFound);
    }
    if !state
        .passwords
        .verify_blocking(password, Some(user.password_hash))
        .await?
    {
        return Err(AppError::wrong_password("password"));
    }
    db::tx(&state.pool, move |conn| {
        check_deletable(conn, me)?;
        erase(conn, me, &user.email)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
