#!/usr/bin/env bash
# bench/faults.sh — fault benchmarks against the release build and the bench PostgreSQL
# (the one bench/run.sh uses: BENCH_PG_DIR, BENCH_PG_PORT). Each prints PASS or FAIL with figures.
#
#   bench/faults.sh            # a b c d
#   bench/faults.sh a c        # some of them
#
#   a  PostgreSQL restarted (fast, then immediate) during 1000 POST /orders with Idempotency-Keys
#      and client retries: exactly 1000 orders, none twice, only 201/409/503 seen, and the time to
#      the first success after each restart.
#   b  SIGTERM with 50 requests in flight (logins: argon2 keeps them busy): all 50 answered, the
#      process exits within SHUTDOWN_TIMEOUT_SECS.
#   c  `lifemarket worker` killed with SIGKILL 20 times while 1000 emails are queued: all 1000
#      sent (outbox sent_at, .eml files in MAIL_DIR); duplicates counted.
#   d  two `serve` and two `worker` processes on one database: 1000 emails each sent once, and a
#      hot-slot storm spread over both servers books the slot once.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

SCALE=${FAULTS_SCALE:-200}
BIN=$TARGET/release/lifemarket
DB=bench_faults
DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/$DB"
WORK=$(mktemp -d /tmp/lifemarket-faults.XXXXXX)
PIDS=()
TESTS=${*:-a b c d}
FAILED=0

cleanup() {
    local rc=$? pid
    for pid in "${PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
    done
    rm -rf -- "$WORK"
    exit "$rc"
}
trap cleanup EXIT

pg_require
bench_build
bench_pg_start
pg_ctl_() { pg_as_owner "$PG_BIN/pg_ctl" "$@"; }

psql_q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" -c "CREATE DATABASE $DB"
log "seeding $DB with $SCALE merchants"
DATABASE_URL=$DB_URL MAIL_DIR=$WORK/seed-mail "$BIN" seed --demo --scale "$SCALE" | tail -n 1

