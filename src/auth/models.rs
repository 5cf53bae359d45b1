//! Refresh-token rows and their queries. The caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{refresh_tokens, token_generations};

/// A stored refresh token (its hash, never the token).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = refresh_tokens, check_for_backend(diesel::pg::Pg))]
pub struct RefreshToken {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = refresh_tokens)]
pub struct NewRefreshToken<'a> {
    pub id: Uuid,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub token_hash: &'a [u8],
    pub expires_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, token: &NewRefreshToken<'_>) -> QueryResult<()> {
    diesel::insert_into(refresh_tokens::table)
        .values(token)
        .execute(conn)
        .map(drop)
}

/// Marks a live token as used and returns it; `None` if it is unknown, spent, revoked or
/// expired. Concurrent callers serialize on the row lock, so exactly one of them gets it.
pub fn spend(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<RefreshToken>> {
    let now = Utc::now();
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::token_hash.eq(hash))
            .filter(refresh_tokens::used_at.is_null())
            .filter(refresh_tokens::revoked_at.is_null())
            .filter(refresh_tokens::expires_at.gt(now)),
    )
    .set(refresh_tokens::used_at.eq(now))
    .returning(RefreshToken::as_returning())
    .get_result(conn)
    .optional()
}

pub fn find_by_hash(conn: &mut PgConnection, hash: &[u8]) -> QueryResult<Option<RefreshToken>> {
    refresh_tokens::table
        .filter(refresh_tokens::token_hash.eq(hash))
        .select(RefreshToken::as_select())
        .first(conn)
        .optional()
}

/// Revokes every live token of a family (one sign-in).
pub fn revoke_family(conn: &mut PgConnection, family_id: Uuid) -> QueryResult<usize> {
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::family_id.eq(family_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
}

/// The account's token generation; access tokens of another generation are refused.
pub fn generation(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<i32> {
    Ok(token_generations::table
        .find(user_id)
        .select(token_generations::generation)
        .first(conn)
        .optional()?
        .unwrap_or(0))
}

/// Ends every session of a user at once (sign-out everywhere, password change or reset,
/// deletion): its access tokens stop working on their next request, its refresh tokens are
/// revoked.
pub fn revoke_all_for_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<usize> {
    diesel::insert_into(token_generations::table)
        .values((
            token_generations::user_id.eq(user_id),
            token_generations::generation.eq(1),
        ))
        .on_conflict(token_generations::user_id)
        .do_update()
        .set((
            token_generations::generation.eq(token_generations::generation + 1),
            token_generations::updated_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    diesel::update(
        refresh_tokens::table
            .filter(refresh_tokens::user_id.eq(user_id))
            .filter(refresh_tokens::revoked_at.is_null()),
    )
    .set(refresh_tokens::revoked_at.eq(Utc::now()))
    .execute(conn)
}

/// Ends every session of the account and deletes its refresh tokens (its erasure).
pub fn forget_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<usize> {
    revoke_all_for_user(conn, user_id)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::user_id.eq(user_id))).execute(conn)
}

/// Deletes tokens that expired more than a week ago.
pub fn sweep_expired(conn: &mut PgConnection) -> QueryResult<usize> {
    let cutoff = Utc::now() - chrono::Duration::days(7);
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::expires_at.lt(cutoff)))
        .execute(conn)
}
