#!/usr/bin/env bash
# scripts/test.sh — run the whole test suite: `scripts/test.sh [cargo test args...]`
#
# Brings up a throw-away PostgreSQL instance for the tests on tmpfs (/dev/shm, fsync off),
# exports TEST_DATABASE_URL (an admin URL; the Rust test harness creates the template and
# per-test databases itself) and runs `cargo test --locked "$@"`. The exit status is cargo's.
#
# Safe to run again and side by side:
#   * an instance already running in our data dir is reused;
#   * if the port is taken by something else, the next free port is used, with its own data
#     dir (/dev/shm/lifemarket-test-pg-<port>), so two instances never share a data dir;
#   * "what a command started it stops": every run holds a shared flock on <data dir>.lock
#     while it runs; on exit (also on failure or Ctrl-C) a run takes the exclusive lock without
#     waiting and, if it gets it (no other run is using the instance) and the instance was
#     started by this script, stops it. Otherwise the instance is left to the run(s) still
#     using it, and the last one out stops it. <data dir>.start.lock serialises starting and
#     stopping, so a run never reuses an instance that is being stopped.
#
# Environment:
#   LIFEMARKET_TEST_PG_PORT  first port to try (default 55432)
#   LIFEMARKET_TEST_KEEP_PG  1: leave the instance running after this run (and after the
#                            other runs using it), e.g. to poke at it with psql
#   LIFEMARKET_TEST_CMD      run this shell command instead of `cargo test` (it gets the
#                            script's arguments as "$@"); used to test this script itself,
#                            e.g. LIFEMARKET_TEST_CMD='psql "$TEST_DATABASE_URL" -c "select 1"'
#
# A streaming replica of the instance (pg_basebackup -R into <data dir>-replica, port <port>+500
# or the next free one) runs beside it for the replica test (tests/api/replicas.rs); it is
# reused while it runs and stopped with the instance. If it cannot be set up, the suite still
# runs and only the replica test fails, saying why.
# Exports: TEST_DATABASE_URL=postgres://postgres@127.0.0.1:<port>/postgres
#          TEST_REPLICA_URL=postgres://postgres@127.0.0.1:<replica port>/postgres
#          TEST_REPLICA_CTL=<a script: `stop` or `start` the replica>
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
# shellcheck source=scripts/pg-common.sh
source scripts/pg-common.sh

readonly DEFAULT_PORT=55432
readonly DIR_PREFIX=/dev/shm/lifemarket-test-pg
readonly PORT_TRIES=20     # ports tried after the first one is taken
readonly READY_TIMEOUT=30  # seconds to wait for the server to accept connections
readonly LOCK_TIMEOUT=120  # seconds to wait for another run that is starting/stopping it

BASE_PORT=${LIFEMARKET_TEST_PG_PORT:-$DEFAULT_PORT}
KEEP_PG=${LIFEMARKET_TEST_KEEP_PG:-0}
[[ $BASE_PORT =~ ^[0-9]+$ ]] || die "LIFEMARKET_TEST_PG_PORT must be a port number, not '$BASE_PORT'"

# State read by the exit handler.
PG_DIR=""   # data dir of the instance this run uses (set once its start lock is held)
START_FD="" # fd of <data dir>.start.lock while held
USE_FD=""   # fd of <data dir>.lock (shared lock held for the whole run)

# One data dir per port: the default port gets the plain name.
data_dir_for_port() {
    if [[ $1 == "$DEFAULT_PORT" ]]; then
        printf '%s\n' "$DIR_PREFIX"
    else
        printf '%s-%s\n' "$DIR_PREFIX" "$1"
    fi
}

# Marker file: exists while the instance was started by this script without
# LIFEMARKET_TEST_KEEP_PG, i.e. while the last run using it must stop it.
owned_marker() { printf '%s.started-by-test-sh\n' "$1"; }

instance_running() { pg_as_owner "$PG_BIN/pg_ctl" status -D "$1" >/dev/null 2>&1; }

# initdb unless the data dir already holds a cluster of our major version.
ensure_data_dir() {
    local dir=$1 out
    if [[ -f $dir/PG_VERSION && $(<"$dir/PG_VERSION") == "$PG_MAJOR" ]]; then
        return
    fi
    if [[ -e $dir ]]; then
        log "removing stale test data dir $dir"
        rm -rf -- "$dir"
    fi
    log "creating test PostgreSQL data dir $dir"
    # initdb creates the dir itself, owned by the user it runs as (postgres when we are root).
    out=$(pg_as_owner "$PG_BIN/initdb" -D "$dir" -A trust -U postgres --no-sync \
        --encoding=UTF8 --locale=C.UTF-8 2>&1) || {
        printf '%s\n' "$out" >&2
        die "initdb failed for $dir"
    }
}

