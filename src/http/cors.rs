//! CORS for browser apps on other origins: the origins in `CORS_ALLOWED_ORIGINS` may call every
//! method the API has with the headers it reads (`Authorization`, `Content-Type`,
//! `Idempotency-Key`, ...) and read the headers it answers with. Access is by bearer token, never
//! by cookie, so credentials are not allowed. A request from another origin is served as usual
//! but without CORS headers, so the browser keeps the answer from the page; a preflight from it
//! (or for a method or header the API does not take) is 403 `forbidden`.

use actix_cors::Cors;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::ResponseError;

use crate::config::Config;
use crate::error::{codes, AppError};

/// How long a browser may cache a preflight's answer, in seconds.
const PREFLIGHT_MAX_AGE: usize = 3600;

/// The CORS middleware for the configured origins (none: no cross-origin access).
pub fn cors(config: &Config) -> Cors {
    let cors = config
        .cors_allowed_origins
        .iter()
        .fold(Cors::default(), |cors, origin| cors.allowed_origin(origin));
    cors.allowed_methods([
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ])
    .allowed_headers([
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        header::ACCEPT,
        header::HeaderName::from_static("idempotency-key"),
    ])
    .expose_headers([
        header::HeaderName::from_static("x-request-id"),
        header::HeaderName::from_static("idempotent-replayed"),
        header::RETRY_AFTER,
        header::WWW_AUTHENTICATE,
        header::ALLOW,
    ])
    .max_age(PREFLIGHT_MAX_AGE)
}

/// actix-cors refuses a preflight with a plain-text 400; the API answers every error as
/// problem+json, so a refused preflight becomes 403 `forbidden`. Wraps `cors`.
pub async fn refused_preflight_as_problem(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let preflight = req.method() == Method::OPTIONS
        && req.headers().contains_key(header::ORIGIN)
        && req
            .headers()
            .contains_key(header::ACCESS_CONTROL_REQUEST_METHOD);
    let res = next.call(req).await?;
    if preflight && res.status() == StatusCode::BAD_REQUEST {
        let refusal = AppError::Forbidden(
            codes::FORBIDDEN,
            "This origin, method or header may not be used across origins.".into(),
        );
        let (req, _) = res.into_parts();
        return Ok(ServiceResponse::new(req, refusal.error_response()).map_into_right_body());
    }
    Ok(res.map_into_left_body())
}
