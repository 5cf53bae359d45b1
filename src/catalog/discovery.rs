//! Discovery: approved merchants whose service area covers the consumer's point, nearest, best
//! rated or most trusted first, filtered by category and name.
//!
//! Nearest-first uses the GiST index on `ll_to_earth(lat, lng)` (approved merchants only) as a
//! nearest-neighbour scan: it reads merchants in distance order, keeps those whose own radius
//! covers the point, and stops once a page is full, so its cost follows the page, not the city
//! (bitmap scans are switched off for that statement: a bitmap would read the whole 30 km box).
//! Where fewer than 2,000 merchants' areas cover the point, and for the rating and credit sorts
//! with a point, the covering merchants come from the service-area index (`merchants_area_idx`)
//! instead, so a sparse point no longer walks the 30 km box. `docs/discovery.md` has the plans.

use std::collections::HashMap;

use actix_web::web;
use diesel::prelude::*;
use diesel::sql_types::{Array, BigInt, Double, Integer, Nullable, Text, Uuid as SqlUuid};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::error::{AppError, AppResult, Problem};
use crate::fields::coordinates;
use crate::http::{Page, PageParams};
use crate::http::{Query, Reads};
use crate::merchants;
use crate::merchants::views::RatingSummary;

use super::models::Service;
use super::rules::PriceUnit;

/// The largest service radius a merchant may have; bounds the index search.
pub const MAX_RADIUS_M: f64 = 30_000.0;
const HEADLINE_SERVICES: i64 = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Sort {
    /// Nearest first (needs `lat` and `lng`; the default when they are given).
    Distance,
    /// Best average rating first, then most reviewed.
    Rating,
    /// Highest credit score first (the default without a point).
    Credit,
}

/// Extra rows the nearest-first scan reads past a page, so that merchants at exactly the same
/// distance are ordered by id before the page is cut.
const TIE_SLACK: i64 = 50;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// A category code, e.g. `housekeeping`.
    pub category: Option<String>,
    /// The consumer's point; with `lng`, only merchants whose service area covers it are listed.
    #[param(minimum = -90, maximum = 90)]
    pub lat: Option<f64>,
    #[param(minimum = -180, maximum = 180)]
    pub lng: Option<f64>,
    /// Text in the merchant's name.
    pub q: Option<String>,
    pub sort: Option<Sort>,
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<i64>,
    pub cursor: Option<String>,
}

/// A service shown on a merchant's card.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceSummary {
    pub id: Uuid,
    pub name: String,
    pub price_cents: i64,
    pub currency: String,
    pub price_unit: PriceUnit,
}

/// A merchant in the results.
#[derive(Debug, Serialize, ToSchema)]
pub struct MerchantCard {
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
    pub headline_services: Vec<ServiceSummary>,
}

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = SqlUuid)]
    id: Uuid,
    #[diesel(sql_type = Text)]
    display_name: String,
    #[diesel(sql_type = Text)]
    address: String,
    #[diesel(sql_type = Nullable<Text>)]
    district: Option<String>,
    #[diesel(sql_type = Integer)]
    rating_count: i32,
    #[diesel(sql_type = Nullable<Double>)]
    rating_average: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    distance_m: Option<f64>,
    #[diesel(sql_type = Integer)]
    score: i32,
    #[diesel(sql_type = Text)]
    tier: String,
}

/// Where the previous page ended, for each order (tagged: a cursor of one sort is refused by
/// another).
#[derive(Debug, Serialize, Deserialize)]
enum Cursor {
    Distance(f64, Uuid),
    Rating(f64, i32, Uuid),
    Credit(i32, Uuid),
}

/// `%` and `_` in the search text are literal.
fn like_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

struct Search {
    point: Option<(f64, f64)>,
    category: Option<String>,
    q: Option<String>,
    sort: Sort,
    after: Option<Cursor>,
    limit: i64,
}

/// How many merchants whose area covers the point, counted up to `AREA_CAP` through the
/// service-area index (`merchants_area_idx`).
fn covering(conn: &mut PgConnection, (lat, lng): (f64, f64)) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    diesel::sql_query(
        "SELECT count(*) AS n FROM (SELECT 1 FROM merchants m WHERE m.status = 'approved' \
         AND earth_box(ll_to_earth(m.lat, m.lng), m.service_radius_m) @> ll_to_earth($1, $2) LIMIT $3) t",
    )
    .bind::<Double, _>(lat)
    .bind::<Double, _>(lng)
    .bind::<BigInt, _>(AREA_CAP)
    .get_result::<Count>(conn)
    .map(|c| c.n)
}

