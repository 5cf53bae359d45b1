//! Sign-in endpoints: login, refresh, logout (accounts own the users they sign in).

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::accounts::{self, UserResponse};
use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::{client_addr, rate_limit, Json};
use crate::state::AppState;

use super::session::{self, Rotation, Session};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "consumer@demo.lifemarket.local")]
    pub email: String,
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

/// Tokens for a signed-in client.
#[derive(Debug, Serialize, ToSchema)]
pub struct TokenResponse {
    /// HS256 JWT for `Authorization: Bearer`.
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
    /// Opaque; single use: each refresh returns a new one.
    pub refresh_token: String,
    pub user: UserResponse,
}

impl From<Session> for TokenResponse {
    fn from(s: Session) -> Self {
        Self {
            access_token: s.access_token,
            token_type: "Bearer",
            expires_in: s.expires_in,
            refresh_token: s.refresh_token,
            user: s.user.into(),
        }
    }
}

fn invalid_credentials() -> AppError {
    AppError::Unauthorized(
        codes::INVALID_CREDENTIALS,
        "The email or password is wrong.".into(),
    )
}

/// Signs in with email and password. Limited per account and per client address; an unknown
/// email and a wrong password get the same answer in the same time.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "auth", security(), request_body = LoginRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "invalid_credentials"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn login(
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<LoginRequest>,
) -> AppResult<web::Json<TokenResponse>> {
    let LoginRequest { email, password } = body.into_inner();
    let user = authenticate(&req, &state, &email, password).await?;
    let keys = state.keys.clone();
    let ttl = state.config.refresh_token_ttl;
    let session = db::tx(&state.pool, move |conn| {
        session::start(conn, &keys, ttl, user)
    })
    .await?;
    Ok(web::Json(session.into()))
}

/// The account whose email and password these are (401 `invalid_credentials` otherwise), with
/// the login limits per account and per client address; the API's login and the pages' sign-in
/// both check passwords here.
pub async fn authenticate(
    req: &HttpRequest,
    state: &AppState,
    email: &str,
    password: String,
) -> AppResult<accounts::User> {
    let email = email.trim().to_lowercase();
    let address = client_addr(req, &state.config.trusted_proxies);
    let limits = (
        state.config.login_limit_per_account,
        state.config.login_limit_per_address,
    );
    let lookup = email.clone();
    let user = db::run(&state.pool, move |conn| {
        rate_limit::hit(conn, "login:account", &lookup, limits.0)?;
        rate_limit::hit(conn, "login:address", &address, limits.1)?;
        Ok(accounts::find_by_email(conn, &lookup)?)
    })
    .await?;
    let hash = user.as_ref().map(|u| u.password_hash.clone());
    if !state.passwords.verify_blocking(password, hash).await? {
        return Err(invalid_credentials());
    }
    user.ok_or_else(invalid_credentials)
}

/// Exchanges a refresh token for a new access token and a new refresh token. Replaying a spent
/// refresh token revokes every token of that sign-in.
#[utoipa::path(post, path = "/api/v1/auth/refresh", tag = "auth", security(), request_body = RefreshRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, body = Problem, description = "refresh_token_invalid or refresh_token_reused")))]
pub async fn refresh(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<web::Json<TokenResponse>> {
    let presented = body.into_inner().refresh_token;
    let keys = state.keys.clone();
    let ttl = state.config.refresh_token_ttl;
    let rotation = db::tx(&state.pool, move |conn| {
        session::rotate(conn, &keys, ttl, &presented)
    })
    .await?;
    match rotation {
        Rotation::Rotated(session) => Ok(web::Json((*session).into())),
        Rotation::Reused => Err(AppError::Unauthorized(
            codes::REFRESH_TOKEN_REUSED,
            "This refresh token was already used; the session has been signed out.".into(),
        )),
        Rotation::Invalid => Err(AppError::Unauthorized(
            codes::REFRESH_TOKEN_INVALID,
            "The refresh token is unknown, expired or revoked.".into(),
        )),
    }
}

/// Ends the session the refresh token belongs to. Always 204, even for an unknown token.
#[utoipa::path(post, path = "/api/v1/auth/logout", tag = "auth", security(), request_body = RefreshRequest,
    responses((status = 204, description = "signed out"), (status = 422, body = Problem)))]
pub async fn logout(
    state: web::Data<AppState>,
    body: Json<RefreshRequest>,
) -> AppResult<HttpResponse> {
    let presented = body.into_inner().refresh_token;
    db::tx(&state.pool, move |conn| session::end(conn, &presented)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Signs the caller out everywhere: every access token of the account is refused from its next
/// request on and every refresh token is revoked.
#[utoipa::path(post, path = "/api/v1/auth/logout-everywhere", tag = "auth", security(("bearer" = [])),
    responses((status = 204, description = "every session ended"), (status = 401, body = Problem)))]
pub async fn logout_everywhere(
    id: Identity,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    db::tx(&state.pool, move |conn| {
        crate::auth::revoke_all_for_user(conn, id.user_id)?;
        Ok(())
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
