//! The query-string extractor: like actix's `web::Query`, but a value that does not fit answers
//! 422 naming the parameter (`sort: unknown variant ...`), never a bare 400.

use std::future::{ready, Ready};

use actix_web::{dev::Payload, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// Parsed query parameters.
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// Parses a query string into `T`, naming the parameter on failure.
pub fn parse<T: DeserializeOwned>(query: &str) -> Result<T, AppError> {
    if let Some((key, _)) =
        form_urlencoded::parse(query.as_bytes()).find(|(k, v)| k.contains('\0') || v.contains('\0'))
    {
        return Err(AppError::invalid(
            key.replace('\0', ""),
            "must not contain the NUL character",
        ));
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        AppError::from(super::json::field_error(&path, &message))
    })
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(parse(req.query_string()).map(Query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Q {
        lat: Option<f64>,
        sort: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(rename_all = "snake_case")]
    enum Kind {
        Distance,
    }

    fn field(qs: &str) -> String {
        match parse::<Q>(qs) {
            Err(AppError::Validation(_, e)) => e[0].field.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn errors_name_the_parameter() {
        assert_eq!(field("lat=abc"), "lat");
        assert_eq!(field("sort=nearest"), "sort");
        assert!(parse::<Q>("lat=29.5&sort=distance&other=1").is_ok());
    }
}
