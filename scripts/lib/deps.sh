# Shared helpers for the scripts: install what is missing on Debian/Ubuntu.
# Sourced, not run.

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# apt_install PKG...: installs the packages not yet installed. The first install can fail with
# "dpkg: cannot access archive" on some images (a hook deletes downloads early), so it is
# retried once after a fresh update.
apt_install() {
    missing=""
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" \
            || missing="$missing $pkg"
    done
    [ -z "$missing" ] && return 0
    echo "==> installing:$missing"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    # shellcheck disable=SC2086
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing \
        || { as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
             as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $missing; }
}

# ensure_rust: a Rust toolchain with rustfmt and clippy.
ensure_rust() {
    if [ -f "$HOME/.cargo/env" ]; then . "$HOME/.cargo/env"; fi
    if ! command -v cargo >/dev/null 2>&1; then
        apt_install curl ca-certificates
        echo "==> installing Rust (rustup)"
        curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal
        . "$HOME/.cargo/env"
    fi
    if command -v rustup >/dev/null 2>&1; then
        rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
        rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
    fi
}

# add_exit_hook CMD: runs CMD when the script exits (normally, on error, or interrupted).
# Several hooks compose (a single `trap` would replace the previous one); they run last-first.
EXIT_HOOKS=""
run_exit_hooks() {
    for hook in $EXIT_HOOKS; do "$hook" || true; done
}
add_exit_hook() {
    EXIT_HOOKS="$1 $EXIT_HOOKS"
    trap run_exit_hooks EXIT
    trap 'run_exit_hooks; exit 130' INT TERM
}

# ensure_node: Node.js and npm for the front end (Debian's own packages are recent enough).
ensure_node() {
    command -v npm >/dev/null 2>&1 || apt_install nodejs npm
}

# ensure_tauri_driver: the WebDriver bridge for the real-window tests. crates.io's newest is a
# 3.0 alpha, so the major is pinned.
ensure_tauri_driver() {
    command -v tauri-driver >/dev/null 2>&1 && return 0
    echo "==> installing tauri-driver"
    cargo install --quiet tauri-driver --version ^2 --locked
}

# The front end's packages as locked. npm 11 writes a lock without the other platforms' optional
# rollup binaries, then its own `npm ci` refuses that lock as out of sync; `npm install` still
# installs the locked versions.
install_ui_packages() {
    (cd ui && { npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1 ||
        npm install --no-audit --no-fund --loglevel=error >/dev/null; })
}

# ensure_cargo_deny: the dependency policy checker of deny.toml (advisories, licences, bans,
# sources; docs/supply-chain.md). The 0.20 line reads the advisory database format of the copy
# in ../shared/advisory-db/; a cold install compiles for about 3 minutes.
ensure_cargo_deny() {
    command -v cargo-deny >/dev/null 2>&1 && return 0
    echo "==> installing cargo-deny"
    cargo install --quiet --locked cargo-deny --version ^0.20
}
