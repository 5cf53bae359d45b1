//! Read replicas: a pool per streaming replica (`DATABASE_REPLICA_URLS`), their health checked
//! once a second on a thread of their own (not per request), and the callers who wrote recently,
//! whose reads stay on the primary for `DB_READ_YOUR_WRITES_MS`.
//!
//! A replica is used while its last check found it reachable, in recovery with its WAL
//! receiver streaming (or not a standby at all), and replayed to within `DB_REPLICA_MAX_LAG_MS`.
//! A read whose replica cannot give a connection, or whose connection broke, marks the replica
//! down at once and runs again on the primary.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, Pool as R2d2Pool};
use diesel::sql_types::{Bool, Double};
use uuid::Uuid;

use super::{connection_url, Pool};
use crate::config::Config;

/// How often the replicas' health is checked.
pub const CHECK_INTERVAL: Duration = Duration::from_secs(1);
/// How long a read waits for a replica's connection before it goes to the primary.
const REPLICA_ACQUIRE_TIMEOUT: Duration = Duration::from_millis(500);

struct Replica {
    pool: Pool,
    usable: AtomicBool,
    /// The replay lag of the last check, in milliseconds (`u64::MAX`: unreachable).
    lag_ms: AtomicU64,
}

struct Inner {
    replicas: Vec<Replica>,
    next: AtomicUsize,
    max_lag: Duration,
    window: Duration,
    writers: Mutex<HashMap<Uuid, Instant>>,
}

/// The replicas and the recent writers; cheap to clone. Empty when none are configured.
#[derive(Clone)]
pub struct Replicas {
    inner: Arc<Inner>,
}

#[derive(QueryableByName)]
struct Health {
    #[diesel(sql_type = Bool)]
    healthy: bool,
    #[diesel(sql_type = Double)]
    lag_ms: f64,
}

/// Healthy: not a standby, or a standby whose WAL receiver streams. The lag is 0 when all that
/// was received is replayed, else the age of the last transaction replayed.
const HEALTH: &str = "SELECT (NOT pg_is_in_recovery() OR EXISTS \
     (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming')) AS healthy, \
     (CASE WHEN NOT pg_is_in_recovery() OR pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
      ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) * 1000, 0) END)::float8 AS lag_ms";

impl Replicas {
    /// Builds a pool per replica without connecting; none is used before its first check.
    pub fn new(config: &Config) -> Self {
        let replicas = config
            .database_replica_urls
            .iter()
            .map(|url| Replica {
                pool: R2d2Pool::builder()
                    .max_size(config.db_pool_size)
                    .min_idle(Some(0))
                    .connection_timeout(REPLICA_ACQUIRE_TIMEOUT)
                    .idle_timeout(Some(Duration::from_secs(300)))
                    .test_on_check_out(true)
                    .build_unchecked(ConnectionManager::new(connection_url(
                        url.expose(),
                        config.db_statement_timeout,
                    ))),
                usable: AtomicBool::new(false),
                lag_ms: AtomicU64::new(u64::MAX),
            })
            .collect();
        Self {
            inner: Arc::new(Inner {
                replicas,
                next: AtomicUsize::new(0),
                max_lag: config.db_replica_max_lag,
                window: config.db_read_your_writes,
                writers: Mutex::new(HashMap::new()),
            }),
        }
    }

    /// Whether any replica is configured.
    pub fn configured(&self) -> bool {
        !self.inner.replicas.is_empty()
    }

    /// Starts the health checks on a thread of their own; it ends when the last clone of these
    /// replicas is dropped. Does nothing without replicas.
    pub fn spawn_checks(&self) {
        if !self.configured() {
            return;
        }
        let weak: Weak<Inner> = Arc::downgrade(&self.inner);
        let spawned = std::thread::Builder::new()
            .name("replica-checks".into())
            .spawn(move || loop {
                match weak.upgrade() {
                    Some(inner) => Replicas { inner }.check(),
                    None => return,
                }
                std::thread::sleep(CHECK_INTERVAL);
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot start the replica checks; reads stay on the primary");
        }
    }

    /// Checks every replica once (blocking).
    pub fn check(&self) {
        for (i, replica) in self.inner.replicas.iter().enumerate() {
            let health = replica.pool.get().ok().and_then(|mut conn| {
                diesel::sql_query(HEALTH)
                    .get_result::<Health>(&mut conn)
                    .ok()
            });
            let (usable, lag) = match health {
                Some(h) => {
                    let lag = Duration::from_millis(h.lag_ms.max(0.0) as u64);
                    (
                        h.healthy && lag <= self.inner.max_lag,
                        lag.as_millis() as u64,
                    )
                }
                None => (false, u64::MAX),
            };
            let was = replica.usable.swap(usable, Ordering::Relaxed);
            replica.lag_ms.store(lag, Ordering::Relaxed);
            if was != usable {
                tracing::warn!(replica = i, usable, lag_ms = lag, "replica state changed");
            }
        }
    }

    /// The next usable replica, round robin.
    pub(super) fn pick(&self) -> Option<(usize, Pool)> {
        let n = self.inner.replicas.len();
        let start = self.inner.next.fetch_add(1, Ordering::Relaxed);
        (0..n).map(|k| (start + k) % n).find_map(|i| {
            let r = &self.inner.replicas[i];
            r.usable
                .load(Ordering::Relaxed)
                .then(|| (i, r.pool.clone()))
        })
    }

    /// Takes a replica out of use until a check finds it healthy again.
    pub(super) fn mark_down(&self, i: usize) {
        if let Some(r) = self.inner.replicas.get(i) {
            if r.usable.swap(false, Ordering::Relaxed) {
                tracing::warn!(
                    replica = i,
                    "replica failed a read; reads go to the primary"
                );
            }
        }
    }

    /// Which replicas are in use now, in configuration order.
    pub fn usable(&self) -> Vec<bool> {
        self.inner
            .replicas
            .iter()
            .map(|r| r.usable.load(Ordering::Relaxed))
            .collect()
    }

    /// Remembers that `user` just wrote: its reads stay on the primary for the window.
    pub fn wrote(&self, user: Uuid) {
        if !self.configured() {
            return;
        }
        let now = Instant::now();
        if let Ok(mut writers) = self.inner.writers.lock() {
            if writers.len() > 10_000 {
                writers.retain(|_, at| now.duration_since(*at) < self.inner.window);
            }
            writers.insert(user, now);
        }
    }

    /// Whether `user` wrote within the window.
    pub fn wrote_recently(&self, user: Uuid) -> bool {
        self.inner
            .writers
            .lock()
            .ok()
            .and_then(|w| w.get(&user).copied())
            .is_some_and(|at| at.elapsed() < self.inner.window)
    }
}