start_instance() {
    local dir=$1 port=$2
    log "starting test PostgreSQL on 127.0.0.1:$port (data dir $dir, log $dir/server.log)"
    if ! pg_as_owner "$PG_BIN/pg_ctl" start -D "$dir" -l "$dir/server.log" \
        -w -t "$READY_TIMEOUT" -o "-p $port -c listen_addresses=127.0.0.1 \
-c unix_socket_directories=$dir -c fsync=off -c synchronous_commit=off \
-c full_page_writes=off -c max_connections=300 -c shared_buffers=128MB" >/dev/null; then
        printf -- '--- last lines of %s ---\n' "$dir/server.log" >&2
        tail -n 30 "$dir/server.log" >&2 || true
        die "could not start the test PostgreSQL in $dir"
    fi
}

# The replica of the instance in $1: data dir, and its port from its configuration.
replica_dir_for() { printf '%s-replica\n' "$1"; }
replica_port() { sed -n "s/^port = '\{0,1\}\([0-9]*\).*/\1/p" "$1/postgresql.auto.conf" 2>/dev/null | tail -n 1; }

# The helper the replica test calls to stop and start the replica: it closes our lock fds
# (a postmaster must not hold them) and runs pg_ctl as the owner.
write_replica_ctl() {
    local dir=$1 ctl=$1.ctl sudo=""
    is_root && sudo="runuser -u postgres -- "
    cat >"$ctl" <<CTL
#!/usr/bin/env bash
# Written by scripts/test.sh: \$1 is stop or start.
for fd in /proc/\$\$/fd/*; do n=\${fd##*/}; if ((n > 2)); then eval "exec \$n>&-" 2>/dev/null; fi; done
case \$1 in
stop) exec ${sudo}$PG_BIN/pg_ctl stop -D $dir -m fast -w -t 60 ;;
start) exec ${sudo}$PG_BIN/pg_ctl start -D $dir -l $dir/server.log -w -t $READY_TIMEOUT ;;
*) echo "usage: \$0 stop|start" >&2; exit 2 ;;
esac
CTL
    chmod 755 "$ctl"
}

# Start (or reuse) the replica of the instance in $1 on port $2; prints its port. Called with
# the start lock held.
ensure_replica() {
    local primary_dir=$1 primary_port=$2 dir rport out
    dir=$(replica_dir_for "$primary_dir")
    if instance_running "$dir"; then
        rport=$(replica_port "$dir")
        # Reuse it only while it streams from this instance (not from an earlier one, say).
        for _ in 1 2 3 4 5; do
            if [[ $("$PG_BIN/psql" -X -At -h 127.0.0.1 -p "$rport" -U postgres -d postgres -c \
                "select count(*) from pg_stat_wal_receiver where status = 'streaming'" 2>/dev/null) == 1 ]]; then
                printf '%s\n' "$rport"
                return
            fi
            sleep 1
        done
        log "the test replica in $dir does not stream; rebuilding it"
        pg_as_owner "$PG_BIN/pg_ctl" stop -D "$dir" -m immediate -w >/dev/null 2>&1 || true
    fi
    rm -rf -- "$dir"
    rport=$((primary_port + 500))
    while ! port_is_free "$rport"; do
        rport=$((rport + 1))
        ((rport < primary_port + 600)) || return 1
    done
    log "creating the test replica in $dir (pg_basebackup -R of 127.0.0.1:$primary_port)"
    out=$(pg_as_owner "$PG_BIN/pg_basebackup" -h 127.0.0.1 -p "$primary_port" -U postgres \
        -D "$dir" -R -X stream --no-sync --checkpoint=fast 2>&1) || {
        printf '%s\n' "$out" >&2
        return 1
    }
    pg_as_owner bash -c "cat >>'$dir/postgresql.auto.conf'" <<CONF
port = '$rport'
listen_addresses = '127.0.0.1'
unix_socket_directories = '$dir'
hot_standby = on
fsync = off
max_connections = 300
CONF
    rm -f -- "$dir/server.log" "$dir/postmaster.pid"
    log "starting the test replica on 127.0.0.1:$rport"
    pg_as_owner "$PG_BIN/pg_ctl" start -D "$dir" -l "$dir/server.log" -w -t "$READY_TIMEOUT" >/dev/null || {
        tail -n 20 "$dir/server.log" >&2 || true
        return 1
    }
    printf '%s\n' "$rport"
}

