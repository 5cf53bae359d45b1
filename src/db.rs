//! The connection pool, the embedded migrations, and `run`: the one way handlers reach the
//! database. Diesel is synchronous, so every query runs on the blocking thread pool, never on an
//! actix worker thread.

use std::time::Duration;

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Pool as R2d2Pool, PooledConnection};
use diesel::Connection;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use crate::config::Config;
use crate::error::{AppError, AppResult};

pub mod replicas;
pub use replicas::Replicas;

/// The migrations in `migrations/`, compiled into the binary so production and tests run the same.
pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// A pool of PostgreSQL connections.
pub type Pool = R2d2Pool<ConnectionManager<PgConnection>>;
/// One connection taken from the [`Pool`].
pub type Conn = PooledConnection<ConnectionManager<PgConnection>>;

/// Adds libpq parameters that keep a dead server from hanging requests: a connect timeout, TCP
/// keepalives, a user timeout for unacknowledged sends, and a server-side statement timeout.
/// Parameters already present in `url` win.
pub fn connection_url(url: &str, statement_timeout: Duration) -> String {
    let params = [
        ("connect_timeout", "2".to_owned()),
        ("keepalives", "1".to_owned()),
        ("keepalives_idle", "10".to_owned()),
        ("keepalives_interval", "5".to_owned()),
        ("keepalives_count", "3".to_owned()),
        ("tcp_user_timeout", "10000".to_owned()),
        ("application_name", "lifemarket".to_owned()),
        (
            "options",
            format!("-c%20statement_timeout%3D{}", statement_timeout.as_millis()),
        ),
    ];
    let mut out = url.to_owned();
    for (name, value) in params {
        if out.contains(&format!("{name}=")) {
            continue;
        }
        out.push(if out.contains('?') { '&' } else { '?' });
        out.push_str(name);
        out.push('=');
        out.push_str(&value);
    }
    out
}

/// Builds the pool without connecting: the server starts (and `/readyz` answers 503) even while
/// PostgreSQL is down, and recovers by itself when it comes back.
pub fn pool(config: &Config) -> Pool {
    let manager = ConnectionManager::new(connection_url(
        config.database_url.expose(),
        config.db_statement_timeout,
    ));
    R2d2Pool::builder()
        .max_size(config.db_pool_size)
        .min_idle(Some(0))
        .connection_timeout(config.db_acquire_timeout)
        .idle_timeout(Some(Duration::from_secs(300)))
        .test_on_check_out(true)
        .build_unchecked(manager)
}

/// Runs `f` with a pooled connection on the blocking thread pool.
pub async fn run<F, T>(pool: &Pool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    let pool = pool.clone();
    actix_web::web::block(move || {
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Runs a read that tolerates a little lag: on a usable replica unless `primary` (the caller
/// wrote recently) or none is, else on the primary. A replica that cannot give a connection
/// within half a second, or whose connection breaks during `f`, is marked down and `f` runs
/// again on the primary, so reads keep answering while a replica is stopped.
pub async fn read<F, T>(pool: &Pool, replicas: &Replicas, primary: bool, f: F) -> AppResult<T>
where
    F: Fn(&mut PgConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    use diesel::r2d2::R2D2Connection;
    let pool = pool.clone();
    let replica = if primary { None } else { replicas.pick() };
    let replicas = replicas.clone();
    actix_web::web::block(move || {
        if let Some((i, replica_pool)) = replica {
            match replica_pool.get() {
                Ok(mut conn) => {
                    let result = f(&mut conn);
                    if result.is_ok() || conn.ping().is_ok() {
                        metrics::counter!("db_reads_total", "on" => "replica").increment(1);
                        return result;
                    }
                    tracing::warn!(replica = i, "a read on the replica broke its connection");
                    replicas.mark_down(i);
                }
                Err(e) => {
                    tracing::warn!(replica = i, error = %e, "no connection from the replica");
                    replicas.mark_down(i);
                }
            }
        }
        metrics::counter!("db_reads_total", "on" => "primary").increment(1);
        let mut conn = pool.get()?;
        f(&mut conn)
    })
    .await?
}

/// Runs `f` inside one transaction, committed only if `f` returns `Ok`.
pub async fn tx<F, T>(pool: &Pool, f: F) -> AppResult<T>
where
    F: FnOnce(&mut PgConnection) -> AppResult<T> + Send + 'static,
    T: Send + 'static,
{
    run(pool, move |conn| conn.transaction(f)).await
}

/// Applies pending migrations; returns the names of those applied. A session advisory lock
/// makes processes that start together take turns instead of racing.
pub fn migrate(conn: &mut PgConnection) -> AppResult<Vec<String>> {
    use diesel::RunQueryDsl;
    const LOCK: &str = "SELECT pg_advisory_lock(72450001)";
    diesel::sql_query(LOCK).execute(conn)?;
    let applied = conn
        .run_pending_migrations(MIGRATIONS)
        .map(|versions| versions.iter().map(|v| v.to_string()).collect())
        .map_err(|e| AppError::internal_in("migration failed", e));
    diesel::sql_query("SELECT pg_advisory_unlock(72450001)").execute(conn)?;
    applied
}

/// Opens a single connection outside the pool (CLI commands).
pub fn connect(config: &Config) -> AppResult<PgConnection> {
    PgConnection::establish(&connection_url(
        config.database_url.expose(),
        config.db_statement_timeout,
    ))
    .map_err(|e| AppError::internal_in("cannot connect to the database", e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_url_adds_timeouts_and_keeps_existing_parameters() {
        let url = connection_url(
            "postgres://u@h/db?connect_timeout=5",
            Duration::from_secs(3),
        );
        assert!(url.starts_with("postgres://u@h/db?connect_timeout=5&keepalives=1"));
        assert_eq!(url.matches("connect_timeout=").count(), 1);
        assert!(url.ends_with("options=-c%20statement_timeout%3D3000"));
    }
}
