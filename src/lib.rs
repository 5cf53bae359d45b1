//! lifemarket: the backend of an O2O marketplace for residential life services (catering,
//! housekeeping, laundry, repair). See `docs/architecture.md` for the layout.

pub mod accounts;
pub mod audit;
pub mod auth;
pub mod booking;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod credit;
pub mod crypto;
pub mod db;
pub mod error;
pub mod fields;
pub mod history;
pub mod http;
pub mod jobs;
pub mod merchants;
pub mod moderation;
pub mod orders;
pub mod reviews;
pub mod scale;
pub mod schema;
pub mod seed;
pub mod state;
pub mod telemetry;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{middleware, web, App};

pub use state::AppState;

/// Mounts every feature's routes under the API scope (`/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    accounts::configure(cfg);
    auth::configure(cfg);
    merchants::configure(cfg);
    catalog::configure(cfg);
    booking::configure(cfg);
    orders::configure(cfg);
    reviews::configure(cfg);
    credit::configure(cfg);
    moderation::configure(cfg);
}

/// The whole application: routes, extractor settings and middleware.
pub fn app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    App::new()
        .app_data(web::Data::new(state))
        .app_data(http::path_config())
        .wrap(middleware::from_fn(http::metrics::record))
        .wrap(middleware::from_fn(http::request_id::echo))
        .wrap(tracing_actix_web::TracingLogger::default())
        .service(http::Endpoint::new("/healthz").get(http::health::healthz))
        .service(http::Endpoint::new("/readyz").get(http::health::readyz))
        .service(http::Endpoint::new("/metrics").get(http::metrics::metrics_endpoint))
        .service(http::openapi::swagger_ui())
        .service(web::scope("/api/v1").configure(configure))
        .default_service(web::to(http::not_found))
}
