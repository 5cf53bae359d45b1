#!/usr/bin/env bash
# bench/fuzz.sh — schemathesis against /api/openapi.json of a running, seeded release server,
# authenticated as the demo consumer, the demo merchant member and the demo operator in turn,
# with every check on. Exit status: non-zero when any run found a failure.
#
#   bench/fuzz.sh                         # 100 examples per operation
#   FUZZ_MAX_EXAMPLES=20 bench/fuzz.sh    # quicker
#
# Uses the bench PostgreSQL (bench/run.sh's; BENCH_PG_DIR, BENCH_PG_PORT), a fresh database
# bench_fuzz seeded with `seed --demo --scale 100`, and a virtualenv it creates in bench/.venv
# (schemathesis from PyPI). Reports go to bench/results/fuzz-<role>.txt. Settings (what the
# document cannot state) are in bench/schemathesis.toml. FUZZ_BIN runs another build (e.g. the
# debug one: FUZZ_BIN=target/debug/lifemarket BENCH_SKIP_BUILD=1, as .ci/run does after the
# tests). BENCH_STOP_PG=1 stops the bench PostgreSQL at the end (CI).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

APP_PORT=${FUZZ_APP_PORT:-18090}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-100}
BIN=${FUZZ_BIN:-$TARGET/release/lifemarket}
DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench_fuzz"
VENV=$ROOT/bench/.venv
SCHEMATHESIS_VERSION=4.32.5 # pinned: a new release brings new checks; upgrade on purpose
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
if [[ ! -x $VENV/bin/schemathesis && ! -x $VENV/bin/st ]]; then
    log "creating $VENV with schemathesis"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi
ST=$VENV/bin/schemathesis
[[ -x $ST ]] || ST=$VENV/bin/st

bench_build
bench_pg_start
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS bench_fuzz WITH (FORCE)" -c "CREATE DATABASE bench_fuzz"
DATABASE_URL=$DB_URL MAIL_DIR=/tmp/lifemarket-fuzz-mail "$BIN" seed --demo --scale 100 >/dev/null

DATABASE_URL=$DB_URL BIND_ADDR=127.0.0.1:$APP_PORT RUN_WORKER_IN_SERVER=false APP_ENV=development \
    MAIL_DIR=/tmp/lifemarket-fuzz-mail RUST_LOG=warn LOGIN_LIMIT_PER_ADDRESS=100000 \
    LOGIN_LIMIT_PER_ACCOUNT=100000 "$BIN" serve >"$OUT/fuzz-server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$APP_PORT/readyz" >/dev/null 2>&1 && break
    sleep 0.2
done

status=0
for who in consumer merchant operator; do
    token=$(curl -fs -X POST "http://127.0.0.1:$APP_PORT/api/v1/auth/login" -H 'Content-Type: application/json' \
        -d "{\"email\":\"$who@demo.lifemarket.local\",\"password\":\"demo-$who-pass\"}" | jq -r .access_token)
    log "schemathesis as $who ($MAX_EXAMPLES examples per operation)"
    if ! "$ST" --config-file "$ROOT/bench/schemathesis.toml" run "http://127.0.0.1:$APP_PORT/api/openapi.json" --checks all \
        --url "http://127.0.0.1:$APP_PORT" \
        --header "Authorization: Bearer $token" --max-examples "$MAX_EXAMPLES" \
        --workers 1 --seed 8 --continue-on-failure >"$OUT/fuzz-$who.txt" 2>&1; then
        status=1
    fi
    tail -n 30 "$OUT/fuzz-$who.txt"
done
exit "$status"
