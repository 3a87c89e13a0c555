//! Replays every input of the committed fuzz corpus (`tests/fuzz-regressions/import/`: seeds
//! and every input a fuzzer ever crashed on) through the same checks as the fuzz target, so
//! CI catches a parser regression without running the fuzzer.
#![allow(clippy::unwrap_used)]

#[path = "fuzz/import_invariants.rs"]
mod import_invariants;

#[test]
fn every_committed_import_input_passes_the_fuzz_checks() {
    let dir =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions/import");
    let mut replayed = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let outcome = std::panic::catch_unwind(|| import_invariants::check_import(&data));
        assert!(
            outcome.is_ok(),
            "{} fails the import's fuzz checks",
            path.display()
        );
        replayed += 1;
    }
    assert!(replayed >= 3, "the corpus at {} is missing", dir.display());
}
