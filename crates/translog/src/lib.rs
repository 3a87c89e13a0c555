//! PlaceForte's transparency log, without IO: what the central service, its witness and the
//! offline report verifier must agree on byte for byte.
//!
//! - [`tree`]: the RFC 6962 Merkle tree as Go's `sumdb/tlog` stores it (the `tlog_tiles`
//!   crate): the frontier an append needs, inclusion and consistency proofs.
//! - [`checkpoint`]: C2SP tlog-checkpoint notes signed with the log key (the `signed_note`
//!   crate's Ed25519 signer).
//! - [`cosignature`]: C2SP tlog-cosignature/v1 (Ed25519, signature type 0x04), which
//!   `signed_note` 0.2 lacks, implemented through its `Signer`/`Verifier` traits.
//! - [`witness_protocol`]: the body of C2SP tlog-witness `add-checkpoint`.
//! - [`leaf`]: the bytes an audit entry is hashed as.
//! - [`report`]: an access report with inclusion proofs, and its offline verification.
//!
//! Keys are text in the signed-note formats (`PRIVATE+KEY+<name>+<id>+<base64>` and the
//! verifier key `<name>+<id>+<base64>`), so that other tools for these specifications read
//! them.

#![forbid(unsafe_code)]

pub mod checkpoint;
pub mod cosignature;
pub mod keys;
pub mod leaf;
pub mod report;
pub mod tree;
pub mod witness_protocol;

pub use tlog_tiles::Hash;
