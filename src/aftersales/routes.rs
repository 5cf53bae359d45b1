//! Reading requests: one with its history, a consumer's own, a merchant's, and the operators'
//! list.

use actix_web::web;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::audit::{self, ActorRole, Entry};
use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::history;
use crate::http::pagination;
use crate::http::Page;
use crate::http::Query;
use crate::merchants::{access, MemberRole};
use crate::state::AppState;

use super::models::{self, ListFilter};
use super::rules::{Actor, RequestStatus};
use super::views::{AfterSalesDetail, AfterSalesResponse};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AfterSalesQuery {
    pub status: Option<RequestStatus>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A page of requests, newest first.
fn page(
    conn: &mut diesel::PgConnection,
    filter: ListFilter,
    q: AfterSalesQuery,
) -> AppResult<Page<AfterSalesResponse>> {
    let (limit, after) = pagination::parse(q.limit, q.cursor)?;
    let filter = ListFilter {
        status: q.status,
        ..filter
    };
    let rows = models::list(conn, &filter, after, limit + 1)?;
    Ok(Page::from_rows(rows, limit, |r| (r.created_at, r.id)).map(AfterSalesResponse::from))
}

/// A request with its history, for its consumer, the merchant's members and operators (an
/// operator's read is written to the audit log).
#[utoipa::path(get, path = "/api/v1/after-sales/{id}", tag = "after-sales", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = AfterSalesDetail), (status = 404, body = Problem)))]
pub async fn get_after_sales(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<AfterSalesDetail>> {
    let request_id = path.into_inner();
    let detail = db::run(&state.pool, move |conn| {
        let request = models::find(conn, request_id)?;
        let roles = super::relations(conn, &id, &request)?;
        if roles == [Actor::Operator] {
            // An operator who is no party reads the consumer's reason and photos: audited, as
            // their reads of other personal data are.
            audit::record(
                conn,
                Entry {
                    actor_id: Some(id.user_id),
                    actor_role: ActorRole::Operator,
                    action: "after_sales.read",
                    subject_type: "after_sales_request",
                    subject_id: request_id,
                    before: None,
                    after: None,
                    reason: None,
                },
            )?;
        }
        Ok(AfterSalesDetail {
            events: history::list(conn, history::Of::AfterSales, request_id)?,
            request: request.into(),
        })
    })
    .await?;
    Ok(web::Json(detail))
}

/// The caller's requests, newest first.
#[utoipa::path(get, path = "/api/v1/me/after-sales", tag = "after-sales", security(("bearer" = [])),
    params(AfterSalesQuery),
    responses((status = 200, body = Page<AfterSalesResponse>), (status = 401, body = Problem)))]
pub async fn my_after_sales(
    id: Identity,
    state: web::Data<AppState>,
    query: Query<AfterSalesQuery>,
) -> AppResult<web::Json<Page<AfterSalesResponse>>> {
    let filter = ListFilter {
        consumer_id: Some(id.user_id),
        ..Default::default()
    };
    let q = query.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| page(conn, filter, q)).await?,
    ))
}

/// A merchant's requests, newest first (any member).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/after-sales", tag = "after-sales",
    security(("bearer" = [])), params(("id" = Uuid, Path), AfterSalesQuery),
    responses((status = 200, body = Page<AfterSalesResponse>), (status = 404, body = Problem)))]
pub async fn merchant_after_sales(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    query: Query<AfterSalesQuery>,
) -> AppResult<web::Json<Page<AfterSalesResponse>>> {
    let merchant_id = path.into_inner();
    let q = query.into_inner();
    let page = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        let filter = ListFilter {
            merchant_id: Some(merchant_id),
            ..Default::default()
        };
        page(conn, filter, q)
    })
    .await?;
    Ok(web::Json(page))
}

/// Every request, newest first, by status (operators; `?status=escalated` is their queue).
#[utoipa::path(get, path = "/api/v1/admin/after-sales", tag = "after-sales", security(("bearer" = [])),
    params(AfterSalesQuery),
    responses((status = 200, body = Page<AfterSalesResponse>), (status = 403, body = Problem)))]
pub async fn admin_after_sales(
    id: Identity,
    state: web::Data<AppState>,
    query: Query<AfterSalesQuery>,
) -> AppResult<web::Json<Page<AfterSalesResponse>>> {
    id.require_operator()?;
    let q = query.into_inner();
    Ok(web::Json(
        db::run(&state.pool, move |conn| {
            page(conn, ListFilter::default(), q)
        })
        .await?,
    ))
}
