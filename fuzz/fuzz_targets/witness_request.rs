//! Any bytes (as UTF-8, lossily) a witness or a report's reader is handed: an add-checkpoint
//! body, a checkpoint note, a verifier key, an access report. Never a panic; what is accepted
//! is self-consistent.
#![no_main]

#[path = "../../crates/translog/tests/fuzz/witness_request_invariants.rs"]
mod witness_request_invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| witness_request_invariants::check_witness_request(data));
