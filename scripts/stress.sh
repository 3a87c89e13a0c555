#!/bin/sh
# Runs every test binary that opens the encrypted cache many times over and reports the runs
# that crashed (killed by a signal, or glibc's "double free or corruption" and the like) apart
# from those whose tests failed. A crash at exit, after every test passed, is what this is for
# (crates/desk/src/exit_safety.rs); it happens in a fraction of runs, so only many runs show it.
#
#   scripts/stress.sh [RUNS] [FILTER]
#
# RUNS (default 1000): runs of each binary. FILTER: a substring of the binaries' names to keep
# (e.g. `placeforte_desk-` for the desk's unit tests, the cache's own among them). Two runs go
# at once (PLACEFORTE_STRESS_JOBS to change). Logs of bad runs are kept in target/stress/<pid>/.
# The test command runs a short version (scripts/test.sh: 50 runs); exits non-zero on any
# crash or failure.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
runs=${1:-1000}
filter=${2:-}
jobs=${PLACEFORTE_STRESS_JOBS:-2}
target=${CARGO_TARGET_DIR:-target}

if [ -z "${PLACEFORTE_STRESS_NO_SETUP:-}" ]; then
    ensure_needs "$BUILD_NEEDS" "$KEYRING_NEEDS"
    ensure_rust
    # The desk's tests that use the OS keychain run against a throwaway one.
    . scripts/lib/keyring.sh
    start_test_keyring
fi

# The binaries: the test targets of the two packages that open the cache (the desktop core and
# the app's shell), as `cargo test --workspace` builds them (the same features, so the same
# artefacts, as the test command's). Left out: the keychain tests, which kill the test keyring
# on purpose, and the exit test, which is a stress loop of its own (crates/desk/tests/exit.rs).
echo "==> building the test binaries that open the encrypted cache"
# Each as `package-dir:executable`: cargo runs a test binary from its package's folder.
binaries=$(cargo test --workspace --locked --no-run --message-format=json 2>/dev/null |
    grep '"reason":"compiler-artifact"' | grep '"executable":"/' |
    sed 's/.*"manifest_path":"\([^"]*\)\/Cargo.toml".*"executable":"\([^"]*\)".*/\1:\2/' |
    grep -e '/crates/desk:' -e '/src-tauri:' | grep -v -e '/keychain-' -e '/exit-' |
    grep -e "$filter" | sort)
# (`cargo test` builds the CLI that the crash tests run beside them.)

# One folder per invocation, so that two stress runs at once keep their own logs.
logs="$target/stress/$$"
rm -rf "$logs"
mkdir -p "$logs"

# One run: exit code 0 (passed), 101 (a test failed), anything else a crash. A run that printed
# a glibc heap error or a sanitizer report counts as a crash whatever its code.
cat >"$logs/run-one.sh" <<'EOF'
#!/bin/sh
dir=${1%%:*} bin=${1#*:} n=$2 logs=$3
log="$logs/$(basename "$bin")-$n.log"
(cd "$dir" && exec "$bin" --quiet) >"$log" 2>&1
code=$?
if grep -qE 'double free or corruption|corrupted size|corrupted double-linked|free\(\): invalid|malloc\(\): |munmap_chunk|Segmentation fault' "$log"; then
    [ "$code" -eq 0 ] || [ "$code" -eq 101 ] && code=crash
fi
case "$code" in
    0) rm -f "$log"; echo pass ;;
    101) echo "fail $log" ;;
    *) echo "crash($code) $log" ;;
esac
EOF
chmod +x "$logs/run-one.sh"

total_crashes=0
total_failures=0
for bin in $binaries; do
    name=$(basename "${bin#*:}")
    start=$(date +%s)
    results_file="$logs/$name.results"
    # Progress every tenth of the runs (a thousand runs of a binary take minutes).
    step=$(((runs + 9) / 10))
    seq "$runs" | xargs -P "$jobs" -I{} "$logs/run-one.sh" "$bin" {} "$logs" |
        while read -r line; do
            echo "$line" >>"$results_file"
            done_runs=$(wc -l <"$results_file")
            if [ $((done_runs % step)) -eq 0 ] && [ "$done_runs" -lt "$runs" ]; then
                echo "    $name: $done_runs of $runs runs, $(grep -c '^crash' "$results_file" || true) crashed"
            fi
        done
    results=$(cat "$results_file")
    crashes=$(echo "$results" | grep -c '^crash' || true)
    failures=$(echo "$results" | grep -c '^fail' || true)
    echo "$name: $runs runs in $(($(date +%s) - start)) s: $crashes crashed, $failures failed"
    echo "$results" | grep -v '^pass' | sed 's/^/    /' | head -10
    total_crashes=$((total_crashes + crashes))
    total_failures=$((total_failures + failures))
done
echo "==> stress: $runs runs of each of $(echo "$binaries" | wc -l) binaries: $total_crashes crashed, $total_failures failed"
if [ "$total_crashes" -eq 0 ] && [ "$total_failures" -eq 0 ]; then
    rm -rf "$logs"
else
    echo "logs of the bad runs: $logs" >&2
    exit 1
fi
