//! Email verification and password reset through single-use, hashed, expiring tokens sent by
//! email. A reset request answers the same whether or not the email is registered, and a
//! completed reset signs out every session.

use actix_web::{http::StatusCode, web, HttpRequest};
use chrono::{Duration, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::crypto::{hash_opaque_token, new_opaque_token};
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::{client_addr, rate_limit, Json};
use crate::jobs::outbox;
use crate::schema::account_tokens;
use crate::state::AppState;

use super::models::{self, UserChanges};
use super::rules::NewPassword;

pub const VERIFY: &str = "verify_email";
pub const RESET: &str = "reset_password";

/// Issues a token for `purpose`, valid for `ttl`; returns the token to put in the email.
pub fn issue(
    conn: &mut PgConnection,
    user_id: Uuid,
    purpose: &str,
    ttl: Duration,
) -> QueryResult<String> {
    let token = new_opaque_token();
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::id.eq(Uuid::now_v7()),
            account_tokens::user_id.eq(user_id),
            account_tokens::purpose.eq(purpose),
            account_tokens::token_hash.eq(hash_opaque_token(&token)),
            account_tokens::expires_at.eq(Utc::now() + ttl),
        ))
        .execute(conn)?;
    Ok(token)
}

/// Spends a live token of `purpose`; `None` if unknown, used or expired.
pub fn consume(conn: &mut PgConnection, token: &str, purpose: &str) -> QueryResult<Option<Uuid>> {
    diesel::update(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(hash_opaque_token(token)))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null())
            .filter(account_tokens::expires_at.gt(Utc::now())),
    )
    .set(account_tokens::used_at.eq(Utc::now()))
    .returning(account_tokens::user_id)
    .get_result(conn)
    .optional()
}

fn token_invalid() -> AppError {
    AppError::Validation(
        codes::TOKEN_INVALID,
        vec![crate::error::FieldError::new(
            "token",
            "is unknown, used or expired",
        )],
    )
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatusResponse {
    pub status: &'static str,
}

/// Confirms the email address with the token from the welcome email.
#[utoipa::path(post, path = "/api/v1/auth/verify-email", tag = "privacy", security(), request_body = TokenRequest,
    responses((status = 200, body = StatusResponse), (status = 422, body = Problem, description = "token_invalid")))]
pub async fn verify_email(
    state: web::Data<AppState>,
    body: Json<TokenRequest>,
) -> AppResult<web::Json<StatusResponse>> {
    verify(&state, body.into_inner().token).await?;
    Ok(web::Json(StatusResponse { status: "verified" }))
}

/// Spends a verification token and marks its account's email verified (the JSON route and the
/// page of the link in the welcome email).
pub(super) async fn verify(state: &AppState, token: String) -> AppResult<()> {
    db::tx(&state.pool, move |conn| {
        let user = consume(conn, &token, VERIFY)?.ok_or_else(token_invalid)?;
        models::update(
            conn,
            user,
            UserChanges {
                email_verified_at: Some(Some(Utc::now())),
                ..Default::default()
            },
        )?;
        Ok(())
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetRequest {
    #[schema(schema_with = crate::fields::Email::schema)]
    pub email: String,
}

/// Sends a reset link if the email is registered. Always 202 with the same body.
#[utoipa::path(post, path = "/api/v1/auth/password-reset", tag = "privacy", operation_id = "request_password_reset", security(), request_body = ResetRequest,
    responses((status = 202, body = StatusResponse), (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn request_reset(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<ResetRequest>,
) -> AppResult<(web::Json<StatusResponse>, StatusCode)> {
    // A malformed address is 422 (that reveals nothing about who is registered).
    let email = crate::fields::Email::parse("email", &body.into_inner().email)?
        .as_str()
        .to_owned();
    let address = client_addr(&req, &state.config.trusted_proxies);
    let limits = (
        state.config.login_limit_per_account,
        state.config.login_limit_per_address,
    );
    let app_url = state.config.public_url.clone();
    db::tx(&state.pool, move |conn| {
        rate_limit::hit(conn, "reset:account", &email, limits.0)?;
        rate_limit::hit(conn, "reset:address", &address, limits.1)?;
        if let Some(user) = super::find_by_email(conn, &email)?.filter(|u| u.deleted_at.is_none()) {
            let token = issue(conn, user.id, RESET, Duration::hours(1))?;
            outbox::enqueue(
                conn,
                &super::emails::password_reset(&user, &app_url, &token),
            )?;
        }
        Ok(())
    })
    .await?;
    Ok((
        web::Json(StatusResponse {
            status: "if the email is registered, a reset link is on its way",
        }),
        StatusCode::ACCEPTED,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResetConfirmRequest {
    #[schema(min_length = 1, max_length = 200)]
    pub token: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Sets a new password with the token from the reset email; every session is signed out.
#[utoipa::path(post, path = "/api/v1/auth/password-reset/confirm", tag = "privacy", operation_id = "confirm_password_reset", security(), request_body = ResetConfirmRequest,
    responses((status = 200, body = StatusResponse), (status = 422, body = Problem, description = "token_invalid, validation_failed")))]
pub async fn confirm_reset(
    state: web::Data<AppState>,
    body: Json<ResetConfirmRequest>,
) -> AppResult<web::Json<StatusResponse>> {
    let req = body.into_inner();
    reset(&state, req.token, req.new_password).await?;
    Ok(web::Json(StatusResponse {
        status: "password_changed",
    }))
}

/// Spends a reset token: the new password is set and every session of the account signed out
/// (the JSON route and the page of the link in the reset email).
pub(super) async fn reset(state: &AppState, token: String, new_password: String) -> AppResult<()> {
    let password = NewPassword::parse("new_password", new_password)?;
    let hash = state.passwords.hash_blocking(password.expose()).await?;
    db::tx(&state.pool, move |conn| {
        let user = consume(conn, &token, RESET)?.ok_or_else(token_invalid)?;
        models::update(
            conn,
            user,
            UserChanges {
                password_hash: Some(hash),
                ..Default::default()
            },
        )?;
        crate::auth::revoke_all_for_user(conn, user)?;
        Ok(())
    })
    .await
}
