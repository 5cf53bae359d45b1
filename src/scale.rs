//! Scale data for benchmarks: `lifemarket seed --scale N` creates N approved merchants spread
//! over Chongqing's districts, with categories, services, workers and their weekly schedules,
//! booking and order settings, consumers with addresses, and a history of bookings, orders and
//! reviews (about 100 rows per merchant).
//!
//! Everything is generated inside PostgreSQL by set-based statements
//! (`INSERT ... SELECT ... FROM generate_series(...)`), in one transaction, so 10k merchants take
//! well under a minute. Ids are `md5(...)::uuid` of a stable label, so a run is reproducible in
//! its ids (positions, ratings and radii are random). One argon2 hash is computed and shared by
//! every generated user: they all sign in with [`SCALE_PASSWORD`].
//!
//! Not idempotent by design: it refuses to run when scale data is already there (drop the
//! database, or use a fresh one, to seed again).

use chrono::Utc;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::PgConnection;

use crate::crypto::Passwords;
use crate::error::{AppError, AppResult};
use uuid::Uuid;

/// The password of every generated account.
pub const SCALE_PASSWORD: &str = "scale-user-pass";
/// The mail domain of every generated account.
pub const SCALE_DOMAIN: &str = "scale.lifemarket.local";
/// Bookings or orders in each merchant's history; two in three completed ones are reviewed.
pub const HISTORY_PER_MERCHANT: i64 = 60;

/// What was created.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScaleReport {
    pub merchants: i64,
    pub consumers: i64,
    pub workers: i64,
    pub services: i64,
    pub bookings: i64,
    pub orders: i64,
    pub reviews: i64,
}

impl std::fmt::Display for ScaleReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} merchants, {} consumers, {} workers, {} services, {} bookings, {} orders, {} reviews",
            self.merchants,
            self.consumers,
            self.workers,
            self.services,
            self.bookings,
            self.orders,
            self.reviews
        )
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut PgConnection, sql: &str) -> QueryResult<i64> {
    diesel::sql_query(sql)
        .get_result::<Count>(conn)
        .map(|c| c.n)
}

/// A weekly schedule (or opening hours): the same intervals on the given days.
fn weekly(days: &[&str], intervals: &[(&str, &str)]) -> String {
    let spans: Vec<String> = intervals
        .iter()
        .map(|(a, b)| format!("[\"{a}\",\"{b}\"]"))
        .collect();
    let body: Vec<String> = days
        .iter()
        .map(|d| format!("\"{d}\":[{}]", spans.join(",")))
        .collect();
    format!("'{{{}}}'::jsonb", body.join(","))
}

const ALL_DAYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const WEEKDAYS: [&str; 5] = ["mon", "tue", "wed", "thu", "fri"];

