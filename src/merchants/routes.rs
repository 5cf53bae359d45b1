//! Applying to become a merchant, and the merchant's own view and edits.

use actix_web::{http::StatusCode, web};
use chrono::Utc;
use diesel::PgConnection;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::Json;
use crate::state::AppState;

use super::access::{self, MemberRole};
use super::application::{ApplyRequest, UpdateMerchantRequest};
use super::models;
use super::rules::{self, Actor, MerchantAction, MerchantStatus};
use super::views::MerchantResponse;

/// Today in China, for licence dates.
pub fn today() -> chrono::NaiveDate {
    Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .date_naive()
}

/// Loads a merchant as its member sees it.
fn member_view(conn: &mut PgConnection, id: Uuid, role: MemberRole) -> AppResult<MerchantResponse> {
    let merchant = models::find(conn, id)?;
    let categories = models::categories(conn, id)?;
    Ok(MerchantResponse::full(merchant, categories, Some(role)))
}

/// Applies to become a merchant; the caller becomes its owner. The application starts as a
/// draft: submit it for review when it is complete.
#[utoipa::path(post, path = "/api/v1/merchants", tag = "merchants", operation_id = "apply_for_merchant", security(("bearer" = [])),
    request_body = ApplyRequest,
    responses((status = 201, body = MerchantResponse), (status = 401, body = Problem),
        (status = 422, body = Problem, description = "validation_failed, naming each field")))]
pub async fn apply(
    id: Identity,
    state: web::Data<AppState>,
    body: Json<ApplyRequest>,
) -> AppResult<(web::Json<MerchantResponse>, StatusCode)> {
    let request = body.into_inner();
    let merchant = db::tx(&state.pool, move |conn| {
        let known = models::all_categories(conn)?;
        let application = request.parse(&known, today())?;
        let merchant_id = super::create(conn, id.user_id, &application)?;
        member_view(conn, merchant_id, MemberRole::Owner)
    })
    .await?;
    Ok((web::Json(merchant), StatusCode::CREATED))
}

/// The merchants the caller is a member of.
#[utoipa::path(get, path = "/api/v1/me/merchants", tag = "merchants", security(("bearer" = [])),
    responses((status = 200, body = Vec<MerchantResponse>), (status = 401, body = Problem)))]
pub async fn my_merchants(
    id: Identity,
    state: web::Data<AppState>,
) -> AppResult<web::Json<Vec<MerchantResponse>>> {
    let list = db::run(&state.pool, move |conn| {
        let rows = models::memberships(conn, id.user_id)?;
        rows.into_iter()
            .map(|(m, role)| {
                let categories = models::categories(conn, m.id)?;
                Ok(MerchantResponse::full(
                    m,
                    categories,
                    MemberRole::parse(&role),
                ))
            })
            .collect::<AppResult<Vec<_>>>()
    })
    .await?;
    Ok(web::Json(list))
}

/// Edits the merchant (owner or manager). The verified fields (legal name, credit code,
/// categories, food permit) change only while a draft or after a rejection.
#[utoipa::path(patch, path = "/api/v1/merchants/{id}", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = UpdateMerchantRequest,
    responses((status = 200, body = MerchantResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "application_locked"), (status = 422, body = Problem)))]
pub async fn update_merchant(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<UpdateMerchantRequest>,
) -> AppResult<web::Json<MerchantResponse>> {
    let merchant_id = path.into_inner();
    let edit = body.into_inner();
    let merchant = db::tx(&state.pool, move |conn| {
        let role = access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        let current = models::find_for_update(conn, merchant_id)?;
        let status = MerchantStatus::parse(&current.status).unwrap_or(MerchantStatus::Draft);
        if edit.touches_verified_fields() && !status.application_editable() {
            return Err(AppError::Conflict(
                codes::APPLICATION_LOCKED,
                "Legal name, credit code, categories and food permit change only through a new application.".into(),
            ));
        }
        let known = models::all_categories(conn)?;
        let merged = edit.apply_to(ApplyRequest::from_merchant(&current, models::categories(conn, merchant_id)?));
        let application = merged.parse(&known, today())?;
        let updated = models::update_fields(conn, merchant_id, &application.fields)?;
        super::attach_documents(conn, id.user_id, merchant_id, &application.documents)?;
        crate::jobs::merchant_changed(conn, merchant_id)?;
        models::set_categories(conn, merchant_id, &application.categories)?;
        if updated.licence_expires_on != current.licence_expires_on && !status.application_editable() {
            // A renewed licence on a live merchant changes what operators verified: log it.
            crate::audit::record(conn, crate::audit::Entry {
                actor_id: Some(id.user_id),
                actor_role: crate::audit::ActorRole::Member,
                action: "merchant.licence_renewed",
                subject_type: "merchant",
                subject_id: merchant_id,
                before: Some(serde_json::json!({"licence_expires_on": current.licence_expires_on})),
                after: Some(serde_json::json!({"licence_expires_on": updated.licence_expires_on})),
                reason: None,
            })?;
        }
        member_view(conn, merchant_id, role)
    })
    .await?;
    Ok(web::Json(merchant))
}

/// Submits the application for review (owner or manager), from draft or after a rejection.
#[utoipa::path(post, path = "/api/v1/merchants/{id}/submit", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MerchantResponse), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "invalid_transition")))]
pub async fn submit_merchant(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<MerchantResponse>> {
    let merchant_id = path.into_inner();
    let merchant = db::tx(&state.pool, move |conn| {
        let role = access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        let current = models::find_for_update(conn, merchant_id)?;
        super::change_status(
            conn,
            &current,
            MerchantAction::Submit,
            Actor::Member,
            None,
            Some(id.user_id),
        )?;
        member_view(conn, merchant_id, role)
    })
    .await?;
    Ok(web::Json(merchant))
}

/// Maps a refused lifecycle rule to its HTTP answer.
pub fn refused(err: rules::RuleError, action: MerchantAction, from: MerchantStatus) -> AppError {
    match err {
        rules::RuleError::NotAllowed => AppError::Forbidden(
            codes::FORBIDDEN,
            format!("You may not {} a merchant.", action.as_str()),
        ),
        rules::RuleError::InvalidTransition => AppError::Conflict(
            codes::INVALID_TRANSITION,
            format!(
                "A {} merchant cannot be {}.",
                from.as_str(),
                past_tense(action)
            ),
        ),
    }
}

fn past_tense(action: MerchantAction) -> &'static str {
    match action {
        MerchantAction::Submit => "submitted",
        MerchantAction::Approve => "approved",
        MerchantAction::Reject => "rejected",
        MerchantAction::Suspend | MerchantAction::ExpireLicence => "suspended",
        MerchantAction::Reinstate => "reinstated",
    }
}
