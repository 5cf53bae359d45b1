//! Prometheus metrics: request counts and latency by route, and the pool's state, at `/metrics`.

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::{web, HttpResponse};

use crate::state::AppState;

/// Records `http_requests_total` and `http_request_duration_seconds` by method, route pattern
/// (never the raw path, which may hold ids) and status.
pub async fn record(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let route = req
        .match_pattern()
        .unwrap_or_else(|| "unmatched".to_owned());
    let response = next.call(req).await?;
    let status = response.status().as_u16().to_string();
    let labels = [("method", method), ("route", route), ("status", status)];
    metrics::counter!("http_requests_total", &labels).increment(1);
    metrics::histogram!("http_request_duration_seconds", &labels)
        .record(started.elapsed().as_secs_f64());
    Ok(response)
}

/// The Prometheus text exposition.
pub async fn metrics_endpoint(state: web::Data<AppState>) -> HttpResponse {
    let pool = state.pool.state();
    metrics::gauge!("db_pool_connections").set(f64::from(pool.connections));
    metrics::gauge!("db_pool_idle_connections").set(f64::from(pool.idle_connections));
    metrics::gauge!("db_pool_max_size").set(f64::from(state.pool.max_size()));
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}

#[cfg(test)]
mod tests {
    #[test]
    fn recorded_metrics_render() {
        let handle = crate::telemetry::metrics_handle();
        metrics::counter!("probe_total", "route" => "/x").increment(1);
        let text = handle.render();
        assert!(text.contains("probe_total"), "{text:?}");
    }
}
