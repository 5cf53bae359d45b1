//! The JSON body extractor: a size limit, and errors that name the field.
//!
//! actix's own `web::Json` reports serde's message without the path of the field that failed.
//! This one answers 400 `malformed_json` for bodies that are not JSON, 422 `validation_failed`
//! with the field's path for wrong types, unknown fields and missing fields, 413 beyond the
//! limit and 415 for other content types. An empty body reads as `{}` on POST, so actions whose
//! fields are all optional need no body; a PUT or PATCH without one is 400 `malformed_json`.
//! Numbers are read as JSON Schema reads them: `3.0` is the integer 3. It also keeps a digest of
//! the body's canonical form (keys sorted) for idempotency keys.

use actix_web::{dev::Payload, http::header, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use futures_util::StreamExt;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use sha2::{Digest, Sha256};

use crate::error::{codes, AppError, FieldError};
use crate::state::AppState;

fn too_large() -> AppError {
    AppError::PayloadTooLarge(
        codes::PAYLOAD_TOO_LARGE,
        "The request body is larger than allowed.".into(),
    )
}

const DEFAULT_LIMIT: usize = 64 * 1024;

/// The `Content-Length` the client declared, if any.
pub fn declared_length(req: &HttpRequest) -> Option<usize> {
    req.headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
}

/// Reads a body of at most `limit` bytes: refused with `too_large()` from the declared length
/// before anything is read, or as soon as the bytes received pass the limit (JSON bodies here,
/// uploads in `uploads::routes`).
pub async fn read_limited<S>(
    declared: Option<usize>,
    mut payload: S,
    limit: usize,
    too_large: impl Fn() -> AppError,
) -> Result<web::BytesMut, AppError>
where
    S: futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>> + Unpin,
{
    if declared.is_some_and(|n| n > limit) {
        return Err(too_large());
    }
    let mut body = web::BytesMut::with_capacity(declared.unwrap_or(0));
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|e| AppError::BadRequest(codes::MALFORMED_BODY, e.to_string()))?;
        if body.len() + chunk.len() > limit {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

/// A parsed JSON body and the SHA-256 of its canonical form.
#[derive(Debug)]
pub struct Json<T> {
    value: T,
    digest: [u8; 32],
}

impl<T> Json<T> {
    /// A body the server built itself (the pages build the API's request types from their
    /// forms). Its digest is zero: no idempotency key covers such a body.
    pub fn new(value: T) -> Self {
        Self {
            value,
            digest: [0; 32],
        }
    }
    pub fn into_inner(self) -> T {
        self.value
    }
    /// Equal for bodies that differ only in key order and whitespace.
    pub fn digest(&self) -> [u8; 32] {
        self.digest
    }
}

impl<T> std::ops::Deref for Json<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

fn is_json(req: &HttpRequest) -> bool {
    match req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    {
        Some(ct) => {
            let essence = ct
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json"
                || (essence.starts_with("application/") && essence.ends_with("+json"))
        }
        None => false,
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(DEFAULT_LIMIT, |s| s.config.json_body_limit);
        let declared = declared_length(req);
        let json = is_json(req);
        let may_be_empty = req.method() == actix_web::http::Method::POST;
        let payload = payload.take();
        Box::pin(async move {
            let body = read_limited(declared, payload, limit, too_large).await?;
            if body.is_empty() && may_be_empty {
                // An action without a body (`POST .../approve`) is an empty object.
                return parse(b"{}");
            }
            if !json {
                return Err(AppError::UnsupportedMediaType(
                    codes::UNSUPPORTED_MEDIA_TYPE,
                    "The request body must be application/json.".into(),
                ));
            }
            parse(&body)
        })
    }
}

/// Parses a body: syntax first (400), then the shape of `T` (422 naming the field).
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<Json<T>, AppError> {
    let mut tree: serde_json::Value = serde_json::from_slice(body).map_err(|e| {
        AppError::BadRequest(
            codes::MALFORMED_JSON,
            format!("The body is not valid JSON: {e}"),
        )
    })?;
    if let Some(path) = nul_at(&tree, "") {
        // PostgreSQL cannot store U+0000 in text or jsonb: refuse it here, naming where it is.
        let field = if path.is_empty() {
            "body".to_owned()
        } else {
            path
        };
        return Err(AppError::invalid(
            field,
            "must not contain the NUL character",
        ));
    }
    if !tree.is_object() {
        // serde would read a struct from an array of its fields in order; the API takes objects.
        return Err(AppError::invalid("body", "must be a JSON object"));
    }
    integral_floats_to_integers(&mut tree);
    let digest = Sha256::digest(serde_json::to_vec(&tree).unwrap_or_default()).into();
    let value = serde_path_to_error::deserialize(tree).map_err(|err| {
        let path = err.path().to_string();
        let message = err.inner().to_string();
        AppError::from(field_error(&path, &message))
    })?;
    Ok(Json { value, digest })
}

/// Rewrites `3.0` as `3`: JSON has one number type and JSON Schema calls a number with no
/// fractional part an integer, so a client (or a generator) that writes `3.0` for an integer field
/// is right. Only values an `f64` holds exactly (|n| < 2^53) are rewritten.
fn integral_floats_to_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    match value {
        Value::Number(n) if n.is_f64() => {
            if let Some(f) = n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < EXACT) {
                // In range and integral, so the cast is exact.
                #[allow(clippy::cast_possible_truncation)]
                let i = f as i64;
                *value = Value::from(i);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_to_integers),
        Value::Object(map) => map.values_mut().for_each(integral_floats_to_integers),
        _ => {}
    }
}

/// The path of the first string (or key) holding U+0000, if any.
fn nul_at(value: &serde_json::Value, path: &str) -> Option<String> {
    use serde_json::Value;
    match value {
        Value::String(s) if s.contains('\0') => Some(path.to_owned()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, v)| nul_at(v, &format!("{path}[{i}]"))),
        Value::Object(map) => map.iter().find_map(|(k, v)| {
            let here = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(here)
            } else {
                nul_at(v, &here)
            }
        }),
        _ => None,
    }
}

