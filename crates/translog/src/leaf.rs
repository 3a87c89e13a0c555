//! The bytes an audit entry is a leaf as: a domain-separation label, the sequence number, then
//! each field with its length, so that no two entries share an encoding.

use serde::{Deserialize, Serialize};

use crate::tree::leaf_hash;
use crate::Hash;

/// The label every leaf starts with (version 2: version 1 was the hash chain's entry hash).
const LEAF_CONTEXT: &[u8] = b"placeforte-audit-leaf-v2";

/// One audit entry as the tree holds it: every field is the text that is hashed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditLeaf {
    /// Position in the log, from 1, without gaps (the leaf index is `seq - 1`).
    pub seq: i64,
    /// RFC 3339, microseconds, `Z`.
    pub occurred_at: String,
    /// `operator:<login>` or `device:<id>`.
    pub actor: String,
    /// The daycare's id, or empty.
    pub daycare_id: String,
    /// Dotted action name.
    pub action: String,
    /// The id acted on.
    pub subject: String,
    /// Referral ids, comma-separated, or empty.
    pub referral_ids: String,
    /// Reason code, or empty.
    pub reason: String,
}

impl AuditLeaf {
    /// The leaf's data.
    pub fn encode(&self) -> Vec<u8> {
        let fields = [
            self.occurred_at.as_bytes(),
            self.actor.as_bytes(),
            self.daycare_id.as_bytes(),
            self.action.as_bytes(),
            self.subject.as_bytes(),
            self.referral_ids.as_bytes(),
            self.reason.as_bytes(),
        ];
        let mut out = Vec::with_capacity(
            LEAF_CONTEXT.len() + 8 + fields.iter().map(|f| f.len() + 8).sum::<usize>(),
        );
        out.extend_from_slice(LEAF_CONTEXT);
        out.extend_from_slice(&self.seq.to_be_bytes());
        for field in fields {
            out.extend_from_slice(&(field.len() as u64).to_be_bytes());
            out.extend_from_slice(field);
        }
        out
    }

    /// The leaf hash.
    pub fn hash(&self) -> Hash {
        leaf_hash(&self.encode())
    }

    /// The leaf's index in the tree, or `None` for a sequence number below 1.
    pub fn index(&self) -> Option<u64> {
        u64::try_from(self.seq).ok()?.checked_sub(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaf() -> AuditLeaf {
        AuditLeaf {
            seq: 1,
            occurred_at: "2026-06-15T15:06:40.123456Z".to_owned(),
            actor: "device:a".to_owned(),
            daycare_id: "d".to_owned(),
            action: "contact.revealed".to_owned(),
            subject: "referral:x".to_owned(),
            referral_ids: "x".to_owned(),
            reason: "call_family".to_owned(),
        }
    }

    #[test]
    fn every_field_changes_the_hash_and_bytes_cannot_move_between_fields() {
        let base = leaf().hash();
        let mut edits: Vec<AuditLeaf> = Vec::new();
        for i in 0..8 {
            let mut edited = leaf();
            match i {
                0 => edited.seq = 2,
                1 => edited.occurred_at.push('0'),
                2 => edited.actor.push('b'),
                3 => edited.daycare_id.push('e'),
                4 => edited.action.push('s'),
                5 => edited.subject.push('y'),
                6 => edited.referral_ids.push('z'),
                _ => edited.reason.push('s'),
            }
            edits.push(edited);
        }
        for edited in edits {
            assert_ne!(edited.hash(), base, "{edited:?}");
        }
        let mut shifted = leaf();
        shifted.actor = "device:ad".to_owned();
        shifted.daycare_id = String::new();
        assert_ne!(shifted.hash(), base);
        assert_eq!(leaf().index(), Some(0));
    }
}
