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

/// Every error answer is `application/problem+json` with the `Problem` schema, and every
/// operation documents the errors any route can give (bad body, too large, not JSON, validation,
/// rate limit, database unavailable, internal error; 401/403 where a token is needed; 404 where
/// the path names a resource), so the document matches what the service really answers.
pub struct ProblemResponses;

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
