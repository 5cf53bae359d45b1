//! Registration and the caller's own profile (`/me`).

use actix_web::{http::StatusCode, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Identity, PlatformRole};

use super::session;
use super::signin::TokenResponse;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::fields::Text;
use crate::http::{nullable, Json};
use crate::jobs::outbox;
use crate::state::AppState;

use super::models::{self, User, UserChanges};
use super::rules::{DisplayName, NewPassword};
use crate::fields::{Email, Fields, Phone};

/// The caller's own account, unmasked.
#[derive(Debug, Serialize, ToSchema)]
pub struct UserResponse {
    pub id: Uuid,
    pub email: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub platform_role: PlatformRole,
    pub email_verified: bool,
    pub created_at: DateTime<Utc>,
}

impl From<User> for UserResponse {
    fn from(u: User) -> Self {
        Self {
            id: u.id,
            platform_role: PlatformRole::from_db(&u.platform_role),
            email: u.email,
            display_name: u.display_name,
            phone: u.phone,
            email_verified: u.email_verified_at.is_some(),
            created_at: u.created_at,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    #[schema(example = "li.wei@example.cn")]
    #[schema(schema_with = Email::schema)]
    pub email: String,
    /// 8 to 128 characters.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    #[schema(example = "李伟")]
    #[schema(schema_with = Text::<1, 50>::schema)]
    pub display_name: String,
    /// Mainland mobile number.
    #[schema(example = "13812345678")]
    #[schema(schema_with = Phone::nullable)]
    pub phone: Option<String>,
    /// Accepts the terms and the privacy policy (their current versions); required.
    #[serde(default)]
    #[schema(schema_with = must_be_true, required = true)]
    pub accept_terms: bool,
    /// Optional: marketing email. Nothing depends on it; withdraw any time.
    #[serde(default)]
    pub marketing_emails: bool,
}

/// `accept_terms` in the document: required, and only `true` is accepted.
fn must_be_true() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::Boolean)
        .enum_values(Some([true]))
        .build()
}

/// Creates a consumer account, signs it in and sends a welcome email.
#[utoipa::path(post, path = "/api/v1/auth/register", tag = "accounts", security(), request_body = RegisterRequest,
    responses((status = 201, body = TokenResponse),
        (status = 409, body = Problem, description = "email_taken"),
        (status = 422, body = Problem, description = "validation_failed, naming each field")))]
pub async fn register(
    state: web::Data<AppState>,
    body: Json<RegisterRequest>,
) -> AppResult<(web::Json<TokenResponse>, StatusCode)> {
    let req = body.into_inner();
    let mut fields = Fields::default();
    let email = fields.check(Email::parse("email", &req.email));
    let password = fields.check(NewPassword::parse("password", req.password));
    let name = fields.check(DisplayName::parse("display_name", &req.display_name));
    let phone = req.phone.map(|p| fields.check(Phone::parse("phone", &p)));
    if !req.accept_terms {
        let refusal = crate::error::FieldError::new(
            "accept_terms",
            "the terms and privacy policy must be accepted",
        );
        fields.check::<()>(Err(refusal));
    }
    let marketing = req.marketing_emails;
    fields.finish()?;
    let (Some(email), Some(password), Some(name)) = (email, password, name) else {
        return Err(AppError::internal("field checks passed without values"));
    };
    let phone = phone.flatten();
    let hash = state.passwords.hash_blocking(password.expose()).await?;
    let (keys, ttl, app_url) = (
        state.keys.clone(),
        state.config.refresh_token_ttl,
        state.config.public_url.clone(),
    );
    let session = db::tx(&state.pool, move |conn| {
        let user = super::create(
            conn,
            &models::NewUser {
                id: Uuid::now_v7(),
                email: email.as_str(),
                password_hash: &hash,
                display_name: &name.into_inner(),
                phone: phone.map(Phone::into_inner).as_deref(),
                platform_role: PlatformRole::Consumer.as_str(),
            },
        )?;
        super::consent::record(conn, user.id, "terms", super::consent::TERMS_VERSION, true)?;
        super::consent::record(
            conn,
            user.id,
            "privacy_policy",
            super::consent::PRIVACY_VERSION,
            true,
        )?;
        super::consent::record(
            conn,
            user.id,
            "marketing_email",
            super::consent::MARKETING_VERSION,
            marketing,
        )?;
        let token = super::recovery::issue(
            conn,
            user.id,
            super::recovery::VERIFY,
            chrono::Duration::hours(48),
        )?;
        outbox::enqueue(conn, &super::emails::welcome(&user, &app_url, &token))?;
        session::start(conn, &keys, ttl, user)
    })
    .await?;
    Ok((web::Json(session.into()), StatusCode::CREATED))
}

