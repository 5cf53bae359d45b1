#!/usr/bin/env bash
# bench/explain-search.sh — EXPLAIN (ANALYZE, BUFFERS) of every search and suggestion query shape
# on generated data: EXPLAIN_MERCHANTS approved merchants (default 100000) with ten active services
# each, in Chongqing, in a scratch database `explain_search` of the bench PostgreSQL
# (bench/common.sh: BENCH_PG_DIR, BENCH_PG_PORT). The statements are those the code sends, printed
# by `cargo test --lib search_statements -- --nocapture` (src/catalog/search_query.rs) with their
# binds written in; suggestions as in src/catalog/suggest.rs. Output: bench/results/explain-search-*.txt.
# EXPLAIN_KEEP=1 keeps the database (it is rebuilt when its merchant count differs).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

N=${EXPLAIN_MERCHANTS:-100000}
[[ $N =~ ^[0-9]+$ ]] || die "EXPLAIN_MERCHANTS must be a number"
DB=explain_search
URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB"
mkdir -p bench/results
OUT=bench/results/explain-search-$(date -u +%Y%m%dT%H%M%SZ).txt

WORK_SQL=$(mktemp /tmp/explain-search.XXXXXX.sql)
trap 'rm -f -- "$WORK_SQL"' EXIT

pg_require
bench_pg_start

