//! The one error type of the service and its rendering as `application/problem+json`.
//!
//! Every error carries a stable snake_case `code` (listed in `docs/api.md`); clients branch on
//! the code, never on the human-readable text. A 500 carries no internals: its cause is logged
//! once, here, with its whole `source()` chain, and the client sees only `internal_error`.
//!
//! The codes are listed once, in [`codes`]; `docs/api.md`'s table is checked against that list.

mod cause;
pub mod codes;
#[cfg(test)]
mod source_scan;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;
use utoipa::ToSchema;

pub use cause::{Cause, Chain};

/// Result of anything that can fail with an [`AppError`].
pub type AppResult<T> = Result<T, AppError>;

/// A problem with one field of the request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldError {
    /// The field, as a dotted path (`address.lat`, `items[2].quantity`).
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Everything that can go wrong while answering a request.
///
/// `Debug` (which request logs record) shows the code and field names only: a field's message
/// may quote the value the client sent, such as a phone number.
#[derive(thiserror::Error)]
pub enum AppError {
    /// 400: the request is not well-formed (bad JSON syntax, a bad header).
    #[error("{1}")]
    BadRequest(&'static str, String),
    /// 401: no credentials, or credentials that are not valid.
    #[error("{1}")]
    Unauthorized(&'static str, String),
    /// 403: the caller's role may never do this.
    #[error("{1}")]
    Forbidden(&'static str, String),
    /// 404: no such resource, or not the caller's.
    #[error("not found")]
    NotFound,
    /// 405: the path exists but not with this method (the `Allow` header is added by the route).
    #[error("method not allowed")]
    MethodNotAllowed,
    /// 409: conflicts with the current state.
    #[error("{1}")]
    Conflict(&'static str, String),
    /// 413: the body is larger than allowed.
    #[error("{1}")]
    PayloadTooLarge(&'static str, String),
    /// 415: the body is not of a type the endpoint takes (JSON, or an image for uploads).
    #[error("{1}")]
    UnsupportedMediaType(&'static str, String),
    /// 422: well-formed but invalid; `code` is `validation_failed` unless more specific.
    #[error("validation failed")]
    Validation(&'static str, Vec<FieldError>),
    /// 429: too many attempts; retry after the given seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 502: a payment provider could not be reached or answered badly; the detail is logged,
    /// never sent.
    #[error("{1}")]
    BadGateway(&'static str, String),
    /// 503: the database cannot be reached right now.
    #[error("database unavailable")]
    Unavailable,
    /// 500: a bug or an unexpected failure; the cause is logged with its sources, never sent.
    /// It is displayed with its whole chain, so job and command logs get it too.
    #[error("internal error: {}", cause::chain(.0))]
    Internal(Cause),
}

impl std::fmt::Debug for AppError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            AppError::Validation(code, errors) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                write!(f, "{code} {fields:?}")
            }
            AppError::Internal(cause) => write!(f, "internal_error: {}", cause::chain(cause)),
            other => f.write_str(other.code()),
        }
    }
}

impl AppError {
    /// A 422 `validation_failed` naming one field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError::new(field, message).into()
    }

    /// 403 `wrong_password`: the password given in `field` to confirm a sensitive change (a new
    /// password, deleting the account) is not the caller's. Not 422: the request is well formed,
    /// the caller just failed to prove who they are; not 401: their session is still valid.
    pub fn wrong_password(field: &str) -> Self {
        AppError::Forbidden(
            codes::WRONG_PASSWORD,
            format!("`{field}` is not your current password."),
        )
    }

    /// 403: the caller's role may never take `action` on a `subject` (`booking`, `order`).
    pub fn may_not(action: &str, subject: &str) -> Self {
        AppError::Forbidden(
            codes::FORBIDDEN,
            format!("You may not {} this {subject}.", action.replace('_', "-")),
        )
    }

    /// 409 `invalid_transition`: a `subject` in `state` does not allow `action`.
    pub fn cannot(state: &str, action: &str, subject: &str) -> Self {
        AppError::Conflict(
            codes::INVALID_TRANSITION,
            format!(
                "A {} {subject} cannot {}.",
                state.replace('_', " "),
                action.replace('_', "-")
            ),
        )
    }

    /// Anything unexpected (an error, or a message saying what went wrong), kept for the log.
    pub fn internal(cause: impl Into<Cause>) -> Self {
        AppError::Internal(cause.into())
    }

    /// An unexpected `cause` while doing `context` (`SMTP`, `migration failed`): logged as
    /// `context: cause: its source: ...`, the cause's own chain kept.
    pub fn internal_in(context: impl Into<String>, cause: impl Into<Cause>) -> Self {
        AppError::Internal(Box::new(cause::Context {
            context: context.into(),
            source: cause.into(),
        }))
    }

    /// The stable code clients branch on.
    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest(code, _)
            | AppError::Unauthorized(code, _)
            | AppError::Forbidden(code, _)
            | AppError::Conflict(code, _)
            | AppError::PayloadTooLarge(code, _)
            | AppError::UnsupportedMediaType(code, _)
            | AppError::BadGateway(code, _)
            | AppError::Validation(code, _) => code,
            AppError::NotFound => codes::NOT_FOUND,
            AppError::MethodNotAllowed => codes::METHOD_NOT_ALLOWED,
            AppError::RateLimited { .. } => codes::RATE_LIMITED,
            AppError::Unavailable => codes::DATABASE_UNAVAILABLE,
            AppError::Internal(_) => codes::INTERNAL_ERROR,
        }
    }

    fn title(&self) -> &'static str {
        self.status_code().canonical_reason().unwrap_or("Error")
    }