/// The caller's profile.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    responses((status = 200, body = UserResponse), (status = 401, body = Problem)))]
pub async fn get_me(
    id: Identity,
    state: web::Data<AppState>,
) -> AppResult<web::Json<UserResponse>> {
    let user = db::run(&state.pool, move |conn| Ok(models::find(conn, id.user_id)?)).await?;
    Ok(web::Json(user.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateMeRequest {
    #[schema(schema_with = Text::<1, 50>::nullable)]
    pub display_name: Option<String>,
    /// A mainland mobile number, or `null` to remove it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    #[schema(schema_with = Phone::nullable)]
    pub phone: Option<Option<String>>,
}

/// Changes the caller's display name or phone.
#[utoipa::path(patch, path = "/api/v1/me", tag = "accounts", security(("bearer" = [])),
    request_body = UpdateMeRequest,
    responses((status = 200, body = UserResponse), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn update_me(
    id: Identity,
    state: web::Data<AppState>,
    body: Json<UpdateMeRequest>,
) -> AppResult<web::Json<UserResponse>> {
    let req = body.into_inner();
    let mut fields = Fields::default();
    let display_name = req
        .display_name
        .and_then(|n| fields.check(DisplayName::parse("display_name", &n)))
        .map(DisplayName::into_inner);
    let phone = req.phone.map(|p| {
        p.and_then(|p| fields.check(Phone::parse("phone", &p)))
            .map(Phone::into_inner)
    });
    fields.finish()?;
    let changes = UserChanges {
        display_name,
        phone,
        ..Default::default()
    };
    let user = db::tx(&state.pool, move |conn| {
        Ok(models::update(conn, id.user_id, changes)?)
    })
    .await?;
    Ok(web::Json(user.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePasswordRequest {
    #[schema(max_length = 1024)]
    pub current_password: String,
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Changes the caller's password, signs out every session and returns a fresh one.
#[utoipa::path(post, path = "/api/v1/me/password", tag = "accounts", security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses((status = 200, body = TokenResponse),
        (status = 401, body = Problem), (status = 422, body = Problem, description = "wrong current password or weak new one"),
        (status = 429, body = Problem)))]
pub async fn change_password(
    id: Identity,
    state: web::Data<AppState>,
    body: Json<ChangePasswordRequest>,
) -> AppResult<web::Json<TokenResponse>> {
    let req = body.into_inner();
    let new_password = NewPassword::parse("new_password", req.new_password)?;
    let limit = state.config.login_limit_per_account;
    let user = db::run(&state.pool, move |conn| {
        // Guessing the current password with a stolen access token is limited like login.
        crate::http::rate_limit::hit(conn, "password:account", &id.user_id.to_string(), limit)?;
        Ok(models::find(conn, id.user_id)?)
    })
    .await?;
    if !state
        .passwords
        .verify_blocking(req.current_password, Some(user.password_hash))
        .await?
    {
        return Err(AppError::wrong_password("current_password"));
    }
    let hash = state.passwords.hash_blocking(new_password.expose()).await?;
    let (keys, ttl) = (state.keys.clone(), state.config.refresh_token_ttl);
    let session = db::tx(&state.pool, move |conn| {
        let changes = UserChanges {
            password_hash: Some(hash),
            ..Default::default()
        };
        let user = models::update(conn, id.user_id, changes)?;
        crate::auth::revoke_all_for_user(conn, user.id)?;
        session::start(conn, &keys, ttl, user)
    })
    .await?;
    Ok(web::Json(session.into()))
}
