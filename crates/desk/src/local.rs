//! The local data as a whole: the cache file and its key in the keychain, opened, rebuilt
//! or wiped together according to the rules of DESIGN.md §3 and §6.10.
//!
//! - The key is only ever read from the keychain. If the keychain fails, the cache file is
//!   wiped (it can never be opened without its key, and is never opened unencrypted).
//! - If the key is gone or does not open the file, the file is wiped and a fresh cache with a
//!   fresh key is made; the next sync rebuilds it from the server.
//! - After too long without a successful sync (7 days by default), the cache is wiped: a lost
//!   or stolen computer does not keep families' data indefinitely.

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cache::{Cache, CacheFile};
use crate::error::DeskError;
use crate::keychain::{SecretName, SecretStore};
use crate::secret::CacheKey;

/// Default time without a successful sync after which the cache is wiped.
pub const DEFAULT_RETENTION_DAYS: i64 = 7;

/// Why the local data was wiped, for the message shown to the director.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum WipeReason {
    /// The director asked for it.
    Requested,
    /// The central service says this device is revoked.
    Revoked,
    /// No successful sync for longer than the retention period.
    RetentionExpired,
    /// The keychain could not be reached.
    KeychainFailure,
    /// The cache's key was no longer in the keychain.
    KeyMissing,
    /// The cache could not be decrypted with its key.
    Unreadable,
}

/// The cache, opened, and whether it had to be wiped to get there.
#[derive(Debug)]
pub struct OpenedCache {
    /// The open cache.
    pub cache: Cache,
    /// Set when the previous cache was wiped and this one is new and empty.
    pub wiped: Option<WipeReason>,
}

/// The cache file and the keychain that holds its key.
#[derive(Debug)]
pub struct LocalData<S> {
    secrets: S,
    file: CacheFile,
    retention: Duration,
}

impl<S: SecretStore> LocalData<S> {
    /// Local data kept in `file`, with secrets in `secrets`, wiped after `retention` without
    /// a successful sync.
    pub fn new(secrets: S, file: CacheFile, retention: Duration) -> Self {
        LocalData {
            secrets,
            file,
            retention,
        }
    }

    /// The secret store.
    pub fn secrets(&self) -> &S {
        &self.secrets
    }

    /// The cache file.
    pub fn file(&self) -> &CacheFile {
        &self.file
    }

    /// Opens the cache, wiping and recreating it when the rules above require it.
    ///
    /// Fails with [`DeskError::KeychainUnavailable`] (after wiping the file) when the keychain
    /// cannot be used: there is then no safe way to keep a cache at all.
    pub async fn open(&self, now: DateTime<Utc>) -> Result<OpenedCache, DeskError> {
        let stored = match self.secrets.get(SecretName::CacheKey) {
            Ok(stored) => stored,
            Err(err) => {
                self.file.wipe()?;
                tracing::warn!(code = err.code(), "keychain failed; local cache wiped");
                return Err(err);
            }
        };
        let key = match stored.as_deref().map(CacheKey::from_bytes) {
            Some(Ok(key)) => key,
            Some(Err(_)) => return self.recreate(WipeReason::Unreadable).await,
            None if self.file.exists() => return self.recreate(WipeReason::KeyMissing).await,
            None => return self.recreate_silently().await,
        };
        let cache = match self.file.open(&key).await {
            Ok(cache) => cache,
            Err(DeskError::CacheUnreadable) => return self.recreate(WipeReason::Unreadable).await,
            Err(err) => return Err(err),
        };
        if let Some(last) = cache.last_successful_sync().await? {
            if now - last > self.retention {
                cache.close().await;
                return self.recreate(WipeReason::RetentionExpired).await;
            }
        }
        Ok(OpenedCache { cache, wiped: None })
    }

    /// Wipes the cache file and every secret of this computer (cache key, device key).
    pub fn wipe(&self, reason: WipeReason) -> Result<(), DeskError> {
        self.file.wipe()?;
        for name in SecretName::ALL {
            self.secrets.delete(name)?;
        }
        tracing::info!(?reason, "local data wiped");
        Ok(())
    }

    async fn recreate(&self, reason: WipeReason) -> Result<OpenedCache, DeskError> {
        // The key goes first: a crash here leaves a file no key opens, wiped at the next open.
        self.secrets.delete(SecretName::CacheKey)?;
        tracing::info!(
            ?reason,
            "local cache wiped; a fresh one will be filled by the next sync"
        );
        let mut opened = self.recreate_silently().await?;
        opened.wiped = Some(reason);
        Ok(opened)
    }

