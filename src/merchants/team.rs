//! A merchant's team: members (who may manage it) and workers (who do the work).

use actix_web::{http::StatusCode, web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::accounts;
use crate::auth::Identity;
use crate::db;
use crate::error::{AppError, AppResult, FieldError, Problem};
use crate::fields::{Email, Fields, Phone};
use crate::http::{nullable, Json};
use crate::state::AppState;

use super::access::{self, MemberRole};
use super::models::{self, Worker, WorkerChanges};
use crate::fields::Text;

/// A member of a merchant.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub user_id: Uuid,
    pub role: MemberRole,
    pub email: String,
    pub display_name: String,
    pub added_at: chrono::DateTime<chrono::Utc>,
}

/// The merchant's members (any member may look).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/members", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<MemberResponse>), (status = 404, body = Problem)))]
pub async fn list_members(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<MemberResponse>>> {
    let merchant_id = path.into_inner();
    let rows = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        Ok(models::members(conn, merchant_id)?)
    })
    .await?;
    let members = rows
        .into_iter()
        .map(|r| MemberResponse {
            user_id: r.user_id,
            role: MemberRole::parse(&r.role).unwrap_or(MemberRole::Staff),
            email: r.email,
            display_name: r.display_name,
            added_at: r.created_at,
        })
        .collect();
    Ok(web::Json(members))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddMemberRequest {
    /// The email of an existing account.
    #[schema(schema_with = crate::fields::Email::schema)]
    pub email: String,
    /// `manager` or `staff` (a merchant has one owner, the applicant).
    #[schema(schema_with = addable_role)]
    pub role: MemberRole,
}

fn addable_role() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(["manager", "staff"]))
        .build()
}

/// Adds a member by email, or changes a member's role (owner only).
#[utoipa::path(post, path = "/api/v1/merchants/{id}/members", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = AddMemberRequest,
    responses((status = 201, body = Vec<MemberResponse>), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_member(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<AddMemberRequest>,
) -> AppResult<(web::Json<Vec<MemberResponse>>, StatusCode)> {
    let merchant_id = path.into_inner();
    let AddMemberRequest { email, role } = body.into_inner();
    let email = Email::parse("email", &email)?;
    if role == MemberRole::Owner {
        return Err(AppError::invalid("role", "must be manager or staff"));
    }
    db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Owner)?;
        let user = accounts::find_by_email(conn, email.as_str())?.ok_or_else(|| {
            AppError::invalid("email", "has no account; ask them to register first")
        })?;
        if access::role_of(conn, merchant_id, user.id)? == Some(MemberRole::Owner) {
            return Err(AppError::invalid("email", "is the owner"));
        }
        models::upsert_member(conn, merchant_id, user.id, role.as_str())?;
        Ok(())
    })
    .await?;
    let list = list_members(id, state, web::Path::from(merchant_id)).await?;
    Ok((list, StatusCode::CREATED))
}

/// Removes a member (owner only; the owner cannot be removed).
#[utoipa::path(delete, path = "/api/v1/merchants/{id}/members/{user_id}", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("user_id" = Uuid, Path)),
    responses((status = 204), (status = 403, body = Problem), (status = 404, body = Problem)))]
pub async fn remove_member(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
) -> AppResult<HttpResponse> {
    let (merchant_id, user_id) = path.into_inner();
    db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Owner)?;
        match models::remove_member(conn, merchant_id, user_id)? {
            0 => Err(AppError::NotFound),
            _ => Ok(()),
        }
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A worker, as the merchant sees them.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkerResponse {
    pub id: Uuid,
    pub merchant_id: Uuid,
    pub name: String,
    pub phone: Option<String>,
    /// The worker's own account, if they sign in.
    pub user_id: Option<Uuid>,
    pub skills: Vec<String>,
    pub active: bool,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

impl From<Worker> for WorkerResponse {
    fn from(w: Worker) -> Self {
        Self {
            id: w.id,
            merchant_id: w.merchant_id,
            name: w.name,
            phone: w.phone,
            user_id: w.user_id,
            skills: w.skills,
            active: w.active,
            created_at: w.created_at,
        }
    }
}

/// A new worker, or an edit of one (every field optional on edit).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkerRequest {
    #[schema(example = "张阿姨")]
    #[schema(schema_with = Text::<1, 50>::nullable)]
    pub name: Option<String>,
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    #[schema(schema_with = crate::fields::Phone::nullable)]
    pub phone: Option<Option<String>>,
    /// Category codes (`housekeeping`, `repair`, ...) and `courier`.
    pub skills: Option<Vec<String>>,
    /// The email of the worker's own account, to let them sign in; `null` unlinks it.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<String>)]
    #[schema(schema_with = crate::fields::Email::nullable)]
    pub login_email: Option<Option<String>>,
    pub active: Option<bool>,
}

