//! Any bytes as a CSV file of enrolled children: never a panic, never more than the cap.
#![no_main]

#[path = "../../crates/desk/tests/fuzz/import_invariants.rs"]
mod import_invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| import_invariants::check_import(data));
