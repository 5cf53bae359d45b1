//! The SQL of `GET /search`: the merchants whose name, services or categories match the text,
//! filtered, scored and sorted, one keyset page at a time; and the services that matched on a
//! page. `docs/discovery.md#search` shows the statements and their plans.
//!
//! Text is compared folded (`search_fold`: lower case, no spaces or punctuation). A query of one
//! or two characters is looked up in the character unigrams and bigrams (`search_grams`, GIN),
//! a longer one through `pg_trgm`'s trigram index (`LIKE '%q%'`); both are expression indexes
//! over the same expressions as below, so the text must stay exactly as written here.

use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::query_builder::BoxedSqlQuery;
use diesel::sql_types::{Array, BigInt, Bool, Double, Integer, Nullable, Text, Uuid as SqlUuid};
use uuid::Uuid;

use super::models::Service;

/// The weights of the relevance formula (`docs/api.md#search`).
pub const TEXT_WEIGHT: f64 = 0.6;
pub const PROXIMITY_WEIGHT: f64 = 0.25;
pub const CREDIT_WEIGHT: f64 = 0.15;
/// Proximity is `HALF_M / (HALF_M + distance)`: 1 at the point, ½ at 2 km.
pub const PROXIMITY_HALF_M: f64 = 2000.0;
/// Services shown per merchant in the results.
pub const MATCHED_SERVICES: i64 = 5;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SearchSort {
    /// Text match, proximity and credit combined (the default).
    Relevance,
    /// Nearest first (needs `lat` and `lng`).
    Distance,
    /// Best average rating first, then most reviewed.
    Rating,
    /// Highest credit score first.
    Credit,
}

/// Where the previous page ended, tagged by its sort.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub enum SearchCursor {
    Relevance(f64, Uuid),
    Distance(f64, Uuid),
    Rating(f64, i32, Uuid),
    Credit(i32, Uuid),
}

impl SearchCursor {
    pub fn fits(&self, sort: SearchSort) -> bool {
        matches!(
            (self, sort),
            (Self::Relevance(..), SearchSort::Relevance)
                | (Self::Distance(..), SearchSort::Distance)
                | (Self::Rating(..), SearchSort::Rating)
                | (Self::Credit(..), SearchSort::Credit)
        )
    }
}

/// A checked search.
#[derive(Debug)]
pub struct Search {
    pub q: String,
    /// Characters of `q` that count (letters and digits): 1 or 2 use the bigram index.
    pub short: bool,
    pub point: Option<(f64, f64)>,
    pub category: Option<String>,
    pub open_now: bool,
    pub price_min: Option<i64>,
    pub price_max: Option<i64>,
    pub min_rating: Option<f64>,
    pub elderly_friendly: bool,
    pub contactless: bool,
    pub sort: SearchSort,
    pub after: Option<SearchCursor>,
    /// The page size plus one.
    pub limit: i64,
}

impl Search {
    fn service_filters(&self) -> bool {
        self.price_min.is_some()
            || self.price_max.is_some()
            || self.elderly_friendly
            || self.contactless
            || self.category.is_some()
    }
}

/// A merchant in the results, before its services are added.
#[derive(Debug, QueryableByName)]
pub struct Hit {
    #[diesel(sql_type = SqlUuid)]
    pub id: Uuid,
    #[diesel(sql_type = Text)]
    pub display_name: String,
    #[diesel(sql_type = Text)]
    pub address: String,
    #[diesel(sql_type = Nullable<Text>)]
    pub district: Option<String>,
    #[diesel(sql_type = Integer)]
    pub rating_count: i32,
    #[diesel(sql_type = Nullable<Double>)]
    pub rating_average: Option<f64>,
    #[diesel(sql_type = Nullable<Double>)]
    pub distance_m: Option<f64>,
    #[diesel(sql_type = Integer)]
    pub score: i32,
    #[diesel(sql_type = Text)]
    pub tier: String,
    #[diesel(sql_type = Double)]
    pub relevance: f64,
}

