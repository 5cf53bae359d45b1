#!/usr/bin/env bash
# bench/streams.sh — hold many live event streams on one server and check delivery.
#
#   bench/streams.sh                                   # 500 streams, 400 events, 4 writers
#   STREAMS=1000 EVENTS=1000 bench/streams.sh
#
# Starts the bench PostgreSQL (bench/common.sh), a fresh database bench_streams seeded with
# `seed --demo`, and the server (release build unless BENCH_SKIP_BUILD=1 / STREAMS_BIN) with
# EVENT_STREAMS_PER_USER raised; opens STREAMS merchant streams (`GET
# /api/v1/merchants/{id}/events` as the demo merchant) with bench/streams.py, commits EVENTS
# live events from WRITERS concurrent psql sessions (one row per transaction, so commits race),
# and checks that every stream got every event once and in commit order. Prints the figures,
# with the server's RSS before and with the streams open (memory per stream), and writes them to
# bench/results/streams-<UTC time>.txt. Exit status 1 when a stream missed, repeated or
# reordered an event.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

APP_PORT=${STREAMS_APP_PORT:-18095}
STREAMS=${STREAMS:-500}
EVENTS=${EVENTS:-400}
WRITERS=${WRITERS:-4}
BIN=${STREAMS_BIN:-$TARGET/release/lifemarket}
DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench_streams"
OUT=$ROOT/bench/results
mkdir -p "$OUT"
SERVER_PID=""
cleanup() {
    local rc=$?
    [[ -z $SERVER_PID ]] || kill -TERM "$SERVER_PID" 2>/dev/null || true
    if [[ ${BENCH_STOP_PG:-0} == 1 ]]; then
        pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR" -m fast -w >/dev/null 2>&1 || true
    fi
    exit "$rc"
}
trap cleanup EXIT

pg_require
bench_build
bench_pg_start
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS bench_streams WITH (FORCE)" \
    -c "CREATE DATABASE bench_streams"
DATABASE_URL=$DB_URL MAIL_DIR=/tmp/lifemarket-streams-mail "$BIN" seed --demo >/dev/null

DATABASE_URL=$DB_URL BIND_ADDR=127.0.0.1:$APP_PORT RUN_WORKER_IN_SERVER=false APP_ENV=development \
    MAIL_DIR=/tmp/lifemarket-streams-mail RUST_LOG=warn EVENT_STREAMS_PER_USER=$((STREAMS + 10)) \
    "$BIN" serve >"$OUT/streams-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$APP_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done
ulimit -n 8192 2>/dev/null || true

token=$(curl -fs -X POST "http://127.0.0.1:$APP_PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d '{"email":"merchant@demo.lifemarket.local","password":"demo-merchant-pass"}' | jq -r .access_token)
merchant=$(curl -fs "http://127.0.0.1:$APP_PORT/api/v1/me/merchants" -H "Authorization: Bearer $token" |
    jq -r '.[0].id')
log "$STREAMS streams of merchant $merchant, $EVENTS events from $WRITERS writers"
result=$OUT/streams-$(date -u +%Y%m%dT%H%M%SZ).txt
status=0
python3 bench/streams.py --port "$APP_PORT" --token "$token" --merchant "$merchant" \
    --db-url "$DB_URL" --pid "$SERVER_PID" --streams "$STREAMS" --events "$EVENTS" \
    --writers "$WRITERS" | tee "$result" || status=$?
log "written to $result"
exit "$status"
