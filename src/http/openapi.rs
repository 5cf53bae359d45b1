//! OpenAPI helpers every feature's annotations use: the string types of the hand-built field
//! schemas, the bearer security scheme and the problem+json error answers. The document itself,
//! which names every feature's handlers, is assembled in `app::openapi`.

use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::Modify;

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

/// The `bearer` security scheme (the access JWT).
pub struct BearerAuth;

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

/// What an answer with this status means, for the answers an annotation gives no description:
/// the generic problem answers every route can give, and the plain meaning of a success.
fn default_description(code: &str) -> &'static str {
    match code {
        "200" => "OK",
        "201" => "Created",
        "202" => "Accepted",
        "204" => "Done; no body",
        "400" => "Malformed request (malformed_json, malformed_body)",
        "401" => "Missing or invalid token (unauthorized, invalid_token)",
        "403" => "The caller's role may not do this (forbidden)",
        "404" => "No such resource, or not the caller's (not_found)",
        "409" => "Conflicts with the current state",
        "413" => "Body too large (payload_too_large)",
        "415" => "Body not JSON (unsupported_media_type)",
        "422" => "Invalid input, naming the field (validation_failed)",
        "429" => "Too many attempts (rate_limited), with Retry-After",
        "500" => "Internal error (internal_error)",
        "503" => "Database unavailable (database_unavailable), with Retry-After",
        _ => "See docs/api.md",
    }
}

/// Whether an annotation's description is only a list of error codes (`slot_taken, too_early`,
/// `refresh_token_invalid or refresh_token_reused`), which then follows the status's meaning.
fn is_code_list(description: &str) -> bool {
    !description.is_empty()
        && description
            .split([',', ' '])
            .filter(|word| !word.is_empty() && *word != "or")
            .all(|word| word.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
}

/// Whether an operation needs the bearer token: it declares security requirements and none of
/// them is the empty one (`{}`, anonymous access allowed).
pub fn requires_token(op: &utoipa::openapi::path::Operation) -> bool {
    op.security
        .as_ref()
        .is_some_and(|reqs| !reqs.is_empty() && reqs.iter().all(|r| r != &Default::default()))
}

/// Every error answer is `application/problem+json` with the `Problem` schema, and every
/// operation documents the errors any route can give (bad body, too large, not JSON, validation,
/// rate limit, database unavailable, internal error; 401/403 where a token is needed; 404 where
/// the path names a resource), so the document matches what the service really answers. Every
/// answer has a description: an annotation's own, or the status's meaning.
pub struct ProblemResponses;

impl Modify for ProblemResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
        let problem = |code: &str| {
            RefOr::T(
                ResponseBuilder::new()
                    .description(default_description(code))
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
            // The payment providers' notifications are answered in the providers' own
            // formats (`pay::answer`), documented by their handlers as they are.
            if path.starts_with("/api/v1/payments/notify/") {
                continue;
            }
            for op in operations.into_iter().flatten() {
                let mut common = vec!["400", "413", "415", "422", "429", "500", "503"];
                if requires_token(op) {
                    common.extend(["401", "403"]);
                }
                if path.contains('{') {
                    common.push("404");
                }
                for code in common {
                    op.responses
                        .responses
                        .entry(code.to_owned())
                        .or_insert_with(|| problem(code));
                }
                for (code, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(r) = response else { continue };
                    let error = code.starts_with('4') || code.starts_with('5');
                    if error {
                        if let Some(body) = r.content.shift_remove("application/json") {
                            r.content
                                .insert("application/problem+json".to_owned(), body);
                        }
                    }
                    if r.description.is_empty() {
                        r.description = default_description(code).to_owned();
                    } else if error && is_code_list(&r.description) {
                        let meaning = default_description(code);
                        let meaning = meaning.split(" (").next().unwrap_or(meaning);
                        r.description = format!("{meaning} ({})", r.description);
                    }
                }
            }
        }
    }
}

/// An empty POST body reads as `{}` (`http::Json`), so a POST whose JSON body schema requires no
/// property may be sent without one: its body is marked `required: false`. PUT and PATCH bodies
/// stay required (an empty one is 400), and so do bodies with a required property (422).
pub struct OptionalPostBodies;

impl Modify for OptionalPostBodies {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{schema::Schema, RefOr, Required};
        let schemas = openapi
            .components
            .as_ref()
            .map(|c| c.schemas.clone())
            .unwrap_or_default();
        let requires_nothing = |schema: &RefOr<Schema>| {
            let resolved = match schema {
                RefOr::Ref(r) => r
                    .ref_location
                    .rsplit('/')
                    .next()
                    .and_then(|name| schemas.get(name)),
                inline => Some(inline),
            };
            matches!(resolved, Some(RefOr::T(Schema::Object(o))) if o.required.is_empty())
        };
        for item in openapi.paths.paths.values_mut() {
            let Some(RefOr::T(body)) = item.post.as_mut().and_then(|op| op.request_body.as_mut())
            else {
                continue;
            };
            // Only a JSON body reads as `{}` when empty; raw bytes (an upload) never do.
            let optional = body.content.iter().all(|(media, content)| match content {
                RefOr::T(c) => {
                    media == "application/json" && c.schema.as_ref().is_some_and(requires_nothing)
                }
                RefOr::Ref(_) => false,
            });
            if optional {
                body.required = Some(Required::False);
            }
        }
    }
}
