//! Writing, listing, replying to, reporting and appealing reviews.

use actix_web::{http::StatusCode, web, HttpRequest};
use chrono::Utc;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::{OptionalExtension, PgConnection};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Identity;
use crate::db;
use crate::error::{codes, AppError, AppResult, FieldError, Problem};
use crate::fields::text;
use crate::fields::Fields;
use crate::http::idempotency::{self, IdempotencyKey, Stored};
use crate::http::Json;
use crate::merchants::{self};
use crate::state::AppState;
use crate::uploads;

use super::models::{self, Review};
use super::rules;
use super::views::ReviewResponse;
use crate::fields::Text;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateReviewRequest {
    /// A completed booking of yours, or
    pub booking_id: Option<Uuid>,
    /// an order delivered to you.
    pub order_id: Option<Uuid>,
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub rating: i16,
    #[schema(minimum = 1, maximum = 5)]
    pub quality: Option<i16>,
    #[schema(minimum = 1, maximum = 5)]
    pub punctuality: Option<i16>,
    #[schema(minimum = 1, maximum = 5)]
    pub hygiene: Option<i16>,
    /// Up to 1000 characters.
    #[serde(default)]
    #[schema(schema_with = Text::<0, 1000>::schema)]
    pub body: String,
    /// Up to 9 ids of the caller's `review_photo` uploads.
    #[serde(default)]
    #[schema(max_items = 9)]
    pub photo_refs: Vec<String>,
    /// Show your name unmasked (default: masked, `王**`).
    #[serde(default)]
    pub show_full_name: bool,
}

fn stars(f: &mut Fields, field: &str, v: Option<i16>) {
    if v.is_some_and(|v| !(1..=5).contains(&v)) {
        f.check::<()>(Err(FieldError::new(field, "must be 1 to 5")));
    }
}

pub(super) fn author_name(conn: &mut PgConnection, id: Uuid) -> AppResult<String> {
    Ok(crate::accounts::find(conn, id)?.display_name)
}

fn create(conn: &mut PgConnection, author: Uuid, req: CreateReviewRequest) -> AppResult<Review> {
    let mut f = Fields::default();
    stars(&mut f, "rating", Some(req.rating));
    stars(&mut f, "quality", req.quality);
    stars(&mut f, "punctuality", req.punctuality);
    stars(&mut f, "hygiene", req.hygiene);
    let body = f
        .check(text("body", &req.body, 0, 1000))
        .unwrap_or_default();
    let photos = f
        .check(crate::uploads::parse_ids("photo_refs", &req.photo_refs, 9))
        .unwrap_or_default();
    f.finish()?;
    let (purchase, field) = match (req.booking_id, req.order_id) {
        (Some(b), None) => (crate::booking::completed(conn, author, b)?, "booking_id"),
        (None, Some(o)) => (crate::orders::delivered(conn, author, o)?, "order_id"),
        _ => {
            return Err(AppError::invalid(
                "booking_id",
                "give either booking_id or order_id",
            ))
        }
    };
    let (merchant_id, completed) =
        purchase.ok_or_else(|| AppError::invalid(field, "is not a completed purchase of yours"))?;
    let now = Utc::now();
    if !rules::in_window(completed, now) {
        return Err(AppError::Conflict(
            codes::REVIEW_WINDOW_CLOSED,
            format!("Reviews are written within {} days.", rules::WINDOW_DAYS),
        ));
    }
    let held = rules::check(&models::signals(conn, author, merchant_id)?, &body);
    let review = Review {
        id: Uuid::now_v7(),
        author_id: author,
        merchant_id,
        booking_id: req.booking_id,
        order_id: req.order_id,
        rating: req.rating,
        quality: req.quality,
        punctuality: req.punctuality,
        hygiene: req.hygiene,
        body,
        photo_refs: serde_json::json!(photos),
        mask_author: !req.show_full_name,
        status: if held.is_some() { "held" } else { "published" }.to_owned(),
        held_rule: held.map(|r| r.as_str().to_owned()),
        hidden_reason: None,
        edited: false,
        helpful_count: 0,
        version: 1,
        created_at: now,
        updated_at: now,
    };
    let saved = models::insert(conn, &review).map_err(|e| match e {
        DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict(
            codes::ALREADY_REVIEWED,
            "This purchase already has your review.".into(),
        ),
        other => other.into(),
    })?;
    // The merchant's stream hears of every new review, held or not (its status says which).
    crate::live::publish(
        conn,
        crate::live::Audience {
            consumer_id: None,
            merchant_id: Some(saved.merchant_id),
        },
        crate::live::News {
            kind: "review",
            subject_id: saved.id,
            action: "create",
            from: None,
            to: &saved.status,
        },
    )?;
    let subject = uploads::Subject {
        kind: uploads::SubjectKind::Review,
        id: saved.id,
    };
    for (i, photo) in photos.into_iter().enumerate() {
        let field = format!("photo_refs[{i}]");
        uploads::attach(
            conn,
            author,
            photo,
            uploads::Purpose::ReviewPhoto,
            subject,
            &field,
        )?;
    }
    if saved.status == "published" {
        super::refresh_merchant(conn, merchant_id)?;
    }
    Ok(saved)
}