/// The generating SQL for `n` merchants and `c` consumers; `hash` is the shared password hash.
fn script(n: i64, c: i64, hash: &str) -> String {
    let hash = hash.replace('\'', "''");
    let h = HISTORY_PER_MERCHANT;
    let open_24h = weekly(&ALL_DAYS, &[("00:00", "24:00")]);
    let open_day = weekly(&ALL_DAYS, &[("09:00", "22:00")]);
    let open_shop = weekly(&ALL_DAYS, &[("08:00", "20:00")]);
    let sched_1 = weekly(&ALL_DAYS[..6], &[("09:00", "18:00")]);
    let sched_2 = weekly(&WEEKDAYS, &[("08:00", "12:00"), ("13:00", "20:00")]);
    let sched_3 = weekly(&ALL_DAYS, &[("10:00", "22:00")]);
    let domain = SCALE_DOMAIN;
    format!(
        r#"
SET LOCAL synchronous_commit = off;

CREATE TEMP TABLE scale_district (n int PRIMARY KEY, name text, short text, lat float8, lng float8, upto int) ON COMMIT DROP;
-- District centres; `upto` is the cumulative share (percent) of merchants and consumers.
INSERT INTO scale_district VALUES
    (1, '渝中区', '渝中', 29.556, 106.568, 15),
    (2, '江北区', '江北', 29.606, 106.574, 29),
    (3, '南岸区', '南岸', 29.523, 106.644, 41),
    (4, '沙坪坝区', '沙坪坝', 29.541, 106.457, 53),
    (5, '九龙坡区', '九龙坡', 29.502, 106.511, 66),
    (6, '大渡口区', '大渡口', 29.484, 106.482, 71),
    (7, '渝北区', '渝北', 29.718, 106.631, 86),
    (8, '巴南区', '巴南', 29.402, 106.540, 93),
    (9, '北碚区', '北碚', 29.825, 106.437, 100);

CREATE TEMP TABLE scale_cat (n int PRIMARY KEY, code text, suffix text[]) ON COMMIT DROP;
INSERT INTO scale_cat VALUES
    (0, 'catering', ARRAY['小面馆', '火锅', '抄手店', '豆花饭', '串串香']),
    (1, 'housekeeping', ARRAY['家政', '保洁', '月嫂家政', '家庭服务']),
    (2, 'laundry', ARRAY['洗衣坊', '干洗店', '洗护中心']),
    (3, 'repair', ARRAY['维修', '快修', '家电维修', '水电维修']);

-- Service templates per category: k, name, fulfilment, price, unit, duration, capacity.
CREATE TEMP TABLE scale_tpl (cat int, k int, name text, fulfilment text, price bigint, unit text,
                             duration int, capacity int, PRIMARY KEY (cat, k)) ON COMMIT DROP;
INSERT INTO scale_tpl VALUES
    (0, 1, '重庆小面', 'delivery', 1200, 'per_item', NULL, NULL),
    (0, 2, '酸辣粉', 'delivery', 1000, 'per_item', NULL, NULL),
    (0, 3, '红油抄手', 'delivery', 1500, 'per_item', NULL, NULL),
    (0, 4, '四人桌预订', 'in_store', 0, 'per_visit', 90, 6),
    (1, 1, '日常保洁 2 小时', 'home_visit', 10000, 'per_visit', 120, NULL),
    (1, 2, '深度清洁', 'home_visit', 39900, 'per_visit', 240, NULL),
    (1, 3, '擦玻璃', 'home_visit', 8000, 'per_visit', 90, NULL),
    (2, 1, '衬衫干洗', 'pickup_return', 1500, 'per_item', NULL, NULL),
    (2, 2, '羽绒服清洗', 'pickup_return', 4500, 'per_item', NULL, NULL),
    (2, 3, '西装干洗', 'pickup_return', 3000, 'per_item', NULL, NULL),
    (3, 1, '空调清洗', 'home_visit', 12000, 'per_visit', 90, NULL),
    (3, 2, '家电上门维修', 'home_visit', 8000, 'per_visit', 120, NULL),
    (3, 3, '水管疏通', 'home_visit', 6000, 'per_visit', 60, NULL);

-- One row per merchant with its random draws, so that every table below agrees on them.
CREATE TEMP TABLE scale_gen ON COMMIT DROP AS
SELECT g,
       md5('scale-merchant-' || g)::uuid AS id,
       md5('scale-owner-' || g)::uuid AS owner_id,
       (SELECT min(n) FROM scale_district WHERE g % 100 < upto) AS district_n,
       g % 4 AS cat,
       random() AS u1, random() AS u2, random() AS u3, random() AS u4,
       random() AS u_radius
FROM generate_series(1, {n}) AS g;
ALTER TABLE scale_gen ADD PRIMARY KEY (g);

CREATE TEMP TABLE scale_consumer ON COMMIT DROP AS
SELECT k,
       md5('scale-consumer-' || k)::uuid AS id,
       (SELECT min(n) FROM scale_district WHERE (k * 7) % 100 < upto) AS district_n,
       random() AS u1, random() AS u2
FROM generate_series(1, {c}) AS k;

INSERT INTO users (id, email, password_hash, display_name, phone, created_at, updated_at)
SELECT owner_id, 'scale-owner-' || g || '@{domain}', '{hash}', '店主' || g,
       '13' || lpad((g % 1000000000)::text, 9, '0'),
       now() - interval '400 days', now() - interval '400 days'
FROM scale_gen;

INSERT INTO users (id, email, password_hash, display_name, phone, created_at, updated_at)
SELECT id, 'scale-consumer-' || k || '@{domain}', '{hash}', '顾客' || k,
       '15' || lpad((k % 1000000000)::text, 9, '0'),
       now() - interval '200 days', now() - interval '200 days'
FROM scale_consumer;

INSERT INTO addresses (id, user_id, label, recipient_name, phone, text, lat, lng, drop_point_note, created_at)
SELECT md5('scale-address-' || k)::uuid, sc.id, '家', '顾客' || k,
       '15' || lpad((k % 1000000000)::text, 9, '0'),
       '重庆市' || d.name || '幸福路' || (k % 300 + 1) || '号' || (k % 20 + 1) || '栋',
       d.lat + 0.02 * (sc.u1 - 0.5), d.lng + 0.02 * (sc.u2 - 0.5), '门口鞋柜',
       now() - interval '200 days'
FROM scale_consumer sc JOIN scale_district d ON d.n = sc.district_n;

INSERT INTO merchants (
    id, owner_id, status, legal_name, display_name, description, credit_code, licence_expires_on,
    food_permit_no, contact_phone, address, district, lat, lng, service_radius_m, opening_hours,
    submitted_at, decided_at, created_at, updated_at)
SELECT gen.id, gen.owner_id, 'approved',
       '重庆' || d.short || '第' || gen.g || '号生活服务有限公司',
       d.short || (ARRAY['山城', '巴渝', '嘉陵', '两江', '老街', '磁器口', '南山', '朝天门'])[1 + gen.g % 8]
           || c.suffix[1 + (gen.g / 4) % array_length(c.suffix, 1)] || gen.g || '号店',
       '服务' || d.name || '及周边',
       '91350100M000100Y43',
       DATE '2030-12-31',
       CASE WHEN gen.cat = 0 THEN 'JY' || lpad(gen.g::text, 14, '0') END,
       '023-6' || lpad((gen.g % 10000000)::text, 7, '0'),
       '重庆市' || d.name || (ARRAY['民生路', '建新北路', '南坪正街', '天星桥正街', '杨家坪步行街', '松青路', '金开大道', '龙洲湾路', '天生路'])[d.n] || (gen.g % 500 + 1) || '号',
       d.name,
       -- about 3.9 km standard deviation around the district centre (Box-Muller)
       d.lat + 0.035 * sqrt(-2 * ln(1 - gen.u1)) * cos(2 * pi() * gen.u2),
       d.lng + 0.040 * sqrt(-2 * ln(1 - gen.u3)) * cos(2 * pi() * gen.u4),
       3000 + floor(gen.u_radius * 7001)::int,
       CASE WHEN gen.g % 8 < 2 THEN {open_24h} WHEN gen.cat = 0 THEN {open_day} ELSE {open_shop} END,
       now() - interval '300 days', now() - interval '299 days',
       now() - interval '301 days', now() - interval '299 days'
FROM scale_gen gen
JOIN scale_district d ON d.n = gen.district_n
JOIN scale_cat c ON c.n = gen.cat;

INSERT INTO merchant_categories (merchant_id, category)
SELECT gen.id, c.code FROM scale_gen gen JOIN scale_cat c ON c.n = gen.cat;

INSERT INTO merchant_members (merchant_id, user_id, role, created_at)
SELECT id, owner_id, 'owner', now() - interval '301 days' FROM scale_gen;

-- Three workers each; the third of a catering or laundry merchant also delivers.
INSERT INTO workers (id, merchant_id, name, phone, skills, created_at, updated_at)
SELECT md5('scale-worker-' || gen.g || '-' || k)::uuid, gen.id,
       (ARRAY['张', '王', '李', '刘', '陈', '杨', '黄', '赵', '周', '吴'])[1 + (gen.g + k) % 10]
           || CASE WHEN gen.cat = 1 THEN '阿姨' ELSE '师傅' END,
       '18' || lpad(((gen.g * 3 + k) % 1000000000)::text, 9, '0'),
       CASE WHEN k = 3 AND gen.cat IN (0, 2) THEN ARRAY[c.code, 'courier'] ELSE ARRAY[c.code] END,
       now() - interval '300 days' + k * interval '1 minute', now() - interval '300 days'
FROM scale_gen gen JOIN scale_cat c ON c.n = gen.cat CROSS JOIN generate_series(1, 3) AS k;

INSERT INTO worker_schedules (worker_id, weekly)
SELECT md5('scale-worker-' || gen.g || '-' || k)::uuid,
       CASE k WHEN 1 THEN {sched_1} WHEN 2 THEN {sched_2} ELSE {sched_3} END
FROM scale_gen gen CROSS JOIN generate_series(1, 3) AS k;

INSERT INTO booking_settings (merchant_id, auto_accept, min_notice_minutes, horizon_days, buffer_minutes, slot_step_minutes)
SELECT id, g % 2 = 0, 60, 30, CASE WHEN cat = 1 THEN 30 ELSE 0 END, 30 FROM scale_gen;

INSERT INTO order_settings (merchant_id, min_order_cents, packaging_fee_cents, delivery_fee_cents, accept_within_minutes, prep_minutes)
SELECT id,
       CASE WHEN cat = 0 THEN 2000 ELSE 0 END,
       CASE WHEN cat = 0 THEN 100 ELSE 0 END,
       CASE WHEN cat = 0 THEN 300 ELSE 500 END,
       10, CASE WHEN cat = 0 THEN 20 ELSE 60 END
FROM scale_gen;

INSERT INTO services (id, merchant_id, category, fulfilment, name, description, price_cents, price_unit,
                      duration_minutes, capacity, elderly_friendly, created_at, updated_at)
SELECT md5('scale-service-' || gen.g || '-' || t.k)::uuid, gen.id, c.code, t.fulfilment, t.name,
       '', t.price + (gen.g % 5) * 100 * (t.price > 0)::int, t.unit, t.duration, t.capacity,
       gen.g % 3 = 0, now() - interval '300 days' + t.k * interval '1 minute', now() - interval '300 days'
FROM scale_gen gen JOIN scale_cat c ON c.n = gen.cat JOIN scale_tpl t ON t.cat = gen.cat;

-- History: housekeeping and repair merchants have past home visits, catering and laundry
-- merchants past orders; one in ten was cancelled.
INSERT INTO bookings (id, consumer_id, merchant_id, service_id, worker_id, kind, status, starts_at, ends_at,
                      blocked, service_name, price_cents, address_text, address_lat, address_lng,
                      contact_name, contact_phone, cancelled_by, version, created_at, updated_at)
SELECT md5('scale-booking-' || gen.g || '-' || j)::uuid,
       md5('scale-consumer-' || (1 + (gen.g * 31 + j * 7) % {c}))::uuid,
       gen.id,
       md5('scale-service-' || gen.g || '-' || t.k)::uuid,
       md5('scale-worker-' || gen.g || '-' || (1 + j % 3))::uuid,
       'home_visit',
       CASE WHEN j % 10 = 0 THEN 'cancelled' ELSE 'completed' END,
       s.st, s.st + t.duration * interval '1 minute',
       tstzrange(s.st, s.st + t.duration * interval '1 minute'),
       t.name, t.price,
       '重庆市' || gen.district_n || '号小区' || (j % 30 + 1) || '栋', 29.55, 106.55,
       '顾客', '13900000000',
       CASE WHEN j % 10 = 0 THEN 'consumer' END,
       2, s.st - interval '2 days', s.st + interval '1 day'
FROM scale_gen gen
CROSS JOIN generate_series(1, {h}) AS j
JOIN scale_tpl t ON t.cat = gen.cat AND t.k = 1 + j % 3
CROSS JOIN LATERAL (SELECT date_trunc('hour', now()) - j * interval '29 hours' - (gen.g % 7) * interval '1 hour' AS st) s
WHERE gen.cat IN (1, 3);

INSERT INTO orders (id, consumer_id, merchant_id, kind, status, recipient_name, recipient_phone, address_text,
                    address_lat, address_lng, drop_point_note, delivery_mode, subtotal_cents, packaging_cents,
                    delivery_fee_cents, total_cents, pin, delivered_at, version, created_at)
SELECT md5('scale-order-' || gen.g || '-' || j)::uuid,
       md5('scale-consumer-' || (1 + (gen.g * 31 + j * 7) % {c}))::uuid,
       gen.id,
       CASE WHEN gen.cat = 0 THEN 'delivery' ELSE 'pickup_return' END,
       CASE WHEN j % 10 = 0 THEN 'cancelled' ELSE 'completed' END,
       '顾客', '13900000000', '重庆市' || gen.district_n || '号小区' || (j % 30 + 1) || '栋',
       29.55, 106.55, '门口鞋柜', CASE WHEN j % 4 = 0 THEN 'in_person' ELSE 'contactless' END,
       q.sub, q.pack, q.fee, q.sub + q.pack + q.fee,
       lpad(((gen.g * 7 + j) % 10000)::text, 4, '0'),
       CASE WHEN j % 10 <> 0 THEN s.at + interval '40 minutes' END,
       4, s.at
FROM scale_gen gen
CROSS JOIN generate_series(1, {h}) AS j
JOIN scale_tpl t ON t.cat = gen.cat AND t.k = 1 + j % 3
CROSS JOIN LATERAL (SELECT now() - j * interval '23 hours' - (gen.g % 11) * interval '1 hour' AS at) s
CROSS JOIN LATERAL (SELECT t.price * (1 + j % 3) AS sub,
                           CASE WHEN gen.cat = 0 THEN 100 ELSE 0 END AS pack,
                           CASE WHEN gen.cat = 0 THEN 300 ELSE 500 END AS fee) q
WHERE gen.cat IN (0, 2);

INSERT INTO order_items (id, order_id, service_id, name, unit_price_cents, price_unit, quantity, line_total_cents)
SELECT md5('scale-order-item-' || gen.g || '-' || j)::uuid,
       md5('scale-order-' || gen.g || '-' || j)::uuid,
       md5('scale-service-' || gen.g || '-' || t.k)::uuid,
       t.name, t.price, t.unit, 1 + j % 3, t.price * (1 + j % 3)
FROM scale_gen gen
CROSS JOIN generate_series(1, {h}) AS j
JOIN scale_tpl t ON t.cat = gen.cat AND t.k = 1 + j % 3
WHERE gen.cat IN (0, 2);

-- Two in three completed bookings and orders are reviewed by their consumer.
INSERT INTO reviews (id, author_id, merchant_id, booking_id, order_id, rating, quality, punctuality, hygiene,
                     body, status, created_at, updated_at)
SELECT md5('scale-review-' || gen.g || '-' || j)::uuid,
       md5('scale-consumer-' || (1 + (gen.g * 31 + j * 7) % {c}))::uuid,
       gen.id,
       CASE WHEN gen.cat IN (1, 3) THEN md5('scale-booking-' || gen.g || '-' || j)::uuid END,
       CASE WHEN gen.cat IN (0, 2) THEN md5('scale-order-' || gen.g || '-' || j)::uuid END,
       r.rating, r.rating, greatest(1, r.rating - (j % 2)), r.rating,
       (ARRAY['师傅很准时，服务很细致，下次还找他们。', '味道巴适，分量足。', '价格实惠，态度好。',
              '有点慢，不过结果满意。', '一般般，还有改进的地方。', '非常专业，推荐！'])[1 + (gen.g + j) % 6],
       'published',
       now() - j * interval '23 hours' + interval '3 hours',
       now() - j * interval '23 hours' + interval '3 hours'
FROM scale_gen gen
CROSS JOIN generate_series(1, {h}) AS j
CROSS JOIN LATERAL (SELECT CASE WHEN (gen.g * 13 + j * 5) % 17 = 0 THEN 2
                                WHEN (gen.g * 13 + j * 5) % 7 = 0 THEN 3
                                WHEN (gen.g + j) % 3 = 0 THEN 4 ELSE 5 END::smallint AS rating) r
WHERE j % 10 <> 0 AND j % 3 <> 0;

UPDATE merchants m SET rating_count = r.n, rating_average = r.avg
FROM (SELECT merchant_id, count(*)::int AS n, round(avg(rating), 2)::float8 AS avg
      FROM reviews WHERE status = 'published' GROUP BY merchant_id) r
WHERE m.id = r.merchant_id AND m.id IN (SELECT id FROM scale_gen);
"#
    )
}

