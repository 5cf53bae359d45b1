//! `Idempotency-Key` for POSTs that create bookings, orders, reviews and payment-like records.
//!
//! The key is stored per user with a digest of the request and the response, in the same
//! transaction as the record it created. The same key with the same request replays the stored
//! response; with another request it is 422 `idempotency_key_reused`; while the first request
//! is still running (its transaction holds an advisory lock on the key) it is 409
//! `idempotency_in_flight`. If the first request fails, nothing is stored and a retry runs anew.
//! Keys live 24 hours.

use std::future::{ready, Ready};

use actix_web::http::StatusCode;
use actix_web::{body::BoxBody, dev::Payload, FromRequest, HttpRequest, HttpResponse, Responder};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};
use serde::Serialize;
use uuid::Uuid;

use crate::error::{codes, AppError, AppResult};
use crate::schema::idempotency_keys;

pub const HEADER: &str = "Idempotency-Key";
const TTL_HOURS: i64 = 24;

/// A client-chosen key: 1 to 255 visible ASCII characters (a UUID is typical).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyKey(String);

impl IdempotencyKey {
    pub fn parse(raw: &str) -> AppResult<Self> {
        let ok = !raw.is_empty() && raw.len() <= 255 && raw.bytes().all(|b| b.is_ascii_graphic());
        if ok {
            Ok(Self(raw.to_owned()))
        } else {
            Err(AppError::invalid(
                HEADER,
                "must be 1 to 255 visible ASCII characters",
            ))
        }
    }
}

/// Extracts a required key: a missing header is 422 `idempotency_key_required`.
/// Use `Option<IdempotencyKey>` where the key is optional.
impl FromRequest for IdempotencyKey {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(match req.headers().get(HEADER) {
            None => Err(AppError::Validation(
                codes::IDEMPOTENCY_KEY_REQUIRED,
                vec![crate::error::FieldError::new(
                    HEADER,
                    "is required for this request",
                )],
            )),
            Some(value) => value
                .to_str()
                .map_err(|_| AppError::invalid(HEADER, "must be visible ASCII"))
                .and_then(IdempotencyKey::parse),
        })
    }
}

/// The response of an idempotent request: fresh, or replayed from the first one.
#[derive(Debug)]
pub struct Stored {
    pub status: StatusCode,
    pub body: serde_json::Value,
    pub replayed: bool,
}

impl Responder for Stored {
    type Body = BoxBody;

    fn respond_to(self, _: &HttpRequest) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if self.replayed {
            response.insert_header(("Idempotent-Replayed", "true"));
        }
        response.json(self.body)
    }
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = idempotency_keys, check_for_backend(diesel::pg::Pg))]
struct KeyRow {
    request_hash: Vec<u8>,
    response_status: i16,
    response_body: serde_json::Value,
    created_at: DateTime<Utc>,
}

#[derive(QueryableByName)]
struct Locked {
    #[diesel(sql_type = Bool)]
    locked: bool,
}

/// Runs `create` at most once per (user, key), inside the caller's transaction. `request` is the
/// digest of what was asked (method, path and body); `create` returns the status and body of a
/// first response.
pub fn once<T: Serialize>(
    conn: &mut PgConnection,
    user_id: Uuid,
    key: &IdempotencyKey,
    request: &[u8],
    create: impl FnOnce(&mut PgConnection) -> AppResult<(StatusCode, T)>,
) -> AppResult<Stored> {
    let lock: Locked =
        diesel::sql_query("SELECT pg_try_advisory_xact_lock(hashtextextended($1, 0)) AS locked")
            .bind::<Text, _>(format!("idempotency:{user_id}:{}", key.0))
            .get_result(conn)?;
    if !lock.locked {
        return Err(AppError::Conflict(
            codes::IDEMPOTENCY_IN_FLIGHT,
            "A request with this Idempotency-Key is still being processed.".into(),
        ));
    }
    let existing = idempotency_keys::table
        .find((user_id, &key.0))
        .select(KeyRow::as_select())
        .first(conn)
        .optional()?
        .filter(|row| row.created_at > Utc::now() - chrono::Duration::hours(TTL_HOURS));
    if let Some(row) = existing {
        if row.request_hash != request {
            return Err(AppError::Validation(
                codes::IDEMPOTENCY_KEY_REUSED,
                vec![crate::error::FieldError::new(
                    HEADER,
                    "was already used for a different request",
                )],
            ));
        }
        let status = u16::try_from(row.response_status)
            .ok()
            .and_then(|s| StatusCode::from_u16(s).ok())
            .unwrap_or(StatusCode::OK);
        return Ok(Stored {
            status,
            body: row.response_body,
            replayed: true,
        });
    }
    let (status, response) = create(conn)?;
    let body = serde_json::to_value(response).map_err(AppError::internal)?;
    let row = (
        idempotency_keys::user_id.eq(user_id),
        idempotency_keys::key.eq(&key.0),
        idempotency_keys::request_hash.eq(request),
        idempotency_keys::response_status.eq(i16::try_from(status.as_u16()).unwrap_or(200)),
        idempotency_keys::response_body.eq(&body),
        idempotency_keys::created_at.eq(Utc::now()),
    );
    diesel::insert_into(idempotency_keys::table)
        .values(row)
        .on_conflict((idempotency_keys::user_id, idempotency_keys::key))
        .do_update()
        .set(row)
        .execute(conn)?;
    Ok(Stored {
        status,
        body,
        replayed: false,
    })
}

/// The digest `once` compares: method, path and the body's canonical digest.
pub fn request_digest(req: &HttpRequest, body_digest: &[u8; 32]) -> Vec<u8> {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    hasher.update(req.method().as_str());
    hasher.update(b" ");
    hasher.update(req.path());
    hasher.update(body_digest);
    hasher.finalize().to_vec()
}

/// Deletes every stored response of the account (its erasure).
pub fn forget_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<usize> {
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::user_id.eq(user_id)))
        .execute(conn)
}

/// Deletes keys older than 24 hours.
pub fn sweep(conn: &mut PgConnection) -> QueryResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::hours(TTL_HOURS);
    diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(cutoff)))
        .execute(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert!(IdempotencyKey::parse("0f8fad5b-d9cb-469f-a165-70867728950e").is_ok());
        assert!(IdempotencyKey::parse("").is_err());
        assert!(IdempotencyKey::parse("has space").is_err());
        assert!(IdempotencyKey::parse(&"k".repeat(256)).is_err());
    }
}
