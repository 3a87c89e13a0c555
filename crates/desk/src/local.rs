//! The local data as a whole: the cache file and its key in the keychain, opened, rebuilt
//! or wiped together according to the rules of DESIGN.md §3 and §6.10.
//!
//! - The key is only ever read from the keychain. A keychain that is locked or not there yet
//!   changes nothing: the open fails with its reason and the file waits, intact.
//! - If the key is gone or does not open the file, the file is wiped and a fresh cache with a
//!   fresh key is made; the next sync rebuilds it from the server.
//! - After too long without a successful sync (the offline period the operator sets in the
//!   service, received at each sync; 7 days until one says otherwise), the cache is wiped: a
//!   lost or stolen computer does not keep families' data indefinitely. The answers and
//!   declarations not yet sent are carried into the fresh cache: they hold no personal data.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;

use crate::cache::{Cache, CacheFile, UnsentWork};
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
    /// The cache's key was no longer in the keychain.
    KeyMissing,
    /// The cache could not be decrypted with its key.
    Unreadable,
    /// This computer was enrolled again for another daycare.
    OtherDaycare,
}

/// The cache, opened, and whether it had to be wiped to get there.
#[derive(Debug)]
pub struct OpenedCache {
    /// The open cache.
    pub cache: Cache,
    /// Set when the previous cache was wiped and this one is new.
    pub wiped: Option<WipeReason>,
    /// Unsent answers and declarations carried from the wiped cache into this one.
    pub carried: u32,
}

/// The cache file and the keychain that holds its key. Clones share everything, including
/// what calls to the service taught them (connectivity, a revocation).
#[derive(Debug)]
pub struct LocalData<S> {
    shared: Arc<Shared<S>>,
}

impl<S> Clone for LocalData<S> {
    fn clone(&self) -> Self {
        LocalData {
            shared: Arc::clone(&self.shared),
        }
    }
}

#[derive(Debug)]
struct Shared<S> {
    secrets: S,
    file: CacheFile,
    retention: Duration,
    /// The cache last opened, so a revocation closes it before deleting its file (a file
    /// still open cannot be deleted everywhere).
    open_cache: Mutex<Option<Cache>>,
    /// Whether the last call to the service got through (`None`: none made yet).
    online: Mutex<Option<bool>>,
    /// A revocation wipe that was not reported yet.
    revoked: AtomicBool,
}

impl<S: SecretStore> LocalData<S> {
    /// Local data kept in `file`, with secrets in `secrets`, wiped after `retention` without
    /// a successful sync.
    pub fn new(secrets: S, file: CacheFile, retention: Duration) -> Self {
        LocalData {
            shared: Arc::new(Shared {
                secrets,
                file,
                retention,
                open_cache: Mutex::new(None),
                online: Mutex::new(None),
                revoked: AtomicBool::new(false),
            }),
        }
    }

    /// The secret store.
    pub fn secrets(&self) -> &S {
        &self.shared.secrets
    }

    /// The cache file.
    pub fn file(&self) -> &CacheFile {
        &self.shared.file
    }

    /// Whether the last call to the service got through (`None`: none made yet).
    pub fn online(&self) -> Option<bool> {
        *lock(&self.shared.online)
    }

    /// Whether a call to the service found this device revoked (and wiped everything) since
    /// this was last asked: reported once.
    pub fn take_revocation(&self) -> bool {
        self.shared.revoked.swap(false, Ordering::SeqCst)
    }

    /// Opens the cache, wiping and recreating it when the rules above require it.
    ///
    /// Fails with [`DeskError::KeychainUnavailable`] (after wiping the file) when the keychain
    /// cannot be used: there is then no safe way to keep a cache at all.
    pub async fn open(&self, now: DateTime<Utc>) -> Result<OpenedCache, DeskError> {
        let opened = self.open_by_the_rules(now).await?;
        // Personal data past its period leaves before anyone reads the cache.
        opened.cache.apply_retention(now).await?;
        *lock(&self.shared.open_cache) = Some(opened.cache.clone());
        Ok(opened)
    }

