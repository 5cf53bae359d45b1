//! Parsing of account fields into types that cannot be wrong. Pure; no database, no HTTP.

use crate::error::FieldError;
#[cfg(test)]
use crate::fields::{Email, Fields, Phone};

/// A password acceptable for a new account: 8 to 128 characters, not all the same character.
#[derive(Clone, PartialEq, Eq)]
pub struct NewPassword(String);

impl std::fmt::Debug for NewPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NewPassword(***)")
    }
}

impl NewPassword {
    pub fn parse(field: &str, raw: String) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < 8 {
            return Err(FieldError::new(field, "must be at least 8 characters"));
        }
        if chars > 128 {
            return Err(FieldError::new(field, "must be at most 128 characters"));
        }
        let mut distinct = raw.chars().collect::<Vec<_>>();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 3 {
            return Err(FieldError::new(field, "is too easy to guess"));
        }
        Ok(Self(raw))
    }

    pub fn expose(self) -> String {
        self.0
    }
}

/// The name shown to others: 1 to 50 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayName(String);

impl DisplayName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        crate::fields::text(field, raw, 1, 50).map(Self)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_checked() {
        assert_eq!(
            Email::parse("email", "Li.Wei@Example.CN").unwrap().as_str(),
            "li.wei@example.cn"
        );
        for bad in [
            "",
            " li.wei@example.cn",
            "no-at",
            "@example.cn",
            "a@b",
            "a@.cn",
            "a b@example.cn",
            "a@exa..mple.cn",
        ] {
            assert!(
                Email::parse("email", bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn passwords_need_length_and_variety() {
        assert!(NewPassword::parse("password", "short".into()).is_err());
        assert!(NewPassword::parse("password", "aaaaaaaaaa".into()).is_err());
        assert!(NewPassword::parse("password", "x".repeat(129)).is_err());
        assert!(NewPassword::parse("password", "correct horse battery".into()).is_ok());
        assert_eq!(
            format!(
                "{:?}",
                NewPassword::parse("p", "s3cret-pass".into()).unwrap()
            ),
            "NewPassword(***)"
        );
    }

    #[test]
    fn phones_accept_common_spellings() {
        assert_eq!(
            Phone::parse("phone", "+86 138-1234-5678")
                .unwrap()
                .into_inner(),
            "13812345678"
        );
        assert_eq!(
            Phone::parse("phone", "13812345678").unwrap().into_inner(),
            "13812345678"
        );
        assert!(Phone::parse("phone", "0086-13812345678").is_ok());
        for bad in [
            "12812345678",
            "1381234567",
            "138123456789",
            "phone",
            "",
            " 13812345678",
            "138--1234-5678",
            "+86138 1234 56 78",
        ] {
            assert!(
                Phone::parse("phone", bad).is_err(),
                "{bad} should be refused"
            );
        }
    }

    #[test]
    fn display_names_are_bounded_and_untrimmed() {
        assert_eq!(
            DisplayName::parse("n", "王小明").unwrap().into_inner(),
            "王小明"
        );
        assert!(DisplayName::parse("n", "  王小明 ").is_err());
        assert!(DisplayName::parse("n", "   ").is_err());
        assert!(DisplayName::parse("n", &"名".repeat(51)).is_err());
        assert!(DisplayName::parse("n", "a\u{0007}b").is_err());
    }

    #[test]
    fn fields_collects_every_error() {
        let mut fields = Fields::default();
        assert!(fields.check(Email::parse("email", "bad")).is_none());
        assert!(fields.check(Phone::parse("phone", "bad")).is_none());
        assert!(fields
            .check(DisplayName::parse("display_name", "ok"))
            .is_some());
        let errors = fields.finish().unwrap_err();
        assert_eq!(
            errors.iter().map(|e| e.field.as_str()).collect::<Vec<_>>(),
            ["email", "phone"]
        );
    }
}
