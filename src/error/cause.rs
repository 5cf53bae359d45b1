//! The cause of an internal error, kept whole: the error itself and its `source()` chain, which
//! the log prints link by link.

use std::error::Error;
use std::fmt;

/// What made something fail with a 500: any error, boxed with its sources.
pub type Cause = Box<dyn Error + Send + Sync>;

/// A cause with a word on what was being done (`SMTP`, `cannot listen on 0.0.0.0:8080`). It
/// displays the word only and returns the cause as its source, so the chain stays walkable.
#[derive(Debug)]
pub(super) struct Context {
    pub(super) context: String,
    pub(super) source: Cause,
}

impl fmt::Display for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.context)
    }
}

impl Error for Context {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        Some(&*self.source)
    }
}

/// Displays an error and every error of its `source()` chain, joined by `: `.
pub struct Chain<'a>(pub &'a (dyn Error + 'static));

impl fmt::Display for Chain<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)?;
        let mut next = self.0.source();
        while let Some(err) = next {
            write!(f, ": {err}")?;
            next = err.source();
        }
        Ok(())
    }
}

/// The chain of a [`Cause`], for `#[error(..)]` and the log.
pub(super) fn chain(cause: &Cause) -> Chain<'_> {
    Chain(&**cause)
}

#[cfg(test)]
mod tests {
    use super::super::AppError;
    use super::*;
    use actix_web::body::MessageBody;
    use actix_web::ResponseError;
    use std::sync::{Arc, Mutex};

    /// A log writer the test can read back.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    fn disk_failure() -> AppError {
        let io = std::io::Error::other("disk full");
        AppError::internal_in("mail file", AppError::internal_in("writing message 42", io))
    }

    #[test]
    fn a_500_logs_its_whole_cause_chain_and_sends_none_of_it() {
        let log = Captured::default();
        let writer = log.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .finish();
        let response =
            tracing::subscriber::with_default(subscriber, || disk_failure().error_response());
        let logged = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
        assert!(
            logged.contains("mail file: internal error: writing message 42: disk full"),
            "{logged}"
        );
        let body = response.into_body().try_into_bytes().unwrap();
        let body = String::from_utf8_lossy(&body);
        assert!(body.contains("internal_error"));
        assert!(
            !body.contains("disk full") && !body.contains("mail file"),
            "{body}"
        );
    }

    #[test]
    fn an_internal_error_keeps_its_cause_walkable() {
        let AppError::Internal(cause) =
            AppError::internal_in("SMTP", std::io::Error::other("refused"))
        else {
            unreachable!()
        };
        assert_eq!(cause.to_string(), "SMTP");
        let source = cause.source().unwrap();
        assert!(source.downcast_ref::<std::io::Error>().is_some());
        assert_eq!(chain(&cause).to_string(), "SMTP: refused");
        let plain = AppError::internal("unknown booking status");
        assert_eq!(plain.to_string(), "internal error: unknown booking status");
        assert_eq!(
            format!("{plain:?}"),
            "internal_error: unknown booking status"
        );
    }
}