    async fn open_by_the_rules(&self, now: DateTime<Utc>) -> Result<OpenedCache, DeskError> {
        // A locked or absent keychain costs nothing: the file stays as it is, for when the
        // keychain can be used again. Only a key that is gone, or that does not open the file,
        // leads to a wipe.
        let stored = match self.secrets().get(SecretName::CacheKey) {
            Ok(stored) => stored,
            Err(DeskError::KeychainEntryCorrupt) => {
                return self.recreate(WipeReason::Unreadable, None).await
            }
            Err(err) => {
                tracing::warn!(code = err.code(), "keychain not usable now; nothing wiped");
                return Err(err);
            }
        };
        let key = match stored.as_deref().map(CacheKey::from_bytes) {
            Some(Ok(key)) => key,
            Some(Err(_)) => return self.recreate(WipeReason::Unreadable, None).await,
            None if self.file().exists() => {
                return self.recreate(WipeReason::KeyMissing, None).await
            }
            None => return self.recreate_silently().await,
        };
        let cache = match self.file().open(&key).await {
            Ok(cache) => cache,
            Err(DeskError::CacheUnreadable) => {
                return self.recreate(WipeReason::Unreadable, None).await
            }
            Err(err) => return Err(err),
        };
        if self.offline_period_over(&cache, now).await? {
            // The families' data goes; the answers not yet sent stay (no personal data).
            let unsent = cache.unsent_work().await?;
            cache.close().await;
            return self
                .recreate(WipeReason::RetentionExpired, Some(unsent))
                .await;
        }
        Ok(OpenedCache {
            cache,
            wiped: None,
            carried: 0,
        })
    }

    /// Whether `cache` went longer than its offline period without a successful sync at `now`
    /// (an app left open for weeks offline is wiped too: its holder closes it and opens again).
    pub async fn offline_period_over(
        &self,
        cache: &Cache,
        now: DateTime<Utc>,
    ) -> Result<bool, DeskError> {
        let Some(last) = cache.last_successful_sync().await? else {
            return Ok(false);
        };
        let period = cache
            .offline_period()
            .await?
            .unwrap_or(self.shared.retention);
        Ok(now - last > period)
    }

    /// Wipes the cache for a re-enrolment for another daycare: nothing of the previous one
    /// stays, its unsent answers included (they are not this daycare's to send).
    pub async fn wipe_for_other_daycare(&self) -> Result<OpenedCache, DeskError> {
        let open = lock(&self.shared.open_cache).take();
        if let Some(cache) = open {
            cache.close().await;
        }
        let opened = self.recreate(WipeReason::OtherDaycare, None).await?;
        *lock(&self.shared.open_cache) = Some(opened.cache.clone());
        Ok(opened)
    }

    /// Wipes the cache file and every secret of this computer (cache key, device key).
    pub fn wipe(&self, reason: WipeReason) -> Result<(), DeskError> {
        wipe(self.file(), self.secrets(), reason)
    }

    pub(crate) fn note_call(&self, online: bool) {
        self.shared.note_call(online);
    }

    /// What the device needs of the local data, whatever its secret store.
    pub(crate) fn as_service_calls(&self) -> Arc<dyn ServiceCalls>
    where
        S: 'static,
    {
        self.shared.clone()
    }

    async fn recreate(
        &self,
        reason: WipeReason,
        unsent: Option<UnsentWork>,
    ) -> Result<OpenedCache, DeskError> {
        // The key goes first: a crash here leaves a file no key opens, wiped at the next open
        // (the unsent work carried is then lost with it: the window of a few milliseconds is
        // the price of never writing it anywhere unencrypted).
        self.secrets().delete(SecretName::CacheKey)?;
        tracing::info!(
            ?reason,
            "local cache wiped; a fresh one will be filled by the next sync"
        );
        let mut opened = self.recreate_silently().await?;
        if let Some(unsent) = unsent.filter(|work| !work.is_empty()) {
            opened.cache.restore_unsent_work(&unsent).await?;
            opened.carried = u32::try_from(unsent.len()).unwrap_or(u32::MAX);
        }
        opened.wiped = Some(reason);
        Ok(opened)
    }

    async fn recreate_silently(&self) -> Result<OpenedCache, DeskError> {
        self.file().wipe()?;
        let key = CacheKey::generate()?;
        self.secrets().set(SecretName::CacheKey, key.as_bytes())?;
        let cache = self.file().open(&key).await?;
        Ok(OpenedCache {
            cache,
            wiped: None,
            carried: 0,
        })
    }
}

