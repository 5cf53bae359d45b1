//! A person's after-sales requests, for their export and their erasure (composed in
//! `app::personal_data`).

use diesel::PgConnection;
use uuid::Uuid;

use crate::error::AppResult;
use crate::uploads;

use super::models;
use super::views::AfterSalesResponse;

/// What erased text reads as.
const ERASED: &str = "已删除";

/// The requests the person made, oldest first.
pub fn export_for(conn: &mut PgConnection, user: Uuid) -> AppResult<Vec<AfterSalesResponse>> {
    Ok(models::of_consumer(conn, user)?
        .into_iter()
        .map(AfterSalesResponse::from)
        .collect())
}

/// Erases the reasons and evidence photos of the person's requests (the photos' uploads are
/// deleted with their files); the requests stay, pseudonymous, with their amounts and
/// decisions, for the merchant's and the platform's records.
pub fn erase_for(conn: &mut PgConnection, user: Uuid) -> AppResult<()> {
    let ids: Vec<Uuid> = models::of_consumer(conn, user)?
        .into_iter()
        .map(|r| r.id)
        .collect();
    uploads::erase_attached(conn, uploads::SubjectKind::AfterSalesRequest, &ids)?;
    models::erase_reasons(conn, user, ERASED)?;
    Ok(())
}
