//! `Endpoint`: a resource whose undeclared methods answer 405 with an `Allow` header (actix
//! would answer 404 or a bare 405).

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::http::{header, Method};
use actix_web::{web, FromRequest, Handler, HttpResponse, Resource, Responder, ResponseError};

use crate::error::AppError;

/// One path and the methods it answers.
pub struct Endpoint {
    resource: Resource,
    allow: Vec<&'static str>,
}

impl Endpoint {
    pub fn new(path: &str) -> Self {
        Self {
            resource: web::resource(path),
            allow: Vec::new(),
        }
    }

    fn route<F, Args>(mut self, method: Method, name: &'static str, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.resource = self.resource.route(web::method(method).to(handler));
        self.allow.push(name);
        self
    }

    pub fn get<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::GET, "GET", handler)
    }

    pub fn post<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::POST, "POST", handler)
    }

    pub fn put<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PUT, "PUT", handler)
    }

    pub fn patch<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::PATCH, "PATCH", handler)
    }

    pub fn delete<F, Args>(self, handler: F) -> Self
    where
        F: Handler<Args>,
        Args: FromRequest + 'static,
        F::Output: Responder + 'static,
    {
        self.route(Method::DELETE, "DELETE", handler)
    }
}

impl HttpServiceFactory for Endpoint {
    fn register(self, config: &mut AppService) {
        let allow = self.allow.join(", ");
        self.resource
            .default_service(web::to(move || {
                let allow = allow.clone();
                async move { method_not_allowed(&allow) }
            }))
            .register(config);
    }
}

fn method_not_allowed(allow: &str) -> HttpResponse {
    let mut response = AppError::MethodNotAllowed.error_response();
    if let Ok(value) = header::HeaderValue::from_str(allow) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}
