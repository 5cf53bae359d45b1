//! Every stable error code the API emits, in one list.
//!
//! Clients branch on these strings, so they never change once published. `docs/api.md` has a
//! row for each (status and when it happens); the tests below fail when the table, this list or
//! a code passed to an [`AppError`](super::AppError) variant anywhere in `src/` disagree.

/// 400: the body is not syntactically valid JSON.
pub const MALFORMED_JSON: &str = "malformed_json";
/// 400: the body could not be read.
pub const MALFORMED_BODY: &str = "malformed_body";
/// 401: no bearer token.
pub const UNAUTHORIZED: &str = "unauthorized";
/// 401: the access token does not verify.
pub const INVALID_TOKEN: &str = "invalid_token";
/// 401: login with an unknown email or a wrong password.
pub const INVALID_CREDENTIALS: &str = "invalid_credentials";
/// 401: a refresh token that is unknown, expired or revoked.
pub const REFRESH_TOKEN_INVALID: &str = "refresh_token_invalid";
/// 401: a refresh token that was already spent.
pub const REFRESH_TOKEN_REUSED: &str = "refresh_token_reused";
/// 403: the caller's role may never do this.
pub const FORBIDDEN: &str = "forbidden";
/// 403: the password confirming a sensitive change is not the caller's.
pub const WRONG_PASSWORD: &str = "wrong_password";
/// 403: an appeal decided by the operator who made the decision under appeal.
pub const SAME_OPERATOR: &str = "same_operator";
/// 403: a page's form posted without the session's CSRF token (or with another one).
pub const CSRF_INVALID: &str = "csrf_invalid";
/// 403: a signed upload URL past its expiry.
pub const URL_EXPIRED: &str = "url_expired";
/// 403: a signed upload URL whose signature does not verify (altered, or of another file).
pub const SIGNATURE_INVALID: &str = "signature_invalid";
/// 404: no such resource, or not the caller's.
pub const NOT_FOUND: &str = "not_found";
/// 405: the path exists but not with this method.
pub const METHOD_NOT_ALLOWED: &str = "method_not_allowed";
/// 409: the email already has an account.
pub const EMAIL_TAKEN: &str = "email_taken";
/// 409: a request with the same idempotency key is still being processed.
pub const IDEMPOTENCY_IN_FLIGHT: &str = "idempotency_in_flight";
/// 409: a lifecycle step the current state does not allow.
pub const INVALID_TRANSITION: &str = "invalid_transition";
/// 409: deleting an account that has active bookings.
pub const ACTIVE_BOOKINGS: &str = "active_bookings";
/// 409: deleting an account that has active orders.
pub const ACTIVE_ORDERS: &str = "active_orders";
/// 409: deleting the account of a merchant's owner.
pub const OWNS_MERCHANT: &str = "owns_merchant";
/// 409: changing verified application fields outside a draft or a rejection.
pub const APPLICATION_LOCKED: &str = "application_locked";
/// 409: a unified social credit code another legal entity already holds.
pub const CREDIT_CODE_TAKEN: &str = "credit_code_taken";
/// 409: no free qualified worker at that time.
pub const SLOT_TAKEN: &str = "slot_taken";
/// 409: not enough seats left for the party.
pub const SLOT_FULL: &str = "slot_full";
/// 409: a check-in or a no-show reported too early.
pub const TOO_EARLY: &str = "too_early";
/// 409: the booking was rescheduled as often as the merchant allows.
pub const RESCHEDULE_LIMIT_REACHED: &str = "reschedule_limit_reached";
/// 409: an order while the merchant is closed.
pub const MERCHANT_CLOSED: &str = "merchant_closed";
/// 409: too many wrong PINs for an in-person handoff.
pub const PIN_LOCKED: &str = "pin_locked";
/// 409: the collected item count differs from the order; re-quote first.
pub const REQUOTE_REQUIRED: &str = "requote_required";
/// 409: refunds would exceed the order's total.
pub const REFUND_EXCEEDS_TOTAL: &str = "refund_exceeds_total";
/// 409: the address book is full.
pub const TOO_MANY_ADDRESSES: &str = "too_many_addresses";
/// 409: a second review of the same booking or order.
pub const ALREADY_REVIEWED: &str = "already_reviewed";
/// 409: a review, or an edit, after the review window.
pub const REVIEW_WINDOW_CLOSED: &str = "review_window_closed";
/// 409: a second edit of a review.
pub const ALREADY_EDITED: &str = "already_edited";
/// 409: a second report of a review by the same user.
pub const ALREADY_REPORTED: &str = "already_reported";
/// 409: a moderation decision on an outdated version of the review.
pub const STALE_VERSION: &str = "stale_version";
/// 409: an appeal on a review that has no moderation decision.
pub const NO_DECISION: &str = "no_decision";
/// 409: an appeal of a decision that was already appealed.
pub const ALREADY_APPEALED: &str = "already_appealed";
/// 409: an after-sales request about an order or booking that has not been completed.
pub const NOT_COMPLETED: &str = "not_completed";
/// 409: an after-sales request after the window since completion.
pub const AFTER_SALES_WINDOW_CLOSED: &str = "after_sales_window_closed";
/// 409: escalating an after-sales request more than 7 days after it was refused, expired or
/// declined.
pub const ESCALATION_WINDOW_CLOSED: &str = "escalation_window_closed";
/// 409: a second after-sales request while one about the same subject is under way.
pub const AFTER_SALES_OPEN: &str = "after_sales_open";
/// 409: a message to a booking or order that ended more than 24 hours ago.
pub const MESSAGES_CLOSED: &str = "messages_closed";
/// 413: the body is larger than allowed.
pub const PAYLOAD_TOO_LARGE: &str = "payload_too_large";
/// 413: an upload larger than `UPLOAD_MAX_BYTES`.
pub const UPLOAD_TOO_LARGE: &str = "upload_too_large";
/// 415: the body is not declared as JSON.
pub const UNSUPPORTED_MEDIA_TYPE: &str = "unsupported_media_type";
/// 409: a prepaid booking that is not paid yet cannot go on (confirm, check in, complete).
pub const PAYMENT_PENDING: &str = "payment_pending";
/// 409: paying in advance for a booking that is paid at the merchant.
pub const NOT_PREPAID: &str = "not_prepaid";
/// 409: paying for an order or booking that no longer waits for a payment.
pub const NOT_PAYABLE: &str = "not_payable";
/// 409: paying through one provider while a payment through the other is still open.
pub const PAYMENT_IN_PROGRESS: &str = "payment_in_progress";
/// 415: an upload whose bytes are not a JPEG, PNG or WebP image.
pub const UNSUPPORTED_IMAGE_TYPE: &str = "unsupported_image_type";
/// 422: a field or parameter is invalid; the general validation code.
pub const VALIDATION_FAILED: &str = "validation_failed";
/// 422: an email-verification or password-reset token that is not valid.
pub const TOKEN_INVALID: &str = "token_invalid";
/// 422: an in-person handoff proof with the wrong PIN.
pub const WRONG_PIN: &str = "wrong_pin";
/// 422: an idempotent create without `Idempotency-Key`.
pub const IDEMPOTENCY_KEY_REQUIRED: &str = "idempotency_key_required";
/// 422: an idempotency key already used for a different request.
pub const IDEMPOTENCY_KEY_REUSED: &str = "idempotency_key_reused";
/// 429: too many attempts.
pub const RATE_LIMITED: &str = "rate_limited";
/// 500: anything unexpected.
pub const INTERNAL_ERROR: &str = "internal_error";
/// 502: a payment provider could not be reached or answered badly.
pub const PROVIDER_UNAVAILABLE: &str = "provider_unavailable";
/// 503: the database cannot be reached right now.
pub const DATABASE_UNAVAILABLE: &str = "database_unavailable";

