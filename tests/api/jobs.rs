//! Durable jobs and the email outbox.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text, Timestamptz};

use lifemarket::jobs::{models, outbox};

use crate::helpers::TestApp;

#[derive(QueryableByName)]
struct Sent {
    #[diesel(sql_type = Text)]
    id: String,
    #[diesel(sql_type = Nullable<Timestamptz>)]
    sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

fn outbox_rows(app: &TestApp) -> Vec<Sent> {
    diesel::sql_query("SELECT id::text AS id, sent_at FROM outbox_emails")
        .load(&mut app.conn())
        .unwrap()
}

#[actix_web::test]
async fn an_email_survives_a_worker_that_dies_before_sending_and_is_sent_once() {
    let app = TestApp::spawn().await;
    app.consumer().await; // queues the welcome email

    // A worker claims the job and dies before sending: its transaction never commits.
    let mut dying = app.conn();
    dying.batch_execute("BEGIN").unwrap();
    let claimed = models::claim_next(&mut dying)
        .unwrap()
        .expect("the send job is due");
    assert_eq!(claimed.kind, outbox::SEND_EMAIL);

    // While it holds the job, other workers skip it rather than send it twice.
    assert_eq!(app.run_jobs().await, 0);
    assert!(app.sent_emails().is_empty());

    drop(dying); // the process is gone; PostgreSQL rolls back and releases the lock

    // The server notices the closed connection asynchronously: the next run that finds the job
    // free sends it, once.
    let mut ran = 0;
    for _ in 0..100 {
        ran = app.run_jobs().await;
        if ran > 0 {
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(ran, 1);
    assert_eq!(app.run_jobs().await, 0);
    let sent = app.sent_emails();
    assert_eq!(sent.len(), 1);
    let rows = outbox_rows(&app);
    assert!(rows[0].sent_at.is_some());
    assert_eq!(
        sent[0].message_id,
        format!("<{}@lifemarket.local>", rows[0].id)
    );
    assert_eq!(app.count("jobs"), 0);
}

#[actix_web::test]
async fn a_failing_job_is_retried_later_and_its_writes_roll_back() {
    let app = TestApp::spawn().await;
    app.db(|conn| {
        conn.batch_execute(
            "INSERT INTO rate_limits (key, window_start, hits) VALUES ('marker', now(), 1)",
        )?;
        models::enqueue(
            conn,
            "no_such_kind",
            serde_json::json!({}),
            chrono::Utc::now(),
        )?;
        Ok(())
    })
    .await
    .unwrap();
    assert_eq!(app.run_jobs().await, 1);

    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Integer)]
        attempts: i32,
        #[diesel(sql_type = Nullable<Text>)]
        last_error: Option<String>,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        later: bool,
    }
    let row: Row =
        diesel::sql_query("SELECT attempts, last_error, run_at > now() AS later FROM jobs")
            .get_result(&mut app.conn())
            .unwrap();
    assert_eq!(row.attempts, 1);
    assert!(row.last_error.unwrap().contains("no_such_kind"));
    assert!(row.later, "retried with a backoff, not at once");
    assert_eq!(app.run_jobs().await, 0);
}

#[actix_web::test]
async fn two_workers_never_send_the_same_email_twice() {
    let app = TestApp::spawn().await;
    app.db(|conn| {
        for i in 0..12 {
            outbox::enqueue(
                conn,
                &outbox::Email {
                    recipient: format!("r{i}@example.cn"),
                    account: None,
                    subject: "s".into(),
                    body_text: "b".into(),
                },
            )?;
        }
        Ok(())
    })
    .await
    .unwrap();
    let (a, b) = futures_util::join!(app.run_jobs(), app.run_jobs());
    assert_eq!(a + b, 12);
    let sent = app.sent_emails();
    let mut ids: Vec<_> = sent.iter().map(|s| s.message_id.clone()).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 12);
    assert_eq!(sent.len(), 12);
}

#[actix_web::test]
async fn a_recurring_job_keeps_retrying_where_a_one_off_job_gives_up() {
    let app = TestApp::spawn().await;
    app.conn()
        .batch_execute(
            "INSERT INTO jobs (id, kind, attempts, max_attempts, dedupe_key) VALUES
               (gen_random_uuid(), 'broken_recurring', 9, 10, 'broken_recurring'),
               (gen_random_uuid(), 'broken_once', 9, 10, NULL)",
        )
        .unwrap();
    assert_eq!(app.run_jobs().await, 2);
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        kind: String,
        #[diesel(sql_type = diesel::sql_types::Bool)]
        failed: bool,
    }
    let mut rows: Vec<Row> =
        diesel::sql_query("SELECT kind, failed_at IS NOT NULL AS failed FROM jobs ORDER BY kind")
            .load(&mut app.conn())
            .unwrap();
    rows.sort_by(|a, b| a.kind.cmp(&b.kind));
    assert_eq!(
        (rows[0].kind.as_str(), rows[0].failed),
        ("broken_once", true)
    );
    assert_eq!(
        (rows[1].kind.as_str(), rows[1].failed),
        ("broken_recurring", false)
    );
}
