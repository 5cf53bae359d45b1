//! The one way a feature's per-merchant settings are read and replaced (booking settings, order
//! settings): any member reads them, an owner or manager replaces them, a non-member gets 404.

use diesel::{PgConnection, QueryResult};
use uuid::Uuid;

use crate::auth::Identity;
use crate::db::{self, Pool};
use crate::error::AppResult;

use super::access::{self, MemberRole};

/// The merchant's settings as `load` reads them, for any member.
pub async fn read<T: Send + 'static>(
    pool: &Pool,
    id: Identity,
    merchant_id: Uuid,
    load: fn(&mut PgConnection, Uuid) -> QueryResult<T>,
) -> AppResult<T> {
    db::run(pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        Ok(load(conn, merchant_id)?)
    })
    .await
}

/// Replaces the merchant's settings with `save`, for an owner or manager, in one transaction.
pub async fn replace<T: Send + 'static>(
    pool: &Pool,
    id: Identity,
    merchant_id: Uuid,
    settings: T,
    save: fn(&mut PgConnection, &T) -> QueryResult<T>,
) -> AppResult<T> {
    db::tx(pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        Ok(save(conn, &settings)?)
    })
    .await
}
