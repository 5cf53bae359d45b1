//! Read replicas, against the real streaming replica `scripts/test.sh` starts beside the test
//! instance: lag-tolerant reads go to the replica, a caller's reads after its own write go to
//! the primary, a replica lagging past the limit is skipped, and with the replica stopped
//! mid-run searches keep answering from the primary.

use std::time::{Duration, Instant};

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use lifemarket::config::Secret;

use crate::helpers::merchants::CENTRE;
use crate::helpers::TestApp;

fn replica_url(database: &str) -> String {
    let base = std::env::var("TEST_REPLICA_URL").unwrap_or_else(|_| {
        panic!("TEST_REPLICA_URL is not set: run the suite with scripts/test.sh, which starts the replica (see its output if it could not)")
    });
    let (base, _) = base.rsplit_once('/').unwrap();
    format!("{base}/{database}")
}

fn replica_ctl(action: &str) {
    let ctl = std::env::var("TEST_REPLICA_CTL").expect("TEST_REPLICA_CTL (scripts/test.sh)");
    let out = std::process::Command::new(ctl)
        .arg(action)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "replica {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Waits until `probe` holds, for at most 15 s.
fn eventually(what: &str, mut probe: impl FnMut() -> bool) {
    let start = Instant::now();
    while !probe() {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "timed out waiting: {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// Whether the replica has replayed the approved merchant with this name.
fn replica_has(url: &str, name: &str) -> bool {
    let Ok(mut conn) = PgConnection::establish(url) else {
        return false;
    };
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM merchants WHERE display_name = '{name}' AND status = 'approved'"
    ))
    .get_result::<N>(&mut conn)
    .is_ok_and(|r| r.n == 1)
}

async fn found(app: &TestApp, q: &str, token: Option<&str>) -> bool {
    let q: String = form_urlencoded::byte_serialize(q.as_bytes()).collect();
    let mut req = app.get(&format!("/api/v1/search?q={q}"));
    if let Some(token) = token {
        req = req.bearer(token);
    }
    let res = req.send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    !res.body["items"].as_array().unwrap().is_empty()
}

/// Resumes the replica's replay when dropped, so a failed run does not leave it paused for the
/// next one.
struct ResumeReplay(String);

impl Drop for ResumeReplay {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.0) {
            let _ = conn.batch_execute("SELECT pg_wal_replay_resume()");
        }
    }
}

#[actix_web::test]
async fn reads_use_the_replica_own_writes_the_primary_and_a_lagging_or_stopped_replica_is_skipped()
{
    let app = TestApp::spawn_with(|config, db| {
        config.database_replica_urls = vec![Secret::new(replica_url(&db.name))];
        config.db_replica_max_lag = Duration::from_secs(60);
        config.db_read_your_writes = Duration::from_secs(30);
    })
    .await;
    let url = replica_url(&app.db.name);
    drop(ResumeReplay(replica_url("postgres")));
    let _resume = ResumeReplay(replica_url("postgres"));
    let (merchant, owner) = app
        .merchant_at("旧名家政", CENTRE, 5000, &["housekeeping"])
        .await;
    let stranger = app.consumer().await;
    eventually("the replica replays the merchant", || {
        replica_has(&url, "旧名家政")
    });
    eventually("the replica is in use", || {
        app.state.replicas.check();
        app.state.replicas.usable() == [true]
    });

    // Replay paused: the primary renames the merchant, the replica still has the old name.
    let mut replica = PgConnection::establish(&url).unwrap();
    replica
        .batch_execute("SELECT pg_wal_replay_pause()")
        .unwrap();
    eventually("the replay pauses", || {
        #[derive(QueryableByName)]
        struct State {
            #[diesel(sql_type = diesel::sql_types::Text)]
            state: String,
        }
        diesel::sql_query("SELECT pg_get_wal_replay_pause_state() AS state")
            .get_result::<State>(&mut replica)
            .is_ok_and(|s| s.state == "paused")
    });
    app.conn()
        .batch_execute(&format!(
            "UPDATE merchants SET display_name = '新名家政' WHERE id = '{merchant}'"
        ))
        .unwrap();
    assert!(
        found(&app, "旧名", None).await,
        "an anonymous search reads the replica"
    );
    assert!(!found(&app, "新名", None).await);
    assert!(
        !found(&app, "新名", Some(&stranger.access)).await,
        "a caller who wrote nothing reads the replica"
    );
    let res = app
        .get(&format!("/api/v1/merchants/{merchant}"))
        .send()
        .await;
    assert_eq!(
        res.body["display_name"], "旧名家政",
        "the public page reads the replica"
    );

    // The owner writes (a service) and then reads its own write from the primary.
    app.service(&owner, &merchant, 9_900).await;
    assert!(
        found(&app, "新名", Some(&owner.access)).await,
        "read-your-writes on the primary"
    );
    assert!(
        !found(&app, "新名", None).await,
        "others still read the replica"
    );

    // A replica further behind than the limit is skipped (the replay is still paused).
    std::thread::sleep(Duration::from_millis(1200));
    let mut strict = (*app.state.config).clone();
    strict.db_replica_max_lag = Duration::from_millis(500);
    let strict = lifemarket::db::Replicas::new(&strict);
    strict.check();
    assert_eq!(strict.usable(), [false], "lagging past 500 ms");

    replica
        .batch_execute("SELECT pg_wal_replay_resume()")
        .unwrap();
    drop(replica);
    eventually("the resumed replica catches up", || {
        strict.check();
        strict.usable() == [true]
    });
    eventually("the replica replays the rename", || {
        replica_has(&url, "新名家政")
    });
    assert!(found(&app, "新名", None).await);

    // The replica stops mid-run: searches keep answering, from the primary.
    replica_ctl("stop");
    app.conn()
        .batch_execute(&format!(
            "UPDATE merchants SET display_name = '三名家政' WHERE id = '{merchant}'"
        ))
        .unwrap();
    assert!(found(&app, "三名", None).await, "answered by the primary");
    assert_eq!(
        app.state.replicas.usable(),
        [false],
        "marked down by the failed read"
    );
    app.state.replicas.check();
    assert_eq!(app.state.replicas.usable(), [false]);
    assert!(found(&app, "三名", None).await);

    replica_ctl("start");
    eventually("the restarted replica is in use again", || {
        app.state.replicas.check();
        app.state.replicas.usable() == [true]
    });
    eventually("the replica replays the last rename", || {
        replica_has(&url, "三名家政")
    });
    assert!(found(&app, "三名", None).await);
}
