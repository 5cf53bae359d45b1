# shellcheck shell=bash
# Shared by bench/run.sh, bench/faults.sh and bench/fuzz.sh. Source it from the repository root
# after scripts/pg-common.sh; don't run it.
#
# Sets PG_DIR, PG_PORT, PG_OPTS and ADMIN_URL for the bench PostgreSQL instance (BENCH_PG_DIR,
# default /dev/shm/lifemarket-bench-pg; BENCH_PG_PORT, default 55532), TARGET (CARGO_TARGET_DIR
# or ./target), and defines psql_q, bench_build and bench_pg_start.

PG_DIR=${BENCH_PG_DIR:-/dev/shm/lifemarket-bench-pg}
PG_PORT=${BENCH_PG_PORT:-55532}
# Durable settings (fsync and synchronous_commit on) on tmpfs, where an fsync is cheap.
PG_OPTS="-p $PG_PORT -c listen_addresses=127.0.0.1 -c unix_socket_directories=$PG_DIR \
-c max_connections=200 -c shared_buffers=512MB -c work_mem=8MB"
ADMIN_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
TARGET=${CARGO_TARGET_DIR:-$PWD/target}

psql_q() { psql -X -q -v ON_ERROR_STOP=1 -At "$@"; }

# cargo build --release, unless BENCH_SKIP_BUILD=1 (then the binary already built is used).
bench_build() {
    [[ ${BENCH_SKIP_BUILD:-0} == 1 ]] && return
    log "building the release binary (CARGO_TARGET_DIR=$TARGET)"
    CARGO_TARGET_DIR=$TARGET cargo build --release --locked --quiet
}

# Start the bench PostgreSQL (creating its data dir the first time), or reuse it when it runs.
# It is left running for the next run; BENCH_STOP_PG=1 makes bench/run.sh and bench/fuzz.sh stop it.
bench_pg_start() {
    if pg_as_owner "$PG_BIN/pg_ctl" status -D "$PG_DIR" >/dev/null 2>&1; then
        log "reusing the bench PostgreSQL on 127.0.0.1:$PG_PORT ($PG_DIR)"
        return
    fi
    if [[ ! -f $PG_DIR/PG_VERSION ]]; then
        rm -rf -- "$PG_DIR"
        log "creating the bench PostgreSQL data dir $PG_DIR"
        pg_as_owner "$PG_BIN/initdb" -D "$PG_DIR" -A trust -U postgres --no-sync \
            --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    fi
    port_is_free "$PG_PORT" || die "port $PG_PORT is taken; set BENCH_PG_PORT"
    log "starting the bench PostgreSQL on 127.0.0.1:$PG_PORT"
    pg_as_owner "$PG_BIN/pg_ctl" start -D "$PG_DIR" -l "$PG_DIR/server.log" -w -t 60 \
        -o "$PG_OPTS" >/dev/null || die "could not start PostgreSQL (see $PG_DIR/server.log)"
}
