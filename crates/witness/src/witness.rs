//! `add-checkpoint` end to end: parse, find the log, check its signature, judge against the
//! held head, cosign and persist, or refuse and record.

use std::collections::HashMap;

use placeforte_translog::checkpoint::{CheckpointError, LogVerifier, SignedCheckpoint};
use placeforte_translog::cosignature::{CosignatureError, WitnessSigner};
use placeforte_translog::witness_protocol::{AddCheckpoint, ProtocolError, MAX_BODY_BYTES};
use signed_note::{Note, StandardVerifier, VerifierList};

use crate::rules::{self, Refusal, RefusalReason};
use crate::store::{CosignedHead, NewRefusal, StoreError, WitnessStore};

/// Why `add-checkpoint` did not cosign. Each variant documents its status.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// 413: the body is over [`MAX_BODY_BYTES`].
    #[error("the request body is over {MAX_BODY_BYTES} bytes")]
    TooLarge,
    /// 400: not an add-checkpoint body, or not a checkpoint note.
    #[error("{0}")]
    Malformed(String),
    /// 404: this witness knows no log of this origin.
    #[error("unknown log origin")]
    UnknownOrigin,
    /// 403: no signature by a key this witness trusts for the origin.
    #[error("the checkpoint is not signed by a trusted key of its log")]
    BadSignature,
    /// 400, 409 or 422: the checks against the held head refused it (recorded).
    #[error("refused: {}", .0.reason().code())]
    Refused(Refusal),
    /// 500: the store failed (nothing was cosigned).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// 500: cosigning failed.
    #[error("cosigning failed: {0}")]
    Cosigning(#[from] CosignatureError),
}

impl From<ProtocolError> for AddError {
    fn from(error: ProtocolError) -> AddError {
        AddError::Malformed(error.to_string())
    }
}

/// The logs this witness follows: per origin, the keys it trusts (more than one while a log
/// rotates its key).
#[derive(Debug, Clone, Default)]
pub struct TrustedLogs {
    by_origin: HashMap<String, Vec<LogVerifier>>,
}

impl TrustedLogs {
    /// Trusts `verifier` for its origin (the key's name).
    pub fn add(&mut self, verifier: LogVerifier) {
        self.by_origin
            .entry(verifier.origin().to_owned())
            .or_default()
            .push(verifier);
    }

    /// The keys trusted for `origin`, if it is known.
    pub fn keys(&self, origin: &str) -> Option<&[LogVerifier]> {
        self.by_origin.get(origin).map(Vec::as_slice)
    }

    /// Known origins, sorted.
    pub fn origins(&self) -> Vec<&str> {
        let mut origins: Vec<&str> = self.by_origin.keys().map(String::as_str).collect();
        origins.sort_unstable();
        origins
    }
}

/// The witness: its key, the logs it follows, its store.
#[derive(Debug)]
pub struct Witness {
    signer: WitnessSigner,
    logs: TrustedLogs,
    store: WitnessStore,
}

impl Witness {
    /// A witness cosigning with `signer` the checkpoints of `logs`, remembering in `store`.
    pub fn new(signer: WitnessSigner, logs: TrustedLogs, store: WitnessStore) -> Witness {
        Witness {
            signer,
            logs,
            store,
        }
    }

    /// The store.
    pub fn store(&self) -> &WitnessStore {
        &self.store
    }

    /// The cosigning key's verifier key text.
    pub fn verifier_key(&self) -> &str {
        self.signer.verifier_key()
    }

