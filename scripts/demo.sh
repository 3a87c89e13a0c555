#!/bin/sh
# The demo: a central service on its embedded SQLite with a synthetic province, and a workstation
# of a demo daycare enrolled against it over mutual TLS, which declares vacancies, syncs its
# referrals into its encrypted cache and reads the de-identified demand; then the operator's
# alerts and audit-log verification. Until the desktop app lands (issue 6), the workstation is driven
# through the desktop core's own command-line tool, `placeforte-desk`, which runs the same code
# the app will. Everything runs in a temporary folder, on free ports, with a throwaway keychain
# when no desktop session provides one; everything stops and is deleted on exit.
set -eu
cd "$(dirname "$0")/.."
. scripts/lib/deps.sh

apt_install build-essential pkg-config libssl-dev ca-certificates \
    libdbus-1-dev dbus gnome-keyring libsecret-tools
ensure_rust

echo "==> building"
cargo build --quiet --locked --bins -p placeforte-central -p placeforte-desk
bin="${CARGO_TARGET_DIR:-target}/debug"
case "$bin" in /*) ;; *) bin="$PWD/$bin" ;; esac

demo=$(mktemp -d /tmp/placeforte-demo.XXXXXX)
remove_demo_dir() { rm -rf "$demo"; }
add_exit_hook remove_demo_dir
# No desktop session (a server, CI): a throwaway keychain, deleted on exit.
if [ -z "${DBUS_SESSION_BUS_ADDRESS:-}" ]; then
    . scripts/lib/keyring.sh
    start_test_keyring
fi

# Free ports in the dynamic range, so the demo does not collide with anything listening.
port() { awk -v seed="$$$1" 'BEGIN { srand(seed); print 20000 + int(rand() * 30000) }'; }
export PLACEFORTE_DATA_DIR="$demo/central" PLACEFORTE_DESK_DATA_DIR="$demo/desk"
export PLACEFORTE_API_LISTEN="127.0.0.1:$(port 1)" PLACEFORTE_ENROLMENT_LISTEN="127.0.0.1:$(port 2)"
export PLACEFORTE_KEYCHAIN_SERVICE="ca.placeforte.demo.$$"
central() { "$bin/placeforte-central" "$@"; }
desk() { "$bin/placeforte-desk" "$@"; }

step() { printf '\n==> %s\n' "$*"; }

step "central service: keys and a synthetic province (88,000 registrations, 3,000 daycares)"
central init >/dev/null
central seed --registrations 88000 --daycares 3000 --seed 42
# The binary itself in the background (not the shell function), so that $! is its process.
RUST_LOG=warn "$bin/placeforte-central" serve &
central_pid=$!
stop_central() { kill "$central_pid" 2>/dev/null || true; wait "$central_pid" 2>/dev/null || true; }
add_exit_hook stop_central

daycare=$(central daycare list | awk -F '\t' 'NR > 1 && $3 ~ /^[0-9]+,[1-9]/ { print $1; exit }')
name=$(central daycare list | awk -F '\t' -v id="$daycare" '$1 == id { print $4 }')
step "operator: a one-time enrolment invitation for $name"
invitation=$(central enrolment-code issue "$daycare" | sed -n 's/^invitation: *//p')
echo "$invitation"

step "workstation: enrolment (the key pair is made here; only a certificate request leaves)"
tries=0
until desk enrol "$invitation" 2>"$demo/enrol.err"; do
    tries=$((tries + 1))
    # The service may still be starting: retry only that, for up to 10 s.
    if [ "$tries" -ge 50 ] || ! grep -q "cannot be reached" "$demo/enrol.err"; then
        cat "$demo/enrol.err" >&2
        exit 1
    fi
    sleep 0.2
done
remove_workstation() { desk wipe --yes >/dev/null 2>&1 || true; }
add_exit_hook remove_workstation
desk whoami

step "workstation: vacancies for September (through the outbox, sent at once)"
start="$(date +%Y)-09-01"
[ "$(date +%m)" -lt 9 ] || start="$(( $(date +%Y) + 1 ))-09-01"
desk vacancy --age-class from_18_months_to_4_years --places 3 --start "$start"
desk vacancy --age-class under_18_months --places 2 --start "$start"

step "workstation: sync of the referrals into the encrypted cache"
desk sync
desk status

step "workstation: demand for this daycare (de-identified; counts under 5 shown as <5)"
desk demand | head -8

step "the cache file holds no readable name: it is SQLCipher-encrypted"
cache=$(desk status | sed -n 's/^cache: //p')
[ -f "$cache" ] || { echo "no cache file at '$cache'" >&2; exit 1; }
if head -c 16 "$cache" | grep -q "SQLite format"; then echo "plaintext!" >&2; exit 1; fi
echo "$cache: $(wc -c <"$cache") bytes, no SQLite header (encrypted)"

step "operator: alerts and the audit log"
central admin alerts
central audit checkpoint
central audit verify

printf '\nDemo finished: everything it started is stopped and its folder %s deleted.\n' "$demo"
