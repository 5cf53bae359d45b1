//! HTTP plumbing shared by every feature: the JSON extractor, endpoints with 405, pagination,
//! idempotency keys, rate limits, client addresses, request ids, metrics, health, CORS,
//! OpenAPI, and the routing of lag-tolerant reads to replicas.

mod client;
pub mod cors;
mod endpoint;
pub mod health;
pub mod idempotency;
mod json;
pub mod metrics;
pub mod openapi;
pub mod pagination;
mod query;
pub mod rate_limit;
pub mod reads;
pub mod request_id;

pub use client::client_addr;
pub use endpoint::Endpoint;
pub use idempotency::IdempotencyKey;
pub use json::{declared_length, nullable, parse as parse_json, read_limited, Json};
pub use pagination::{Page, PageParams};
pub use query::Query;
pub use reads::Reads;

use actix_web::{error::PathError, web, HttpRequest};

use crate::error::AppError;

/// A path segment that does not parse (an id that is not a UUID) names no resource: 404.
pub fn path_config() -> web::PathConfig {
    web::PathConfig::default()
        .error_handler(|_: PathError, _: &HttpRequest| AppError::NotFound.into())
}

/// The answer for paths no route matches.
pub async fn not_found() -> Result<actix_web::HttpResponse, AppError> {
    Err(AppError::NotFound)
}
