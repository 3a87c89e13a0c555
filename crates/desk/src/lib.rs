//! PlaceForte's desktop core, without Tauri, so all of it is testable headless.
//!
//! - [`keychain`]: the OS keychain (the only place secrets are kept at rest).
//! - [`cache`]: the encrypted cache file (SQLCipher with a raw key).
//! - [`local`]: the two together, with the wipe rules (keychain failure, lost key,
//!   unreadable file, retention, request).
//!
//! - [`device`]: enrolment with the operator's invitation, the certificate and its renewal,
//!   revocation; [`tls`]: TLS 1.3 to the service, trusting only its pinned CA.
//!
//! - [`import`]: the enrolled children from the daycare's own CSV, for June group planning;
//!   [`planning`]: the group lists as CSV and the reviewed vacancies queued for the service.
//!
//! - [`sync`]: the delta sync of the daycare's referrals (resumable page by page, with a
//!   total for progress bars) and the offline outbox of outcomes and vacancy declarations
//!   (idempotency keys, one order, conflicts kept).
//! - [`online`]: what is asked for and never kept: contact reveals (online only, audited) and
//!   the demand figures.
//! - [`referral_view`]: a cached referral as the screens show it, with the instant its offer
//!   expires.
//! - [`sync_schedule`]: when the open app syncs by itself (interval, back-off);
//!   [`notice`]: which desktop notifications are due (new referrals, deadlines near), once each;
//!   [`cliffs`]: the warnings before the certificate expires and before the offline period
//!   ends; [`health`]: the start-up check the director can read.
//!
//! - [`exit_safety`]: OpenSSL (SQLCipher's crypto) is never torn down under a live cache
//!   connection at exit.
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod cache;
pub mod cliffs;
pub mod device;
pub mod error;
pub mod exit_safety;
pub mod health;
mod http;
pub mod import;
pub mod keychain;
pub mod local;
pub mod notice;
pub mod online;
pub mod paths;
pub mod planning;
pub mod referral_view;
pub mod secret;
#[cfg(target_os = "linux")]
mod secret_service;
pub mod sync;
pub mod sync_schedule;
pub mod tls;

pub use cache::{Cache, CacheFile, CacheRetention};
pub use error::DeskError;
pub use keychain::{OsKeychain, SecretName, SecretStore};
pub use local::{LocalData, OpenedCache, WipeReason, DEFAULT_RETENTION_DAYS};
pub use secret::CacheKey;
