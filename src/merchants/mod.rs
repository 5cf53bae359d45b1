//! Merchants: applications, operator verification, members and workers, and the licence-expiry
//! job. Owns the `merchants`, `merchant_categories`, `merchant_members` and `workers` tables.

pub mod access;
pub mod admin;
pub mod application;
mod emails;
pub mod expiry;
pub mod fields;
pub mod models;
mod privacy;
pub mod routes;
pub mod rules;
pub mod settings;
pub mod team;
pub mod views;

pub use access::{may_see_documents, MemberRole};
pub use models::{
    all_categories, categories, categories_of, find, find_worker, is_courier, is_insider,
    lock_calendars, qualified_workers, refresh_rating, set_credit, worker_ids_of_user,
    worker_names, Category, Merchant, Worker,
};
pub use models::{members, MemberRow};
pub use privacy::{check_erasable, erase_for, export_for};
pub use rules::MerchantStatus;
pub use views::MerchantResponse;

use diesel::PgConnection;
use uuid::Uuid;

use crate::accounts;
use crate::audit::{self, ActorRole, Entry};
use crate::error::{codes, AppError, AppResult, FieldError};
use crate::http::Endpoint;
use crate::jobs::outbox;
use crate::uploads;

use rules::{Actor, MerchantAction};

/// Mounts the merchant routes (`/merchants` and `/merchants/{id}`, shared with the catalog, are
/// mounted by `app`; the catalog's merchant routes by `catalog`).
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/me/merchants").get(routes::my_merchants))
        .service(Endpoint::new("/merchants/{id}/submit").post(routes::submit_merchant))
        .service(
            Endpoint::new("/merchants/{id}/members")
                .get(team::list_members)
                .post(team::add_member),
        )
        .service(Endpoint::new("/merchants/{id}/members/{user_id}").delete(team::remove_member))
        .service(
            Endpoint::new("/merchants/{id}/workers")
                .get(team::list_workers)
                .post(team::add_worker),
        )
        .service(Endpoint::new("/merchants/{id}/workers/{worker_id}").patch(team::update_worker))
        .service(Endpoint::new("/admin/merchants").get(admin::list_merchants))
        .service(Endpoint::new("/admin/merchants/{id}/approve").post(admin::approve))
        .service(Endpoint::new("/admin/merchants/{id}/reject").post(admin::reject))
        .service(Endpoint::new("/admin/merchants/{id}/suspend").post(admin::suspend))
        .service(Endpoint::new("/admin/merchants/{id}/reinstate").post(admin::reinstate));
}

/// Emails every member of the merchant, greeted by name (new work to answer: a booking, an
/// order), one outbox row each, in the caller's transaction.
pub fn tell_members(
    conn: &mut PgConnection,
    merchant_id: Uuid,
    subject: &str,
    body: &str,
) -> AppResult<()> {
    for member in models::members(conn, merchant_id)? {
        outbox::enqueue(
            conn,
            &outbox::Email {
                recipient: member.email,
                account: Some(member.user_id),
                subject: subject.to_owned(),
                body_text: format!("{}，您好！\n\n{body}", member.display_name),
            },
        )?;
    }
    Ok(())
}

/// Creates a draft merchant from a checked application, with `owner_id` as its owner.
pub fn create(
    conn: &mut PgConnection,
    owner_id: Uuid,
    application: &application::Application,
) -> AppResult<Uuid> {
    let merchant_id = Uuid::now_v7();
    models::insert(conn, merchant_id, owner_id, &application.fields)?;
    models::set_categories(conn, merchant_id, &application.categories)?;
    models::upsert_member(conn, merchant_id, owner_id, MemberRole::Owner.as_str())?;
    attach_documents(conn, owner_id, merchant_id, &application.documents)?;
    Ok(merchant_id)
}

