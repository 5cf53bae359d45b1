//! The state every handler and job may use: configuration, the pool and the read replicas, the
//! signing keys, the password hasher, the mailer, the object store. Kernel: it knows no feature.

use std::sync::Arc;

use crate::config::Config;
use crate::crypto::{JwtKeys, Passwords};
use crate::db;
use crate::error::AppResult;
use crate::jobs::{Registry, Runner};
use crate::mail::Mailer;
use crate::pay::Providers;
use crate::storage::Store;

/// What every handler may use; cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub pool: db::Pool,
    /// The read replicas (none unless `DATABASE_REPLICA_URLS`) and who wrote recently.
    pub replicas: db::Replicas,
    pub keys: Arc<JwtKeys>,
    pub passwords: Passwords,
    pub mailer: Mailer,
    /// Where uploaded files are stored.
    pub store: Store,
    /// Set once SIGTERM arrives: `/readyz` answers 503 while the server drains.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
    /// The process-wide Prometheus recorder, installed before the first request.
    pub metrics: metrics_exporter_prometheus::PrometheusHandle,
    /// The payment providers the configuration enables.
    pub pay: Providers,
    /// The live events of this process, which the event streams read.
    pub live: crate::live::Hub,
    /// The job loops' share of the state, with the job kinds the assembly registered.
    pub jobs: Runner,
}

impl AppState {
    /// Builds the state; connects to nothing yet (the pool connects on demand). `app::state`
    /// passes the registry of every feature's job kinds.
    pub fn new(config: Config, jobs: Registry) -> AppResult<Self> {
        let pool = db::pool(&config);
        let replicas = db::Replicas::new(&config);
        replicas.spawn_checks();
        let mailer = Mailer::new(&config.mail)?;
        let store = Store::new(&config.upload_store)?;
        let pay = Providers::new(&config)?;
        Ok(Self {
            jobs: Runner {
                pool: pool.clone(),
                mailer: mailer.clone(),
                mail_from: config.mail_from.clone(),
                store: store.clone(),
                pay: pay.clone(),
                public_url: config.public_url.clone(),
                registry: Arc::new(jobs),
            },
            live: crate::live::Hub::new(pool.clone(), config.events.poll, config.events.per_user),
            pool,
            replicas,
            pay,
            keys: Arc::new(JwtKeys::new(&config)),
            passwords: Passwords::new(config.password_cost)?,
            mailer,
            store,
            metrics: crate::telemetry::metrics_handle(),
            draining: Arc::default(),
            config: Arc::new(config),
        })
    }
}