/// serde names a missing field only in its message (`missing field `x``) while the path points
/// at the enclosing object, so the name is joined onto it (an unknown field is already in it).
pub(crate) fn field_error(path: &str, message: &str) -> FieldError {
    let named = ["unknown field `", "missing field `"]
        .iter()
        .find_map(|prefix| message.strip_prefix(prefix))
        .and_then(|rest| rest.split('`').next());
    let field = match (path, named) {
        (".", Some(name)) => name.to_owned(),
        (_, Some(name)) if path.rsplit('.').next() == Some(name) => path.to_owned(),
        (_, Some(name)) => format!("{path}.{name}"),
        (".", None) => "body".to_owned(),
        (_, None) => path.to_owned(),
    };
    let message = if message.starts_with("unknown field") {
        "is not a known field".to_owned()
    } else if message.starts_with("missing field") {
        "is required".to_owned()
    } else {
        message.to_owned()
    };
    FieldError::new(field, message)
}

/// For `Option<Option<T>>` fields: absent is `None`, `null` is `Some(None)`.
pub fn nullable<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Inner {
        lat: f64,
    }

    #[derive(Debug, Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        name: String,
        address: Option<Inner>,
        #[serde(default, deserialize_with = "nullable")]
        phone: Option<Option<String>>,
    }

    fn field_of(body: &str) -> String {
        match parse::<Body>(body.as_bytes()) {
            Err(AppError::Validation(_, errors)) => errors[0].field.clone(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of(r#"{"name": 5}"#), "name");
        assert_eq!(field_of(r#"{"name": "a", "extra": 1}"#), "extra");
        assert_eq!(field_of(r#"{}"#), "name");
        assert_eq!(
            field_of(r#"{"name": "a", "address": {"lat": "x"}}"#),
            "address.lat"
        );
        assert_eq!(
            field_of(r#"{"name": "a", "address": {"lat": 1, "lng": 2}}"#),
            "address.lng"
        );
    }

    #[test]
    fn syntax_errors_are_bad_requests() {
        assert!(matches!(
            parse::<Body>(b"{\"name\": "),
            Err(AppError::BadRequest(codes::MALFORMED_JSON, _))
        ));
        assert!(matches!(
            parse::<Body>(b""),
            Err(AppError::BadRequest(codes::MALFORMED_JSON, _))
        ));
    }

    #[test]
    fn a_nul_character_is_refused_where_it_stands() {
        let body = br#"{"name":"a","address":{"lat":1},"phone":"x\u0000y"}"#;
        match parse::<Body>(body) {
            Err(AppError::Validation(_, errors)) => assert_eq!(errors[0].field, "phone"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn null_and_absent_differ() {
        assert_eq!(parse::<Body>(br#"{"name":"a"}"#).unwrap().phone, None);
        assert_eq!(
            parse::<Body>(br#"{"name":"a","phone":null}"#)
                .unwrap()
                .phone,
            Some(None)
        );
    }

    #[test]
    fn a_body_must_be_an_object() {
        match parse::<Body>(br#"["a", null, null]"#) {
            Err(AppError::Validation(_, errors)) => assert_eq!(errors[0].field, "body"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn integral_floats_read_as_integers() {
        #[derive(Debug, Deserialize)]
        struct Counts {
            n: i32,
            f: f64,
        }
        let c = parse::<Counts>(br#"{"n": -5833.0, "f": 2.0}"#).unwrap();
        assert_eq!((c.n, c.f), (-5833, 2.0));
        assert_eq!(
            parse::<Counts>(br#"{"n": 1.0, "f": 0}"#).unwrap().digest(),
            parse::<Counts>(br#"{"n": 1, "f": 0.0}"#).unwrap().digest()
        );
        match parse::<Counts>(br#"{"n": 1.5, "f": 0}"#) {
            Err(AppError::Validation(_, errors)) => assert_eq!(errors[0].field, "n"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn digest_ignores_key_order_and_spacing() {
        let a = parse::<Body>(br#"{"name":"a","phone":"1"}"#).unwrap();
        let b = parse::<Body>(br#"{ "phone": "1",  "name": "a" }"#).unwrap();
        let c = parse::<Body>(br#"{"name":"b","phone":"1"}"#).unwrap();
        assert_eq!(a.digest(), b.digest());
        assert_ne!(a.digest(), c.digest());
    }

    #[tokio::test]
    async fn a_body_is_cut_off_when_it_passes_the_limit_whatever_it_declared() {
        let chunks = |n: usize| {
            futures_util::stream::iter((0..n).map(|_| {
                Ok::<_, actix_web::error::PayloadError>(web::Bytes::from_static(b"0123456789"))
            }))
        };
        let refused = || AppError::PayloadTooLarge(codes::PAYLOAD_TOO_LARGE, "too large".into());
        // Declared too large: refused before reading.
        assert!(matches!(
            read_limited(Some(31), chunks(0), 30, refused).await,
            Err(AppError::PayloadTooLarge(..))
        ));
        // Declared nothing (or less than it sends): refused once the bytes pass the limit.
        assert!(matches!(
            read_limited(None, chunks(4), 30, refused).await,
            Err(AppError::PayloadTooLarge(..))
        ));
        assert!(matches!(
            read_limited(Some(10), chunks(4), 30, refused).await,
            Err(AppError::PayloadTooLarge(..))
        ));
        let body = read_limited(None, chunks(3), 30, refused).await;
        assert_eq!(body.ok().map(|b| b.len()), Some(30));
    }
}
