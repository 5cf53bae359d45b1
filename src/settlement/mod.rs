//! Settlement: the daily T+1 statements and payouts of each merchant, the payout accounts and
//! operators' holds, the commission rates' routes, and the daily reconciliation of the
//! providers' trade bills with the ledger (`crate::ledger`, which every money event posts to).
//! Owns the `statements`, `statement_lines`, `payouts`, `payout_accounts`, `payout_holds`,
//! `reconciliations` and `reconciliation_differences` tables. `docs/ledger.md` has the
//! timelines.

pub mod models;
pub mod payout;
pub mod reconcile;
pub mod routes;
pub mod run;

pub use run::{settle_day, settle_merchant, Summary};

use crate::http::Endpoint;

/// Mounts the settlement routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/merchants/{id}/balance").get(routes::balance))
        .service(Endpoint::new("/merchants/{id}/statements").get(routes::list_statements))
        .service(Endpoint::new("/merchants/{id}/statements/{day}").get(routes::get_statement))
        .service(Endpoint::new("/merchants/{id}/payout-account").put(routes::put_payout_account))
        .service(Endpoint::new("/admin/commission-rates").get(routes::list_rates))
        .service(Endpoint::new("/admin/commission-rates/{category}").put(routes::put_rate))
        .service(Endpoint::new("/admin/merchants/{id}/payout-hold").post(routes::hold))
        .service(Endpoint::new("/admin/merchants/{id}/payout-hold/release").post(routes::release))
        .service(Endpoint::new("/admin/payouts").get(routes::list_payouts))
        .service(Endpoint::new("/admin/reconciliations").get(routes::list_reconciliations))
        .service(Endpoint::new("/admin/reconciliations/{id}").get(routes::get_reconciliation));
}
