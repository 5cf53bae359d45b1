//! Reading orders: a consumer's own, one order, a merchant's order board, a courier's deliveries.

use std::collections::HashMap;

use actix_web::web;
use diesel::PgConnection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::pagination::{self, TimeCursor};
use crate::http::Page;
use crate::http::Query;
use crate::merchants::{self, access, MemberRole};
use crate::state::AppState;

use super::actions::relations;
use super::models::{self, ListFilter, Order};
use super::rules::{Actor, OrderStatus};
use super::views::{Extras, OrderResponse};

/// A page of orders with their items.
fn page(
    conn: &mut PgConnection,
    rows: Vec<Order>,
    limit: i64,
    viewer: Actor,
) -> AppResult<Page<OrderResponse>> {
    let page = Page::from_rows(rows, limit, |o| (o.created_at, o.id));
    let ids: Vec<Uuid> = page.items.iter().map(|o| o.id).collect();
    let mut items: HashMap<Uuid, Vec<models::Item>> = HashMap::new();
    for item in models::items_of(conn, &ids)? {
        items.entry(item.order_id).or_default().push(item);
    }
    Ok(page.map(|o| {
        let extras = Extras {
            items: items.remove(&o.id).unwrap_or_default(),
            ..Default::default()
        };
        OrderResponse::new(o, viewer, extras)
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrdersQuery {
    pub status: Option<OrderStatus>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The caller's orders, newest first.
#[utoipa::path(get, path = "/api/v1/orders", tag = "orders", security(("bearer" = [])), params(OrdersQuery),
    responses((status = 200, body = Page<OrderResponse>), (status = 401, body = Problem)))]
pub async fn my_orders(
    id: Identity,
    state: web::Data<AppState>,
    q: Query<OrdersQuery>,
) -> AppResult<web::Json<Page<OrderResponse>>> {
    let q = q.into_inner();
    let (limit, after) = pagination::parse::<TimeCursor>(q.limit, q.cursor)?;
    let filter = ListFilter {
        consumer_id: Some(id.user_id),
        status: q.status,
        ..Default::default()
    };
    let page = db::run(&state.pool, move |conn| {
        let rows = models::list(conn, &filter, after, limit + 1)?;
        page(conn, rows, limit, Actor::Consumer)
    })
    .await?;
    Ok(web::Json(page))
}

/// An order and its history.
#[derive(Debug, Serialize, ToSchema)]
pub struct OrderDetail {
    #[serde(flatten)]
    pub order: OrderResponse,
    pub events: Vec<crate::history::Entry>,
}

/// One order, for its consumer, the merchant's members, the assigned courier and operators.
#[utoipa::path(get, path = "/api/v1/orders/{id}", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = OrderDetail), (status = 404, body = Problem)))]
pub async fn get_order(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<OrderDetail>> {
    let order_id = path.into_inner();
    let detail = db::run(&state.pool, move |conn| {
        let order = models::find(conn, order_id)?;
        let viewer = relations(conn, &id, &order)?[0];
        let events = crate::history::list(conn, crate::history::Of::Order, order_id)?;
        Ok(OrderDetail {
            order: super::detail(conn, order, viewer)?,
            events,
        })
    })
    .await?;
    Ok(web::Json(detail))
}

/// The merchant's order board by status (any member), newest first.
#[utoipa::path(get, path = "/api/v1/merchants/{id}/orders", tag = "orders", security(("bearer" = [])),
    params(("id" = Uuid, Path), OrdersQuery),
    responses((status = 200, body = Page<OrderResponse>), (status = 404, body = Problem)))]
pub async fn merchant_orders(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    q: Query<OrdersQuery>,
) -> AppResult<web::Json<Page<OrderResponse>>> {
    let merchant_id = path.into_inner();
    let q = q.into_inner();
    let (limit, after) = pagination::parse::<TimeCursor>(q.limit, q.cursor)?;
    let filter = ListFilter {
        merchant_id: Some(merchant_id),
        status: q.status,
        paid_only: true,
        ..Default::default()
    };
    let page = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        let rows = models::list(conn, &filter, after, limit + 1)?;
        page(conn, rows, limit, Actor::Merchant)
    })
    .await?;
    Ok(web::Json(page))
}

/// The deliveries assigned to the caller as a courier, newest first.
#[utoipa::path(get, path = "/api/v1/me/deliveries", tag = "orders", security(("bearer" = [])), params(OrdersQuery),
    responses((status = 200, body = Page<OrderResponse>), (status = 401, body = Problem)))]
pub async fn my_deliveries(
    id: Identity,
    state: web::Data<AppState>,
    q: Query<OrdersQuery>,
) -> AppResult<web::Json<Page<OrderResponse>>> {
    let q = q.into_inner();
    let (limit, after) = pagination::parse::<TimeCursor>(q.limit, q.cursor)?;
    let page = db::run(&state.pool, move |conn| {
        let filter = ListFilter {
            courier_ids: Some(merchants::worker_ids_of_user(conn, id.user_id)?),
            status: q.status,
            ..Default::default()
        };
        let rows = models::list(conn, &filter, after, limit + 1)?;
        page(conn, rows, limit, Actor::Courier)
    })
    .await?;
    Ok(web::Json(page))
}
