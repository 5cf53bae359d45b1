//! Operator verification: the queue of applications and the decisions on them.

use actix_web::web;
use chrono::{DateTime, Utc};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::http::Query;
use crate::http::{Json, Page, PageParams};
use crate::state::AppState;

use super::models;
use super::rules::{Actor, MerchantAction, MerchantStatus};
use super::views::MerchantResponse;
use crate::fields::{text, Text};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AdminMerchantQuery {
    /// Default `submitted` (the review queue).
    #[param(pattern = "^(draft|submitted|approved|rejected|suspended)$")]
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// Merchants in a status, oldest submission first (operators only).
#[utoipa::path(get, path = "/api/v1/admin/merchants", tag = "admin", security(("bearer" = [])),
    params(AdminMerchantQuery),
    responses((status = 200, body = Page<MerchantResponse>), (status = 403, body = Problem), (status = 422, body = Problem)))]
pub async fn list_merchants(
    id: Identity,
    state: web::Data<AppState>,
    query: Query<AdminMerchantQuery>,
) -> AppResult<web::Json<Page<MerchantResponse>>> {
    id.require_operator()?;
    let query = query.into_inner();
    let status = match query.status.as_deref() {
        None => MerchantStatus::Submitted,
        Some(s) => MerchantStatus::parse(s).ok_or_else(|| {
            AppError::invalid(
                "status",
                "must be draft, submitted, approved, rejected or suspended",
            )
        })?,
    };
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor::<(DateTime<Utc>, Uuid)>()?;
    let page = db::run(&state.pool, move |conn| {
        let rows = models::list_by_status(conn, status.as_str(), after, limit + 1)?;
        let page = Page::from_rows(rows, limit, |m| {
            (m.submitted_at.unwrap_or(m.created_at), m.id)
        });
        let items = page
            .items
            .into_iter()
            .map(|m| {
                let categories = models::categories(conn, m.id)?;
                Ok(MerchantResponse::full(m, categories, None))
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    })
    .await?;
    Ok(web::Json(page))
}

/// An optional note on an approval or reinstatement (shown to the merchant).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantDecisionRequest {
    #[schema(schema_with = Text::<1, 500>::nullable)]
    pub reason: Option<String>,
}

/// The reason for a rejection or suspension (required; shown to the merchant).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MerchantReasonRequest {
    #[schema(schema_with = Text::<1, 500>::schema)]
    pub reason: String,
}

impl From<MerchantReasonRequest> for MerchantDecisionRequest {
    fn from(body: MerchantReasonRequest) -> Self {
        Self {
            reason: Some(body.reason),
        }
    }
}

async fn decide(
    id: Identity,
    state: web::Data<AppState>,
    merchant_id: Uuid,
    action: MerchantAction,
    body: MerchantDecisionRequest,
) -> AppResult<web::Json<MerchantResponse>> {
    id.require_operator()?;
    let reason = body
        .reason
        .map(|r| text("reason", &r, 1, 500))
        .transpose()?;
    if action.needs_reason() && reason.is_none() {
        return Err(AppError::invalid(
            "reason",
            "is required to reject or suspend",
        ));
    }
    let merchant = db::tx(&state.pool, move |conn| {
        let current = models::find_for_update(conn, merchant_id)?;
        let updated = super::change_status(
            conn,
            &current,
            action,
            Actor::Operator,
            reason.as_deref(),
            Some(id.user_id),
        )?;
        let categories = models::categories(conn, merchant_id)?;
        Ok(MerchantResponse::full(updated, categories, None))
    })
    .await?;
    Ok(web::Json(merchant))
}

macro_rules! decision_route {
    ($name:ident, $action:expr, $body:ty, $path:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(post, path = $path, tag = "admin", security(("bearer" = [])),
            operation_id = concat!(stringify!($name), "_merchant"),
            params(("id" = Uuid, Path)), request_body = $body,
            responses((status = 200, body = MerchantResponse), (status = 403, body = Problem),
                (status = 404, body = Problem), (status = 409, body = Problem, description = "invalid_transition"),
                (status = 422, body = Problem)))]
        pub async fn $name(
            id: Identity,
            state: web::Data<AppState>,
            path: web::Path<Uuid>,
            body: Json<$body>,
        ) -> AppResult<web::Json<MerchantResponse>> {
            decide(id, state, path.into_inner(), $action, body.into_inner().into()).await
        }
    };
}

decision_route!(
    approve,
    MerchantAction::Approve,
    MerchantDecisionRequest,
    "/api/v1/admin/merchants/{id}/approve",
    "Approves a submitted application: the merchant becomes visible to consumers."
);
decision_route!(
    reject,
    MerchantAction::Reject,
    MerchantReasonRequest,
    "/api/v1/admin/merchants/{id}/reject",
    "Rejects a submitted application with a reason; the merchant may correct and resubmit."
);
decision_route!(
    suspend,
    MerchantAction::Suspend,
    MerchantReasonRequest,
    "/api/v1/admin/merchants/{id}/suspend",
    "Suspends an approved merchant with a reason; it is hidden from consumers."
);
decision_route!(
    reinstate,
    MerchantAction::Reinstate,
    MerchantDecisionRequest,
    "/api/v1/admin/merchants/{id}/reinstate",
    "Reinstates a suspended merchant."
);
