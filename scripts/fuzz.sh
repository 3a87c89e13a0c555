#!/bin/sh
# Runs each fuzz target of fuzz/ (cargo-fuzz, libFuzzer) for a bounded time, starting from the
# committed regression corpus of its crate. The test command runs it (FUZZ_SECONDS each, 60 by
# default); the corpus itself is also replayed by the normal tests (`fuzz_regressions`).
#
#   scripts/fuzz.sh [SECONDS] [--keep-new-corpus]
#
# SECONDS (or FUZZ_SECONDS) is the time per target. Every target runs even when one fails; a
# crash, a timeout or an out-of-memory input fails the script at the end, with its input left in
# fuzz/artifacts/<target>/ (and printed in base64 by libFuzzer): fix the bug, then copy the input
# into the target's regression folder below so CI replays it from then on.
#
# New inputs go to fuzz/corpus/<target>/, which git ignores, so a run leaves the tree clean.
# --keep-new-corpus then merges into the regression folder only the fewest inputs that reach
# code the folder does not (libFuzzer's -set_cover_merge=1), to review and commit
# (docs/fuzzing.md).
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
ensure_needs "$BUILD_NEEDS"
ensure_rust

seconds=${FUZZ_SECONDS:-60}
keep_new_corpus=false
for arg in "$@"; do
    case "$arg" in
        --keep-new-corpus) keep_new_corpus=true ;;
        *[!0-9]* | '') echo "usage: scripts/fuzz.sh [SECONDS] [--keep-new-corpus]" >&2; exit 2 ;;
        *) seconds=$arg ;;
    esac
done

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# libFuzzer's instrumentation needs nightly flags: the nightly toolchain when installed,
# otherwise stable with RUSTC_BOOTSTRAP=1 (works for cargo-fuzz without a sanitizer).
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
    toolchain="+nightly"
else
    toolchain=""
    export RUSTC_BOOTSTRAP=1
fi

# fuzz/ is its own workspace with its own committed lock; like the root one it is used as
# locked, so a dependency added to our crates fails here until the lock is updated on purpose.
# shellcheck disable=SC2086
if ! cargo $toolchain metadata --manifest-path fuzz/Cargo.toml --locked --format-version 1 \
        >/dev/null; then
    echo "fuzz/Cargo.lock is out of date: run 'cargo update --workspace --manifest-path fuzz/Cargo.toml' and commit it" >&2
    exit 1
fi

regressions() {
    case "$1" in
        import_preview) echo crates/desk/tests/fuzz-regressions/import ;;
        invite_parse) echo crates/protocol/tests/fuzz-regressions/invite ;;
        wire_json) echo crates/protocol/tests/fuzz-regressions/wire_json ;;
        witness_request) echo crates/translog/tests/fuzz-regressions/witness_request ;;
    esac
}

# No sanitizer: every crate of ours forbids unsafe code, and libFuzzer still catches panics,
# overflows (debug assertions are on) and runaway memory; without AddressSanitizer the
# targets run several times faster. No input of ours takes more than milliseconds, so one
# that takes 30 s is a finding (a hang), not a slow machine.
echo "==> building the fuzz targets"
# shellcheck disable=SC2086
cargo $toolchain fuzz build --sanitizer none --fuzz-dir fuzz
# libFuzzer logs every new input (thousands of lines a minute): each run's log goes to
# fuzz/target/logs/<target>.log (ignored by git), and only its totals, or on failure its end
# (the panic, the stack and the input in base64), are printed.
mkdir -p fuzz/target/logs
failed=""
for target in import_preview invite_parse wire_json witness_request; do
    mkdir -p "fuzz/corpus/$target"
    log="fuzz/target/logs/$target.log"
    echo "==> fuzzing $target for ${seconds}s (log: $log)"
    # shellcheck disable=SC2086
    if ! cargo $toolchain fuzz run --sanitizer none --fuzz-dir fuzz "$target" \
        "fuzz/corpus/$target" "$(regressions "$target")" \
        -- -max_total_time="$seconds" -timeout=30 -print_final_stats=1 -rss_limit_mb=2048 \
        -max_len=65536 >"$log" 2>&1; then
        tail -n 80 "$log"
        failed="$failed $target"
        continue
    fi
    grep -E '^(Done |stat::(number_of_executed_units|average_exec_per_sec|new_units_added|peak_rss_mb))' "$log" |
        sed 's/^/    /'
    if $keep_new_corpus; then
        echo "==> keeping the inputs of $target that add coverage in $(regressions "$target")"
        # shellcheck disable=SC2086
        cargo $toolchain fuzz run --sanitizer none --fuzz-dir fuzz "$target" \
            "$(regressions "$target")" "fuzz/corpus/$target" -- -set_cover_merge=1 -max_len=65536
    fi
done

if [ -n "$failed" ]; then
    echo "fuzzing found inputs that fail:$failed" >&2
    for target in $failed; do
        ls -l "fuzz/artifacts/$target" >&2 2>/dev/null || true
    done
    exit 1
fi
