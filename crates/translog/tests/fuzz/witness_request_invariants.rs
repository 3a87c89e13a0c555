//! What must hold for any text a witness or a report's reader is handed. Shared, through
//! `#[path]`, by the fuzz target (`fuzz/fuzz_targets/witness_request.rs`) and the regression
//! test replaying the committed corpus (`tests/fuzz_regressions.rs`).

use std::sync::OnceLock;

use placeforte_translog::checkpoint::{checkpoint_body, LogSigner, LogVerifier};
use placeforte_translog::cosignature::{WitnessSigner, WitnessVerifier};
use placeforte_translog::report::{verify_report, AccessReport};
use placeforte_translog::witness_protocol::{parse_conflict_body, AddCheckpoint, MAX_PROOF_LINES};

/// The log the corpus's seeds are signed for (a fixed test key).
pub(crate) const ORIGIN: &str = "placeforte.fuzz/audit";
/// The witness that cosigned the seeds (a fixed test key).
pub(crate) const WITNESS: &str = "witness.fuzz/w1";

pub(crate) fn log_signer() -> LogSigner {
    let pair = LogSigner::generate(ORIGIN, &[7; 32]).expect("log key");
    LogSigner::from_private_key(&pair.private).expect("log signer")
}

pub(crate) fn witness_signer() -> WitnessSigner {
    let pair = WitnessSigner::generate(WITNESS, &[8; 32]).expect("witness key");
    WitnessSigner::from_private_key(&pair.private).expect("witness signer")
}

/// The seeds' log and witness verifiers, made once: deriving the keys per input would be most
/// of the fuzzer's time.
fn verifiers() -> &'static (LogVerifier, WitnessVerifier) {
    static VERIFIERS: OnceLock<(LogVerifier, WitnessVerifier)> = OnceLock::new();
    VERIFIERS.get_or_init(|| {
        let witness = WitnessVerifier::from_verifier_key(witness_signer().verifier_key())
            .expect("witness vkey");
        (log_signer().verifier().clone(), witness)
    })
}

/// Reads `data` (as UTF-8, lossily) as an add-checkpoint body, a checkpoint note, a verifier
/// key and an access report: never a panic; what is accepted is self-consistent.
pub(crate) fn check_witness_request(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let (log, witness) = verifiers();
    if let Ok(request) = AddCheckpoint::parse(&text) {
        assert!(request.proof.len() <= MAX_PROOF_LINES);
        // What was accepted writes back to a body that reads as the same request.
        assert_eq!(
            AddCheckpoint::parse(&request.to_body()).as_ref(),
            Ok(&request)
        );
        check_note(log, &request.checkpoint);
    }
    let _ = parse_conflict_body(&text);
    check_note(log, &text);
    if let Ok(verifier) = LogVerifier::from_verifier_key(&text) {
        assert_eq!(verifier.verifier_key(), text.trim());
    }
    let _ = WitnessVerifier::from_verifier_key(&text);
    if let Ok(report) = serde_json::from_str::<AccessReport>(&text) {
        let json = serde_json::to_string(&report).expect("a report writes");
        assert_eq!(
            serde_json::from_str::<AccessReport>(&json).expect("reads back"),
            report
        );
        if let Ok(verified) = verify_report(
            &report,
            std::slice::from_ref(log),
            std::slice::from_ref(witness),
        ) {
            assert_eq!(verified.proven, report.entries.len());
            assert_eq!(verified.pending, report.pending.len());
            let opened = log
                .open(&report.checkpoint)
                .expect("a verified report's checkpoint");
            assert_eq!(verified.head, opened.head);
            assert_eq!(verified.cosigned_by.len(), 1);
        }
    }
}

/// A note the log key opens states exactly the checkpoint body it was signed as.
fn check_note(log: &LogVerifier, note: &str) {
    if let Ok(opened) = log.open(note) {
        assert_eq!(opened.body, checkpoint_body(ORIGIN, opened.head));
        assert!(note.starts_with(&opened.body));
    }
}
