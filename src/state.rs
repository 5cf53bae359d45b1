//! The state every handler and job may use: configuration, the pool, the signing keys, the
//! password hasher, the mailer. Kernel: it knows no feature.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::{JwtKeys, Passwords};
use crate::error::AppResult;
use crate::jobs::Mailer;
use crate::{db, http};

/// What every handler may use; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: db::Pool,
    pub keys: Arc<JwtKeys>,
    pub passwords: Passwords,
    pub mailer: Mailer,
    /// Set once SIGTERM arrives: `/readyz` answers 503 while the server drains.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// The process-wide Prometheus recorder, installed before the first request.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
}

impl AppState {
    /// Builds the state; connects to nothing yet (the pool connects on demand).
    pub fn new(config: Config) -> AppResult<Self> {
        Ok(Self {
            pool: db::pool(&config),
            keys: Arc::new(JwtKeys::new(&config)),
            passwords: Passwords::new(config.password_cost)?,
            mailer: Mailer::new(&config.mail)?,
            metrics: http::metrics::handle(),
            draining: Arc::default(),
            config: Arc::new(config),
        })
    }
}
