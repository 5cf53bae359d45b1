//! The settlement tables: statements and their lines, payouts, payout accounts and holds,
//! reconciliations and their differences. Each function takes the caller's connection.

use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::schema::{
    payout_accounts, payout_holds, payouts, reconciliation_differences, reconciliations,
    statement_lines, statements,
};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statements, check_for_backend(diesel::pg::Pg))]
pub struct Statement {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub day: NaiveDate,
    pub gross_cents: i64,
    pub commission_cents: i64,
    pub refunds_cents: i64,
    pub net_cents: i64,
    pub payable_cents: i64,
    pub payout_cents: i64,
    pub not_paid_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = statement_lines, check_for_backend(diesel::pg::Pg))]
pub struct StatementLine {
    pub statement_id: Uuid,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub gross_cents: i64,
    pub commission_cents: i64,
    pub refunds_cents: i64,
    pub net_cents: i64,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payouts, check_for_backend(diesel::pg::Pg))]
pub struct Payout {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub statement_id: Uuid,
    pub method: String,
    pub out_biz_no: String,
    pub amount_cents: i64,
    pub status: String,
    pub transfer_id: Option<String>,
    pub failure: Option<String>,
    pub created_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payout_accounts, check_for_backend(diesel::pg::Pg))]
pub struct PayoutAccount {
    pub merchant_id: Uuid,
    pub method: String,
    pub account: String,
    pub holder_name: String,
    pub updated_by: Uuid,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = payout_holds, check_for_backend(diesel::pg::Pg))]
pub struct Hold {
    pub merchant_id: Uuid,
    pub reason: String,
    pub held_by: Uuid,
    pub held_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reconciliations, check_for_backend(diesel::pg::Pg))]
pub struct Reconciliation {
    pub id: Uuid,
    pub method: String,
    pub day: NaiveDate,
    pub bill_lines: i32,
    pub ledger_lines: i32,
    pub matched: i32,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reconciliation_differences, check_for_backend(diesel::pg::Pg))]
pub struct Difference {
    pub reconciliation_id: Uuid,
    pub kind: String,
    pub line_kind: String,
    pub reference: String,
    pub out_trade_no: Option<String>,
    pub bill_cents: Option<i64>,
    pub ledger_cents: Option<i64>,
}

pub fn statement_of(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    day: NaiveDate,
) -> QueryResult<Option<Statement>> {
    statements::table
        .filter(statements::merchant_id.eq(merchant_id))
        .filter(statements::day.eq(day))
        .select(Statement::as_select())
        .first(conn)
        .optional()
}

/// The merchant's statements, newest day first, after `before` (a day).
pub fn statements_of(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    before: Option<NaiveDate>,
    limit: i64,
) -> QueryResult<Vec<Statement>> {
    let mut q = statements::table
        .filter(statements::merchant_id.eq(merchant_id))
        .select(Statement::as_select())
        .order(statements::day.desc())
        .limit(limit)
        .into_boxed();
    if let Some(day) = before {
        q = q.filter(statements::day.lt(day));
    }
    q.load(conn)
}

pub fn statement_day(conn: &mut PgConnection, id: Uuid) -> QueryResult<NaiveDate> {
    statements::table
        .find(id)
        .select(statements::day)
        .first(conn)
}

pub fn lines_of(conn: &mut PgConnection, statement_id: Uuid) -> QueryResult<Vec<StatementLine>> {
    statement_lines::table
        .filter(statement_lines::statement_id.eq(statement_id))
        .select(StatementLine::as_select())
        .order(statement_lines::subject_id)
        .load(conn)
}

