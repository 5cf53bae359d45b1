//! The OpenAPI 3 document: every route's annotations gathered in one list, served at
//! `/api/openapi.json` with a Swagger UI (its assets are vendored, so it works offline) at
//! `/api/docs/`. Assembly: the one place that names every feature's handlers for the document.

use utoipa::OpenApi;

use crate::error::{FieldError, Problem};
use crate::http::openapi::{BearerAuth, OptionalPostBodies, ProblemResponses};
use crate::{
    accounts, aftersales, app, booking, catalog, credit, http, merchants, messages, moderation,
    orders, payments, reviews, settlement, uploads,
};

#[derive(OpenApi)]
#[openapi(
    info(title = "lifemarket API", version = "1",
        description = "Online/offline life services: catering, housekeeping, laundry and repair. \
            Conventions and error codes: docs/api.md."),
    servers((url = "/", description = "The origin that serves this document; every path is absolute \
        (`/api/v1/...`), so a client's base URL is the bare origin, e.g. `https://api.example.cn`.")),
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
        app::pages::get_service, catalog::routes::update_service, catalog::discovery::search, catalog::search::search, catalog::suggest::suggest,
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
        aftersales::create::create_after_sales, aftersales::routes::get_after_sales,
        aftersales::routes::my_after_sales, aftersales::routes::merchant_after_sales,
        aftersales::routes::admin_after_sales, aftersales::actions::agree, aftersales::actions::offer,
        aftersales::actions::refuse, aftersales::actions::accept_offer, aftersales::actions::decline_offer,
        aftersales::actions::escalate, aftersales::actions::withdraw, aftersales::actions::decide,
        messages::routes::list_booking_messages, messages::routes::post_booking_message,
        messages::routes::list_order_messages, messages::routes::post_order_message,
        payments::routes::pay_order, payments::routes::pay_booking, payments::routes::get_payment,
        payments::routes::check_payment, payments::notify::wechat, payments::notify::alipay,
        payments::routes::list_notifications,
        app::streams::my_events, app::streams::merchant_events,
        settlement::routes::balance, settlement::routes::list_statements, settlement::routes::get_statement,
        settlement::routes::put_payout_account, settlement::routes::list_rates, settlement::routes::put_rate,
        settlement::routes::hold, settlement::routes::release, settlement::routes::list_payouts,
        settlement::routes::list_reconciliations, settlement::routes::get_reconciliation,
    ),
    components(schemas(Problem, FieldError, catalog::discovery::Sort, catalog::search_query::SearchSort, reviews::list::ReviewSort)),
    modifiers(&BearerAuth, &ProblemResponses, &OptionalPostBodies),
    tags((name = "health"), (name = "auth"), (name = "accounts"), (name = "merchants"), (name = "catalog"),
        (name = "discovery"), (name = "booking"), (name = "orders"), (name = "reviews"), (name = "credit"), (name = "privacy"), (name = "admin"), (name = "moderation"), (name = "uploads"), (name = "after-sales"), (name = "messages"), (name = "payments"), (name = "settlement"), (name = "events")),
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

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use utoipa::openapi::path::Operation;
    use utoipa::openapi::RefOr;
    use utoipa::OpenApi;

    use super::ApiDoc;

    /// Every operation of the document with its method and path.
    fn operations(doc: &utoipa::openapi::OpenApi) -> Vec<(String, &Operation)> {
        let mut all = Vec::new();
        for (path, item) in &doc.paths.paths {
            let methods = [
                ("GET", &item.get),
                ("PUT", &item.put),
                ("POST", &item.post),
                ("DELETE", &item.delete),
                ("PATCH", &item.patch),
                ("HEAD", &item.head),
                ("OPTIONS", &item.options),
                ("TRACE", &item.trace),
            ];
            for (method, op) in methods {
                if let Some(op) = op {
                    all.push((format!("{method} {path}"), op));
                }
            }
        }
        all
    }

    #[test]
    fn every_operation_has_its_own_operation_id() {
        let doc = ApiDoc::openapi();
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for (route, op) in operations(&doc) {
            let id = op.operation_id.clone().unwrap_or_default();
            assert!(
                !id.is_empty() && id.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                "{route}: operationId {id:?} is not snake_case"
            );
            if let Some(other) = seen.insert(id.clone(), route.clone()) {
                panic!("operationId {id} is used by {other} and by {route}");
            }
        }
        assert!(seen.len() > 90, "only {} operations", seen.len());
    }

    #[test]
    fn every_response_has_a_description() {
        let doc = ApiDoc::openapi();
        for (route, op) in operations(&doc) {
            for (status, response) in &op.responses.responses {
                match response {
                    RefOr::T(r) => assert!(
                        !r.description.trim().is_empty(),
                        "{route}: the {status} answer has no description"
                    ),
                    RefOr::Ref(r) => panic!("{route}: {status} is a $ref ({})", r.ref_location),
                }
            }
        }
    }

    #[test]
    fn every_operation_declares_its_security() {
        let doc = ApiDoc::openapi();
        let schemes = doc
            .components
            .as_ref()
            .map(|c| c.security_schemes.clone())
            .unwrap_or_default();
        for (route, op) in operations(&doc) {
            let declared = op.security.as_ref().unwrap_or_else(|| {
                panic!("{route} declares no security: security() when public, bearer when not")
            });
            let json = serde_json::to_value(declared).unwrap();
            for requirement in json.as_array().unwrap() {
                for scheme in requirement.as_object().unwrap().keys() {
                    assert!(
                        schemes.contains_key(scheme),
                        "{route}: unknown scheme {scheme}"
                    );
                }
            }
        }
    }

    /// Walks every schema of the document (as JSON) and calls `check` with its location.
    fn walk(value: &serde_json::Value, at: &str, check: &mut dyn FnMut(&str, &serde_json::Value)) {
        match value {
            serde_json::Value::Object(map) => {
                check(at, value);
                for (k, v) in map {
                    walk(v, &format!("{at}/{k}"), check);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    walk(v, &format!("{at}/{i}"), check);
                }
            }
            _ => {}
        }
    }

    #[test]
    fn schemas_say_what_they_hold() {
        // The audit log's before/after are free-form by design: each action records its own.
        let free_form = ["/properties/before", "/properties/after"];
        let doc = serde_json::to_value(ApiDoc::openapi()).unwrap();
        walk(&doc, "", &mut |at, schema| {
            let is_object = match schema.get("type") {
                Some(serde_json::Value::String(t)) => t == "object",
                Some(serde_json::Value::Array(ts)) => ts.iter().any(|t| t == "object"),
                _ => false,
            };
            let described =
                schema.get("properties").is_some() || schema.get("additionalProperties").is_some();
            let allowed = at.contains("AuditEntry") && free_form.iter().any(|f| at.ends_with(f));
            assert!(!is_object || described || allowed, "{at} is a bare object");
            // A tuple schema (`items: false` + `prefixItems`) stops openapi-python-client.
            assert!(
                schema.get("items") != Some(&serde_json::Value::Bool(false)),
                "{at}: items: false"
            );
        });
    }

    #[test]
    fn the_document_has_a_relative_server() {
        let doc = ApiDoc::openapi();
        let servers = doc.servers.unwrap_or_default();
        assert_eq!(servers.len(), 1);
        assert_eq!(servers[0].url, "/");
    }
}
