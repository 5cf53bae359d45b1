//! Accounts: users, registration, the caller's own profile and address book, consent, email
//! verification and password reset, export and deletion. Owns the `users`, `addresses`,
//! `consents`, `account_tokens` and `web_sessions` (the pages' cookie sessions) tables.

pub mod addresses;
pub mod admin;
pub mod consent;
mod emails;

pub mod models;
pub mod pages;
mod privacy;
pub mod recovery;
pub mod routes;
pub mod rules;
pub mod session;
pub mod signin;
pub mod web_session;

pub use models::{find, find_by_email, find_many, NewUser, User};
pub use privacy::erase_for;
pub use routes::UserResponse;
pub use signin::TokenResponse;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::PgConnection;

use crate::error::{codes, AppError, AppResult};
use crate::http::Endpoint;

/// Mounts registration, the caller's own profile, addresses, consents, export and deletion,
/// email verification and password reset, and the operators' audited read of a user.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/auth/register").post(routes::register))
        .service(Endpoint::new("/auth/login").post(signin::login))
        .service(Endpoint::new("/auth/refresh").post(signin::refresh))
        .service(Endpoint::new("/auth/logout").post(signin::logout))
        .service(Endpoint::new("/auth/logout-everywhere").post(signin::logout_everywhere))
        .service(Endpoint::new("/auth/verify-email").post(recovery::verify_email))
        .service(Endpoint::new("/auth/password-reset").post(recovery::request_reset))
        .service(Endpoint::new("/auth/password-reset/confirm").post(recovery::confirm_reset))
        .service(Endpoint::new("/me/password").post(routes::change_password))
        .service(
            Endpoint::new("/me/consents")
                .get(consent::get_consents)
                .put(consent::put_consents),
        )
        .service(
            Endpoint::new("/me/addresses")
                .get(addresses::list_addresses)
                .post(addresses::add_address),
        )
        .service(Endpoint::new("/me/addresses/{id}").delete(addresses::delete_address))
        .service(Endpoint::new("/admin/users/{id}").get(admin::read_user));
}

/// Inserts an account; an email already registered is 409 `email_taken`.
pub fn create(conn: &mut PgConnection, user: &NewUser<'_>) -> AppResult<User> {
    models::insert(conn, user).map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info)
            if info.constraint_name() == Some("users_email_key") =>
        {
            AppError::Conflict(
                codes::EMAIL_TAKEN,
                "An account with this email already exists.".into(),
            )
        }
        other => other.into(),
    })
}