pub fn insert_statement(
    conn: &mut PgConnection,
    s: &Statement,
    lines: &[StatementLine],
) -> QueryResult<()> {
    diesel::insert_into(statements::table)
        .values(s)
        .execute(conn)?;
    // PostgreSQL takes at most 65535 parameters a statement: 7 a line.
    for chunk in lines.chunks(5_000) {
        diesel::insert_into(statement_lines::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(())
}

pub fn insert_payout(conn: &mut PgConnection, p: &Payout) -> QueryResult<()> {
    diesel::insert_into(payouts::table)
        .values(p)
        .execute(conn)
        .map(drop)
}

pub fn payout_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Payout>> {
    payouts::table
        .find(id)
        .select(Payout::as_select())
        .for_update()
        .first(conn)
        .optional()
}

pub fn payout_of_statement(
    conn: &mut PgConnection,
    statement_id: Uuid,
) -> QueryResult<Option<Payout>> {
    payouts::table
        .filter(payouts::statement_id.eq(statement_id))
        .select(Payout::as_select())
        .first(conn)
        .optional()
}

/// Ends a requested payout (or keeps it requested with the provider's transfer id).
pub fn update_payout(
    conn: &mut PgConnection,
    id: Uuid,
    status: &str,
    transfer_id: Option<&str>,
    failure: Option<&str>,
) -> QueryResult<()> {
    let ended = (status != "requested").then(Utc::now);
    diesel::update(payouts::table.find(id))
        .set((
            payouts::status.eq(status),
            payouts::transfer_id.eq(transfer_id),
            payouts::failure.eq(failure),
            payouts::ended_at.eq(ended),
        ))
        .execute(conn)
        .map(drop)
}

/// Payouts, newest first, by status when given, after the cursor.
pub fn payouts(
    conn: &mut PgConnection,
    status: Option<&str>,
    merchant_id: Option<Uuid>,
    after: Option<crate::http::pagination::TimeCursor>,
    limit: i64,
) -> QueryResult<Vec<Payout>> {
    let mut q = payouts::table
        .select(Payout::as_select())
        .order((payouts::created_at.desc(), payouts::id.desc()))
        .limit(limit)
        .into_boxed();
    if let Some(status) = status {
        q = q.filter(payouts::status.eq(status.to_owned()));
    }
    if let Some(m) = merchant_id {
        q = q.filter(payouts::merchant_id.eq(m));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            payouts::created_at
                .lt(at)
                .or(payouts::created_at.eq(at).and(payouts::id.lt(id))),
        );
    }
    q.load(conn)
}

/// Payouts asked of the provider and not ended, in transit.
pub fn in_transit(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<i64> {
    let sum: Option<i64> = payouts::table
        .filter(payouts::merchant_id.eq(merchant_id))
        .filter(payouts::status.eq("requested"))
        .select(diesel::dsl::sql::<
            diesel::sql_types::Nullable<diesel::sql_types::BigInt>,
        >("sum(amount_cents)::bigint"))
        .first(conn)?;
    Ok(sum.unwrap_or(0))
}

pub fn payout_account(
    conn: &mut PgConnection,
    merchant_id: Uuid,
) -> QueryResult<Option<PayoutAccount>> {
    payout_accounts::table
        .find(merchant_id)
        .select(PayoutAccount::as_select())
        .first(conn)
        .optional()
}

pub fn put_payout_account(conn: &mut PgConnection, a: &PayoutAccount) -> QueryResult<()> {
    diesel::insert_into(payout_accounts::table)
        .values(a)
        .on_conflict(payout_accounts::merchant_id)
        .do_update()
        .set((
            payout_accounts::method.eq(&a.method),
            payout_accounts::account.eq(&a.account),
            payout_accounts::holder_name.eq(&a.holder_name),
            payout_accounts::updated_by.eq(a.updated_by),
            payout_accounts::updated_at.eq(a.updated_at),
        ))
        .execute(conn)
        .map(drop)
}

pub fn hold_of(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Option<Hold>> {
    payout_holds::table
        .find(merchant_id)
        .select(Hold::as_select())
        .first(conn)
        .optional()
}

/// Holds the merchant's payouts; whether it was not held already.
pub fn hold(conn: &mut PgConnection, h: &Hold) -> QueryResult<bool> {
    Ok(diesel::insert_into(payout_holds::table)
        .values(h)
        .on_conflict_do_nothing()
        .execute(conn)?
        == 1)
}

/// Releases the hold; the hold that was released.
pub fn unhold(conn: &mut PgConnection, merchant_id: Uuid) -> QueryResult<Option<Hold>> {
    diesel::delete(payout_holds::table.find(merchant_id))
        .returning(Hold::as_returning())
        .get_result(conn)
        .optional()
}

pub fn insert_reconciliation(
    conn: &mut PgConnection,
    r: &Reconciliation,
    differences: &[Difference],
) -> QueryResult<()> {
    diesel::insert_into(reconciliations::table)
        .values(r)
        .execute(conn)?;
    for chunk in differences.chunks(5_000) {
        diesel::insert_into(reconciliation_differences::table)
            .values(chunk)
            .execute(conn)?;
    }
    Ok(())
}

/// Reconciliations, newest first, of one day and provider when given.
pub fn reconciliations(
    conn: &mut PgConnection,
    day: Option<NaiveDate>,
    method: Option<&str>,
    after: Option<crate::http::pagination::TimeCursor>,
    limit: i64,
) -> QueryResult<Vec<Reconciliation>> {
    let mut q = reconciliations::table
        .select(Reconciliation::as_select())
        .order((
            reconciliations::created_at.desc(),
            reconciliations::id.desc(),
        ))
        .limit(limit)
        .into_boxed();
    if let Some(day) = day {
        q = q.filter(reconciliations::day.eq(day));
    }
    if let Some(m) = method {
        q = q.filter(reconciliations::method.eq(m.to_owned()));
    }
    if let Some((at, id)) = after {
        q = q.filter(
            reconciliations::created_at
                .lt(at)
                .or(reconciliations::created_at
                    .eq(at)
                    .and(reconciliations::id.lt(id))),
        );
    }
    q.load(conn)
}

pub fn reconciliation(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Reconciliation>> {
    reconciliations::table
        .find(id)
        .select(Reconciliation::as_select())
        .first(conn)
        .optional()
}

pub fn differences_of(conn: &mut PgConnection, id: Uuid) -> QueryResult<Vec<Difference>> {
    reconciliation_differences::table
        .filter(reconciliation_differences::reconciliation_id.eq(id))
        .select(Difference::as_select())
        .order((
            reconciliation_differences::kind,
            reconciliation_differences::reference,
        ))
        .load(conn)
}