/// Whether scale data is already in the database.
pub fn exists(conn: &mut PgConnection) -> AppResult<bool> {
    Ok(count(
        conn,
        &format!("SELECT count(*) AS n FROM users WHERE email = 'scale-owner-1@{SCALE_DOMAIN}'"),
    )? > 0)
}

/// Seeds `merchants` merchants (and twice as many consumers, at least 20). Refuses when scale
/// data already exists.
pub fn seed(
    conn: &mut PgConnection,
    passwords: &Passwords,
    merchants: i64,
) -> AppResult<ScaleReport> {
    if !(1..=1_000_000).contains(&merchants) {
        return Err(AppError::internal("--scale must be 1 to 1000000"));
    }
    if exists(conn)? {
        return Err(AppError::internal(
            "scale data already exists in this database (scale-owner-1@scale.lifemarket.local); \
             seed a fresh database to change its size",
        ));
    }
    let consumers = (merchants * 2).max(20);
    let hash = passwords.hash(SCALE_PASSWORD)?;
    let sql = script(merchants, consumers, &hash);
    // The connection's statement timeout is meant for requests, not for bulk generation.
    conn.batch_execute("SET statement_timeout = 0")?;
    conn.transaction(|conn| conn.batch_execute(&sql))?;
    // Fresh statistics, so the first benchmark query is planned on the real sizes.
    conn.batch_execute("ANALYZE")?;
    let scale = |table: &str, column: &str| {
        format!(
            "SELECT count(*) AS n FROM {table} t JOIN users u ON u.id = t.{column} \
             WHERE u.email LIKE 'scale-%@{SCALE_DOMAIN}'"
        )
    };
    Ok(ScaleReport {
        merchants: count(conn, &scale("merchants", "owner_id"))?,
        consumers: count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM users WHERE email LIKE 'scale-consumer-%@{SCALE_DOMAIN}'"
            ),
        )?,
        workers: count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM workers w JOIN merchants m ON m.id = w.merchant_id \
                 JOIN users u ON u.id = m.owner_id WHERE u.email LIKE 'scale-%@{SCALE_DOMAIN}'"
            ),
        )?,
        services: count(
            conn,
            &format!(
                "SELECT count(*) AS n FROM services s JOIN merchants m ON m.id = s.merchant_id \
                 JOIN users u ON u.id = m.owner_id WHERE u.email LIKE 'scale-%@{SCALE_DOMAIN}'"
            ),
        )?,
        bookings: count(conn, &scale("bookings", "consumer_id"))?,
        orders: count(conn, &scale("orders", "consumer_id"))?,
        reviews: count(conn, &scale("reviews", "author_id"))?,
    })
}

