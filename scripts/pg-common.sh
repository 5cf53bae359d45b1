# shellcheck shell=bash
# Helpers shared by scripts/test.sh and scripts/dev.sh. Source it; don't run it.
#
# After `pg_require` the following are set:
#   PG_BIN      newest /usr/lib/postgresql/<ver>/bin (pg_ctl, initdb, psql, pg_isready, ...)
#   PG_MAJOR    its major version, e.g. 15
#
# PostgreSQL refuses to run as root, so server-side commands go through `pg_as_owner`,
# which drops to the `postgres` user when we are root.

# Lock file descriptors opened with `lock_open`. They are closed in every process started
# through `pg_as_owner`, so that a postmaster never inherits (and so never holds forever)
# one of our flock locks.
LOCK_FDS=()

log() { printf '==> %s\n' "$*" >&2; }
warn() { printf 'warning: %s\n' "$*" >&2; }
die() {
    printf 'error: %s\n' "$*" >&2
    exit 1
}

is_root() { [[ $(id -u) -eq 0 ]]; }

# Newest installed PostgreSQL bin dir, or nothing.
pg_find_bindir() {
    local dir
    # An unmatched glob stays literal and fails the -x tests below.
    dir=$(printf '%s\n' /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
    if [[ -n $dir && -x $dir/pg_ctl && -x $dir/initdb ]]; then
        printf '%s\n' "$dir"
    fi
}

# Set PG_BIN and PG_MAJOR, installing PostgreSQL first when it is missing and we are root.
pg_require() {
    PG_BIN=$(pg_find_bindir)
    if [[ -z $PG_BIN ]]; then
        if ! is_root; then
            die "PostgreSQL is not installed. Install it (as root) with:
    apt-get install postgresql postgresql-contrib
then run this command again."
        fi
        log "PostgreSQL is not installed; installing postgresql and postgresql-contrib"
        apt-get update
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-upgrade postgresql postgresql-contrib
        PG_BIN=$(pg_find_bindir)
        [[ -n $PG_BIN ]] || die "PostgreSQL still not found under /usr/lib/postgresql after installing it"
    fi
    PG_MAJOR=$(basename "$(dirname "$PG_BIN")")
    export PG_BIN PG_MAJOR
}

# Run a command with our lock fds closed (see LOCK_FDS). Use it for anything that may start
# a postmaster.
run_without_locks() {
    (
        local fd
        for fd in "${LOCK_FDS[@]}"; do
            exec {fd}>&-
        done
        exec "$@"
    )
}

# Run a command as the user that owns PostgreSQL processes and data: `postgres` when we are
# root, ourselves otherwise; with our lock fds closed.
pg_as_owner() {
    if is_root; then
        run_without_locks runuser -u postgres -- "$@"
    else
        run_without_locks "$@"
    fi
}

# Open (creating it if needed) a lock file on a new fd and store the fd number in the
# variable named by $1. Lock it afterwards with `flock [-s|-x] [-n|-w N] "$fd"`.
lock_open() {
    local var=$1 path=$2 fd
    if [[ ! -e $path ]]; then
        # World-writable so another user's later run can use the same lock file.
        (umask 000 && : >>"$path") 2>/dev/null || true
    fi
    # Read-only is enough for flock, and works on a lock file created by another user.
    exec {fd}<"$path" || die "cannot open lock file $path"
    LOCK_FDS+=("$fd")
    printf -v "$var" '%s' "$fd"
}

# Close a fd opened with `lock_open` (which releases its locks).
lock_close() {
    local fd=$1 i
    exec {fd}>&-
    for i in "${!LOCK_FDS[@]}"; do
        [[ ${LOCK_FDS[i]} != "$fd" ]] || unset 'LOCK_FDS[i]'
    done
}

# True when nothing listens on TCP port $1 (on any address).
port_is_free() {
    local port=$1
    if command -v ss >/dev/null 2>&1; then
        [[ -z $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
    else
        # No ss: try to connect on loopback; success means someone is listening.
        ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
    fi
}

# Wait until the server on $1:$2 accepts connections, for at most $3 seconds.
# On timeout print the tail of log file $4 (if given) and fail.
pg_wait_ready() {
    local host=$1 port=$2 timeout=$3 logfile=${4:-} waited=0
    until "$PG_BIN/pg_isready" -q -h "$host" -p "$port" -U postgres -d postgres -t 1; do
        if ((waited >= timeout)); then
            printf 'error: PostgreSQL on %s:%s is not ready after %ss.\n' "$host" "$port" "$timeout" >&2
            if [[ -n $logfile && -r $logfile ]]; then
                printf -- '--- last lines of %s ---\n' "$logfile" >&2
                tail -n 30 "$logfile" >&2
                printf -- '---\n' >&2
            fi
            return 1
        fi
        sleep 1
        waited=$((waited + 1))
    done
}
