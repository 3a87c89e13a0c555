# A throwaway PostgreSQL cluster for the test suite. Sourced, not run.
#
# start_test_postgres: initdb in a fresh temp dir, start on a free port (loopback only, no fsync),
# export PLACEFORTE_TEST_POSTGRES_URL, and stop and delete the cluster when the calling shell
# exits. Returns non-zero (so `set -e` scripts fail) if the cluster cannot start.
# initdb refuses to run as root: as root, the cluster belongs to the `postgres` user.

pg_bin_dir() {
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1
}

pg_run() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$PG_BIN/$@"
    else
        "$PG_BIN/$@"
    fi
}

stop_test_postgres() {
    if [ -n "${PG_TEST_DIR:-}" ] && [ -d "$PG_TEST_DIR" ]; then
        pg_run pg_ctl -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
        rm -rf "$PG_TEST_DIR"
    fi
}

start_test_postgres() {
    PG_BIN=$(pg_bin_dir)
    if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
        echo "PostgreSQL server binaries not found under /usr/lib/postgresql (package postgresql)" >&2
        return 1
    fi
    PG_TEST_DIR=$(mktemp -d /tmp/placeforte-pg.XXXXXX)
    # deps.sh's add_exit_hook composes with other clean-ups; a plain trap where it is absent.
    if command -v add_exit_hook >/dev/null 2>&1; then
        add_exit_hook stop_test_postgres
    else
        trap stop_test_postgres EXIT
        trap 'stop_test_postgres; exit 130' INT TERM
    fi
    if [ "$(id -u)" -eq 0 ]; then chown postgres:postgres "$PG_TEST_DIR"; fi
    if ! pg_run initdb -D "$PG_TEST_DIR/data" -A trust -U postgres --no-sync >"$PG_TEST_DIR/initdb.log" 2>&1; then
        cat "$PG_TEST_DIR/initdb.log" >&2
        echo "initdb failed" >&2
        return 1
    fi
    # A random high port; retried because another process may hold it.
    for _attempt in 1 2 3 4 5; do
        port=$(shuf -i 20000-60000 -n 1)
        if pg_run pg_ctl -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/server.log" -w -t 30 start \
            -o "-k $PG_TEST_DIR -p $port -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
            >/dev/null 2>&1; then
            export PLACEFORTE_TEST_POSTGRES_URL="postgres://postgres@127.0.0.1:$port/postgres"
            echo "==> throwaway PostgreSQL on 127.0.0.1:$port"
            return 0
        fi
    done
    cat "$PG_TEST_DIR/server.log" >&2 2>/dev/null || true
    echo "PostgreSQL did not start" >&2
    return 1
}
