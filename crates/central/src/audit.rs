//! The audit log as a witnessed transparency log.
//!
//! Entries are the leaves of an RFC 6962 Merkle tree (`placeforte_translog`): an append, in
//! the transaction of the work it records, stores the entry, the tree's new stored hashes, and
//! the new tree head signed with the log key (a C2SP checkpoint note kept in `audit_head`), so
//! an entry written into the database by hand or cut off its end no longer matches a
//! signature. At the checkpoint cadence ([`CheckpointPolicy`]) the signed head is kept as a
//! checkpoint ([`checkpoint_if_due`]) and submitted to independent witnesses over the C2SP
//! tlog-witness protocol ([`witnessing`]), each of which cosigns it only if it is consistent
//! with the last head it cosigned. Whoever holds the database and the log key can re-sign a
//! rewritten tree, but not a witness's cosignature: [`verify`] recomputes the tree from the
//! entries and checks it against every checkpoint, the signed head, the cadence, and the
//! witnesses' cosigned heads. [`access_report`] gives a person their file's entries with
//! inclusion proofs they can check offline.
//!
//! The former hash chain ([`legacy`]) is verified and sealed into the tree by
//! [`seal_legacy_chain`]. The service's database role may only INSERT into the audit tables
//! (SQLite triggers; PostgreSQL triggers and grants, see the migrations).

pub mod access_report;
pub mod legacy;
mod verify;
pub mod witnessing;

use std::io::Write as _;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use placeforte_translog::checkpoint::{LogSigner, LogVerifier, TreeHead};
use placeforte_translog::cosignature::WitnessVerifier;
use placeforte_translog::keys::KeyError;
use placeforte_translog::leaf::AuditLeaf;
use placeforte_translog::tree::{self, Frontier, StoredHashes};

use crate::store::{AuditEvent, Storage, StoreError, TreeCheckpointRecord};

pub use verify::{verify, verify_in_pages, Finding, VerifyOptions, VerifyReport, WitnessHead};

/// One stored entry: its leaf exactly as hashed, and the stored hashes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// The fields, as the tree hashes them.
    pub leaf: AuditLeaf,
    /// The former chain's link (entries of the former chain only; empty since).
    pub prev_hash: Vec<u8>,
    /// The leaf hash (for entries of the former chain, their chain hash).
    pub entry_hash: Vec<u8>,
}

impl AuditEntry {
    /// The entry `seq` recording `event`.
    pub fn for_event(event: &AuditEvent, seq: i64) -> AuditEntry {
        let leaf = AuditLeaf {
            seq,
            occurred_at: instant_text(event.occurred_at),
            actor: event.actor.clone(),
            daycare_id: event.daycare_id.map(|d| d.to_string()).unwrap_or_default(),
            action: event.action.clone(),
            subject: event.subject.clone(),
            referral_ids: event
                .referral_ids
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(","),
            reason: event.reason.clone().unwrap_or_default(),
        };
        let entry_hash = leaf.hash().0.to_vec();
        AuditEntry {
            leaf,
            prev_hash: Vec::new(),
            entry_hash,
        }
    }
}