/// The review's author, the merchant's members and operators.
fn insider(conn: &mut PgConnection, id: Option<&Identity>, review: &Review) -> AppResult<bool> {
    Ok(match id {
        Some(i) if i.user_id == review.author_id => true,
        Some(i) if i.role == crate::auth::PlatformRole::Operator => true,
        Some(i) => {
            crate::merchants::access::role_of(conn, review.merchant_id, i.user_id)?.is_some()
        }
        None => false,
    })
}

/// Whether the caller may see the review's photos: anyone while it is published (and its
/// merchant approved), otherwise its author, the merchant's members and operators (a hidden
/// review shows no photos to the public).
pub fn may_see_photos(
    conn: &mut PgConnection,
    viewer: Option<&Identity>,
    review_id: Uuid,
) -> AppResult<bool> {
    let Some(review) = models::find(conn, review_id).optional()? else {
        return Ok(false);
    };
    let public = review.status == "published"
        && merchants::find(conn, review.merchant_id)?.status == "approved";
    Ok(public || insider(conn, viewer, &review)?)
}

/// Reviews a completed booking or a delivered order, once, within 15 days. Requires an
/// `Idempotency-Key`. A review that trips an anti-fake rule is held for moderation.
#[utoipa::path(post, path = "/api/v1/reviews", tag = "reviews", security(("bearer" = [])),
    request_body = CreateReviewRequest,
    params(("Idempotency-Key" = String, Header, pattern = "^[!-~]{1,255}$", description = "Client-chosen key")),
    responses((status = 201, body = ReviewResponse),
        (status = 409, body = Problem, description = "already_reviewed, review_window_closed"),
        (status = 422, body = Problem)))]
pub async fn create_review(
    id: Identity,
    key: IdempotencyKey,
    req: HttpRequest,
    state: web::Data<AppState>,
    body: Json<CreateReviewRequest>,
) -> AppResult<Stored> {
    let digest = idempotency::request_digest(&req, &body.digest());
    let request = body.into_inner();
    db::tx(&state.pool, move |conn| {
        idempotency::once(conn, id.user_id, &key, &digest, |conn| {
            let review = create(conn, id.user_id, request)?;
            let name = author_name(conn, id.user_id)?;
            Ok((
                StatusCode::CREATED,
                ReviewResponse::new(review, &name, None),
            ))
        })
    })
    .await
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditReviewRequest {
    #[schema(minimum = 1, maximum = 5)]
    pub rating: Option<i16>,
    #[schema(schema_with = Text::<0, 1000>::nullable)]
    pub body: Option<String>,
}

/// The author's one edit, within the window; the earlier text is kept.
#[utoipa::path(patch, path = "/api/v1/reviews/{id}", tag = "reviews", security(("bearer" = [])),
    params(("id" = Uuid, Path)), request_body = EditReviewRequest,
    responses((status = 200, body = ReviewResponse), (status = 404, body = Problem),
        (status = 409, body = Problem, description = "already_edited, review_window_closed, invalid_transition"), (status = 422, body = Problem)))]
