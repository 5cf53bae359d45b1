#!/usr/bin/env bash
# scripts/dev.sh — run the service locally with demo data: `scripts/dev.sh`
#
# 1. Starts the machine's PostgreSQL cluster (Debian's `<ver> main`, creating it if there is
#    none, installing PostgreSQL first if it is missing and we are root).
# 2. Creates, if missing, the login role `lifemarket` (password `lifemarket`) and the database
#    `lifemarket` owned by it, with the extensions the migrations use (earthdistance is not a
#    trusted extension, so the non-superuser app role could not create it itself).
# 3. Builds the app, runs its migrations, seeds the demo data (idempotent; prints the demo
#    accounts) and serves on BIND_ADDR.
# 4. Payments: makes sandbox keys in var/pay-keys when missing (scripts/pay-keys.sh), starts
#    the payment sandbox (`lifemarket sandbox-pay`, docs/payments.md#sandbox) on SANDBOX_ADDR in
#    the background, stopped when dev.sh exits, and points the app at it with
#    var/pay-keys/app.env, unless WECHAT_MCHID or ALIPAY_APP_ID is already set (then the app
#    talks to whatever those variables name and no sandbox is started).
#
# It does NOT stop the PostgreSQL cluster on exit: that is the machine's shared cluster (other
# runs, other projects, the developer's psql may be using it), and it was only started, not
# created for us. Running dev.sh again reuses the cluster, role, database and demo data.
#
# Environment (read, and exported to the app):
#   DATABASE_URL  default postgres://lifemarket:lifemarket@127.0.0.1:<cluster port>/lifemarket
#                 (role/database setup happens on the local cluster either way)
#   BIND_ADDR     default 127.0.0.1:8080
#   APP_ENV       default development
# Read only:
#   LIFEMARKET_DEV_SKIP_APP  1: stop after the database setup (no build, no server); used to
#                            test this script without cargo
#   LIFEMARKET_DEV_NO_SANDBOX 1: no payment sandbox (payments stay off unless configured)
#   SANDBOX_ADDR             where the payment sandbox listens (default 127.0.0.1:8090)
#   CARGO_TARGET_DIR         where cargo puts the binary (default target)
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh

readonly CLUSTER=main
readonly APP_ROLE=lifemarket
readonly APP_PASSWORD=lifemarket
readonly APP_DB=lifemarket
readonly EXTENSIONS=(btree_gist citext cube earthdistance pg_trgm)
readonly READY_TIMEOUT=30
# Serialises the cluster start and role/database creation of runs started side by side.
readonly SETUP_LOCK=${TMPDIR:-/tmp}/lifemarket-dev-setup.lock

export BIND_ADDR=${BIND_ADDR:-127.0.0.1:8080}
export APP_ENV=${APP_ENV:-development}

