//! Any text pasted as an enrolment invitation: never a panic, a parsed one prints back the same.
#![no_main]

#[path = "../../crates/protocol/tests/fuzz/invite_invariants.rs"]
mod invite_invariants;

libfuzzer_sys::fuzz_target!(|data: &[u8]| invite_invariants::check_invite(data));