/// Checks a worker request into changes (looking up the login account and known skills).
fn worker_changes(
    conn: &mut diesel::PgConnection,
    req: WorkerRequest,
    creating: bool,
) -> AppResult<WorkerChanges> {
    let mut f = Fields::default();
    if creating && req.name.is_none() {
        f.check::<()>(Err(FieldError::new("name", "is required")));
    }
    let name = req
        .name
        .and_then(|n| f.check(crate::fields::text("name", &n, 1, 50)));
    let phone = req
        .phone
        .map(|p| p.and_then(|p| f.check(Phone::parse("phone", &p)).map(Phone::into_inner)));
    let known: Vec<String> = models::all_categories(conn)?
        .into_iter()
        .map(|c| c.code)
        .collect();
    let skills = req.skills.map(|mut skills| {
        skills.sort();
        skills.dedup();
        if let Some(bad) = skills
            .iter()
            .find(|s| *s != "courier" && !known.contains(s))
        {
            f.check::<()>(Err(FieldError::new(
                "skills",
                format!("`{bad}` is not a category or `courier`"),
            )));
        }
        skills
    });
    let user_id = match req.login_email {
        None => None,
        Some(None) => Some(None),
        Some(Some(email)) => match f.check(Email::parse("login_email", &email)) {
            None => None,
            Some(email) => match accounts::find_by_email(conn, email.as_str())? {
                Some(user) => Some(Some(user.id)),
                None => {
                    f.check::<()>(Err(FieldError::new(
                        "login_email",
                        "has no account; ask them to register first",
                    )));
                    None
                }
            },
        },
    };
    f.finish()?;
    Ok(WorkerChanges {
        name,
        phone,
        user_id,
        skills,
        active: req.active,
    })
}

fn map_worker_conflict(err: diesel::result::Error) -> AppError {
    match err {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => AppError::invalid(
            "login_email",
            "is already linked to another worker of this merchant",
        ),
        other => other.into(),
    }
}

/// The merchant's workers (any member may look).
#[utoipa::path(get, path = "/api/v1/merchants/{id}/workers", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path)),
    responses((status = 200, body = Vec<WorkerResponse>), (status = 404, body = Problem)))]
pub async fn list_workers(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<Vec<WorkerResponse>>> {
    let merchant_id = path.into_inner();
    let workers = db::run(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Staff)?;
        Ok(models::list_workers(conn, merchant_id)?)
    })
    .await?;
    Ok(web::Json(workers.into_iter().map(Into::into).collect()))
}

/// Adds a worker (owner or manager).
#[utoipa::path(post, path = "/api/v1/merchants/{id}/workers", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = WorkerRequest,
    responses((status = 201, body = WorkerResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn add_worker(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<WorkerRequest>,
) -> AppResult<(web::Json<WorkerResponse>, StatusCode)> {
    let merchant_id = path.into_inner();
    let request = body.into_inner();
    let worker = db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        let changes = worker_changes(conn, request, true)?;
        models::insert_worker(conn, merchant_id, &changes).map_err(map_worker_conflict)
    })
    .await?;
    Ok((web::Json(worker.into()), StatusCode::CREATED))
}

/// Edits a worker: name, phone, skills, login, active (owner or manager).
#[utoipa::path(patch, path = "/api/v1/merchants/{id}/workers/{worker_id}", tag = "merchants", security(("bearer" = [])),
    params(("id" = Uuid, Path), ("worker_id" = Uuid, Path)), request_body = WorkerRequest,
    responses((status = 200, body = WorkerResponse), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)))]
pub async fn update_worker(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<(Uuid, Uuid)>,
    body: Json<WorkerRequest>,
) -> AppResult<web::Json<WorkerResponse>> {
    let (merchant_id, worker_id) = path.into_inner();
    let request = body.into_inner();
    let worker = db::tx(&state.pool, move |conn| {
        access::require(conn, merchant_id, id.user_id, MemberRole::Manager)?;
        models::find_worker(conn, merchant_id, worker_id)?;
        let changes = worker_changes(conn, request, false)?;
        models::update_worker(conn, merchant_id, worker_id, &changes).map_err(map_worker_conflict)
    })
    .await?;
    Ok(web::Json(worker.into()))
}
