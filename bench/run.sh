#!/usr/bin/env bash
# bench/run.sh — load benchmark of the release build against a seeded database, each scenario
# printed beside its ceiling (the same SQL through pgbench at the same concurrency).
#
#   bench/run.sh                                # 10k merchants
#   BENCH_SCALES="1000 10000 100000" bench/run.sh
#
# What it does, from a clean checkout:
#   1. cargo build --release --locked (CARGO_TARGET_DIR is honoured);
#   2. its own PostgreSQL instance on tmpfs (BENCH_PG_DIR, default /dev/shm/lifemarket-bench-pg,
#      port BENCH_PG_PORT, default 55532), left running for the next run (BENCH_STOP_PG=1 stops it);
#   3. per scale: database bench_<N>, migrated and seeded with `seed --demo --scale N` (reused when
#      it already holds that scale; BENCH_RESEED=1 rebuilds it);
#   4. the release server (RUN_WORKER_IN_SERVER=false, DB_POOL_SIZE=BENCH_POOL, default 4: about
#      2 x cores, see docs/performance.md) on 127.0.0.1:BENCH_APP_PORT (default 18080), tokens of
#      8 generated consumers;
#   5. wrk (bench/requests.lua) through each scenario for BENCH_DURATION seconds (default 10) at
#      each of BENCH_CONCURRENCY connections (default 8; a list such as "4 8 16 32" sweeps them to
#      find the peak), then pgbench with bench/sql/<scenario>.sql at the same concurrency (in the
#      protocol bench/sql/<scenario>.mode names, default prepared); the
#      server's peak RSS (VmHWM);
#   6. a table of all figures, also written to bench/results/<UTC time>.txt.
# BENCH_SKIP_BUILD=1 uses the release binary already built (all three bench scripts).
# BENCH_PERF=1 records each wrk run with `perf record -a -g` (bench/results/perf-*.data) and prints
# the CPU split by program and the server's hottest functions.
#
# Needs: wrk (installed with apt-get when missing and root), pgbench and PostgreSQL 15, curl, jq.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

APP_PORT=${BENCH_APP_PORT:-18080}
SCALES=${BENCH_SCALES:-10000}
DURATION=${BENCH_DURATION:-10}
CONCS=${BENCH_CONCURRENCY:-8}
POOL=${BENCH_POOL:-4}
for conc in $CONCS; do
    [[ $conc =~ ^[0-9]+$ ]] && ((conc >= 2)) || die "BENCH_CONCURRENCY holds '$conc', not a number >= 2 (wrk runs two threads)"
done
SCENARIOS=${BENCH_SCENARIOS:-"discovery search suggest profile slots booking hot_slot order mixed notify"}
NOTIFY_COUNT=${BENCH_NOTIFY_COUNT:-6000}
BIN=$TARGET/release/lifemarket
WORK=$(mktemp -d /tmp/lifemarket-bench.XXXXXX)
RESULTS_DIR=$ROOT/bench/results
mkdir -p "$RESULTS_DIR"
RESULTS=$RESULTS_DIR/$(date -u +%Y%m%dT%H%M%SZ).txt
SERVER_PID=""

