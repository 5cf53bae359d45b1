//! The catalog: service categories, merchants' services and prices, discovery and search.
//! Owns the `categories`, `services`, `service_price_changes` and `search_terms` tables.

pub mod discovery;
pub mod merchant_page;
pub mod models;
pub mod routes;
pub mod rules;
pub mod search;
pub mod search_query;
pub mod suggest;

pub use merchant_page::merchant_page;
pub use models::{find, Service};
pub use routes::{service_page, ServiceResponse};

use crate::http::Endpoint;

/// Mounts the service routes. `/merchants` (discovery), `/merchants/{id}` and `/services/{id}`
/// are shared with other features and mounted by `app::configure`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/categories").get(routes::list_categories))
        .service(Endpoint::new("/search").get(search::search))
        .service(Endpoint::new("/search/suggest").get(suggest::suggest))
        .service(
            Endpoint::new("/merchants/{id}/services")
                .get(routes::list_services)
                .post(routes::create_service),
        );
}
