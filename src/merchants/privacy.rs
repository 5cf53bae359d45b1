//! A person's memberships and worker records, for their export and their erasure (composed in
//! `app::personal_data`).

use diesel::prelude::*;
use uuid::Uuid;

use crate::error::{codes, AppError, AppResult};
use crate::schema::{merchant_members, workers};

/// The merchants the person is a member of, with the role.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<Vec<(Uuid, String)>> {
    merchant_members::table
        .filter(merchant_members::user_id.eq(user))
        .select((merchant_members::merchant_id, merchant_members::role))
        .load(conn)
}

/// 409 `owns_merchant` while the person owns one.
pub fn check_erasable(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let owns: i64 = merchant_members::table
        .filter(merchant_members::user_id.eq(user))
        .filter(merchant_members::role.eq("owner"))
        .count()
        .get_result(conn)?;
    if owns > 0 {
        return Err(AppError::Conflict(
            codes::OWNS_MERCHANT,
            "Transfer or close your merchant first.".into(),
        ));
    }
    Ok(())
}

/// Ends the memberships and unlinks the person's worker records (the merchant keeps the worker
/// with the name it gave, for its schedule history).
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> QueryResult<()> {
    diesel::delete(merchant_members::table.filter(merchant_members::user_id.eq(user)))
        .execute(conn)?;
    diesel::update(workers::table.filter(workers::user_id.eq(user)))
        .set(workers::user_id.eq(None::<Uuid>))
        .execute(conn)
        .map(drop)
}
