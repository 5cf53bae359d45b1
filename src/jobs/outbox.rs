//! The email outbox. An email is a row written in the transaction that caused it plus a
//! `send_email` job; after commit a worker sends it through the [`Mailer`]. The Message-ID is
//! derived from the row id, so a receiving server can drop the duplicate a crash between
//! sending and committing could cause.

use chrono::Utc;
use diesel::prelude::*;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::schema::outbox_emails;

use super::models;
use super::{JobContext, Outcome};
use crate::mail::Mailer;

/// The job kind that sends one outbox email.
pub const SEND_EMAIL: &str = "send_email";

/// An email to send.
#[derive(Debug, Clone)]
pub struct Email {
    pub recipient: String,
    /// The recipient's account, so that erasing the account erases its mail.
    pub account: Option<Uuid>,
    pub subject: String,
    pub body_text: String,
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = outbox_emails, check_for_backend(diesel::pg::Pg))]
struct OutboxRow {
    recipient: String,
    subject: String,
    body_text: String,
    sent_at: Option<chrono::DateTime<Utc>>,
}

#[derive(Deserialize)]
struct SendPayload {
    email_id: Uuid,
}

/// The Message-ID of outbox email `id`.
pub fn message_id(id: Uuid) -> String {
    format!("<{id}@lifemarket.local>")
}

/// Deletes the mail of an account (its erasure): what was addressed to its account or to its
/// email address.
pub fn forget_user(conn: &mut PgConnection, user_id: Uuid, email: &str) -> QueryResult<usize> {
    diesel::delete(
        outbox_emails::table.filter(
            outbox_emails::user_id
                .eq(user_id)
                .or(outbox_emails::recipient.eq(email)),
        ),
    )
    .execute(conn)
}

/// Queues an email in the caller's transaction; it is sent only if that transaction commits.
pub fn enqueue(conn: &mut PgConnection, email: &Email) -> QueryResult<Uuid> {
    let id = Uuid::now_v7();
    diesel::insert_into(outbox_emails::table)
        .values((
            outbox_emails::id.eq(id),
            outbox_emails::recipient.eq(&email.recipient),
            outbox_emails::subject.eq(&email.subject),
            outbox_emails::body_text.eq(&email.body_text),
            outbox_emails::user_id.eq(email.account),
        ))
        .execute(conn)?;
    models::enqueue(
        conn,
        SEND_EMAIL,
        serde_json::json!({ "email_id": id }),
        Utc::now(),
    )?;
    Ok(id)
}

/// Sends one outbox email unless it was already sent (or erased with its account).
pub fn send(
    conn: &mut PgConnection,
    ctx: &JobContext<'_>,
    payload: &serde_json::Value,
) -> AppResult<Outcome> {
    let SendPayload { email_id } =
        serde_json::from_value(payload.clone()).map_err(AppError::internal)?;
    let row = outbox_emails::table
        .find(email_id)
        .select(OutboxRow::as_select())
        .for_update()
        .first(conn)
        .optional()?;
    let Some(row) = row.filter(|r| r.sent_at.is_none()) else {
        return Ok(Outcome::Done);
    };
    let message = Mailer::build(
        ctx.mail_from,
        &row.recipient,
        &row.subject,
        &row.body_text,
        &message_id(email_id),
    )?;
    ctx.runtime.block_on(ctx.mailer.send(message))?;
    diesel::update(outbox_emails::table.find(email_id))
        .set(outbox_emails::sent_at.eq(Utc::now()))
        .execute(conn)?;
    Ok(Outcome::Done)
}
