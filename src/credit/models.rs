//! Gathering the credit inputs and storing the result. The caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Bool, Double, Uuid as SqlUuid};
use uuid::Uuid;

use crate::schema::{credit_penalties, merchant_credit, merchants};

use super::rules::{Breakdown, Inputs};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = BigInt)]
    rating_count: i64,
    #[diesel(sql_type = Double)]
    rating_average: f64,
    #[diesel(sql_type = BigInt)]
    fulfilled: i64,
    #[diesel(sql_type = BigInt)]
    merchant_failures: i64,
    #[diesel(sql_type = BigInt)]
    upheld_reports: i64,
    #[diesel(sql_type = BigInt)]
    penalty_points: i64,
    #[diesel(sql_type = Bool)]
    licence_valid: bool,
}

/// Reads every input of the formula for one merchant, in one statement.
pub fn inputs(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Inputs> {
    let row: Row = diesel::sql_query(
        "SELECT
           (SELECT count(*) FROM reviews WHERE merchant_id = m.id AND status = 'published') AS rating_count,
           (SELECT COALESCE(avg(rating), 0)::float8 FROM reviews WHERE merchant_id = m.id AND status = 'published') AS rating_average,
           (SELECT count(*) FROM bookings WHERE merchant_id = m.id AND status = 'completed')
             + (SELECT count(*) FROM orders WHERE merchant_id = m.id AND status = 'completed') AS fulfilled,
           (SELECT count(*) FROM bookings WHERE merchant_id = m.id AND (status = 'declined'
               OR (status = 'expired' AND respond_by >= created_at + interval '30 minutes')
               OR (status = 'cancelled' AND cancelled_by = 'merchant') OR (status = 'no_show' AND no_show_party = 'merchant')))
             + (SELECT count(*) FROM orders o WHERE o.merchant_id = m.id AND (o.status = 'rejected'
               OR (o.status = 'cancelled' AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id
                   AND e.to_status = 'cancelled' AND e.actor_role IN ('merchant', 'system'))))) AS merchant_failures,
           (SELECT count(*) FROM review_reports r JOIN reviews v ON v.id = r.review_id
              WHERE v.merchant_id = m.id AND r.status = 'upheld') AS upheld_reports,
           (SELECT COALESCE(sum(points), 0)::bigint FROM credit_penalties
              WHERE merchant_id = m.id AND expires_at > now()) AS penalty_points,
           m.licence_expires_on >= (now() AT TIME ZONE m.time_zone)::date AS licence_valid
         FROM merchants m WHERE m.id = $1",
    )
    .bind::<SqlUuid, _>(merchant_id)
    .get_result(conn)?;
    Ok(Inputs {
        rating_count: row.rating_count,
        rating_average: row.rating_average,
        fulfilled: row.fulfilled,
        merchant_failures: row.merchant_failures,
        upheld_reports: row.upheld_reports,
        penalty_points: row.penalty_points,
        licence_valid: row.licence_valid,
    })
}

pub fn store(conn: &mut PgConnection, merchant_id: Uuid, b: &Breakdown) -> QueryResult<()> {
    let breakdown = serde_json::to_value(b).unwrap_or_default();
    let score = i32::try_from(b.score).unwrap_or(0);
    diesel::insert_into(merchant_credit::table)
        .values((
            merchant_credit::merchant_id.eq(merchant_id),
            merchant_credit::score.eq(score),
            merchant_credit::tier.eq(&b.tier),
            merchant_credit::breakdown.eq(&breakdown),
        ))
        .on_conflict(merchant_credit::merchant_id)
        .do_update()
        .set((
            merchant_credit::score.eq(score),
            merchant_credit::tier.eq(&b.tier),
            merchant_credit::breakdown.eq(&breakdown),
            merchant_credit::computed_at.eq(Utc::now()),
        ))
        .execute(conn)?;
    crate::merchants::set_credit(conn, merchant_id, score, &b.tier).map(drop)
}

/// The stored breakdown and when it was computed.
pub fn stored(
    conn: &mut PgConnection,
    merchant_id: Uuid,
) -> QueryResult<Option<(serde_json::Value, DateTime<Utc>)>> {
    merchant_credit::table
        .find(merchant_id)
        .select((merchant_credit::breakdown, merchant_credit::computed_at))
        .first(conn)
        .optional()
}

/// Merchants with a penalty that expired in the last two hours.
pub fn penalties_expired_lately(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    let now = Utc::now();
    credit_penalties::table
        .filter(credit_penalties::expires_at.le(now))
        .filter(credit_penalties::expires_at.gt(now - chrono::Duration::hours(2)))
        .select(credit_penalties::merchant_id)
        .distinct()
        .load(conn)
}

pub fn add_penalty(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    kind: &str,
    points: i32,
    reason: &str,
    by: Uuid,
    expires_at: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(credit_penalties::table)
        .values((
            credit_penalties::id.eq(Uuid::now_v7()),
            credit_penalties::merchant_id.eq(merchant_id),
            credit_penalties::kind.eq(kind),
            credit_penalties::points.eq(points),
            credit_penalties::reason.eq(reason),
            credit_penalties::created_by.eq(by),
            credit_penalties::expires_at.eq(expires_at),
        ))
        .execute(conn)
        .map(drop)
}

/// The current tier of each of these merchants that has a score.
pub fn tiers_of(
    conn: &mut PgConnection,
    merchant_ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, String>> {
    Ok(merchant_credit::table
        .filter(merchant_credit::merchant_id.eq_any(merchant_ids))
        .select((merchant_credit::merchant_id, merchant_credit::tier))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect())
}

/// Approved merchants whose credit fell to tier D, with when it was computed.
pub fn failing(conn: &mut PgConnection) -> QueryResult<Vec<(Uuid, DateTime<Utc>)>> {
    merchant_credit::table
        .inner_join(merchants::table)
        .filter(merchant_credit::tier.eq("D"))
        .filter(merchants::status.eq("approved"))
        .select((merchant_credit::merchant_id, merchant_credit::computed_at))
        .load(conn)
}