/// What every call to the service may change in the local data: connectivity, and on a
/// revocation the wipe of everything (the device calls this, so no caller can forget it).
pub(crate) trait ServiceCalls: Send + Sync {
    /// Notes whether a call got through.
    fn note_call(&self, online: bool);
    /// The cache opened last, taken (to close it before its file is deleted).
    fn take_open_cache(&self) -> Option<Cache>;
    /// Wipes the cache file and every secret, and notes the revocation for
    /// [`LocalData::take_revocation`].
    fn wipe_revoked(&self) -> Result<(), DeskError>;
}

impl<S: SecretStore> ServiceCalls for Shared<S> {
    fn note_call(&self, online: bool) {
        *lock(&self.online) = Some(online);
    }

    fn take_open_cache(&self) -> Option<Cache> {
        lock(&self.open_cache).take()
    }

    fn wipe_revoked(&self) -> Result<(), DeskError> {
        self.revoked.store(true, Ordering::SeqCst);
        wipe(&self.file, &self.secrets, WipeReason::Revoked)
    }
}

fn wipe(file: &CacheFile, secrets: &impl SecretStore, reason: WipeReason) -> Result<(), DeskError> {
    file.wipe()?;
    for name in SecretName::ALL {
        secrets.delete(name)?;
    }
    tracing::info!(?reason, "local data wiped");
    Ok(())
}

/// A poisoned lock only means a thread panicked while holding it; the value is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
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
    async fn a_keychain_that_cannot_be_used_now_wipes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let working = local(&dir, MemoryStore::default());
        let opened = working.open(Utc::now()).await.unwrap();
        opened
            .cache
            .record_successful_sync(Utc::now())
            .await
            .unwrap();
        opened.cache.close().await;
        let key = working.secrets().get(SecretName::CacheKey).unwrap();

        let broken = local(
            &dir,
            MemoryStore {
                broken: true,
                entries: Mutex::new(working.secrets().entries.lock().unwrap().clone()),
            },
        );
        let err = broken.open(Utc::now()).await.unwrap_err();
        assert_eq!(err.code(), "keychain_unavailable");
        assert!(broken.file().exists(), "the cache waits for its keychain");
        assert_eq!(
            broken
                .secrets()
                .entries
                .lock()
                .unwrap()
                .get("cache")
                .cloned(),
            key
        );

        // Once the keychain answers again, everything is as it was.
        let again = local(
            &dir,
            MemoryStore {
                broken: false,
                entries: Mutex::new(broken.secrets().entries.lock().unwrap().clone()),
            },
        );
        let reopened = again.open(Utc::now()).await.unwrap();
        assert_eq!(reopened.wiped, None);
        assert!(reopened
            .cache
            .last_successful_sync()
            .await
            .unwrap()
            .is_some());
    }

    #[tokio::test]
    async fn the_offline_period_wipe_keeps_the_unsent_answers_and_the_service_sets_it() {
        use placeforte_domain::OfferOutcome;
        let dir = tempfile::tempdir().unwrap();
        let data = local(&dir, MemoryStore::default());
        let now = Utc::now();
        let opened = data.open(now).await.unwrap();
        let cache = &opened.cache;
        cache.record_successful_sync(now).await.unwrap();
        cache.record_offline_period(3).await.unwrap();
        let referral = placeforte_protocol::ReferralId::random();
        let pending = cache
            .queue_outcome(referral, OfferOutcome::Accepted, now)
            .await
            .unwrap();
        let sent = cache
            .queue_outcome(
                placeforte_protocol::ReferralId::random(),
                OfferOutcome::Accepted,
                now,
            )
            .await
            .unwrap();
        cache
            .mark_sent(
                sent.seq,
                placeforte_protocol::referrals::ReferralStatus::Accepted,
            )
            .await
            .unwrap();
        opened.cache.close().await;

        // The service's 3 days, not the default 7.
        let within = data.open(now + Duration::days(3)).await.unwrap();
        assert_eq!(within.wiped, None);
        within.cache.close().await;
        let wiped = data
            .open(now + Duration::days(3) + Duration::seconds(1))
            .await
            .unwrap();
        assert_eq!(wiped.wiped, Some(WipeReason::RetentionExpired));
        assert_eq!(wiped.carried, 1, "only the unsent answer is carried");
        let outbox = wiped.cache.outbox().await.unwrap();
        assert_eq!(outbox.len(), 1);
        assert_eq!(outbox[0].idempotency_key, pending.idempotency_key);
        assert_eq!(outbox[0].referral_id, referral);
        assert_eq!(wiped.cache.referral_count().await.unwrap(), 0);
        assert_eq!(wiped.cache.last_successful_sync().await.unwrap(), None);
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
