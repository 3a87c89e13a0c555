//! Replays every input of the committed fuzz corpus (`tests/fuzz-regressions/witness_request/`:
//! seeds and every input a fuzzer ever crashed on) through the same checks as the fuzz target,
//! so CI catches a parser regression without running the fuzzer.
#![allow(clippy::unwrap_used)]

#[path = "fuzz/witness_request_invariants.rs"]
mod witness_request_invariants;

use placeforte_translog::report::{verify_report, AccessReport};
use placeforte_translog::witness_protocol::AddCheckpoint;
use witness_request_invariants::{check_witness_request, log_signer, witness_signer};

fn corpus() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions/witness_request")
}

#[test]
fn every_committed_witness_request_input_passes_the_fuzz_checks() {
    let mut replayed = 0;
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| check_witness_request(&data));
        assert!(outcome.is_ok(), "{} fails the fuzz checks", path.display());
        replayed += 1;
    }
    assert!(
        replayed >= 2,
        "the corpus at {} is missing",
        corpus().display()
    );
}

#[test]
fn the_seeds_are_accepted_so_the_fuzzer_starts_past_the_signatures() {
    let log = log_signer();
    let body = std::fs::read_to_string(corpus().join("seed-add-checkpoint.txt")).unwrap();
    let request = AddCheckpoint::parse(&body).unwrap();
    assert_eq!(
        log.verifier().open(&request.checkpoint).unwrap().head.size,
        3
    );
    let report = std::fs::read_to_string(corpus().join("seed-report.json")).unwrap();
    let report: AccessReport = serde_json::from_str(&report).unwrap();
    let witness = placeforte_translog::cosignature::WitnessVerifier::from_verifier_key(
        witness_signer().verifier_key(),
    )
    .unwrap();
    let verified =
        verify_report(&report, std::slice::from_ref(log.verifier()), &[witness]).unwrap();
    assert_eq!(verified.proven, 1);
}