    async fn recreate_silently(&self) -> Result<OpenedCache, DeskError> {
        self.file.wipe()?;
        let key = CacheKey::generate()?;
        self.secrets.set(SecretName::CacheKey, key.as_bytes())?;
        let cache = self.file.open(&key).await?;
        Ok(OpenedCache { cache, wiped: None })
    }
}

#[cfg(test)]
mod tests {
    //! The wipe rules, with the keychain mocked (this is the layer above it). The same rules
    //! run against a real Secret Service in `tests/keychain.rs`.
    use std::collections::HashMap;
    use std::sync::Mutex;

    use super::*;

    #[derive(Default)]
    struct MemoryStore {
        entries: Mutex<HashMap<&'static str, Vec<u8>>>,
        broken: bool,
    }

    fn key_name(name: SecretName) -> &'static str {
        match name {
            SecretName::CacheKey => "cache",
            SecretName::DeviceCredentials => "device",
        }
    }

    impl SecretStore for MemoryStore {
        fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError> {
            if self.broken {
                return Err(DeskError::KeychainUnavailable("no storage access".into()));
            }
            Ok(self.entries.lock().unwrap().get(key_name(name)).cloned())
        }
        fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError> {
            if self.broken {
                return Err(DeskError::KeychainUnavailable("no storage access".into()));
            }
            self.entries
                .lock()
                .unwrap()
                .insert(key_name(name), value.to_vec());
            Ok(())
        }
        fn delete(&self, name: SecretName) -> Result<(), DeskError> {
            self.entries.lock().unwrap().remove(key_name(name));
            Ok(())
        }
    }

    fn local(dir: &tempfile::TempDir, store: MemoryStore) -> LocalData<MemoryStore> {
        LocalData::new(
            store,
            CacheFile::new(dir.path().join("cache.sqlite")),
            Duration::days(DEFAULT_RETENTION_DAYS),
        )
    }

    #[tokio::test]
    async fn a_keychain_failure_wipes_the_file_and_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let working = local(&dir, MemoryStore::default());
        working.open(Utc::now()).await.unwrap().cache.close().await;
        assert!(working.file().exists());

        let broken = local(
            &dir,
            MemoryStore {
                broken: true,
                ..MemoryStore::default()
            },
        );
        let err = broken.open(Utc::now()).await.unwrap_err();
        assert_eq!(err.code(), "keychain_unavailable");
        assert!(
            !broken.file().exists(),
            "the cache must not survive its key"
        );
    }

    #[tokio::test]
    async fn a_corrupt_key_entry_gives_a_fresh_cache() {
        let dir = tempfile::tempdir().unwrap();
        let data = local(&dir, MemoryStore::default());
        data.open(Utc::now()).await.unwrap().cache.close().await;
        data.secrets().set(SecretName::CacheKey, b"short").unwrap();
        let opened = data.open(Utc::now()).await.unwrap();
        assert_eq!(opened.wiped, Some(WipeReason::Unreadable));
        let stored = data.secrets().get(SecretName::CacheKey).unwrap().unwrap();
        assert_eq!(stored.len(), 32);
    }

    #[tokio::test]
    async fn retention_counts_from_the_last_successful_sync() {
        let dir = tempfile::tempdir().unwrap();
        let data = local(&dir, MemoryStore::default());
        let now = Utc::now();
        let opened = data.open(now).await.unwrap();
        assert_eq!(opened.wiped, None, "a first open is not a wipe");
        opened.cache.record_successful_sync(now).await.unwrap();
        opened.cache.close().await;

        let within = data.open(now + Duration::days(7)).await.unwrap();
        assert_eq!(within.wiped, None);
        within.cache.close().await;

        let expired = data
            .open(now + Duration::days(7) + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(expired.wiped, Some(WipeReason::RetentionExpired));
        assert_eq!(expired.cache.last_successful_sync().await.unwrap(), None);
    }

    #[tokio::test]
    async fn a_never_synced_cache_is_not_wiped_for_retention() {
        let dir = tempfile::tempdir().unwrap();
        let data = local(&dir, MemoryStore::default());
        data.open(Utc::now()).await.unwrap().cache.close().await;
        let later = data.open(Utc::now() + Duration::days(30)).await.unwrap();
        assert_eq!(later.wiped, None);
    }
}
