//! Email delivery through lettre: SMTP in production, `.eml` files in development, memory in
//! tests. The message is always built by lettre, so every transport sends the same bytes.

use std::sync::{Arc, Mutex};

use lettre::message::header::ContentType;
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::MailConfig;
use crate::error::{AppError, AppResult};

/// One email as handed to the transport.
#[derive(Debug, Clone)]
pub struct SentEmail {
    pub to: String,
    pub subject: String,
    pub message_id: String,
    /// The whole RFC 5322 message as formatted by lettre.
    pub raw: String,
}

/// Where emails go.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Files(AsyncFileTransport<Tokio1Executor>),
    Memory(Arc<Mutex<Vec<SentEmail>>>),
}

impl Mailer {
    /// Builds the transport the configuration names (creating the mail directory if needed).
    pub fn new(config: &MailConfig) -> AppResult<Self> {
        match config {
            MailConfig::Smtp { url } => {
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
                    .map(|b| Mailer::Smtp(b.build()))
                    .map_err(|e| AppError::internal_in("SMTP_URL", e))
            }
            MailConfig::Files { dir } => {
                std::fs::create_dir_all(dir)
                    .map_err(|e| AppError::internal_in(format!("MAIL_DIR {dir}"), e))?;
                Ok(Mailer::Files(AsyncFileTransport::new(dir)))
            }
            MailConfig::Memory => Ok(Mailer::Memory(Arc::default())),
        }
    }

    /// Builds a plain-text message with the given Message-ID.
    pub fn build(
        from: &str,
        to: &str,
        subject: &str,
        body: &str,
        message_id: &str,
    ) -> AppResult<Message> {
        let from = from
            .parse()
            .map_err(|e| AppError::internal_in("MAIL_FROM", e))?;
        let to = to
            .parse()
            .map_err(|e| AppError::internal_in("recipient address", e))?;
        Message::builder()
            .from(from)
            .to(to)
            .subject(subject)
            .message_id(Some(message_id.to_owned()))
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|e| AppError::internal_in("building an email", e))
    }

    /// Hands a message to the transport.
    pub async fn send(&self, message: Message) -> AppResult<()> {
        match self {
            Mailer::Smtp(smtp) => smtp
                .send(message)
                .await
                .map(drop)
                .map_err(|e| AppError::internal_in("SMTP", e)),
            Mailer::Files(files) => files
                .send(message)
                .await
                .map(drop)
                .map_err(|e| AppError::internal_in("mail file", e)),
            Mailer::Memory(sent) => {
                let header = |name: &str| {
                    message
                        .headers()
                        .get_raw(name)
                        .map(str::to_owned)
                        .unwrap_or_default()
                };
                let email = SentEmail {
                    to: header("To"),
                    subject: header("Subject"),
                    message_id: header("Message-ID"),
                    raw: String::from_utf8_lossy(&message.formatted()).into_owned(),
                };
                sent.lock()
                    .map_err(|_| AppError::internal("mail store poisoned"))?
                    .push(email);
                Ok(())
            }
        }
    }

    /// Emails sent so far (memory transport only; empty otherwise).
    pub fn sent(&self) -> Vec<SentEmail> {
        match self {
            Mailer::Memory(sent) => sent.lock().map(|s| s.clone()).unwrap_or_default(),
            _ => Vec::new(),
        }
    }
}
