//! Decisions on reviews and appeals, taken from the moderation queue. Every decision carries the version the operator saw (a stale one is 409), lands in the audit
//! log with before and after, and emails the people concerned.

use actix_web::{http::StatusCode, web};
use chrono::Utc;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts;
use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::Json;
use crate::jobs::outbox::{self, Email};
use crate::merchants::{access, MemberRole};
use crate::reviews;
use crate::reviews::refresh_merchant;
use crate::reviews::rules::{self, Decision};
use crate::schema::{appeals, moderation_decisions};
use crate::state::AppState;

use crate::audit::{self, ActorRole, Entry};
use crate::fields::Text;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReviewDecisionRequest {
    pub decision: Decision,
    /// Required to hide or remove; shown in place of a hidden review's text.
    #[schema(schema_with = Text::<2, 500>::nullable)]
    pub reason: Option<String>,
    /// The review version the operator saw.
    pub version: i32,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DecisionResponse {
    pub decision_id: Uuid,
    pub review_id: Uuid,
    pub before: String,
    pub after: String,
    pub version: i32,
}

/// How a review's status reads in the author's email, Chinese first.
fn review_words(status: &str) -> (&'static str, &'static str) {
    match status {
        "published" => ("已公开展示", "published"),
        "held" => ("待审核", "held for review"),
        "hidden" => ("已隐藏", "hidden"),
        "removed" => ("已删除", "removed"),
        _ => ("已更新", "updated"),
    }
}

fn email(to: &accounts::User, subject: &str, body: String) -> Email {
    Email {
        recipient: to.email.clone(),
        account: Some(to.id),
        subject: subject.to_owned(),
        body_text: body,
    }
}

/// Decides a review: publish, hide, remove (illegal content only) or dismiss its reports.
#[utoipa::path(post, path = "/api/v1/admin/reviews/{id}/decision", tag = "moderation", operation_id = "decide_review", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = ReviewDecisionRequest,
    responses((status = 200, body = DecisionResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "stale_version, invalid_transition"), (status = 422, body = Problem)))]
pub async fn decide(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<ReviewDecisionRequest>,
) -> AppResult<web::Json<DecisionResponse>> {
    id.require_operator()?;
    let review_id = path.into_inner();
    let req = body.into_inner();
    let reason = req
        .reason
        .as_deref()
        .map(|r| crate::fields::text("reason", r, 2, 500))
        .transpose()?;
    if matches!(req.decision, Decision::Hide | Decision::Remove) && reason.is_none() {
        return Err(AppError::invalid("reason", "is required to hide or remove"));
    }
    let response = db::tx(&state.pool, move |conn| {
        let current = reviews::find_for_update(conn, review_id)?;
        if current.version != req.version {
            return Err(AppError::Conflict(codes::STALE_VERSION, format!("The review changed (now version {}); reload it.", current.version)));
        }
        let open = i64::try_from(reviews::open_reports(conn, review_id)?.len()).unwrap_or(0);
        let (to, reports) = rules::decide(&current.status, req.decision, open).ok_or_else(|| {
            AppError::Conflict(codes::INVALID_TRANSITION, format!("A {} review cannot get `{}`.", current.status, req.decision.as_str()))
        })?;
        // Hiding records its reason; dismissing the reports of a hidden review keeps the old one.
        let hidden_reason = match (to, req.decision) {
            ("hidden", Decision::Hide) => reason.as_deref(),
            ("hidden", _) => current.hidden_reason.as_deref(),
            _ => None,
        };
        let saved = reviews::set_status(conn, review_id, current.version, to, hidden_reason)?
            .ok_or_else(|| AppError::Conflict(codes::STALE_VERSION, "The review changed meanwhile.".into()))?;
        let decision_id = Uuid::now_v7();
        diesel::insert_into(moderation_decisions::table)
            .values((
                moderation_decisions::id.eq(decision_id),
                moderation_decisions::review_id.eq(review_id),
                moderation_decisions::operator_id.eq(id.user_id),
                moderation_decisions::decision.eq(req.decision.as_str()),
                moderation_decisions::reason.eq(reason.as_deref()),
                moderation_decisions::before_status.eq(&current.status),
                moderation_decisions::after_status.eq(to),
            ))
            .execute(conn)?;
        reviews::close_reports(conn, review_id, reports, decision_id)?;
        audit::record(conn, Entry {
            actor_id: Some(id.user_id),
            actor_role: ActorRole::Operator,
            action: &format!("review.{}", req.decision.as_str()),
            subject_type: "review",
            subject_id: review_id,
            before: Some(serde_json::json!({"status": current.status, "version": current.version, "open_reports": open})),
            after: Some(serde_json::json!({"status": saved.status, "version": saved.version, "reports": reports})),
            reason: reason.as_deref(),
        })?;
        let author = accounts::find(conn, current.author_id)?;
        let words = review_words(to);
        outbox::enqueue(conn, &email(&author, "您的评价已处理 / A decision on your review",
            format!("您的评价状态：{zh}。\nYour review is now {en}.\n{}\n如有异议可申诉一次。You may appeal once.\n", reason.clone().unwrap_or_default(),
                zh = words.0, en = words.1)))?;
        refresh_merchant(conn, current.merchant_id)?;
        Ok(DecisionResponse { decision_id, review_id, before: current.status, after: saved.status, version: saved.version })
    })
    .await?;
    Ok(web::Json(response))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealRequest {
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealResponse {
    pub appeal_id: Uuid,
    pub decision_id: Uuid,
    pub status: String,
}

/// The author, or the merchant (owner or manager), appeals the latest decision on a review, once.
#[utoipa::path(post, path = "/api/v1/reviews/{id}/appeal", tag = "reviews", operation_id = "appeal_decision", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AppealRequest,
    responses((status = 201, body = AppealResponse), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "no_decision, already_appealed")))]
