#!/bin/sh
# The central service's benchmarks of docs/benchmarks.md (TLS, seeding, referral ordering,
# audit verification, the 3,000-device sync load), with a throwaway PostgreSQL for the runs on
# PostgreSQL. Not part of the test command.
#
# `scripts/bench.sh window`: the desktop app's cold start and memory instead (release build,
# under Xvfb, with a throwaway keychain).
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
if [ "${1:-}" = window ]; then
    ensure_needs "$BUILD_NEEDS" "$KEYRING_NEEDS" "$WINDOW_NEEDS"
    ensure_rust
    ensure_node
    ensure_tauri_driver
    install_ui_packages
    (cd ui && npm run --silent build >/dev/null)
    cargo build --release --locked -p placeforte-app -p placeforte-central --bins
    cargo build --release --locked -p placeforte-app --example bare_window
    cargo build --release --locked -p placeforte-e2e --bin placeforte-window-bench
    . scripts/lib/keyring.sh
    start_test_keyring
    PLACEFORTE_BIN_PROFILE=release "${CARGO_TARGET_DIR:-target}/release/placeforte-window-bench"
    exit 0
fi
ensure_needs "$BUILD_NEEDS" "$POSTGRES_NEEDS"
ensure_rust
. scripts/lib/postgres.sh
start_test_postgres
cargo bench --locked -p placeforte-central --bench central
cargo bench --locked -p placeforte-central --bench audit_referrals
cargo bench --locked -p placeforte-central --bench sync_load
