//! Accounts: users, registration, the caller's own profile and address book. Owns the `users`
//! and `addresses` tables.

pub mod addresses;
mod emails;
pub mod models;
pub mod routes;
pub mod rules;

pub use models::{find, find_by_email, NewUser, User};
pub use routes::UserResponse;

use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::PgConnection;

use crate::error::{AppError, AppResult};
use crate::http::Endpoint;

/// Mounts `/auth/register`, `/me`, `/me/password` and `/me/addresses`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/auth/register").post(routes::register))
        .service(
            Endpoint::new("/me")
                .get(routes::get_me)
                .patch(routes::update_me),
        )
        .service(Endpoint::new("/me/password").post(routes::change_password))
        .service(
            Endpoint::new("/me/addresses")
                .get(addresses::list_addresses)
                .post(addresses::add_address),
        )
        .service(Endpoint::new("/me/addresses/{id}").delete(addresses::delete_address));
}

/// Inserts an account; an email already registered is 409 `email_taken`.
pub fn create(conn: &mut PgConnection, user: &NewUser<'_>) -> AppResult<User> {
    models::insert(conn, user).map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, ref info)
            if info.constraint_name() == Some("users_email_key") =>
        {
            AppError::Conflict(
                "email_taken",
                "An account with this email already exists.".into(),
            )
        }
        other => other.into(),
    })
}
