//! The committed TypeScript bindings match the commands: the UI never calls a command by a
//! string name that could drift. `PLACEFORTE_UPDATE_BINDINGS=1` rewrites them.
#![allow(clippy::unwrap_used)]

#[test]
fn the_committed_bindings_are_current() {
    let generated = placeforte_app::bindings().unwrap();
    if std::env::var_os("PLACEFORTE_UPDATE_BINDINGS").is_some() {
        std::fs::write(placeforte_app::BINDINGS_PATH, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(placeforte_app::BINDINGS_PATH).unwrap_or_default();
    assert!(
        committed == generated,
        "ui/src/lib/bindings.ts is stale: run `PLACEFORTE_UPDATE_BINDINGS=1 cargo test -p placeforte-app --test bindings`"
    );
}