/// Every code above, in the order of the table in `docs/api.md`.
pub const ALL: &[&str] = &[
    CSRF_INVALID,
    MALFORMED_JSON,
    MALFORMED_BODY,
    UNAUTHORIZED,
    INVALID_TOKEN,
    INVALID_CREDENTIALS,
    REFRESH_TOKEN_INVALID,
    REFRESH_TOKEN_REUSED,
    FORBIDDEN,
    WRONG_PASSWORD,
    SAME_OPERATOR,
    URL_EXPIRED,
    SIGNATURE_INVALID,
    NOT_FOUND,
    METHOD_NOT_ALLOWED,
    EMAIL_TAKEN,
    IDEMPOTENCY_IN_FLIGHT,
    INVALID_TRANSITION,
    ACTIVE_BOOKINGS,
    ACTIVE_ORDERS,
    OWNS_MERCHANT,
    APPLICATION_LOCKED,
    CREDIT_CODE_TAKEN,
    SLOT_TAKEN,
    SLOT_FULL,
    TOO_EARLY,
    RESCHEDULE_LIMIT_REACHED,
    MERCHANT_CLOSED,
    PIN_LOCKED,
    REQUOTE_REQUIRED,
    REFUND_EXCEEDS_TOTAL,
    TOO_MANY_ADDRESSES,
    ALREADY_REVIEWED,
    REVIEW_WINDOW_CLOSED,
    ALREADY_EDITED,
    ALREADY_REPORTED,
    STALE_VERSION,
    NO_DECISION,
    ALREADY_APPEALED,
    NOT_COMPLETED,
    AFTER_SALES_WINDOW_CLOSED,
    ESCALATION_WINDOW_CLOSED,
    AFTER_SALES_OPEN,
    MESSAGES_CLOSED,
    PAYMENT_PENDING,
    NOT_PREPAID,
    NOT_PAYABLE,
    PAYMENT_IN_PROGRESS,
    PAYLOAD_TOO_LARGE,
    UPLOAD_TOO_LARGE,
    UNSUPPORTED_MEDIA_TYPE,
    UNSUPPORTED_IMAGE_TYPE,
    VALIDATION_FAILED,
    TOKEN_INVALID,
    WRONG_PIN,
    IDEMPOTENCY_KEY_REQUIRED,
    IDEMPOTENCY_KEY_REUSED,
    RATE_LIMITED,
    INTERNAL_ERROR,
    PROVIDER_UNAVAILABLE,
    DATABASE_UNAVAILABLE,
];