/// The text an instant is stored and hashed as (the same on both backends).
pub fn instant_text(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A key file could not be made or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditKeyError {
    /// Reading or writing failed.
    #[error("cannot access the audit key file {}: {source}", path.display())]
    Io {
        /// Which file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file does not hold a key of the right kind.
    #[error("the audit key file {} does not hold the expected key", .0.display())]
    Invalid(PathBuf),
    /// The file holds a key text that does not parse.
    #[error("the key file {}: {source}", path.display())]
    Key {
        /// Which file.
        path: PathBuf,
        /// What is wrong with it.
        source: KeyError,
    },
    /// The file exists: keys are never overwritten.
    #[error("{} already exists; init never overwrites keys", .0.display())]
    Exists(PathBuf),
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
}

/// Makes the log key for `origin`: the private key text (mode 0600) at `key_path`, its
/// verifier key at `verifier_path`. Refuses to replace either file.
pub fn generate_log_key(
    origin: &str,
    key_path: &Path,
    verifier_path: &Path,
) -> Result<(), AuditKeyError> {
    for path in [key_path, verifier_path] {
        if path.exists() {
            return Err(AuditKeyError::Exists(path.to_path_buf()));
        }
    }
    let pair =
        LogSigner::generate(origin, &random_seed()?).map_err(|source| AuditKeyError::Key {
            path: key_path.to_path_buf(),
            source,
        })?;
    write_new(key_path, &format!("{}\n", pair.private))?;
    write_new(verifier_path, &format!("{}\n", pair.verifier))
}

/// A log key made in memory (tests and benchmarks).
pub fn ephemeral_log_signer(origin: &str) -> Result<LogSigner, AuditKeyError> {
    let pair =
        LogSigner::generate(origin, &random_seed()?).map_err(|source| AuditKeyError::Key {
            path: PathBuf::new(),
            source,
        })?;
    LogSigner::from_private_key(&pair.private).map_err(|source| AuditKeyError::Key {
        path: PathBuf::new(),
        source,
    })
}

/// Reads the log key written by [`generate_log_key`].
pub fn load_log_signer(path: &Path) -> Result<LogSigner, AuditKeyError> {
    LogSigner::from_private_key(&read(path)?).map_err(|source| AuditKeyError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads the log's verifier key written by [`generate_log_key`].
pub fn load_log_verifier(path: &Path) -> Result<LogVerifier, AuditKeyError> {
    LogVerifier::from_verifier_key(&read(path)?).map_err(|source| AuditKeyError::Key {
        path: path.to_path_buf(),
        source,
    })
}

/// Reads a witness's verifier key (what `placeforte-witness init` writes to `witness.vkey`).
pub fn load_witness_verifier(path: &Path) -> Result<WitnessVerifier, AuditKeyError> {
    WitnessVerifier::from_verifier_key(&read(path)?).map_err(|source| AuditKeyError::Key {
        path: path.to_path_buf(),
        source,
    })
}

fn random_seed() -> Result<[u8; 32], AuditKeyError> {
    let mut seed = [0_u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut seed)
        .map_err(|_| AuditKeyError::Random)?;
    Ok(seed)
}

/// When to keep a checkpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckpointPolicy {
    /// After this many entries since the last checkpoint.
    pub every_entries: i64,
    /// Or this long after the first entry the last checkpoint does not cover.
    pub every: chrono::Duration,
}

impl Default for CheckpointPolicy {
    fn default() -> Self {
        CheckpointPolicy {
            every_entries: 1_000,
            every: chrono::Duration::minutes(5),
        }
    }
}

impl CheckpointPolicy {
    /// The most entries [`verify`] accepts between two checkpoints, or after the last one:
    /// twice the policy, because the checkpoint task looks every few seconds and a burst of
    /// appends can pass the count before it does.
    pub fn max_entries_between(&self) -> i64 {
        self.every_entries.saturating_mul(2)
    }

    /// The longest [`verify`] accepts between the first entry a checkpoint does not cover and
    /// the checkpoint that covers it (or now, for the tail): twice the policy, for the same
    /// reason.
    pub fn max_delay(&self) -> chrono::Duration {
        self.every * 2
    }
}

/// Something about the stored log is not what the log key signed, or a witness said no.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The stored log contradicts what the log key signed: written outside the service.
    #[error("the audit log was written outside the service: {0}")]
    Tampered(String),
}

/// Keeps the signed head as a checkpoint if `policy` says it is time (or `force` and anything
/// is not yet covered). Before keeping it, checks that the head is signed by `log`, matches the
/// stored tree, and extends the last checkpoint (consistency proof from the stored hashes): a
/// tree rewritten in the database is refused here, not checkpointed. Returns the head kept.
pub async fn checkpoint_if_due<S: Storage>(
    store: &S,
    log: &LogSigner,
    policy: CheckpointPolicy,
    now: DateTime<Utc>,
    force: bool,
) -> Result<Option<TreeHead>, AuditError> {
    let state = store.audit_head_state().await?;
    let size = state.tree_size;
    let last = store.last_audit_tree_checkpoint().await?;
    let last_size = last.as_ref().map_or(0, |c| c.size);
    if last_size > size {
        return Err(AuditError::Tampered(format!(
            "checkpoint {last_size} is beyond the tree's {size} entries"
        )));
    }
    if size == last_size {
        return Ok(None);
    }
    let due = force || size - last_size >= policy.every_entries || {
        let first = store.audit_entries(last_size, 1).await?;
        let first_at = first
            .first()
            .map(|e| parse_instant(&e.leaf.occurred_at))
            .transpose()?;
        first_at.is_some_and(|at| now - at >= policy.every)
    };
    if !due {
        return Ok(None);
    }
    let head = checked_head(store, log.verifier(), &state.signed_head, size).await?;
    if let Some(last) = &last {
        let last_head = log
            .verifier()
            .open(&last.note)
            .map_err(|e| AuditError::Tampered(format!("checkpoint {}: {e}", last.size)))?
            .head;
        let proof = consistency_proof(store, head.size, last_head.size).await?;
        tree::check_consistency(&proof, head, last_head).map_err(|_| {
            AuditError::Tampered(format!(
                "the tree of {} entries does not extend checkpoint {}",
                head.size, last_head.size
            ))
        })?;
    }
    store
        .add_audit_tree_checkpoint(&TreeCheckpointRecord {
            size,
            signed_at: instant_text(now),
            note: state.signed_head,
        })
        .await?;
    Ok(Some(head))
}

/// The tree head `note` states, after checking it is signed by `log`, is of `size` entries,
/// and matches the stored tree's frontier.
async fn checked_head<S: Storage>(
    store: &S,
    log: &LogVerifier,
    note: &str,
    size: i64,
) -> Result<TreeHead, AuditError> {
    let head = log
        .open(note)
        .map_err(|e| AuditError::Tampered(format!("the signed head: {e}")))?
        .head;
    let size_u = u64::try_from(size).unwrap_or_default();
    let hashes = store
        .audit_tree_hashes(&tree::frontier_indexes(size_u))
        .await?;
    let stored = Frontier::from_hashes(size_u, &hashes)
        .map_err(|e| AuditError::Tampered(format!("the stored tree: {e}")))?
        .head();
    if head != stored {
        return Err(AuditError::Tampered(format!(
            "the signed head ({} entries) differs from the stored tree ({size} entries)",
            head.size
        )));
    }
    Ok(head)
}

/// The consistency proof from `old_size` to `new_size`, from the stored hashes.
pub(crate) async fn consistency_proof<S: Storage>(
    store: &S,
    new_size: u64,
    old_size: u64,
) -> Result<Vec<placeforte_translog::Hash>, AuditError> {
    let hashes: StoredHashes = store
        .audit_tree_hashes(&tree::consistency_proof_indexes(new_size, old_size))
        .await?;
    tree::consistency_proof(new_size, old_size, &hashes)
        .map_err(|e| AuditError::Tampered(format!("the stored tree: {e}")))
}

/// Hands the log over from the key `old` to the key `new` (same origin). With `old`: appends
/// an entry naming the new key and keeps a checkpoint of it (the old key vouches for the new),
/// then appends the entry that completes the hand-over; that head is re-signed with `new` and
/// kept as a checkpoint, so every later append and checkpoint is signed by `new`. Run with the
/// service stopped (its appends would find a head it no longer signed); docs/keys.md has the
/// whole procedure. Returns the tree size from which `new` signs.
pub async fn rotate_log_key<S: Storage>(
    store: &S,
    old: &LogSigner,
    new: &LogSigner,
    now: DateTime<Utc>,
) -> Result<u64, AuditError> {
    if old.origin() != new.origin() {
        return Err(AuditError::Tampered(format!(
            "the new key is for {} and the log is {}: a witness tracks one origin",
            new.origin(),
            old.origin()
        )));
    }
    let event = |action: &str| {
        AuditEvent::new(
            now,
            "operator:key-rotation".to_owned(),
            action,
            format!("key:{}", new.verifier_key()),
        )
    };
    store.record_event(&event("audit.log_key_rotated")).await?;
    checkpoint_if_due(store, old, CheckpointPolicy::default(), now, true).await?;
    store
        .record_event(&event("audit.log_key_handed_over"))
        .await?;
    let state = store.audit_head_state().await?;
    let head = checked_head(store, old.verifier(), &state.signed_head, state.tree_size).await?;
    let note = new
        .sign(head)
        .map_err(|e| AuditError::Tampered(format!("signing with the new key: {e}")))?;
    if !store
        .replace_audit_head_signature(&state.signed_head, &note)
        .await?
    {
        return Err(AuditError::Tampered(
            "the head changed during the rotation: is the service still running?".to_owned(),
        ));
    }
    store
        .add_audit_tree_checkpoint(&TreeCheckpointRecord {
            size: state.tree_size,
            signed_at: instant_text(now),
            note,
        })
        .await?;
    Ok(head.size)
}

/// Verifies the former hash chain with its checkpoint key (`legacy_public_key`) and seals it
/// into the tree: stores the tree's hashes over those entries, signs the head with `log` and
/// keeps it as the first checkpoint. Refuses, changing nothing, if the chain does not verify.
/// Returns the number of entries sealed (0 when there is no former chain or it is sealed).
pub async fn seal_legacy_chain<S: Storage>(
    store: &S,
    legacy_public_key: &[u8],
    log: &LogSigner,
    now: DateTime<Utc>,
) -> Result<i64, SealError> {
    let state = store.audit_head_state().await?;
    if state.legacy_entries == 0 || state.tree_size >= state.legacy_entries {
        return Ok(0);
    }
    let report = legacy::verify_chain(store, legacy_public_key).await?;
    if let Some(bad) = report.first_bad {
        return Err(SealError::ChainBroken(bad));
    }
    if report.entries != state.legacy_entries {
        return Err(SealError::ChainBroken(legacy::BadEntry {
            seq: report.entries + 1,
            problem: legacy::Problem::Missing,
        }));
    }
    let mut frontier = Frontier::empty();
    let mut hashes = Vec::new();
    let mut after = 0;
    while after < state.legacy_entries {
        let page = store
            .audit_entries(after, (state.legacy_entries - after).min(10_000))
            .await?;
        let Some(last) = page.last() else { break };
        after = last.leaf.seq;
        for entry in &page {
            hashes.extend(frontier.append(entry.leaf.hash()));
        }
    }
    let note = log
        .sign(frontier.head())
        .map_err(|e| SealError::Signing(e.to_string()))?;
    store
        .seal_legacy_audit_chain(state.legacy_entries, &hashes, &note, &instant_text(now))
        .await?;
    Ok(state.legacy_entries)
}

/// Why the former chain could not be sealed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain does not verify: it is not sealed, so that no edit is laundered into the tree.
    #[error("the former audit chain FAILED verification at entry {}: {}; nothing was sealed", .0.seq, .0.problem)]
    ChainBroken(legacy::BadEntry),
    /// Signing the head failed.
    #[error("signing the tree head failed: {0}")]
    Signing(String),
}

pub(crate) fn parse_instant(text: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|_| StoreError::Corrupt(format!("audit time {text:?}")))
}

