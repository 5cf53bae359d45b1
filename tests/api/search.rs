//! Search: the relevance table over the demo and scale data, the filters, the cursor, the 422s,
//! and suggestions.

use actix_web::http::StatusCode;
use diesel::connection::SimpleConnection;
use serde_json::Value;

use crate::helpers::TestApp;

/// Where 山城小面馆, the demo's catering merchant, stands (解放碑).
const JIEFANGBEI: (f64, f64) = (29.5582, 106.5772);

/// The demo data and 200 generated merchants (of every category, with their services).
async fn seeded() -> TestApp {
    let app = TestApp::spawn().await;
    lifemarket::seed::demo(&mut app.conn(), &app.state.passwords, &app.state.store).unwrap();
    lifemarket::scale::seed(&mut app.conn(), &app.state.passwords, 200).unwrap();
    app
}

fn enc(q: &str) -> String {
    form_urlencoded::byte_serialize(q.as_bytes()).collect()
}

async fn search(app: &TestApp, query: &str) -> Value {
    let res = app.get(&format!("/api/v1/search?{query}")).send().await;
    assert_eq!(res.status, StatusCode::OK, "{query}: {}", res.text);
    res.body
}

/// What the first result must be.
enum First {
    /// This merchant.
    Named(&'static str),
    /// A merchant whose name contains this.
    NameWith(&'static str),
    /// A merchant whose first matched service is this.
    Service(&'static str),
    /// A merchant of this category.
    Category(&'static str),
}

#[actix_web::test]
async fn search_ranks_the_expected_first_result_for_each_query_of_the_relevance_table() {
    let app = seeded().await;
    let at = format!("lat={}&lng={}", JIEFANGBEI.0, JIEFANGBEI.1);
    #[rustfmt::skip]
    let table: Vec<(String, First)> = vec![
        // One character.
        (format!("q={}", enc("面")), First::Named("山城小面馆")),
        (format!("q={}", enc("洗")), First::Named("净衣坊洗衣")),
        (format!("q={}&{at}&sort=distance", enc("面")), First::Named("山城小面馆")),
        // Two characters.
        (format!("q={}", enc("小面")), First::Named("山城小面馆")),
        (format!("q={}", enc("洗衣")), First::Named("净衣坊洗衣")),
        (format!("q={}", enc("家政")), First::Named("洁家家政")),
        (format!("q={}", enc("快修")), First::Named("快修师傅")),
        (format!("q={}", enc("上门")), First::Named("山城小面馆")),
        (format!("q={}", enc("清洗")), First::Service("空调清洗")),
        (format!("q={}", enc("衬衫")), First::Service("衬衫干洗")),
        (format!("q={}", enc("抄手")), First::NameWith("抄手")),
        (format!("q={}", enc("火锅")), First::NameWith("火锅")),
        (format!("q={}", enc("维修")), First::NameWith("维修")),
        (format!("q={}", enc("餐饮")), First::Category("catering")),
        (format!("q={}&{at}", enc("小面")), First::Named("山城小面馆")),
        // Three characters and more (trigrams).
        (format!("q={}", enc("私厨上门")), First::Named("山城小面馆")), // a service in no merchant's name
        (format!("q={}", enc("擦玻璃")), First::Service("擦玻璃")),    // the same, scale data only
        (format!("q={}", enc("空调清洗")), First::Service("空调清洗")),
        (format!("q={}", enc("酸辣粉")), First::Service("酸辣粉")),
        (format!("q={}", enc("羽绒服")), First::Service("羽绒服清洗")),
        (format!("q={}", enc("深度清洁")), First::Service("深度清洁")),
        (format!("q={}", enc("水管疏通")), First::Service("水管疏通")),
        (format!("q={}", enc("山城小面馆")), First::Named("山城小面馆")),
        (format!("q={}", enc("Laundry")), First::Category("laundry")),
    ];
    assert!(table.len() >= 20);
    for (query, first) in table {
        let body = search(&app, &query).await;
        let top = &body["items"][0];
        assert!(!top.is_null(), "{query}: no result");
        let name = top["display_name"].as_str().unwrap();
        match first {
            First::Named(want) => assert_eq!(name, want, "{query}: {top}"),
            First::NameWith(part) => assert!(name.contains(part), "{query}: {top}"),
            First::Service(want) => {
                assert_eq!(top["matched_services"][0]["name"], want, "{query}: {top}")
            }
            First::Category(want) => assert!(
                top["categories"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|c| c == want),
                "{query}: {top}"
            ),
        }
    }
}

#[actix_web::test]
async fn search_filters_pages_with_its_cursor_and_names_the_invalid_field() {
    let app = seeded().await;
    // Every catering merchant (50 generated and the demo's) sells 重庆小面.
    let q = enc("重庆小面");
    let all = search(&app, &format!("q={q}&limit=100")).await;
    assert_eq!(all["items"].as_array().unwrap().len(), 51);
    let mut seen = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = search(&app, &format!("q={q}&limit=20{cursor}")).await;
        for m in page["items"].as_array().unwrap() {
            seen.push(m["id"].as_str().unwrap().to_owned());
        }
        match page["next_cursor"].as_str() {
            Some(c) => cursor = format!("&cursor={c}"),
            None => break,
        }
    }
    let ids: Vec<&str> = all["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["id"].as_str().unwrap())
        .collect();
    assert_eq!(seen, ids, "three pages give the one list, in order");

    // Price, elderly-friendly (every third generated merchant), contactless, rating, open now.
    let cheap = search(&app, &format!("q={q}&price_max=1200&limit=100")).await;
    for m in cheap["items"].as_array().unwrap() {
        assert!(
            m["matched_services"][0]["price_cents"].as_i64().unwrap() <= 1200,
            "{m}"
        );
    }
    assert!(cheap["items"].as_array().unwrap().len() < 51);
    let elderly = search(&app, &format!("q={q}&elderly_friendly=true&limit=100")).await;
    assert_eq!(elderly["items"].as_array().unwrap().len(), 16, "{elderly}");
    let contactless = search(
        &app,
        &format!("q={}&contactless=true&limit=100", enc("清洗")),
    )
    .await;
    for m in contactless["items"].as_array().unwrap() {
        assert_eq!(
            m["matched_services"][0]["name"], "羽绒服清洗",
            "空调清洗 is a home visit: {m}"
        );
    }
    app.conn()
        .batch_execute(
            "UPDATE merchants SET rating_average = 4.9 WHERE display_name = '山城小面馆'",
        )
        .unwrap();
    let rated = search(&app, &format!("q={q}&min_rating=4.85")).await;
    assert_eq!(rated["items"].as_array().unwrap().len(), 1);
    assert_eq!(rated["items"][0]["display_name"], "山城小面馆");
    app.conn()
        .batch_execute(
            "UPDATE merchants SET opening_hours = '{}' WHERE display_name = '山城小面馆'",
        )
        .unwrap();
    let open = search(&app, &format!("q={}&open_now=true", enc("私厨上门"))).await;
    assert!(
        open["items"].as_array().unwrap().is_empty(),
        "closed every day: {open}"
    );

    for (query, field) in [
        ("q=", "q"),
        ("q=%20%21%21", "q"),
        (&*format!("q={}", enc(&"面".repeat(51))), "q"),
        ("q=a&lat=29.5", "lng"),
        ("q=a&sort=distance", "sort"),
        ("q=a&sort=nearest", "sort"),
        ("q=a&price_min=5&price_max=4", "price_max"),
        ("q=a&price_min=-1", "price_min"),
        ("q=a&min_rating=6", "min_rating"),
        ("q=a&open_now=maybe", "open_now"),
        ("q=a&limit=101", "limit"),
        ("q=a&cursor=xyz", "cursor"),
    ] {
        let res = app.get(&format!("/api/v1/search?{query}")).send().await;
        assert_eq!(
            res.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            res.text
        );
        assert_eq!(
            res.body["errors"][0]["field"], field,
            "{query}: {}",
            res.text
        );
    }
    let page = search(&app, &format!("q={q}&limit=1")).await;
    let cursor = page["next_cursor"].as_str().unwrap();
    let res = app
        .get(&format!("/api/v1/search?q={q}&sort=credit&cursor={cursor}"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(res.body["errors"][0]["field"], "cursor");
}

#[actix_web::test]
async fn search_with_a_point_lists_only_merchants_whose_area_covers_it() {
    let app = seeded().await;
    let far = search(&app, &format!("q={}&lat=31.23&lng=121.47", enc("面"))).await;
    assert!(
        far["items"].as_array().unwrap().is_empty(),
        "Shanghai: {far}"
    );
    let near = search(
        &app,
        &format!(
            "q={}&lat={}&lng={}&sort=distance&limit=100",
            enc("面"),
            JIEFANGBEI.0,
            JIEFANGBEI.1
        ),
    )
    .await;
    let distances: Vec<f64> = near["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["distance_m"].as_f64().unwrap())
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "{distances:?}");
    assert_eq!(distances[0], 0.0);
}

#[actix_web::test]
async fn suggestions_complete_from_merchant_and_service_names_prefixes_first() {
    let app = seeded().await;
    let res = app
        .get(&format!("/api/v1/search/suggest?q={}", enc("空调")))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text);
    assert_eq!(res.body["items"][0]["text"], "空调清洗");
    assert_eq!(res.body["items"][0]["kind"], "service");
    assert_eq!(res.body["items"][0]["uses"], 51);

    let res = app
        .get(&format!("/api/v1/search/suggest?q={}&limit=3", enc("小面")))
        .send()
        .await;
    let texts: Vec<&str> = res.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert_eq!(texts.len(), 3);
    assert!(texts.contains(&"重庆小面"), "{texts:?}");
    let one = app
        .get(&format!("/api/v1/search/suggest?q={}", enc("山城小")))
        .send()
        .await;
    assert_eq!(
        one.body["items"][0]["text"], "山城小面馆",
        "prefix first: {}",
        one.text
    );

    // The terms follow the writes: a suspended merchant's name is gone, a renamed service moves.
    app.conn()
        .batch_execute(
            "UPDATE merchants SET status = 'suspended' WHERE display_name = '山城小面馆';
             UPDATE services SET name = '空调深度清洗' WHERE name = '空调清洗' AND merchant_id IN
                 (SELECT id FROM merchants WHERE display_name = '快修师傅')",
        )
        .unwrap();
    let one = app
        .get(&format!("/api/v1/search/suggest?q={}", enc("山城小面馆")))
        .send()
        .await;
    let texts: Vec<&str> = one.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["text"].as_str().unwrap())
        .collect();
    assert!(!texts.contains(&"山城小面馆"), "{texts:?}");
    assert!(texts.iter().all(|t| t.contains("山城小面馆")), "{texts:?}");
    let ac = app
        .get(&format!("/api/v1/search/suggest?q={}", enc("空调")))
        .send()
        .await;
    assert_eq!(ac.body["items"][0]["uses"], 50, "{}", ac.text);
    assert_eq!(ac.body["items"][1]["text"], "空调深度清洗", "{}", ac.text);

    for (query, field) in [("q=", "q"), ("q=a&limit=21", "limit")] {
        let res = app
            .get(&format!("/api/v1/search/suggest?{query}"))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{query}");
        assert_eq!(res.body["errors"][0]["field"], field);
    }
}

/// Near-first (used where thousands of services match) and text-first answer the same pages:
/// in distance order exactly, in relevance order while at most 200 matches cover the point.
#[actix_web::test]
async fn the_near_first_plan_answers_as_the_text_first_plan_does() {
    use diesel::Connection;
    use lifemarket::catalog::search_query::{self, Search, SearchCursor, SearchSort};
    let app = seeded().await;
    let mut conn = app.conn();
    for (q, short) in [
        ("面", true),
        ("小面", true),
        ("清洗", true),
        ("空调清洗", false),
        ("餐饮", true),
    ] {
        for sort in [SearchSort::Relevance, SearchSort::Distance] {
            let mut after: Option<SearchCursor> = None;
            for page in 0..3 {
                let search = Search {
                    q: q.into(),
                    short,
                    point: Some((29.56, 106.55)),
                    category: None,
                    open_now: false,
                    price_min: None,
                    price_max: None,
                    min_rating: None,
                    elderly_friendly: false,
                    contactless: false,
                    sort,
                    after: after.take(),
                    limit: 6,
                };
                let answer = |near: bool, conn: &mut diesel::PgConnection| {
                    conn.transaction(|conn| search_query::find_planned(conn, &search, near))
                        .unwrap()
                        .into_iter()
                        .map(|h| (h.id, h.relevance, h.distance_m))
                        .collect::<Vec<_>>()
                };
                let text_first = answer(false, &mut conn);
                let near_first = answer(true, &mut conn);
                assert_eq!(near_first, text_first, "{q} {sort:?} page {page}");
                let Some(&(id, relevance, distance)) = text_first.get(4) else {
                    break;
                };
                after = Some(match sort {
                    SearchSort::Distance => SearchCursor::Distance(distance.unwrap(), id),
                    _ => SearchCursor::Relevance(relevance, id),
                });
            }
        }
    }
}
