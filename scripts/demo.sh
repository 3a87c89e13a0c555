#!/bin/sh
# The demo: installs what is missing, builds, starts the central service on its embedded SQLite
# with synthetic data, and enrols the desktop app for a demo daycare with open vacancies.
# With a display the app stays open (close it to stop); without one it runs under Xvfb, enrols
# and syncs through WebDriver, and prints the path of a screenshot of the referrals list.
# Everything it starts stops with it.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh

ensure_needs "$BUILD_NEEDS" "$KEYRING_NEEDS" "$WINDOW_NEEDS"
ensure_rust
ensure_node
ensure_tauri_driver

echo "==> building the front end and the binaries"
install_ui_packages
(cd ui && npm run --silent build >/dev/null)
cargo build --quiet --locked -p placeforte-app -p placeforte-central -p placeforte-e2e --bins

# No desktop session (a server, CI): a throwaway keychain, deleted on exit.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    . scripts/lib/keyring.sh
    start_test_keyring
fi
"${CARGO_TARGET_DIR:-target}/debug/placeforte-demo"
