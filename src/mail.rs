//! Email delivery through lettre: SMTP in production, `.eml` files in development, memory in
//! tests. The message is always built by lettre, so every transport sends the same bytes.

use std::sync::{Arc, Mutex};

use lettre::message::header::{ContentTransferEncoding, ContentType};
use lettre::message::Body;
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

/// The body as UTF-8 text on the wire (`8bit`, RFC 2045: CRLF line ends, no line over 998
/// bytes, no NUL), so a `.eml` file reads as written, links included. lettre's own choice
/// stops at 76 bytes a line, which a line of Chinese or a link passes, and then picks base64.
/// A body `8bit` cannot carry goes as lettre chooses.
fn readable(body: &str) -> Body {
    let crlf = body.replace("\r\n", "\n").replace('\n', "\r\n");
    let fits = !crlf.contains('\0')
        && crlf
            .split("\r\n")
            .all(|line| line.len() <= 998 && !line.contains('\r'));
    if fits {
        Body::dangerous_pre_encoded(crlf.into_bytes(), ContentTransferEncoding::EightBit)
    } else {
        Body::new(body.to_owned())
    }
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
            .body(readable(body))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_body_goes_as_written_unless_8bit_cannot_carry_it() {
        let body = readable("您好！\nhttp://127.0.0.1:8080/verify-email?token=abcdefghijklmnopqrstuvwxyz0123456789\n");
        assert_eq!(body.encoding(), ContentTransferEncoding::EightBit);
        assert_eq!(
            String::from_utf8(body.into_vec()).unwrap(),
            "您好！\r\nhttp://127.0.0.1:8080/verify-email?token=abcdefghijklmnopqrstuvwxyz0123456789\r\n"
        );
        let long = "长".repeat(400);
        assert_ne!(
            readable(&long).encoding(),
            ContentTransferEncoding::EightBit
        );
        assert_ne!(
            readable("a\0b").encoding(),
            ContentTransferEncoding::EightBit
        );
    }
}
