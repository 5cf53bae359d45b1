//! `GET`/`POST /bookings/{id}/messages` and `/orders/{id}/messages`: a thread read oldest first,
//! and a message written by a party.

use actix_web::{web, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::config::Config;
use crate::db;
use crate::error::{codes, AppError, AppResult, FieldError, Problem};
use crate::fields::{text, Text};
use crate::http::{pagination, rate_limit, Json, Page, Query};
use crate::state::AppState;
use crate::uploads::{self, Purpose, Subject, SubjectKind};

use super::models::{self, Message};
use super::rules::{self, SenderRole, ThreadKind};
use super::thread;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MessagesQuery {
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// The id of the last message the client has: only later ones (for polling).
    pub since: Option<Uuid>,
}

/// A message to write.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostMessageRequest {
    /// The text: 1 to 1000 characters, no control characters but newlines, not starting or
    /// ending with whitespace.
    #[schema(schema_with = Text::<1, 1000>::schema)]
    pub body: String,
    /// The id of one of the caller's `message_photo` uploads, or absent.
    pub photo: Option<String>,
}

/// A message's photo, with a URL that serves it for a few minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessagePhoto {
    /// The upload (`GET /uploads/{id}` gives a fresh URL).
    pub id: Uuid,
    pub url: String,
    pub url_expires_at: DateTime<Utc>,
}

/// One message of a thread.
#[derive(Debug, Serialize, ToSchema)]
pub struct MessageResponse {
    pub id: Uuid,
    pub sender_role: SenderRole,
    /// The name shown for the sender when it was written: a consumer's masked (`王**`), the
    /// merchant's display name, the worker's or courier's name.
    pub sender_name: String,
    pub body: String,
    pub photo: Option<MessagePhoto>,
    pub created_at: DateTime<Utc>,
}

impl MessageResponse {
    fn new(config: &Config, m: Message, now: DateTime<Utc>) -> Self {
        Self {
            photo: m.photo_id.map(|id| {
                let (url, url_expires_at) = uploads::signed_url(config, id, now);
                MessagePhoto {
                    id,
                    url,
                    url_expires_at,
                }
            }),
            id: m.id,
            sender_role: m.sender_role,
            sender_name: m.sender_name,
            body: m.body,
            created_at: m.created_at,
        }
    }
}

/// A checked message: its text and photo.
fn parse(req: PostMessageRequest) -> Result<(String, Option<Uuid>), Vec<FieldError>> {
    let mut errors = Vec::new();
    let body = text("body", &req.body, rules::BODY_MIN, rules::BODY_MAX)
        .map_err(|e| errors.push(e))
        .ok();
    let photo = match req.photo.as_deref().map(Uuid::parse_str) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(_)) => {
            errors.push(FieldError::new("photo", "must be the id of an upload"));
            None
        }
    };
    match body {
        Some(body) if errors.is_empty() => Ok((body, photo)),
        _ => Err(errors),
    }
}

async fn list(
    id: Identity,
    state: web::Data<AppState>,
    kind: ThreadKind,
    subject_id: Uuid,
    q: MessagesQuery,
) -> AppResult<web::Json<Page<MessageResponse>>> {
    if q.cursor.is_some() && q.since.is_some() {
        return Err(AppError::invalid("since", "cannot be sent with a cursor"));
    }
    let (limit, cursor) = pagination::parse::<pagination::TimeCursor>(q.limit, q.cursor)?;
    let config = state.config.clone();
    let page = db::tx(&state.pool, move |conn| {
        let thread = thread::open(conn, &id, kind, subject_id)?;
        thread.audit_read(conn, &id)?;
        let after = match q.since {
            Some(since) => match models::find(conn, since)? {
                Some(m) if m.subject_kind == kind && m.subject_id == subject_id => {
                    Some((m.created_at, m.id))
                }
                _ => {
                    return Err(AppError::invalid(
                        "since",
                        "is not a message of this thread",
                    ))
                }
            },
            None => cursor,
        };
        let rows = models::page(conn, kind, subject_id, after, limit + 1)?;
        let now = Utc::now();
        Ok(Page::from_rows(rows, limit, |m| (m.created_at, m.id))
            .map(|m| MessageResponse::new(&config, m, now)))
    })
    .await?;
    Ok(web::Json(page))
}