have=$(psql_q "$URL" -c "SELECT count(*) FROM merchants" 2>/dev/null || true)
if [[ $have != "$N" ]]; then
    log "building $DB: $N merchants, $((N * 10)) services"
    psql_q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" \
        -c "CREATE DATABASE $DB TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    for f in migrations/*/up.sql; do
        psql_q "$URL" -c 'SET client_min_messages = warning' -f "$f" >/dev/null
    done
    psql_q "$URL" -f - <<SQL
SET synchronous_commit = off;
ALTER TABLE services DISABLE TRIGGER services_search_terms;
ALTER TABLE merchants DISABLE TRIGGER merchants_search_terms;
INSERT INTO users (id, email, password_hash, display_name, created_at, updated_at)
SELECT md5('x-owner-' || g)::uuid, 'x-owner-' || g || '@x.local', 'x', '店主', now(), now()
FROM generate_series(1, $N) g;
INSERT INTO merchants (id, owner_id, status, legal_name, display_name, description, credit_code,
    licence_expires_on, contact_phone, address, district, lat, lng, service_radius_m, opening_hours,
    credit_score, rating_count, rating_average, created_at, updated_at)
SELECT md5('x-merchant-' || g)::uuid, md5('x-owner-' || g)::uuid, 'approved', '重庆第' || g || '号公司',
       (ARRAY['渝中', '江北', '南岸', '沙坪坝', '九龙坡', '渝北'])[1 + g % 6]
         || (ARRAY['山城', '巴渝', '嘉陵', '两江', '老街', '磁器口', '南山', '朝天门'])[1 + (g / 6) % 8]
         || (ARRAY[ARRAY['小面馆', '火锅', '抄手店', '串串香'], ARRAY['家政', '保洁', '月嫂', '家庭服务'],
                   ARRAY['洗衣坊', '干洗店', '洗护中心', '洗衣'], ARRAY['维修', '快修', '家电维修', '水电维修']])[1 + g % 4][1 + (g / 4) % 4]
         || g || '号店',
       '', '91350100M000100Y43', DATE '2030-12-31', '023-60000000', '重庆市', '渝中区',
       29.55 + 0.035 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),
       106.55 + 0.040 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),
       3000 + floor(random() * 7001)::int, '{"mon": [["00:00", "24:00"]]}'::jsonb,
       600 + floor(random() * 400)::int, 10, 3 + 2 * random(), now(), now()
FROM generate_series(1, $N) g;
INSERT INTO merchant_categories (merchant_id, category)
SELECT md5('x-merchant-' || g)::uuid, (ARRAY['catering', 'housekeeping', 'laundry', 'repair'])[1 + g % 4]
FROM generate_series(1, $N) g;
INSERT INTO services (id, merchant_id, category, fulfilment, name, description, price_cents, price_unit,
                      duration_minutes, elderly_friendly, created_at, updated_at)
SELECT md5('x-service-' || g || '-' || k)::uuid, md5('x-merchant-' || g)::uuid,
       (ARRAY['catering', 'housekeeping', 'laundry', 'repair'])[1 + g % 4],
       (ARRAY['delivery', 'home_visit', 'pickup_return', 'home_visit'])[1 + g % 4],
       (ARRAY['', '招牌', '特价', '精品', '家庭', '经典', '优选', '加急', '老字号', '套餐'])[k]
         || (ARRAY[ARRAY['重庆小面', '酸辣粉', '红油抄手', '豌杂面'], ARRAY['日常保洁', '深度清洁', '擦玻璃', '做饭'],
                   ARRAY['衬衫干洗', '羽绒服清洗', '西装干洗', '洗鞋'], ARRAY['空调清洗', '家电上门维修', '水管疏通', '开锁']])[1 + g % 4][1 + (g + k) % 4],
       '', 1000 + (g * k) % 50000, 'per_visit', CASE WHEN g % 4 IN (1, 3) THEN 60 END, g % 3 = 0, now(), now()
FROM generate_series(1, $N) g CROSS JOIN generate_series(1, 10) k;
ALTER TABLE services ENABLE TRIGGER services_search_terms;
ALTER TABLE merchants ENABLE TRIGGER merchants_search_terms;
INSERT INTO search_terms (term, kind, uses)
SELECT display_name, 'merchant', count(*) FROM merchants WHERE status = 'approved' GROUP BY display_name;
INSERT INTO search_terms (term, kind, uses)
SELECT name, 'service', count(*) FROM services WHERE active GROUP BY name;
SQL
    psql_q "$URL" -c "VACUUM ANALYZE"
fi

# The statements the code sends, binds written in.
# EXPLAIN_STATEMENTS_FROM: a file with that output instead (say, while cargo is busy).
if [[ -n ${EXPLAIN_STATEMENTS_FROM:-} ]]; then
    STATEMENTS=$(grep -E '^(WITH|SELECT)' "$EXPLAIN_STATEMENTS_FROM")
else
    STATEMENTS=$(cargo test --locked --quiet --lib search_statements -- --nocapture 2>/dev/null | grep -E '^(WITH|SELECT)')
fi
[[ -n $STATEMENTS ]] || die "no statements from cargo test --lib search_statements"
{
    printf 'EXPLAIN (ANALYZE, BUFFERS) of search on %s merchants and %s services (%s)\n\n' \
        "$(psql_q "$URL" -c "SELECT count(*) FROM merchants")" \
        "$(psql_q "$URL" -c "SELECT count(*) FROM services")" "$(date -u +%FT%TZ)"
    while IFS= read -r line; do
        python3 - "$line" <<'PY' >"$WORK_SQL"
import json, re, sys
sql, binds = sys.argv[1].rsplit(" -- binds: ", 1)
values = []
for raw in re.findall(r'"[^"]*"|[^,\[\] ]+', binds):
    if raw.startswith('"'):
        values.append("'" + json.loads(raw).replace("'", "''") + "'")
    elif raw == "None":
        values.append("NULL")
    else:
        values.append(raw)
casts = {5: "::bigint", 6: "::bigint", 9: "::text", 1: "::float8", 2: "::float8"}
for i in range(len(values), 0, -1):
    sql = sql.replace(f"${i}", values[i - 1] + casts.get(i, ""))
print("EXPLAIN (ANALYZE, BUFFERS) " + sql + ";")
PY
        printf -- '--- %s\n' "$(sed -n 's/.*binds: //p' <<<"$line")"
        psql_q "$URL" -f "$WORK_SQL" 2>&1 || printf '(failed or timed out: PGOPTIONS sets statement_timeout)\n'
        { psql_q "$URL" -f "$WORK_SQL" 2>/dev/null || true; } | grep -E 'Execution Time' | sed 's/^/again: /' || true
        printf '\n'
    done <<<"$STATEMENTS"
    for q in 空 小面 空调清; do
        printf -- '--- suggest %s (prefix)\n' "$q"
        psql_q "$URL" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT term AS text, kind, uses FROM search_terms WHERE search_fold(term) LIKE search_fold('$q') || '%' ORDER BY uses DESC, term LIMIT 8"
        printf -- '--- suggest %s (contains)\n' "$q"
        psql_q "$URL" -c "EXPLAIN (ANALYZE, BUFFERS) SELECT term AS text, kind, uses FROM search_terms WHERE search_grams(term) @> search_grams(search_fold('$q')) AND strpos(search_fold(term), search_fold('$q')) > 1 ORDER BY uses DESC, term LIMIT 8"
    done
} | tee "$OUT"
[[ ${EXPLAIN_KEEP:-0} == 1 ]] || psql_q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
log "plans written to $OUT"
