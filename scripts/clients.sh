#!/usr/bin/env bash
# scripts/clients.sh — the client-generation check: clients generated from the OpenAPI document
# compile, and one of them books a home visit against a running server.
#
#   1. writes the document with `lifemarket openapi` (the one /api/openapi.json serves);
#   2. TypeScript: openapi-typescript (pinned in clients/ts/package-lock.json, installed with
#      `npm ci`) generates the types, `tsc --noEmit` compiles them with clients/ts/check.ts (a few
#      facts an app relies on: each cancel answers what it cancels, actions need no body, opening
#      hours are days of intervals);
#   3. Python: openapi-python-client (pinned below, in a virtualenv) generates a client; any
#      warning or error it prints (a skipped endpoint or schema included) fails the check;
#   4. starts a server on a fresh database seeded with `seed --demo` and runs
#      clients/python/flow.py with the generated client: register, search merchants near a point,
#      services, slots, book, read the booking back. Any step that fails fails the check.
#
# Uses the debug binary (CLIENTS_BIN, default target/debug/lifemarket; built when missing), the
# bench PostgreSQL (bench/common.sh: BENCH_PG_DIR, BENCH_PG_PORT; left running like the other
# bench scripts, BENCH_STOP_PG=1 stops it) with a database bench_clients made anew each run, and
# a server on 127.0.0.1:$CLIENTS_APP_PORT (default 18091). Generated output, node_modules and the
# virtualenv go to target/clients/, never into git. .ci/run calls it after the tests. ~1 minute
# once the tools are installed.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT=$PWD
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh
# shellcheck source=bench/common.sh
source bench/common.sh

APP_PORT=${CLIENTS_APP_PORT:-18091}
BIN=${CLIENTS_BIN:-$TARGET/debug/lifemarket}
OUT=$TARGET/clients
VENV=$OUT/venv
OPENAPI_PYTHON_CLIENT_VERSION=0.29.1 # pinned: a new release may read the document differently
DB_URL="postgres://postgres@127.0.0.1:$PG_PORT/bench_clients"
MAIL_DIR=$OUT/mail
SERVER_PID=""

cleanup() {
    local rc=$?
    [[ -z $SERVER_PID ]] || kill -TERM "$SERVER_PID" 2>/dev/null || true
    [[ -z $SERVER_PID ]] || wait "$SERVER_PID" 2>/dev/null || true
    if [[ ${BENCH_STOP_PG:-0} == 1 && -n ${PG_BIN:-} ]]; then
        pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR" -m fast -w >/dev/null 2>&1 || true
    fi
    if [[ $rc == 0 ]]; then
        log "clients: every check passed"
    else
        warn "clients: the check failed (output in $OUT)"
    fi
    exit "$rc"
}
trap cleanup EXIT

command -v npm >/dev/null || die "npm is missing: apt-get install nodejs npm"
python3 -m venv --help >/dev/null 2>&1 || die "python3 venv is missing: apt-get install python3-venv"
if [[ ! -x $BIN ]]; then
    log "building the debug binary"
    cargo build --locked --quiet
fi
mkdir -p "$OUT"

# 1. The document.
"$BIN" openapi >"$OUT/openapi.json"
log "document: $OUT/openapi.json ($(jq '[.paths[][]] | length' "$OUT/openapi.json") operations)"

# 2. TypeScript.
TS=$OUT/ts
mkdir -p "$TS"
cp clients/ts/package.json clients/ts/package-lock.json clients/ts/tsconfig.json clients/ts/check.ts "$TS/"
log "typescript: npm ci (openapi-typescript and typescript as pinned in clients/ts/package-lock.json)"
(cd "$TS" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd "$TS" && npx --no-install openapi-typescript "$OUT/openapi.json" --output api.d.ts >/dev/null)
log "typescript: tsc --noEmit ($(cd "$TS" && npx --no-install tsc --version))"
(cd "$TS" && npx --no-install tsc -p tsconfig.json --noEmit)

# 3. Python.
if [[ ! -x $VENV/bin/openapi-python-client ]] ||
    [[ $("$VENV/bin/openapi-python-client" --version) != *" $OPENAPI_PYTHON_CLIENT_VERSION" ]]; then
    log "python: creating $VENV with openapi-python-client $OPENAPI_PYTHON_CLIENT_VERSION"
    rm -rf -- "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION"
fi
PY=$OUT/py
rm -rf -- "$PY"
mkdir -p "$PY"
log "python: openapi-python-client generate"
if ! "$VENV/bin/openapi-python-client" generate --path "$OUT/openapi.json" --meta none \
    --config clients/python/config.yml --output-path "$PY/lifemarket_client" >"$OUT/python-generate.txt" 2>&1; then
    cat "$OUT/python-generate.txt" >&2
    die "openapi-python-client failed"
fi
# It reports skipped endpoints and schemas as warnings and still exits 0: any of them fails.
if grep -qiE 'warning|error|skip|unsupported|could not' "$OUT/python-generate.txt"; then
    cat "$OUT/python-generate.txt" >&2
    die "openapi-python-client reported problems with the document"
fi

# 4. The generated client against a running server.
pg_require
bench_pg_start
port_is_free "$APP_PORT" || die "port $APP_PORT is taken; set CLIENTS_APP_PORT"
psql -X -q "$ADMIN_URL" -c "DROP DATABASE IF EXISTS bench_clients WITH (FORCE)" -c "CREATE DATABASE bench_clients"
# The demo's files go with this run's output, not into the checkout's var/uploads.
rm -rf -- "$OUT/uploads"
DATABASE_URL=$DB_URL MAIL_DIR=$MAIL_DIR UPLOAD_STORE=$OUT/uploads "$BIN" seed --demo >/dev/null
DATABASE_URL=$DB_URL BIND_ADDR=127.0.0.1:$APP_PORT RUN_WORKER_IN_SERVER=false APP_ENV=development \
    MAIL_DIR=$MAIL_DIR UPLOAD_STORE=$OUT/uploads RUST_LOG=warn "$BIN" serve >"$OUT/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do
    curl -fs "http://127.0.0.1:$APP_PORT/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER_PID" 2>/dev/null || die "the server stopped (see $OUT/server.log)"
    sleep 0.2
done
curl -fs "http://127.0.0.1:$APP_PORT/readyz" >/dev/null || die "the server is not ready (see $OUT/server.log)"
log "python: clients/python/flow.py against http://127.0.0.1:$APP_PORT"
PYTHONPATH=$PY "$VENV/bin/python" "$ROOT/clients/python/flow.py" "http://127.0.0.1:$APP_PORT"