/// `$4` is the query text; the folded text is `search_fold($4)`.
fn matches(expr: &str, short: bool) -> String {
    if short {
        format!("search_grams({expr}) @> search_grams($4) AND strpos(search_fold({expr}), search_fold($4)) > 0")
    } else {
        format!("search_fold({expr}) LIKE '%' || search_fold($4) || '%'")
    }
}

/// How much of `expr` the query covers, ½ to 1.
fn coverage(expr: &str) -> String {
    format!("(0.5 + 0.5 * char_length(search_fold($4))::float8 / greatest(char_length(search_fold({expr})), 1))")
}

const SERVICE_TEXT: &str = "(s.name || ' ' || s.description)";

/// The per-service conditions of the filters; `$5..$9` are bound by `find` and `services_of`.
const SERVICE_FILTERS: &str = "($5::bigint IS NULL OR s.price_cents >= $5) AND ($6::bigint IS NULL OR s.price_cents <= $6) \
     AND (NOT $7 OR s.elderly_friendly) AND (NOT $8 OR s.fulfilment IN ('delivery', 'pickup_return')) \
     AND ($9::text IS NULL OR s.category = $9)";

fn bind_common(s: &Search) -> Statement {
    let (lat, lng) = s.point.unwrap_or((0.0, 0.0));
    diesel::sql_query("")
        .into_boxed()
        .bind::<Double, _>(lat)
        .bind::<Double, _>(lng)
        .bind::<Bool, _>(s.point.is_some())
        .bind::<Text, _>(s.q.clone())
        .bind::<Nullable<BigInt>, _>(s.price_min)
        .bind::<Nullable<BigInt>, _>(s.price_max)
        .bind::<Bool, _>(s.elderly_friendly)
        .bind::<Bool, _>(s.contactless)
        .bind::<Nullable<Text>, _>(s.category.clone())
}

const DISTANCE: &str = "earth_distance(ll_to_earth(m.lat, m.lng), ll_to_earth($1, $2))";

type Statement = BoxedSqlQuery<'static, Pg, diesel::query_builder::SqlQuery>;

/// Services matching the text, counted up to this through the text indexes, choose the plan
/// of a search with a point in the relevance or distance order: fewer, and the statement starts
/// from the matches (`text-first`); this many, and it walks the merchants nearest first through
/// the location index and keeps those that match (`near-first`).
pub const HIT_CAP: i64 = 2000;
/// Near-first, the relevance order ranks the nearest this many matching merchants.
pub const NEAR_CANDIDATES: i64 = 200;
/// Near-first, the distance order reads this many rows past the page so ties sort by id.
const TIE_SLACK: i64 = 50;
/// The largest service radius (as in discovery): bounds the nearest-first walk.
const MAX_RADIUS_M: f64 = 30_000.0;

/// Whether the search walks nearest first: with a point, in the relevance or distance order,
/// when at least [`HIT_CAP`] active services match the text.
pub fn near_first(conn: &mut PgConnection, s: &Search) -> QueryResult<bool> {
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = BigInt)]
        n: i64,
    }
    if s.point.is_none() || !matches!(s.sort, SearchSort::Relevance | SearchSort::Distance) {
        return Ok(false);
    }
    let service_match = matches(SERVICE_TEXT, s.short);
    let n = bind_common(s)
        .bind::<BigInt, _>(HIT_CAP)
        .sql(format!(
            "SELECT count(*) AS n FROM (SELECT 1 FROM services s WHERE s.active AND {service_match} LIMIT $10) t"
        ))
        .get_result::<Count>(conn)?
        .n;
    Ok(n >= HIT_CAP)
}

/// One page of matching merchants (`s.limit` rows at most). Near-first switches bitmap scans
/// off for the rest of the transaction, as discovery does, so the caller opens one.
pub fn find(conn: &mut PgConnection, s: &Search) -> QueryResult<Vec<Hit>> {
    let near = near_first(conn, s)?;
    find_planned(conn, s, near)
}

