#!/bin/sh
# The benchmarks of docs/benchmarks.md: the central service's TLS and seeding figures, with a
# throwaway PostgreSQL for the seeding run. Not part of the test command.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
apt_install build-essential pkg-config ca-certificates postgresql
ensure_rust
. scripts/lib/postgres.sh
start_test_postgres
cargo bench --locked -p placeforte-central --bench central
