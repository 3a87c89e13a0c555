//! PlaceForte's witness: a small service, with its own key and its own store, that cosigns the
//! central service's audit-log checkpoints following c2sp.org/tlog-witness, so that a
//! checkpoint carrying its cosignature is one the log could not have forked or rolled back
//! without the witness seeing it. It is meant to run on infrastructure the service's operator
//! does not control (the ministry's); any C2SP witness could stand in for it.
//!
//! - [`rules`]: the specification's checks of a validly signed checkpoint against the tree
//!   head held for its log (pure).
//! - [`witness`]: `add-checkpoint` end to end: parse, trusted keys, judge, cosign, persist.
//! - [`store`]: the SQLite store (latest cosigned head per log, refusals) and why one write
//!   transaction makes the check and the update atomic.
//! - [`http`]: the router ([`app`]) and the server ([`serve`]).
//! - [`keyfiles`]: the witness's directory and key files.
//!
//! # Plain HTTP
//! The witness speaks plain HTTP. As in the specification, integrity rests on signatures: a
//! submission is only as good as its log signature, an answer only as good as the cosignature
//! the log verifies with the witness's verifier key, so neither side needs the channel to be
//! authentic. Confidentiality is moot (checkpoints are public). TLS, if an operator wants it
//! (to hide which logs it witnesses, or to put the witness behind a c2sp.org/https-bastion),
//! is a reverse proxy's job in front of this process.
//!
//! # Extensions
//! C2SP leaves monitor retrieval "TBD". This witness adds two read-only endpoints for monitors
//! and tests: `GET /checkpoint?origin=…` (the latest cosigned checkpoint note) and
//! `GET /refusals?origin=…` (the recorded refusals as JSON). `docs/witness.md` describes
//! them.

#![forbid(unsafe_code)]

pub mod http;
pub mod keyfiles;
pub mod rules;
pub mod store;
pub mod witness;

pub use http::{app, serve, AppState};
pub use witness::{TrustedLogs, Witness};
