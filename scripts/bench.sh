#!/bin/sh
# The central service's benchmarks of docs/benchmarks.md (TLS, seeding, referral ordering,
# audit verification, the 3,000-device sync load), with a throwaway PostgreSQL for the runs on
# PostgreSQL. Not part of the test command.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
apt_install build-essential pkg-config ca-certificates postgresql
ensure_rust
. scripts/lib/postgres.sh
start_test_postgres
cargo bench --locked -p placeforte-central --bench central
cargo bench --locked -p placeforte-central --bench audit_referrals
cargo bench --locked -p placeforte-central --bench sync_load
