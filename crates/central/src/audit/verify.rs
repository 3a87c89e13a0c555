//! `audit verify`: recompute the tree from the entries and check it against everything that
//! was signed about it.
//!
//! The walk reads the entries in pages (the next page while this one is hashed), rebuilds the
//! root with a [`RootBuilder`] (nothing stored, one node hash per entry on average) and notes
//! the root at every size something speaks for: each checkpoint, the signed head, each stored
//! cosignature and each witness's own latest head. Then every statement is checked against
//! those roots. Each failure is a [`Finding`]; the log is intact when there are none.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use placeforte_translog::checkpoint::{LogVerifier, TreeHead};
use placeforte_translog::cosignature::WitnessVerifier;
use placeforte_translog::tree::RootBuilder;
use placeforte_translog::Hash;

use super::{parse_instant, AuditEntry, CheckpointPolicy};
use crate::store::{Storage, StoreError};

/// Entries read per round trip.
const VERIFY_PAGE: i64 = 10_000;

/// What [`verify`] checks against.
#[derive(Debug, Clone)]
pub struct VerifyOptions<'a> {
    /// The log's verifier key.
    pub log: &'a LogVerifier,
    /// The log's former keys (after a rotation, docs/keys.md): checkpoints, cosigned
    /// checkpoints and the head may be signed by these too.
    pub previous_logs: &'a [LogVerifier],
    /// The cadence checkpoints must have kept.
    pub policy: CheckpointPolicy,
    /// Trusted witnesses: their cosignatures are checked, and each must have cosigned a
    /// checkpoint no older than `max_cosigned_age`.
    pub witnesses: &'a [WitnessVerifier],
    /// How old the newest cosignature of each trusted witness may be.
    pub max_cosigned_age: chrono::Duration,
    /// Heads fetched from the witnesses themselves (outside the database).
    pub witness_heads: &'a [WitnessHead],
    /// The time the tail's age and the cosignatures' ages are measured at.
    pub now: DateTime<Utc>,
}

/// The latest checkpoint a witness cosigned, as the witness itself serves it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessHead {
    /// The witness's name.
    pub witness: String,
    /// The checkpoint note with its cosignature.
    pub note: String,
}

/// One thing wrong with the stored log. In the fields, `seq` is an entry's sequence number,
/// `size` and `entries` are numbers of entries (tree sizes), `witness` is a witness's name.
#[derive(Debug, Clone, PartialEq, Eq)]
#[allow(missing_docs)] // the fields are named by the paragraph above
pub enum Finding {
    /// Entry `seq` is not there (deleted, or the rows were renumbered).
    EntryMissing { seq: i64 },
    /// Entry `seq` does not hash to its stored leaf hash (edited after it was written).
    EntryAltered { seq: i64 },
    /// A checkpoint does not verify with the log key.
    CheckpointBadSignature { size: i64 },
    /// The entries do not give the root a checkpoint signed: some entry up to `size` was
    /// changed, removed or inserted after it was signed.
    CheckpointMismatch { size: i64 },
    /// A checkpoint covers entries the log no longer has (its end was cut off).
    CheckpointBeyondEnd { size: i64, entries: i64 },
    /// The signed tree head is missing or does not verify with the log key.
    HeadUnsigned,
    /// The signed head covers another number of entries than the log holds: entries cut off
    /// its end (`head > entries`) or appended without the log key (`head < entries`).
    HeadSizeMismatch { head: i64, entries: i64 },
    /// The signed head's root is not the entries' root.
    HeadMismatch,
    /// Two checkpoints (or the start and the first) are further apart than the cadence allows.
    CadenceBroken {
        after: i64,
        next: i64,
        detail: String,
    },
    /// The entries after the last checkpoint are more, or older, than the cadence allows.
    TailTooLong { entries: i64, detail: String },
    /// A stored cosignature does not verify with the witness's key.
    CosignatureInvalid { witness: String, size: i64 },
    /// A witness cosigned another root for this size: the log was rewritten after it was
    /// witnessed.
    WitnessedMismatch { witness: String, size: i64 },
    /// A witness cosigned more entries than the log holds: its end was cut off.
    WitnessedBeyondEnd {
        witness: String,
        size: i64,
        entries: i64,
    },
    /// No cosignature of this witness is recent enough.
    NoFreshCosignature {
        witness: String,
        newest: Option<DateTime<Utc>>,
    },
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Finding::EntryMissing { seq } => write!(f, "entry {seq} is missing (deleted or renumbered)"),
            Finding::EntryAltered { seq } => write!(f, "entry {seq} was altered (its fields do not match its hash)"),
            Finding::CheckpointBadSignature { size } => write!(f, "checkpoint {size} is not signed by the log key"),
            Finding::CheckpointMismatch { size } => write!(f, "the entries up to {size} differ from what checkpoint {size} signed (changed, removed or inserted since)"),
            Finding::CheckpointBeyondEnd { size, entries } => write!(f, "checkpoint {size} covers entries the log no longer has (it holds {entries}): its end was cut off"),
            Finding::HeadUnsigned => f.write_str("the tree head is not signed by the log key"),
            Finding::HeadSizeMismatch { head, entries } if head > entries => write!(f, "the signed head covers {head} entries but the log holds {entries}: its end was cut off"),
            Finding::HeadSizeMismatch { head, entries } => write!(f, "the log holds {entries} entries but the signed head covers {head}: entries were appended without the log key"),
            Finding::HeadMismatch => f.write_str("the signed head's root differs from the entries' root"),
            Finding::CadenceBroken { after, next, detail } => write!(f, "no checkpoint between entries {after} and {next} as the cadence requires ({detail}); checkpoints were deleted or not made"),
            Finding::TailTooLong { entries, detail } => write!(f, "{entries} entries after the last checkpoint, more than the cadence allows ({detail})"),
            Finding::CosignatureInvalid { witness, size } => write!(f, "the cosignature of {witness} on checkpoint {size} does not verify"),
            Finding::WitnessedMismatch { witness, size } => write!(f, "{witness} cosigned another log at size {size}: the entries were rewritten after they were witnessed"),
            Finding::WitnessedBeyondEnd { witness, size, entries } => write!(f, "{witness} cosigned {size} entries but the log holds {entries}: its end was cut off"),
            Finding::NoFreshCosignature { witness, newest: Some(at) } => write!(f, "the newest cosignature of {witness} is from {at}, older than allowed"),
            Finding::NoFreshCosignature { witness, newest: None } => write!(f, "{witness} has cosigned no checkpoint of this log"),
        }
    }
}

