//! `GET /search`: merchants whose name, services (names and descriptions) or categories match a
//! text in Chinese (one character and up), with the services that matched, filtered, sorted by
//! relevance, distance, rating or credit, one keyset page at a time. The SQL is in
//! `search_query`; the relevance formula is in `docs/api.md#search`.

use std::collections::HashMap;

use actix_web::web;
use diesel::Connection;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Problem};
use crate::fields::coordinates;
use crate::http::{Page, PageParams, Query, Reads};
use crate::merchants;
use crate::merchants::views::RatingSummary;

use super::discovery::ServiceSummary;
use super::search_query::{self, Hit, Search, SearchCursor, SearchSort};

/// The longest search text, in characters.
pub const MAX_QUERY_CHARS: usize = 50;
/// The highest price filter, in fen (the catalog's price ceiling).
const MAX_PRICE_CENTS: i64 = 10_000_000;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// What to look for, e.g. `空调清洗` or `面` (1 to 50 characters, at least one letter or digit).
    #[param(required = true, min_length = 1, max_length = 50)]
    pub q: Option<String>,
    /// The consumer's point; with `lng`, only merchants whose service area covers it are listed.
    #[param(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[param(minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
    /// A category code, e.g. `repair`.
    pub category: Option<String>,
    /// Only merchants open now, in their own time zone.
    pub open_now: Option<bool>,
    /// Only services priced at least this (fen).
    #[param(minimum = 0, maximum = 10000000)]
    pub price_min: Option<i64>,
    /// Only services priced at most this (fen).
    #[param(minimum = 0, maximum = 10000000)]
    pub price_max: Option<i64>,
    /// Only merchants whose average rating is at least this (0 to 5).
    #[param(minimum = 0, maximum = 5)]
    pub min_rating: Option<f64>,
    /// Only services flagged elderly-friendly.
    pub elderly_friendly: Option<bool>,
    /// Only services that can be handed over contactless (delivery and pickup-return).
    pub contactless: Option<bool>,
    /// `relevance` (the default), `distance` (needs a point), `rating` or `credit`.
    pub sort: Option<SearchSort>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A merchant that matched, with the services that matched.
#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResult {
    pub id: Uuid,
    pub display_name: String,
    pub categories: Vec<String>,
    pub address: String,
    pub district: Option<String>,
    /// Metres from the given point.
    pub distance_m: Option<f64>,
    pub rating: RatingSummary,
    /// Credit tier A–D.
    pub credit_tier: String,
    /// The relevance score (0 to 1) the default order ranks by.
    pub relevance: f64,
    /// The services whose name or description matched (at most 5); for a merchant matched by
    /// its name or category only, its first services. All pass the filters.
    pub matched_services: Vec<ServiceSummary>,
}