/// Makes the application's documents the uploads attached to the merchant: each must be an
/// upload of `user` of purpose `licence_document` (or already the merchant's); those no longer
/// listed are detached (422 on `documents[i].ref` otherwise).
pub fn attach_documents(
    conn: &mut PgConnection,
    user: Uuid,
    merchant_id: Uuid,
    documents: &[fields::DocumentRef],
) -> AppResult<()> {
    let ids: Vec<(Uuid, String)> = documents
        .iter()
        .enumerate()
        .map(|(i, d)| (d.reference, format!("documents[{i}].ref")))
        .collect();
    let subject = uploads::Subject {
        kind: uploads::SubjectKind::Merchant,
        id: merchant_id,
    };
    uploads::replace(conn, user, uploads::Purpose::LicenceDocument, subject, &ids)
}

/// Moves a (locked) merchant through its lifecycle: checks the rule, swaps the status, writes
/// the audit log and, for decisions, emails the owner, all in the caller's transaction.
pub fn change_status(
    conn: &mut PgConnection,
    current: &Merchant,
    action: MerchantAction,
    actor: Actor,
    reason: Option<&str>,
    actor_id: Option<Uuid>,
) -> AppResult<Merchant> {
    let from = MerchantStatus::parse(&current.status)
        .ok_or_else(|| AppError::internal("unknown merchant status"))?;
    if matches!(action, MerchantAction::Submit | MerchantAction::Approve) {
        check_complete(conn, current)?;
    }
    let to =
        rules::transition(from, action, actor).map_err(|e| routes::refused(e, action, from))?;
    let updated = models::set_status(conn, current.id, from.as_str(), to.as_str(), reason)?
        .ok_or_else(|| routes::refused(rules::RuleError::InvalidTransition, action, from))?;
    let state =
        |m: &Merchant| serde_json::json!({"status": m.status, "status_reason": m.status_reason});
    audit::record(
        conn,
        Entry {
            actor_id,
            actor_role: match actor {
                Actor::Member => ActorRole::Member,
                Actor::Operator => ActorRole::Operator,
                Actor::System => ActorRole::System,
            },
            action: &format!("merchant.{}", action.as_str()),
            subject_type: "merchant",
            subject_id: current.id,
            before: Some(state(current)),
            after: Some(state(&updated)),
            reason,
        },
    )?;
    // Decisions and the expiry job go with licence changes, which the credit score reads.
    crate::jobs::merchant_changed(conn, current.id)?;
    if actor != Actor::Member {
        let owner = accounts::find(conn, updated.owner_id)?;
        outbox::enqueue(conn, &emails::status_changed(&owner, &updated, to))?;
    }
    Ok(updated)
}

/// What an application needs before it is submitted or approved: its business licence (and the
/// food permit for catering) among its documents, and a credit code no other legal entity holds.
/// Two applications of different legal names submitting one code at once queue on an advisory
/// lock of the code, so only the first gets through.
fn check_complete(conn: &mut PgConnection, m: &Merchant) -> AppResult<()> {
    let docs: Vec<fields::DocumentRef> =
        serde_json::from_value(m.documents.clone()).unwrap_or_default();
    let has = |kind: &str| docs.iter().any(|d| d.kind == kind);
    let needs_permit = {
        let mine = models::categories(conn, m.id)?;
        models::all_categories(conn)?
            .iter()
            .any(|c| c.requires_food_permit && mine.contains(&c.code))
    };
    let mut missing = Vec::new();
    if !has("business_licence") {
        missing.push(FieldError::new(
            "documents",
            "needs a business_licence document (营业执照) before the application is reviewed",
        ));
    }
    if needs_permit && !has("food_permit") {
        missing.push(FieldError::new(
            "documents",
            "needs a food_permit document (食品经营许可证) for catering",
        ));
    }
    if !missing.is_empty() {
        return Err(missing.into());
    }
    if models::credit_code_held_elsewhere(conn, m)? {
        return Err(AppError::Conflict(
            codes::CREDIT_CODE_TAKEN,
            "Another legal entity already holds this unified social credit code.".into(),
        ));
    }
    Ok(())
}
