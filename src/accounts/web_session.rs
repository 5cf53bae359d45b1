//! Cookie sessions of the pages (`/console/`, `/portal/`): signing in with the same accounts and
//! passwords as the API, the CSRF token each session's forms carry, signing out. Owns the
//! `web_sessions` table. The cookie holds an opaque token; only its SHA-256 is stored. A session
//! ends at sign-out, at its expiry, and when the account ends every session (its token generation
//! moves on: password change or reset, sign-out everywhere, deletion).

use chrono::{Duration, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bytea, Int4, Text, Timestamptz, Uuid as SqlUuid};
use uuid::Uuid;

use crate::auth::PlatformRole;
use crate::crypto::{hash_opaque_token, new_opaque_token};
use crate::error::AppResult;

use super::User;

/// How long a page session lasts (a working day at the counter).
pub const LIFETIME_HOURS: i64 = 12;

/// A live page session.
#[derive(Debug, Clone)]
pub struct WebSession {
    pub id: Uuid,
    pub user_id: Uuid,
    pub role: PlatformRole,
    pub display_name: String,
    /// The token every form of this session must carry.
    pub csrf: String,
}

/// Starts a session for `user`; returns the cookie's token and the session.
pub fn start(conn: &mut PgConnection, user: &User) -> AppResult<(String, WebSession)> {
    let token = new_opaque_token();
    let session = WebSession {
        id: Uuid::now_v7(),
        user_id: user.id,
        role: PlatformRole::from_db(&user.platform_role),
        display_name: user.display_name.clone(),
        csrf: new_opaque_token(),
    };
    diesel::sql_query(
        "INSERT INTO web_sessions (id, token_hash, user_id, csrf_token, gen, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind::<SqlUuid, _>(session.id)
    .bind::<Bytea, _>(hash_opaque_token(&token))
    .bind::<SqlUuid, _>(user.id)
    .bind::<Text, _>(&session.csrf)
    .bind::<Int4, _>(crate::auth::generation(conn, user.id)?)
    .bind::<Timestamptz, _>(Utc::now() + Duration::hours(LIFETIME_HOURS))
    .execute(conn)?;
    Ok((token, session))
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = SqlUuid)]
    user_id: Uuid,
    #[diesel(sql_type = Text)]
    csrf_token: String,
    #[diesel(sql_type = Int4)]
    gen: i32,
    #[diesel(sql_type = Text)]
    platform_role: String,
    #[diesel(sql_type = Text)]
    display_name: String,
}

/// The live session whose cookie token is `token`, if any.
pub fn find(conn: &mut PgConnection, token: &str) -> AppResult<Option<WebSession>> {
    let row: Option<Row> = diesel::sql_query(
        "SELECT s.id, s.user_id, s.csrf_token, s.gen, u.platform_role, u.display_name \
         FROM web_sessions s JOIN users u ON u.id = s.user_id \
         WHERE s.token_hash = $1 AND s.expires_at > now() AND u.deleted_at IS NULL",
    )
    .bind::<Bytea, _>(hash_opaque_token(token))
    .get_result(conn)
    .optional()?;
    let Some(row) = row else { return Ok(None) };
    if crate::auth::generation(conn, row.user_id)? != row.gen {
        return Ok(None);
    }
    Ok(Some(WebSession {
        id: row.id,
        user_id: row.user_id,
        role: PlatformRole::from_db(&row.platform_role),
        display_name: row.display_name,
        csrf: row.csrf_token,
    }))
}

/// Ends the session (sign-out); also sweeps this account's expired sessions.
pub fn end(conn: &mut PgConnection, session: &WebSession) -> AppResult<()> {
    diesel::sql_query(
        "DELETE FROM web_sessions WHERE id = $1 OR (user_id = $2 AND expires_at <= now())",
    )
    .bind::<SqlUuid, _>(session.id)
    .bind::<SqlUuid, _>(session.user_id)
    .execute(conn)?;
    Ok(())
}
