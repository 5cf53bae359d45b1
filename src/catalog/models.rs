//! Service rows and their queries. The caller owns the transaction.

use chrono::{DateTime, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use super::rules::{Fulfilment, PriceUnit};
use crate::schema::{merchants, service_price_changes, services};

/// A service a merchant offers.
#[derive(Debug, Clone, Queryable, QueryableByName, Selectable)]
#[diesel(table_name = services, check_for_backend(diesel::pg::Pg))]
pub struct Service {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub category: String,
    pub fulfilment: Fulfilment,
    pub name: String,
    pub description: String,
    pub price_cents: i64,
    pub currency: String,
    pub price_unit: PriceUnit,
    pub duration_minutes: Option<i32>,
    pub buffer_minutes: i32,
    pub capacity: Option<i32>,
    pub elderly_friendly: bool,
    pub active: bool,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The editable fields of a service, for insert and update alike.
#[derive(Debug, Clone, Default, Insertable, AsChangeset)]
#[diesel(table_name = services)]
pub struct ServiceFields {
    pub category: Option<String>,
    pub fulfilment: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    pub price_cents: Option<i64>,
    pub price_unit: Option<String>,
    pub duration_minutes: Option<Option<i32>>,
    pub buffer_minutes: Option<i32>,
    pub capacity: Option<Option<i32>>,
    pub elderly_friendly: Option<bool>,
    pub active: Option<bool>,
}

pub fn insert(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    fields: &ServiceFields,
) -> QueryResult<Service> {
    diesel::insert_into(services::table)
        .values((
            services::id.eq(Uuid::now_v7()),
            services::merchant_id.eq(merchant_id),
            fields,
        ))
        .returning(Service::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Service> {
    services::table
        .find(id)
        .select(Service::as_select())
        .first(conn)
}

/// A service with its merchant's status, locked for an update.
pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Service> {
    services::table
        .find(id)
        .select(Service::as_select())
        .for_update()
        .first(conn)
}

/// The status of the service's merchant (visibility of the service depends on it).
pub fn merchant_status(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<String> {
    merchants::table
        .find(merchant_id)
        .select(merchants::status)
        .first(conn)
}

pub fn update(conn: &mut PgConnection, id: Uuid, fields: &ServiceFields) -> QueryResult<Service> {
    diesel::update(services::table.find(id))
        .set((
            fields,
            services::updated_at.eq(Utc::now()),
            services::version.eq(services::version + 1),
        ))
        .returning(Service::as_returning())
        .get_result(conn)
}

/// A merchant's services in creation order after the cursor `(created_at, id)`.
pub fn list_for_merchant(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    active_only: bool,
    after: Option<(DateTime<Utc>, Uuid)>,
    limit: i64,
) -> QueryResult<Vec<Service>> {
    let mut query = services::table
        .filter(services::merchant_id.eq(merchant_id))
        .select(Service::as_select())
        .order((services::created_at, services::id))
        .limit(limit)
        .into_boxed();
    if active_only {
        query = query.filter(services::active.eq(true));
    }
    if let Some((at, id)) = after {
        query = query.filter(
            services::created_at
                .gt(at)
                .or(services::created_at.eq(at).and(services::id.gt(id))),
        );
    }
    query.load(conn)
}

/// Records a price change for the published history.
pub fn record_price_change(
    conn: &mut PgConnection,
    service_id: Uuid,
    old_cents: i64,
    new_cents: i64,
    changed_by: Uuid,
) -> QueryResult<()> {
    diesel::insert_into(service_price_changes::table)
        .values((
            service_price_changes::id.eq(Uuid::now_v7()),
            service_price_changes::service_id.eq(service_id),
            service_price_changes::old_cents.eq(old_cents),
            service_price_changes::new_cents.eq(new_cents),
            service_price_changes::changed_by.eq(changed_by),
        ))
        .execute(conn)
        .map(drop)
}

/// A past price of a service.
#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = service_price_changes, check_for_backend(diesel::pg::Pg))]
pub struct PriceChange {
    pub old_cents: i64,
    pub new_cents: i64,
    pub changed_at: DateTime<Utc>,
}

pub fn price_history(conn: &mut PgConnection, service_id: Uuid) -> QueryResult<Vec<PriceChange>> {
    service_price_changes::table
        .filter(service_price_changes::service_id.eq(service_id))
        .select(PriceChange::as_select())
        .order(service_price_changes::changed_at)
        .load(conn)
}
