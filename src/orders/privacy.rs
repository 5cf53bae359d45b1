//! A person's orders, for their export and their erasure (composed in `app::personal_data`).

use diesel::prelude::*;
use uuid::Uuid;

use crate::error::{AppError, AppResult};
use crate::schema::{handoff_proofs, orders};
use crate::uploads;

use super::models::Order;
use super::rules::{Actor, OrderStatus};
use super::views::OrderResponse;

/// What erased text reads as.
const ERASED: &str = "已删除";

/// The orders the person placed, oldest first, as they see them.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> AppResult<Vec<OrderResponse>> {
    let rows = orders::table
        .filter(orders::consumer_id.eq(user))
        .select(Order::as_select())
        .order(orders::created_at)
        .load(conn)?;
    rows.into_iter()
        .map(|o| super::detail(conn, o, Actor::Consumer))
        .collect()
}

/// 409 `active_orders` until every order has ended.
pub fn check_erasable(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let active: i64 = orders::table
        .filter(orders::consumer_id.eq(user))
        .filter(orders::status.ne_all(OrderStatus::ENDED))
        .count()
        .get_result(conn)?;
    if active > 0 {
        return Err(AppError::Conflict(
            "active_orders",
            "Wait until your orders are completed first.".into(),
        ));
    }
    Ok(())
}

/// Blanks the recipient, the address and the notes of the orders and the drop points and photos
/// of their handoff proofs (the photo uploads are deleted with their files); the orders stay,
/// pseudonymous, for the merchant's records.
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let ids: Vec<Uuid> = orders::table
        .filter(orders::consumer_id.eq(user))
        .select(orders::id)
        .load(conn)?;
    uploads::erase_attached(conn, uploads::SubjectKind::Order, &ids)?;
    let mine = orders::table
        .filter(orders::consumer_id.eq(user))
        .select(orders::id);
    diesel::update(handoff_proofs::table.filter(handoff_proofs::order_id.eq_any(mine)))
        .set((
            handoff_proofs::drop_point.eq(ERASED),
            handoff_proofs::photo_refs.eq(serde_json::json!(["erased"])),
        ))
        .execute(conn)?;
    diesel::update(orders::table.filter(orders::consumer_id.eq(user)))
        .set((
            orders::recipient_name.eq(ERASED),
            orders::recipient_phone.eq(ERASED),
            orders::address_text.eq(ERASED),
            orders::address_lat.eq(0.0),
            orders::address_lng.eq(0.0),
            orders::drop_point_note.eq(None::<String>),
            orders::note.eq(None::<String>),
        ))
        .execute(conn)?;
    Ok(())
}