/// The outcome of [`verify`].
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct VerifyReport {
    /// Entries read.
    pub entries: i64,
    /// Checkpoints checked.
    pub checkpoints: usize,
    /// Cosignatures checked (stored and fetched).
    pub cosignatures: usize,
    /// Entries after the last checkpoint.
    pub unsigned_tail: i64,
    /// Everything wrong, in the order found.
    pub findings: Vec<Finding>,
}

impl VerifyReport {
    /// Whether nothing is wrong.
    pub fn intact(&self) -> bool {
        self.findings.is_empty()
    }
}

/// Checks the whole log (see the module's documentation).
pub async fn verify<S: Storage>(
    store: &S,
    options: &VerifyOptions<'_>,
) -> Result<VerifyReport, StoreError> {
    verify_in_pages(store, options, VERIFY_PAGE).await
}

/// A statement about the tree at some size, to check once the walk has its root.
struct Claim {
    size: i64,
    root: Hash,
    kind: ClaimKind,
}

enum ClaimKind {
    Checkpoint,
    Head,
    Witnessed(String),
}

/// [`verify`], reading `page_size` entries per round trip (tests use tiny pages).
pub async fn verify_in_pages<S: Storage>(
    store: &S,
    options: &VerifyOptions<'_>,
    page_size: i64,
) -> Result<VerifyReport, StoreError> {
    let page_size = page_size.max(1);
    let mut report = VerifyReport::default();
    let mut claims: Vec<Claim> = Vec::new();

    // What was signed: the checkpoints, in size order.
    let checkpoints = store.audit_tree_checkpoints().await?;
    let mut checkpoint_sizes = Vec::new();
    for checkpoint in &checkpoints {
        match open_any(options, &checkpoint.note) {
            Some(opened) if opened.head.size == u64::try_from(checkpoint.size).unwrap_or(0) => {
                checkpoint_sizes.push(checkpoint.size);
                claims.push(Claim {
                    size: checkpoint.size,
                    root: opened.head.root,
                    kind: ClaimKind::Checkpoint,
                });
                report.checkpoints += 1;
            }
            _ => report.findings.push(Finding::CheckpointBadSignature {
                size: checkpoint.size,
            }),
        }
    }
    // The head, signed at the last append.
    let state = store.audit_head_state().await?;
    let head = open_any(options, &state.signed_head).map(|c| c.head);
    match head {
        Some(head) => claims.push(Claim {
            size: i64::try_from(head.size).unwrap_or(i64::MAX),
            root: head.root,
            kind: ClaimKind::Head,
        }),
        None if state.tree_size > 0 || !state.signed_head.is_empty() => {
            report.findings.push(Finding::HeadUnsigned)
        }
        None => {}
    }
    // What the witnesses cosigned: stored here, and fetched from them.
    let mut newest_cosigned: BTreeMap<String, DateTime<Utc>> = BTreeMap::new();
    let stored = store.audit_cosignatures().await?;
    let fetched = options
        .witness_heads
        .iter()
        .map(|h| (h.witness.as_str(), h.note.as_str()));
    for witness in options.witnesses {
        let mine = stored
            .iter()
            .filter(|c| c.witness == witness.verifier_key())
            .map(|c| (Some(c.size), c.note.as_str()))
            .chain(
                fetched
                    .clone()
                    .filter(|(name, _)| *name == witness.name())
                    .map(|(_, note)| (None, note)),
            );
        for (stored_size, note) in mine {
            match cosigned_head(options, witness, note) {
                Some((head, at)) => {
                    report.cosignatures += 1;
                    let entry = newest_cosigned
                        .entry(witness.name().to_owned())
                        .or_insert(at);
                    *entry = (*entry).max(at);
                    claims.push(Claim {
                        size: i64::try_from(head.size).unwrap_or(i64::MAX),
                        root: head.root,
                        kind: ClaimKind::Witnessed(witness.name().to_owned()),
                    });
                }
                None => report.findings.push(Finding::CosignatureInvalid {
                    witness: witness.name().to_owned(),
                    size: stored_size.unwrap_or(0),
                }),
            }
        }
    }

    // The walk.
    let wanted: BTreeSet<i64> = claims.iter().map(|c| c.size).collect();
    let mut walk = Walk {
        builder: RootBuilder::default(),
        wanted,
        roots: BTreeMap::new(),
        times: BTreeMap::new(),
        cuts: std::iter::once(1)
            .chain(checkpoint_sizes.iter().map(|s| s + 1))
            .collect(),
        stopped: false,
        findings: Vec::new(),
    };
    let mut page = store.audit_entries(0, page_size).await?;
    while let Some(last) = page.last().map(|entry| entry.leaf.seq) {
        let more = i64::try_from(page.len()).unwrap_or(i64::MAX) >= page_size && !walk.stopped;
        let read_next = async {
            if more {
                store.audit_entries(last, page_size).await
            } else {
                Ok(Vec::new())
            }
        };
        // The hashing runs on a blocking thread while this task reads the next page. Run in
        // this task, it would hardly overlap the read: the read progresses only when polled,
        // and the synchronous hashing holds the task until the page is done (a profile showed
        // one core busy of two; PostgreSQL's rows are decoded in this task, too).
        let check_this = tokio::task::spawn_blocking(move || {
            walk.page(page);
            walk
        });
        let (next, checked) = tokio::join!(read_next, check_this);
        walk = match checked {
            Ok(walk) => walk,
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(error) => return Err(StoreError::Corrupt(format!("the verifier's walk: {error}"))),
        };
        page = next?;
    }
    let entries = i64::try_from(walk.builder.size()).unwrap_or(i64::MAX);
    report.entries = entries;
    report.findings.append(&mut walk.findings);

    // Every claim against the walk's roots.
    for claim in &claims {
        let root = walk.roots.get(&claim.size).copied();
        let beyond = claim.size > entries;
        let finding = match (&claim.kind, root) {
            (_, Some(root)) if root == claim.root => None,
            (ClaimKind::Checkpoint, _) if beyond => Some(Finding::CheckpointBeyondEnd {
                size: claim.size,
                entries,
            }),
            (ClaimKind::Checkpoint, _) => Some(Finding::CheckpointMismatch { size: claim.size }),
            (ClaimKind::Head, _) if claim.size != entries => Some(Finding::HeadSizeMismatch {
                head: claim.size,
                entries,
            }),
            (ClaimKind::Head, _) => Some(Finding::HeadMismatch),
            (ClaimKind::Witnessed(witness), _) if beyond => Some(Finding::WitnessedBeyondEnd {
                witness: witness.clone(),
                size: claim.size,
                entries,
            }),
            (ClaimKind::Witnessed(witness), _) => Some(Finding::WitnessedMismatch {
                witness: witness.clone(),
                size: claim.size,
            }),
        };
        if let Some(finding) = finding {
            if !report.findings.contains(&finding) {
                report.findings.push(finding);
            }
        }
    }
    if let Some(head) = head {
        let head_size = i64::try_from(head.size).unwrap_or(i64::MAX);
        if head_size < entries {
            report.findings.push(Finding::HeadSizeMismatch {
                head: head_size,
                entries,
            });
        }
    }

    // The cadence: between checkpoints, and after the last one.
    let mut previous = 0_i64;
    for &size in checkpoint_sizes.iter().filter(|&&s| s <= entries) {
        if let Some(detail) = cadence_gap(&options.policy, &walk, previous, size, None) {
            report.findings.push(Finding::CadenceBroken {
                after: previous,
                next: size,
                detail,
            });
        }
        previous = size;
    }
    report.unsigned_tail = entries - previous;
    if entries > previous {
        if let Some(detail) =
            cadence_gap(&options.policy, &walk, previous, entries, Some(options.now))
        {
            report.findings.push(Finding::TailTooLong {
                entries: entries - previous,
                detail,
            });
        }
    }

    // Each trusted witness must have cosigned recently.
    for witness in options.witnesses {
        let newest = newest_cosigned.get(witness.name()).copied();
        if newest.is_none_or(|at| options.now - at > options.max_cosigned_age) {
            report.findings.push(Finding::NoFreshCosignature {
                witness: witness.name().to_owned(),
                newest,
            });
        }
    }
    Ok(report)
}

