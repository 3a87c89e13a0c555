//! The checks C2SP tlog-witness makes of a checkpoint whose log signature verified, against
//! the tree head this witness last cosigned for its log. Pure: the caller reads the stored
//! head and persists the outcome in one write transaction.

use placeforte_translog::checkpoint::TreeHead;
use placeforte_translog::tree::check_consistency;
use placeforte_translog::Hash;

/// Why a submission was refused: the code stored with the refusal and logged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefusalReason {
    /// No signature by a trusted key of a known origin (403).
    BadSignature,
    /// The request's old size is above the checkpoint's size (400).
    OldSizeAboveSize,
    /// The request's old size is not the size this witness holds, and the checkpoint does not
    /// contradict that head (409): a log that lost track of its witness, not evidence.
    StaleOldSize,
    /// A validly signed checkpoint smaller than the head this witness holds: the log (or
    /// someone replaying its old checkpoints) asks the witness to go back.
    Rollback,
    /// A validly signed checkpoint of the held size with another root: a fork, proven by the
    /// log's own two signatures.
    ForkSameSize,
    /// The consistency proof from the held head does not verify (422): a fork or a rewrite,
    /// or a broken proof.
    Inconsistent,
}

impl RefusalReason {
    /// The code stored and shown.
    pub fn code(self) -> &'static str {
        match self {
            RefusalReason::BadSignature => "bad_signature",
            RefusalReason::OldSizeAboveSize => "old_size_above_size",
            RefusalReason::StaleOldSize => "stale_old_size",
            RefusalReason::Rollback => "rollback",
            RefusalReason::ForkSameSize => "fork_same_size",
            RefusalReason::Inconsistent => "inconsistent",
        }
    }
}

/// A refusal of a validly signed checkpoint, with the answer C2SP tlog-witness prescribes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// 400 Bad Request: old size above the checkpoint's size.
    OldSizeAboveSize {
        /// `Rollback` when the checkpoint is also below the held size.
        reason: RefusalReason,
    },
    /// 409 Conflict, answering the held size (`text/x.tlog.size`).
    Conflict {
        /// The size of the latest checkpoint this witness cosigned for the log (0 if none).
        witness_size: u64,
        /// Stale old size, rollback or same-size fork.
        reason: RefusalReason,
    },
    /// 422 Unprocessable Entity: the consistency proof does not verify.
    Inconsistent,
}

impl Refusal {
    /// The stored reason code.
    pub fn reason(self) -> RefusalReason {
        match self {
            Refusal::OldSizeAboveSize { reason } | Refusal::Conflict { reason, .. } => reason,
            Refusal::Inconsistent => RefusalReason::Inconsistent,
        }
    }
}

/// Whether this witness may cosign `submitted` (its log signature verified), given the head it
/// holds for the log (`None` if it never cosigned one) and the request's old size and proof.
///
/// The order is the specification's, except that a same-size root mismatch is looked at before
/// the proof: both refuse, and the 409 names the fork better than a 422 would.
pub fn judge(
    held: Option<TreeHead>,
    old_size: u64,
    proof: &[Hash],
    submitted: TreeHead,
) -> Result<(), Refusal> {
    let held_size = held.map_or(0, |head| head.size);
    // Classified against the held head, so that evidence is named as such whatever old size
    // the request claims.
    let contradiction = match held {
        Some(head) if submitted.size < head.size => Some(RefusalReason::Rollback),
        Some(head) if submitted.size == head.size && submitted.root != head.root => {
            Some(RefusalReason::ForkSameSize)
        }
        _ => None,
    };
    if old_size > submitted.size {
        let reason = match contradiction {
            Some(RefusalReason::Rollback) => RefusalReason::Rollback,
            _ => RefusalReason::OldSizeAboveSize,
        };
        return Err(Refusal::OldSizeAboveSize { reason });
    }
    if old_size != held_size {
        return Err(Refusal::Conflict {
            witness_size: held_size,
            reason: contradiction.unwrap_or(RefusalReason::StaleOldSize),
        });
    }
    if let Some(reason) = contradiction {
        return Err(Refusal::Conflict {
            witness_size: held_size,
            reason,
        });
    }
    // With nothing held the old size is 0, whose proof must be empty: the root is not read.
    let from = held.unwrap_or(TreeHead {
        size: 0,
        root: Hash::default(),
    });
    check_consistency(proof, submitted, from).map_err(|_| Refusal::Inconsistent)
}

