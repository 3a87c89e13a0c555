//! The PlaceForte desktop app.
#![forbid(unsafe_code)]
// No console window behind the app on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    // First, before WebKit or the cache could touch OpenSSL: no teardown at exit under a
    // cache connection's worker thread (placeforte_desk::exit_safety).
    placeforte_desk::exit_safety::keep_openssl_until_exit();
    placeforte_app::run();
}
