//! Submitting checkpoints to witnesses (c2sp.org/tlog-witness `add-checkpoint`).
//!
//! For each witness the service keeps the cosigned checkpoints it got back
//! (`audit_cosignatures`); the newest one's size is the `old` size of the next request, with a
//! consistency proof from it. A 409 tells the witness's own size: the request is made again
//! once from there, unless the witness has seen more entries than the log now holds, which
//! means the log lost its end (an alert, never a retry).

use chrono::{DateTime, Utc};
use placeforte_translog::checkpoint::split_note;
use placeforte_translog::cosignature::WitnessVerifier;
use placeforte_translog::witness_protocol::{parse_conflict_body, AddCheckpoint};

use super::{consistency_proof, instant_text, AuditError};
use crate::store::{CosignatureRecord, Storage};

/// How long a witness may take to answer.
const WITNESS_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

/// A witness the service submits to.
#[derive(Debug, Clone)]
pub struct WitnessEndpoint {
    /// Its submission prefix (`http://host:port`; `/add-checkpoint` is appended).
    pub url: String,
    /// Its verifier key.
    pub verifier: WitnessVerifier,
}

/// What a submission achieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WitnessOutcome {
    /// The witness cosigned the latest checkpoint (of this size).
    Cosigned(i64),
    /// The latest checkpoint is already cosigned, or there is none.
    UpToDate,
}

/// A submission failed.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The store or the log's own checks failed.
    #[error(transparent)]
    Audit(#[from] AuditError),
    /// The witness could not be reached.
    #[error("witness {witness} unreachable: {detail}")]
    Unreachable {
        /// Its name.
        witness: String,
        /// The transport error.
        detail: String,
    },
    /// The witness refused the checkpoint.
    #[error("witness {witness} refused checkpoint {size}: HTTP {status} {body}")]
    Refused {
        /// Its name.
        witness: String,
        /// The checkpoint's size.
        size: i64,
        /// The HTTP status.
        status: u16,
        /// The start of its answer.
        body: String,
    },
    /// The witness cosigned more entries than the log holds: the log's end was cut off.
    #[error("witness {witness} has cosigned {witness_size} entries but the log's latest checkpoint has {log_size}: entries were removed from the log")]
    WitnessAhead {
        /// Its name.
        witness: String,
        /// What it cosigned.
        witness_size: u64,
        /// The log's latest checkpoint.
        log_size: i64,
    },
    /// The witness answered 200 without a valid cosignature.
    #[error("witness {0} answered without a valid cosignature")]
    BadCosignature(String),
}

/// The alert a witness's refusal raises: a fork, a rollback, a cut log or a bad cosignature is
/// someone rewriting the log (or a broken witness); either way a person must look.
pub const WITNESS_REFUSED_ALERT: &str = "audit_witness_refused";

/// Submits the latest checkpoint to every witness; a refusal (not an unreachable witness,
/// which `audit verify` reports once its cosignatures grow old) raises
/// [`WITNESS_REFUSED_ALERT`], once an hour at most.
pub async fn submit_to_all<S: Storage>(
    store: &S,
    http: &reqwest::Client,
    witnesses: &[WitnessEndpoint],
    now: DateTime<Utc>,
) -> Vec<Result<WitnessOutcome, WitnessError>> {
    let mut outcomes = Vec::new();
    for witness in witnesses {
        let outcome = submit_latest(store, http, witness, now).await;
        match &outcome {
            Err(WitnessError::Unreachable { .. }) | Ok(_) => {}
            Err(error) => {
                crate::alerts::raise(
                    store,
                    WITNESS_REFUSED_ALERT,
                    crate::alerts::AlertSubject::AuditLog,
                    crate::alerts::AlertWindow::Aligned(chrono::Duration::hours(1)),
                    error.to_string(),
                    now,
                )
                .await;
            }
        }
        outcomes.push(outcome);
    }
    outcomes
}

