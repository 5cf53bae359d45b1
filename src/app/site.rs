//! What the pages (`/console/`, `/portal/`) share: sign-in and sign-out with a cookie session
//! (`accounts::web_session`), the `PageUser` extractor, the CSRF check every form passes, the
//! page answer (a strict CSP: scripts, styles and connections from this origin only) and the
//! error page, and the vendored static files (htmx, the pages' script and style sheet).
//!
//! Page handlers call the same handler functions as the JSON routes, with the session's
//! `Identity` and a request body built from the form, so every rule and check is the API's.

use std::collections::HashMap;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest, HttpResponse, ResponseError};
use askama::Template;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use crate::accounts::web_session::{self, WebSession};
use crate::auth::Identity;
use crate::config::AppEnv;
use crate::db;
use crate::error::{codes, AppError};
use crate::http::Endpoint;
use crate::state::AppState;

/// The session cookie.
pub const SESSION_COOKIE: &str = "lm_session";
/// The sign-in form's CSRF cookie (double submit: there is no session yet).
const SIGNIN_CSRF_COOKIE: &str = "lm_signin_csrf";
/// The form field (or `X-CSRF-Token` header, for htmx requests) carrying the CSRF token.
pub const CSRF_FIELD: &str = "csrf";

const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
    connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Mounts sign-in, sign-out and the static files.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(Endpoint::new("/signin").get(signin_form).post(signin))
        .service(Endpoint::new("/signout").post(signout))
        .service(Endpoint::new("/static/{file}").get(asset));
}

/// A page's failure: to the sign-in page, or an error shown as a page with the API's status.
#[derive(Debug)]
pub enum PageError {
    SignIn { next: String },
    App(AppError),
}

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError::App(e)
    }
}

impl std::fmt::Display for PageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PageError::SignIn { .. } => f.write_str("sign in first"),
            PageError::App(e) => write!(f, "{e}"),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    l: Layout,
    status: u16,
    code: &'a str,
    message: String,
}

impl ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::App(e) => e.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { next } => {
                let to = format!(
                    "/signin?next={}",
                    form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
                );
                HttpResponse::SeeOther()
                    .insert_header((header::LOCATION, to))
                    .finish()
            }
            PageError::App(e) => {
                if let AppError::Internal(cause) = e {
                    tracing::error!(error = %cause, "a page failed");
                }
                let status = e.status_code();
                let message = match status {
                    StatusCode::FORBIDDEN => "您没有权限执行此操作。".to_owned(),
                    StatusCode::NOT_FOUND => "找不到该页面或记录。".to_owned(),
                    s if s.is_server_error() => "服务暂时不可用，请稍后再试。".to_owned(),
                    _ => e.to_string(),
                };
                let page = ErrorPage {
                    l: Layout::bare("出错了"),
                    status: status.as_u16(),
                    code: e.code(),
                    message,
                };
                html(status, page.render())
            }
        }
    }
}

/// A page's result.
pub type PageResult = Result<HttpResponse, PageError>;

/// What the layout of every page shows.
pub struct Layout {
    pub title: String,
    /// The session's CSRF token (empty when signed out).
    pub csrf: String,
    /// The signed-in person's display name (empty when signed out).
    pub who: String,
    pub operator: bool,
}

impl Layout {
    pub fn bare(title: &str) -> Self {
        Self {
            title: title.to_owned(),
            csrf: String::new(),
            who: String::new(),
            operator: false,
        }
    }
    pub fn for_user(title: &str, user: &PageUser) -> Self {
        Self {
            title: title.to_owned(),
            csrf: user.session.csrf.clone(),
            who: user.session.display_name.clone(),
            operator: user.identity().require_operator().is_ok(),
        }
    }
}