/// Below this many candidate areas, nearest-first sorts the covering merchants from the area
/// index instead of walking the location index (which, where matches are few, reads every
/// merchant within 30 km).
const AREA_CAP: i64 = 2000;

fn find(conn: &mut PgConnection, s: &Search) -> QueryResult<Vec<Row>> {
    let (lat, lng) = s.point.unwrap_or((0.0, 0.0));
    // The rating and credit sorts rank every covering merchant anyway: find them through the
    // area index. Nearest-first does too where the areas covering the point are few.
    let by_area = match (s.point, s.sort) {
        (None, _) => false,
        (Some(_), Sort::Rating | Sort::Credit) => true,
        (Some(point), Sort::Distance) => covering(conn, point)? < AREA_CAP,
    };
    let distance = "earth_distance(ll_to_earth(m.lat, m.lng), ll_to_earth($1, $2))";
    let mut sql = format!(
        "SELECT m.id, m.display_name, m.address, m.district, m.rating_count, m.rating_average, \
         CASE WHEN $3 THEN {distance} END AS distance_m, \
         m.credit_score AS score, m.credit_tier AS tier \
         FROM merchants m WHERE m.status = 'approved'"
    );
    if by_area {
        sql.push_str(&format!(
            " AND earth_box(ll_to_earth(m.lat, m.lng), m.service_radius_m) @> ll_to_earth($1, $2) \
              AND {distance} <= m.service_radius_m"
        ));
    } else if s.point.is_some() {
        sql.push_str(&format!(
            " AND earth_box(ll_to_earth($1, $2), {MAX_RADIUS_M}) @> ll_to_earth(m.lat, m.lng) \
              AND {distance} <= m.service_radius_m"
        ));
    }
    let mut query = diesel::sql_query("")
        .into_boxed()
        .bind::<Double, _>(lat)
        .bind::<Double, _>(lng)
        .bind::<diesel::sql_types::Bool, _>(s.point.is_some());
    let mut n = 3;
    let mut next = || {
        n += 1;
        n
    };
    if let Some(category) = &s.category {
        sql.push_str(&format!(
            " AND EXISTS (SELECT 1 FROM merchant_categories mc WHERE mc.merchant_id = m.id AND mc.category = ${})",
            next()
        ));
        query = query.bind::<Text, _>(category.clone());
    }
    if let Some(q) = &s.q {
        sql.push_str(&format!(" AND m.display_name ILIKE ${}", next()));
        query = query.bind::<Text, _>(like_pattern(q));
    }
    let rating = "COALESCE(m.rating_average, 0)";
    match (&s.after, s.sort) {
        (Some(Cursor::Distance(d, id)), Sort::Distance) => {
            sql.push_str(&format!(
                " AND ({distance}, m.id) > (${}, ${})",
                next(),
                next()
            ));
            query = query.bind::<Double, _>(*d).bind::<SqlUuid, _>(*id);
        }
        (Some(Cursor::Rating(r, c, id)), Sort::Rating) => {
            sql.push_str(&format!(
                " AND ({rating}, m.rating_count, m.id) < (${}, ${}, ${})",
                next(),
                next(),
                next()
            ));
            query = query
                .bind::<Double, _>(*r)
                .bind::<Integer, _>(*c)
                .bind::<SqlUuid, _>(*id);
        }
        (Some(Cursor::Credit(score, id)), Sort::Credit) => {
            sql.push_str(&format!(
                " AND (m.credit_score, m.id) < (${}, ${})",
                next(),
                next()
            ));
            query = query.bind::<Integer, _>(*score).bind::<SqlUuid, _>(*id);
        }
        _ => {}
    }
    let limit = next();
    let sql = match s.sort {
        Sort::Distance if by_area => {
            format!("{sql} ORDER BY distance_m, m.id LIMIT ${limit}")
        }
        // Nearest-neighbour order straight from the index, then ties by id.
        Sort::Distance => format!(
            "SELECT * FROM ({sql} ORDER BY ll_to_earth(m.lat, m.lng) <-> ll_to_earth($1, $2) LIMIT ${limit} + {TIE_SLACK}) t \
             ORDER BY distance_m, id LIMIT ${limit}"
        ),
        Sort::Rating => format!("{sql} ORDER BY {rating} DESC, m.rating_count DESC, m.id DESC LIMIT ${limit}"),
        Sort::Credit => format!("{sql} ORDER BY m.credit_score DESC, m.id DESC LIMIT ${limit}"),
    };
    query = query.bind::<BigInt, _>(s.limit);
    if s.sort == Sort::Distance && !by_area {
        diesel::sql_query("SET LOCAL enable_bitmapscan = off").execute(conn)?;
    }
    query.sql(sql).load(conn)
}

