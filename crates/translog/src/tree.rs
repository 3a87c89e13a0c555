//! The RFC 6962 Merkle tree, stored as Go's `sumdb/tlog` stores it: every complete subtree's
//! hash at its "stored hash index" (`tlog_tiles::stored_hash_index`), about two per entry.
//!
//! `tlog_tiles` reads stored hashes through a synchronous [`HashReader`]; the service keeps them
//! in its database, behind async calls. So each operation here comes in two steps: which indexes
//! it needs (`*_indexes`), then the computation from those hashes, which the caller fetched
//! with one query. The indexes are found by running `tlog_tiles` once with a reader that only
//! records what it is asked for; it asks exactly once per operation.

use std::cell::RefCell;
use std::collections::HashMap;

use tlog_tiles::{HashReader, RecordProof, TreeProof};

use crate::checkpoint::TreeHead;
use crate::Hash;

/// The hash of an entry's data as a leaf (SHA-256 of 0x00 || data).
pub fn leaf_hash(data: &[u8]) -> Hash {
    tlog_tiles::record_hash(data)
}

/// A proof or tree operation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TreeError {
    /// A hash the operation needs was not given.
    #[error("a stored hash is missing (index {0})")]
    MissingHash(u64),
    /// The sizes or index are out of range.
    #[error("out of range: {0}")]
    OutOfRange(&'static str),
    /// The proof does not verify.
    #[error("the proof does not verify")]
    InvalidProof,
}

/// Stored hashes by index.
pub type StoredHashes = HashMap<u64, Hash>;

struct MapReader<'a>(&'a StoredHashes);

impl HashReader for MapReader<'_> {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        indexes
            .iter()
            .map(|i| {
                self.0
                    .get(i)
                    .copied()
                    .ok_or(tlog_tiles::Error::IndexesNotInTree)
            })
            .collect()
    }
}

/// Records the indexes it is asked for, then fails the operation.
#[derive(Default)]
struct Recorder(RefCell<Vec<u64>>);

impl HashReader for Recorder {
    fn read_hashes(&self, indexes: &[u64]) -> Result<Vec<Hash>, tlog_tiles::Error> {
        self.0.borrow_mut().extend_from_slice(indexes);
        Err(tlog_tiles::Error::IndexesNotInTree)
    }
}

fn recorded<T>(run: impl FnOnce(&Recorder) -> Result<T, tlog_tiles::Error>) -> Vec<u64> {
    let recorder = Recorder::default();
    let _ = run(&recorder);
    recorder.0.into_inner()
}

fn first_missing(indexes: &[u64], hashes: &StoredHashes) -> TreeError {
    indexes
        .iter()
        .find(|i| !hashes.contains_key(i))
        .map_or(TreeError::InvalidProof, |&i| TreeError::MissingHash(i))
}

/// The indexes of the complete subtrees that make up a tree of `size` entries (its frontier):
/// what an append and the root need. At most 64, one per bit of `size`.
pub fn frontier_indexes(size: u64) -> Vec<u64> {
    tlog_tiles::sub_tree_index(0, size, Vec::new())
}

/// The right edge of the tree: enough to compute its root and append to it.
#[derive(Debug, Clone, PartialEq)]
pub struct Frontier {
    size: u64,
    hashes: StoredHashes,
}

impl Frontier {
    /// The empty tree.
    pub fn empty() -> Frontier {
        Frontier {
            size: 0,
            hashes: StoredHashes::new(),
        }
    }

    /// The frontier of a tree of `size` entries from the hashes at [`frontier_indexes`].
    pub fn from_hashes(size: u64, hashes: &StoredHashes) -> Result<Frontier, TreeError> {
        let mut own = StoredHashes::new();
        for index in frontier_indexes(size) {
            let hash = hashes.get(&index).ok_or(TreeError::MissingHash(index))?;
            own.insert(index, *hash);
        }
        Ok(Frontier { size, hashes: own })
    }

    /// Number of entries.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root hash.
    pub fn root(&self) -> Hash {
        // The frontier holds exactly what tree_hash reads.
        tlog_tiles::tree_hash(self.size, &MapReader(&self.hashes)).unwrap_or_default()
    }

    /// The tree head.
    pub fn head(&self) -> TreeHead {
        TreeHead {
            size: self.size,
            root: self.root(),
        }
    }

