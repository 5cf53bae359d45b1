//! The two small pages the links in account emails open: `/verify-email?token=…` and
//! `/reset-password?token=…`. Opening a link changes nothing (mail scanners fetch links); the
//! page shows one button (or the new-password field) whose form posts the token back, and the
//! answer page says what happened. They call the same functions as the JSON routes
//! (`POST /api/v1/auth/verify-email`, `POST /api/v1/auth/password-reset/confirm`).
//!
//! Served at the root, outside `/api/v1`, and not in the OpenAPI document: they are for people,
//! not for clients. Apps that open these links themselves set `PUBLIC_URL` to their deep-link
//! base.

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpResponse, ResponseError};
use serde::Deserialize;

use crate::error::AppError;
use crate::http::Endpoint;
use crate::state::AppState;

use super::recovery;

/// Mounts the pages at the root (see the module comment).
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        Endpoint::new("/verify-email")
            .get(verify_form)
            .post(verify_submit),
    )
    .service(
        Endpoint::new("/reset-password")
            .get(reset_form)
            .post(reset_submit),
    );
}

#[derive(Debug, Default, Deserialize)]
struct TokenForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    new_password: String,
}

/// The form fields of a query string or a urlencoded body; unknown fields are ignored.
fn form(bytes: &[u8]) -> TokenForm {
    serde_urlencoded::from_bytes(bytes).unwrap_or_default()
}

async fn verify_form(req: actix_web::HttpRequest) -> HttpResponse {
    let token = form(req.query_string().as_bytes()).token;
    page(
        StatusCode::OK,
        "验证邮箱 / Verify your email",
        &format!(
            "<p>点击下方按钮完成邮箱验证。<br>Press the button to verify your email address.</p>\
             <form method=\"post\" action=\"/verify-email\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\
             <button type=\"submit\">验证邮箱 / Verify</button></form>",
            escape(&token)
        ),
    )
}

async fn verify_submit(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    match recovery::verify(&state, form(&body).token).await {
        Ok(()) => page(
            StatusCode::OK,
            "邮箱已验证 / Email verified",
            "<p>您的邮箱已验证，可以返回 lifemarket 应用。<br>Your email address is verified; \
             you can go back to the lifemarket app.</p>",
        ),
        Err(e) => failed(&e),
    }
}

async fn reset_form(req: actix_web::HttpRequest) -> HttpResponse {
    let token = form(req.query_string().as_bytes()).token;
    page(
        StatusCode::OK,
        "重置密码 / Reset your password",
        &format!(
            "<form method=\"post\" action=\"/reset-password\">\
             <input type=\"hidden\" name=\"token\" value=\"{}\">\
             <label>新密码（至少 8 位）/ New password (8 characters or more)<br>\
             <input type=\"password\" name=\"new_password\" minlength=\"8\" maxlength=\"128\" \
             autocomplete=\"new-password\" required></label>\
             <button type=\"submit\">设置新密码 / Set the new password</button></form>",
            escape(&token)
        ),
    )
}

async fn reset_submit(state: web::Data<AppState>, body: web::Bytes) -> HttpResponse {
    let TokenForm {
        token,
        new_password,
    } = form(&body);
    match recovery::reset(&state, token, new_password).await {
        Ok(()) => page(
            StatusCode::OK,
            "密码已更改 / Password changed",
            "<p>新密码已生效，所有设备已退出登录，请用新密码重新登录。<br>Your new password is set \
             and every session is signed out; sign in again with it.</p>",
        ),
        Err(e) => failed(&e),
    }
}

/// The error as a page with the status the JSON route would answer.
fn failed(e: &AppError) -> HttpResponse {
    let detail = match e {
        AppError::Validation(_, fields) => fields
            .iter()
            .map(|f| {
                let what = match f.field.as_str() {
                    "token" => "链接已失效、已使用或不正确，请重新申请。The link is expired, used or wrong; ask for a new one.",
                    _ => "",
                };
                format!("<li>{what} ({}: {})</li>", escape(&f.field), escape(&f.message))
            })
            .collect::<String>(),
        _ => "<li>请稍后再试。Please try again later.</li>".to_owned(),
    };
    page(
        e.status_code(),
        "未能完成 / That did not work",
        &format!("<ul>{detail}</ul>"),
    )
}

/// A whole page: large type, no scripts, nothing loaded from elsewhere; the token in its
/// address is not sent on as a referrer.
fn page(status: StatusCode, title: &str, body: &str) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
        ))
        .body(format!(
            "<!doctype html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title} · lifemarket</title><style>body{{font:20px/1.6 sans-serif;\
             max-width:32em;margin:2em auto;padding:0 1em}}button,input{{font-size:1em;\
             padding:.5em;margin:.5em 0}}</style></head><body><h1>{title}</h1>{body}</body></html>"
        ))
}

/// Text safe inside HTML content and double-quoted attributes.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escape_leaves_no_markup() {
        assert_eq!(
            escape("\"><script>alert('x')</script>&"),
            "&quot;&gt;&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
    }

    #[test]
    fn a_form_reads_its_fields_and_ignores_garbage() {
        assert_eq!(form(b"token=a%2Bb&new_password=x").token, "a+b");
        assert_eq!(form(b"%zz=&&&").token, "");
    }
}
