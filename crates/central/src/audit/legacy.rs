//! The former audit log: a hash chain of entries with signed checkpoints (until issue 13).
//!
//! Each entry's hash is SHA-256 over a length-prefixed encoding of its sequence number, its
//! fields and the previous entry's hash ([`entry_hash`]); a checkpoint signs an entry's hash
//! with an Ed25519 key kept in a file ([`CheckpointSigner`]). Anyone with the database could
//! rebuild such a chain, which is why the log is now a Merkle tree with witnessed checkpoints
//! (the parent module). This module remains for one job: `audit migrate-chain` verifies a
//! database's existing chain with its checkpoint key before sealing it into the tree, so that
//! an edit made before the migration is not laundered into it. Tests use it to make such
//! chains.

use std::collections::BTreeMap;
use std::path::Path;

use chrono::{DateTime, Utc};
use ring::signature::{Ed25519KeyPair, KeyPair as _, UnparsedPublicKey, ED25519};

use super::{instant_text, read, write_new, AuditEntry, AuditKeyError};
use crate::store::{AuditEvent, Storage, StoreError};

/// The entry that chains `event` after `prev` (sequence `prev_seq`, hash `prev_hash`), as the
/// former log wrote it.
pub fn chain(event: &AuditEvent, prev_seq: i64, prev_hash: &[u8]) -> AuditEntry {
    let mut entry = AuditEntry::for_event(event, prev_seq + 1);
    entry.prev_hash = prev_hash.to_vec();
    entry.entry_hash = entry_hash(&entry).to_vec();
    entry
}

/// Length of an entry hash (SHA-256).
pub const HASH_LEN: usize = 32;

/// The previous hash of the first entry.
pub const GENESIS_HASH: [u8; HASH_LEN] = [0; HASH_LEN];

/// Entries read per round trip while verifying.
const VERIFY_PAGE: i64 = 10_000;

/// Domain separation: a hash or signature made for something else never passes as ours.
const ENTRY_CONTEXT: &[u8] = b"placeforte-audit-entry-v1";
const CHECKPOINT_CONTEXT: &[u8] = b"placeforte-audit-checkpoint-v1";

/// SHA-256 over the context, the sequence number, each field with its length, and the previous
/// hash. Lengths make the encoding unambiguous: no two entries share an input.
pub fn entry_hash(entry: &AuditEntry) -> [u8; HASH_LEN] {
    let mut context = ring::digest::Context::new(&ring::digest::SHA256);
    context.update(ENTRY_CONTEXT);
    let leaf = &entry.leaf;
    context.update(&leaf.seq.to_be_bytes());
    for field in [
        leaf.occurred_at.as_bytes(),
        leaf.actor.as_bytes(),
        leaf.daycare_id.as_bytes(),
        leaf.action.as_bytes(),
        leaf.subject.as_bytes(),
        leaf.referral_ids.as_bytes(),
        leaf.reason.as_bytes(),
        entry.prev_hash.as_slice(),
    ] {
        context.update(&(field.len() as u64).to_be_bytes());
        context.update(field);
    }
    let digest = context.finish();
    let mut out = [0u8; HASH_LEN];
    out.copy_from_slice(digest.as_ref());
    out
}

/// A signed statement that the chain's entry `seq` has hash `entry_hash`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    /// The entry signed.
    pub seq: i64,
    /// Its hash.
    pub entry_hash: Vec<u8>,
    /// When it was signed (RFC 3339 text, as signed).
    pub signed_at: String,
    /// Ed25519 signature over [`checkpoint_message`].
    pub signature: Vec<u8>,
}

/// What a checkpoint's signature covers.
pub fn checkpoint_message(seq: i64, entry_hash: &[u8], signed_at: &str) -> Vec<u8> {
    let mut message = CHECKPOINT_CONTEXT.to_vec();
    message.extend_from_slice(&seq.to_be_bytes());
    message.extend_from_slice(entry_hash);
    message.extend_from_slice(signed_at.as_bytes());
    message
}

/// The checkpoint signing key (Ed25519, separate from the TLS CA). `Debug` shows only the public
/// key.
pub struct CheckpointSigner {
    key: Ed25519KeyPair,
}

impl std::fmt::Debug for CheckpointSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckpointSigner")
            .field("public_key", &hex::encode(self.public_key()))
            .finish()
    }
}

