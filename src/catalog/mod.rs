//! The catalog: service categories, merchants' services and prices, and discovery.
//! Owns the `categories`, `services` and `service_price_changes` tables.

pub mod discovery;
pub mod merchant_page;
pub mod models;
pub mod routes;
pub mod rules;

pub use merchant_page::merchant_page;
pub use models::{find, Service};
pub use routes::{service_page, ServiceResponse};

use crate::http::Endpoint;

/// Mounts the service routes. `/merchants` (discovery), `/merchants/{id}` and `/services/{id}`
/// are shared with other features and mounted by `app::configure`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/categories").get(routes::list_categories))
        .service(
            Endpoint::new("/merchants/{id}/services")
                .get(routes::list_services)
                .post(routes::create_service),
        );
}
