//! Reading bookings: a consumer's own, one booking, a merchant's, and a worker's assignments.

use actix_web::web;
use chrono::{Duration, NaiveDate};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::history;
use crate::http::pagination;
use crate::http::Query;
use crate::http::{Page, PageParams};
use crate::merchants::{self, access, MemberRole};
use crate::state::AppState;

use super::actions::relations;
use super::models::{self, ListFilter};
use super::rules::{Actor, BookingStatus};
use super::views::{self, BookingResponse};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MyBookingsQuery {
    pub status: Option<BookingStatus>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// The caller's bookings, latest start first.
#[utoipa::path(get, path = "/api/v1/bookings", tag = "booking", security(("bearer" = [])),
    params(MyBookingsQuery),
    responses((status = 200, body = Page<BookingResponse>), (status = 401, body = Problem)))]
pub async fn my_bookings(
    id: Identity,
    state: web::Data<AppState>,
    query: Query<MyBookingsQuery>,
) -> AppResult<web::Json<Page<BookingResponse>>> {
    let q = query.into_inner();
    let (limit, after) = pagination::parse(q.limit, q.cursor)?;
    let filter = ListFilter {
        consumer_id: Some(id.user_id),
        status: q.status,
        newest_first: true,
        ..Default::default()
    };
    let page = db::run(&state.pool, move |conn| {
        let rows = models::list(conn, &filter, after, limit + 1)?;
        Ok(Page::from_rows(rows, limit, |b| (b.starts_at, b.id))
            .try_map_all(|items| views::shown(conn, items, Actor::Consumer))?)
    })
    .await?;
    Ok(web::Json(page))
}

/// A booking with its history, for its consumer, the merchant's members, the assigned worker
/// and operators.
#[derive(Debug, Serialize, ToSchema)]
pub struct BookingDetail {
    #[serde(flatten)]
    pub booking: BookingResponse,
    pub events: Vec<history::Entry>,
}

#[utoipa::path(get, path = "/api/v1/bookings/{id}", tag = "booking", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = BookingDetail), (status = 404, body = Problem)))]
pub async fn get_booking(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<BookingDetail>> {
    let booking_id = path.into_inner();
    let detail = db::run(&state.pool, move |conn| {
        let booking = models::find(conn, booking_id)?;
        let viewer = relations(conn, &id, &booking)?[0];
        let events = history::list(conn, history::Of::Booking, booking_id)?;
        Ok(BookingDetail {
            booking: views::show(conn, booking, viewer)?,
            events,
        })
    })
    .await?;
    Ok(web::Json(detail))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MerchantBookingsQuery {
    /// A day in the merchant's time zone (`YYYY-MM-DD`).
    pub date: Option<NaiveDate>,
    pub worker_id: Option<Uuid>,
    pub status: Option<BookingStatus>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A merchant's bookings, soonest first, by day, worker and status (any member).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/bookings", tag = "booking", security(("bearer" = [])),
    params(("id" = Uuid, Path), MerchantBookingsQuery),
    responses((status = 200, body = Page<BookingResponse>), (status = 404, body = Problem)))]
pub async fn merchant_bookings(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<MerchantBookingsQuery>,
) -> AppResult<web::Json<Page<BookingResponse>>> {
    let merchant_id = path.into_inner();
    let q = query.into_inner();
    let (limit, after) = pagination::parse(q.limit, q.cursor)?;
    let page = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        let (from, to) = match q.date {
            Some(date) => {
                let tz = merchants::find(conn, merchant_id)?.tz();
                let start = super::slots::local_instant(tz, date, 0)
                    .ok_or_else(|| AppError::invalid("date", "is not a date"))?;
                (
                    Some(start),
                    super::slots::local_instant(tz, date, 1440).or(Some(start + Duration::days(1))),
                )
            }
            None => (None, None),
        };
        let filter = ListFilter {
            merchant_id: Some(merchant_id),
            worker_id: q.worker_id,
            status: q.status,
            from,
            to,
            ..Default::default()
        };
        let rows = models::list(conn, &filter, after, limit + 1)?;
        Ok(Page::from_rows(rows, limit, |b| (b.starts_at, b.id))
            .try_map_all(|items| views::shown(conn, items, Actor::Merchant))?)
    })
    .await?;
    Ok(web::Json(page))
}

/// The bookings assigned to the caller as a worker, soonest first.
#[utoipa::path(get, path = "/api/v1/me/assignments", tag = "booking", security(("bearer" = [])),
    params(PageParams),
    responses((status = 200, body = Page<BookingResponse>), (status = 401, body = Problem)))]
pub async fn my_assignments(
    id: Identity,
    state: web::Data<AppState>,
    query: Query<PageParams>,
) -> AppResult<web::Json<Page<BookingResponse>>> {
    let q = query.into_inner();
    let (limit, after) = pagination::parse(q.limit, q.cursor)?;
    let page = db::run(&state.pool, move |conn| {
        let filter = ListFilter {
            worker_ids: Some(merchants::worker_ids_of_user(conn, id.user_id)?),
            ..Default::default()
        };
        let rows = models::list(conn, &filter, after, limit + 1)?;
        Ok(Page::from_rows(rows, limit, |b| (b.starts_at, b.id))
            .try_map_all(|items| views::shown(conn, items, Actor::Worker))?)
    })
    .await?;
    Ok(web::Json(page))
}
