//! The app on a real socket (`HttpServer` on 127.0.0.1, port 0), for what an in-process call
//! cannot show: endless event streams read as they arrive, and pages driven by a browser.

use std::time::Duration;

use actix_web::dev::ServerHandle;
use futures_util::StreamExt;

use super::TestApp;

/// A running server; stopped when dropped.
pub struct Served {
    pub base: String,
    handle: ServerHandle,
}

impl Drop for Served {
    fn drop(&mut self) {
        let handle = self.handle.clone();
        actix_web::rt::spawn(async move { handle.stop(false).await });
    }
}

impl TestApp {
    /// Serves this app's state (the same database and hub) on a free port of 127.0.0.1.
    pub fn serve(&self) -> Served {
        self.serve_on(std::net::TcpListener::bind("127.0.0.1:0").unwrap())
    }

    /// Serves this app's state on a socket bound already (its port known before the app was
    /// made, e.g. for `PUBLIC_URL`).
    pub fn serve_on(&self, listener: std::net::TcpListener) -> Served {
        let state = self.state.clone();
        let port = listener.local_addr().unwrap().port();
        let server = actix_web::HttpServer::new(move || lifemarket::app(state.clone()))
            .workers(1)
            .disable_signals()
            .shutdown_timeout(1)
            .listen(listener)
            .unwrap()
            .run();
        let handle = server.handle();
        actix_web::rt::spawn(server);
        Served {
            base: format!("http://127.0.0.1:{port}"),
            handle,
        }
    }
}

/// One server-sent event, or a comment line (`event` is `:` and `data` the comment).
#[derive(Debug, Clone)]
pub struct Sse {
    pub id: Option<i64>,
    pub event: String,
    pub data: serde_json::Value,
}

/// An open event stream.
pub struct Stream {
    pub status: reqwest::StatusCode,
    pub headers: reqwest::header::HeaderMap,
    body: Option<futures_util::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>>,
    buffer: String,
}

/// Opens `url` with a bearer token and an optional `Last-Event-ID`.
pub async fn open_stream(url: &str, token: &str, last_event_id: Option<i64>) -> Stream {
    let mut req = reqwest::Client::new()
        .get(url)
        .header("authorization", format!("Bearer {token}"))
        .header("accept", "text/event-stream");
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id.to_string());
    }
    let res = req.send().await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    Stream {
        status,
        headers,
        body: Some(res.bytes_stream().boxed()),
        buffer: String::new(),
    }
}

impl Stream {
    /// The next frame (event or comment) within `wait`, or `None`.
    pub async fn next_frame(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(end) = self.buffer.find("\n\n") {
                let raw: String = self.buffer.drain(..end + 2).collect();
                if let Some(frame) = parse(&raw) {
                    return Some(frame);
                }
                continue;
            }
            let body = self.body.as_mut()?;
            match tokio::time::timeout_at(deadline, body.next()).await {
                Ok(Some(Ok(chunk))) => self.buffer.push_str(&String::from_utf8_lossy(&chunk)),
                Ok(_) => {
                    self.body = None;
                    return None;
                }
                Err(_) => return None,
            }
        }
    }

    /// The next event (comments skipped) within `wait`.
    pub async fn next_event(&mut self, wait: Duration) -> Option<Sse> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next_frame(left).await?;
            if frame.event != ":" && frame.event != "retry" {
                return Some(frame);
            }
        }
    }

    /// Closes the connection.
    pub fn close(&mut self) {
        self.body = None;
    }
}

fn parse(raw: &str) -> Option<Sse> {
    let (mut id, mut event, mut data) = (None, None, String::new());
    let mut comment = None;
    for line in raw.lines() {
        if let Some(c) = line.strip_prefix(':') {
            comment.get_or_insert_with(|| c.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("id: ") {
            id = v.parse().ok();
        } else if let Some(v) = line.strip_prefix("event: ") {
            event = Some(v.to_owned());
        } else if let Some(v) = line.strip_prefix("data: ") {
            data.push_str(v);
        } else if line.starts_with("retry: ") && event.is_none() {
            event = Some("retry".to_owned());
        }
    }
    match (event, comment) {
        (Some(e), _) if e != "retry" || data.is_empty() => Some(Sse {
            id,
            event: e,
            data: serde_json::from_str(&data).unwrap_or(serde_json::Value::Null),
        }),
        (_, Some(c)) => Some(Sse {
            id: None,
            event: ":".to_owned(),
            data: serde_json::Value::String(c),
        }),
        _ => None,
    }
}