    /// Appends the leaf with hash `leaf`; returns the hashes to store, with their indexes.
    pub fn append(&mut self, leaf: Hash) -> Vec<(u64, Hash)> {
        let n = self.size;
        // The frontier holds every hash stored_hashes reads (the completed left siblings).
        let new = tlog_tiles::stored_hashes_for_record_hash(n, leaf, &MapReader(&self.hashes))
            .unwrap_or_default();
        let start = tlog_tiles::stored_hash_index(0, n);
        let stored: Vec<(u64, Hash)> = (start..).zip(new).collect();
        self.hashes.extend(stored.iter().copied());
        self.size = n + 1;
        let keep = frontier_indexes(self.size);
        self.hashes.retain(|index, _| keep.contains(index));
        stored
    }
}

/// The root of a growing tree, with nothing stored: what a verifier replaying the whole log
/// needs. A stack of perfect subtrees, merged as they complete (one node hash per entry on
/// average); the root folds them right to left, as RFC 6962 splits a tree.
#[derive(Debug, Clone, Default)]
pub struct RootBuilder {
    size: u64,
    /// (height, hash) of each perfect subtree, largest first.
    stack: Vec<(u32, Hash)>,
}

impl RootBuilder {
    /// Number of leaves pushed.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Adds the next leaf hash.
    pub fn push(&mut self, leaf: Hash) {
        let mut node = (0_u32, leaf);
        while let Some(&(height, left)) = self.stack.last() {
            if height != node.0 {
                break;
            }
            self.stack.pop();
            node = (height + 1, tlog_tiles::node_hash(left, node.1));
        }
        self.stack.push(node);
        self.size += 1;
    }

    /// The root hash of the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut nodes = self.stack.iter().rev();
        let Some(&(_, mut root)) = nodes.next() else {
            return tlog_tiles::EMPTY_HASH;
        };
        for &(_, left) in nodes {
            root = tlog_tiles::node_hash(left, root);
        }
        root
    }

    /// The tree head.
    pub fn head(&self) -> TreeHead {
        TreeHead {
            size: self.size,
            root: self.root(),
        }
    }
}

/// The indexes an inclusion proof of entry `index` (from 0) in a tree of `size` needs.
pub fn inclusion_proof_indexes(size: u64, index: u64) -> Vec<u64> {
    recorded(|r| tlog_tiles::prove_record(size, index, r))
}

/// The inclusion proof of entry `index` in the tree of `size`, from the hashes at
/// [`inclusion_proof_indexes`].
pub fn inclusion_proof(
    size: u64,
    index: u64,
    hashes: &StoredHashes,
) -> Result<RecordProof, TreeError> {
    if index >= size {
        return Err(TreeError::OutOfRange("index >= size"));
    }
    tlog_tiles::prove_record(size, index, &MapReader(hashes))
        .map_err(|_| first_missing(&inclusion_proof_indexes(size, index), hashes))
}

/// Checks that the leaf with hash `leaf` is entry `index` of the tree `head`.
pub fn check_inclusion(
    proof: &[Hash],
    head: TreeHead,
    index: u64,
    leaf: Hash,
) -> Result<(), TreeError> {
    if index >= head.size {
        return Err(TreeError::OutOfRange("index >= size"));
    }
    if proof.len() > 64 {
        return Err(TreeError::InvalidProof);
    }
    tlog_tiles::check_record(&proof.to_vec(), head.size, head.root, index, leaf)
        .map_err(|_| TreeError::InvalidProof)
}

/// The indexes a consistency proof from `old_size` to `new_size` needs.
pub fn consistency_proof_indexes(new_size: u64, old_size: u64) -> Vec<u64> {
    if old_size == 0 || old_size >= new_size {
        return Vec::new();
    }
    recorded(|r| tlog_tiles::prove_tree(new_size, old_size, r))
}

/// The consistency proof from the tree of `old_size` to the tree of `new_size` (empty when
/// `old_size` is 0 or equal), from the hashes at [`consistency_proof_indexes`].
pub fn consistency_proof(
    new_size: u64,
    old_size: u64,
    hashes: &StoredHashes,
) -> Result<TreeProof, TreeError> {
    if old_size > new_size {
        return Err(TreeError::OutOfRange("old size > new size"));
    }
    if old_size == 0 || old_size == new_size {
        return Ok(Vec::new());
    }
    tlog_tiles::prove_tree(new_size, old_size, &MapReader(hashes))
        .map_err(|_| first_missing(&consistency_proof_indexes(new_size, old_size), hashes))
}

