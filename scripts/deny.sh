#!/bin/sh
# Checks every crate we compile against deny.toml (cargo-deny: advisories, licences, bans,
# sources), offline, with the RustSec advisory database copy beside the repository
# (../shared/advisory-db/advisory-db.bundle, or PLACEFORTE_ADVISORY_DB); where there is none,
# with the current database, which cargo-deny fetches. The test command runs
# it; docs/supply-chain.md says what it checks and why.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_rust
ensure_cargo_deny

bundle=${PLACEFORTE_ADVISORY_DB:-../shared/advisory-db/advisory-db.bundle}
work=$(mktemp -d /tmp/placeforte-deny.XXXXXX)
# shellcheck disable=SC2317 # run by the exit hook
remove_deny_work() { rm -rf "$work"; }
add_exit_hook remove_deny_work
if [ -f "$bundle" ]; then
    # The database is cloned afresh for each run, outside the repository, and never fetched:
    # cargo-deny looks in <db-path>/advisory-db-<hash of its URL> for the default database
    # (3157b0e258782691 is that hash), and the config given to it is deny.toml plus that db-path.
    git -c init.defaultBranch=main clone -q "$bundle" "$work/db/advisory-db-3157b0e258782691"
    sed "/^\[advisories\]\$/a db-path = \"$work/db\"" deny.toml >"$work/deny.toml"
    grep -q "^db-path = \"$work/db\"\$" "$work/deny.toml"
    snapshot=$(git -C "$work/db/advisory-db-3157b0e258782691" log -1 --format=%ct)
    age_days=$(( ($(date +%s) - snapshot) / 86400 ))
    echo "    advisory database snapshot of $(date -u -d "@$snapshot" +%F) ($age_days days old)"
    if [ "$age_days" -gt 120 ]; then
        echo "    warning: the advisory database copy is over 120 days old; advisories published since are not seen" >&2
    fi
    offline=--offline
else
    # A clone elsewhere, without the copy: cargo-deny fetches the current database itself
    # (which needs the network; without it, it fails and says so).
    echo "    no advisory database copy at $bundle: cargo-deny fetches the current one"
    cp deny.toml "$work/deny.toml"
    offline=
fi

# cargo-deny reads `cargo metadata` offline: every crate of the lock, for every platform, must
# already be downloaded (crates.io is reachable; the advisory database is not).
cargo fetch --locked --quiet
cargo fetch --locked --quiet --manifest-path fuzz/Cargo.toml

# Every check runs even when one fails, so one run shows everything to fix.
failed=false
# shellcheck disable=SC2086 # $offline is one flag or none
deny() { cargo deny $offline --locked "$@" || failed=true; }

# The workspace: every check. Duplicate versions are warnings without their inclusion graphs
# (several thousand lines for the Tauri tree); `cargo deny check bans` shows them.
deny --config "$work/deny.toml" check advisories licenses sources
deny --config "$work/deny.toml" check --hide-inclusion-graph bans

# The fuzz targets' own workspace and lock (fuzz/): compiled by CI, never shipped, so only
# advisories and sources; the workspace's ignores that do not apply there are not reported.
deny --manifest-path fuzz/Cargo.toml --config "$work/deny.toml" \
    check --allow advisory-not-detected advisories sources
$failed && { echo "cargo deny failed: see above, and docs/supply-chain.md for exceptions" >&2; exit 1; }
exit 0
