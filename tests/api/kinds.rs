//! Statuses and kinds are enums diesel reads and writes: every value a row may hold (the table's
//! CHECK) is one of the enum's, and a value outside it is an error, never a silent default.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::Text;

use lifemarket::booking::rules::BookingStatus;
use lifemarket::catalog::rules::Fulfilment;
use lifemarket::orders::rules::{OrderKind, OrderStatus};

use crate::helpers::TestApp;

/// The values a column's CHECK (`col IN (...)`) allows, read from the catalog.
fn allowed(conn: &mut PgConnection, table: &str, column: &str) -> Vec<String> {
    let def: String = diesel::select(sql::<Text>(&format!(
        "(SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c \
          WHERE c.conrelid = '{table}'::regclass AND c.contype = 'c' \
            AND pg_get_constraintdef(c.oid) LIKE '%({column} = ANY%' LIMIT 1)"
    )))
    .get_result(conn)
    .unwrap();
    let mut values: Vec<String> = def
        .split('\'')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    values.sort();
    values
}

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Vec<String> {
    let mut v: Vec<String> = all.iter().map(|x| name(*x).to_owned()).collect();
    v.sort();
    v
}

#[actix_web::test]
async fn every_value_a_row_may_hold_is_one_of_the_enum() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    assert_eq!(
        allowed(&mut conn, "bookings", "status"),
        names(BookingStatus::ALL, BookingStatus::as_str)
    );
    assert_eq!(
        allowed(&mut conn, "orders", "status"),
        names(OrderStatus::ALL, OrderStatus::as_str)
    );
    assert_eq!(
        allowed(&mut conn, "orders", "kind"),
        names(OrderKind::ALL, OrderKind::as_str)
    );
    // A booking's kind is the booked fulfilments only.
    let booked: Vec<Fulfilment> = Fulfilment::ALL
        .iter()
        .copied()
        .filter(|f| f.is_booked())
        .collect();
    assert_eq!(
        allowed(&mut conn, "bookings", "kind"),
        names(&booked, Fulfilment::as_str)
    );
}

#[actix_web::test]
async fn an_unknown_stored_value_is_an_error_not_a_default() {
    let app = TestApp::spawn().await;
    let mut conn = app.conn();
    let known: BookingStatus = diesel::select(sql::<Text>("'no_show'"))
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(known, BookingStatus::NoShow);
    let unknown = diesel::select(sql::<Text>("'lost'")).get_result::<OrderStatus>(&mut conn);
    let err = format!("{:?}", unknown.unwrap_err());
    assert!(
        err.contains("unknown OrderStatus") && err.contains("lost"),
        "an unknown status must not read as some other status: {err}"
    );
    let written: String = diesel::select(OrderStatus::OutForReturn.into_sql::<Text>())
        .get_result(&mut conn)
        .unwrap();
    assert_eq!(written, "out_for_return");
}
