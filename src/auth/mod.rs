//! Authentication: password hashing, access and refresh tokens, sign-in sessions, the
//! `Identity` extractor and role checks. Owns the `refresh_tokens` table.

mod identity;
pub mod models;
mod password;
pub mod routes;
pub mod session;
mod tokens;

pub use identity::{Identity, PlatformRole};
pub use password::Passwords;
pub use routes::TokenResponse;
pub use tokens::{hash_opaque_token, new_opaque_token, Claims, JwtKeys};

use crate::http::Endpoint;

/// Mounts `/auth/login`, `/auth/refresh` and `/auth/logout`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/auth/login").post(routes::login))
        .service(Endpoint::new("/auth/refresh").post(routes::refresh))
        .service(Endpoint::new("/auth/logout").post(routes::logout));
}
