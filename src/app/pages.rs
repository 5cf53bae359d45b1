//! The public pages that join features: a merchant's page and a service's page from the
//! catalog, with the booking policy a consumer reads before booking (cancellation tiers,
//! confirmation, notice, reschedules). Assembled here because they span the catalog and booking.

use actix_web::web;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::booking::{self, BookingPolicy};
use crate::catalog::{self, ServiceResponse};
use crate::error::{AppResult, Problem};
use crate::http::Reads;
use crate::merchants::MerchantResponse;

/// A merchant's page: its profile, its active services and its booking policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantPage {
    #[serde(flatten)]
    pub merchant: MerchantResponse,
    pub booking_policy: BookingPolicy,
}

/// A service's page: the service and, when it is booked (a home visit or a table), its
/// merchant's booking policy.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServicePage {
    #[serde(flatten)]
    pub service: ServiceResponse,
    pub booking_policy: Option<BookingPolicy>,
}

/// A merchant's profile with its active services and booking policy. Consumers see approved
/// merchants only; members and operators see any state, with the application.
#[utoipa::path(get, path = "/api/v1/merchants/{id}", security((), ("bearer" = [])), tag = "merchants",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = MerchantPage), (status = 404, body = Problem)))]
pub async fn get_merchant(
    id: Option<Identity>,
    reads: Reads,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<MerchantPage>> {
    let merchant_id = path.into_inner();
    let page = reads
        .run(move |conn| {
            Ok(MerchantPage {
                merchant: catalog::merchant_page(conn, id, merchant_id)?,
                booking_policy: booking::policy_of(conn, merchant_id)?,
            })
        })
        .await?;
    Ok(web::Json(page))
}

/// A service, with its merchant's booking policy when it is booked: visible to everyone while
/// active and its merchant approved; always to the merchant's members and to operators.
#[utoipa::path(get, path = "/api/v1/services/{id}", security((), ("bearer" = [])), tag = "catalog",
    params(("id" = Uuid, Path)),
    responses((status = 200, body = ServicePage), (status = 404, body = Problem)))]
pub async fn get_service(
    id: Option<Identity>,
    reads: Reads,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<ServicePage>> {
    let service_id = path.into_inner();
    let page = reads
        .run(move |conn| {
            let service = catalog::service_page(conn, id, service_id)?;
            let booked = service.fulfilment.is_booked();
            Ok(ServicePage {
                booking_policy: booked
                    .then(|| booking::policy_of(conn, service.merchant_id))
                    .transpose()?,
                service,
            })
        })
        .await?;
    Ok(web::Json(page))
}
