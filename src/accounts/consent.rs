//! Consent: what a person agreed to, in which version, and when. Registration records the terms
//! and the privacy policy; optional consents (marketing email) are given and withdrawn as easily,
//! and nothing anyone needs depends on them. Records are appended, never changed.

use actix_web::web;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{AppResult, Problem};
use crate::http::Json;
use crate::schema::consents;

/// The versions of the documents a new account accepts.
pub const TERMS_VERSION: &str = "2026-11-01";
pub const PRIVACY_VERSION: &str = "2026-11-01";
/// The version of the marketing-email wording.
pub const MARKETING_VERSION: &str = "2026-11-01";

/// One consent given or withdrawn.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, ToSchema)]
#[diesel(table_name = consents, check_for_backend(diesel::pg::Pg))]
pub struct Consent {
    /// `terms`, `privacy_policy` or `marketing_email`.
    pub kind: String,
    pub version: String,
    pub granted: bool,
    pub at: DateTime<Utc>,
}

pub fn record(
    conn: &mut PgConnection,
    user_id: Uuid,
    kind: &str,
    version: &str,
    granted: bool,
) -> QueryResult<()> {
    diesel::insert_into(consents::table)
        .values((
            consents::id.eq(Uuid::now_v7()),
            consents::user_id.eq(user_id),
            consents::kind.eq(kind),
            consents::version.eq(version),
            consents::granted.eq(granted),
        ))
        .execute(conn)
        .map(drop)
}

/// Every consent record of a user, newest first.
pub fn history(conn: &mut PgConnection, user_id: Uuid) -> QueryResult<Vec<Consent>> {
    consents::table
        .filter(consents::user_id.eq(user_id))
        .select(Consent::as_select())
        .order((consents::at.desc(), consents::id.desc()))
        .load(conn)
}

/// The current state (latest record per kind) and the full history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ConsentsResponse {
    pub current: Vec<Consent>,
    pub history: Vec<Consent>,
}

fn consents_of(conn: &mut PgConnection, user_id: Uuid) -> AppResult<ConsentsResponse> {
    let history = history(conn, user_id)?;
    let mut current: Vec<Consent> = Vec::new();
    for c in &history {
        if !current.iter().any(|k| k.kind == c.kind) {
            current.push(c.clone());
        }
    }
    Ok(ConsentsResponse { current, history })
}

#[utoipa::path(get, path = "/api/v1/me/consents", tag = "privacy", security(("bearer" = [])),
    responses((status = 200, body = ConsentsResponse), (status = 401, body = Problem)))]
pub async fn get_consents(
    id: Identity,
    state: web::Data<AppState>,
) -> AppResult<web::Json<ConsentsResponse>> {
    Ok(web::Json(
        db::run(&state.pool, move |conn| consents_of(conn, id.user_id)).await?,
    ))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConsentsRequest {
    /// Give (`true`) or withdraw (`false`) consent to marketing email.
    pub marketing_email: bool,
}

/// Gives or withdraws the optional consents.
#[utoipa::path(put, path = "/api/v1/me/consents", tag = "privacy", security(("bearer" = [])),
    request_body = ConsentsRequest,
    responses((status = 200, body = ConsentsResponse), (status = 401, body = Problem), (status = 422, body = Problem)))]
pub async fn put_consents(
    id: Identity,
    state: web::Data<AppState>,
    body: Json<ConsentsRequest>,
) -> AppResult<web::Json<ConsentsResponse>> {
    let granted = body.into_inner().marketing_email;
    let response = db::tx(&state.pool, move |conn| {
        record(
            conn,
            id.user_id,
            "marketing_email",
            MARKETING_VERSION,
            granted,
        )?;
        consents_of(conn, id.user_id)
    })
    .await?;
    Ok(web::Json(response))
}

use crate::state::AppState;