/// Submits the latest checkpoint to `witness` if it has not cosigned it yet, and keeps the
/// cosigned checkpoint.
pub async fn submit_latest<S: Storage>(
    store: &S,
    http: &reqwest::Client,
    witness: &WitnessEndpoint,
    now: DateTime<Utc>,
) -> Result<WitnessOutcome, WitnessError> {
    let Some(latest) = store
        .last_audit_tree_checkpoint()
        .await
        .map_err(AuditError::from)?
    else {
        return Ok(WitnessOutcome::UpToDate);
    };
    let name = witness.verifier.name().to_owned();
    let cosigned = store
        .last_audit_cosignature(witness.verifier.verifier_key())
        .await
        .map_err(AuditError::from)?
        .map_or(0, |c| c.size);
    if cosigned >= latest.size {
        return Ok(WitnessOutcome::UpToDate);
    }
    let size = u64::try_from(latest.size).unwrap_or_default();
    let mut old = u64::try_from(cosigned).unwrap_or_default();
    let url = format!("{}/add-checkpoint", witness.url.trim_end_matches('/'));
    for _attempt in 0..2 {
        let proof = consistency_proof(store, size, old).await?;
        let body = AddCheckpoint {
            old_size: old,
            proof,
            checkpoint: latest.note.clone(),
        }
        .to_body();
        let response = http
            .post(&url)
            .timeout(WITNESS_TIMEOUT)
            .body(body)
            .send()
            .await
            .map_err(|e| WitnessError::Unreachable {
                witness: name.clone(),
                detail: e.to_string(),
            })?;
        let status = response.status().as_u16();
        let text = response.text().await.unwrap_or_default();
        match status {
            200 => {
                let (note_body, _) = split_note(&latest.note)
                    .ok_or_else(|| AuditError::Tampered("the checkpoint note".to_owned()))?;
                let cosignature = witness
                    .verifier
                    .verify(note_body, &text)
                    .map_err(|_| WitnessError::BadCosignature(name.clone()))?;
                let cosigned_at = DateTime::from_timestamp(
                    i64::try_from(cosignature.timestamp).unwrap_or(i64::MAX),
                    0,
                )
                .unwrap_or(now);
                store
                    .add_audit_cosignature(&CosignatureRecord {
                        witness: witness.verifier.verifier_key().to_owned(),
                        size: latest.size,
                        cosigned_at: instant_text(cosigned_at),
                        note: format!("{}{}", latest.note, cosignature.line),
                    })
                    .await
                    .map_err(AuditError::from)?;
                return Ok(WitnessOutcome::Cosigned(latest.size));
            }
            409 => match parse_conflict_body(&text) {
                Ok(theirs) if theirs > size => {
                    return Err(WitnessError::WitnessAhead {
                        witness: name,
                        witness_size: theirs,
                        log_size: latest.size,
                    })
                }
                Ok(theirs) if theirs != old => old = theirs,
                _ => return Err(refused(&name, latest.size, status, &text)),
            },
            _ => return Err(refused(&name, latest.size, status, &text)),
        }
    }
    Err(WitnessError::Refused {
        witness: name,
        size: latest.size,
        status: 409,
        body: "the witness's size kept changing".to_owned(),
    })
}

fn refused(name: &str, size: i64, status: u16, text: &str) -> WitnessError {
    WitnessError::Refused {
        witness: name.to_owned(),
        size,
        status,
        body: text.chars().take(200).collect(),
    }
}

/// Fetches the latest checkpoint `witness` cosigned for `origin` (this project's extension to
/// the protocol, `GET /checkpoint?origin=`; docs/witness.md), or `None` if it has none.
pub async fn fetch_witness_head(
    http: &reqwest::Client,
    witness: &WitnessEndpoint,
    origin: &str,
) -> Result<Option<String>, WitnessError> {
    let url = format!("{}/checkpoint", witness.url.trim_end_matches('/'));
    let unreachable = |e: reqwest::Error| WitnessError::Unreachable {
        witness: witness.verifier.name().to_owned(),
        detail: e.to_string(),
    };
    let response = http
        .get(&url)
        .query(&[("origin", origin)])
        .timeout(WITNESS_TIMEOUT)
        .send()
        .await
        .map_err(unreachable)?;
    match response.status().as_u16() {
        200 => Ok(Some(response.text().await.map_err(unreachable)?)),
        404 => Ok(None),
        status => Err(WitnessError::Refused {
            witness: witness.verifier.name().to_owned(),
            size: 0,
            status,
            body: String::new(),
        }),
    }
}