# serve PORT [extra env...]: starts a server, prints its pid
serve() {
    local port=$1
    shift
    env DATABASE_URL="$DB_URL" BIND_ADDR="127.0.0.1:$port" RUN_WORKER_IN_SERVER=false DB_POOL_SIZE=16 \
        APP_ENV=development MAIL_DIR="$WORK/mail-serve" RUST_LOG=warn LOGIN_LIMIT_PER_ADDRESS=100000 "$@" \
        "$BIN" serve >>"$WORK/serve-$port.log" 2>&1 &
    local pid=$!
    PIDS+=("$pid")
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
        sleep 0.1
    done
    SERVE_PID=$pid
}
worker() {
    env DATABASE_URL="$DB_URL" APP_ENV=development MAIL_DIR="$1" RUST_LOG=warn WORKER_CONCURRENCY=2 \
        "$BIN" worker >>"$WORK/worker.log" 2>&1 &
    WORKER_PID=$!
    PIDS+=("$WORKER_PID")
}
login() {
    curl -fs -X POST "http://127.0.0.1:$1/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$2\",\"password\":\"scale-user-pass\"}" | jq -r .access_token
}
verdict() { # name ok(0/1) message
    if [[ $2 == 1 ]]; then printf 'PASS %s: %s\n' "$1" "$3"; else printf 'FAIL %s: %s\n' "$1" "$3"; FAILED=1; fi
}
queue_emails() { # n tag
    psql_q "$DB_URL" -c "
        WITH e AS (
            INSERT INTO outbox_emails (id, recipient, subject, body_text)
            SELECT md5('$2-' || i)::uuid, 'user' || i || '@example.cn', '$2 ' || i, 'body ' || i
            FROM generate_series(1, $1) i RETURNING id)
        INSERT INTO jobs (id, kind, payload) SELECT gen_random_uuid(), 'send_email', jsonb_build_object('email_id', id) FROM e"
}
emails_sent() { psql_q "$DB_URL" -c "SELECT count(*) FROM outbox_emails WHERE subject LIKE '$1 %' AND sent_at IS NOT NULL"; }
eml_stats() { # dir tag -> "files distinct_message_ids"
    local files distinct
    files=$(grep -l "^Subject: $2 " "$1"/*.eml 2>/dev/null | wc -l)
    distinct=$(grep -h -i '^Message-ID:' $(grep -l "^Subject: $2 " "$1"/*.eml 2>/dev/null) /dev/null | sort -u | wc -l)
    echo "$files $distinct"
}

# --- a: PostgreSQL restarts during 1000 orders ----------------------------------------------------
fault_a() {
    serve 18181
    local pid=$SERVE_PID i
    : >"$WORK/tokens"
    for i in 1 2 3 4 5 6 7 8; do login 18181 "scale-consumer-$i@scale.lifemarket.local" >>"$WORK/tokens"; done
    psql_q "$DB_URL" -o "$WORK/bodies" -c "
        SELECT json_build_object('merchant_id', m.id, 'delivery_mode', 'contactless',
            'address', json_build_object('recipient_name', '顾客', 'phone', '13812345678',
                'text', '重庆市幸福路1号1栋', 'lat', m.lat + 0.001, 'lng', m.lng),
            'items', json_build_array(json_build_object('service_id', md5('scale-service-' || g || '-1')::uuid, 'quantity', 2)))
        FROM generate_series(8, $SCALE, 8) g JOIN merchants m ON m.id = md5('scale-merchant-' || g)::uuid"
    python3 bench/faults.py orders http://127.0.0.1:18181 "$WORK/tokens" "$WORK/bodies" 1000 8 "$WORK/a.json" &
    local client=$!
    sleep 1.5
    log "a: restarting PostgreSQL (fast)"
    pg_ctl_ restart -D "$PG_DIR" -m fast -w -o "$PG_OPTS" >/dev/null
    date +%s.%N >>"$WORK/a.json.restart" # PostgreSQL accepts connections again
    sleep 1.5
    log "a: restarting PostgreSQL (immediate)"
    pg_ctl_ restart -D "$PG_DIR" -m immediate -w -o "$PG_OPTS" >/dev/null
    date +%s.%N >>"$WORK/a.json.restart" # PostgreSQL accepts connections again
    wait "$client"
    local run orders distinct statuses bad
    run=$(jq -r .run "$WORK/a.json")
    read -r orders distinct < <(psql_q "$DB_URL" -F ' ' -c "SELECT count(*), count(DISTINCT note) FROM orders WHERE note LIKE 'fault-a-$run-%'")
    statuses=$(jq -c .statuses "$WORK/a.json")
    bad=$(jq '[.statuses | keys[] | select(. != "201" and . != "409" and . != "503")] | length' "$WORK/a.json")
    verdict a "$([[ $orders == 1000 && $distinct == 1000 && $bad == 0 ]] && echo 1 || echo 0)" \
        "orders in db=$orders distinct keys=$distinct statuses=$statuses retries=$(jq .retries "$WORK/a.json") time from PostgreSQL back up to the first 201 (fast, immediate; s)=$(jq -c .time_to_first_success_after_restart_s "$WORK/a.json") in $(jq .seconds "$WORK/a.json") s"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
}

# --- b: SIGTERM with 50 requests in flight ---------------------------------------------------------
fault_b() {
    serve 18182 SHUTDOWN_TIMEOUT_SECS=30
    local pid=$SERVE_PID
    seq 1 50 | sed 's/.*/scale-consumer-&@scale.lifemarket.local/' >"$WORK/accounts"
    rm -f "$WORK/b.ready"
    python3 bench/faults.py inflight http://127.0.0.1:18182 "$WORK/accounts" scale-user-pass 50 "$WORK/b.json" \
        "$WORK/b.ready" &
    local client=$!
    # SIGTERM as soon as all 50 requests have been sent (the client touches b.ready).
    for _ in $(seq 1 500); do
        [[ -e $WORK/b.ready ]] && break
        sleep 0.01
    done
    local t0 t1
    t0=$(date +%s.%N)
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
    t1=$(date +%s.%N)
    wait "$client"
    local ok inflight
    ok=$(jq '.statuses["200"] // 0' "$WORK/b.json")
    # In flight at SIGTERM: the requests answered after it.
    inflight=$(jq --argjson t0 "$t0" '[.answered_at[] | select(. > $t0)] | length' "$WORK/b.json")
    local secs
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
    verdict b "$([[ $ok == 50 && $inflight -gt 0 ]] && awk -v s="$secs" 'BEGIN { exit !(s < 30) }' && echo 1 || echo 0)" \
        "requests in flight at SIGTERM=$inflight answers=$(jq -c .statuses "$WORK/b.json") exited ${secs} s after SIGTERM (timeout 30 s)"
}

# --- c: worker SIGKILLed 20 times with 1000 emails queued -----------------------------------------
fault_c() {
    local dir=$WORK/mail-c i
    mkdir -p "$dir"
    queue_emails 1000 fault-c
    for i in $(seq 1 20); do
        worker "$dir"
        sleep "0.$((RANDOM % 5 + 2))"
        kill -KILL "$WORKER_PID"
        wait "$WORKER_PID" 2>/dev/null || true
    done
    local killed_at
    killed_at=$(emails_sent fault-c)
    worker "$dir"
    for _ in $(seq 1 120); do
        [[ $(emails_sent fault-c) == 1000 ]] && break
        sleep 0.5
    done
    kill -TERM "$WORKER_PID"
    wait "$WORKER_PID" 2>/dev/null || true
    local sent files distinct
    sent=$(emails_sent fault-c)
    read -r files distinct < <(eml_stats "$dir" fault-c)
    verdict c "$([[ $sent == 1000 && $distinct == 1000 ]] && echo 1 || echo 0)" \
        "sent_at set=$sent/1000 (after the 20 kills: $killed_at), .eml files=$files, distinct Message-IDs=$distinct, duplicates=$((files - distinct))"
}

# --- d: two servers and two workers on one database ------------------------------------------------
fault_d() {
    local dir=$WORK/mail-d
    mkdir -p "$dir"
    queue_emails 1000 fault-d
    serve 18183
    local s1=$SERVE_PID
    serve 18184
    local s2=$SERVE_PID
    worker "$dir"
    local w1=$WORKER_PID
    worker "$dir"
    local w2=$WORKER_PID
    # Hot slot across both servers.
    local t1 t2 body
    t1=$(login 18183 scale-consumer-1@scale.lifemarket.local)
    t2=$(login 18184 scale-consumer-2@scale.lifemarket.local)
    body=$(psql_q "$DB_URL" -c "SELECT json_build_object('service_id', md5('scale-service-5-1')::uuid,
        'worker_id', md5('scale-worker-5-3')::uuid,
        'starts_at', to_char((((now() AT TIME ZONE 'Asia/Shanghai')::date + 2)::timestamp + interval '11 hours')
            AT TIME ZONE 'Asia/Shanghai' AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'),
        'address', json_build_object('text', '重庆市幸福路1号1栋', 'lat', lat + 0.001, 'lng', lng,
            'contact_name', '顾客', 'contact_phone', '13812345678'))
        FROM merchants WHERE id = md5('scale-merchant-5')::uuid")
    local i
    for i in $(seq 1 100); do
        if ((i % 2)); then port=18183 tok=$t1; else port=18184 tok=$t2; fi
        curl -s -o /dev/null -w '%{http_code}\n' -X POST "http://127.0.0.1:$port/api/v1/bookings" \
            -H "Authorization: Bearer $tok" -H "Idempotency-Key: fault-d-$i" \
            -H 'Content-Type: application/json' -d "$body" &
    done >"$WORK/d-codes"
    wait $(jobs -p | grep -v -e "^$s1\$" -e "^$s2\$" -e "^$w1\$" -e "^$w2\$") 2>/dev/null || true
    for _ in $(seq 1 120); do
        [[ $(emails_sent fault-d) == 1000 ]] && break
        sleep 0.5
    done
    kill -TERM "$s1" "$s2" "$w1" "$w2" 2>/dev/null || true
    wait "$s1" "$s2" "$w1" "$w2" 2>/dev/null || true
    local sent files distinct active codes
    sent=$(emails_sent fault-d)
    read -r files distinct < <(eml_stats "$dir" fault-d)
    active=$(psql_q "$DB_URL" -c "SELECT count(*) FROM bookings WHERE worker_id = md5('scale-worker-5-3')::uuid
        AND status IN ('pending_confirmation', 'confirmed', 'in_service')")
    codes=$(sort "$WORK/d-codes" | uniq -c | awk '{printf "%s×%s ", $2, $1}')
    verdict d "$([[ $sent == 1000 && $files == 1000 && $distinct == 1000 && $active == 1 ]] && echo 1 || echo 0)" \
        "emails sent=$sent .eml files=$files distinct=$distinct (duplicates $((files - distinct))); hot slot answers: ${codes}active bookings=$active; failed jobs=$(psql_q "$DB_URL" -c "SELECT count(*) FROM jobs WHERE failed_at IS NOT NULL")"
}

for t in $TESTS; do
    case $t in
    a | b | c | d) "fault_$t" ;;
    *) die "unknown fault '$t' (a b c d)" ;;
    esac
done
exit "$FAILED"
