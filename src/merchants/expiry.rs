//! The licence-expiry job: hourly, it suspends approved merchants whose business licence date
//! has passed in their own time zone, and tells their owners.

use chrono::Utc;
use diesel::{Connection, PgConnection};

use crate::error::AppResult;
use crate::jobs::Outcome;

use super::models;
use super::rules::{Actor, MerchantAction};

/// The recurring job's kind.
pub const KIND: &str = "merchants.expire_licences";

/// Reason recorded on the merchant and in the audit log.
pub const REASON: &str = "营业执照已过期 / business licence expired";

/// Suspends every approved merchant with an expired licence; runs again in an hour.
pub fn run(conn: &mut PgConnection) -> AppResult<Outcome> {
    for id in models::with_expired_licence(conn)? {
        // One savepoint per merchant: one that changed state meanwhile does not stop the rest.
        let result = conn.transaction(|conn| {
            let current = models::find_for_update(conn, id)?;
            super::change_status(
                conn,
                &current,
                MerchantAction::ExpireLicence,
                Actor::System,
                Some(REASON),
                None,
            )
        });
        if let Err(err) = result {
            tracing::warn!(merchant = %id, error = %err, "could not suspend for an expired licence");
        }
    }
    Ok(Outcome::RunAgainAt(Utc::now() + chrono::Duration::hours(1)))
}