/// Why the entries `(after, next]` break the cadence, if they do: more entries than allowed,
/// or the first of them waited longer than allowed for the checkpoint at `next` (for the tail,
/// `next` is the last entry and the wait runs to `now`).
fn cadence_gap(
    policy: &CheckpointPolicy,
    walk: &Walk,
    after: i64,
    next: i64,
    now: Option<DateTime<Utc>>,
) -> Option<String> {
    let count = next - after;
    if count > policy.max_entries_between() {
        return Some(format!(
            "{count} entries, at most {} allowed",
            policy.max_entries_between()
        ));
    }
    let first = walk.times.get(&(after + 1)).copied().flatten()?;
    let until = match now {
        Some(now) => now,
        None => walk.times.get(&next).copied().flatten()?,
    };
    let waited = until - first;
    (waited > policy.max_delay()).then(|| {
        format!(
            "entry {} waited {} min, at most {} min allowed",
            after + 1,
            waited.num_minutes(),
            policy.max_delay().num_minutes()
        )
    })
}

/// The cosigned tree head in `note` and its cosignature's time, if the log signed it and
/// `witness` cosigned it.
fn cosigned_head(
    options: &VerifyOptions<'_>,
    witness: &WitnessVerifier,
    note: &str,
) -> Option<(TreeHead, DateTime<Utc>)> {
    let opened = open_any(options, note)?;
    let (_, signatures) = placeforte_translog::checkpoint::split_note(note)?;
    let cosignature = witness.verify(&opened.body, signatures).ok()?;
    let at = DateTime::from_timestamp(i64::try_from(cosignature.timestamp).ok()?, 0)?;
    Some((opened.head, at))
}

