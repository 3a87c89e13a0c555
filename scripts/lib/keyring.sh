# A throwaway Secret Service (gnome-keyring on its own D-Bus session) for the desktop core's
# keychain tests. Sourced, not run; needs scripts/lib/deps.sh.
#
# start_test_keyring: starts a private D-Bus session bus and an unlocked gnome-keyring in a
# fresh temp dir (the user's real keyring is never touched), exports the variables that point
# the tests at it plus PLACEFORTE_TEST_KEYRING=1, and stops and deletes it all on exit.

stop_test_keyring() {
    if [ -n "${KEYRING_TEST_DIR:-}" ] && [ -d "$KEYRING_TEST_DIR" ]; then
        # gnome-keyring 42 aborts on some client races (see crates/desk/tests/crash.rs): say so,
        # since every keychain test after that fails with a D-Bus error.
        if [ -n "${KEYRING_TEST_DAEMON_PID:-}" ] && ! kill -0 "$KEYRING_TEST_DAEMON_PID" 2>/dev/null; then
            echo "warning: the test keyring (gnome-keyring-daemon) died during the run" >&2
        fi
        [ -n "${KEYRING_TEST_DAEMON_PID:-}" ] && kill "$KEYRING_TEST_DAEMON_PID" 2>/dev/null || true
        [ -n "${KEYRING_TEST_BUS_PID:-}" ] && kill "$KEYRING_TEST_BUS_PID" 2>/dev/null || true
        rm -rf "$KEYRING_TEST_DIR"
    fi
}

start_test_keyring() {
    KEYRING_TEST_DIR=$(mktemp -d /tmp/placeforte-keyring.XXXXXX)
    add_exit_hook stop_test_keyring
    mkdir -p "$KEYRING_TEST_DIR/data" "$KEYRING_TEST_DIR/run"
    chmod 700 "$KEYRING_TEST_DIR/run"
    export XDG_DATA_HOME="$KEYRING_TEST_DIR/data" XDG_RUNTIME_DIR="$KEYRING_TEST_DIR/run"
    bus=$(dbus-daemon --session --fork --print-address=1 --print-pid=1 --address="unix:path=$KEYRING_TEST_DIR/run/bus")
    DBUS_SESSION_BUS_ADDRESS=$(echo "$bus" | sed -n 1p)
    KEYRING_TEST_BUS_PID=$(echo "$bus" | sed -n 2p)
    export DBUS_SESSION_BUS_ADDRESS
    # The first --unlock creates the "login" collection; without it every call is refused.
    daemon_env=$(printf 'placeforte-test' | gnome-keyring-daemon --unlock --components=secrets)
    KEYRING_TEST_DAEMON_PID=$(echo "$daemon_env" | sed -n 's/^GNOME_KEYRING_PID=//p')
    if ! printf 'probe' | secret-tool store --label=probe placeforte-test probe 2>/dev/null; then
        echo "the test keyring did not start" >&2
        return 1
    fi
    secret-tool clear placeforte-test probe
    export PLACEFORTE_TEST_KEYRING=1
    echo "==> throwaway Secret Service (gnome-keyring) on $DBUS_SESSION_BUS_ADDRESS"
}