    /// Handles an `add-checkpoint` body received at `now_unix` (seconds) and `received_at`
    /// (the same instant, RFC 3339): the cosignature line on success. The checks run in the
    /// order of C2SP tlog-witness; the held head is read, judged against and replaced in one
    /// write transaction, committed before this returns.
    pub async fn add_checkpoint(
        &self,
        body: &[u8],
        now_unix: u64,
        received_at: &str,
    ) -> Result<String, AddError> {
        if body.len() > MAX_BODY_BYTES {
            return Err(AddError::TooLarge);
        }
        let body = std::str::from_utf8(body)
            .map_err(|_| AddError::Malformed("the body is not UTF-8".to_owned()))?;
        let request = AddCheckpoint::parse(body)?;
        let origin = request
            .checkpoint
            .split_once('\n')
            .map(|(first, _)| first)
            .ok_or_else(|| AddError::Malformed("the checkpoint has no origin line".to_owned()))?;
        let keys = self.logs.keys(origin).ok_or(AddError::UnknownOrigin)?;
        let (checkpoint, log_lines) = match open(keys, &request.checkpoint) {
            Ok(opened) => opened,
            Err(CheckpointError::Malformed) => {
                return Err(AddError::Malformed(
                    "the checkpoint is not a well-formed signed checkpoint note".to_owned(),
                ))
            }
            Err(_) => {
                let refusal = NewRefusal {
                    received_at,
                    origin,
                    status: 403,
                    reason: RefusalReason::BadSignature.code(),
                    old_size: request.old_size,
                    submitted_size: None,
                    witness_size: None,
                    note: &request.checkpoint,
                };
                self.store.record_refusal(&refusal).await?;
                tracing::warn!(
                    origin,
                    status = 403,
                    reason = refusal.reason,
                    "checkpoint refused"
                );
                return Err(AddError::BadSignature);
            }
        };

        let mut update = self.store.begin_update().await?;
        let held = update.head(origin).await?;
        let verdict = rules::judge(
            held.as_ref().map(|held| held.head),
            request.old_size,
            &request.proof,
            checkpoint.head,
        );
        if let Err(refusal) = verdict {
            let status = status_of(refusal);
            update
                .record_refusal(&NewRefusal {
                    received_at,
                    origin,
                    status,
                    reason: refusal.reason().code(),
                    old_size: request.old_size,
                    submitted_size: Some(checkpoint.head.size),
                    witness_size: Some(held.as_ref().map_or(0, |held| held.head.size)),
                    note: &request.checkpoint,
                })
                .await?;
            update.commit().await?;
            tracing::warn!(
                origin,
                status,
                reason = refusal.reason().code(),
                old_size = request.old_size,
                size = checkpoint.head.size,
                "checkpoint refused"
            );
            return Err(AddError::Refused(refusal));
        }
        // Never earlier than the previous cosignature: a clock stepped back must not make a
        // larger tree look older than a smaller one.
        let timestamp = held
            .as_ref()
            .map_or(now_unix, |held| now_unix.max(held.cosigned_at));
        let cosignature = self.signer.cosign(&checkpoint.body, timestamp)?;
        let note = format!("{}\n{log_lines}{cosignature}", checkpoint.body);
        update
            .put_head(&CosignedHead {
                origin: origin.to_owned(),
                head: checkpoint.head,
                note,
                cosigned_at: timestamp,
            })
            .await?;
        update.commit().await?;
        tracing::info!(
            origin,
            size = checkpoint.head.size,
            root = %checkpoint.head.root,
            timestamp,
            "checkpoint cosigned"
        );
        Ok(cosignature)
    }
}

/// The HTTP status C2SP tlog-witness gives a refusal.
pub fn status_of(refusal: Refusal) -> u16 {
    match refusal {
        Refusal::OldSizeAboveSize { .. } => 400,
        Refusal::Conflict { .. } => 409,
        Refusal::Inconsistent => 422,
    }
}

/// Opens `note` with the first of `keys` that signed it: the checkpoint and that key's
/// signature line(s), the only ones kept (signatures from unknown keys are ignored, as the
/// specification requires).
fn open(keys: &[LogVerifier], note: &str) -> Result<(SignedCheckpoint, String), CheckpointError> {
    let mut error = CheckpointError::NotSigned;
    for key in keys {
        match key.open(note) {
            Ok(checkpoint) => return Ok((checkpoint, signature_lines(key, note)?)),
            Err(CheckpointError::Malformed) => return Err(CheckpointError::Malformed),
            Err(other) => error = other,
        }
    }
    Err(error)
}

/// The lines of `note` signed by `key` (already checked by [`LogVerifier::open`]).
fn signature_lines(key: &LogVerifier, note: &str) -> Result<String, CheckpointError> {
    let verifier =
        StandardVerifier::new(key.verifier_key()).map_err(|_| CheckpointError::Malformed)?;
    let parsed = Note::from_bytes(note.as_bytes()).map_err(|_| CheckpointError::Malformed)?;
    let (verified, _) = parsed
        .verify(&VerifierList::new(vec![Box::new(verifier)]))
        .map_err(|_| CheckpointError::NotSigned)?;
    let lines: Vec<u8> = verified.iter().flat_map(|sig| sig.to_bytes()).collect();
    String::from_utf8(lines).map_err(|_| CheckpointError::Malformed)
}
