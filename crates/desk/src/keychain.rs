//! The OS keychain: the only place the desktop's secrets are kept at rest.
//!
//! Windows Credential Manager, the macOS Keychain, or the Secret Service on Linux, through
//! `keyring` with each platform's native store enabled explicitly (with none enabled, `keyring`
//! silently uses an in-memory mock; see the root `Cargo.toml`). Nothing secret is ever written
//! to a file. [`SecretStore`] is the seam that the layer above mocks in its unit tests; the
//! integration tests use a real Secret Service.

use crate::error::DeskError;

/// The secrets the desktop keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecretName {
    /// The encrypted cache's raw key.
    CacheKey,
    /// The device's private key (PKCS#8 PEM, made on this computer at enrolment) followed by
    /// its certificate chain: one secret, so key and certificate never get out of step.
    DeviceCredentials,
}

impl SecretName {
    /// Every secret, for a full wipe.
    pub const ALL: [SecretName; 2] = [SecretName::CacheKey, SecretName::DeviceCredentials];

    fn account(self) -> &'static str {
        match self {
            SecretName::CacheKey => "cache-key",
            SecretName::DeviceCredentials => "device-credentials",
        }
    }
}

/// Where secrets are kept. Implemented by [`OsKeychain`]; mocked only in unit tests of the
/// layers above.
pub trait SecretStore: Send + Sync {
    /// The secret, or `None` when there is no such entry.
    fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError>;
    /// Stores the secret, replacing any previous one.
    fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError>;
    /// Deletes the secret; deleting a missing entry is not an error.
    fn delete(&self, name: SecretName) -> Result<(), DeskError>;
}

/// The operating system's keychain.
#[derive(Debug, Clone)]
pub struct OsKeychain {
    service: String,
}

/// The keychain service name of the installed app's default profile.
pub const DEFAULT_SERVICE: &str = "ca.placeforte.desk";

impl OsKeychain {
    /// The keychain entries of the default profile.
    pub fn new() -> Self {
        OsKeychain::with_service(DEFAULT_SERVICE)
    }

    /// The keychain entries under another service name (a second profile, or a test's own).
    pub fn with_service(service: impl Into<String>) -> Self {
        OsKeychain {
            service: service.into(),
        }
    }

    /// The service name entries are stored under.
    pub fn service(&self) -> &str {
        &self.service
    }

    fn entry(&self, name: SecretName) -> Result<keyring::Entry, DeskError> {
        keyring::Entry::new(&self.service, name.account()).map_err(unavailable)
    }
}

impl Default for OsKeychain {
    fn default() -> Self {
        OsKeychain::new()
    }
}

fn unavailable(err: keyring::Error) -> DeskError {
    match err {
        keyring::Error::BadEncoding(_) => DeskError::KeychainEntryCorrupt,
        other => DeskError::KeychainUnavailable(other.to_string()),
    }
}

impl SecretStore for OsKeychain {
    fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError> {
        match self.entry(name)?.get_secret() {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(unavailable(err)),
        }
    }

    fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError> {
        self.entry(name)?.set_secret(value).map_err(unavailable)
    }

    fn delete(&self, name: SecretName) -> Result<(), DeskError> {
        match self.entry(name)?.delete_credential() {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }
}