/// A rendered page with the pages' headers.
pub fn html(status: StatusCode, rendered: askama::Result<String>) -> HttpResponse {
    match rendered {
        Ok(body) => HttpResponse::build(status)
            .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header((header::CONTENT_SECURITY_POLICY, CSP))
            .insert_header((header::X_FRAME_OPTIONS, "DENY"))
            .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
            .insert_header((header::REFERRER_POLICY, "same-origin"))
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "a template failed to render");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// A rendered page (200).
pub fn ok(rendered: askama::Result<String>) -> PageResult {
    Ok(html(StatusCode::OK, rendered))
}

/// After a form: back to `to` (303, so a reload does not post again).
pub fn see_other(to: &str) -> PageResult {
    Ok(HttpResponse::SeeOther()
        .insert_header((header::LOCATION, to.to_owned()))
        .finish())
}

/// The signed-in person of a page, from the session cookie; signed out goes to `/signin`.
pub struct PageUser {
    pub session: WebSession,
}

impl PageUser {
    /// The same identity a bearer token gives, for the API's handlers.
    pub fn identity(&self) -> Identity {
        Identity {
            user_id: self.session.user_id,
            role: self.session.role,
        }
    }
    /// 403 unless an operator (the console).
    pub fn require_operator(&self) -> Result<Identity, PageError> {
        let id = self.identity();
        id.require_operator()?;
        Ok(id)
    }
}

impl FromRequest for PageUser {
    type Error = PageError;
    type Future = LocalBoxFuture<'static, Result<Self, PageError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let next = req
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        Box::pin(async move {
            let state = state.ok_or_else(|| AppError::internal("AppState is not registered"))?;
            let Some(token) = token else {
                return Err(PageError::SignIn { next });
            };
            let session = db::run(&state.pool, move |conn| web_session::find(conn, &token)).await?;
            match session {
                Some(session) => Ok(PageUser { session }),
                None => Err(PageError::SignIn { next }),
            }
        })
    }
}

/// A posted form's fields (urlencoded; unknown fields are kept, repeated ones keep the last).
pub struct Form(pub HashMap<String, String>);

impl Form {
    pub fn parse(body: &[u8]) -> Result<Self, PageError> {
        serde_urlencoded::from_bytes(body).map(Form).map_err(|_| {
            PageError::App(AppError::BadRequest(
                codes::MALFORMED_BODY,
                "The form could not be read.".into(),
            ))
        })
    }
    /// A field, trimmed; `None` when absent or blank.
    pub fn get(&self, name: &str) -> Option<String> {
        self.0
            .get(name)
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty())
    }
    /// The request type of an API handler, from the form's fields as JSON (so its rules apply).
    pub fn body<T: DeserializeOwned>(value: serde_json::Value) -> Result<T, PageError> {
        serde_json::from_value(value)
            .map_err(|e| PageError::App(AppError::invalid("form", format!("does not fit: {e}"))))
    }
}

/// The posted form, refused (403 `csrf_invalid`) unless it carries the session's CSRF token in
/// its `csrf` field or the `X-CSRF-Token` header.
pub fn checked_form(req: &HttpRequest, user: &PageUser, body: &[u8]) -> Result<Form, PageError> {
    let form = Form::parse(body)?;
    let sent = form
        .0
        .get(CSRF_FIELD)
        .cloned()
        .or_else(|| {
            req.headers()
                .get("x-csrf-token")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        })
        .unwrap_or_default();
    if !same(&sent, &user.session.csrf) {
        return Err(csrf_refused());
    }
    Ok(form)
}

fn csrf_refused() -> PageError {
    PageError::App(AppError::Forbidden(
        codes::CSRF_INVALID,
        "表单已过期或缺少安全令牌，请刷新页面后重试。The form is missing its CSRF token.".into(),
    ))
}

/// Constant-time equality of two tokens.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && !b.is_empty()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

fn cookie<'c>(state: &AppState, name: &'c str, value: String, path: &'c str) -> Cookie<'c> {
    Cookie::build(name, value)
        .path(path)
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(state.config.env == AppEnv::Production)
        .finish()
}

#[derive(Template)]
#[template(path = "signin.html")]
struct SigninPage {
    l: Layout,
    next: String,
    failed: bool,
}

/// Where a sign-in may go next: a path of the pages, never another site.
fn next_of(req: &HttpRequest, form: Option<&Form>) -> String {
    let from_query = serde_urlencoded::from_str::<HashMap<String, String>>(req.query_string())
        .ok()
        .and_then(|q| q.get("next").cloned());
    let next = form.and_then(|f| f.get("next")).or(from_query);
    match next {
        Some(n)
            if (n.starts_with("/console/") || n.starts_with("/portal/")) && !n.contains("//") =>
        {
            n
        }
        _ => "/".to_owned(),
    }
}

