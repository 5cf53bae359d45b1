//! The live event streams (Server-Sent Events): `GET /api/v1/me/events` (the caller's own
//! orders, bookings, after-sales requests and payments changing state) and
//! `GET /api/v1/merchants/{id}/events` (everything about a merchant, for its members; a
//! stranger gets 404). Each event's `id` is its position: a client that reconnects with
//! `Last-Event-ID` gets every event after it once, in order. An idle stream sends a comment
//! line every `EVENT_HEARTBEAT_SECS`; an account holds at most `EVENT_STREAMS_PER_USER` streams
//! in one process (429 beyond). The portal's board reads the same stream through its cookie
//! session (`app::portal`). Assembly: it asks `merchants` who is a member.

use std::collections::VecDeque;
use std::sync::Arc;

use actix_web::http::header;
use actix_web::{web, HttpRequest, HttpResponse};
use bytes::Bytes;
use tokio::sync::broadcast::{self, error::RecvError};
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::live::{self, Event, Filter, Slot};
use crate::merchants;
use crate::state::AppState;

/// Events read from the database per query while a stream catches up.
const CATCH_UP_BATCH: i64 = 500;

/// The caller's own events.
#[utoipa::path(get, path = "/api/v1/me/events", tag = "events", operation_id = "stream_my_events",
    security(("bearer" = [])),
    params(("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id (the browser sends it on reconnect)")),
    responses(
        (status = 200, content_type = "text/event-stream", body = live::Event,
            description = "An endless stream: `id: <seq>`, `event: <kind>`, `data: <Event as JSON>`; comment lines as heartbeats"),
        (status = 401, body = Problem, description = "unauthorized, invalid_token"),
        (status = 422, body = Problem, description = "validation_failed: Last-Event-ID is not a number"),
        (status = 429, body = Problem, description = "rate_limited: too many open streams for this account")))]
pub async fn my_events(
    id: Identity,
    state: web::Data<AppState>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    open(state, id.user_id, Filter::Consumer(id.user_id), &req).await
}

/// A merchant's events: new orders and bookings and every change to them, after-sales
/// requests, new reviews. For the merchant's members.
#[utoipa::path(get, path = "/api/v1/merchants/{id}/events", tag = "events",
    operation_id = "stream_merchant_events", security(("bearer" = [])),
    params(("id" = Uuid, Path),
        ("Last-Event-ID" = Option<i64>, Header, description = "Resume after this event id (the browser sends it on reconnect)")),
    responses(
        (status = 200, content_type = "text/event-stream", body = live::Event,
            description = "An endless stream: `id: <seq>`, `event: <kind>`, `data: <Event as JSON>`; comment lines as heartbeats"),
        (status = 401, body = Problem, description = "unauthorized, invalid_token"),
        (status = 404, body = Problem, description = "not_found: no such merchant, or the caller is not a member"),
        (status = 422, body = Problem, description = "validation_failed: Last-Event-ID is not a number"),
        (status = 429, body = Problem, description = "rate_limited: too many open streams for this account")))]
pub async fn merchant_events(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    req: HttpRequest,
) -> AppResult<HttpResponse> {
    let merchant_id = path.into_inner();
    merchant_stream(state, id.user_id, merchant_id, &req).await
}

/// The merchant's stream for `user`, who must be a member (404 otherwise).
pub async fn merchant_stream(
    state: web::Data<AppState>,
    user: Uuid,
    merchant_id: Uuid,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    db::run(&state.pool, move |conn| {
        merchants::access::role_of(conn, merchant_id, user)?.ok_or(AppError::NotFound)
    })
    .await?;
    open(state, user, Filter::Merchant(merchant_id), req).await
}

fn last_event_id(req: &HttpRequest) -> AppResult<Option<i64>> {
    let Some(value) = req.headers().get("last-event-id") else {
        return Ok(None);
    };
    value
        .to_str()
        .ok()
        .and_then(|v| v.trim().parse::<i64>().ok())
        .filter(|n| *n >= 0)
        .map(Some)
        .ok_or_else(|| AppError::invalid("Last-Event-ID", "must be a non-negative integer"))
}

