#!/usr/bin/env bash
# Run the whole pytest suite on each database engine: the embedded SQLite (fresh data dir), then a
# throwaway PostgreSQL 15 cluster started here and always removed on exit.
#
#   tests/run-all.sh                      both engines
#   tests/run-all.sh -k search -x         extra arguments go to pytest
#   PORTAL_TEST_ENGINES=sqlite tests/run-all.sh     (or =postgres) one engine only
#
# Environment: PG_BINDIR (PostgreSQL binaries), PORTAL_PG_PORT (first port to try, default 55432;
# the next free one is used when it is taken), PORTAL_TEST_TIMEOUT (seconds per engine, default 2100).
# Playwright artifacts and JUnit XML go to test-artifacts/<engine>/ (PORTAL_ARTIFACTS_DIR).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

ENGINES="${PORTAL_TEST_ENGINES:-sqlite postgres}"
ENGINES="${ENGINES//,/ }"
for engine in $ENGINES; do
    case "$engine" in
        sqlite|postgres) ;;
        *) echo "run-all: unknown engine '$engine' in PORTAL_TEST_ENGINES (use sqlite, postgres or both)" >&2
           exit 2 ;;
    esac
done

# The project's environment: uv when available (checks the lockfile), else the existing .venv.
if command -v uv >/dev/null 2>&1; then
    PYTHON=(uv run --frozen python)
elif python3 -m uv --version >/dev/null 2>&1; then
    PYTHON=(python3 -m uv run --frozen python)
elif [ -x "$ROOT/.venv/bin/python" ]; then
    PYTHON=("$ROOT/.venv/bin/python")
else
    echo "run-all: neither uv nor .venv found; run 'make test' (or 'uv sync --frozen') first" >&2
    exit 2
fi
PYTEST=("${PYTHON[@]}" -m pytest)

TEST_TIMEOUT="${PORTAL_TEST_TIMEOUT:-2100}"   # seconds per engine (two engines fit in CI's 90 min)
DATA_DIR=""
PG_BASE=""
PG_DATA=""
PG_BINDIR="${PG_BINDIR:-}"

