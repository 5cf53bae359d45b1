//! Uploaded images: `POST /uploads` (JPEG, PNG or WebP, checked from the bytes, metadata
//! stripped, stored in the object store), `GET /uploads/{id}` (metadata and a short-lived
//! signed URL) and the signed URL itself. Features above attach uploads to their records with
//! [`attach`] and [`replace`] inside their own transactions, and offer a read check for their
//! kind of record ([`Access`], filled by the assembly). Owns the `uploads` table.

pub mod access;
pub mod image;
mod models;
mod privacy;
pub mod routes;
pub mod rules;
pub mod sweep;

pub use access::{Access, Check};
pub use privacy::{
    delete_objects as privacy_delete_objects, erase_attached, erase_for, export_for,
    ExportedUpload, DELETE_OBJECTS,
};
pub use routes::signed_url;
pub use rules::{Purpose, Subject, SubjectKind};

use diesel::PgConnection;
use uuid::Uuid;

use crate::error::{AppResult, FieldError};
use crate::http::Endpoint;

/// Mounts `/uploads`, `/uploads/{id}` and `/uploads/{id}/content`.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.service(Endpoint::new("/uploads").post(routes::create_upload))
        .service(Endpoint::new("/uploads/{id}").get(routes::get_upload))
        .service(Endpoint::new("/uploads/{id}/content").get(routes::download));
}

/// Attaches the caller's upload `id` of `purpose` to `subject`, in the caller's transaction.
/// Refused (422 on `field`) when the upload is not the caller's (or does not exist), is of
/// another purpose, or is attached to another record; attaching it again to the same record
/// does nothing.
pub fn attach(
    conn: &mut PgConnection,
    owner: Uuid,
    id: Uuid,
    purpose: Purpose,
    subject: Subject,
    field: &str,
) -> AppResult<()> {
    let upload = models::find_for_update(conn, id)?;
    let refuse = |message: String| Err(FieldError::new(field, message).into());
    let Some(upload) = upload else {
        return refuse("is not one of your uploads".into());
    };
    if upload.subject() == Some(subject) {
        return Ok(());
    }
    if upload.owner_id != owner {
        return refuse("is not one of your uploads".into());
    }
    if upload.purpose != purpose || purpose.subject_kind() != subject.kind {
        return refuse(format!(
            "is a {} upload; send a {} one",
            upload.purpose, purpose
        ));
    }
    if upload.subject().is_some() {
        return refuse("is already attached to another record".into());
    }
    models::set_subject(conn, id, subject)?;
    Ok(())
}

/// Makes `ids` (each with the field that named it) the uploads of `purpose` attached to
/// `subject`: each is attached as [`attach`] does, and those attached before but no longer
/// listed are detached, for the sweep to delete.
pub fn replace(
    conn: &mut PgConnection,
    owner: Uuid,
    purpose: Purpose,
    subject: Subject,
    ids: &[(Uuid, String)],
) -> AppResult<()> {
    for (id, field) in ids {
        attach(conn, owner, *id, purpose, subject, field)?;
    }
    let keep: Vec<Uuid> = ids.iter().map(|(id, _)| *id).collect();
    models::detach_others(conn, subject, purpose, &keep)?;
    Ok(())
}

/// Checks, strips and stores `bytes` as a new upload of `owner`, for synchronous callers (the
/// demo seed), in the caller's transaction; returns its id.
pub fn create_blocking(
    conn: &mut PgConnection,
    store: &crate::storage::Store,
    owner: Uuid,
    purpose: Purpose,
    bytes: &[u8],
) -> AppResult<Uuid> {
    let (kind, cleaned) = image::clean(bytes)
        .map_err(|e| crate::error::AppError::internal(format!("not an image: {e:?}")))?;
    let upload = routes::new_upload(owner, purpose, kind, &cleaned)?;
    models::insert(conn, &upload)?;
    store.put_blocking(&upload.storage_key, cleaned)?;
    Ok(upload.id)
}

/// Reads `refs` as upload ids, at most `max` and each once: 422 on `field` (or `field[i]`).
pub fn parse_ids(field: &str, refs: &[String], max: usize) -> Result<Vec<Uuid>, FieldError> {
    if refs.len() > max {
        return Err(FieldError::new(field, format!("at most {max} uploads")));
    }
    let mut ids = Vec::with_capacity(refs.len());
    for (i, raw) in refs.iter().enumerate() {
        let id = Uuid::parse_str(raw)
            .map_err(|_| FieldError::new(format!("{field}[{i}]"), "must be the id of an upload"))?;
        if ids.contains(&id) {
            return Err(FieldError::new(format!("{field}[{i}]"), "is listed twice"));
        }
        ids.push(id);
    }
    Ok(ids)
}