cleanup() {
    local rc=$?
    if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -TERM "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    if [[ ${BENCH_STOP_PG:-0} == 1 ]]; then
        pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR" -m fast -w >/dev/null 2>&1 || true
    fi
    # The server's log outlives the run (5xx causes are in it).
    [[ -f $WORK/server.log ]] && cp "$WORK/server.log" "$RESULTS.server.log"
    rm -rf -- "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- tools -----------------------------------------------------------------------------------
pg_require
for tool in curl jq; do
    command -v "$tool" >/dev/null || die "$tool is needed (apt-get install $tool)"
done
if ! command -v wrk >/dev/null; then
    is_root || die "wrk is needed: apt-get install wrk"
    log "installing wrk"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade wrk >/dev/null
fi
if [[ ${BENCH_PERF:-0} == 1 ]]; then
    command -v perf >/dev/null || die "BENCH_PERF=1 needs perf (apt-get install linux-perf)"
fi
PGBENCH=$PG_BIN/pgbench
[[ -x $PGBENCH ]] || PGBENCH=$(command -v pgbench) || die "pgbench is needed (postgresql-contrib)"

# --- build and PostgreSQL ---------------------------------------------------------------------
bench_build
bench_pg_start

# --- server ----------------------------------------------------------------------------------
start_server() {
    local db_url=$1
    port_is_free "$APP_PORT" || die "port $APP_PORT is taken; set BENCH_APP_PORT"
    # WeChat Pay against the sandbox's test keys, for the notify scenario (no outgoing calls).
    DATABASE_URL=$db_url BIND_ADDR=127.0.0.1:$APP_PORT RUN_WORKER_IN_SERVER=false \
        DB_POOL_SIZE=$POOL APP_ENV=development MAIL_DIR=$WORK/mail RUST_LOG=warn \
        LOGIN_LIMIT_PER_ADDRESS=100000 \
        WECHAT_API_BASE=http://127.0.0.1:9 WECHAT_MCHID=1900000109 WECHAT_APPID=wxd678efh567hg6787 \
        WECHAT_MERCHANT_KEY_FILE=$ROOT/tests/keys/wechat-merchant.key.pem \
        WECHAT_MERCHANT_SERIAL=5157F09EFDC096DE15EBE81A47057A7232F1B8E1 \
        WECHAT_PLATFORM_KEY_FILE=$ROOT/tests/keys/wechat-platform.pub.pem \
        WECHAT_PLATFORM_KEY_ID=PUB_KEY_ID_0119000001092026120300000001 \
        WECHAT_APIV3_KEY=$(tr -d '[:space:]' <"$ROOT/tests/keys/apiv3.key") \
        "$BIN" serve >"$WORK/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 100); do
        if curl -fs "http://127.0.0.1:$APP_PORT/readyz" >/dev/null 2>&1; then
            return
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || {
            tail -20 "$WORK/server.log" >&2
            die "the server exited"
        }
        sleep 0.2
    done
    die "the server is not ready after 20 s"
}

stop_server() {
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

rss_peak_mb() { awk '/VmHWM/ {printf "%.0f", $2 / 1024}' "/proc/$SERVER_PID/status"; }

login() {
    curl -fs -X POST "http://127.0.0.1:$APP_PORT/api/v1/auth/login" \
        -H 'Content-Type: application/json' \
        -d "{\"email\":\"$1\",\"password\":\"$2\"}" | jq -r .access_token
}

# --- request files (one request a line: METHOD TAB PATH TAB TOKEN|- TAB BODY|-) ---------------
make_requests() {
    local db_url=$1 n=$2 toks=$3
    local pick="(string_to_array('$toks', ','))[1 + (x.i % $(tr ',' '\n' <<<"$toks" | wc -l))]"
    # Random points around the district centres.
    psql_q "$db_url" -o "$WORK/discovery.tsv" -c "
        SELECT 'GET', '/api/v1/merchants?lat=' || round((d.lat + 0.06 * (random() - 0.5))::numeric, 5)
               || '&lng=' || round((d.lng + 0.06 * (random() - 0.5))::numeric, 5), '-', '-'
        FROM generate_series(1, 5000) g
        JOIN (VALUES (0, 29.556, 106.568), (1, 29.606, 106.574), (2, 29.523, 106.644),
                     (3, 29.541, 106.457), (4, 29.502, 106.511), (5, 29.484, 106.482),
                     (6, 29.718, 106.631), (7, 29.402, 106.540), (8, 29.825, 106.437))
             AS d(n, lat, lng) ON d.n = g % 9" -F $'\t'
    # Search with a point: a word of the catalog (one to four characters) near a district centre.
    psql_q "$db_url" -o "$WORK/search.tsv" -F $'\t' -c "
        SELECT 'GET', '/api/v1/search?q=' || w.q || '&lat=' || round((d.lat + 0.06 * (random() - 0.5))::numeric, 5)
               || '&lng=' || round((d.lng + 0.06 * (random() - 0.5))::numeric, 5), '-', '-'
        FROM generate_series(1, 5000) g
        JOIN (VALUES (0, 29.556, 106.568), (1, 29.606, 106.574), (2, 29.523, 106.644),
                     (3, 29.541, 106.457), (4, 29.502, 106.511), (5, 29.484, 106.482),
                     (6, 29.718, 106.631), (7, 29.402, 106.540), (8, 29.825, 106.437))
             AS d(n, lat, lng) ON d.n = g % 9
        JOIN (VALUES (0, '%E9%9D%A2'), (1, '%E5%B0%8F%E9%9D%A2'), (2, '%E7%A9%BA%E8%B0%83%E6%B8%85%E6%B4%97'),
                     (3, '%E5%B9%B2%E6%B4%97'), (4, '%E4%BF%9D%E6%B4%81'), (5, '%E7%81%AB%E9%94%85'),
                     (6, '%E6%93%A6%E7%8E%BB%E7%92%83'))
             AS w(n, q) ON w.n = (g / 9) % 7"
    # Suggestions: the first one or two characters of a catalog word.
    psql_q "$db_url" -o "$WORK/suggest.tsv" -F $'\t' -c "
        SELECT 'GET', '/api/v1/search/suggest?q=' || w.q, '-', '-'
        FROM generate_series(1, 5000) g
        JOIN (VALUES (0, '%E7%A9%BA'), (1, '%E5%B0%8F'), (2, '%E6%B4%97'), (3, '%E4%BF%9D%E6%B4%81'),
                     (4, '%E7%81%AB'), (5, '%E5%B1%B1%E5%9F%8E'), (6, '%E6%B8%85'))
             AS w(n, q) ON w.n = g % 7"
    psql_q "$db_url" -o "$WORK/profile.tsv" -F $'\t' -c "
        SELECT 'GET', '/api/v1/merchants/' || md5('scale-merchant-' || (1 + floor(random() * $n)::int))::uuid, '-', '-'
        FROM generate_series(1, 5000)"
    # Home-visit services: merchants 4k+1 (housekeeping) and 4k+3 (repair).
    local visit_g="(4 * floor(random() * ($n / 4))::int + CASE WHEN random() < 0.5 THEN 1 ELSE 3 END)"
    psql_q "$db_url" -o "$WORK/slots.tsv" -F $'\t' -c "
        SELECT 'GET', '/api/v1/services/' || md5('scale-service-' || g || '-' || (1 + floor(random() * 3)::int))::uuid || '/slots', '-', '-'
        FROM (SELECT $visit_g AS g FROM generate_series(1, 5000)) t WHERE g <= $n AND g <> 5"
    # Bookings spread over many merchants, workers and days: 10:00-15:30 local, 1-28 days ahead
    # (always inside the 10:00-22:00 schedule of each merchant's third worker).
    psql_q "$db_url" -o "$WORK/booking.tsv" -F $'\t' -c "
        SELECT 'POST', '/api/v1/bookings', $pick,
               json_build_object('service_id', md5('scale-service-' || x.g || '-' || x.k)::uuid,
                   'starts_at', to_char((((now() AT TIME ZONE 'Asia/Shanghai')::date + x.d)::timestamp
                       + interval '10 hours' + x.h * interval '30 minutes') AT TIME ZONE 'Asia/Shanghai'
                       AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                   'address', json_build_object('text', '重庆市幸福路' || x.i || '号1栋', 'lat', m.lat + 0.001,
                       'lng', m.lng, 'contact_name', '顾客', 'contact_phone', '13812345678'))::text
        FROM (SELECT i, $visit_g AS g, 1 + floor(random() * 3)::int AS k, 1 + floor(random() * 28)::int AS d,
                     floor(random() * 12)::int AS h
              FROM generate_series(1, 20000) i) x
        JOIN merchants m ON m.id = md5('scale-merchant-' || x.g)::uuid
        WHERE x.g <= $n AND x.g <> 5"
    # One hot slot: merchant 5's first service with its third worker, tomorrow 11:00 local.
    psql_q "$db_url" -o "$WORK/hot_slot.tsv" -F $'\t' -c "
        SELECT 'POST', '/api/v1/bookings', $pick,
               json_build_object('service_id', md5('scale-service-5-1')::uuid,
                   'worker_id', md5('scale-worker-5-3')::uuid,
                   'starts_at', to_char((((now() AT TIME ZONE 'Asia/Shanghai')::date + 1)::timestamp
                       + interval '11 hours') AT TIME ZONE 'Asia/Shanghai' AT TIME ZONE 'UTC',
                       'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
                   'address', json_build_object('text', '重庆市幸福路' || x.i || '号1栋', 'lat', m.lat + 0.001,
                       'lng', m.lng, 'contact_name', '顾客', 'contact_phone', '13812345678'))::text
        FROM generate_series(1, 64) AS x(i)
        JOIN merchants m ON m.id = md5('scale-merchant-5')::uuid"
    # Orders at catering merchants open around the clock (8k).
    psql_q "$db_url" -o "$WORK/order.tsv" -F $'\t' -c "
        SELECT 'POST', '/api/v1/orders', $pick,
               json_build_object('merchant_id', m.id, 'delivery_mode', 'contactless',
                   'address', json_build_object('recipient_name', '顾客', 'phone', '13812345678',
                       'text', '重庆市幸福路' || x.i || '号1栋', 'lat', m.lat + 0.001, 'lng', m.lng),
                   'items', json_build_array(json_build_object(
                       'service_id', md5('scale-service-' || x.g || '-' || x.k)::uuid, 'quantity', 2)))::text
        FROM (SELECT i, 8 * (1 + floor(random() * greatest($n / 8, 1))::int) AS g,
                     1 + floor(random() * 3)::int AS k FROM generate_series(1, 20000) i) x
        JOIN merchants m ON m.id = md5('scale-merchant-' || x.g)::uuid"
    # Lunch hour: mostly reads, some writes.
    {
        shuf -n 4500 "$WORK/discovery.tsv"
        shuf -n 2500 "$WORK/profile.tsv"
        shuf -n 1500 "$WORK/slots.tsv"
        shuf -n 700 "$WORK/order.tsv"
        shuf -n 300 "$WORK/booking.tsv"
    } | shuf >"$WORK/mixed.tsv"
}

# Share of the CPU samples per program, and the server's hottest functions (BENCH_PERF=1).
perf_summary() {
    local data=$1
    {
        printf -- '--- %s: CPU samples by program\n' "${data##*/}"
        perf report -i "$data" --no-children --sort comm --stdio -g none 2>/dev/null |
            grep '%' | head -n 6 || true
        printf -- '--- the server (pid %s), hottest functions (self)\n' "$SERVER_PID"
        perf report -i "$data" --no-children --pid "$SERVER_PID" --sort dso,sym --stdio -g none 2>/dev/null |
            grep '%' | head -n 15 || true
    } | tee -a "$RESULTS_DIR/perf-summary.txt" >&2
}

# --- one scenario ----------------------------------------------------------------------------
readonly ACTIVE="status IN ('pending_confirmation', 'confirmed', 'in_service')"
readonly HOT_WORKER="worker_id = md5('scale-worker-5-3')::uuid"
# cancel_active DB_URL CONDITION: cancel the active bookings that match CONDITION.
cancel_active() { psql_q "$1" -c "UPDATE bookings SET status = 'cancelled' WHERE $2 AND $ACTIVE"; }

declare -a ROWS=()
run_scenario() {
    local scale=$1 name=$2 db_url=$3 conc=$4 out
    # Each run replays the same requests: free the slots the earlier runs booked.
    case $name in
    booking) cancel_active "$db_url" "created_at >= '$SCALE_START'" ;;
    hot_slot) cancel_active "$db_url" "$HOT_WORKER" ;;
    notify)
        # Fresh orders awaiting payment and their signed notifications, timestamped now (the
        # server refuses any more than 5 minutes old); replays past the end are duplicates.
        DATABASE_URL=$db_url APP_ENV=development MAIL_DIR=$WORK/mail "$BIN" bench-notices \
            --count "$NOTIFY_COUNT" --keys "$ROOT/tests/keys" --out "$WORK/notify.tsv" >/dev/null
        NOTIFY_START=$(psql_q "$db_url" -c "SELECT now()")
        ;;
    esac
    local perf_pid=""
    if [[ ${BENCH_PERF:-0} == 1 ]]; then
        # A system-wide profile of the wrk run: where the two cores go (server, PostgreSQL, wrk).
        perf record -a -g -F 499 -o "$RESULTS_DIR/perf-$scale-$name-$conc-pool$POOL.data" \
            -- sleep "$DURATION" >/dev/null 2>&1 &
        perf_pid=$!
    fi
    out=$(BENCH_REQUESTS=$WORK/$name.tsv wrk -t2 -c"$conc" -d"${DURATION}s" --timeout 10s \
        -s bench/requests.lua "http://127.0.0.1:$APP_PORT" 2>&1)
    printf '%s\n' "$out" >"$WORK/wrk-$name-$conc.txt"
    if [[ -n $perf_pid ]]; then
        wait "$perf_pid" || warn "perf record failed"
        perf_summary "$RESULTS_DIR/perf-$scale-$name-$conc-pool$POOL.data"
    fi
    local rps p50 p99 status s201 s409 s4xx s5xx sock
    rps=$(sed -n 's/^RATE rps=\([0-9.]*\).*/\1/p' <<<"$out")
    sock=$(sed -n 's/^RATE .*errors_socket=\([0-9]*\).*/\1/p' <<<"$out")
    p50=$(sed -n 's/^LATENCY p50_ms=\([0-9.]*\).*/\1/p' <<<"$out")
    p99=$(sed -n 's/^LATENCY .*p99_ms=\([0-9.]*\).*/\1/p' <<<"$out")
    status=$(grep '^STATUS' <<<"$out" || true)
    s201=$(sed -n 's/.*s201=\([0-9]*\).*/\1/p' <<<"$status")
    s409=$(sed -n 's/.*s409=\([0-9]*\).*/\1/p' <<<"$status")
    s4xx=$(sed -n 's/.*s4xx=\([0-9]*\).*/\1/p' <<<"$status")
    s5xx=$(sed -n 's/.*s5xx=\([0-9]*\).*/\1/p' <<<"$status")
    # Counted before the ceiling's pgbench adds rows of its own.
    if [[ $name == notify ]]; then
        local outcomes
        outcomes=$(psql_q "$db_url" -c "SELECT string_agg(outcome || '=' || n, ' ' ORDER BY outcome) FROM
            (SELECT outcome, count(*) AS n FROM payment_notifications WHERE received_at >= '$NOTIFY_START' GROUP BY outcome) t")
        log "notify at $conc connections: notifications by outcome: ${outcomes:-none} (of $NOTIFY_COUNT distinct events)"
        RSS+=("$scale merchants: notify at $conc connections: ${outcomes:-none} of $NOTIFY_COUNT distinct events")
    fi
    # The ceiling: the endpoint's SQL through pgbench, same concurrency and duration.
    local ceiling="-" ratio="-" cp50="-"
    local files=()
    if [[ -f bench/sql/$name.sql ]]; then
        files=(-f "bench/sql/$name.sql")
    elif [[ -f bench/sql/$name.weights ]]; then
        local w
        for w in $(<"bench/sql/$name.weights"); do
            files+=(-f "bench/sql/${w%@*}.sql@${w#*@}")
        done
    fi
    if ((${#files[@]})); then
        local pgout
        local mode=prepared
        [[ ! -f bench/sql/$name.mode ]] || mode=$(<"bench/sql/$name.mode")
        pgout=$("$PGBENCH" -n -M "$mode" -c "$conc" -j 2 -T "$DURATION" -D "scale=$scale" \
            "${files[@]}" "$db_url" 2>&1) || {
            printf '%s\n' "$pgout" >&2
            warn "pgbench failed for $name"
        }
        printf '%s\n' "$pgout" >"$WORK/pgbench-$name-$conc.txt"
        ceiling=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' <<<"$pgout")
        cp50=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' <<<"$pgout")
        if [[ -n $ceiling && -n $rps ]]; then
            ratio=$(awk -v a="$rps" -v b="$ceiling" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }')
        fi
    fi
    local row
    row=$(printf '%-8s %-10s %5s %9s %8s %8s %6s %6s %6s %6s %6s %10s %9s %6s' \
        "$scale" "$name" "$conc" "${rps:-?}" "${p50:-?}" "${p99:-?}" "${s201:-?}" "${s409:-?}" \
        "${s4xx:-?}" "${s5xx:-?}" "${sock:-?}" "${ceiling:--}" "${cp50:--}" "$ratio")
    ROWS+=("$row")
    printf '%s\n' "$row"
}

HEADER=$(printf '%-8s %-10s %5s %9s %8s %8s %6s %6s %6s %6s %6s %10s %9s %6s' \
    merchants scenario conns req/s p50_ms p99_ms 201 409 4xx 5xx sockerr ceil_tps ceil_avg ratio)

# --- per scale -------------------------------------------------------------------------------
declare -a RSS=()
for scale in $SCALES; do
    [[ $scale =~ ^[0-9]+$ ]] || die "BENCH_SCALES holds '$scale', not a number"
    db=bench_$scale
    db_url="postgres://postgres@127.0.0.1:$PG_PORT/$db"
    if [[ ${BENCH_RESEED:-0} == 1 ]]; then
        psql_q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"
    fi
    if [[ -z $(psql_q "$ADMIN_URL" -c "SELECT 1 FROM pg_database WHERE datname = '$db'") ]]; then
        psql_q "$ADMIN_URL" -c "CREATE DATABASE $db TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
    fi
    has=$(psql_q "$db_url" -c "SELECT count(*) FROM pg_tables WHERE tablename = 'merchants'")
    if [[ $has == 1 && $(psql_q "$db_url" -c "SELECT count(*) FROM users WHERE email = 'scale-owner-1@scale.lifemarket.local'") == 1 ]]; then
        log "reusing $db (already seeded; BENCH_RESEED=1 rebuilds it)"
    else
        log "seeding $db with $scale merchants"
        DATABASE_URL=$db_url APP_ENV=development MAIL_DIR=$WORK/mail "$BIN" seed --demo --scale "$scale" |
            grep -v '^ ' | tail -n 3
    fi
    psql_q "$db_url" -c "VACUUM ANALYZE"
    SCALE_START=$(psql_q "$db_url" -c "SELECT now()")
    start_server "$db_url"
    tokens=""
    for i in 1 2 3 4 5 6 7 8; do
        t=$(login "scale-consumer-$i@scale.lifemarket.local" scale-user-pass)
        [[ -n $t && $t != null ]] || die "cannot sign in as scale-consumer-$i"
        tokens+=${tokens:+,}$t
    done
    make_requests "$db_url" "$scale" "$tokens"
    log "$scale merchants: ${DURATION}s per scenario at $CONCS connections (server pool $POOL)"
    printf '%s\n' "$HEADER"
    for name in $SCENARIOS; do
        for conc in $CONCS; do
            run_scenario "$scale" "$name" "$db_url" "$conc"
        done
    done
    if [[ " $SCENARIOS " == *" hot_slot "* ]]; then
        booked=$(psql_q "$db_url" -c "SELECT count(*) FROM bookings WHERE $HOT_WORKER AND $ACTIVE")
        log "hot slot: $booked active booking(s) of the hot worker in the database (must be 1)"
        RSS+=("$scale merchants: hot-slot active bookings in the database = $booked")
    fi
    RSS+=("$scale merchants: server peak RSS (VmHWM) $(rss_peak_mb) MB")
    stop_server
done

{
    printf '\nlifemarket load benchmark, %s, %s cores, %ss per scenario, %s connections, pool %s\n' \
        "$(date -u +%FT%TZ)" "$(nproc)" "$DURATION" "$CONCS" "$POOL"
    printf '%s\n' "$HEADER"
    printf '%s\n' "${ROWS[@]}"
    printf '%s\n' "${RSS[@]}"
    printf 'ceil_tps: the same SQL through pgbench (bench/sql/<scenario>.sql); ratio = req/s / ceil_tps\n'
} | tee "$RESULTS"
log "results written to $RESULTS"
