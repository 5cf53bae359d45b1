//! Review, revision, reply, report and vote rows and their queries. The caller owns the
//! transaction.

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use uuid::Uuid;

use crate::http::pagination::TimeCursor;
use crate::schema::{
    review_helpful_votes, review_replies, review_reports, review_revisions, reviews, users,
};
use crate::{accounts, merchants};

use super::rules::{self, Signals};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = reviews, check_for_backend(diesel::pg::Pg))]
pub struct Review {
    pub id: Uuid,
    pub author_id: Uuid,
    pub merchant_id: Uuid,
    pub booking_id: Option<Uuid>,
    pub order_id: Option<Uuid>,
    pub rating: i16,
    pub quality: Option<i16>,
    pub punctuality: Option<i16>,
    pub hygiene: Option<i16>,
    pub body: String,
    pub photo_refs: serde_json::Value,
    pub mask_author: bool,
    pub status: String,
    pub held_rule: Option<String>,
    pub hidden_reason: Option<String>,
    pub edited: bool,
    pub helpful_count: i32,
    pub version: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub fn insert(conn: &mut PgConnection, r: &Review) -> QueryResult<Review> {
    diesel::insert_into(reviews::table)
        .values(r)
        .returning(Review::as_returning())
        .get_result(conn)
}

pub fn find(conn: &mut PgConnection, id: Uuid) -> QueryResult<Review> {
    reviews::table
        .find(id)
        .select(Review::as_select())
        .first(conn)
}

pub fn find_for_update(conn: &mut PgConnection, id: Uuid) -> QueryResult<Review> {
    reviews::table
        .find(id)
        .select(Review::as_select())
        .for_update()
        .first(conn)
}

/// What the anti-fake rules look at.
pub fn signals(conn: &mut PgConnection, author: Uuid, merchant: Uuid) -> QueryResult<Signals> {
    let day_ago = Utc::now() - Duration::days(1);
    let new_since = Utc::now() - Duration::days(rules::NEW_ACCOUNT_DAYS);
    let insider = merchants::is_insider(conn, merchant, author)?;
    let author_created = accounts::find(conn, author)?.created_at;
    let recent_new_account_reviews = reviews::table
        .inner_join(users::table)
        .filter(reviews::merchant_id.eq(merchant))
        .filter(reviews::created_at.gt(day_ago))
        .filter(users::created_at.gt(new_since))
        .count()
        .get_result(conn)?;
    let author_reviews_today = reviews::table
        .filter(reviews::author_id.eq(author))
        .filter(reviews::created_at.gt(day_ago))
        .count()
        .get_result(conn)?;
    let recent_texts = reviews::table
        .filter(reviews::created_at.gt(Utc::now() - Duration::days(30)))
        .filter(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "char_length(body) >= 12",
        ))
        .select(reviews::body)
        .order(reviews::created_at.desc())
        .limit(500)
        .load(conn)?;
    Ok(Signals {
        author_is_insider: insider,
        author_is_new: author_created > new_since,
        recent_new_account_reviews,
        author_reviews_today,
        recent_texts,
    })
}

/// Moves a review to `status`, compare-and-swap on the version the caller saw.
pub fn set_status(
    conn: &mut PgConnection,
    id: Uuid,
    version: i32,
    status: &str,
    hidden_reason: Option<&str>,
) -> QueryResult<Option<Review>> {
    diesel::update(
        reviews::table
            .filter(reviews::id.eq(id))
            .filter(reviews::version.eq(version)),
    )
    .set((
        reviews::status.eq(status),
        reviews::hidden_reason.eq(hidden_reason),
        reviews::version.eq(version + 1),
        reviews::updated_at.eq(Utc::now()),
    ))
    .returning(Review::as_returning())
    .get_result(conn)
    .optional()
}

/// Keeps the earlier text, then applies the author's one edit.
pub fn edit(
    conn: &mut PgConnection,
    current: &Review,
    rating: i16,
    body: &str,
) -> QueryResult<Review> {
    diesel::insert_into(review_revisions::table)
        .values((
            review_revisions::id.eq(Uuid::now_v7()),
            review_revisions::review_id.eq(current.id),
            review_revisions::rating.eq(current.rating),
            review_revisions::body.eq(&current.body),
        ))
        .execute(conn)?;
    diesel::update(reviews::table.find(current.id))
        .set((
            reviews::rating.eq(rating),
            reviews::body.eq(body),
            reviews::edited.eq(true),
            reviews::version.eq(current.version + 1),
            reviews::updated_at.eq(Utc::now()),
        ))
        .returning(Review::as_returning())
        .get_result(conn)
}

pub fn upsert_reply(
    conn: &mut PgConnection,
    review_id: Uuid,
    author: Uuid,
    body: &str,
) -> QueryResult<usize> {
    diesel::insert_into(review_replies::table)
        .values((
            review_replies::review_id.eq(review_id),
            review_replies::author_id.eq(author),
            review_replies::body.eq(body),
        ))
        .on_conflict(review_replies::review_id)
        .do_update()
        .set((
            review_replies::body.eq(body),
            review_replies::author_id.eq(author),
            review_replies::updated_at.eq(Utc::now()),
        ))
        .execute(conn)
}