/// `find` with the plan chosen by the caller (the tests compare the two plans' answers).
pub fn find_planned(conn: &mut PgConnection, s: &Search, near: bool) -> QueryResult<Vec<Hit>> {
    if near {
        diesel::sql_query("SET LOCAL enable_bitmapscan = off").execute(conn)?;
    }
    find_statement(s, near).load(conn)
}

fn service_score() -> String {
    format!(
        "CASE WHEN strpos(search_fold(s.name), search_fold($4)) > 0 THEN 0.7 * {} ELSE 0.2 END",
        coverage("s.name")
    )
}

const CATEGORY_MATCH: &str = "(strpos(search_fold(c.name_zh), search_fold($4)) > 0 OR strpos(search_fold(c.name_en), search_fold($4)) > 0)";

fn relevance(text: &str) -> String {
    format!(
        "round(({TEXT_WEIGHT} * {text} + CASE WHEN $3 THEN {PROXIMITY_WEIGHT} * {PROXIMITY_HALF_M} / ({PROXIMITY_HALF_M} + {DISTANCE}) ELSE 0 END \
         + {CREDIT_WEIGHT} * m.credit_score / 1000.0)::numeric, 6)::float8 AS relevance"
    )
}

const COLUMNS: &str = "m.id, m.display_name, m.address, m.district, m.rating_count, m.rating_average, \
     CASE WHEN $3 THEN earth_distance(ll_to_earth(m.lat, m.lng), ll_to_earth($1, $2)) END AS distance_m, \
     m.credit_score AS score, m.credit_tier AS tier";

/// Text-first: the matches (services, merchant names, categories) through the text indexes,
/// each merchant's best, then those merchants (by primary key) that cover the point.
fn text_first(s: &Search) -> String {
    let service_match = matches(SERVICE_TEXT, s.short);
    let name_match = matches("m.display_name", s.short);
    let has_service = has_service(s);
    let mut sql = format!(
        "WITH hits AS (\
           SELECT s.merchant_id AS id, max({service_score}) AS text FROM services s \
           WHERE s.active AND {service_match} AND {SERVICE_FILTERS} GROUP BY s.merchant_id \
           UNION ALL \
           SELECT m.id, 1.0 * {name_cov} FROM merchants m WHERE m.status = 'approved' AND {name_match}{has_service} \
           UNION ALL \
           SELECT mc.merchant_id, max(0.6 * {cat_cov}) FROM merchant_categories mc JOIN categories c ON c.code = mc.category \
           JOIN merchants m ON m.id = mc.merchant_id AND m.status = 'approved' \
           WHERE {CATEGORY_MATCH}{has_service} GROUP BY mc.merchant_id), \
         best AS (SELECT id, max(text) AS text FROM hits GROUP BY id) \
         SELECT * FROM (SELECT {COLUMNS}, {relevance} FROM best b JOIN merchants m ON m.id = b.id WHERE m.status = 'approved'",
        service_score = service_score(),
        name_cov = coverage("m.display_name"),
        cat_cov = coverage("c.name_zh"),
        relevance = relevance("b.text"),
    );
    // Only the exact check: an index condition on the merchants here lets the planner (whose
    // estimates of earth_box conditions are ~1000x low) nest the matches inside the covering
    // merchants, which at 100k merchants took more than 20 s; the matches are few here.
    if s.point.is_some() {
        sql.push_str(&format!(" AND {DISTANCE} <= m.service_radius_m"));
    }
    sql
}

