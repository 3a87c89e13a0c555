//! The OS keychain: the only place the desktop's secrets are kept at rest.
//!
//! Windows Credential Manager, the macOS Keychain, or the Secret Service on Linux, through
//! `keyring` with each platform's native store enabled explicitly (with none enabled, `keyring`
//! silently uses an in-memory mock; see the root `Cargo.toml`). Nothing secret is ever written
//! to a file. [`SecretStore`] is the seam that the layer above mocks in its unit tests; the
//! integration tests use a real Secret Service.
//!
//! A keychain that is locked or not there yet (a Secret Service slow to start after login)
//! is told apart from one that has lost an entry: the first two are reported as
//! [`DeskError::KeychainLocked`] and [`DeskError::KeychainUnavailable`] and never cost any
//! local data; only a missing entry (`Ok(None)` from an open store) does.

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
    /// Whether the store can be used now, asked without prompting anyone:
    /// [`DeskError::KeychainLocked`] or [`DeskError::KeychainUnavailable`] when it cannot.
    fn check(&self) -> Result<(), DeskError> {
        Ok(())
    }
    /// Asks the store to unlock itself through its own prompt (the Secret Service's on
    /// Linux), waiting for the director's answer. Stores that unlock with the session (macOS,
    /// Windows) have nothing to do.
    fn unlock(&self) -> Result<(), DeskError> {
        Ok(())
    }
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

    fn entry(&self, name: SecretName) -> Result<keyring::Entry, keyring::Error> {
        keyring::Entry::new(&self.service, name.account())
    }
}

impl Default for OsKeychain {
    fn default() -> Self {
        OsKeychain::new()
    }
}

/// Waits before each new attempt at a call the platform store dropped.
const RETRY_DELAYS_MS: [u64; 4] = [100, 200, 400, 800];

/// Runs a keychain call again, a few times within 1.5 s, when the platform store failed in
/// transit (`PlatformFailure`: on Linux, a Secret Service daemon that died mid-call and is being
/// restarted). A keychain failure wipes the cache and with it the outbox's unsent answers, so a
/// daemon's hiccup must not count as one. A locked or refused store (`NoStorageAccess`) is not
/// retried: that would only ask the director again.
fn retrying<T>(mut call: impl FnMut() -> Result<T, keyring::Error>) -> Result<T, keyring::Error> {
    let mut delays = RETRY_DELAYS_MS.iter();
    loop {
        match call() {
            Err(keyring::Error::PlatformFailure(err)) => match delays.next() {
                Some(ms) => {
                    tracing::warn!("keychain call failed in transit, retrying: {err}");
                    std::thread::sleep(std::time::Duration::from_millis(*ms));
                }
                None => return Err(keyring::Error::PlatformFailure(err)),
            },
            other => return other,
        }
    }
}

fn unavailable(err: keyring::Error) -> DeskError {
    match err {
        keyring::Error::BadEncoding(_) => DeskError::KeychainEntryCorrupt,
        // A prompt dismissed or a store that refused: it is there but not open to us.
        keyring::Error::NoStorageAccess(err) => DeskError::KeychainLocked(err.to_string()),
        other => DeskError::KeychainUnavailable(other.to_string()),
    }
}

impl SecretStore for OsKeychain {
    fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError> {
        self.check()?;
        match retrying(|| self.entry(name)?.get_secret()) {
            Ok(secret) => Ok(Some(secret)),
            Err(keyring::Error::NoEntry) => Ok(None),
            Err(err) => Err(unavailable(err)),
        }
    }

    fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError> {
        self.check()?;
        retrying(|| self.entry(name)?.set_secret(value)).map_err(unavailable)
    }

    fn delete(&self, name: SecretName) -> Result<(), DeskError> {
        self.check()?;
        match retrying(|| self.entry(name)?.delete_credential()) {
            Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
            Err(err) => Err(unavailable(err)),
        }
    }

    #[cfg(target_os = "linux")]
    fn check(&self) -> Result<(), DeskError> {
        // A daemon that died mid-call and is being restarted answers again within the retry
        // delays; one that is not there at all is reported after them.
        let mut delays = RETRY_DELAYS_MS.iter();
        loop {
            match crate::secret_service::check(&self.service) {
                Err(DeskError::KeychainUnavailable(err)) => match delays.next() {
                    Some(ms) => {
                        tracing::warn!("keychain check failed in transit, retrying: {err}");
                        std::thread::sleep(std::time::Duration::from_millis(*ms));
                    }
                    None => return Err(DeskError::KeychainUnavailable(err)),
                },
                other => return other,
            }
        }
    }

    #[cfg(target_os = "linux")]
    fn unlock(&self) -> Result<(), DeskError> {
        crate::secret_service::unlock(&self.service)
    }
}

#[cfg(test)]
mod retry_tests {
    use super::*;
    use std::cell::Cell;

    fn dropped() -> keyring::Error {
        keyring::Error::PlatformFailure("DBus error: Message recipient disconnected".into())
    }

    #[test]
    fn a_call_dropped_in_transit_is_tried_again_until_it_gets_through() {
        let calls = Cell::new(0);
        let result = retrying(|| {
            calls.set(calls.get() + 1);
            if calls.get() < 3 {
                Err(dropped())
            } else {
                Ok(7)
            }
        });
        assert!(matches!(result, Ok(7)));
        assert_eq!(calls.get(), 3);
    }

    #[test]
    fn a_store_that_keeps_failing_is_reported_after_a_few_tries() {
        let calls = Cell::new(0);
        let result: Result<(), _> = retrying(|| {
            calls.set(calls.get() + 1);
            Err(dropped())
        });
        assert!(matches!(result, Err(keyring::Error::PlatformFailure(_))));
        assert_eq!(calls.get(), RETRY_DELAYS_MS.len() + 1);
    }

    #[test]
    fn a_refused_or_missing_secret_is_not_asked_again() {
        let calls = Cell::new(0);
        let result: Result<(), _> = retrying(|| {
            calls.set(calls.get() + 1);
            Err(keyring::Error::NoStorageAccess(
                "unlock prompt was dismissed".into(),
            ))
        });
        assert!(matches!(result, Err(keyring::Error::NoStorageAccess(_))));
        let missing: Result<(), _> = retrying(|| {
            calls.set(calls.get() + 1);
            Err(keyring::Error::NoEntry)
        });
        assert!(matches!(missing, Err(keyring::Error::NoEntry)));
        assert_eq!(calls.get(), 2);
    }
}