impl CheckpointSigner {
    /// Makes a new key and writes it (PKCS#8, hex, mode 0600) to `key_path` and its public key
    /// (hex) to `public_path`. Refuses to replace either file.
    pub fn generate(key_path: &Path, public_path: &Path) -> Result<(), AuditKeyError> {
        for path in [key_path, public_path] {
            if path.exists() {
                return Err(AuditKeyError::Exists(path.to_path_buf()));
            }
        }
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| AuditKeyError::Random)?;
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref())
            .map_err(|_| AuditKeyError::Invalid(key_path.to_path_buf()))?;
        write_new(key_path, &hex::encode(pkcs8.as_ref()))?;
        write_new(public_path, &hex::encode(key.public_key().as_ref()))?;
        Ok(())
    }

    /// Reads the key written by [`CheckpointSigner::generate`].
    pub fn load(key_path: &Path) -> Result<CheckpointSigner, AuditKeyError> {
        let text = read(key_path)?;
        let bytes =
            hex::decode(text.trim()).map_err(|_| AuditKeyError::Invalid(key_path.to_path_buf()))?;
        let key = Ed25519KeyPair::from_pkcs8(&bytes)
            .map_err(|_| AuditKeyError::Invalid(key_path.to_path_buf()))?;
        Ok(CheckpointSigner { key })
    }

    /// A key made in memory (tests and benchmarks).
    pub fn ephemeral() -> Result<CheckpointSigner, AuditKeyError> {
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&rng).map_err(|_| AuditKeyError::Random)?;
        let key = Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).map_err(|_| AuditKeyError::Random)?;
        Ok(CheckpointSigner { key })
    }

    /// The public key verifiers need.
    pub fn public_key(&self) -> &[u8] {
        self.key.public_key().as_ref()
    }

    /// Signs entry `seq` with hash `entry_hash` at `now`.
    pub fn sign(&self, seq: i64, entry_hash: &[u8], now: DateTime<Utc>) -> Checkpoint {
        let signed_at = instant_text(now);
        let signature = self
            .key
            .sign(&checkpoint_message(seq, entry_hash, &signed_at))
            .as_ref()
            .to_vec();
        Checkpoint {
            seq,
            entry_hash: entry_hash.to_vec(),
            signed_at,
            signature,
        }
    }
}

/// Reads a public key file written by [`CheckpointSigner::generate`].
pub fn load_public_key(path: &Path) -> Result<Vec<u8>, AuditKeyError> {
    let text = read(path)?;
    hex::decode(text.trim())
        .ok()
        .filter(|bytes| bytes.len() == 32)
        .ok_or_else(|| AuditKeyError::Invalid(path.to_path_buf()))
}

/// What is wrong with the first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// The entry is not there (deleted, or the rows were renumbered).
    Missing,
    /// The entry's fields do not hash to its stored hash (edited).
    Altered,
    /// The entry does not chain onto the one before (reordered, or a row inserted before it).
    BrokenLink,
    /// A checkpoint signed another hash for this entry.
    CheckpointMismatch,
    /// A checkpoint's signature does not verify with the public key.
    BadSignature,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Problem::Missing => "missing (deleted or renumbered)",
            Problem::Altered => "altered (its fields do not match its hash)",
            Problem::BrokenLink => "does not chain onto the previous entry (reordered or inserted)",
            Problem::CheckpointMismatch => "differs from what a signed checkpoint recorded",
            Problem::BadSignature => "its checkpoint's signature does not verify",
        })
    }
}

/// The first bad entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadEntry {
    /// Its sequence number.
    pub seq: i64,
    /// What is wrong.
    pub problem: Problem,
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: i64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Entries after the last checkpoint (protected by the chain only).
    pub unsigned_tail: i64,
    /// The first bad entry, if any.
    pub first_bad: Option<BadEntry>,
}

/// Checks the former chain (every entry the store counts as legacy) and every checkpoint of
/// it; stops at the first bad entry.
pub async fn verify_chain<S: Storage>(
    store: &S,
    public_key: &[u8],
) -> Result<VerifyReport, StoreError> {
    let page_size = VERIFY_PAGE;
    let legacy_entries = store.audit_head_state().await?.legacy_entries;
    let checkpoints: BTreeMap<i64, Checkpoint> = store
        .legacy_audit_checkpoints()
        .await?
        .into_iter()
        .map(|c| (c.seq, c))
        .collect();
    let mut chain = ChainCheck {
        key: UnparsedPublicKey::new(&ED25519, public_key),
        checkpoints: &checkpoints,
        prev_seq: 0,
        prev_hash: GENESIS_HASH.to_vec(),
        entries: 0,
        checked_checkpoints: 0,
    };
    let mut page = store
        .audit_entries(0, page_size.min(legacy_entries))
        .await?;
    while let Some(last) = page.last().map(|entry| entry.leaf.seq) {
        let full = i64::try_from(page.len()).unwrap_or(i64::MAX) >= page_size;
        let page_size = page_size.min(legacy_entries - last);
        let read_next = async {
            if full && page_size > 0 {
                store.audit_entries(last, page_size).await
            } else {
                Ok(Vec::new())
            }
        };
        let check_this = async { chain.check_page(page) };
        let (next, verdict) = tokio::join!(read_next, check_this);
        if let Err(bad) = verdict {
            return Ok(chain.report(Some(bad)));
        }
        page = next?;
    }
    // A checkpoint beyond the end means the tail was cut off.
    if checkpoints.keys().any(|&seq| seq > chain.prev_seq) {
        let seq = chain.prev_seq + 1;
        return Ok(chain.report(Some(BadEntry {
            seq,
            problem: Problem::Missing,
        })));
    }
    Ok(chain.report(None))
}

