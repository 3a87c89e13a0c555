//! Replays every input of the committed fuzz corpora (`tests/fuzz-regressions/`: seeds and
//! every input a fuzzer ever crashed on) through the same checks as the fuzz targets, so CI
//! catches a parser regression without running the fuzzer.
#![allow(clippy::unwrap_used)]

#[path = "fuzz/invite_invariants.rs"]
mod invite_invariants;
#[path = "fuzz/wire_invariants.rs"]
mod wire_invariants;

fn replay(corpus: &str, check: fn(&[u8])) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fuzz-regressions")
        .join(corpus);
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check(&data));
        assert!(outcome.is_ok(), "{} fails the fuzz checks", path.display());
        replayed += 1;
    }
    assert!(replayed >= 2, "the corpus at {} is missing", dir.display());
}

#[test]
fn every_committed_invite_input_passes_the_fuzz_checks() {
    replay("invite", invite_invariants::check_invite);
}

#[test]
fn every_committed_wire_input_passes_the_fuzz_checks() {
    replay("wire_json", wire_invariants::check_wire);
}

#[test]
fn the_corpora_hold_inputs_that_are_accepted_so_the_round_trips_are_exercised() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions");
    let invite = std::fs::read_to_string(dir.join("invite/seed-valid.txt")).unwrap();
    assert!(invite
        .parse::<placeforte_protocol::invite::EnrolmentInvite>()
        .is_ok());
    let declaration = std::fs::read(dir.join("wire_json/seed-declare-vacancy.json")).unwrap();
    assert!(
        serde_json::from_slice::<placeforte_protocol::referrals::DeclareVacancy>(&declaration)
            .is_ok()
    );
}
