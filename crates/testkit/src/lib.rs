//! What the integration tests and benchmarks of several crates share, as a normal crate
//! (GitButler's `gitbutler-testsupport` is the model) rather than files included by path.
//! Every crate takes it as a dev-dependency only, so it never reaches a shipped build.
//!
//! - [`central`]: the real central service in-process on 127.0.0.1, and enrolled workstations;
//! - [`keychain`]: the test Secret Service and per-test keychain services;
//! - [`memory`]: an in-memory secret store for the layers above the keychain (lockable);
//! - [`private_keyring`]: a Secret Service of one test's own, to lock, unlock, stop and start;
//! - [`cache`]: what a crash leaves in the encrypted cache, written the way a crash would;
//! - [`raw_http`]: a bare HTTP/1.1 client on one TLS connection;
//! - [`bench_service`]: the service and its devices as the central benchmarks make them;
//! - [`inventory`]: `docs/data-inventory.md` against the real schemas and wire types.
// Test support: a failed set-up is a failed test, and says where.
#![allow(clippy::unwrap_used)]

pub mod bench_service;
pub mod cache;
pub mod central;
pub mod inventory;
pub mod keychain;
pub mod memory;
pub mod private_keyring;
pub mod raw_http;

pub use central::{Central, StoppedCentral, Workstation};
pub use keychain::{keyring_session, local, own_service, secret_tool_lookup};
pub use memory::MemoryStore;
