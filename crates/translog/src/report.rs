//! A person's access report ("who looked at my file") with a proof for every line, and its
//! offline verification with only the log's and the witnesses' verifier keys.
//!
//! The report carries one checkpoint that the log signed and at least one witness cosigned,
//! and for each entry its full leaf and its inclusion proof against that checkpoint. Whoever
//! holds the report can check, without asking the service, that every line is in the log the
//! witness saw; a line edited or invented after the witness cosigned cannot pass.

use base64::prelude::*;
use serde::{Deserialize, Serialize};

use crate::checkpoint::{split_note, CheckpointError, LogVerifier, TreeHead};
use crate::cosignature::WitnessVerifier;
use crate::leaf::AuditLeaf;
use crate::tree::{check_inclusion, TreeError};
use crate::Hash;

/// The report format's name and version.
pub const REPORT_FORMAT: &str = "placeforte-access-report/v1";

/// An access report, as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccessReport {
    /// [`REPORT_FORMAT`].
    pub format: String,
    /// The registration the report is about.
    pub registration: String,
    /// When the report was made (RFC 3339).
    pub generated_at: String,
    /// The checkpoint note: the log's signature and the witnesses' cosignatures.
    pub checkpoint: String,
    /// The entries the checkpoint covers, each with its proof.
    pub entries: Vec<ProvenEntry>,
    /// Entries newer than the cosigned checkpoint: listed, not yet provable.
    pub pending: Vec<PendingEntry>,
}

/// An entry with its inclusion proof.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvenEntry {
    /// The entry exactly as hashed.
    pub leaf: AuditLeaf,
    /// The daycare's name, for reading (not covered by the proof: the leaf has its id).
    pub daycare_name: String,
    /// Inclusion proof hashes, base64.
    pub proof: Vec<String>,
}

/// An entry the latest cosigned checkpoint does not cover yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingEntry {
    /// The entry.
    pub leaf: AuditLeaf,
    /// The daycare's name.
    pub daycare_name: String,
}

/// Why a report does not verify.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    /// Not a report of this format.
    #[error("not a PlaceForte access report: {0}")]
    Malformed(String),
    /// The checkpoint is not signed by the log key.
    #[error("the report's checkpoint: {0}")]
    Checkpoint(#[from] CheckpointError),
    /// No witness given cosigned the checkpoint.
    #[error("no trusted witness cosigned the report's checkpoint")]
    NotCosigned,
    /// An entry is not in the log at the cosigned checkpoint.
    #[error("entry {seq} is not in the log the witness cosigned ({problem})")]
    NotIncluded {
        /// The entry's sequence number.
        seq: i64,
        /// What failed.
        problem: TreeError,
    },
}

/// What a verified report proves.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifiedReport {
    /// The cosigned tree head.
    pub head: TreeHead,
    /// Each trusted witness that cosigned, with its cosignature's time.
    pub cosigned_by: Vec<(String, u64)>,
    /// Entries proven.
    pub proven: usize,
    /// Entries listed as pending (not proven).
    pub pending: usize,
}

/// Checks `report` with the log's verifier keys (its current one, and its former ones after a
/// rotation: the report's checkpoint may be signed by any) and the trusted witnesses' keys.
pub fn verify_report(
    report: &AccessReport,
    logs: &[LogVerifier],
    witnesses: &[WitnessVerifier],
) -> Result<VerifiedReport, ReportError> {
    if report.format != REPORT_FORMAT {
        return Err(ReportError::Malformed(format!(
            "format {:?}",
            report.format
        )));
    }
    let opened = open_with_any(logs, &report.checkpoint)?;
    let (_, signatures) = split_note(&report.checkpoint).ok_or(ReportError::NotCosigned)?;
    let cosigned_by: Vec<(String, u64)> = witnesses
        .iter()
        .filter_map(|w| {
            w.verify(&opened.body, signatures)
                .ok()
                .map(|c| (w.name().to_owned(), c.timestamp))
        })
        .collect();
    if cosigned_by.is_empty() {
        return Err(ReportError::NotCosigned);
    }
    for entry in &report.entries {
        let seq = entry.leaf.seq;
        let not_included = |problem| ReportError::NotIncluded { seq, problem };
        let index = entry
            .leaf
            .index()
            .ok_or_else(|| not_included(TreeError::OutOfRange("seq < 1")))?;
        let proof =
            decode_proof(&entry.proof).ok_or_else(|| not_included(TreeError::InvalidProof))?;
        check_inclusion(&proof, opened.head, index, entry.leaf.hash()).map_err(not_included)?;
    }
    Ok(VerifiedReport {
        head: opened.head,
        cosigned_by,
        proven: report.entries.len(),
        pending: report.pending.len(),
    })
}

