//! Authentication: password hashing, access and refresh tokens, sign-in sessions, the
//! `Identity` extractor and role checks. Owns the `refresh_tokens` table.

mod identity;
pub mod models;
pub mod routes;
pub mod session;

pub use crate::crypto::PlatformRole;
pub use identity::Identity;
pub use models::{revoke_all_for_user, sweep_expired};
pub use routes::TokenResponse;

use crate::http::Endpoint;

/// Mounts `/auth/login`, `/auth/refresh` and `/auth/logout`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/auth/login").post(routes::login))
        .service(Endpoint::new("/auth/refresh").post(routes::refresh))
        .service(Endpoint::new("/auth/logout").post(routes::logout));
}
