//! The PlaceForte desktop app.
#![forbid(unsafe_code)]
// No console window behind the app on Windows.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    placeforte_app::run();
}
