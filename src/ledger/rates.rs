//! The platform's commission per category, in basis points (800 = 8 %), set by operators.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::commission_rates;

/// Charged when a category has no rate of its own (every category gets one in the migration).
pub const DEFAULT_BP: i32 = 800;
/// The highest rate an operator may set (50 %).
pub const MAX_BP: i32 = 5_000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = commission_rates, check_for_backend(diesel::pg::Pg))]
pub struct Rate {
    pub category: String,
    pub rate_bp: i32,
    pub updated_by: Option<Uuid>,
    pub updated_at: DateTime<Utc>,
}

/// The category's rate.
pub fn of(conn: &mut PgConnection, category: &str) -> QueryResult<i32> {
    Ok(commission_rates::table
        .find(category)
        .select(commission_rates::rate_bp)
        .first(conn)
        .optional()?
        .unwrap_or(DEFAULT_BP))
}

pub fn all(conn: &mut PgConnection) -> QueryResult<Vec<Rate>> {
    commission_rates::table
        .select(Rate::as_select())
        .order(commission_rates::category)
        .load(conn)
}

/// The category's rate, locked until the caller's transaction ends.
pub fn find_for_update(conn: &mut PgConnection, category: &str) -> QueryResult<Option<Rate>> {
    commission_rates::table
        .find(category)
        .select(Rate::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn set(conn: &mut PgConnection, category: &str, rate_bp: i32, by: Uuid) -> QueryResult<Rate> {
    diesel::insert_into(commission_rates::table)
        .values((
            commission_rates::category.eq(category),
            commission_rates::rate_bp.eq(rate_bp),
            commission_rates::updated_by.eq(by),
            commission_rates::updated_at.eq(Utc::now()),
        ))
        .on_conflict(commission_rates::category)
        .do_update()
        .set((
            commission_rates::rate_bp.eq(rate_bp),
            commission_rates::updated_by.eq(by),
            commission_rates::updated_at.eq(Utc::now()),
        ))
        .returning(Rate::as_returning())
        .get_result(conn)
}
