//! PlaceForte's desktop core, without Tauri, so all of it is testable headless.
//!
//! - [`keychain`]: the OS keychain (the only place secrets are kept at rest).
//! - [`cache`]: the encrypted cache file (SQLCipher with a raw key).
//! - [`local`]: the two together, with the wipe rules (keychain failure, lost key,
//!   unreadable file, retention, request).
//!
//! Enrolment, sync and the offline outbox come with the central service's endpoints.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod error;
pub mod keychain;
pub mod local;
pub mod paths;
pub mod secret;

pub use cache::{Cache, CacheFile};
pub use error::DeskError;
pub use keychain::{OsKeychain, SecretName, SecretStore};
pub use local::{LocalData, OpenedCache, WipeReason, DEFAULT_RETENTION_DAYS};
pub use secret::CacheKey;
