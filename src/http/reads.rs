//! Reads that tolerate a little lag (search, suggestions, discovery, public pages, review
//! lists): the `Reads` extractor sends them to a replica, or to the primary when the caller
//! wrote within `DB_READ_YOUR_WRITES_MS`; `remember_writers` notes who writes. Both look at the
//! bearer token only when replicas are configured, and only to route: a token that does not
//! verify routes like no token (the handler's own checks still apply).

use std::future::{ready, Ready};

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpRequest};
use diesel::PgConnection;
use uuid::Uuid;

use crate::db;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Where this request's lag-tolerant reads go.
pub struct Reads {
    state: web::Data<AppState>,
    primary: bool,
}

impl Reads {
    /// Reads that must see the caller's own writes at once (a page showing what its user just
    /// changed): always the primary.
    pub fn on_primary(state: web::Data<AppState>) -> Self {
        Reads {
            state,
            primary: true,
        }
    }

    /// Runs `f` on a replica, or on the primary after the caller's own write (or when no replica
    /// is usable); see `db::read`.
    pub async fn run<F, T>(&self, f: F) -> AppResult<T>
    where
        F: Fn(&mut PgConnection) -> AppResult<T> + Send + 'static,
        T: Send + 'static,
    {
        db::read(&self.state.pool, &self.state.replicas, self.primary, f).await
    }
}

/// The user id of a bearer token that verifies, if any.
fn caller(req: &HttpRequest, state: &AppState) -> Option<Uuid> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("bearer") {
        return None;
    }
    state
        .keys
        .verify(token.trim())
        .ok()
        .map(|claims| claims.sub)
}

impl FromRequest for Reads {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>().cloned() else {
            return ready(Err(AppError::internal("AppState is not registered")));
        };
        let primary = state.replicas.configured()
            && caller(req, &state).is_some_and(|user| state.replicas.wrote_recently(user));
        ready(Ok(Reads { state, primary }))
    }
}

/// Middleware: a request that may write (any method but GET, HEAD, OPTIONS) with a bearer token
/// that verifies keeps its caller's reads on the primary for the window.
pub async fn remember_writers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        if let Some(state) = req.app_data::<web::Data<AppState>>() {
            if state.replicas.configured() {
                if let Some(user) = caller(req.request(), state) {
                    state.replicas.wrote(user);
                }
            }
        }
    }
    next.call(req).await
}
