//! The OpenAPI 3 document: every route's annotations gathered in one list, served at
//! `/api/openapi.json` with a Swagger UI (its assets are vendored, so it works offline) at
//! `/api/docs/`. Assembly: the one place that names every feature's handlers for the document.

use utoipa::OpenApi;

use crate::error::{FieldError, Problem};
use crate::http::openapi::{BearerAuth, ProblemResponses};
use crate::{
    accounts, app, booking, catalog, credit, http, merchants, messages, moderation, orders,
    reviews, uploads,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "lifemarket API", version = "1",
        description = "Online/offline life services: catering, housekeeping, laundry and repair. \
            Conventions and error codes: docs/api.md."),
    paths(
        http::health::healthz, http::health::readyz,
        accounts::routes::register, accounts::routes::get_me, accounts::routes::update_me,
        accounts::routes::change_password,
        accounts::signin::login, accounts::signin::refresh, accounts::signin::logout,
        accounts::signin::logout_everywhere,
        merchants::routes::apply, merchants::routes::my_merchants, app::pages::get_merchant,
        merchants::routes::update_merchant, merchants::routes::submit_merchant,
        merchants::team::list_members, merchants::team::add_member, merchants::team::remove_member,
        merchants::team::list_workers, merchants::team::add_worker, merchants::team::update_worker,
        merchants::admin::list_merchants, merchants::admin::approve, merchants::admin::reject,
        merchants::admin::suspend, merchants::admin::reinstate,
        catalog::routes::list_categories, catalog::routes::list_services, catalog::routes::create_service,
        app::pages::get_service, catalog::routes::update_service, catalog::discovery::search,
        moderation::routes::list_audit_log,
        booking::availability::list_slots, booking::create::create_booking, booking::routes::my_bookings,
        booking::routes::get_booking, booking::routes::merchant_bookings, booking::routes::my_assignments,
        booking::actions::confirm, booking::actions::decline, booking::actions::cancel,
        booking::actions::reschedule_booking, booking::actions::check_in, booking::actions::complete,
        booking::actions::no_show, booking::schedule::get_schedule, booking::schedule::put_schedule,
        booking::schedule::get_settings, booking::schedule::put_settings,
        accounts::addresses::list_addresses, accounts::addresses::add_address, accounts::addresses::delete_address,
        orders::place::place_order, orders::routes::my_orders, orders::routes::get_order, orders::routes::merchant_orders,
        orders::routes::my_deliveries, orders::actions::accept, orders::actions::reject, orders::actions::cancel,
        orders::actions::ready, orders::actions::pick_up, orders::actions::deliver, orders::actions::fail,
        orders::actions::return_order, orders::actions::confirm_receipt, orders::actions::schedule_pickup,
        orders::actions::pickup_fail, orders::actions::requote, orders::actions::approve_quote,
        orders::actions::decline_quote, orders::actions::process, orders::actions::send_back,
        orders::courier::assign_courier, orders::safety::add_safety_check, orders::refunds::refund,
        orders::settings::get_settings, orders::settings::put_settings,
        reviews::routes::create_review, reviews::routes::edit_review, reviews::routes::get_review, reviews::list::list_reviews,
        reviews::feedback::reply, reviews::feedback::report, reviews::feedback::helpful,
        moderation::decisions::appeal, moderation::queue::queue, moderation::decisions::decide,
        moderation::decisions::decide_appeal, credit::get_credit, credit::add_penalty,
        accounts::consent::get_consents, accounts::consent::put_consents, app::personal_data::export,
        app::personal_data::delete_me, accounts::recovery::verify_email, accounts::recovery::request_reset,
        accounts::recovery::confirm_reset, accounts::admin::read_user,
        uploads::routes::create_upload, uploads::routes::get_upload, uploads::routes::download,
        messages::routes::list_booking_messages, messages::routes::post_booking_message,
        messages::routes::list_order_messages, messages::routes::post_order_message,
    ),
    components(schemas(Problem, FieldError, catalog::discovery::Sort, reviews::list::ReviewSort)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags((name = "health"), (name = "auth"), (name = "accounts"), (name = "merchants"), (name = "catalog"),
        (name = "discovery"), (name = "booking"), (name = "orders"), (name = "reviews"), (name = "credit"), (name = "privacy"), (name = "admin"), (name = "moderation"), (name = "uploads"), (name = "messages")),
)]
pub struct ApiDoc;

/// The document as pretty-printed JSON, for `lifemarket openapi`.
pub fn document_json() -> String {
    ApiDoc::openapi()
        .to_pretty_json()
        .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
}

/// The Swagger UI and the document it shows.
pub fn swagger_ui() -> utoipa_swagger_ui::SwaggerUi {
    utoipa_swagger_ui::SwaggerUi::new("/api/docs/{_:.*}")
        .url("/api/openapi.json", ApiDoc::openapi())
}
