//! `GET /merchants/{id}`: a merchant's profile with its active services. Here, above
//! `merchants`, because the page joins the merchant with the catalog.

use actix_web::web;
use uuid::Uuid;

use crate::auth::{Identity, PlatformRole};
use crate::db;
use crate::error::{AppError, AppResult, Problem};
use crate::merchants::{self, access, MerchantResponse, MerchantStatus};
use crate::state::AppState;

use super::models;
use super::ServiceResponse;

/// A merchant's profile with its active services. Consumers see approved merchants only;
/// members and operators see any state, with the application.
#[utoipa::path(get, path = "/api/v1/merchants/{id}", security((), ("bearer" = [])), tag = "merchants",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MerchantResponse), (status = 404, body = Problem)))]
pub async fn get_merchant(
    id: Option<Identity>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<MerchantResponse>> {
    let merchant_id = path.into_inner();
    let merchant = db::run(&state.pool, move |conn| {
        let merchant = merchants::find(conn, merchant_id)?;
        let role = match id {
            Some(id) => access::role_of(conn, merchant_id, id.user_id)?,
            None => None,
        };
        let operator = id.is_some_and(|i| i.role == PlatformRole::Operator);
        let approved = merchant.status == MerchantStatus::Approved.as_str();
        if !approved && role.is_none() && !operator {
            return Err(AppError::NotFound);
        }
        let categories = merchants::categories(conn, merchant_id)?;
        let services = models::list_for_merchant(conn, merchant_id, true, None, 100)?;
        let mut view = if role.is_some() || operator {
            MerchantResponse::full(merchant, categories, role)
        } else {
            MerchantResponse::public(merchant, categories)
        };
        view.services = Some(
            services
                .into_iter()
                .map(|s| serde_json::to_value(ServiceResponse::from(s)))
                .collect::<Result<_, _>>()
                .map_err(AppError::internal)?,
        );
        Ok(view)
    })
    .await?;
    Ok(web::Json(merchant))
}
