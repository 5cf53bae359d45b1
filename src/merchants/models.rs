//! Merchant, member and worker rows and their queries. The caller owns the transaction.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::accounts;
use crate::schema::{merchant_categories, merchant_members, merchants, workers};

/// A service category (data, not code).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = crate::schema::categories, check_for_backend(diesel::pg::Pg))]
pub struct Category {
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub requires_food_permit: bool,
}

/// Every category, in display order.
pub fn all_categories(conn: &mut PgConnection) -> QueryResult<Vec<Category>> {
    use crate::schema::categories as c;
    c::table
        .select(Category::as_select())
        .order((c::sort_order, c::code))
        .load(conn)
}

/// A merchant and its application.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = merchants, check_for_backend(diesel::pg::Pg))]
pub struct Merchant {
    pub id: Uuid,
    pub owner_id: Uuid,
    pub status: String,
    pub status_reason: Option<String>,
    pub legal_name: String,
    pub display_name: String,
    pub description: String,
    pub credit_code: String,
    pub licence_expires_on: NaiveDate,
    pub food_permit_no: Option<String>,
    pub contact_phone: String,
    pub address: String,
    pub district: Option<String>,
    pub lat: f64,
    pub lng: f64,
    pub service_radius_m: i32,
    pub opening_hours: serde_json::Value,
    pub time_zone: String,
    pub documents: serde_json::Value,
    pub rating_count: i32,
    pub rating_average: Option<f64>,
    pub submitted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Merchant {
    /// The merchant's time zone (an IANA name; China's when it does not parse).
    pub fn tz(&self) -> chrono_tz::Tz {
        self.time_zone.parse().unwrap_or(chrono_tz::Asia::Shanghai)
    }
}

/// The fields of an application, for insert and for update alike.
#[derive(Debug, Clone, Default, Insertable, AsChangeset)]
#[diesel(table_name = merchants)]
pub struct MerchantFields {
    pub legal_name: Option<String>,
    pub display_name: Option<String>,
    pub description: Option<String>,
    pub credit_code: Option<String>,
    pub licence_expires_on: Option<NaiveDate>,
    pub food_permit_no: Option<Option<String>>,
    pub contact_phone: Option<String>,
    pub address: Option<String>,
    pub district: Option<Option<String>>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub service_radius_m: Option<i32>,
    pub opening_hours: Option<serde_json::Value>,
    pub time_zone: Option<String>,
    pub documents: Option<serde_json::Value>,
}

pub fn insert(
    conn: &mut PgConnection,
    id: Uuid,
    owner_id: Uuid,
    fields: &MerchantFields,
) -> QueryResult<Merchant> {
    diesel::insert_into(merchants::table)
        .values((
            merchants::id.eq(id),
            merchants::owner_id.eq(owner_id),
            fields,
        ))
        .returning(Merchant::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Merchant> {
    merchants::table
        .find(id)
        .select(Merchant::as_select())
        .first(conn)
}

/// Locks the row for the rest of the transaction.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Merchant> {
    merchants::table
        .find(id)
        .select(Merchant::as_select())
        .for_update()
        .first(conn)
}

pub fn update_fields(
    conn: &mut PgConnection,
    id: Uuid,
    fields: &MerchantFields,
) -> QueryResult<Merchant> {
    diesel::update(merchants::table.find(id))
        .set((
            fields,
            merchants::updated_at.eq(Utc::now()),
            merchants::version.eq(merchants::version + 1),
        ))
        .returning(Merchant::as_returning())
        .get_result(conn)
}

/// Compare-and-swap of the status: `None` when the merchant is no longer in `from`. Submission
/// stamps `submitted_at` (the queue's order); a decision stamps `decided_at`.
pub fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    from: &str,
    to: &str,
    reason: Option<&str>,
) -> QueryResult<Option<Merchant>> {
    let now = Utc::now();
    let target = merchants::table
        .filter(merchants::id.eq(id))
        .filter(merchants::status.eq(from));
    let common = (
        merchants::status.eq(to),
        merchants::status_reason.eq(reason),
        merchants::updated_at.eq(now),
        merchants::version.eq(merchants::version + 1),
    );
    let update = diesel::update(target);
    if to == "submitted" {
        update
            .set((common, merchants::submitted_at.eq(now)))
            .returning(Merchant::as_returning())
            .get_result(conn)
            .optional()
    } else {
        update
            .set((common, merchants::decided_at.eq(now)))
            .returning(Merchant::as_returning())
            .get_result(conn)
            .optional()
    }
}

/// The merchant's categories, in code order.
pub fn categories(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<String>> {
    merchant_categories::table
        .filter(merchant_categories::merchant_id.eq(id))
        .select(merchant_categories::category)
        .order(merchant_categories::category)
        .load(conn)
}

/// The category codes of several merchants at once, each merchant's in code order.
pub fn categories_of(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, Vec<String>>> {
    let mut out: std::collections::HashMap<Uuid, Vec<String>> = std::collections::HashMap::new();
    for (id, code) in merchant_categories::table
        .filter(merchant_categories::merchant_id.eq_any(ids))
        .select((
            merchant_categories::merchant_id,
            merchant_categories::category,
        ))
        .order(merchant_categories::category)
        .load::<(Uuid, String)>(conn)?
    {
        out.entry(id).or_default().push(code);
    }
    Ok(out)
}

pub fn set_categories(conn: &mut PgConnection, id: Uuid, codes: &[String]) -> QueryResult<()> {
    diesel::delete(merchant_categories::table.filter(merchant_categories::merchant_id.eq(id)))
        .execute(conn)?;
    let rows: Vec<_> = codes
        .iter()
        .map(|c| {
            (
                merchant_categories::merchant_id.eq(id),
                merchant_categories::category.eq(c),
            )
        })
        .collect();
    diesel::insert_into(merchant_categories::table)
        .values(rows)
        .execute(conn)
        .map(drop)
}

/// Merchants in `status`, oldest submission first (drafts by creation), after the cursor.
pub fn list_by_status(
    conn: &mut PgConnection,
    status: &str,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Merchant>> {
    use diesel::sql_types::Timestamptz;
    let since = || {
        diesel::dsl::sql::<Timestamptz>("COALESCE(merchants.submitted_at, merchants.created_at)")
    };
    let mut query = merchants::table
        .filter(merchants::status.eq(status))
        .select(Merchant::as_select())
        .order((since().asc(), merchants::id.asc()))
        .limit(limit)
        .into_boxed();
    if let Some((at, id)) = after {
        query = query.filter(since().gt(at).or(since().eq(at).and(merchants::id.gt(id))));
    }
    query.load(conn)
}

/// The merchants a user is a member of, with their role.
pub fn memberships(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<(Merchant, String)>> {
    merchants::table
        .inner_join(merchant_members::table)
        .filter(merchant_members::user_id.eq(user_id))
        .select((Merchant::as_select(), merchant_members::role))
        .order(merchants::created_at.desc())
        .load(conn)
}

/// The caller's role in a merchant, if a member.
pub fn member_role(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    user_id: Uuid,
) -> QueryResult<Option<String>> {
    merchant_members::table
        .find((merchant_id, user_id))
        .select(merchant_members::role)
        .first(conn)
        .optional()
}

/// A member and their account's public name and email.
#[derive(Debug)]
pub struct MemberRow {
    pub user_id: Uuid,
    pub role: String,
    pub created_at: DateTime<Utc>,
    pub email: String,
    pub display_name: String,
}

/// The members, longest-standing first, with their account's name and email.
pub fn members(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Vec<MemberRow>> {
    let rows: Vec<(Uuid, String, DateTime<Utc>)> = merchant_members::table
        .filter(merchant_members::merchant_id.eq(merchant_id))
        .select((
            merchant_members::user_id,
            merchant_members::role,
            merchant_members::created_at,
        ))
        .order(merchant_members::created_at)
        .load(conn)?;
    let ids: Vec<Uuid> = rows.iter().map(|r| r.0).collect();
    let mut users: std::collections::HashMap<Uuid, accounts::User> =
        accounts::find_many(conn, &ids)?
            .into_iter()
            .map(|u| (u.id, u))
            .collect();
    Ok(rows
        .into_iter()
        .filter_map(|(user_id, role, created_at)| {
            let user = users.remove(&user_id)?;
            Some(MemberRow {
                user_id,
                role,
                created_at,
                email: user.email,
                display_name: user.display_name,
            })
        })
        .collect())
}

/// Adds a member, or changes the role of an existing one (callers keep the owner's role).
pub fn upsert_member(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    user_id: Uuid,
    role: &str,
) -> QueryResult<usize> {
    diesel::insert_into(merchant_members::table)
        .values((
            merchant_members::merchant_id.eq(merchant_id),
            merchant_members::user_id.eq(user_id),
            merchant_members::role.eq(role),
        ))
        .on_conflict((merchant_members::merchant_id, merchant_members::user_id))
        .do_update()
        .set(merchant_members::role.eq(role))
        .execute(conn)
}

pub fn remove_member(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    user_id: Uuid,
) -> QueryResult<usize> {
    diesel::delete(
        merchant_members::table
            .filter(merchant_members::merchant_id.eq(merchant_id))
            .filter(merchant_members::user_id.eq(user_id))
            .filter(merchant_members::role.ne("owner")),
    )
    .execute(conn)
}

/// A worker of a merchant.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = workers, check_for_backend(diesel::pg::Pg))]
pub struct Worker {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    pub user_id: Option<Uuid>,
    pub skills: Vec<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Default, Insertable, AsChangeset)]
#[diesel(table_name = workers)]
pub struct WorkerChanges {
    pub name: Option<String>,
    pub phone: Option<Option<String>>,
    pub user_id: Option<Option<Uuid>>,
    pub skills: Option<Vec<String>>,
    pub active: Option<bool>,
}

pub fn insert_worker(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    changes: &WorkerChanges,
) -> QueryResult<Worker> {
    diesel::insert_into(workers::table)
        .values((
            workers::id.eq(Uuid::now_v7()),
            workers::merchant_id.eq(merchant_id),
            changes,
        ))
        .returning(Worker::as_returning())
        .get_result(conn)
}

pub fn list_workers(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Vec<Worker>> {
    workers::table
        .filter(workers::merchant_id.eq(merchant_id))
        .select(Worker::as_select())
        .order((workers::created_at, workers::id))
        .load(conn)
}

/// A worker of this merchant (404 for another merchant's worker).
pub fn find_worker(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    worker_id: Uuid,
) -> QueryResult<Worker> {
    workers::table
        .filter(workers::id.eq(worker_id))
        .filter(workers::merchant_id.eq(merchant_id))
        .select(Worker::as_select())
        .first(conn)
}

/// The names of these workers, by id (unknown ids are left out).
pub fn worker_names(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> QueryResult<std::collections::HashMap<Uuid, String>> {
    if ids.is_empty() {
        return Ok(Default::default());
    }
    Ok(workers::table
        .filter(workers::id.eq_any(ids))
        .select((workers::id, workers::name))
        .load::<(Uuid, String)>(conn)?
        .into_iter()
        .collect())
}

pub fn update_worker(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    worker_id: Uuid,
    changes: &WorkerChanges,
) -> QueryResult<Worker> {
    diesel::update(
        workers::table
            .filter(workers::id.eq(worker_id))
            .filter(workers::merchant_id.eq(merchant_id)),
    )
    .set((changes, workers::updated_at.eq(Utc::now())))
    .returning(Worker::as_returning())
    .get_result(conn)
}

/// Approved merchants whose licence date has passed in their own time zone.
pub fn with_expired_licence(conn: &mut PgConnection) -> QueryResult<Vec<Uuid>> {
    merchants::table
        .filter(merchants::status.eq("approved"))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "licence_expires_on < (now() AT TIME ZONE time_zone)::date",
        ))
        .select(merchants::id)
        .load(conn)
}

/// Keeps the merchant's latest credit score and tier (ranked by discovery).
pub fn set_credit(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    score: i32,
    tier: &str,
) -> QueryResult<usize> {
    diesel::update(merchants::table.find(merchant_id))
        .set((
            merchants::credit_score.eq(score),
            merchants::credit_tier.eq(tier),
        ))
        .execute(conn)
}

/// Refreshes the merchant's rating aggregate from its published reviews only.
pub fn refresh_rating(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE merchants SET rating_count = s.n, rating_average = s.average
         FROM (SELECT count(*)::int AS n, avg(rating)::float8 AS average FROM reviews
               WHERE merchant_id = $1 AND status = 'published') s
         WHERE merchants.id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(merchant_id)
    .execute(conn)
}

/// The worker rows linked to an account (a worker signs in to see their assignments).
pub fn worker_ids_of_user(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<Uuid>> {
    workers::table
        .filter(workers::user_id.eq(user_id))
        .filter(workers::active.eq(true))
        .select(workers::id)
        .load(conn)
}

/// Active workers of a merchant with a skill.
pub fn qualified_workers(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    skill: &str,
) -> QueryResult<Vec<(Uuid, String)>> {
    workers::table
        .filter(workers::merchant_id.eq(merchant_id))
        .filter(workers::active.eq(true))
        .filter(workers::skills.contains(vec![skill.to_owned()]))
        .select((workers::id, workers::name))
        .order((workers::created_at, workers::id))
        .load(conn)
}

/// Locks workers' calendars (their rows) until the transaction ends. Every write that gives a worker time (a
/// new booking, a reschedule, a reassignment) takes it first, so writers for one worker queue
/// here instead of deadlocking inside the overlap constraint: two transactions that insert
/// overlapping ranges would otherwise each wait for the other's uncommitted row. The constraint
/// stays the guarantee; these locks only order the writers. They are always taken in hire order
/// (`created_at`, then id: the order of [`qualified_workers`]), so two writers never wait for each
/// other. `FOR NO KEY UPDATE` does not block the foreign-key checks of other bookings.
pub fn lock_calendars(conn: &mut PgConnection, worker_ids: &[Uuid]) -> QueryResult<()> {
    workers::table
        .filter(workers::id.eq_any(worker_ids))
        .order((workers::created_at, workers::id))
        .select(workers::id)
        .for_no_key_update()
        .load::<Uuid>(conn)
        .map(drop)
}

/// An active worker of the merchant with the courier skill.
pub fn is_courier(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    worker_id: Uuid,
) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        workers::table
            .filter(workers::id.eq(worker_id))
            .filter(workers::merchant_id.eq(merchant_id))
            .filter(workers::active.eq(true))
            .filter(workers::skills.contains(vec!["courier".to_owned()])),
    ))
    .get_result(conn)
}

/// Whether the user is one of the merchant's own people: a member or a linked worker.
pub fn is_insider(conn: &mut PgConnection, merchant_id: Uuid, user_id: Uuid) -> QueryResult<bool> {
    let member = merchant_members::table
        .filter(merchant_members::merchant_id.eq(merchant_id))
        .filter(merchant_members::user_id.eq(user_id))
        .select(merchant_members::user_id);
    let worker = workers::table
        .filter(workers::merchant_id.eq(merchant_id))
        .filter(workers::user_id.eq(user_id))
        .select(workers::id);
    diesel::select(diesel::dsl::exists(member).or(diesel::dsl::exists(worker))).get_result(conn)
}

/// Whether an application of another legal name holds `m`'s credit code (submitted, approved or
/// suspended). Takes a transaction-scoped advisory lock on the code first.
pub fn credit_code_held_elsewhere(conn: &mut PgConnection, m: &Merchant) -> QueryResult<bool> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended('credit_code:' || $1, 0))")
        .bind::<diesel::sql_types::Text, _>(&m.credit_code)
        .execute(conn)?;
    diesel::select(diesel::dsl::exists(
        merchants::table
            .filter(merchants::credit_code.eq(&m.credit_code))
            .filter(merchants::id.ne(m.id))
            .filter(merchants::legal_name.ne(&m.legal_name))
            .filter(merchants::status.eq_any(["submitted", "approved", "suspended"])),
    ))
    .get_result(conn)
}