/// Near-first: merchants nearest first through the location index (within 30 km, covering the
/// point), each scored on its own name, services and categories, the non-matching skipped.
fn near(s: &Search) -> String {
    let has_service = has_service(s);
    format!(
        "SELECT * FROM (SELECT {COLUMNS}, {relevance} FROM merchants m CROSS JOIN LATERAL (SELECT greatest(\
           CASE WHEN strpos(search_fold(m.display_name), search_fold($4)) > 0{has_service} THEN 1.0 * {name_cov} END, \
           (SELECT max({service_score}) FROM services s WHERE s.merchant_id = m.id AND s.active \
              AND strpos(search_fold({SERVICE_TEXT}), search_fold($4)) > 0 AND {SERVICE_FILTERS}), \
           (SELECT max(0.6 * {cat_cov}) FROM merchant_categories mc JOIN categories c ON c.code = mc.category \
              WHERE mc.merchant_id = m.id AND {CATEGORY_MATCH}{has_service})) AS text) x \
         WHERE m.status = 'approved' AND x.text IS NOT NULL \
           AND earth_box(ll_to_earth($1, $2), {MAX_RADIUS_M}) @> ll_to_earth(m.lat, m.lng) \
           AND {DISTANCE} <= m.service_radius_m",
        service_score = service_score(),
        name_cov = coverage("m.display_name"),
        cat_cov = coverage("c.name_zh"),
        relevance = relevance("x.text"),
    )
}

/// With a service filter, a merchant matched by its name or category needs a service that
/// passes it.
fn has_service(s: &Search) -> String {
    if s.service_filters() {
        format!(" AND EXISTS (SELECT 1 FROM services s WHERE s.merchant_id = m.id AND s.active AND {SERVICE_FILTERS})")
    } else {
        String::new()
    }
}

fn find_statement(s: &Search, near_first: bool) -> Statement {
    let mut sql = if near_first { near(s) } else { text_first(s) };
    if s.category.is_some() {
        sql.push_str(" AND EXISTS (SELECT 1 FROM merchant_categories mc WHERE mc.merchant_id = m.id AND mc.category = $9)");
    }
    if s.open_now {
        sql.push_str(
            " AND EXISTS (SELECT 1 FROM jsonb_array_elements(m.opening_hours -> lower(to_char(now() AT TIME ZONE m.time_zone, 'Dy'))) iv \
              WHERE iv ->> 0 <= to_char(now() AT TIME ZONE m.time_zone, 'HH24:MI') \
              AND to_char(now() AT TIME ZONE m.time_zone, 'HH24:MI') < iv ->> 1)",
        );
    }
    let mut query = bind_common(s);
    let mut n = 9;
    let mut next = || {
        n += 1;
        n
    };
    if let Some(r) = s.min_rating {
        sql.push_str(&format!(
            " AND COALESCE(m.rating_average, 0) >= ${}",
            next()
        ));
        query = query.bind::<Double, _>(r);
    }
    // Near-first in distance order pages inside the walk, like discovery; in relevance order it
    // ranks the nearest NEAR_CANDIDATES matches and pages among them.
    let mut cursor_inside = false;
    if near_first {
        if let Some(SearchCursor::Distance(d, id)) = &s.after {
            sql.push_str(&format!(
                " AND ({DISTANCE}, m.id) > (${}, ${})",
                next(),
                next()
            ));
            query = query.bind::<Double, _>(*d).bind::<SqlUuid, _>(*id);
            cursor_inside = true;
        }
        let candidates = match s.sort {
            SearchSort::Distance => s.limit + TIE_SLACK,
            _ => NEAR_CANDIDATES,
        };
        sql.push_str(&format!(
            " ORDER BY ll_to_earth(m.lat, m.lng) <-> ll_to_earth($1, $2) LIMIT {candidates}"
        ));
    }
    sql.push_str(") t");
    let rating = "COALESCE(t.rating_average, 0)";
    match &s.after {
        _ if cursor_inside => {}
        Some(SearchCursor::Relevance(r, id)) => {
            sql.push_str(&format!(
                " WHERE (t.relevance, t.id) < (${}, ${})",
                next(),
                next()
            ));
            query = query.bind::<Double, _>(*r).bind::<SqlUuid, _>(*id);
        }
        Some(SearchCursor::Distance(d, id)) => {
            sql.push_str(&format!(
                " WHERE (t.distance_m, t.id) > (${}, ${})",
                next(),
                next()
            ));
            query = query.bind::<Double, _>(*d).bind::<SqlUuid, _>(*id);
        }
        Some(SearchCursor::Rating(r, c, id)) => {
            sql.push_str(&format!(
                " WHERE ({rating}, t.rating_count, t.id) < (${}, ${}, ${})",
                next(),
                next(),
                next()
            ));
            query = query
                .bind::<Double, _>(*r)
                .bind::<Integer, _>(*c)
                .bind::<SqlUuid, _>(*id);
        }
        Some(SearchCursor::Credit(c, id)) => {
            sql.push_str(&format!(
                " WHERE (t.score, t.id) < (${}, ${})",
                next(),
                next()
            ));
            query = query.bind::<Integer, _>(*c).bind::<SqlUuid, _>(*id);
        }
        None => {}
    }
    let order = match s.sort {
        SearchSort::Relevance => "t.relevance DESC, t.id DESC".to_owned(),
        SearchSort::Distance => "t.distance_m, t.id".to_owned(),
        SearchSort::Rating => format!("{rating} DESC, t.rating_count DESC, t.id DESC"),
        SearchSort::Credit => "t.score DESC, t.id DESC".to_owned(),
    };
    sql.push_str(&format!(" ORDER BY {order} LIMIT ${}", next()));
    query.bind::<BigInt, _>(s.limit).sql(sql)
}