pub async fn appeal(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<AppealRequest>,
) -> AppResult<(web::Json<AppealResponse>, StatusCode)> {
    let review_id = path.into_inner();
    let reason = crate::fields::text("reason", &body.into_inner().reason, 2, 500)?;
    let response = db::tx(&state.pool, move |conn| {
        let review = reviews::find(conn, review_id)?;
        let role = if review.author_id == id.user_id {
            "author"
        } else {
            access::require(conn, review.merchant_id, id.user_id, MemberRole::Manager)?;
            "merchant"
        };
        let decision: Uuid = moderation_decisions::table
            .filter(moderation_decisions::review_id.eq(review_id))
            .order(moderation_decisions::created_at.desc())
            .select(moderation_decisions::id)
            .first(conn)
            .optional()?
            .ok_or_else(|| {
                AppError::Conflict(codes::NO_DECISION, "There is no decision to appeal.".into())
            })?;
        let appeal_id = Uuid::now_v7();
        let inserted = diesel::insert_into(appeals::table)
            .values((
                appeals::id.eq(appeal_id),
                appeals::decision_id.eq(decision),
                appeals::appellant_id.eq(id.user_id),
                appeals::appellant_role.eq(role),
                appeals::reason.eq(&reason),
            ))
            .on_conflict_do_nothing()
            .execute(conn)?;
        if inserted == 0 {
            return Err(AppError::Conflict(
                codes::ALREADY_APPEALED,
                "This decision was already appealed.".into(),
            ));
        }
        Ok(AppealResponse {
            appeal_id,
            decision_id: decision,
            status: "open".into(),
        })
    })
    .await?;
    Ok((web::Json(response), StatusCode::CREATED))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AppealOutcome {
    /// The decision stands.
    Uphold,
    /// The decision is reversed: the review returns to its state before it.
    Overturn,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionRequest {
    pub outcome: AppealOutcome,
    #[schema(schema_with = Text::<2, 500>::schema)]
    pub reason: String,
}

/// Decides an appeal; the operator who made the decision may not decide its appeal.
#[utoipa::path(post, path = "/api/v1/admin/appeals/{id}/decision", tag = "moderation", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AppealDecisionRequest,
    responses((status = 200, body = AppealResponse), (status = 403, body = Problem, description = "forbidden, same_operator"),
        (status = 404, body = Problem), (status = 409, body = Problem, description = "invalid_transition")))]
pub async fn decide_appeal(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<AppealDecisionRequest>,
) -> AppResult<web::Json<AppealResponse>> {
    id.require_operator()?;
    let appeal_id = path.into_inner();
    let req = body.into_inner();
    let reason = crate::fields::text("reason", &req.reason, 2, 500)?;
    let response = db::tx(&state.pool, move |conn| {
        let (decision_id, status, appellant): (Uuid, String, Uuid) = appeals::table
            .find(appeal_id)
            .select((appeals::decision_id, appeals::status, appeals::appellant_id))
            .for_update()
            .first(conn)?;
        if status != "open" {
            return Err(AppError::Conflict(codes::INVALID_TRANSITION, format!("The appeal is already {status}.")));
        }
        let (review_id, operator, before, after): (Uuid, Uuid, String, String) = moderation_decisions::table
            .find(decision_id)
            .select((moderation_decisions::review_id, moderation_decisions::operator_id, moderation_decisions::before_status, moderation_decisions::after_status))
            .first(conn)?;
        if operator == id.user_id {
            return Err(AppError::Forbidden(codes::SAME_OPERATOR, "An appeal is decided by another operator than the one who decided.".into()));
        }
        let outcome = if req.outcome == AppealOutcome::Overturn { "overturned" } else { "upheld" };
        let review = reviews::find_for_update(conn, review_id)?;
        if req.outcome == AppealOutcome::Overturn && review.status != after {
            return Err(AppError::Conflict(
                codes::INVALID_TRANSITION,
                format!("The review moved on since the decision (it is {} now); decide it afresh.", review.status),
            ));
        }
        if req.outcome == AppealOutcome::Overturn {
            let hidden_reason = review.hidden_reason.as_deref().filter(|_| before == "hidden");
            reviews::set_status(conn, review_id, review.version, &before, hidden_reason)?;
            // Every consequence of the decision goes with it: the reports it closed too, and
            // with them the report points in the merchant's credit (recomputed by job).
            reviews::reverse_reports(conn, decision_id)?;
            refresh_merchant(conn, review.merchant_id)?;
        }
        diesel::update(appeals::table.find(appeal_id))
            .set((appeals::status.eq(outcome), appeals::decided_by.eq(id.user_id), appeals::decided_at.eq(Utc::now())))
            .execute(conn)?;
        audit::record(conn, Entry {
            actor_id: Some(id.user_id),
            actor_role: ActorRole::Operator,
            action: &format!("appeal.{outcome}"),
            subject_type: "review",
            subject_id: review_id,
            before: Some(serde_json::json!({"status": review.status, "appeal": "open"})),
            after: Some(serde_json::json!({"status": if outcome == "overturned" { &before } else { &review.status }, "appeal": outcome})),
            reason: Some(&reason),
        })?;
        let person = accounts::find(conn, appellant)?;
        outbox::enqueue(conn, &email(&person, "申诉结果 / The outcome of your appeal", format!("申诉结果：{outcome}。\nYour appeal was {outcome}.\n{reason}\n")))?;
        Ok(AppealResponse { appeal_id, decision_id, status: outcome.into() })
    })
    .await?;
    Ok(web::Json(response))
}