/// Checks that `new` extends `old` (RFC 6962 §2.1.2). An old size of 0 needs an empty proof;
/// equal sizes need equal roots and an empty proof.
pub fn check_consistency(proof: &[Hash], new: TreeHead, old: TreeHead) -> Result<(), TreeError> {
    if old.size > new.size {
        return Err(TreeError::OutOfRange("old size > new size"));
    }
    if proof.len() > 64 {
        return Err(TreeError::InvalidProof);
    }
    if old.size == 0 || old.size == new.size {
        let same = old.size == 0 || old.root == new.root;
        return if proof.is_empty() && same {
            Ok(())
        } else {
            Err(TreeError::InvalidProof)
        };
    }
    tlog_tiles::check_tree(&proof.to_vec(), new.size, new.root, old.size, old.root)
        .map_err(|_| TreeError::InvalidProof)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A tree of `n` leaves with every stored hash kept, as the database keeps them.
    fn build(n: u64) -> (Frontier, StoredHashes, Vec<Hash>) {
        let mut frontier = Frontier::empty();
        let mut all = StoredHashes::new();
        let mut leaves = Vec::new();
        for i in 0..n {
            let leaf = leaf_hash(format!("entry {i}").as_bytes());
            leaves.push(leaf);
            all.extend(frontier.append(leaf));
        }
        (frontier, all, leaves)
    }

    /// The RFC 6962 root computed the textbook way.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => tlog_tiles::EMPTY_HASH,
            1 => leaves[0],
            n => {
                let k = n.next_power_of_two() / 2;
                tlog_tiles::node_hash(reference_root(&leaves[..k]), reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn the_frontier_gives_the_rfc_6962_root_and_reopens_from_storage() {
        for n in [0_u64, 1, 2, 3, 5, 8, 13, 64, 100] {
            let (frontier, all, leaves) = build(n);
            assert_eq!(frontier.root(), reference_root(&leaves), "size {n}");
            let reopened = Frontier::from_hashes(n, &all).expect("frontier");
            assert_eq!(reopened, frontier);
            let mut builder = RootBuilder::default();
            leaves.iter().for_each(|leaf| builder.push(*leaf));
            assert_eq!(builder.head(), frontier.head(), "size {n}");
        }
        assert_eq!(
            Frontier::from_hashes(3, &StoredHashes::new()),
            Err(TreeError::MissingHash(frontier_indexes(3)[0]))
        );
    }

    proptest! {
        #[test]
        fn proofs_verify_and_a_tampered_one_does_not(size in 1_u64..300, pick in 0_u64..300, old in 1_u64..300) {
            let (frontier, all, leaves) = build(size);
            let head = frontier.head();
            let index = pick % size;
            let proof = inclusion_proof(size, index, &all).expect("proof");
            prop_assert!(inclusion_proof_indexes(size, index).iter().all(|i| all.contains_key(i)));
            prop_assert!(check_inclusion(&proof, head, index, leaves[index as usize]).is_ok());
            let wrong_leaf = leaf_hash(b"forged");
            prop_assert!(check_inclusion(&proof, head, index, wrong_leaf).is_err());
            if let Some(first) = proof.first() {
                let mut tampered = proof.clone();
                tampered[0] = tlog_tiles::node_hash(*first, *first);
                prop_assert!(check_inclusion(&tampered, head, index, leaves[index as usize]).is_err());
            }

            let old_size = old % size + 1;
            let (old_frontier, _, _) = build(old_size);
            let consistency = consistency_proof(size, old_size, &all).expect("consistency");
            prop_assert!(check_consistency(&consistency, head, old_frontier.head()).is_ok());
            // A fork: the same size with another last entry is not consistent.
            let mut forked = Frontier::empty();
            for (i, leaf) in leaves.iter().take(old_size as usize).enumerate() {
                forked.append(if i + 1 == old_size as usize { wrong_leaf } else { *leaf });
            }
            prop_assert!(check_consistency(&consistency, head, forked.head()).is_err());
        }
    }

    #[test]
    fn missing_hashes_and_bad_ranges_are_reported() {
        let (_, all, _) = build(10);
        let mut partial = all.clone();
        let needed = inclusion_proof_indexes(10, 3);
        partial.remove(&needed[0]);
        assert_eq!(
            inclusion_proof(10, 3, &partial),
            Err(TreeError::MissingHash(needed[0]))
        );
        assert!(inclusion_proof(10, 10, &all).is_err());
        assert!(consistency_proof(5, 6, &all).is_err());
        let head = build(10).0.head();
        assert!(check_inclusion(&[], head, 10, Hash::default()).is_err());
        assert!(check_consistency(&[], build(4).0.head(), head).is_err());
    }
}
