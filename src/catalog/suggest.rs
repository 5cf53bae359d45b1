//! `GET /search/suggest`: as-you-type completion from the names of approved merchants and active
//! services (`search_terms`, kept by triggers on `merchants` and `services`). Names that start
//! with the text come first (a btree range on the folded name), then names that contain it (the
//! bigram index), each most used first.

use actix_web::web;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::{AppResult, Problem};
use crate::http::{Query, Reads};

use super::search::query_text;

const DEFAULT_SUGGESTIONS: i64 = 8;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestParams {
    /// What the consumer has typed so far (1 to 50 characters).
    #[param(required = true, min_length = 1, max_length = 50)]
    pub q: Option<String>,
    /// How many suggestions, 1 to 20 (default 8).
    #[param(minimum = 1, maximum = 20)]
    pub limit: Option<i64>,
}

/// One completion.
#[derive(Debug, Serialize, ToSchema, QueryableByName)]
pub struct Suggestion {
    /// The name to complete to.
    #[diesel(sql_type = Text)]
    pub text: String,
    /// `merchant` or `service`: what the name is of.
    #[diesel(sql_type = Text)]
    pub kind: String,
    /// How many approved merchants or active services bear it.
    #[diesel(sql_type = Integer)]
    pub uses: i32,
}

/// The completions.
#[derive(Debug, Serialize, ToSchema)]
pub struct Suggestions {
    pub items: Vec<Suggestion>,
}

/// Names starting with `q`, then names containing it, most used first.
pub fn suggest_terms(conn: &mut PgConnection, q: &str, limit: i64) -> QueryResult<Vec<Suggestion>> {
    let prefix: Vec<Suggestion> = diesel::sql_query(
        "SELECT term AS text, kind, uses FROM search_terms \
         WHERE search_fold(term) LIKE search_fold($1) || '%' ORDER BY uses DESC, term LIMIT $2",
    )
    .bind::<Text, _>(q)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    let missing = limit - i64::try_from(prefix.len()).unwrap_or(limit);
    if missing <= 0 {
        return Ok(prefix);
    }
    let contains: Vec<Suggestion> = diesel::sql_query(
        "SELECT term AS text, kind, uses FROM search_terms \
         WHERE search_grams(term) @> search_grams(search_fold($1)) \
           AND strpos(search_fold(term), search_fold($1)) > 1 \
         ORDER BY uses DESC, term LIMIT $2",
    )
    .bind::<Text, _>(q)
    .bind::<BigInt, _>(missing)
    .load(conn)?;
    Ok(prefix.into_iter().chain(contains).collect())
}

/// Completes what the consumer is typing from merchant and service names.
#[utoipa::path(get, path = "/api/v1/search/suggest", tag = "discovery", operation_id = "suggest_search", security(), params(SuggestParams),
    responses((status = 200, description = "Names starting with the text, then names containing it", body = Suggestions),
              (status = 422, description = "`q` or `limit` is invalid; `errors[0].field` names it", body = Problem)))]
pub async fn suggest(
    reads: Reads,
    params: Query<SuggestParams>,
) -> AppResult<web::Json<Suggestions>> {
    let params = params.into_inner();
    let (q, _) = query_text(params.q)?;
    let limit = match params.limit {
        None => DEFAULT_SUGGESTIONS,
        Some(n) if (1..=20).contains(&n) => n,
        Some(_) => {
            return Err(crate::error::AppError::invalid(
                "limit",
                "must be between 1 and 20",
            ))
        }
    };
    let items = reads
        .run(move |conn| Ok(suggest_terms(conn, &q, limit)?))
        .await?;
    Ok(web::Json(Suggestions { items }))
}
