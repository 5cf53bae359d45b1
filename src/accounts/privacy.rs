//! The account's own part of a person's export and erasure (composed in `app::personal_data`).

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{account_tokens, addresses, users};

/// What an erased account's display name reads as.
const DELETED_NAME: &str = "已注销用户";

/// Deletes the saved addresses and the email tokens and blanks the profile: the email becomes
/// an address that cannot receive mail, the password cannot match, `deleted_at` is set.
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::delete(addresses::table.filter(addresses::user_id.eq(user))).execute(conn)?;
    diesel::delete(account_tokens::table.filter(account_tokens::user_id.eq(user))).execute(conn)?;
    let now = Utc::now();
    diesel::update(users::table.find(user))
        .set((
            users::email.eq(format!("deleted-{}@deleted.invalid", user.simple())),
            users::display_name.eq(DELETED_NAME),
            users::phone.eq(None::<String>),
            users::password_hash.eq("!"),
            users::email_verified_at.eq(None::<DateTime<Utc>>),
            users::deleted_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}
