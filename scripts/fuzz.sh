#!/bin/sh
# Runs each fuzz target of fuzz/ (cargo-fuzz, libFuzzer) for the given seconds (default 60),
# starting from the committed regression corpus of its crate. Not part of the test command: the
# corpus itself is replayed by the normal tests (`fuzz_regressions`). A crash stops the script
# and leaves its input in fuzz/artifacts/<target>/: fix the bug, then copy the input into the
# target's regression folder below so CI replays it from then on.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh
apt_install build-essential pkg-config ca-certificates
ensure_rust
seconds=${1:-60}

command -v cargo-fuzz >/dev/null 2>&1 || cargo install cargo-fuzz --locked

# libFuzzer's instrumentation needs nightly flags: the nightly toolchain when installed,
# otherwise stable with RUSTC_BOOTSTRAP=1 (works for cargo-fuzz without a sanitizer).
if command -v rustup >/dev/null 2>&1 && rustup toolchain list | grep -q '^nightly'; then
    toolchain="+nightly"
else
    toolchain=""
    export RUSTC_BOOTSTRAP=1
fi

regressions() {
    case "$1" in
        import_preview) echo crates/desk/tests/fuzz-regressions/import ;;
        invite_parse) echo crates/protocol/tests/fuzz-regressions/invite ;;
        wire_json) echo crates/protocol/tests/fuzz-regressions/wire_json ;;
    esac
}

# No sanitizer: every crate of ours forbids unsafe code, and libFuzzer still catches panics,
# overflows (debug assertions are on) and runaway memory; without AddressSanitizer the
# targets run several times faster.
for target in import_preview invite_parse wire_json; do
    mkdir -p "fuzz/corpus/$target"
    echo "==> fuzzing $target for ${seconds}s"
    # shellcheck disable=SC2086
    cargo $toolchain fuzz run --sanitizer none --fuzz-dir fuzz "$target" \
        "fuzz/corpus/$target" "$(regressions "$target")" \
        -- -max_total_time="$seconds" -print_final_stats=1 -rss_limit_mb=2048 -max_len=65536
done