/// The checkpoint opened with the first of `logs` that signed it (or the last one's refusal).
fn open_with_any(
    logs: &[LogVerifier],
    note: &str,
) -> Result<crate::checkpoint::SignedCheckpoint, ReportError> {
    let mut refusal = CheckpointError::NotSigned;
    for log in logs {
        match log.open(note) {
            Ok(opened) => return Ok(opened),
            Err(error) => refusal = error,
        }
    }
    Err(ReportError::Checkpoint(refusal))
}

/// Proof hashes as the report writes them.
pub fn encode_proof(proof: &[Hash]) -> Vec<String> {
    proof.iter().map(|h| BASE64_STANDARD.encode(h.0)).collect()
}

fn decode_proof(lines: &[String]) -> Option<Vec<Hash>> {
    lines
        .iter()
        .map(|line| {
            let bytes: [u8; 32] = BASE64_STANDARD.decode(line).ok()?.try_into().ok()?;
            Some(Hash(bytes))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::LogSigner;
    use crate::cosignature::WitnessSigner;
    use crate::tree::{inclusion_proof, Frontier, StoredHashes};

    fn leaf(seq: i64) -> AuditLeaf {
        AuditLeaf {
            seq,
            occurred_at: format!("2026-06-15T15:06:{:02}.000000Z", seq % 60),
            actor: "device:a".to_owned(),
            daycare_id: "d".to_owned(),
            action: if seq % 2 == 0 {
                "referrals.synced"
            } else {
                "contact.revealed"
            }
            .to_owned(),
            subject: format!("referral:{seq}"),
            referral_ids: "r".to_owned(),
            reason: String::new(),
        }
    }

    struct Fixture {
        report: AccessReport,
        log: LogVerifier,
        witness: WitnessVerifier,
        other_witness: WitnessVerifier,
    }

    fn fixture() -> Fixture {
        let log = LogSigner::from_private_key(
            &LogSigner::generate("placeforte.example/audit", &[1; 32])
                .expect("pair")
                .private,
        )
        .expect("log");
        let witness = WitnessSigner::from_private_key(
            &WitnessSigner::generate("witness.example/w1", &[2; 32])
                .expect("pair")
                .private,
        )
        .expect("witness");
        let other = WitnessSigner::generate("witness.example/w2", &[3; 32]).expect("pair");
        let mut frontier = Frontier::empty();
        let mut stored = StoredHashes::new();
        let leaves: Vec<AuditLeaf> = (1..=20).map(leaf).collect();
        for l in &leaves {
            stored.extend(frontier.append(l.hash()));
        }
        let note = log.sign(frontier.head()).expect("sign");
        let body = log.verifier().open(&note).expect("open").body;
        let checkpoint = format!(
            "{note}{}",
            witness.cosign(&body, 1_780_000_000).expect("cosign")
        );
        let entries = [3_i64, 8, 20]
            .iter()
            .map(|&seq| ProvenEntry {
                leaf: leaves[(seq - 1) as usize].clone(),
                daycare_name: "CPE Les Lucioles".to_owned(),
                proof: encode_proof(
                    &inclusion_proof(20, (seq - 1) as u64, &stored).expect("proof"),
                ),
            })
            .collect();
        Fixture {
            report: AccessReport {
                format: REPORT_FORMAT.to_owned(),
                registration: "reg".to_owned(),
                generated_at: "2026-06-16T00:00:00Z".to_owned(),
                checkpoint,
                entries,
                pending: vec![PendingEntry {
                    leaf: leaf(21),
                    daycare_name: "CPE Les Lucioles".to_owned(),
                }],
            },
            log: log.verifier().clone(),
            witness: WitnessVerifier::from_verifier_key(witness.verifier_key()).expect("vkey"),
            other_witness: WitnessVerifier::from_verifier_key(&other.verifier).expect("vkey"),
        }
    }

    #[test]
    fn a_report_verifies_offline_and_every_tampering_is_caught() {
        let f = fixture();
        let trusted = std::slice::from_ref(&f.witness);
        let verified =
            verify_report(&f.report, std::slice::from_ref(&f.log), trusted).expect("verifies");
        assert_eq!(verified.head.size, 20);
        assert_eq!(verified.proven, 3);
        assert_eq!(verified.pending, 1);
        assert_eq!(
            verified.cosigned_by,
            vec![("witness.example/w1".to_owned(), 1_780_000_000)]
        );
        // Through JSON, as it is handed over.
        let json = serde_json::to_string(&f.report).expect("json");
        let parsed: AccessReport = serde_json::from_str(&json).expect("parse");
        assert!(verify_report(&parsed, std::slice::from_ref(&f.log), trusted).is_ok());

        // An untrusted witness only: refused.
        assert_eq!(
            verify_report(
                &f.report,
                std::slice::from_ref(&f.log),
                std::slice::from_ref(&f.other_witness)
            ),
            Err(ReportError::NotCosigned)
        );
        // An edited line (another reason), a moved line, a tampered proof: refused.
        let mut edited = f.report.clone();
        edited.entries[0].leaf.reason = "other".to_owned();
        assert!(matches!(
            verify_report(&edited, std::slice::from_ref(&f.log), trusted),
            Err(ReportError::NotIncluded { seq: 3, .. })
        ));
        let mut moved = f.report.clone();
        moved.entries[1].leaf.seq = 9;
        assert!(verify_report(&moved, std::slice::from_ref(&f.log), trusted).is_err());
        let mut tampered = f.report.clone();
        tampered.entries[2].proof[0] = BASE64_STANDARD.encode([0_u8; 32]);
        assert!(matches!(
            verify_report(&tampered, std::slice::from_ref(&f.log), trusted),
            Err(ReportError::NotIncluded { seq: 20, .. })
        ));
        // A checkpoint re-signed by another log key: refused.
        let mut resigned = f.report.clone();
        resigned.checkpoint = resigned.checkpoint.replacen("\n20\n", "\n21\n", 1);
        assert!(matches!(
            verify_report(&resigned, std::slice::from_ref(&f.log), trusted),
            Err(ReportError::Checkpoint(_))
        ));
        // With the log's former key beside another, it still verifies; with another only, not.
        let other_log = LogSigner::from_private_key(
            &LogSigner::generate("placeforte.example/audit", &[7; 32])
                .expect("pair")
                .private,
        )
        .expect("log");
        let both = [other_log.verifier().clone(), f.log.clone()];
        assert!(verify_report(&f.report, &both, trusted).is_ok());
        assert!(matches!(
            verify_report(&f.report, &both[..1], trusted),
            Err(ReportError::Checkpoint(CheckpointError::NotSigned))
        ));
        let mut wrong = f.report.clone();
        wrong.format = "other".to_owned();
        assert!(matches!(
            verify_report(&wrong, std::slice::from_ref(&f.log), trusted),
            Err(ReportError::Malformed(_))
        ));
    }
}