/// The verifier's walk along the chain.
struct ChainCheck<'a> {
    key: UnparsedPublicKey<&'a [u8]>,
    checkpoints: &'a BTreeMap<i64, Checkpoint>,
    prev_seq: i64,
    prev_hash: Vec<u8>,
    entries: i64,
    checked_checkpoints: usize,
}

impl ChainCheck<'_> {
    /// Checks a page of consecutive entries; the first bad one stops the walk.
    fn check_page(&mut self, page: Vec<AuditEntry>) -> Result<(), BadEntry> {
        for entry in page {
            self.check(entry)?;
        }
        Ok(())
    }

    fn check(&mut self, entry: AuditEntry) -> Result<(), BadEntry> {
        let bad = |seq, problem| Err(BadEntry { seq, problem });
        let seq = entry.leaf.seq;
        if seq != self.prev_seq + 1 {
            return bad(self.prev_seq + 1, Problem::Missing);
        }
        if entry.prev_hash != self.prev_hash {
            return bad(seq, Problem::BrokenLink);
        }
        if entry_hash(&entry).as_slice() != entry.entry_hash.as_slice() {
            return bad(seq, Problem::Altered);
        }
        if let Some(checkpoint) = self.checkpoints.get(&seq) {
            if checkpoint.entry_hash != entry.entry_hash {
                return bad(seq, Problem::CheckpointMismatch);
            }
            let message = checkpoint_message(
                checkpoint.seq,
                &checkpoint.entry_hash,
                &checkpoint.signed_at,
            );
            if self.key.verify(&message, &checkpoint.signature).is_err() {
                return bad(seq, Problem::BadSignature);
            }
            self.checked_checkpoints += 1;
        }
        self.entries += 1;
        self.prev_seq = seq;
        self.prev_hash = entry.entry_hash;
        Ok(())
    }

    fn report(&self, first_bad: Option<BadEntry>) -> VerifyReport {
        let last_signed = self.checkpoints.keys().next_back().copied().unwrap_or(0);
        VerifyReport {
            entries: self.entries,
            checkpoints: self.checked_checkpoints,
            unsigned_tail: if first_bad.is_some() {
                0
            } else {
                self.prev_seq - last_signed
            },
            first_bad,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str) -> AuditEvent {
        AuditEvent::new(
            DateTime::from_timestamp(1_750_000_000, 123_456_789).unwrap_or_default(),
            "operator:test".to_owned(),
            action,
            "daycare:x".to_owned(),
        )
    }

    #[test]
    fn every_field_and_the_link_change_the_hash() {
        let first = chain(&event("a"), 0, &GENESIS_HASH);
        let second = chain(&event("a"), 1, &first.entry_hash);
        assert_ne!(
            first.entry_hash, second.entry_hash,
            "seq and link are hashed"
        );
        let mut edited = first.clone();
        edited.leaf.reason = "x".to_owned();
        assert_ne!(entry_hash(&edited).to_vec(), first.entry_hash);
        let mut shifted = first.clone();
        shifted.leaf.actor.push('a');
        shifted.leaf.action = String::new();
        assert_ne!(entry_hash(&shifted).to_vec(), first.entry_hash);
        assert_eq!(first.leaf.occurred_at, "2025-06-15T15:06:40.123456Z");
    }

    #[test]
    fn checkpoints_verify_only_with_their_key() {
        let signer = CheckpointSigner::ephemeral().expect("key");
        let other = CheckpointSigner::ephemeral().expect("key");
        let checkpoint = signer.sign(7, &[1; 32], Utc::now());
        let message = checkpoint_message(7, &[1; 32], &checkpoint.signed_at);
        assert!(UnparsedPublicKey::new(&ED25519, signer.public_key())
            .verify(&message, &checkpoint.signature)
            .is_ok());
        assert!(UnparsedPublicKey::new(&ED25519, other.public_key())
            .verify(&message, &checkpoint.signature)
            .is_err());
        assert!(!format!("{signer:?}").is_empty());
    }

    #[test]
    fn key_files_round_trip_and_are_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("audit.key");
        let public = dir.path().join("audit.pub");
        CheckpointSigner::generate(&key, &public).expect("generate");
        let signer = CheckpointSigner::load(&key).expect("load");
        assert_eq!(
            load_public_key(&public).expect("public"),
            signer.public_key()
        );
        assert!(matches!(
            CheckpointSigner::generate(&key, &public),
            Err(AuditKeyError::Exists(_))
        ));
    }
}