/// `note` opened with the log's key or one of its former keys.
fn open_any(
    options: &VerifyOptions<'_>,
    note: &str,
) -> Option<placeforte_translog::checkpoint::SignedCheckpoint> {
    std::iter::once(options.log)
        .chain(options.previous_logs)
        .find_map(|log| log.open(note).ok())
}

/// The verifier's walk along the entries.
struct Walk {
    builder: RootBuilder,
    /// Sizes whose root a claim needs.
    wanted: BTreeSet<i64>,
    roots: BTreeMap<i64, Hash>,
    /// Entry times the cadence needs: the first entry after each checkpoint, and each
    /// checkpoint's last entry (`None` when unparseable).
    times: BTreeMap<i64, Option<DateTime<Utc>>>,
    /// Sequence numbers whose time is needed: the first entry, and the one after each
    /// checkpoint.
    cuts: BTreeSet<i64>,
    /// Set at the first gap: the walk stops there.
    stopped: bool,
    findings: Vec<Finding>,
}

impl Walk {
    fn page(&mut self, page: Vec<AuditEntry>) {
        for entry in page {
            if self.stopped {
                return;
            }
            self.entry(entry);
        }
    }

    fn entry(&mut self, entry: AuditEntry) {
        let expected = i64::try_from(self.builder.size()).unwrap_or(i64::MAX) + 1;
        let seq = entry.leaf.seq;
        if seq != expected {
            self.stopped = true;
            self.findings.push(Finding::EntryMissing { seq: expected });
            return;
        }
        let leaf = entry.leaf.hash();
        // The former chain's entries store their chain hash instead.
        if entry.prev_hash.is_empty() && entry.entry_hash.as_slice() != leaf.0.as_slice() {
            self.findings.push(Finding::EntryAltered { seq });
        }
        self.builder.push(leaf);
        if self.wanted.contains(&seq) {
            self.roots.insert(seq, self.builder.root());
        }
        if self.cuts.contains(&seq) || self.wanted.contains(&seq) {
            self.times
                .insert(seq, parse_instant(&entry.leaf.occurred_at).ok());
        }
    }
}
