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

# The external programs and C libraries that the scripts, the tests and the demo use, each with
# the Debian package that provides it, one `name package` per line. A name with a slash is a
# path (the tests call those programs by their full path; a glob is allowed), `pc:NAME` a
# pkg-config module (a C library the crates build against), anything else a program on the
# PATH. Essential packages (coreutils, util-linux) are not listed.
BUILD_NEEDS='
cc build-essential
make build-essential
pkg-config pkg-config
pc:openssl libssl-dev
pc:dbus-1 libdbus-1-dev
pc:webkit2gtk-4.1 libwebkit2gtk-4.1-dev
/etc/ssl/certs/ca-certificates.crt ca-certificates
'
# The central service's tests on PostgreSQL (scripts/lib/postgres.sh).
POSTGRES_NEEDS='
/usr/lib/postgresql/*/bin/initdb postgresql
/usr/lib/postgresql/*/bin/pg_ctl postgresql
/usr/lib/postgresql/*/bin/pg_dump postgresql
/usr/lib/postgresql/*/bin/pg_restore postgresql
'
# The access report's PDF read back as text (crates/central/tests/access_report_document.rs).
REPORT_NEEDS='
pdftotext poppler-utils
'
# The throwaway keychain (scripts/lib/keyring.sh) and the desk's keychain tests.
KEYRING_NEEDS='
dbus-daemon dbus
dbus-send dbus
gnome-keyring-daemon gnome-keyring
secret-tool libsecret-tools
pkill procps
kill procps
'
# The real-window tests and the demo (tests/src/window.rs, tests/src/central.rs).
WINDOW_NEEDS='
/usr/bin/Xvfb xvfb
/usr/bin/WebKitWebDriver webkit2gtk-driver
/usr/bin/import imagemagick
sqlite3 sqlite3
'

# need_present NAME: whether the program, path or pkg-config module NAME is there.
need_present() {
    case "$1" in
        pc:*) pkg-config --exists "${1#pc:}" 2>/dev/null ;;
        */*)
            # shellcheck disable=SC2086
            for candidate in $1; do [ -e "$candidate" ] && return 0; done
            return 1
            ;;
        *) command -v "$1" >/dev/null 2>&1 ;;
    esac
}

# missing_needs LIST...: prints `name package` for each entry of the lists that is missing.
missing_needs() {
    for list in "$@"; do
        printf '%s\n' "$list" | while read -r name pkg; do
            if [ -n "$name" ] && ! need_present "$name"; then echo "$name $pkg"; fi
        done
    done
}

# ensure_needs LIST...: installs the package of each missing entry of the lists above, then
# checks them all again (check_needs).
ensure_needs() {
    packages=$(missing_needs "$@" | awk '{ print $2 }' | sort -u)
    # shellcheck disable=SC2086
    [ -z "$packages" ] || apt_install $packages
    check_needs "$@"
}

# check_needs LIST...: fails at once, naming each missing entry and the package to install.
check_needs() {
    absent=$(missing_needs "$@")
    [ -z "$absent" ] && return 0
    echo "missing (install the Debian package named, then run again):" >&2
    echo "$absent" | awk '{ printf "    %s  (package %s)\n", $1, $2 }' >&2
    return 1
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

# The front end's packages as locked. The committed lock lists every platform's optional rollup
# binary, so `npm ci` accepts it (a lock written by npm 11 without them is refused as out of
# sync); `npm install` stays as the fallback for such a lock and installs the locked versions.
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