/// The services of `ids` that matched the text and pass the filters, best match first, at most
/// [`MATCHED_SERVICES`] each; for a merchant matched by its name or category only, its first
/// services that pass the filters.
pub fn services_of(conn: &mut PgConnection, s: &Search, ids: &[Uuid]) -> QueryResult<Vec<Service>> {
    let service_match = matches(SERVICE_TEXT, s.short);
    let sql = format!(
        "SELECT * FROM (SELECT s.*, row_number() OVER (PARTITION BY s.merchant_id \
           ORDER BY ({service_match}) DESC, strpos(search_fold(s.name), search_fold($4)) > 0 DESC, s.created_at, s.id) AS rn, \
           bool_or({service_match}) OVER (PARTITION BY s.merchant_id) AS any_hit, ({service_match}) AS hit \
         FROM services s WHERE s.merchant_id = ANY($10) AND s.active AND {SERVICE_FILTERS}) t \
         WHERE t.rn <= $11 AND (t.hit OR NOT t.any_hit) ORDER BY t.merchant_id, t.rn"
    );
    bind_common(s)
        .bind::<Array<SqlUuid>, _>(ids.to_vec())
        .bind::<BigInt, _>(MATCHED_SERVICES)
        .sql(sql)
        .load(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn search(q: &str, short: bool, point: bool, sort: SearchSort) -> Search {
        Search {
            q: q.into(),
            short,
            point: point.then_some((29.5582, 106.5772)),
            category: None,
            open_now: false,
            price_min: None,
            price_max: None,
            min_rating: None,
            elderly_friendly: false,
            contactless: false,
            sort,
            after: None,
            limit: 21,
        }
    }

    /// The statement of each query shape, as sent (`cargo test --lib search_statements --
    /// --nocapture` prints them for `bench/explain-search.sh` and docs/discovery.md).
    #[test]
    fn search_statements_bind_every_parameter_they_name() {
        for (q, short, point, sort, near) in [
            ("面", true, true, SearchSort::Relevance, false),
            ("空调清洗", false, true, SearchSort::Relevance, false),
            ("小面", true, true, SearchSort::Distance, false),
            ("小面", true, false, SearchSort::Rating, false),
            ("面", true, true, SearchSort::Relevance, true),
            ("小面", true, true, SearchSort::Distance, true),
        ] {
            let s = search(q, short, point, sort);
            let text = diesel::debug_query::<Pg, _>(&find_statement(&s, near)).to_string();
            println!("{text}\n");
            let binds = text.matches(", ").count();
            assert!(text.contains("$10") && binds >= 9, "{text}");
            assert_eq!(text.contains("<= m.service_radius_m"), point, "{text}");
            assert_eq!(
                text.contains("search_grams(m.display_name)"),
                short && !near,
                "{text}"
            );
        }
    }
}
