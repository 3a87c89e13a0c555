# A throwaway Secret Service (gnome-keyring on its own D-Bus session) for the desktop core's
# keychain tests. Sourced, not run; needs scripts/lib/deps.sh.
#
# start_test_keyring: starts a private D-Bus session bus and an unlocked gnome-keyring in a
# fresh temp dir (the user's real keyring is never touched), exports the variables that point
# the tests at it plus PLACEFORTE_TEST_KEYRING=1, and stops and deletes it all on exit.
#
# gnome-keyring 42 aborts on a client race (an `OpenSession` from a client that has just gone:
# "gkd_secret_service_get_pkcs11_session: assertion 'client' failed", then a GLib error). A
# desktop session's bus would start a new, locked daemon; here a supervisor restarts it at once,
# unlocked with the same password (the "login" keyring is on disk, so nothing stored is lost),
# and the bus has no service directories, so nothing else can take the name in between. The
# desktop core retries a call the daemon dropped (crates/desk/src/keychain.rs). Each restart
# is reported at the end, with the daemon's last words.

KEYRING_TEST_PASSWORD=placeforte-test

stop_test_keyring() {
    if [ -n "${KEYRING_TEST_DIR:-}" ] && [ -d "$KEYRING_TEST_DIR" ]; then
        touch "$KEYRING_TEST_DIR/stop"
        if [ -n "${KEYRING_TEST_SUPERVISOR_PID:-}" ]; then
            pkill -P "$KEYRING_TEST_SUPERVISOR_PID" 2>/dev/null || true
            wait "$KEYRING_TEST_SUPERVISOR_PID" 2>/dev/null || true
        fi
        [ -n "${KEYRING_TEST_BUS_PID:-}" ] && kill "$KEYRING_TEST_BUS_PID" 2>/dev/null || true
        restarts=$(grep -c '^restart' "$KEYRING_TEST_DIR/supervisor.log" 2>/dev/null || true)
        if [ "${restarts:-0}" -gt 0 ]; then
            echo "note: the test keyring (gnome-keyring-daemon) died $restarts time(s) and was restarted (the keychain tests kill it once on purpose):" >&2
            grep -E 'CRITICAL|ERROR' "$KEYRING_TEST_DIR/daemon.log" | tail -5 >&2 || true
        fi
        rm -rf "$KEYRING_TEST_DIR"
    fi
}

# keyring_supervisor: runs the daemon in the foreground, unlocked, again whenever it dies.
keyring_supervisor() {
    while [ ! -e "$KEYRING_TEST_DIR/stop" ]; do
        printf '%s' "$KEYRING_TEST_PASSWORD" |
            gnome-keyring-daemon --foreground --unlock --components=secrets \
                >>"$KEYRING_TEST_DIR/daemon.log" 2>&1 || true
        [ -e "$KEYRING_TEST_DIR/stop" ] && break
        echo "restart at $(date +%T)" >>"$KEYRING_TEST_DIR/supervisor.log"
        # A socket left by the dead daemon would make the next one think it is running.
        rm -rf "$XDG_RUNTIME_DIR/keyring"
    done
}

start_test_keyring() {
    KEYRING_TEST_DIR=$(mktemp -d /tmp/placeforte-keyring.XXXXXX)
    add_exit_hook stop_test_keyring
    mkdir -p "$KEYRING_TEST_DIR/data" "$KEYRING_TEST_DIR/run"
    chmod 700 "$KEYRING_TEST_DIR/run"
    export XDG_DATA_HOME="$KEYRING_TEST_DIR/data" XDG_RUNTIME_DIR="$KEYRING_TEST_DIR/run"
    # A session bus without service directories: no D-Bus activation of a second, locked daemon.
    cat >"$KEYRING_TEST_DIR/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path=$KEYRING_TEST_DIR/run/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF
    bus=$(dbus-daemon --config-file="$KEYRING_TEST_DIR/bus.conf" --fork --print-address=1 --print-pid=1)
    DBUS_SESSION_BUS_ADDRESS=$(echo "$bus" | sed -n 1p)
    KEYRING_TEST_BUS_PID=$(echo "$bus" | sed -n 2p)
    export DBUS_SESSION_BUS_ADDRESS
    # The first --unlock creates the "login" collection; without it every call is refused.
    keyring_supervisor </dev/null &
    KEYRING_TEST_SUPERVISOR_PID=$!
    tries=0
    until printf 'probe' | secret-tool store --label=probe placeforte-test probe 2>/dev/null; do
        tries=$((tries + 1))
        if [ "$tries" -ge 50 ]; then
            echo "the test keyring did not start:" >&2
            cat "$KEYRING_TEST_DIR/daemon.log" >&2
            return 1
        fi
        sleep 0.1
    done
    secret-tool clear placeforte-test probe
    export PLACEFORTE_TEST_KEYRING=1
    echo "==> throwaway Secret Service (gnome-keyring) on $DBUS_SESSION_BUS_ADDRESS"
}
