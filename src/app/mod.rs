//! Assembly, the top layer: mounts every feature's routes, lists them in the OpenAPI document,
//! registers the job kinds and builds the application. Nothing below imports it.

pub mod console;
mod jobs;
pub mod openapi;
pub mod pages;
pub mod personal_data;
pub mod portal;
pub mod site;
pub mod streams;
mod uploads;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::{middleware, web, App};

use crate::config::Config;
use crate::error::AppResult;
use crate::state::AppState;
use crate::{
    accounts, booking, catalog, credit, http, merchants, messages, moderation, orders, reviews,
};

/// The state of a process: the configuration and every feature's job kinds.
pub fn state(config: Config) -> AppResult<AppState> {
    AppState::new(config, jobs::registry())
}

/// Mounts every feature's routes under the API scope (`/api/v1`).
pub fn configure(cfg: &mut web::ServiceConfig) {
    accounts::configure(cfg);
    crate::uploads::configure(cfg);
    // `/me` is shared: the profile is accounts', its deletion spans every feature.
    cfg.service(
        http::Endpoint::new("/me")
            .get(accounts::routes::get_me)
            .patch(accounts::routes::update_me)
            .delete(personal_data::delete_me),
    )
    .service(http::Endpoint::new("/me/export").get(personal_data::export))
    .service(http::Endpoint::new("/me/events").get(streams::my_events))
    .service(http::Endpoint::new("/merchants/{id}/events").get(streams::merchant_events));
    // `/merchants`, `/merchants/{id}` and `/services/{id}` are shared: applying and editing are
    // merchants' and the catalog's, the search is the catalog's, and the pages join the catalog
    // with the booking policy (`pages`).
    cfg.service(
        http::Endpoint::new("/merchants")
            .post(merchants::routes::apply)
            .get(catalog::discovery::search),
    )
    .service(
        http::Endpoint::new("/merchants/{id}")
            .get(pages::get_merchant)
            .patch(merchants::routes::update_merchant),
    )
    .service(
        http::Endpoint::new("/services/{id}")
            .get(pages::get_service)
            .patch(catalog::routes::update_service),
    );
    merchants::configure(cfg);
    catalog::configure(cfg);
    booking::configure(cfg);
    orders::configure(cfg);
    crate::payments::configure(cfg);
    messages::configure(cfg);
    reviews::configure(cfg);
    crate::aftersales::configure(cfg);
    credit::configure(cfg);
    moderation::configure(cfg);
    crate::settlement::configure(cfg);
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
    let cors = http::cors::cors(&state.config);
    App::new()
        .app_data(web::Data::new(state))
        .app_data(web::Data::new(uploads::access()))
        .app_data(http::path_config())
        .wrap(cors)
        .wrap(middleware::from_fn(
            http::cors::refused_preflight_as_problem,
        ))
        .wrap(middleware::from_fn(http::reads::remember_writers))
        .wrap(middleware::from_fn(http::metrics::record))
        .wrap(middleware::from_fn(http::request_id::echo))
        .wrap(tracing_actix_web::TracingLogger::default())
        .service(http::Endpoint::new("/healthz").get(http::health::healthz))
        .service(http::Endpoint::new("/readyz").get(http::health::readyz))
        .service(http::Endpoint::new("/metrics").get(http::metrics::metrics_endpoint))
        .service(openapi::swagger_ui())
        .service(web::scope("/api/v1").configure(configure))
        .configure(accounts::pages::configure)
        .configure(site::configure)
        .configure(console::configure)
        .configure(portal::configure)
        .default_service(web::to(http::not_found))
}
