//! Any bytes as a JSON body of the wire types: refused, or read and written back the same.
#![no_main]

#[path = "../../crates/protocol/tests/fuzz/wire_invariants.rs"]
mod wire_invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| wire_invariants::check_wire(data));
