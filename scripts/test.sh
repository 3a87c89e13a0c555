#!/bin/sh
# The test command: installs what is missing, then runs every check and every test.
# CI (.ci/run) calls exactly this.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh

ensure_needs "$BUILD_NEEDS" "$POSTGRES_NEEDS" "$REPORT_NEEDS" "$KEYRING_NEEDS" "$WINDOW_NEEDS"
ensure_rust
ensure_node
ensure_tauri_driver
ensure_cargo_deny

# The front end first: the app embeds ui/dist when it compiles (clippy included).
echo "==> ui: install, type-check, unit tests, build"
install_ui_packages
(
    cd ui
    npm run --silent check
    npm run --silent test
    npm run --silent build >/dev/null
)

echo "==> cargo fmt --check"
cargo fmt --all --check

echo "==> cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings

# --- Supply chain (docs/supply-chain.md): every crate we compile against deny.toml, offline
# against the advisory database copy in ../shared/advisory-db/; then each fuzz target for
# FUZZ_SECONDS (60 by default: about 3 minutes for the three, plus their nightly build), where
# a new crash fails the run. The UI's shipped packages are checked by its build above.
echo "==> cargo deny: advisories, licences, bans, sources"
./scripts/deny.sh
echo "==> fuzzing each target for ${FUZZ_SECONDS:-60}s"
FUZZ_SECONDS=${FUZZ_SECONDS:-60} ./scripts/fuzz.sh
# --- end of supply chain

# The central service's integration tests run on SQLite and, through this variable, on PostgreSQL.
. scripts/lib/postgres.sh
start_test_postgres
# The desktop core's keychain tests run against a real Secret Service.
. scripts/lib/keyring.sh
start_test_keyring

# The real-window tests drive these binaries; here they must run, not skip.
echo "==> building the app and the central service for the real-window tests"
cargo build --locked -p placeforte-app -p placeforte-central -p placeforte-witness --bins
export PLACEFORTE_E2E_REQUIRED=1

# The connection attack test (crates/central/tests/attacks/connections.rs) holds 500 hostile
# connections and the service's side of each in one process: more file descriptors than a
# default soft limit of 1024 allows with everything else open.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 4096 2>/dev/null || true

echo "==> tests"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --workspace --locked --no-tests=pass
else
    echo "(cargo-nextest not found: using cargo test)"
    cargo test --workspace --locked --lib --bins --tests
fi
echo "==> doc tests"
cargo test --workspace --locked --doc

# A crash at exit (OpenSSL torn down under a cache connection) shows only over many runs: a
# short stress run, so that a regression fails the build (the long one: scripts/stress.sh).
echo "==> stress: the tests that open the encrypted cache, one process each, ${PLACEFORTE_CI_STRESS_RUNS:=50} rounds"
PLACEFORTE_STRESS_NO_SETUP=1 ./scripts/stress.sh "$PLACEFORTE_CI_STRESS_RUNS"

echo "==> the README's demo command"
./scripts/demo.sh >/dev/null

echo "==> all checks passed"
