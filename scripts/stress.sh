#!/bin/sh
# Runs the tests that open the encrypted cache many times over, each test in a process of its
# own as the test command runs them (cargo-nextest), and reports the processes that crashed
# (killed by a signal, or glibc's "double free or corruption" and the like) apart from those
# whose test failed. A crash at exit, after the test passed, is what this is for
# (crates/desk/src/exit_safety.rs): it happens in a fraction of processes, so only many show it.
#
#   scripts/stress.sh [RUNS] [FILTER [TEST_FILTER...]]
#
# RUNS (default 1000): rounds; each round runs every test of every binary once. FILTER: a
# substring of the binaries' paths to keep; TEST_FILTERs: libtest's filters, to keep only the
# tests whose names contain one. The desk's own cache tests:
#   scripts/stress.sh 1000 /placeforte_desk- cache:: local::
# Two processes go at once (PLACEFORTE_STRESS_JOBS to change). Logs of bad runs are kept in
# target/stress/<pid>/. The test command runs 50 rounds (scripts/test.sh). Exits non-zero on
# any crash or failure.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
runs=${1:-1000}
filter=${2:-}
[ "$#" -gt 2 ] && shift 2 || set --
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
mkdir -p "$target"
artifacts="$target/stress-artifacts.$$.json"
if ! cargo test --workspace --locked --no-run --message-format=json >"$artifacts"; then
    rm -f "$artifacts"
    echo "the test binaries did not build" >&2
    exit 1
fi
binaries=$(grep '"reason":"compiler-artifact"' "$artifacts" | grep '"executable":"/' |
    sed 's/.*"manifest_path":"\([^"]*\)\/Cargo.toml".*"executable":"\([^"]*\)".*/\1:\2/' |
    grep -e '/crates/desk:' -e '/src-tauri:' | grep -v -e '/keychain-' -e '/exit-' |
    grep -e "$filter" | sort || true)
rm -f "$artifacts"
# (`cargo test` builds the CLI that the crash tests run beside them.)

# One folder per invocation, so that two stress runs at once keep their own logs.
logs="$target/stress/$$"
rm -rf "$logs"
mkdir -p "$logs"

# One process: exit code 0 (passed), 101 (the test failed), anything else a crash. A process
# that printed a glibc heap error counts as a crash whatever its code.
cat >"$logs/run-one.sh" <<'EOF'
#!/bin/sh
dir=${1%%:*} bin=${1#*:} logs=$2 round=$3 test=$4
log="$logs/$(basename "$bin")-$round-$test.log"
(cd "$dir" && exec "$bin" --exact "$test" --quiet) >"$log" 2>&1
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

total_processes=0
total_crashes=0
total_failures=0
for bin in $binaries; do
    name=$(basename "${bin#*:}")
    tests=$("${bin#*:}" --list --format terse "$@" 2>/dev/null | sed -n 's/: test$//p')
    count=$(echo "$tests" | grep -c . || true)
    [ "$count" -gt 0 ] || continue
    processes=$((runs * count))
    start=$(date +%s)
    results_file="$logs/$name.results"
    : >"$results_file"
    # Progress every tenth of the processes (a thousand rounds take minutes).
    step=$(((processes + 9) / 10))
    for round in $(seq "$runs"); do
        for test in $tests; do echo "$round $test"; done
    done | xargs -P "$jobs" -n 2 "$logs/run-one.sh" "$bin" "$logs" |
        while read -r line; do
            echo "$line" >>"$results_file"
            done_processes=$(wc -l <"$results_file")
            if [ $((done_processes % step)) -eq 0 ] && [ "$done_processes" -lt "$processes" ]; then
                echo "    $name: $done_processes of $processes, $(grep -c '^crash' "$results_file" || true) crashed"
            fi
        done
    crashes=$(grep -c '^crash' "$results_file" || true)
    failures=$(grep -c '^fail' "$results_file" || true)
    echo "$name: $runs rounds of $count tests, $processes processes in $(($(date +%s) - start)) s: $crashes crashed, $failures failed"
    grep -v '^pass' "$results_file" | sed 's/^/    /' | head -10
    total_processes=$((total_processes + processes))
    total_crashes=$((total_crashes + crashes))
    total_failures=$((total_failures + failures))
done
echo "==> stress: $runs rounds of $(echo "$binaries" | wc -l) binaries, $total_processes processes: $total_crashes crashed, $total_failures failed"
if [ "$total_processes" -eq 0 ]; then
    echo "no test matched: nothing was run" >&2
    exit 1
fi
if [ "$total_crashes" -eq 0 ] && [ "$total_failures" -eq 0 ]; then
    rm -rf "$logs"
else
    echo "logs of the bad runs: $logs" >&2
    exit 1
fi
