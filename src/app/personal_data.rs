//! The person's rights over their data, composed here at the top because they span every
//! feature: `GET /me/export` (everything held about them, in one JSON document) and `DELETE /me` (direct identifiers erased; bookings and orders kept for the
//! legally required time but pseudonymised; reviews stay, as a deleted user's).

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::booking::views::BookingResponse;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::Json;
use crate::orders::views::OrderResponse;
use crate::schema::{
    account_tokens, addresses, bookings, handoff_proofs, idempotency_keys, merchant_members,
    orders, outbox_emails, refresh_tokens, review_reports, reviews, users, workers,
};
use crate::state::AppState;

use crate::accounts::addresses::Address;
use crate::accounts::consent::{self, Consent};
use crate::accounts::{self, UserResponse};

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedReview {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub rating: i16,
    pub body: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ExportedReport {
    pub review_id: Uuid,
    pub reason: String,
    pub note: Option<String>,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

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
    /// Merchants the caller is a member of, with the role.
    pub memberships: Vec<(Uuid, String)>,
}

/// Everything the platform holds about the caller, as one JSON document.
#[utoipa::path(get, path = "/api/v1/me/export", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, body = Export), (status = 401, body = Problem)))]
pub async fn export(id: Identity, state: web::Data<AppState>) -> AppResult<web::Json<Export>> {
    let me = id.user_id;
    let export = db::run(&state.pool, move |conn| {
        let profile = accounts::find(conn, me)?;
        let addresses = addresses::table
            .filter(addresses::user_id.eq(me))
            .select(Address::as_select())
            .load(conn)?;
        let booking_rows = bookings::table
            .filter(bookings::consumer_id.eq(me))
            .select(crate::booking::models::Booking::as_select())
            .order(bookings::created_at)
            .load(conn)?;
        let order_rows = orders::table
            .filter(orders::consumer_id.eq(me))
            .select(crate::orders::models::Order::as_select())
            .order(orders::created_at)
            .load(conn)?;
        let mut orders_out = Vec::new();
        for o in order_rows {
            orders_out.push(crate::orders::detail(
                conn,
                o,
                crate::orders::rules::Actor::Consumer,
            )?);
        }
        let reviews_out = reviews::table
            .filter(reviews::author_id.eq(me))
            .select((
                reviews::id,
                reviews::merchant_id,
                reviews::rating,
                reviews::body,
                reviews::status,
                reviews::created_at,
            ))
            .load::<(Uuid, Uuid, i16, String, String, DateTime<Utc>)>(conn)?
            .into_iter()
            .map(
                |(id, merchant_id, rating, body, status, created_at)| ExportedReview {
                    id,
                    merchant_id,
                    rating,
                    body,
                    status,
                    created_at,
                },
            )
            .collect();
        let reports = review_reports::table
            .filter(review_reports::reporter_id.eq(me))
            .select((
                review_reports::review_id,
                review_reports::reason,
                review_reports::note,
                review_reports::status,
                review_reports::created_at,
            ))
            .load::<(Uuid, String, Option<String>, String, DateTime<Utc>)>(conn)?
            .into_iter()
            .map(
                |(review_id, reason, note, status, created_at)| ExportedReport {
                    review_id,
                    reason,
                    note,
                    status,
                    created_at,
                },
            )
            .collect();
        let memberships = merchant_members::table
            .filter(merchant_members::user_id.eq(me))
            .select((merchant_members::merchant_id, merchant_members::role))
            .load(conn)?;
        Ok(Export {
            generated_at: Utc::now(),
            profile: profile.into(),
            consents: consent::history(conn, me)?,
            addresses,
            bookings: booking_rows
                .into_iter()
                .map(|b| BookingResponse::new(b, crate::booking::rules::Actor::Consumer))
                .collect(),
            orders: orders_out,
            reviews: reviews_out,
            reports,
            memberships,
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

const DELETED_NAME: &str = "已注销用户";
const ERASED: &str = "已删除";

/// Refuses while something is still under way.
fn check_deletable(conn: &mut PgConnection, me: Uuid) -> AppResult<()> {
    let active_bookings: i64 = bookings::table
        .filter(bookings::consumer_id.eq(me))
        .filter(bookings::status.eq_any(["pending_confirmation", "confirmed", "in_service"]))
        .count()
        .get_result(conn)?;
    if active_bookings > 0 {
        return Err(AppError::Conflict(
            codes::ACTIVE_BOOKINGS,
            "Finish or cancel your bookings first.".into(),
        ));
    }
    let active_orders: i64 = orders::table
        .filter(orders::consumer_id.eq(me))
        .filter(orders::status.ne_all(["completed", "cancelled", "rejected", "returned"]))
        .count()
        .get_result(conn)?;
    if active_orders > 0 {
        return Err(AppError::Conflict(
            codes::ACTIVE_ORDERS,
            "Wait until your orders are completed first.".into(),
        ));
    }
    let owns: i64 = merchant_members::table
        .filter(merchant_members::user_id.eq(me))
        .filter(merchant_members::role.eq("owner"))
        .count()
        .get_result(conn)?;
    if owns > 0 {
        return Err(AppError::Conflict(
            codes::OWNS_MERCHANT,
            "Transfer or close your merchant first.".into(),
        ));
    }
    Ok(())
}

/// Erases what identifies the person, keeping pseudonymous records that others rely on.
fn erase(conn: &mut PgConnection, me: Uuid) -> QueryResult<()> {
    let email: String = users::table.find(me).select(users::email).first(conn)?;
    diesel::delete(
        outbox_emails::table.filter(
            outbox_emails::user_id
                .eq(me)
                .or(outbox_emails::recipient.eq(&email)),
        ),
    )
    .execute(conn)?;
    diesel::delete(addresses::table.filter(addresses::user_id.eq(me))).execute(conn)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(me))).execute(conn)?;
    diesel::delete(account_tokens::table.filter(account_tokens::user_id.eq(me))).execute(conn)?;
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(me)))
        .execute(conn)?;
    diesel::delete(merchant_members::table.filter(merchant_members::user_id.eq(me)))
        .execute(conn)?;
    diesel::update(workers::table.filter(workers::user_id.eq(me)))
        .set(workers::user_id.eq(None::<Uuid>))
        .execute(conn)?;
    diesel::update(bookings::table.filter(bookings::consumer_id.eq(me)))
        .set((
            bookings::address_text.eq(None::<String>),
            bookings::address_lat.eq(None::<f64>),
            bookings::address_lng.eq(None::<f64>),
            bookings::contact_name.eq(None::<String>),
            bookings::contact_phone.eq(None::<String>),
            bookings::note.eq(None::<String>),
        ))
        .execute(conn)?;
    let my_orders = orders::table
        .filter(orders::consumer_id.eq(me))
        .select(orders::id);
    diesel::update(handoff_proofs::table.filter(handoff_proofs::order_id.eq_any(my_orders)))
        .set((
            handoff_proofs::drop_point.eq(ERASED),
            handoff_proofs::photo_refs.eq(serde_json::json!(["erased"])),
        ))
        .execute(conn)?;
    diesel::update(orders::table.filter(orders::consumer_id.eq(me)))
        .set((
            orders::recipient_name.eq(ERASED),
            orders::recipient_phone.eq(ERASED),
            orders::address_text.eq(ERASED),
            orders::address_lat.eq(0.0),
            orders::address_lng.eq(0.0),
            orders::drop_point_note.eq(None::<String>),
            orders::note.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(users::table.find(me))
        .set((
            users::email.eq(format!("deleted-{}@deleted.invalid", me.simple())),
            users::display_name.eq(DELETED_NAME),
            users::phone.eq(None::<String>),
            users::password_hash.eq("!"),
            users::email_verified_at.eq(None::<DateTime<Utc>>),
            users::deleted_at.eq(Utc::now()),
            users::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
        .map(drop)
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
        erase(conn, me)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