fn signin_page(
    state: &AppState,
    req: &HttpRequest,
    status: StatusCode,
    failed: bool,
) -> HttpResponse {
    let token = crate::crypto::new_opaque_token();
    let mut layout = Layout::bare("登录");
    layout.csrf = token.clone();
    let page = SigninPage {
        l: layout,
        next: next_of(req, None),
        failed,
    };
    let mut res = html(status, page.render());
    let _ = res.add_cookie(&cookie(state, SIGNIN_CSRF_COOKIE, token, "/signin"));
    res
}

async fn signin_form(state: web::Data<AppState>, req: HttpRequest) -> HttpResponse {
    signin_page(&state, &req, StatusCode::OK, false)
}

/// Signs in with the API's password check and limits; operators go to the console, others to
/// the portal (or to the page that sent them here).
async fn signin(state: web::Data<AppState>, req: HttpRequest, body: web::Bytes) -> PageResult {
    let form = Form::parse(&body)?;
    let expected = req
        .cookie(SIGNIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .unwrap_or_default();
    if !same(&form.get(CSRF_FIELD).unwrap_or_default(), &expected) {
        return Err(csrf_refused());
    }
    let email = form.get("email").unwrap_or_default();
    let password = form.0.get("password").cloned().unwrap_or_default();
    let user = match crate::accounts::signin::authenticate(&req, &state, &email, password).await {
        Ok(user) => user,
        Err(AppError::Unauthorized(..)) => {
            return Ok(signin_page(&state, &req, StatusCode::UNAUTHORIZED, true))
        }
        Err(e) => return Err(e.into()),
    };
    let (token, session) =
        db::run(&state.pool, move |conn| web_session::start(conn, &user)).await?;
    let next = match next_of(&req, Some(&form)) {
        n if n != "/" => n,
        _ if session.role == crate::auth::PlatformRole::Operator => "/console/".to_owned(),
        _ => "/portal/".to_owned(),
    };
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, next))
        .finish();
    res.add_cookie(&cookie(&state, SESSION_COOKIE, token, "/"))
        .map_err(AppError::internal)?;
    Ok(res)
}

/// Ends the session (a form with the CSRF token) and clears the cookie.
async fn signout(
    state: web::Data<AppState>,
    req: HttpRequest,
    user: PageUser,
    body: web::Bytes,
) -> PageResult {
    checked_form(&req, &user, &body)?;
    let session = user.session;
    db::run(&state.pool, move |conn| web_session::end(conn, &session)).await?;
    let mut res = HttpResponse::SeeOther()
        .insert_header((header::LOCATION, "/signin"))
        .finish();
    let mut gone = cookie(&state, SESSION_COOKIE, String::new(), "/");
    gone.make_removal();
    res.add_cookie(&gone).map_err(AppError::internal)?;
    Ok(res)
}

/// The vendored files, compiled into the binary. Their names carry their version, so they are
/// cached for a year.
const ASSETS: &[(&str, &str, &[u8])] = &[
    (
        "htmx-2.0.11.min.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/vendor/htmx-2.0.11.min.js"),
    ),
    (
        "lifemarket-1.js",
        "text/javascript; charset=utf-8",
        include_bytes!("../../static/lifemarket-1.js"),
    ),
    (
        "lifemarket-1.css",
        "text/css; charset=utf-8",
        include_bytes!("../../static/lifemarket-1.css"),
    ),
];

async fn asset(path: web::Path<String>) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let (_, content_type, bytes) = ASSETS
        .iter()
        .find(|(n, _, _)| *n == name)
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, *content_type))
        .insert_header((header::CACHE_CONTROL, "public, max-age=31536000, immutable"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(*bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_compare_whole() {
        assert!(same("abc", "abc"));
        assert!(!same("abd", "abc"));
        assert!(!same("ab", "abc"));
        assert!(!same("", ""));
    }
}
