//! The access report for a registration, with a proof for every line (crates/translog's
//! `report`): each entry that names one of the registration's referrals, with its inclusion
//! proof against the newest checkpoint a trusted witness cosigned. Every proof is checked
//! here before it is handed out, so a tampered stored hash is found by the operator, not by
//! the family.

use chrono::{DateTime, Utc};
use placeforte_protocol::RegistrationId;
use placeforte_translog::checkpoint::LogVerifier;
use placeforte_translog::cosignature::WitnessVerifier;
use placeforte_translog::report::{
    encode_proof, AccessReport, PendingEntry, ProvenEntry, REPORT_FORMAT,
};
use placeforte_translog::tree;

use super::{instant_text, AuditError};
use crate::store::{IncidentStorage, Storage};

/// Builds the report. Entries newer than the newest cosigned checkpoint are listed as pending;
/// with no cosigned checkpoint at all, every entry is.
pub async fn access_report<S: Storage>(
    store: &S,
    registration: RegistrationId,
    log: &LogVerifier,
    witnesses: &[WitnessVerifier],
    now: DateTime<Utc>,
) -> Result<AccessReport, AuditError> {
    let lines = store.access_entries(registration).await?;
    let mut newest: Option<crate::store::CosignatureRecord> = None;
    for witness in witnesses {
        if let Some(latest) = store.last_audit_cosignature(witness.verifier_key()).await? {
            if newest.as_ref().is_none_or(|n| latest.size > n.size) {
                newest = Some(latest);
            }
        }
    }
    let (checkpoint, head) = match &newest {
        Some(cosigned) => {
            let head = log
                .open(&cosigned.note)
                .map_err(|e| AuditError::Tampered(format!("cosigned checkpoint: {e}")))?
                .head;
            (cosigned.note.clone(), Some(head))
        }
        None => (String::new(), None),
    };
    let mut entries = Vec::new();
    let mut pending = Vec::new();
    for (entry, daycare_name) in lines {
        let index = entry.leaf.index();
        match (head, index) {
            (Some(head), Some(index)) if index < head.size => {
                let hashes = store
                    .audit_tree_hashes(&tree::inclusion_proof_indexes(head.size, index))
                    .await?;
                let proof = tree::inclusion_proof(head.size, index, &hashes)
                    .map_err(|e| AuditError::Tampered(format!("the stored tree: {e}")))?;
                tree::check_inclusion(&proof, head, index, entry.leaf.hash()).map_err(|_| {
                    AuditError::Tampered(format!(
                        "entry {} is not in the cosigned tree",
                        entry.leaf.seq
                    ))
                })?;
                entries.push(ProvenEntry {
                    leaf: entry.leaf,
                    daycare_name,
                    proof: encode_proof(&proof),
                });
            }
            _ => pending.push(PendingEntry {
                leaf: entry.leaf,
                daycare_name,
            }),
        }
    }
    Ok(AccessReport {
        format: REPORT_FORMAT.to_owned(),
        registration: registration.to_string(),
        generated_at: instant_text(now),
        checkpoint,
        entries,
        pending,
    })
}

/// The report for the registration that has public number `number` (what a family quotes;
/// the internal id is never shown to it), with every proof checked as [`access_report`] does;
/// `None` when no registration has that number.
pub async fn access_report_by_public_number<S: IncidentStorage>(
    store: &S,
    number: i64,
    log: &LogVerifier,
    witnesses: &[WitnessVerifier],
    now: DateTime<Utc>,
) -> Result<Option<(RegistrationId, AccessReport)>, AuditError> {
    let Some(registration) = store.registration_by_public_number(number).await? else {
        return Ok(None);
    };
    let report = access_report(store, registration, log, witnesses, now).await?;
    Ok(Some((registration, report)))
}