/// Opens a stream of `filter`'s events for `user`.
async fn open(
    state: web::Data<AppState>,
    user: Uuid,
    filter: Filter,
    req: &HttpRequest,
) -> AppResult<HttpResponse> {
    let resume = last_event_id(req)?;
    let slot = state.live.claim(user)?;
    // The newest position, read before subscribing (see `Hub::subscribe`); the stream then
    // reads the table from its start before it takes the receiver's events, so an event
    // committed while it opens is neither missed nor sent twice.
    let committed = db::run(&state.pool, |conn| Ok(live::last_seq(conn)?)).await?;
    let rx = state.live.subscribe(committed)?;
    let last = resume.unwrap_or(committed);
    let mut heartbeat = tokio::time::interval(state.config.events.heartbeat);
    heartbeat.reset(); // the first tick one period from now, not at once
    let feed = Feed {
        pool: state.pool.clone(),
        filter,
        rx,
        last,
        pending: VecDeque::new(),
        catching_up: true,
        greeted: false,
        heartbeat,
        _slot: slot,
    };
    let body = futures_util::stream::unfold(feed, |mut feed| async move {
        let chunk = feed.next().await?;
        Some((Ok::<_, actix_web::Error>(chunk), feed))
    });
    Ok(HttpResponse::Ok()
        .insert_header((header::CONTENT_TYPE, "text/event-stream"))
        .insert_header((header::CACHE_CONTROL, "no-cache, no-store"))
        .insert_header(("x-accel-buffering", "no"))
        .streaming(body))
}

/// One open stream.
struct Feed {
    pool: db::Pool,
    filter: Filter,
    rx: broadcast::Receiver<Arc<Event>>,
    /// The last event sent (or the position the stream started at).
    last: i64,
    pending: VecDeque<Event>,
    /// Reading missed events from the database; the receiver waits meanwhile.
    catching_up: bool,
    greeted: bool,
    heartbeat: tokio::time::Interval,
    _slot: Slot,
}

impl Feed {
    /// The next chunk to send; `None` ends the stream (the client reconnects and resumes).
    async fn next(&mut self) -> Option<Bytes> {
        if !self.greeted {
            self.greeted = true;
            return Some(Bytes::from_static(b"retry: 3000\n: connected\n\n"));
        }
        loop {
            if let Some(event) = self.pending.pop_front() {
                if event.seq <= self.last {
                    continue;
                }
                self.last = event.seq;
                return Some(frame(&event));
            }
            if self.catching_up {
                let (filter, last) = (self.filter, self.last);
                let rows = db::run(&self.pool, move |conn| {
                    Ok(live::after(conn, filter, last, CATCH_UP_BATCH)?)
                })
                .await;
                match rows {
                    Ok(rows) => {
                        self.catching_up = rows.len() as i64 == CATCH_UP_BATCH;
                        self.pending.extend(rows);
                        continue;
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "an event stream could not catch up; closing it");
                        return None;
                    }
                }
            }
            tokio::select! {
                received = self.rx.recv() => match received {
                    Ok(event) => {
                        if event.seq > self.last && self.filter.matches(&event) {
                            self.pending.push_back((*event).clone());
                        }
                    }
                    // Fell behind the broadcast: read what was missed from the table.
                    Err(RecvError::Lagged(_)) => self.catching_up = true,
                    Err(RecvError::Closed) => return None,
                },
                _ = self.heartbeat.tick() => return Some(Bytes::from_static(b": heartbeat\n\n")),
            }
        }
    }
}

/// One event in the SSE wire format.
fn frame(event: &Event) -> Bytes {
    let data = serde_json::to_string(event).unwrap_or_else(|_| "{}".to_owned());
    Bytes::from(format!(
        "id: {}\nevent: {}\ndata: {data}\n\n",
        event.seq, event.kind
    ))
}
