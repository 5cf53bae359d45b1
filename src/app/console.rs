//! The operators' console (`/console/`): merchant applications with their licence data
//! (approve, or reject with a reason), the moderation queue (each held or reported review with
//! the rule that held it and its reports; decide with a reason), appeals (decided by another
//! operator than the one who made the decision: the API's 403 `same_operator` otherwise), the
//! audit log with filters, and a merchant's credit with its components. Every page is for
//! operators only (a consumer gets 403) and calls the API's handlers.

use actix_web::{web, HttpRequest};
use askama::Template;
use serde_json::{json, Value};
use uuid::Uuid;

use crate::http::{Endpoint, Query};
use crate::state::AppState;
use crate::{credit, merchants, moderation};

use super::site::{checked_form, ok, see_other, Form, Layout, PageResult, PageUser};

/// Mounts the console's pages.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(Endpoint::new("/console/").get(index))
        .service(Endpoint::new("/console/applications").get(applications))
        .service(Endpoint::new("/console/applications/{id}/{decision}").post(decide_application))
        .service(Endpoint::new("/console/moderation").get(moderation_queue))
        .service(Endpoint::new("/console/reviews/{id}/decision").post(decide_review))
        .service(Endpoint::new("/console/appeals").get(appeals))
        .service(Endpoint::new("/console/appeals/{id}/decision").post(decide_appeal))
        .service(Endpoint::new("/console/audit").get(audit))
        .service(Endpoint::new("/console/merchants/{id}/credit").get(merchant_credit));
}

/// One line of facts: a label and its value as text.
pub struct Fact {
    pub label: &'static str,
    pub value: String,
}

