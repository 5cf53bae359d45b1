//! Moderation: the operators' queue, decisions on reviews and appeals, and the audit log. Owns the
//! `audit_log`, `moderation_decisions` and `appeals` tables.

pub mod decisions;
pub mod queue;
pub mod routes;

use crate::http::Endpoint;

/// Mounts the audit log, the moderation queue and the decision routes.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/admin/audit-log").get(routes::list_audit_log))
        .service(Endpoint::new("/admin/moderation/queue").get(queue::queue))
        .service(Endpoint::new("/admin/reviews/{id}/decision").post(decisions::decide))
        .service(Endpoint::new("/admin/appeals/{id}/decision").post(decisions::decide_appeal))
        .service(Endpoint::new("/reviews/{id}/appeal").post(decisions::appeal));
}
