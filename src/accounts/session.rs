//! Sign-in sessions: starting one (a new refresh-token family), rotating its refresh token, and
//! ending it. Each function runs inside the caller's transaction.

use chrono::Utc;
use diesel::PgConnection;
use uuid::Uuid;

use crate::accounts::{self, User};
use crate::error::{AppError, AppResult};

use crate::auth::refresh_tokens::{self as models, NewRefreshToken};
use crate::crypto::PlatformRole;
use crate::crypto::{hash_opaque_token, new_opaque_token, JwtKeys};

/// The tokens handed to a client that signed in.
#[derive(Debug)]
pub struct Session {
    pub access_token: String,
    pub refresh_token: String,
    pub expires_in: u64,
    pub user: User,
}

fn issue(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    refresh_ttl: std::time::Duration,
    family_id: Uuid,
    user: User,
) -> AppResult<Session> {
    let refresh_token = new_opaque_token();
    let ttl = chrono::Duration::from_std(refresh_ttl).map_err(AppError::internal)?;
    models::insert(
        conn,
        &NewRefreshToken {
            id: Uuid::now_v7(),
            family_id,
            user_id: user.id,
            token_hash: &hash_opaque_token(&refresh_token),
            expires_at: Utc::now() + ttl,
        },
    )?;
    Ok(Session {
        access_token: keys.issue(
            user.id,
            PlatformRole::from_db(&user.platform_role),
            crate::auth::generation(conn, user.id)?,
        )?,
        refresh_token,
        expires_in: keys.ttl_secs(),
        user,
    })
}

/// Starts a new session (a new token family) for `user`.
pub fn start(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    refresh_ttl: std::time::Duration,
    user: User,
) -> AppResult<Session> {
    issue(conn, keys, refresh_ttl, Uuid::now_v7(), user)
}

/// What became of a presented refresh token.
#[derive(Debug)]
pub enum Rotation {
    /// It was live: it is now spent and this is its successor.
    Rotated(Box<Session>),
    /// It had already been spent: its whole family is now revoked.
    Reused,
    /// Unknown, revoked or expired.
    Invalid,
}

/// Spends `presented` and issues its successor in the same family. Replaying a spent token
/// revokes the family, so a stolen token is worth at most one use. The caller must commit even
/// when the answer is `Reused`, so that the revocation sticks.
pub fn rotate(
    conn: &mut PgConnection,
    keys: &JwtKeys,
    refresh_ttl: std::time::Duration,
    presented: &str,
) -> AppResult<Rotation> {
    let hash = hash_opaque_token(presented);
    if let Some(token) = models::spend(conn, &hash)? {
        let user = accounts::find(conn, token.user_id)?;
        return issue(conn, keys, refresh_ttl, token.family_id, user)
            .map(|s| Rotation::Rotated(Box::new(s)));
    }
    match models::find_by_hash(conn, &hash)? {
        Some(token) if token.used_at.is_some() => {
            models::revoke_family(conn, token.family_id)?;
            tracing::warn!(family = %token.family_id, "spent refresh token replayed; family revoked");
            Ok(Rotation::Reused)
        }
        _ => Ok(Rotation::Invalid),
    }
}

/// Ends the session a refresh token belongs to. Unknown tokens are ignored (logout is idempotent).
pub fn end(conn: &mut PgConnection, presented: &str) -> AppResult<()> {
    if let Some(token) = models::find_by_hash(conn, &hash_opaque_token(presented))? {
        models::revoke_family(conn, token.family_id)?;
    }
    Ok(())
}