/// Benchmark data for payment notifications: `n` fresh orders of scale consumers awaiting their
/// payment (copies of completed scale orders), each with a pending WeChat Pay payment, and for
/// each the notification WeChat Pay would send (signed with the sandbox's platform key and
/// encrypted with its APIv3 key, timestamped now), written to `out` as request lines for
/// `bench/requests.lua`: `POST`, the path, `-`, the body, and the `Wechatpay-*` headers joined by
/// `|`. Returns how many were written.
pub fn payment_notices(
    conn: &mut PgConnection,
    keys: &crate::sandbox::SandboxKeys,
    ids: &crate::sandbox::WechatIds,
    n: i64,
    out: &mut impl std::io::Write,
) -> AppResult<usize> {
    use diesel::sql_types::Text;
    #[derive(QueryableByName)]
    struct Due {
        #[diesel(sql_type = Text)]
        out_trade_no: String,
        #[diesel(sql_type = BigInt)]
        amount_cents: i64,
    }
    let run = Uuid::now_v7().simple().to_string();
    conn.batch_execute("SET statement_timeout = 0")?;
    let due: Vec<Due> = conn.transaction(|conn| {
        diesel::sql_query(
            "INSERT INTO orders (id, consumer_id, merchant_id, kind, status, recipient_name, recipient_phone,
                                 address_text, address_lat, address_lng, drop_point_note, delivery_mode,
                                 subtotal_cents, packaging_cents, delivery_fee_cents, total_cents, pin, version,
                                 created_at)
             SELECT md5('bench-notify-order-' || $1 || '-' || o.n)::uuid, o.consumer_id, o.merchant_id, o.kind,
                    'awaiting_payment', o.recipient_name, o.recipient_phone, o.address_text, o.address_lat,
                    o.address_lng, o.drop_point_note, o.delivery_mode, o.subtotal_cents, o.packaging_cents,
                    o.delivery_fee_cents, o.total_cents, o.pin, 1, now()
             FROM (SELECT row_number() OVER () AS n, * FROM orders WHERE status = 'completed' LIMIT $2) o",
        )
        .bind::<Text, _>(&run)
        .bind::<BigInt, _>(n)
        .execute(conn)?;
        diesel::sql_query(
            "INSERT INTO payments (id, subject_kind, subject_id, consumer_id, merchant_id, method, out_trade_no,
                                   amount_cents, status, expires_at, created_at)
             SELECT md5('bench-notify-pay-' || o.id)::uuid, 'order', o.id, o.consumer_id, o.merchant_id,
                    'wechat', md5('bench-notify-pay-' || o.id), o.total_cents, 'pending',
                    now() + interval '1 day', now()
             FROM orders o WHERE o.status = 'awaiting_payment' AND o.id IN
                  (SELECT md5('bench-notify-order-' || $1 || '-' || g)::uuid FROM generate_series(1, $2) g)
             RETURNING out_trade_no, amount_cents",
        )
        .bind::<Text, _>(&run)
        .bind::<BigInt, _>(n)
        .load(conn)
    })?;
    let now = Utc::now();
    for (i, d) in due.iter().enumerate() {
        let event = Uuid::now_v7().to_string();
        let resource = serde_json::json!({
            "appid": ids.appid, "mchid": ids.mchid, "out_trade_no": d.out_trade_no,
            // Unique across runs: the provider never gives two payments one transaction.
            "transaction_id": format!("4200{}{i:08}", &run[16..]),
            "trade_type": "APP", "trade_state": "SUCCESS", "trade_state_desc": "支付成功",
            "success_time": crate::pay::wechat::format_time(now),
            "amount": {"total": d.amount_cents, "payer_total": d.amount_cents, "currency": "CNY", "payer_currency": "CNY"},
        });
        let nonce = format!("{:012}", i % 1_000_000_000_000);
        let body = crate::sandbox::notify::wechat_envelope(
            keys.apiv3_key.expose(),
            &event,
            "TRANSACTION.SUCCESS",
            &resource.to_string(),
            &nonce,
            "transaction",
        )?;
        let headers = crate::sandbox::notify::wechat_headers(
            &keys.wechat_platform,
            &ids.platform_key_id,
            now.timestamp(),
            &event.replace('-', ""),
            body.as_bytes(),
        )?;
        let headers: Vec<String> = headers.iter().map(|(k, v)| format!("{k}: {v}")).collect();
        writeln!(
            out,
            "POST\t/api/v1/payments/notify/wechat\t-\t{body}\t{}",
            headers.join("|")
        )
        .map_err(AppError::internal)?;
    }
    Ok(due.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekly_builds_a_json_literal() {
        assert_eq!(
            weekly(&["mon", "tue"], &[("09:00", "12:00"), ("13:00", "18:00")]),
            r#"'{"mon":[["09:00","12:00"],["13:00","18:00"]],"tue":[["09:00","12:00"],["13:00","18:00"]]}'::jsonb"#
        );
    }
}
