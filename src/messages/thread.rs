//! A thread as the caller stands to it: the booking or order it belongs to (asked of their
//! owners), the caller's standing (404 for a stranger), and who is told of a new message.

use chrono::Duration;
use diesel::PgConnection;
use uuid::Uuid;

use crate::accounts;
use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::error::{AppError, AppResult};
use crate::jobs::outbox::{self, Email};
use crate::merchants::{self, access};
use crate::{booking, orders};

use super::models::{self, Message};
use super::rules::{self, SenderRole, ThreadKind};

/// One booking's or order's thread, opened by a party or an operator.
pub struct Thread {
    pub kind: ThreadKind,
    pub subject_id: Uuid,
    pub involved: access::Involved,
    /// As what the caller writes; `None` for an operator who is no party.
    pub role: Option<SenderRole>,
}

/// Opens the thread of `subject_id` for the caller: 404 when the subject is unknown or the
/// caller is neither a party nor an operator.
pub fn open(
    conn: &mut PgConnection,
    id: &Identity,
    kind: ThreadKind,
    subject_id: Uuid,
) -> AppResult<Thread> {
    let involved = match kind {
        ThreadKind::Booking => booking::involved(conn, subject_id)?,
        ThreadKind::Order => orders::involved(conn, subject_id)?,
    }
    .ok_or(AppError::NotFound)?;
    let parties = access::parties(
        conn,
        id,
        involved.consumer_id,
        involved.merchant_id,
        involved.worker_id,
    )?;
    Ok(Thread {
        kind,
        subject_id,
        involved,
        role: rules::sender_role(kind, parties.consumer, parties.member, parties.worker),
    })
}

impl Thread {
    /// An operator's read is written to the audit log (a party's own thread is not).
    pub fn audit_read(&self, conn: &mut PgConnection, id: &Identity) -> AppResult<()> {
        if self.role.is_some() {
            return Ok(());
        }
        audit::record(
            conn,
            Entry {
                actor_id: Some(id.user_id),
                actor_role: ActorRole::Operator,
                action: "messages.read",
                subject_type: self.kind.as_str(),
                subject_id: self.subject_id,
                before: None,
                after: None,
                reason: None,
            },
        )?;
        Ok(())
    }

    /// The name the other parties see for the caller writing as `role`: the consumer's display
    /// name masked, the merchant's display name, the worker's or courier's name.
    pub fn sender_name(
        &self,
        conn: &mut PgConnection,
        id: &Identity,
        role: SenderRole,
    ) -> AppResult<String> {
        Ok(match role {
            SenderRole::Consumer => {
                crate::fields::mask_name(&accounts::find(conn, id.user_id)?.display_name)
            }
            SenderRole::Merchant => merchants::find(conn, self.involved.merchant_id)?.display_name,
            SenderRole::Worker | SenderRole::Courier => match self.involved.worker_id {
                Some(w) => merchants::worker_names(conn, &[w])?
                    .remove(&w)
                    .unwrap_or_default(),
                None => String::new(),
            },
        })
    }

    /// The accounts of the parties other than the sender's side: the consumer, the merchant's
    /// members and the assignee's linked account.
    fn recipients(&self, conn: &mut PgConnection, message: &Message) -> AppResult<Vec<Uuid>> {
        let inv = &self.involved;
        let mut ids = Vec::new();
        if message.sender_role != SenderRole::Consumer {
            ids.push(inv.consumer_id);
        }
        if message.sender_role != SenderRole::Merchant {
            ids.extend(
                merchants::members(conn, inv.merchant_id)?
                    .into_iter()
                    .map(|m| m.user_id),
            );
        }
        if !matches!(
            message.sender_role,
            SenderRole::Worker | SenderRole::Courier
        ) {
            if let Some(worker) = inv.worker_id {
                let linked = merchants::find_worker(conn, inv.merchant_id, worker)?.user_id;
                ids.extend(linked);
            }
        }
        ids.retain(|u| *u != message.sender_id);
        ids.sort();
        ids.dedup();
        Ok(ids)
    }

    /// Emails the other parties that a message is waiting, each at most once per thread in
    /// `NOTICE_EVERY_MINUTES`, in the caller's transaction.
    pub fn notify(&self, conn: &mut PgConnection, message: &Message) -> AppResult<()> {
        let recipients = self.recipients(conn, message)?;
        let due = models::take_notices(
            conn,
            self.kind,
            self.subject_id,
            &recipients,
            Duration::minutes(rules::NOTICE_EVERY_MINUTES),
        )?;
        let short = &self.subject_id.simple().to_string()[..8];
        let (zh, en) = match self.kind {
            ThreadKind::Booking => ("预约", "booking"),
            ThreadKind::Order => ("订单", "order"),
        };
        for user in accounts::find_many(conn, &due)? {
            if user.deleted_at.is_some() {
                continue;
            }
            outbox::enqueue(
                conn,
                &Email {
                    recipient: user.email,
                    account: Some(user.id),
                    subject: format!("{zh} {short} 有新消息 / New message about {en} {short}"),
                    body_text: format!(
                        "{name}，您好！\n\n{sender} 在{zh} {short} 中给您发了消息，请在应用内查看并回复。\n\
                         {sender} sent you a message about {en} {short}; read and reply in the app.\n\
                         （{every} 分钟内的后续消息不再另行通知 / Further messages within {every} minutes are not emailed.）\n",
                        name = user.display_name,
                        sender = message.sender_name,
                        every = rules::NOTICE_EVERY_MINUTES,
                    ),
                },
            )?;
        }
        Ok(())
    }
}