# Exit handler: stop the instance if a test.sh run started it and nobody else uses it.
# Keeps the exit status the script was leaving with (cargo's, normally).
# shellcheck disable=SC2317 # reached through `trap cleanup EXIT`
cleanup() {
    local rc=$?
    trap '' INT TERM HUP # don't let a second Ctrl-C leave the instance half stopped
    if [[ -z $PG_DIR ]]; then
        exit "$rc"
    fi
    if [[ $KEEP_PG == 1 ]]; then
        log "leaving the test PostgreSQL running (LIFEMARKET_TEST_KEEP_PG=1): ${TEST_DATABASE_URL:-$PG_DIR}"
        log "stop it with: ${SUDO_HINT}$PG_BIN/pg_ctl stop -D $PG_DIR"
        exit "$rc"
    fi
    if [[ -z $START_FD ]]; then
        lock_open START_FD "$PG_DIR.start.lock"
        if ! flock -w "$LOCK_TIMEOUT" "$START_FD"; then
            warn "timed out waiting for $PG_DIR.start.lock; leaving the test PostgreSQL running"
            exit "$rc"
        fi
    fi
    [[ -n $USE_FD ]] || lock_open USE_FD "$PG_DIR.lock"
    # Turning our shared lock into an exclusive one succeeds only if no other run holds it.
    if flock -n -x "$USE_FD"; then
        if [[ ! -e $(owned_marker "$PG_DIR") ]]; then
            log "the test PostgreSQL ($PG_DIR) was not started by a test.sh run, or is kept; leaving it running"
        elif instance_running "$PG_DIR"; then
            if instance_running "$(replica_dir_for "$PG_DIR")"; then
                log "stopping the test replica ($(replica_dir_for "$PG_DIR"))"
                pg_as_owner "$PG_BIN/pg_ctl" stop -D "$(replica_dir_for "$PG_DIR")" -m fast -w -t 60 >/dev/null ||
                    warn "could not stop the test replica"
            fi
            log "stopping the test PostgreSQL ($PG_DIR)"
            pg_as_owner "$PG_BIN/pg_ctl" stop -D "$PG_DIR" -m fast -w -t 60 >/dev/null ||
                warn "could not stop the test PostgreSQL in $PG_DIR"
        fi
        rm -f -- "$(owned_marker "$PG_DIR")" || true
    else
        log "the test PostgreSQL ($PG_DIR) is still used by another run; leaving it running"
    fi
    exit "$rc"
}

pg_require
SUDO_HINT=""
is_root && SUDO_HINT="runuser -u postgres -- "

trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# Find our instance: the first port (from BASE_PORT on) whose data dir has a running
# instance, or which is free so we can start one there.
port=$BASE_PORT
for ((i = 0; i <= PORT_TRIES; i++, port++)); do
    dir=$(data_dir_for_port "$port")
    lock_open START_FD "$dir.start.lock"
    flock -w "$LOCK_TIMEOUT" "$START_FD" ||
        die "timed out waiting for another run to start or stop the test PostgreSQL in $dir"
    if instance_running "$dir"; then
        PG_DIR=$dir
        log "reusing the test PostgreSQL already running on 127.0.0.1:$port ($dir)"
        [[ $KEEP_PG != 1 ]] || rm -f -- "$(owned_marker "$dir")"
        break
    elif port_is_free "$port"; then
        PG_DIR=$dir
        # Mark it before starting, so the exit handler also stops a half-started server.
        if [[ $KEEP_PG == 1 ]]; then
            rm -f -- "$(owned_marker "$dir")"
        else
            : >"$(owned_marker "$dir")"
        fi
        ensure_data_dir "$dir"
        start_instance "$dir" "$port"
        break
    fi
    log "port $port is taken by something other than our test PostgreSQL; trying $((port + 1))"
    lock_close "$START_FD"
    START_FD=""
done
[[ -n $PG_DIR ]] ||
    die "no free port for the test PostgreSQL in $BASE_PORT..$((BASE_PORT + PORT_TRIES))"

pg_wait_ready 127.0.0.1 "$port" "$READY_TIMEOUT" "$PG_DIR/server.log" ||
    die "the test PostgreSQL in $PG_DIR does not accept connections"
if replica_port=$(ensure_replica "$PG_DIR" "$port") && [[ -n $replica_port ]]; then
    write_replica_ctl "$(replica_dir_for "$PG_DIR")"
    export TEST_REPLICA_URL="postgres://postgres@127.0.0.1:$replica_port/postgres"
    export TEST_REPLICA_CTL="$(replica_dir_for "$PG_DIR").ctl"
    log "TEST_REPLICA_URL=$TEST_REPLICA_URL"
else
    warn "no test replica (see above): the replica test will fail"
fi

# Announce that we use the instance, then let other runs start/stop again.
lock_open USE_FD "$PG_DIR.lock"
flock -s "$USE_FD"
lock_close "$START_FD"
START_FD=""

export TEST_DATABASE_URL="postgres://postgres@127.0.0.1:$port/postgres"
log "TEST_DATABASE_URL=$TEST_DATABASE_URL"

if [[ -n ${LIFEMARKET_TEST_CMD:-} ]]; then
    cmd=(bash -c "$LIFEMARKET_TEST_CMD" lifemarket-test-cmd "$@")
elif [[ -f Cargo.lock ]]; then
    cmd=(cargo test --locked "$@")
else
    cmd=(cargo test "$@")
fi
log "running: ${LIFEMARKET_TEST_CMD:-${cmd[*]}}"

# Not `exec`: the exit handler must run afterwards. Keep the command's exit status.
set +e
"${cmd[@]}"
status=$?
set -e
exit "$status"