# Fail clearly if the HTTP port is taken (another dev.sh is probably running). Checked
# first, and again just before serving since the build may take minutes.
bind_port=${BIND_ADDR##*:}
[[ $bind_port =~ ^[0-9]+$ ]] || die "BIND_ADDR must look like HOST:PORT, not '$BIND_ADDR'"
check_bind_port() {
    port_is_free "$bind_port" ||
        die "port $bind_port (BIND_ADDR=$BIND_ADDR) is already in use: another instance of the \
service (or another program) is probably running. Stop it, or pick another port, e.g.
    BIND_ADDR=127.0.0.1:8081 scripts/dev.sh"
}
check_bind_port

pg_require
command -v pg_lsclusters >/dev/null 2>&1 ||
    die "pg_lsclusters not found; install postgresql-common (apt-get install postgresql)"

setup_fd=""
lock_open setup_fd "$SETUP_LOCK"
flock -w 120 "$setup_fd" || die "timed out waiting for another scripts/dev.sh to set up the database"

# Status ("online", "down", ...) and port of cluster $PG_MAJOR/main; empty if there is none.
cluster_field() {
    pg_lsclusters -h | awk -v ver="$PG_MAJOR" -v name="$CLUSTER" -v col="$1" \
        '$1 == ver && $2 == name { print $col }'
}

status=$(cluster_field 4)
if [[ -z $status ]]; then
    log "creating PostgreSQL cluster $PG_MAJOR/$CLUSTER"
    # Lock fds closed: the postmaster must not inherit (and so hold) our setup lock.
    run_without_locks pg_createcluster "$PG_MAJOR" "$CLUSTER" --locale=C.UTF-8 --start ||
        die "could not create the cluster; as root run: pg_createcluster $PG_MAJOR $CLUSTER --start"
elif [[ $status != online* ]]; then
    log "starting PostgreSQL cluster $PG_MAJOR/$CLUSTER"
    run_without_locks pg_ctlcluster "$PG_MAJOR" "$CLUSTER" start || die "could not start the cluster; as root run: pg_ctlcluster $PG_MAJOR $CLUSTER start"
fi
pg_port=$(cluster_field 3)
pg_log=$(cluster_field 7)
pg_wait_ready 127.0.0.1 "$pg_port" "$READY_TIMEOUT" "$pg_log"

# psql as the postgres superuser over the cluster's unix socket.
psql_admin() {
    pg_as_owner "$PG_BIN/psql" -X -q -p "$pg_port" -v ON_ERROR_STOP=1 "$@"
}
if ! psql_admin -d postgres -tAc 'select 1' >/dev/null; then
    die "cannot connect to PostgreSQL as a superuser over its unix socket. Run scripts/dev.sh as
root, or create the role and database yourself:
    sudo -u postgres psql -p $pg_port -c \"CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD'\"
    sudo -u postgres psql -p $pg_port -c \"CREATE DATABASE $APP_DB OWNER $APP_ROLE\""
fi

if [[ -z $(psql_admin -d postgres -tAc "select 1 from pg_roles where rolname = '$APP_ROLE'") ]]; then
    log "creating role $APP_ROLE"
    psql_admin -d postgres -c "CREATE ROLE $APP_ROLE LOGIN PASSWORD '$APP_PASSWORD'"
fi
if [[ -z $(psql_admin -d postgres -tAc "select 1 from pg_database where datname = '$APP_DB'") ]]; then
    log "creating database $APP_DB"
    # A UTF-8 character type whatever the cluster's: pg_trgm finds no trigram in Chinese text
    # under LC_CTYPE=C (search, docs/discovery.md#search).
    psql_admin -d postgres -c "CREATE DATABASE $APP_DB OWNER $APP_ROLE TEMPLATE template0 \
ENCODING 'UTF8' LC_COLLATE 'C.UTF-8' LC_CTYPE 'C.UTF-8'"
fi
ctype=$(psql_admin -d postgres -tAc "select datctype from pg_database where datname = '$APP_DB'")
[[ $ctype == *UTF-8* || $ctype == *utf8* ]] ||
    warn "database $APP_DB has LC_CTYPE=$ctype: search finds no Chinese text of 3+ characters; drop it to let this script recreate it with C.UTF-8"
for ext in "${EXTENSIONS[@]}"; do
    psql_admin -d "$APP_DB" -c 'SET client_min_messages = warning' \
        -c "CREATE EXTENSION IF NOT EXISTS $ext CASCADE"
done
lock_close "$setup_fd"

export DATABASE_URL=${DATABASE_URL:-postgres://$APP_ROLE:$APP_PASSWORD@127.0.0.1:$pg_port/$APP_DB}
log "database ready: $DATABASE_URL"

if [[ ${LIFEMARKET_DEV_SKIP_APP:-0} == 1 ]]; then
    log "LIFEMARKET_DEV_SKIP_APP=1: stopping before building and running the app"
    exit 0
fi

log "building"
cargo build
app=${CARGO_TARGET_DIR:-target}/debug/lifemarket

log "migrating"
"$app" migrate
log "seeding demo data"
"$app" seed --demo
check_bind_port

# The payment sandbox, unless real (or other) providers are configured.
sandbox_pid=""
if [[ ${LIFEMARKET_DEV_NO_SANDBOX:-0} != 1 && -z ${WECHAT_MCHID:-} && -z ${ALIPAY_APP_ID:-} ]]; then
    export SANDBOX_ADDR=${SANDBOX_ADDR:-127.0.0.1:8090}
    sandbox_port=${SANDBOX_ADDR##*:}
    port_is_free "$sandbox_port" ||
        die "port $sandbox_port (SANDBOX_ADDR=$SANDBOX_ADDR) is already in use: another payment sandbox \
is probably running. Stop it, or pick another port, e.g.
    SANDBOX_ADDR=127.0.0.1:8091 scripts/dev.sh
or run without one: LIFEMARKET_DEV_NO_SANDBOX=1 scripts/dev.sh"
    scripts/pay-keys.sh var/pay-keys >/dev/null
    set -a
    # shellcheck source=/dev/null
    . var/pay-keys/app.env
    set +a
    log "payment sandbox on http://$SANDBOX_ADDR (keys in var/pay-keys)"
    "$app" sandbox-pay --addr "$SANDBOX_ADDR" --keys var/pay-keys &
    sandbox_pid=$!
fi

log "serving on http://$BIND_ADDR (Ctrl-C to stop; the PostgreSQL cluster keeps running)"
if [[ -z $sandbox_pid ]]; then
    exec "$app" serve
fi
# With the sandbox: serve in the foreground of this shell, then stop the sandbox we started.
trap 'kill "$sandbox_pid" 2>/dev/null || true' EXIT
"$app" serve