as_postgres() {
    # initdb/pg_ctl refuse to run as root; the cluster belongs to the postgres user.
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

cleanup() {
    if [ -n "$PG_DATA" ] && [ -f "$PG_DATA/postmaster.pid" ]; then
        as_postgres "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w -t 30 stop >/dev/null 2>&1 \
            || echo "run-all: WARNING: could not stop the PostgreSQL cluster in $PG_DATA" >&2
    fi
    [ -n "$PG_BASE" ] && rm -rf "$PG_BASE"
    [ -n "$DATA_DIR" ] && rm -rf "$DATA_DIR"
    return 0
}
CHILD=""

kill_tree() {
    local child
    for child in $(ps -o pid= --ppid "$1" 2>/dev/null); do kill_tree "$child"; done
    kill -TERM "$1" 2>/dev/null
}

on_signal() {
    # pytest runs in the background (see run_child) so that a TERM sent to this script alone is
    # handled now, not after the suite: stop pytest first, then the EXIT trap removes the cluster.
    if [ -n "$CHILD" ]; then kill_tree "$CHILD"; wait "$CHILD" 2>/dev/null; fi
    exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM

run_child() {
    # Background + wait: bash runs traps while waiting; `<&0` keeps stdin (pytest --pdb works).
    "$@" <&0 &
    CHILD=$!
    local rc=0
    wait "$CHILD" || rc=$?
    CHILD=""
    return "$rc"
}

find_pg_bindir() {
    if [ -n "$PG_BINDIR" ]; then
        [ -x "$PG_BINDIR/initdb" ] && return 0
        echo "run-all: PG_BINDIR=$PG_BINDIR has no initdb" >&2
        return 1
    fi
    local dir
    # Debian keeps the server binaries off PATH, one directory per major version; prefer 15.
    for dir in /usr/lib/postgresql/15/bin $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -rV); do
        if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then PG_BINDIR="$dir"; return 0; fi
    done
    for tool in pg_config initdb; do
        if command -v "$tool" >/dev/null 2>&1; then
            if [ "$tool" = pg_config ]; then dir="$(pg_config --bindir)"; else dir="$(dirname "$(readlink -f "$(command -v initdb)")")"; fi
            if [ -x "$dir/initdb" ] && [ -x "$dir/pg_ctl" ]; then PG_BINDIR="$dir"; return 0; fi
        fi
    done
    echo "run-all: PostgreSQL server binaries not found (apt-get install -y postgresql, or set PG_BINDIR)" >&2
    return 1
}

port_in_use() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start_postgres() {
    find_pg_bindir || return 1
    PG_BASE="$(mktemp -d /tmp/portal-pg.XXXXXX)"   # short: the socket path must fit in 107 bytes
    PG_DATA="$PG_BASE/data"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$PG_BASE"; fi
    # C.UTF-8: a UTF-8 LC_CTYPE that classifies CJK characters as letters, so pg_trgm extracts
    # trigrams from Chinese names (with LC_CTYPE=C, show_trgm('郑州宇通客车') is empty).
    if ! as_postgres "$PG_BINDIR/initdb" -D "$PG_DATA" -U portal --auth=trust --encoding=UTF8 \
            --locale=C.UTF-8 --no-sync >"$PG_BASE/initdb.log" 2>&1; then
        cat "$PG_BASE/initdb.log" >&2
        echo "run-all: initdb failed" >&2
        return 1
    fi
    local port="${PORTAL_PG_PORT:-55432}" last=$(( ${PORTAL_PG_PORT:-55432} + 20 ))
    while :; do
        if [ "$port" -gt "$last" ]; then
            echo "run-all: no free port for PostgreSQL between ${PORTAL_PG_PORT:-55432} and $last" >&2
            return 1
        fi
        if port_in_use "$port"; then port=$((port + 1)); continue; fi
        # A throwaway cluster: durability settings off make the suite faster.
        if as_postgres "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -l "$PG_BASE/server.log" -w -t 60 \
                -o "-c listen_addresses=127.0.0.1 -p $port -k $PG_BASE -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
                start >/dev/null; then
            break
        fi
        if grep -q "could not bind\|Address already in use" "$PG_BASE/server.log" 2>/dev/null; then
            port=$((port + 1)); continue    # lost a race for the port: try the next one
        fi
        cat "$PG_BASE/server.log" >&2
        echo "run-all: PostgreSQL did not start" >&2
        return 1
    done
    PG_PORT="$port"
    local psql=("$PG_BINDIR/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U portal)
    "${psql[@]}" -d postgres -c "CREATE DATABASE portal_test" || return 1
    # The query-audit service's own database and roles (DESIGN rule 3; audit/README.md): the owner
    # migrates, checkpoints and purges; the writer (the portal) may only insert entries; the reader
    # (auditors) browses and verifies.
    "${psql[@]}" -d postgres -c "CREATE ROLE audit_owner LOGIN" -c "CREATE ROLE audit_writer LOGIN" \
        -c "CREATE ROLE audit_reader LOGIN" -c "CREATE DATABASE audit_test OWNER audit_owner" || return 1
    # Fail fast with a clear message if this cluster cannot index Chinese text.
    local trgm
    trgm="$("${psql[@]}" -d postgres -At -c "CREATE EXTENSION IF NOT EXISTS pg_trgm" \
            -c "SELECT show_trgm('郑州宇通客车')")" || return 1
    if [ "$trgm" = "{}" ] || [ -z "$trgm" ]; then
        echo "run-all: pg_trgm extracts no trigrams from Chinese text in this cluster (locale problem)" >&2
        return 1
    fi
    echo "run-all: PostgreSQL $("${psql[@]}" -d postgres -At -c 'SHOW server_version') on 127.0.0.1:$PG_PORT ($PG_DATA)"
}

stop_postgres() {
    as_postgres "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m fast -w -t 60 stop >/dev/null 2>&1 \
        || as_postgres "$PG_BINDIR/pg_ctl" -D "$PG_DATA" -m immediate -w stop >/dev/null 2>&1
    rm -rf "$PG_BASE"
    PG_BASE=""; PG_DATA=""
}

run_pytest() {
    local engine="$1"; shift
    local artifacts="$ROOT/test-artifacts/$engine"
    rm -rf "$artifacts"
    mkdir -p "$artifacts"
    echo
    echo "==================== pytest on $engine ===================="
    # A hung test must not eat CI's 90 minutes: tracebacks of every thread after 5 min in one
    # test (pytest's faulthandler), and the whole run stops after PORTAL_TEST_TIMEOUT seconds.
    PORTAL_ARTIFACTS_DIR="$artifacts" PORTAL_TEST_ENGINE="$engine" \
        timeout --kill-after=30 "$TEST_TIMEOUT" \
        "${PYTEST[@]}" -o faulthandler_timeout=300 --output "$artifacts" --junitxml "$artifacts/junit.xml" "$@"
}

# The audit store follows the engine: a separate SQLite file in the data dir (audit.sqlite3, with
# audit-keys/ and audit-export/ beside it), or the audit_test database on the throwaway cluster.
AUDIT_VARS=(AUDIT_DATABASE_URL AUDIT_ADMIN_DATABASE_URL AUDIT_READER_DATABASE_URL AUDIT_DATA_DIR AUDIT_KEY_DIR
            AUDIT_EXPORT_DIR AUDIT_PG_SCHEMA)

sqlite_suite() {
    unset DATABASE_URL "${AUDIT_VARS[@]}"
    export PORTAL_DATA_DIR="$DATA_DIR"
    run_pytest sqlite "$@"
}

postgres_suite() {
    unset "${AUDIT_VARS[@]}"
    export DATABASE_URL="postgresql://portal@127.0.0.1:$PG_PORT/portal_test"
    export PORTAL_DATA_DIR="$DATA_DIR"
    export AUDIT_DATABASE_URL="postgresql://audit_writer@127.0.0.1:$PG_PORT/audit_test"
    export AUDIT_ADMIN_DATABASE_URL="postgresql://audit_owner@127.0.0.1:$PG_PORT/audit_test"
    export AUDIT_READER_DATABASE_URL="postgresql://audit_reader@127.0.0.1:$PG_PORT/audit_test"
    "${PYTHON[@]}" -m audit migrate || return 1
    run_pytest postgres "$@"
}

declare -A RESULT DURATION
OVERALL=0
for engine in $ENGINES; do
    start=$SECONDS
    rc=0
    case "$engine" in
        sqlite)
            DATA_DIR="$(mktemp -d /tmp/portal-data.XXXXXX)"
            run_child sqlite_suite "$@" || rc=$?
            rm -rf "$DATA_DIR"; DATA_DIR=""
            ;;
        postgres)
            if start_postgres; then
                # The data dir still holds the secret key and any files the app writes beside the DB.
                DATA_DIR="$(mktemp -d /tmp/portal-data.XXXXXX)"
                run_child postgres_suite "$@" || rc=$?
                rm -rf "$DATA_DIR"; DATA_DIR=""
                stop_postgres
            else
                rc=-1
                stop_postgres
            fi
            ;;
    esac
    DURATION[$engine]=$((SECONDS - start))
    case "$rc" in
        0) RESULT[$engine]="passed" ;;
        5) RESULT[$engine]="FAILED (no tests collected)" ;;
        124|137) RESULT[$engine]="FAILED (timed out after ${TEST_TIMEOUT}s)" ;;
        -1) RESULT[$engine]="FAILED (could not start PostgreSQL)" ;;
        *) RESULT[$engine]="FAILED (pytest exit $rc)" ;;
    esac
    [ "$rc" -ne 0 ] && OVERALL=1
done

echo
summary=""
for engine in $ENGINES; do
    summary+="${summary:+; }$engine ${RESULT[$engine]} in ${DURATION[$engine]}s"
done
if [ "$OVERALL" -eq 0 ]; then
    echo "run-all: ALL PASSED — $summary"
else
    echo "run-all: FAILED — $summary" >&2
fi
exit "$OVERALL"
