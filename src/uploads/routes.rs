//! `POST /uploads` (the image's bytes as the body), `GET /uploads/{id}` (metadata and a signed
//! URL for whoever may read it) and `GET /uploads/{id}/content` (the signed URL: the bytes).

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Identity;
use crate::config::Config;
use crate::db;
use crate::error::{codes, AppError, AppResult, Problem};
use crate::http::{self, rate_limit, Query};
use crate::state::AppState;

use super::access::Access;
use super::image::{self, ImageError, ImageType};
use super::models::{self, Upload};
use super::rules::{self, Purpose, SubjectKind, UrlError};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UploadQuery {
    /// What the file is for; it can be attached only where that purpose is taken.
    pub purpose: Purpose,
}

/// The raw bytes of a JPEG, PNG or WebP image.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct ImageBytes(pub Vec<u8>);

/// An upload, with a URL that serves it for a few minutes.
#[derive(Debug, Serialize, ToSchema)]
pub struct UploadResponse {
    pub id: Uuid,
    pub purpose: Purpose,
    /// `image/jpeg`, `image/png` or `image/webp`, read from the bytes.
    pub content_type: String,
    /// The size stored, after the metadata was stripped.
    pub byte_size: i32,
    /// SHA-256 of the stored bytes, hex.
    pub sha256: String,
    pub created_at: DateTime<Utc>,
    /// What it is attached to (`null` until a feature attaches it).
    pub subject_kind: Option<SubjectKind>,
    pub subject_id: Option<Uuid>,
    pub attached_at: Option<DateTime<Utc>>,
    /// A signed URL serving the bytes until `url_expires_at`; needs no token.
    pub url: String,
    pub url_expires_at: DateTime<Utc>,
}

impl UploadResponse {
    fn new(config: &Config, u: Upload, now: DateTime<Utc>) -> Self {
        let (url, url_expires_at) = signed_url(config, u.id, now);
        Self {
            url,
            url_expires_at,
            id: u.id,
            purpose: u.purpose,
            content_type: u.content_type,
            byte_size: u.byte_size,
            sha256: u.sha256,
            created_at: u.created_at,
            subject_kind: u.subject_kind,
            subject_id: u.subject_id,
            attached_at: u.attached_at,
        }
    }
}

/// A URL serving upload `id` for `UPLOAD_URL_TTL_SECS` from `now`, signed, and its expiry.
pub fn signed_url(config: &Config, id: Uuid, now: DateTime<Utc>) -> (String, DateTime<Utc>) {
    let ttl = chrono::Duration::from_std(config.upload_url_ttl).unwrap_or_default();
    let expires = (now + ttl).timestamp();
    let signature = rules::sign(config.upload_url_secret.expose().as_bytes(), id, expires);
    (
        format!(
            "{}/api/v1/uploads/{id}/content?expires={expires}&signature={signature}",
            config.public_url.trim_end_matches('/'),
        ),
        DateTime::from_timestamp(expires, 0).unwrap_or(now),
    )
}

fn too_large(limit: usize) -> AppError {
    AppError::PayloadTooLarge(
        codes::UPLOAD_TOO_LARGE,
        format!("An upload is at most {limit} bytes (UPLOAD_MAX_BYTES)."),
    )
}

fn not_an_image(err: ImageError) -> AppError {
    let detail = match err {
        ImageError::Unsupported => {
            "Uploads are JPEG, PNG or WebP images; these bytes are none of them.".to_owned()
        }
        ImageError::Malformed(kind, why) => {
            format!(
                "The bytes start as {} but are not one: {why}.",
                kind.content_type()
            )
        }
    };
    AppError::UnsupportedMediaType(codes::UNSUPPORTED_IMAGE_TYPE, detail)
}

/// The row of a new, unattached upload of `cleaned`.
pub(super) fn new_upload(
    owner: Uuid,
    purpose: Purpose,
    kind: ImageType,
    cleaned: &[u8],
) -> AppResult<Upload> {
    let id = Uuid::now_v7();
    Ok(Upload {
        id,
        owner_id: owner,
        purpose,
        content_type: kind.content_type().to_owned(),
        byte_size: i32::try_from(cleaned.len()).map_err(AppError::internal)?,
        sha256: hex::encode(Sha256::digest(cleaned)),
        storage_key: format!("uploads/{id}"),
        created_at: Utc::now(),
        subject_kind: None,
        subject_id: None,
        attached_at: None,
    })
}

/// Uploads an image: the raw bytes of a JPEG, PNG or WebP file as the body (the type is read
/// from the bytes; `Content-Type` is ignored), at most `UPLOAD_MAX_BYTES`. Exif (GPS), XMP,
/// comments and text chunks are stripped before the file is stored. Attach it within a day
/// (e.g. as a merchant document, a handoff photo or a review photo), or it is deleted.
#[utoipa::path(post, path = "/api/v1/uploads", tag = "uploads", security(("bearer" = [])),
    params(UploadQuery),
    request_body(content((ImageBytes = "image/*")),
        description = "The image's bytes: JPEG, PNG or WebP, read from the bytes (the Content-Type sent is not relied on)"),
    responses((status = 201, body = UploadResponse), (status = 401, body = Problem),
        (status = 413, body = Problem, description = "upload_too_large"),
        (status = 415, body = Problem, description = "unsupported_image_type: not a JPEG, PNG or WebP image"),
        (status = 422, body = Problem, description = "validation_failed: `purpose` missing or unknown, or an empty body"),
        (status = 429, body = Problem, description = "rate_limited: more than 100 uploads an hour")))]
