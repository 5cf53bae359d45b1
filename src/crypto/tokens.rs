//! Access tokens (HS256 JWTs, 15 minutes) and opaque refresh tokens.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::Config;
use crate::error::{codes, AppError, AppResult};

/// A platform-wide role. Everyone is a consumer; operators are platform staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformRole {
    Consumer,
    Operator,
}

impl PlatformRole {
    /// The value stored in `users.platform_role`.
    pub fn as_str(self) -> &'static str {
        match self {
            PlatformRole::Consumer => "consumer",
            PlatformRole::Operator => "operator",
        }
    }

    /// Parses the stored value; anything unknown is the least privileged role.
    pub fn from_db(value: &str) -> Self {
        match value {
            "operator" => PlatformRole::Operator,
            _ => PlatformRole::Consumer,
        }
    }
}

/// The claims of an access token; all are required.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub iss: String,
    pub aud: String,
    /// The user id.
    pub sub: Uuid,
    pub role: PlatformRole,
    /// The account's token generation when it was issued (see `auth::generation`).
    pub gen: i32,
    pub iat: i64,
    pub exp: i64,
}

/// Signs and checks access tokens with one pinned algorithm.
pub struct JwtKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    issuer: String,
    audience: String,
    ttl: Duration,
}

impl JwtKeys {
    pub fn new(config: &Config) -> Self {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[&config.jwt_issuer]);
        validation.set_audience(&[&config.jwt_audience]);
        validation.set_required_spec_claims(&["exp", "iat", "iss", "aud", "sub"]);
        validation.leeway = 30;
        Self {
            encoding: EncodingKey::from_secret(config.jwt_secret.expose().as_bytes()),
            decoding: DecodingKey::from_secret(config.jwt_secret.expose().as_bytes()),
            validation,
            issuer: config.jwt_issuer.clone(),
            audience: config.jwt_audience.clone(),
            ttl: config.access_token_ttl,
        }
    }

    /// Lifetime of an access token in seconds.
    pub fn ttl_secs(&self) -> u64 {
        self.ttl.as_secs()
    }

    /// A signed access token for `user_id`.
    pub fn issue(&self, user_id: Uuid, role: PlatformRole, generation: i32) -> AppResult<String> {
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            iss: self.issuer.clone(),
            aud: self.audience.clone(),
            sub: user_id,
            role,
            gen: generation,
            iat: now,
            exp: now + i64::try_from(self.ttl.as_secs()).unwrap_or(900),
        };
        jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| AppError::internal_in("signing a token", e))
    }

    /// The claims of a valid token; any defect is 401 `invalid_token`.
    pub fn verify(&self, token: &str) -> AppResult<Claims> {
        jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation)
            .map(|data| data.claims)
            .map_err(|e| {
                let detail = match e.kind() {
                    jsonwebtoken::errors::ErrorKind::ExpiredSignature => {
                        "The access token has expired."
                    }
                    _ => "The access token is not valid.",
                };
                AppError::Unauthorized(codes::INVALID_TOKEN, detail.into())
            })
    }
}

/// A new opaque token (refresh, email verification, password reset): 32 random bytes, base64url.
pub fn new_opaque_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// SHA-256 of an opaque token: only this is stored.
pub fn hash_opaque_token(token: &str) -> Vec<u8> {
    Sha256::digest(token.as_bytes()).to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> JwtKeys {
        JwtKeys::new(&Config::for_tests("postgres://x@y/z"))
    }

    #[test]
    fn an_issued_token_verifies() {
        let keys = keys();
        let id = Uuid::new_v4();
        let claims = keys
            .verify(&keys.issue(id, PlatformRole::Operator, 0).unwrap())
            .unwrap();
        assert_eq!(claims.sub, id);
        assert_eq!(claims.role, PlatformRole::Operator);
    }

    #[test]
    fn a_token_for_another_audience_is_refused() {
        let mut config = Config::for_tests("postgres://x@y/z");
        config.jwt_audience = "someone-else".into();
        let token = JwtKeys::new(&config)
            .issue(Uuid::new_v4(), PlatformRole::Consumer, 0)
            .unwrap();
        assert_eq!(keys().verify(&token).unwrap_err().code(), "invalid_token");
    }

    #[test]
    fn refresh_tokens_are_random_and_hashed() {
        let (a, b) = (new_opaque_token(), new_opaque_token());
        assert_ne!(a, b);
        assert_eq!(hash_opaque_token(&a).len(), 32);
        assert_eq!(hash_opaque_token(&a), hash_opaque_token(&a));
    }
}