    fn detail(&self) -> String {
        match self {
            AppError::BadRequest(_, d)
            | AppError::Unauthorized(_, d)
            | AppError::Forbidden(_, d)
            | AppError::Conflict(_, d)
            | AppError::PayloadTooLarge(_, d)
            | AppError::UnsupportedMediaType(_, d) => d.clone(),
            AppError::NotFound => "The resource does not exist or is not yours.".into(),
            AppError::MethodNotAllowed => {
                "This method is not allowed here; see the Allow header.".into()
            }
            AppError::Validation(_, errors) => match errors.as_slice() {
                [one] => format!("{}: {}", one.field, one.message),
                _ => "Some fields are invalid.".into(),
            },
            AppError::RateLimited { retry_after_secs } => {
                format!("Too many attempts; try again in {retry_after_secs} s.")
            }
            AppError::BadGateway(..) => {
                "The payment provider could not be reached; try again shortly.".into()
            }
            AppError::Unavailable => "The database is unavailable; try again shortly.".into(),
            AppError::Internal(_) => "Something went wrong on our side.".into(),
        }
    }
}

/// The body of every error response (RFC 9457 problem details plus `code` and `errors`).
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code, listed in `docs/api.md`.
    pub code: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest(..) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(..) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(..) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(..) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge(..) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(..) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(..) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::BadGateway(..) => StatusCode::BAD_GATEWAY,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(cause) = self {
            tracing::error!(cause = %cause::chain(cause), "request failed");
        }
        if let AppError::BadGateway(code, why) = self {
            tracing::warn!(code, why, "payment provider failed");
        }
        let status = self.status_code();
        let problem = Problem {
            type_: format!("urn:lifemarket:problem:{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail: self.detail(),
            code: self.code().to_owned(),
            errors: match self {
                AppError::Validation(_, errors) => errors.clone(),
                _ => Vec::new(),
            },
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        match self {
            AppError::RateLimited { retry_after_secs } => {
                response.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            AppError::Unavailable => {
                response.insert_header((header::RETRY_AFTER, "1"));
            }
            AppError::Unauthorized(..) => {
                response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        match err {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(
                DatabaseErrorKind::ClosedConnection | DatabaseErrorKind::UnableToSendCommand,
                _,
            ) => AppError::Unavailable,
            // The server cancelled a statement that ran past `statement_timeout`: overloaded.
            DieselError::DatabaseError(_, ref info)
                if info.message().contains("statement timeout") =>
            {
                AppError::Unavailable
            }
            other => AppError::internal(other),
        }
    }
}

/// A problem with one field is a 422 `validation_failed` naming it.
impl From<FieldError> for AppError {
    fn from(err: FieldError) -> Self {
        AppError::Validation(codes::VALIDATION_FAILED, vec![err])
    }
}

/// Problems with several fields (a parser that collects them all) are one 422
/// `validation_failed` naming each.
impl From<Vec<FieldError>> for AppError {
    fn from(errors: Vec<FieldError>) -> Self {
        AppError::Validation(codes::VALIDATION_FAILED, errors)
    }
}

impl From<r2d2::Error> for AppError {
    fn from(_: r2d2::Error) -> Self {
        AppError::Unavailable
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(err: actix_web::error::BlockingError) -> Self {
        AppError::internal(err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    #[test]
    fn internal_errors_hide_their_cause() {
        let response = AppError::internal("password=hunter2").error_response();
        assert_eq!(response.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let body = response.into_body().try_into_bytes().unwrap_or_default();
        let text = String::from_utf8_lossy(&body);
        assert!(text.contains("internal_error"));
        assert!(!text.contains("hunter2"));
    }

    #[test]
    fn debug_output_names_fields_but_not_values() {
        let err = AppError::invalid(
            "phone",
            "invalid type: integer `13812345678`, expected a string",
        );
        let debug = format!("{err:?}");
        assert!(debug.contains("phone"));
        assert!(!debug.contains("13812345678"));
    }

    #[test]
    fn a_closed_connection_is_unavailable_not_internal() {
        let err = DieselError::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("gone".to_owned()),
        );
        assert_eq!(AppError::from(err).code(), "database_unavailable");
    }
}
