//! The OpenAPI 3 document, generated from the handlers' annotations, served at
//! `/api/openapi.json`, with a Swagger UI (its assets are vendored, so it works offline) at
//! `/api/docs/`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use crate::error::{FieldError, Problem};
use crate::{
    accounts, auth, booking, catalog, credit, http, merchants, moderation, orders, reviews,
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
        auth::routes::login, auth::routes::refresh, auth::routes::logout,
        merchants::routes::apply, merchants::routes::my_merchants, merchants::routes::get_merchant,
        merchants::routes::update_merchant, merchants::routes::submit_merchant,
        merchants::team::list_members, merchants::team::add_member, merchants::team::remove_member,
        merchants::team::list_workers, merchants::team::add_worker, merchants::team::update_worker,
        merchants::admin::list_merchants, merchants::admin::approve, merchants::admin::reject,
        merchants::admin::suspend, merchants::admin::reinstate,
        catalog::routes::list_categories, catalog::routes::list_services, catalog::routes::create_service,
        catalog::routes::get_service, catalog::routes::update_service, catalog::discovery::search,
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
        orders::extras::assign_courier, orders::extras::add_safety_check, orders::extras::refund,
        orders::extras::get_settings, orders::extras::put_settings,
        reviews::routes::create_review, reviews::routes::edit_review, reviews::routes::get_review, reviews::list::list_reviews,
        reviews::feedback::reply, reviews::feedback::report, reviews::feedback::helpful,
        moderation::decisions::appeal, moderation::queue::queue, moderation::decisions::decide,
        moderation::decisions::decide_appeal, credit::get_credit, credit::add_penalty,
        accounts::consent::get_consents, accounts::consent::put_consents, accounts::erasure::export,
        accounts::erasure::delete_me, accounts::recovery::verify_email, accounts::recovery::request_reset,
        accounts::recovery::confirm_reset, accounts::admin::read_user,
    ),
    components(schemas(Problem, FieldError, catalog::discovery::Sort, reviews::list::ReviewSort)),
    modifiers(&BearerAuth, &ProblemResponses),
    tags((name = "health"), (name = "auth"), (name = "accounts"), (name = "merchants"), (name = "catalog"),
        (name = "discovery"), (name = "booking"), (name = "orders"), (name = "reviews"), (name = "credit"), (name = "privacy"), (name = "admin"), (name = "moderation")),
)]
pub struct ApiDoc;

/// `string`, or `string`/`null` for an optional field: the type of the hand-built string schemas
/// (`Text`, `Phone`, `Email`) that state a field's rule in the document.
pub fn string_type(nullable: bool) -> utoipa::openapi::schema::SchemaType {
    use utoipa::openapi::schema::{SchemaType, Type};
    if nullable {
        SchemaType::from_iter([Type::String, Type::Null])
    } else {
        SchemaType::new(Type::String)
    }
}

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
    }
}

/// Every error answer is `application/problem+json` with the `Problem` schema, and every
/// operation documents the errors any route can give (bad body, too large, not JSON, validation,
/// rate limit, database unavailable, internal error; 401/403 where a token is needed; 404 where
/// the path names a resource), so the document matches what the service really answers.
struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |description: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(description)
                    .content(
                        "application/problem+json",
                        ContentBuilder::new()
                            .schema(Some(Ref::from_schema_name("Problem")))
                            .build(),
                    )
                    .build(),
            )
        };
        for (path, item) in openapi.paths.paths.iter_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for op in operations.into_iter().flatten() {
                for (code, response) in op.responses.responses.iter_mut() {
                    if let (true, RefOr::T(r)) =
                        (code.starts_with('4') || code.starts_with('5'), response)
                    {
                        if let Some(body) = r.content.shift_remove("application/json") {
                            r.content
                                .insert("application/problem+json".to_owned(), body);
                        }
                    }
                }
                let mut common = vec![
                    ("400", "Malformed request (malformed_json, malformed_body)"),
                    ("413", "Body too large (payload_too_large)"),
                    ("415", "Body not JSON (unsupported_media_type)"),
                    ("422", "Invalid input, naming the field (validation_failed)"),
                    ("429", "Too many attempts (rate_limited), with Retry-After"),
                    ("500", "Internal error (internal_error)"),
                    (
                        "503",
                        "Database unavailable (database_unavailable), with Retry-After",
                    ),
                ];
                if op.security.is_some() {
                    common.push((
                        "401",
                        "Missing or invalid token (unauthorized, invalid_token)",
                    ));
                    common.push(("403", "The caller's role may not do this (forbidden)"));
                }
                if path.contains('{') {
                    common.push(("404", "No such resource, or not the caller's (not_found)"));
                }
                for (code, description) in common {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(description));
                }
            }
        }
    }
}

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