/// Replies of the given reviews: (review, body, updated).
pub fn replies(
    conn: &mut PgConnection,
    ids: &[Uuid],
) -> QueryResult<Vec<(Uuid, String, DateTime<Utc>)>> {
    review_replies::table
        .filter(review_replies::review_id.eq_any(ids))
        .select((
            review_replies::review_id,
            review_replies::body,
            review_replies::updated_at,
        ))
        .load(conn)
}

/// Files a report; `false` if this user already reported the review.
pub fn report(
    conn: &mut PgConnection,
    review_id: Uuid,
    reporter: Uuid,
    reason: &str,
    note: Option<&str>,
) -> QueryResult<bool> {
    let n = diesel::insert_into(review_reports::table)
        .values((
            review_reports::id.eq(Uuid::now_v7()),
            review_reports::review_id.eq(review_id),
            review_reports::reporter_id.eq(reporter),
            review_reports::reason.eq(reason),
            review_reports::note.eq(note),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    Ok(n == 1)
}

/// An open report.
#[derive(Debug, Queryable)]
pub struct OpenReport {
    pub reason: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

pub fn open_reports(conn: &mut PgConnection, review_id: Uuid) -> QueryResult<Vec<OpenReport>> {
    review_reports::table
        .filter(review_reports::review_id.eq(review_id))
        .filter(review_reports::status.eq("open"))
        .select((
            review_reports::reason,
            review_reports::note,
            review_reports::created_at,
        ))
        .order(review_reports::created_at)
        .load(conn)
}

/// Closes the open reports of a review as `upheld` or `dismissed`.
pub fn close_reports(
    conn: &mut PgConnection,
    review_id: Uuid,
    outcome: &str,
    decision_id: Uuid,
) -> QueryResult<usize> {
    diesel::update(
        review_reports::table
            .filter(review_reports::review_id.eq(review_id))
            .filter(review_reports::status.eq("open")),
    )
    .set((
        review_reports::status.eq(outcome),
        review_reports::decision_id.eq(decision_id),
    ))
    .execute(conn)
}

/// Undoes what decision `decision_id` did to the reports it closed (its appeal overturned it):
/// upheld becomes dismissed, dismissed becomes upheld.
pub fn reverse_reports(conn: &mut PgConnection, decision_id: Uuid) -> QueryResult<usize> {
    diesel::sql_query(
        "UPDATE review_reports SET status = CASE status WHEN 'upheld' THEN 'dismissed' \
         WHEN 'dismissed' THEN 'upheld' ELSE status END WHERE decision_id = $1",
    )
    .bind::<diesel::sql_types::Uuid, _>(decision_id)
    .execute(conn)
}

/// Records a helpful vote once per user; returns whether it was new.
pub fn vote_helpful(conn: &mut PgConnection, review_id: Uuid, user: Uuid) -> QueryResult<bool> {
    let n = diesel::insert_into(review_helpful_votes::table)
        .values((
            review_helpful_votes::review_id.eq(review_id),
            review_helpful_votes::user_id.eq(user),
        ))
        .on_conflict_do_nothing()
        .execute(conn)?;
    if n == 1 {
        diesel::update(reviews::table.find(review_id))
            .set(reviews::helpful_count.eq(reviews::helpful_count + 1))
            .execute(conn)?;
    }
    Ok(n == 1)
}

/// A merchant's visible reviews (published and hidden) with their authors' names.
pub fn list(
    conn: &mut PgConnection,
    merchant: Uuid,
    helpful_first: bool,
    after: Option<(i32, TimeCursor)>,
    limit: i64,
) -> QueryResult<Vec<(Review, String)>> {
    let mut q = reviews::table
        .inner_join(users::table)
        .filter(reviews::merchant_id.eq(merchant))
        .filter(reviews::status.eq_any(["published", "hidden"]))
        .select((Review::as_select(), users::display_name))
        .limit(limit)
        .into_boxed();
    if helpful_first {
        if let Some((h, (at, id))) = after {
            q = q.filter(
                reviews::helpful_count
                    .lt(h)
                    .or(reviews::helpful_count.eq(h).and(
                        reviews::created_at
                            .lt(at)
                            .or(reviews::created_at.eq(at).and(reviews::id.lt(id))),
                    )),
            );
        }
        q.order((
            reviews::helpful_count.desc(),
            reviews::created_at.desc(),
            reviews::id.desc(),
        ))
        .load(conn)
    } else {
        if let Some((_, (at, id))) = after {
            q = q.filter(
                reviews::created_at
                    .lt(at)
                    .or(reviews::created_at.eq(at).and(reviews::id.lt(id))),
            );
        }
        q.order((reviews::created_at.desc(), reviews::id.desc()))
            .load(conn)
    }
}

/// Count of published reviews per star (index 0 = one star).
pub fn distribution(conn: &mut PgConnection, merchant: Uuid) -> QueryResult<[i64; 5]> {
    let rows: Vec<(i16, i64)> = reviews::table
        .filter(reviews::merchant_id.eq(merchant))
        .filter(reviews::status.eq("published"))
        .group_by(reviews::rating)
        .select((reviews::rating, diesel::dsl::count_star()))
        .load(conn)?;
    let mut out = [0; 5];
    for (rating, n) in rows {
        if let Some(slot) = usize::try_from(rating - 1)
            .ok()
            .and_then(|i| out.get_mut(i))
        {
            *slot = n;
        }
    }
    Ok(out)
}