/// The categories and first few active services of each merchant.
fn decorate(conn: &mut PgConnection, rows: Vec<Row>) -> QueryResult<Vec<MerchantCard>> {
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut categories = merchants::categories_of(conn, &ids)?;
    let services: Vec<Service> = diesel::sql_query(
        "SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY s.merchant_id ORDER BY s.created_at, s.id) AS rn \
         FROM services s WHERE s.merchant_id = ANY($1) AND s.active) t WHERE t.rn <= $2",
    )
    .bind::<Array<SqlUuid>, _>(&ids)
    .bind::<BigInt, _>(HEADLINE_SERVICES)
    .load(conn)?;
    let mut headline: HashMap<Uuid, Vec<ServiceSummary>> = HashMap::new();
    for s in services {
        headline
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
    Ok(rows
        .into_iter()
        .map(|r| MerchantCard {
            categories: categories.remove(&r.id).unwrap_or_default(),
            headline_services: headline.remove(&r.id).unwrap_or_default(),
            id: r.id,
            display_name: r.display_name,
            address: r.address,
            district: r.district,
            distance_m: r.distance_m.map(|d| d.round()),
            rating: RatingSummary {
                count: r.rating_count,
                average: r.rating_average,
            },
            credit_tier: r.tier,
        })
        .collect())
}

/// Finds merchants near a point (or everywhere), nearest, best rated or most trusted first.
#[utoipa::path(get, path = "/api/v1/merchants", tag = "discovery", operation_id = "search_merchants", security(), params(SearchQuery),
    responses((status = 200, body = Page<MerchantCard>), (status = 422, body = Problem)))]
pub async fn search(
    reads: Reads,
    query: Query<SearchQuery>,
) -> AppResult<web::Json<Page<MerchantCard>>> {
    let query = query.into_inner();
    let point = match (query.lat, query.lng) {
        (Some(lat), Some(lng)) => Some(coordinates(lat, lng)?),
        (None, None) => None,
        (None, Some(_)) => return Err(AppError::invalid("lat", "is required with lng")),
        (Some(_), None) => return Err(AppError::invalid("lng", "is required with lat")),
    };
    let sort = match (query.sort, point) {
        (Some(Sort::Distance), None) => {
            return Err(AppError::invalid("sort", "distance needs lat and lng"))
        }
        (Some(sort), _) => sort,
        (None, Some(_)) => Sort::Distance,
        (None, None) => Sort::Credit,
    };
    let q = query
        .q
        .map(|q| q.trim().to_owned())
        .filter(|q| !q.is_empty());
    if q.as_ref().is_some_and(|q| q.chars().count() > 50) {
        return Err(AppError::invalid("q", "must be at most 50 characters"));
    }
    let page = PageParams {
        limit: query.limit,
        cursor: query.cursor,
    };
    let limit = page.limit()?;
    let after = page.cursor::<Cursor>()?;
    let matches = matches!(
        (&after, sort),
        (None, _)
            | (Some(Cursor::Distance(..)), Sort::Distance)
            | (Some(Cursor::Rating(..)), Sort::Rating)
            | (Some(Cursor::Credit(..)), Sort::Credit)
    );
    if !matches {
        return Err(AppError::invalid(
            "cursor",
            "belongs to a list in another order",
        ));
    }
    let search = Search {
        point,
        category: query.category,
        q,
        sort,
        after,
        limit: limit + 1,
    };
    let cards = reads
        .run(move |conn| {
            conn.transaction(|conn| {
                let rows = find(conn, &search)?;
                let page = Page::from_rows(rows, limit, |r| match sort {
                    Sort::Distance => Cursor::Distance(r.distance_m.unwrap_or(0.0), r.id),
                    Sort::Rating => {
                        Cursor::Rating(r.rating_average.unwrap_or(0.0), r.rating_count, r.id)
                    }
                    Sort::Credit => Cursor::Credit(r.score, r.id),
                });
                Ok(Page {
                    items: decorate(conn, page.items)?,
                    next_cursor: page.next_cursor,
                })
            })
        })
        .await?;
    Ok(web::Json(cards))
}