async fn post(
    id: Identity,
    state: web::Data<AppState>,
    kind: ThreadKind,
    subject_id: Uuid,
    req: PostMessageRequest,
) -> AppResult<HttpResponse> {
    let (body, photo) = parse(req)?;
    let config = state.config.clone();
    let message = db::tx(&state.pool, move |conn| {
        let thread = thread::open(conn, &id, kind, subject_id)?;
        let Some(role) = thread.role else {
            return Err(AppError::Forbidden(
                codes::FORBIDDEN,
                "Operators read threads; only the parties write in them.".into(),
            ));
        };
        if !rules::may_write(thread.involved.ended_at, Utc::now()) {
            return Err(AppError::Conflict(
                codes::MESSAGES_CLOSED,
                format!(
                    "The {kind} ended over {} hours ago; its messages can be read but no longer written.",
                    rules::WRITE_GRACE_HOURS
                ),
            ));
        }
        rate_limit::hit(conn, "messages:sender", &id.user_id.to_string(), rules::SEND_LIMIT)?;
        let message = Message {
            id: Uuid::now_v7(),
            subject_kind: kind,
            subject_id,
            sender_id: id.user_id,
            sender_role: role,
            sender_name: thread.sender_name(conn, &id, role)?,
            body,
            photo_id: photo,
            created_at: Utc::now(),
        };
        models::insert(conn, &message)?;
        if let Some(photo) = photo {
            uploads::attach(
                conn,
                id.user_id,
                photo,
                Purpose::MessagePhoto,
                Subject {
                    kind: SubjectKind::Message,
                    id: message.id,
                },
                "photo",
            )?;
        }
        thread.notify(conn, &message)?;
        Ok(message)
    })
    .await?;
    Ok(HttpResponse::Created().json(MessageResponse::new(&config, message, Utc::now())))
}

/// The messages of a booking, oldest first, paged; `?since=` a message id for only newer ones.
/// For the consumer, the merchant's members, the assigned worker and operators (audited).
#[utoipa::path(get, path = "/api/v1/bookings/{id}/messages", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path), MessagesQuery),
    responses((status = 200, body = Page<MessageResponse>), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_booking_messages(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<MessagesQuery>,
) -> AppResult<web::Json<Page<MessageResponse>>> {
    list(
        id,
        state,
        ThreadKind::Booking,
        path.into_inner(),
        query.into_inner(),
    )
    .await
}

/// Writes a message to the other parties of a booking (201), while it is active and for 24
/// hours after it ended; they are emailed, at most once per 10 minutes.
#[utoipa::path(post, path = "/api/v1/bookings/{id}/messages", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = PostMessageRequest,
    responses((status = 201, body = MessageResponse), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "an operator who is no party"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "messages_closed"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn post_booking_message(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<PostMessageRequest>,
) -> AppResult<HttpResponse> {
    post(
        id,
        state,
        ThreadKind::Booking,
        path.into_inner(),
        body.into_inner(),
    )
    .await
}

/// The messages of an order, oldest first, paged; `?since=` a message id for only newer ones.
/// For the consumer, the merchant's members, the assigned courier and operators (audited).
#[utoipa::path(get, path = "/api/v1/orders/{id}/messages", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path), MessagesQuery),
    responses((status = 200, body = Page<MessageResponse>), (status = 401, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)))]
pub async fn list_order_messages(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<MessagesQuery>,
) -> AppResult<web::Json<Page<MessageResponse>>> {
    list(
        id,
        state,
        ThreadKind::Order,
        path.into_inner(),
        query.into_inner(),
    )
    .await
}

/// Writes a message to the other parties of an order (201), until 24 hours after it ended;
/// they are emailed, at most once per 10 minutes.
#[utoipa::path(post, path = "/api/v1/orders/{id}/messages", tag = "messages",
    security(("bearer" = [])), params(("id" = Uuid, Path)), request_body = PostMessageRequest,
    responses((status = 201, body = MessageResponse), (status = 401, body = Problem),
        (status = 403, body = Problem, description = "an operator who is no party"),
        (status = 404, body = Problem),
        (status = 409, body = Problem, description = "messages_closed"),
        (status = 422, body = Problem), (status = 429, body = Problem)))]
pub async fn post_order_message(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<PostMessageRequest>,
) -> AppResult<HttpResponse> {
    post(
        id,
        state,
        ThreadKind::Order,
        path.into_inner(),
        body.into_inner(),
    )
    .await
}