fn fact(label: &'static str, value: impl std::fmt::Display) -> Fact {
    Fact {
        label,
        value: value.to_string(),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::Null => "—".to_owned(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

#[derive(Template)]
#[template(path = "console/index.html")]
struct IndexPage {
    l: Layout,
    applications: usize,
    reviews: usize,
    appeals: usize,
}

async fn index(user: PageUser, state: web::Data<AppState>) -> PageResult {
    let id = user.require_operator()?;
    let apps = merchants::admin::list_merchants(
        id,
        state.clone(),
        Query(Form::body(json!({"limit": 100}))?),
    )
    .await?
    .into_inner();
    let queue = moderation::queue::queue(id, state, Query(Form::body(json!({"limit": 100}))?))
        .await?
        .into_inner();
    ok(IndexPage {
        l: Layout::for_user("运营后台", &user),
        applications: apps.items.len(),
        reviews: queue.iter().filter(|q| q.kind == "review").count(),
        appeals: queue.iter().filter(|q| q.kind == "appeal").count(),
    }
    .render())
}

/// An application as the console shows it.
pub struct Application {
    pub id: Uuid,
    pub name: String,
    pub facts: Vec<Fact>,
}

#[derive(Template)]
#[template(path = "console/applications.html")]
struct ApplicationsPage {
    l: Layout,
    items: Vec<Application>,
}

fn application(m: merchants::MerchantResponse) -> Application {
    let mut facts = vec![
        fact("类别", m.categories.join("、")),
        fact("联系电话", m.contact_phone.as_str()),
        fact("地址", m.address.as_str()),
    ];
    if let Some(a) = &m.application {
        facts.push(fact("企业名称", a.legal_name.as_str()));
        facts.push(fact("统一社会信用代码", a.credit_code.as_str()));
        facts.push(fact("营业执照有效期至", a.licence_expires_on));
        facts.push(fact(
            "食品经营许可证",
            a.food_permit_no.as_deref().unwrap_or("—"),
        ));
        facts.push(fact("证照文件", a.documents.len()));
        if let Some(at) = a.submitted_at {
            facts.push(fact("提交时间", at.format("%Y-%m-%d %H:%M UTC")));
        }
    }
    Application {
        id: m.id,
        name: m.display_name,
        facts,
    }
}

async fn applications(user: PageUser, state: web::Data<AppState>) -> PageResult {
    let id = user.require_operator()?;
    let page = merchants::admin::list_merchants(
        id,
        state,
        Query(Form::body(json!({"status": "submitted", "limit": 100}))?),
    )
    .await?
    .into_inner();
    ok(ApplicationsPage {
        l: Layout::for_user("入驻申请", &user),
        items: page.items.into_iter().map(application).collect(),
    }
    .render())
}

async fn decide_application(
    user: PageUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<(Uuid, String)>,
    body: web::Bytes,
) -> PageResult {
    let form = checked_form(&req, &user, &body)?;
    let id = user.require_operator()?;
    let (merchant_id, decision) = path.into_inner();
    let reason = form.get("reason");
    let merchant = web::Path::from(merchant_id);
    match decision.as_str() {
        "approve" => {
            let body = Form::body(json!({ "reason": reason }))?;
            merchants::admin::approve(id, state, merchant, crate::http::Json::new(body)).await?;
        }
        "reject" => {
            let body = Form::body(json!({ "reason": reason.unwrap_or_default() }))?;
            merchants::admin::reject(id, state, merchant, crate::http::Json::new(body)).await?;
        }
        _ => return Err(crate::error::AppError::NotFound.into()),
    }
    see_other("/console/applications")
}

/// A queue item as the console shows it.
pub struct Held {
    pub review_id: Uuid,
    pub merchant_id: Uuid,
    pub status: String,
    pub version: i32,
    pub rating: String,
    pub body: String,
    pub rule: String,
    pub tier: String,
    pub reports: Vec<String>,
}

#[derive(Template)]
#[template(path = "console/moderation.html")]
struct ModerationPage {
    l: Layout,
    items: Vec<Held>,
}

async fn moderation_queue(user: PageUser, state: web::Data<AppState>) -> PageResult {
    let id = user.require_operator()?;
    let queue = moderation::queue::queue(id, state, Query(Form::body(json!({"limit": 100}))?))
        .await?
        .into_inner();
    let items = queue
        .into_iter()
        .filter(|q| q.kind == "review")
        .filter_map(|q| {
            Some(Held {
                review_id: q.review_id?,
                merchant_id: q.merchant_id,
                status: q.status.unwrap_or_default(),
                version: q.version.unwrap_or_default(),
                rating: q.rating.map(|r| r.to_string()).unwrap_or_default(),
                body: q.body.unwrap_or_default(),
                rule: q.held_rule.unwrap_or_else(|| "—".to_owned()),
                tier: q.tier.unwrap_or_else(|| "—".to_owned()),
                reports: q
                    .reports
                    .into_iter()
                    .map(|r| match r.note {
                        Some(note) => format!("{}：{note}", r.reason),
                        None => r.reason,
                    })
                    .collect(),
            })
        })
        .collect();
    ok(ModerationPage {
        l: Layout::for_user("评价审核", &user),
        items,
    }
    .render())
}

async fn decide_review(
    user: PageUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> PageResult {
    let form = checked_form(&req, &user, &body)?;
    let id = user.require_operator()?;
    let version: i32 = form
        .get("version")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let body = Form::body(json!({
        "decision": form.get("decision").unwrap_or_default(),
        "reason": form.get("reason"),
        "version": version,
    }))?;
    moderation::decisions::decide(id, state, path, crate::http::Json::new(body)).await?;
    see_other("/console/moderation")
}

/// An open appeal as the console shows it.
pub struct Appeal {
    pub appeal_id: Uuid,
    pub review_id: Uuid,
    pub status: String,
    pub body: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "console/appeals.html")]
struct AppealsPage {
    l: Layout,
    items: Vec<Appeal>,
}

async fn appeals(user: PageUser, state: web::Data<AppState>) -> PageResult {
    let id = user.require_operator()?;
    let queue = moderation::queue::queue(id, state, Query(Form::body(json!({"limit": 100}))?))
        .await?
        .into_inner();
    let items = queue
        .into_iter()
        .filter(|q| q.kind == "appeal")
        .filter_map(|q| {
            Some(Appeal {
                appeal_id: q.appeal_id?,
                review_id: q.review_id?,
                status: q.status.unwrap_or_default(),
                body: q.body.unwrap_or_default(),
                note: q.note.unwrap_or_default(),
            })
        })
        .collect();
    ok(AppealsPage {
        l: Layout::for_user("申诉", &user),
        items,
    }
    .render())
}

async fn decide_appeal(
    user: PageUser,
    state: web::Data<AppState>,
    req: HttpRequest,
    path: web::Path<Uuid>,
    body: web::Bytes,
) -> PageResult {
    let form = checked_form(&req, &user, &body)?;
    let id = user.require_operator()?;
    let body = Form::body(json!({
        "outcome": form.get("outcome").unwrap_or_default(),
        "reason": form.get("reason").unwrap_or_default(),
    }))?;
    moderation::decisions::decide_appeal(id, state, path, crate::http::Json::new(body)).await?;
    see_other("/console/appeals")
}

/// An audit line as the console shows it.
pub struct AuditLine {
    pub at: String,
    pub actor: String,
    pub action: String,
    pub subject: String,
    pub change: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "console/audit.html")]
struct AuditPage {
    l: Layout,
    subject_type: String,
    subject_id: String,
    actor_id: String,
    lines: Vec<AuditLine>,
    next: Option<String>,
}

async fn audit(user: PageUser, state: web::Data<AppState>, req: HttpRequest) -> PageResult {
    let id = user.require_operator()?;
    let form = Form::parse(req.query_string().as_bytes())?;
    let (subject_type, subject_id, actor_id) = (
        form.get("subject_type"),
        form.get("subject_id"),
        form.get("actor_id"),
    );
    let query = Form::body(json!({
        "subject_type": subject_type,
        "subject_id": subject_id,
        "actor_id": actor_id,
        "cursor": form.get("cursor"),
        "limit": 50,
    }))?;
    let page = moderation::routes::list_audit_log(id, state, Query(query))
        .await?
        .into_inner();
    let lines = page
        .items
        .into_iter()
        .map(|e| AuditLine {
            at: e.at.format("%Y-%m-%d %H:%M:%S").to_string(),
            actor: format!(
                "{} {}",
                e.actor_role,
                e.actor_id.map(|a| a.to_string()).unwrap_or_default()
            ),
            action: e.action,
            subject: format!("{} {}", e.subject_type, e.subject_id),
            change: format!(
                "{} → {}",
                e.before.as_ref().map(text_of).unwrap_or_else(|| "—".into()),
                e.after.as_ref().map(text_of).unwrap_or_else(|| "—".into())
            ),
            reason: e.reason.unwrap_or_default(),
        })
        .collect();
    let filters = format!(
        "subject_type={}&subject_id={}&actor_id={}",
        enc(subject_type.as_deref()),
        enc(subject_id.as_deref()),
        enc(actor_id.as_deref())
    );
    ok(AuditPage {
        l: Layout::for_user("审计日志", &user),
        subject_type: subject_type.unwrap_or_default(),
        subject_id: subject_id.unwrap_or_default(),
        actor_id: actor_id.unwrap_or_default(),
        lines,
        next: page
            .next_cursor
            .map(|c| format!("/console/audit?{filters}&cursor={}", enc(Some(&c)))),
    }
    .render())
}

fn enc(value: Option<&str>) -> String {
    form_urlencoded::byte_serialize(value.unwrap_or_default().as_bytes()).collect()
}

#[derive(Template)]
#[template(path = "console/credit.html")]
struct CreditPage {
    l: Layout,
    merchant_id: Uuid,
    tier: String,
    score: String,
    components: Vec<Fact>,
    computed_at: String,
}

/// The components of a merchant's score, named.
fn components(breakdown: &Value) -> Vec<Fact> {
    const NAMES: &[(&str, &str)] = &[
        ("bayesian_rating", "贝叶斯评分"),
        ("rating_points", "评分得分"),
        ("reliability", "履约率"),
        ("reliability_points", "履约得分"),
        ("licence_points", "证照得分"),
        ("report_points", "举报扣分"),
        ("penalty_points", "处罚扣分"),
        ("score", "总分"),
    ];
    NAMES
        .iter()
        .map(|(key, label)| fact(label, text_of(&breakdown[*key])))
        .collect()
}

async fn merchant_credit(
    user: PageUser,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> PageResult {
    let id = user.require_operator()?;
    let merchant_id = *path;
    let credit = credit::get_credit(Some(id), state, path)
        .await?
        .into_inner();
    let value = serde_json::to_value(&credit).unwrap_or(Value::Null);
    ok(CreditPage {
        l: Layout::for_user("商家信用", &user),
        merchant_id,
        tier: credit.tier,
        score: credit.score.map(|s| s.to_string()).unwrap_or_default(),
        components: components(&value["breakdown"]),
        computed_at: credit.computed_at.format("%Y-%m-%d %H:%M UTC").to_string(),
    }
    .render())
}