pub async fn edit_review(
    id: Identity,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
    body: Json<EditReviewRequest>,
) -> AppResult<web::Json<ReviewResponse>> {
    let review_id = path.into_inner();
    let req = body.into_inner();
    let mut f = Fields::default();
    stars(&mut f, "rating", req.rating);
    let new_body = req
        .body
        .as_deref()
        .map(|b| f.check(text("body", b, 0, 1000)));
    f.finish()?;
    let review = db::tx(&state.pool, move |conn| {
        let current = models::find_for_update(conn, review_id)?;
        if current.author_id != id.user_id {
            return Err(AppError::NotFound);
        }
        if current.edited {
            return Err(AppError::Conflict(
                codes::ALREADY_EDITED,
                "A review can be edited once.".into(),
            ));
        }
        // The window runs from the completion of what was reviewed, as for writing it.
        let completed = match (current.booking_id, current.order_id) {
            (Some(b), _) => {
                crate::booking::completed(conn, current.author_id, b)?.map(|(_, at)| at)
            }
            (_, Some(o)) => crate::orders::delivered(conn, current.author_id, o)?.map(|(_, at)| at),
            _ => None,
        };
        if !rules::in_window(completed.unwrap_or(current.created_at), Utc::now()) {
            return Err(AppError::Conflict(
                codes::REVIEW_WINDOW_CLOSED,
                "The editing window has closed.".into(),
            ));
        }
        if !matches!(current.status.as_str(), "published" | "held") {
            return Err(AppError::Conflict(
                codes::INVALID_TRANSITION,
                format!("A {} review cannot be edited.", current.status),
            ));
        }
        let body = new_body.flatten().unwrap_or_else(|| current.body.clone());
        let saved = models::edit(conn, &current, req.rating.unwrap_or(current.rating), &body)?;
        if saved.status == "published" {
            super::refresh_merchant(conn, saved.merchant_id)?;
        }
        Ok(ReviewResponse::new(
            saved,
            &author_name(conn, id.user_id)?,
            None,
        ))
    })
    .await?;
    Ok(web::Json(review))
}

/// A review: published and hidden ones to anyone; a held or removed one only to its author, the
/// merchant's members and operators (so an author can see their review is awaiting moderation).
#[utoipa::path(get, path = "/api/v1/reviews/{id}", tag = "reviews", security((), ("bearer" = [])), params(("id" = Uuid, Path)),
    responses((status = 200, body = ReviewResponse), (status = 404, body = Problem)))]
pub async fn get_review(
    id: Option<Identity>,
    state: web::Data<AppState>,
    path: web::Path<Uuid>,
) -> AppResult<web::Json<ReviewResponse>> {
    let review_id = path.into_inner();
    let review = db::run(&state.pool, move |conn| {
        let review = models::find(conn, review_id)?;
        let public = matches!(review.status.as_str(), "published" | "hidden")
            && merchants::find(conn, review.merchant_id)?.status == "approved";
        if !public && !insider(conn, id.as_ref(), &review)? {
            return Err(AppError::NotFound);
        }
        let name = author_name(conn, review.author_id)?;
        let reply = models::replies(conn, &[review_id])?
            .into_iter()
            .next()
            .map(|(_, body, updated_at)| super::views::ReplyResponse { body, updated_at });
        Ok(ReviewResponse::new(review, &name, reply))
    })
    .await?;
    Ok(web::Json(review))
}