#[cfg(test)]
mod tests {
    use super::*;
    use placeforte_translog::tree::{consistency_proof, leaf_hash, Frontier, StoredHashes};

    /// A tree of `n` leaves (the last one `last` if given) with all its stored hashes.
    fn tree(n: u64, last: Option<&str>) -> (TreeHead, StoredHashes) {
        let mut frontier = Frontier::empty();
        let mut hashes = StoredHashes::new();
        for i in 0..n {
            let data = match last {
                Some(other) if i + 1 == n => other.to_owned(),
                _ => format!("entry {i}"),
            };
            hashes.extend(frontier.append(leaf_hash(data.as_bytes())));
        }
        (frontier.head(), hashes)
    }

    #[test]
    fn a_first_checkpoint_needs_old_zero_and_an_empty_proof() {
        let (head, _) = tree(5, None);
        assert_eq!(judge(None, 0, &[], head), Ok(()));
        assert_eq!(
            judge(None, 0, &[Hash([1; 32])], head),
            Err(Refusal::Inconsistent)
        );
        assert_eq!(
            judge(None, 3, &[], head),
            Err(Refusal::Conflict {
                witness_size: 0,
                reason: RefusalReason::StaleOldSize
            })
        );
    }

    #[test]
    fn an_extension_needs_a_proof_from_the_held_head() {
        let (held, _) = tree(5, None);
        let (new, hashes) = tree(9, None);
        let proof = consistency_proof(9, 5, &hashes).expect("proof");
        assert_eq!(judge(Some(held), 5, &proof, new), Ok(()));
        assert_eq!(judge(Some(held), 5, &[], new), Err(Refusal::Inconsistent));
        // A proof of a tree forked before the held size.
        let (forked_held, _) = tree(5, Some("forked"));
        assert_eq!(
            judge(Some(forked_held), 5, &proof, new),
            Err(Refusal::Inconsistent)
        );
        // The same head again is cosigned again.
        assert_eq!(judge(Some(held), 5, &[], held), Ok(()));
    }

    #[test]
    fn conflicts_name_forks_and_rollbacks() {
        let (held, _) = tree(5, None);
        let (fork, _) = tree(5, Some("forked"));
        let (smaller, _) = tree(3, None);
        let (bigger, _) = tree(9, None);
        let conflict = |reason| {
            Err(Refusal::Conflict {
                witness_size: 5,
                reason,
            })
        };
        assert_eq!(
            judge(Some(held), 5, &[], fork),
            conflict(RefusalReason::ForkSameSize)
        );
        assert_eq!(
            judge(Some(held), 0, &[], fork),
            conflict(RefusalReason::ForkSameSize)
        );
        assert_eq!(
            judge(Some(held), 3, &[], smaller),
            conflict(RefusalReason::Rollback)
        );
        assert_eq!(
            judge(Some(held), 5, &[], smaller),
            Err(Refusal::OldSizeAboveSize {
                reason: RefusalReason::Rollback
            })
        );
        assert_eq!(
            judge(Some(held), 4, &[], bigger),
            conflict(RefusalReason::StaleOldSize)
        );
        assert_eq!(
            judge(Some(held), 10, &[], bigger),
            Err(Refusal::OldSizeAboveSize {
                reason: RefusalReason::OldSizeAboveSize
            })
        );
    }
}
