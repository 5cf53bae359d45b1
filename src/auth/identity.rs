//! Who is calling: the `Identity` extractor, built from a verified bearer token, and role checks.
//!
//! The platform role (`consumer`, `operator`) travels in the token. Merchant abilities come from
//! membership of a merchant and are checked against the database inside each query, so a new or
//! removed membership counts at once.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use uuid::Uuid;

use crate::crypto::PlatformRole;
use crate::db;
use crate::error::{codes, AppError};
use crate::state::AppState;

/// The authenticated caller.
#[derive(Debug, Clone, Copy)]
pub struct Identity {
    pub user_id: Uuid,
    pub role: PlatformRole,
}

impl Identity {
    /// 403 unless the caller is a platform operator.
    pub fn require_operator(&self) -> Result<(), AppError> {
        match self.role {
            PlatformRole::Operator => Ok(()),
            PlatformRole::Consumer => Err(AppError::Forbidden(
                codes::FORBIDDEN,
                "Only platform operators may do this.".into(),
            )),
        }
    }
}

fn bearer_token(req: &HttpRequest) -> Result<&str, AppError> {
    let missing =
        || AppError::Unauthorized(codes::UNAUTHORIZED, "A bearer token is required.".into());
    let value = req
        .headers()
        .get(header::AUTHORIZATION)
        .ok_or_else(missing)?
        .to_str()
        .map_err(|_| missing())?;
    match value.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(missing()),
    }
}

impl FromRequest for Identity {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    /// Verifies the token in memory, then checks in one indexed read that the account has not
    /// ended its sessions since the token was issued (a password change or reset, sign-out
    /// everywhere, deletion), so such a token is refused at once, not when it expires.
    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let verified = (|| {
            let state = req
                .app_data::<web::Data<AppState>>()
                .ok_or_else(|| AppError::internal("AppState is not registered"))?
                .clone();
            let claims = state.keys.verify(bearer_token(req)?)?;
            Ok::<_, AppError>((state, claims))
        })();
        Box::pin(async move {
            let (state, claims) = verified?;
            let user = claims.sub;
            let current =
                db::run(&state.pool, move |conn| Ok(super::generation(conn, user)?)).await?;
            if current != claims.gen {
                return Err(AppError::Unauthorized(
                    codes::INVALID_TOKEN,
                    "This session has ended; sign in again.".into(),
                ));
            }
            Ok(Identity {
                user_id: claims.sub,
                role: claims.role,
            })
        })
    }
}