pub async fn create_upload(
    id: Identity,
    query: Query<UploadQuery>,
    req: HttpRequest,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> AppResult<(web::Json<UploadResponse>, StatusCode)> {
    let purpose = query.into_inner().purpose;
    let limit = state.config.upload_max_bytes;
    let bytes = http::read_limited(http::declared_length(&req), payload, limit, || {
        too_large(limit)
    })
    .await?;
    if bytes.is_empty() {
        return Err(AppError::invalid(
            "body",
            "send the image's bytes as the body",
        ));
    }
    // Cleaning and hashing up to UPLOAD_MAX_BYTES is CPU work: off the actix worker.
    let owner = id.user_id;
    let (upload, cleaned) = web::block(move || {
        let (kind, cleaned) = image::clean(&bytes).map_err(not_an_image)?;
        Ok::<_, AppError>((new_upload(owner, purpose, kind, &cleaned)?, cleaned))
    })
    .await??;
    let upload_id = upload.id;
    // The row first: if storing fails it is removed, and if the process dies in between, the
    // sweep removes it (deleting an object that is not there is fine).
    let row = upload.clone();
    db::run(&state.pool, move |conn| {
        rate_limit::hit(
            conn,
            "uploads:owner",
            &owner.to_string(),
            rules::UPLOAD_LIMIT,
        )?;
        Ok(models::insert(conn, &row)?)
    })
    .await?;
    if let Err(err) = state.store.put(&upload.storage_key, cleaned).await {
        db::run(&state.pool, move |conn| {
            Ok(models::delete(conn, upload_id)?)
        })
        .await?;
        return Err(err);
    }
    let response = UploadResponse::new(&state.config, upload, Utc::now());
    Ok((web::Json(response), StatusCode::CREATED))
}

/// An upload's metadata and a signed URL valid for a few minutes (`UPLOAD_URL_TTL_SECS`). Its
/// owner and operators may always read it; others as the record it is attached to allows
/// (a merchant's documents: its members; a handoff photo: the order's consumer, the merchant's
/// members and the courier; a review photo: whoever may see the review). 404 otherwise.
#[utoipa::path(get, path = "/api/v1/uploads/{id}", tag = "uploads",
    security((), ("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = UploadResponse), (status = 404, body = Problem)))]
pub async fn get_upload(
    id: Option<Identity>,
    path: web::Path<Uuid>,
    state: web::Data<AppState>,
    access: web::Data<Access>,
) -> AppResult<web::Json<UploadResponse>> {
    let upload_id = path.into_inner();
    let upload = db::run(&state.pool, move |conn| {
        let upload = models::find(conn, upload_id)?;
        if !access.may_read(conn, id.as_ref(), &upload)? {
            return Err(AppError::NotFound);
        }
        Ok(upload)
    })
    .await?;
    Ok(web::Json(UploadResponse::new(
        &state.config,
        upload,
        Utc::now(),
    )))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SignedQuery {
    /// Unix seconds after which the URL no longer works.
    pub expires: i64,
    pub signature: String,
}

/// The signed URL of an upload: its bytes, with its content type, `Cache-Control: private`
/// and `X-Content-Type-Options: nosniff`. An expired URL is 403 `url_expired`, an altered one
/// 403 `signature_invalid`; an upload deleted since is 404.
#[utoipa::path(get, path = "/api/v1/uploads/{id}/content", tag = "uploads", security(()),
    params(("id" = Uuid, Path), SignedQuery),
    responses((status = 200, description = "The image, as image/jpeg, image/png or image/webp",
            content((ImageBytes = "image/*"))),
        (status = 403, body = Problem, description = "url_expired, signature_invalid"),
        (status = 404, body = Problem)))]
pub async fn download(
    path: web::Path<Uuid>,
    query: Query<SignedQuery>,
    state: web::Data<AppState>,
) -> AppResult<HttpResponse> {
    let upload_id = path.into_inner();
    let SignedQuery { expires, signature } = query.into_inner();
    let secret = state.config.upload_url_secret.expose().as_bytes();
    let now = Utc::now();
    rules::verify(secret, upload_id, expires, &signature, now).map_err(|e| match e {
        UrlError::Expired => AppError::Forbidden(
            codes::URL_EXPIRED,
            "This link has expired; ask for the upload again for a new one.".into(),
        ),
        UrlError::BadSignature => AppError::Forbidden(
            codes::SIGNATURE_INVALID,
            "This link's signature does not match.".into(),
        ),
    })?;
    let upload = db::run(&state.pool, move |conn| Ok(models::find(conn, upload_id)?)).await?;
    let bytes = state
        .store
        .get(&upload.storage_key)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .content_type(upload.content_type)
        .insert_header((
            header::CACHE_CONTROL,
            format!("private, max-age={}", (expires - now.timestamp()).max(0)),
        ))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; sandbox",
        ))
        .insert_header((header::CONTENT_DISPOSITION, "inline"))
        .body(bytes))
}