#[cfg(test)]
mod tests {
    use super::super::source_scan::{code_arguments, constant_uses, sources, Arg};
    use super::ALL;
    use std::collections::{BTreeMap, BTreeSet};
    use std::path::Path;

    const API_DOC: &str = include_str!("../../docs/api.md");
    const THIS_FILE: &str = include_str!("codes.rs");

    /// The first column of the table under `### Error codes` in docs/api.md.
    fn documented() -> Vec<String> {
        let (_, section) = API_DOC
            .split_once("\n### Error codes\n")
            .expect("docs/api.md has a `### Error codes` section");
        let rows = section.lines().skip_while(|l| !l.starts_with('|'));
        let rows = rows.take_while(|l| l.starts_with('|')).skip(2); // header, separator
        rows.map(|row| {
            row.split('|')
                .nth(1)
                .unwrap_or("")
                .trim()
                .trim_matches('`')
                .to_owned()
        })
        .collect()
    }

    /// `NAME -> "value"` for each `pub const NAME: &str` of this module.
    fn constants() -> BTreeMap<String, &'static str> {
        THIS_FILE
            .lines()
            .filter_map(|l| l.strip_prefix("pub const ")?.split_once(": &str = "))
            .filter_map(|(name, value)| {
                Some((name.to_owned(), value.strip_suffix(';')?.trim_matches('"')))
            })
            .collect()
    }

    #[test]
    fn the_list_has_each_constant_once() {
        let values: BTreeSet<&str> = ALL.iter().copied().collect();
        assert_eq!(values.len(), ALL.len(), "a code is twice in ALL");
        let constants = constants();
        assert_eq!(constants.len(), ALL.len(), "a constant is missing from ALL");
        for (name, code) in constants {
            assert!(ALL.contains(&code), "codes::{name} is not in ALL");
        }
    }

    #[test]
    fn every_code_in_the_list_has_a_row_in_the_api_docs() {
        let rows = documented();
        for code in ALL {
            assert!(
                rows.iter().any(|r| r == code),
                "`{code}` has no row in docs/api.md"
            );
        }
    }

    #[test]
    fn every_row_of_the_api_docs_table_is_in_the_list() {
        let rows = documented();
        assert!(
            rows.len() > 40,
            "the table under `### Error codes` was not found"
        );
        let unique: BTreeSet<&String> = rows.iter().collect();
        assert_eq!(
            unique.len(),
            rows.len(),
            "a code has two rows in docs/api.md"
        );
        for row in &rows {
            assert!(
                ALL.contains(&row.as_str()),
                "docs/api.md lists `{row}`, not in codes::ALL"
            );
        }
    }

    /// Scans `src/**/*.rs` for the first argument of `AppError::{BadRequest, Unauthorized,
    /// Forbidden, Conflict, Validation}(..)` and for `codes::NAME` paths: a literal code not in
    /// the list fails, and so does a code in the list that nothing emits any more.
    #[test]
    fn every_code_the_source_passes_to_app_error_is_in_the_list() {
        let constants = constants();
        let mut used = BTreeSet::new();
        for (file, text) in sources() {
            for (line, arg) in code_arguments(&text) {
                let at = format!("{}:{line}", file.display());
                let code = match arg {
                    Arg::Literal(code) => code,
                    Arg::Constant(name) => constants.get(&name).map_or(name, |c| c.to_string()),
                    // The bindings of error.rs's own matches (`AppError::Conflict(code, _)`).
                    Arg::Other(_) if file == Path::new("src/error.rs") => continue,
                    Arg::Other(what) => {
                        panic!("{at}: pass a literal or a codes:: constant, not `{what}`")
                    }
                };
                assert!(
                    ALL.contains(&code.as_str()),
                    "{at}: `{code}` is not in error::codes::ALL"
                );
                used.insert(code);
            }
            let uses = constant_uses(&text)
                .into_iter()
                .filter_map(|n| constants.get(&n).copied());
            used.extend(uses.map(str::to_owned));
        }
        for code in ALL {
            assert!(
                used.contains(*code),
                "`{code}` is in codes::ALL but nothing in src/ emits it"
            );
        }
    }
}