/// The search text, checked: trimmed, 1 to 50 characters, at least one letter or digit.
pub fn query_text(q: Option<String>) -> AppResult<(String, usize)> {
    let q = q.map(|q| q.trim().to_owned()).unwrap_or_default();
    if q.is_empty() {
        return Err(AppError::invalid("q", "is required"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(AppError::invalid("q", "must be at most 50 characters"));
    }
    let letters = q.chars().filter(|c| c.is_alphanumeric()).count();
    if letters == 0 {
        return Err(AppError::invalid("q", "must contain a letter or a digit"));
    }
    Ok((q, letters))
}

fn price(field: &str, value: Option<i64>) -> AppResult<Option<i64>> {
    match value {
        Some(v) if !(0..=MAX_PRICE_CENTS).contains(&v) => {
            Err(AppError::invalid(field, "must be between 0 and 10000000"))
        }
        v => Ok(v),
    }
}

fn parse(p: SearchParams) -> AppResult<(Search, i64)> {
    let (q, letters) = query_text(p.q)?;
    let point = match (p.lat, p.lng) {
        (Some(lat), Some(lng)) => Some(coordinates(lat, lng)?),
        (None, None) => None,
        (None, Some(_)) => return Err(AppError::invalid("lat", "is required with lng")),
        (Some(_), None) => return Err(AppError::invalid("lng", "is required with lat")),
    };
    let sort = p.sort.unwrap_or(SearchSort::Relevance);
    if sort == SearchSort::Distance && point.is_none() {
        return Err(AppError::invalid("sort", "distance needs lat and lng"));
    }
    let price_min = price("price_min", p.price_min)?;
    let price_max = price("price_max", p.price_max)?;
    if let (Some(a), Some(b)) = (price_min, price_max) {
        if a > b {
            return Err(AppError::invalid(
                "price_max",
                "must not be below price_min",
            ));
        }
    }
    if let Some(r) = p.min_rating {
        if !(0.0..=5.0).contains(&r) {
            return Err(AppError::invalid("min_rating", "must be between 0 and 5"));
        }
    }
    let page = PageParams {
        limit: p.limit,
        cursor: p.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor::<SearchCursor>()?;
    if after.as_ref().is_some_and(|c| !c.fits(sort)) {
        return Err(AppError::invalid(
            "cursor",
            "belongs to a list in another order",
        ));
    }
    let category = p
        .category
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    let search = Search {
        q,
        short: letters <= 2,
        point,
        category,
        open_now: p.open_now.unwrap_or(false),
        price_min,
        price_max,
        min_rating: p.min_rating,
        elderly_friendly: p.elderly_friendly.unwrap_or(false),
        contactless: p.contactless.unwrap_or(false),
        sort,
        after,
        limit: limit + 1,
    };
    Ok((search, limit))
}

fn cursor_of(sort: SearchSort, h: &Hit) -> SearchCursor {
    match sort {
        SearchSort::Relevance => SearchCursor::Relevance(h.relevance, h.id),
        SearchSort::Distance => SearchCursor::Distance(h.distance_m.unwrap_or(0.0), h.id),
        SearchSort::Rating => {
            SearchCursor::Rating(h.rating_average.unwrap_or(0.0), h.rating_count, h.id)
        }
        SearchSort::Credit => SearchCursor::Credit(h.score, h.id),
    }
}

/// Runs a checked search: one page with its categories and matched services.
pub fn run(
    conn: &mut diesel::PgConnection,
    search: &Search,
    limit: i64,
) -> AppResult<Page<SearchResult>> {
    let hits = search_query::find(conn, search)?;
    let page = Page::from_rows(hits, limit, |h| cursor_of(search.sort, h));
    let ids: Vec<Uuid> = page.items.iter().map(|h| h.id).collect();
    let mut categories = merchants::categories_of(conn, &ids)?;
    let mut services: HashMap<Uuid, Vec<ServiceSummary>> = HashMap::new();
    for s in search_query::services_of(conn, search, &ids)? {
        services
            .entry(s.merchant_id)
            .or_default()
            .push(ServiceSummary {
                id: s.id,
                name: s.name,
                price_cents: s.price_cents,
                currency: s.currency,
                price_unit: s.price_unit,
            });
    }
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(|h| SearchResult {
                categories: categories.remove(&h.id).unwrap_or_default(),
                matched_services: services.remove(&h.id).unwrap_or_default(),
                id: h.id,
                display_name: h.display_name,
                address: h.address,
                district: h.district,
                distance_m: h.distance_m.map(|d| d.round()),
                rating: RatingSummary {
                    count: h.rating_count,
                    average: h.rating_average,
                },
                credit_tier: h.tier,
                relevance: h.relevance,
            })
            .collect(),
        next_cursor: page.next_cursor,
    })
}

/// Searches merchants and services by text, near a point or everywhere.
#[utoipa::path(get, path = "/api/v1/search", tag = "discovery", operation_id = "search", security(), params(SearchParams),
    responses((status = 200, description = "One page of matching merchants with the services that matched", body = Page<SearchResult>),
              (status = 422, description = "A parameter is invalid; `errors[0].field` names it", body = Problem)))]
pub async fn search(
    reads: Reads,
    params: Query<SearchParams>,
) -> AppResult<web::Json<Page<SearchResult>>> {
    let (search, limit) = parse(params.into_inner())?;
    let page = reads
        .run(move |conn| conn.transaction(|conn| run(conn, &search, limit)))
        .await?;
    Ok(web::Json(page))
}
