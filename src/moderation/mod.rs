//! Moderation: the operator's audit log (and, with the reviews feature, the moderation queue).
//! Owns the `audit_log` table.

pub mod audit;
pub mod routes;

use crate::http::Endpoint;

/// Mounts `/admin/audit-log`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/admin/audit-log").get(routes::list_audit_log));
}
