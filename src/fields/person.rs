//! A person's email address and mobile number, and `Fields`, which collects every field error of
//! a request at once. Pure.

use crate::error::FieldError;

/// A syntactically valid email address (as sent: surrounding spaces are refused), lower-cased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let value = raw.to_lowercase();
        let bad = |m: &str| Err(FieldError::new(field, m));
        if value.len() > 254 {
            return bad("must be at most 254 characters");
        }
        let Some((local, domain)) = value.split_once('@') else {
            return bad("must be an email address");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain
                .chars()
                .all(|c| c.is_alphanumeric() || c == '.' || c == '-');
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || c == '@' || c == '"');
        if !domain_ok || !local_ok {
            return bad("must be an email address");
        }
        Ok(Self(value))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The OpenAPI form: `format: email`, at most 254 characters.
    pub fn schema() -> utoipa::openapi::Object {
        email_schema(false)
    }

    /// [`Email::schema`] or `null`.
    pub fn nullable() -> utoipa::openapi::Object {
        email_schema(true)
    }
}

fn email_schema(nullable: bool) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(crate::http::openapi::string_type(nullable))
        .format(Some(utoipa::openapi::SchemaFormat::Custom("email".into())))
        .max_length(Some(254))
        .examples([serde_json::json!("li.wei@example.cn")])
        .build()
}

/// What [`Phone::parse`] accepts.
pub const PHONE_PATTERN: &str = r"^((\+86|0086)[ -]?)?1[3-9][0-9]([ -]?[0-9]{4}){2}$";

fn phone_schema(nullable: bool) -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(crate::http::openapi::string_type(nullable))
        .pattern(Some(PHONE_PATTERN))
        .examples([serde_json::json!("13812345678")])
        .build()
}

/// A mainland China mobile number, stored as its 11 digits (`+86`, spaces and dashes dropped).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    /// `13812345678`, optionally with `+86`/`0086` in front and a space or dash between the
    /// groups (`+86 138-1234-5678`): exactly [`PHONE_PATTERN`].
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let refuse = || {
            FieldError::new(
                field,
                "must be a mainland mobile number such as 13812345678",
            )
        };
        let body = match raw.strip_prefix("+86").or_else(|| raw.strip_prefix("0086")) {
            Some(rest) => rest.strip_prefix([' ', '-']).unwrap_or(rest),
            None => raw,
        };
        let mut digits = String::with_capacity(11);
        let mut rest = body;
        for (i, group) in [3, 4, 4].into_iter().enumerate() {
            if i > 0 {
                rest = rest.strip_prefix([' ', '-']).unwrap_or(rest);
            }
            let (head, tail) = rest.split_at_checked(group).ok_or_else(refuse)?;
            if !head.bytes().all(|b| b.is_ascii_digit()) {
                return Err(refuse());
            }
            digits.push_str(head);
            rest = tail;
        }
        let b = digits.as_bytes();
        if !rest.is_empty() || b[0] != b'1' || !(b'3'..=b'9').contains(&b[1]) {
            return Err(refuse());
        }
        Ok(Self(digits))
    }

    /// The OpenAPI form of [`Phone::parse`], for `#[schema(schema_with = Phone::schema)]`.
    pub fn schema() -> utoipa::openapi::Object {
        phone_schema(false)
    }

    /// [`Phone::schema`] or `null`.
    pub fn nullable() -> utoipa::openapi::Object {
        phone_schema(true)
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

/// Collects the results of several field parsers: all values, or every field error at once.
#[derive(Default)]
pub struct Fields {
    errors: Vec<FieldError>,
}

impl Fields {
    /// Records the error (if any) and returns the value (if any).
    pub fn check<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.errors.push(error);
                None
            }
        }
    }

    /// `Ok` if no check failed, else every field error.
    pub fn finish(self) -> Result<(), Vec<FieldError>> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(self.errors)
        }
    }
}