fn read(path: &Path) -> Result<String, AuditKeyError> {
    std::fs::read_to_string(path).map_err(|source| AuditKeyError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn write_new(path: &Path, contents: &str) -> Result<(), AuditKeyError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let io = |source| AuditKeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(contents.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_key_files_round_trip_and_are_never_overwritten() {
        let dir = tempfile::tempdir().expect("tempdir");
        let key = dir.path().join("log.key");
        let vkey = dir.path().join("log.vkey");
        generate_log_key("placeforte.test/audit", &key, &vkey).expect("generate");
        let signer = load_log_signer(&key).expect("signer");
        let verifier = load_log_verifier(&vkey).expect("verifier");
        assert_eq!(signer.verifier_key(), verifier.verifier_key());
        assert_eq!(verifier.origin(), "placeforte.test/audit");
        assert!(matches!(
            generate_log_key("placeforte.test/audit", &key, &vkey),
            Err(AuditKeyError::Exists(_))
        ));
        assert!(matches!(
            load_log_signer(&vkey),
            Err(AuditKeyError::Key { .. })
        ));
        assert!(matches!(
            load_witness_verifier(&vkey),
            Err(AuditKeyError::Key { .. })
        ));
    }

    #[test]
    fn an_entry_is_its_leaf_hash() {
        let event = AuditEvent::new(
            DateTime::from_timestamp(1_750_000_000, 123_456_789).unwrap_or_default(),
            "operator:test".to_owned(),
            "a",
            "daycare:x".to_owned(),
        );
        let entry = AuditEntry::for_event(&event, 4);
        assert_eq!(entry.leaf.seq, 4);
        assert_eq!(entry.entry_hash, entry.leaf.hash().0.to_vec());
        assert_eq!(entry.leaf.occurred_at, "2025-06-15T15:06:40.123456Z");
        assert!(entry.prev_hash.is_empty());
    }
}
