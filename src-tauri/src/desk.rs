//! The desktop core as the app holds it: the data folder, the local data (cache + keychain)
//! and the open cache, shared by the commands. The device itself notes connectivity and wipes
//! everything on a revocation (`crates/desk`); this reads what it learnt, so each command
//! stays a few lines.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{DateTime, Duration, Utc};
use placeforte_desk::cliffs::{self, Cliff};
use placeforte_desk::device::{self, load_record, DeviceRecord, EnrolledDevice};
use placeforte_desk::notice::NoticeLanguage;
use placeforte_desk::paths::cache_path;
use placeforte_desk::sync::{self, SyncProgress};
use placeforte_desk::{
    Cache, CacheFile, DeskError, LocalData, SecretName, SecretStore, WipeReason,
    DEFAULT_RETENTION_DAYS,
};
use placeforte_protocol::invite::EnrolmentInvite;
use tokio::sync::MutexGuard;

use crate::view::SyncSummary;

/// Any secret store: the OS keychain in the app, an in-memory one in command tests.
pub struct Secrets(pub Box<dyn SecretStore>);

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets(..)")
    }
}

impl SecretStore for Secrets {
    fn get(&self, name: SecretName) -> Result<Option<Vec<u8>>, DeskError> {
        self.0.get(name)
    }
    fn set(&self, name: SecretName, value: &[u8]) -> Result<(), DeskError> {
        self.0.set(name, value)
    }
    fn delete(&self, name: SecretName) -> Result<(), DeskError> {
        self.0.delete(name)
    }
    fn check(&self) -> Result<(), DeskError> {
        self.0.check()
    }
    fn unlock(&self) -> Result<(), DeskError> {
        self.0.unlock()
    }
}

/// The app's desktop core.
#[derive(Debug)]
pub struct Desk {
    dir: PathBuf,
    local: LocalData<Secrets>,
    cache: tokio::sync::Mutex<Option<Cache>>,
    /// The last wipe the director has not been told about yet, with how many unsent answers
    /// and declarations it carried into the fresh cache.
    unreported_wipe: Mutex<Option<(WipeReason, u32)>>,
    /// The last wipe since the app started, for the start-up check (never taken).
    last_wipe: Mutex<Option<WipeReason>>,
    /// Where exports go when the director names no path: the user's documents, never the
    /// app's own data folder (DESIGN.md §6.9: no plaintext personal data in the app's files).
    exports: Option<PathBuf>,
    /// Held by the sync running now, manual or background: never two at once.
    sync_gate: tokio::sync::Mutex<()>,
    /// The window's language, for the desktop notifications.
    language: Mutex<NoticeLanguage>,
}

impl Desk {
    /// The desktop core over `dir`, with secrets in `secrets`.
    pub fn new(dir: PathBuf, secrets: Box<dyn SecretStore>) -> Self {
        let file = CacheFile::new(cache_path(&dir));
        Desk {
            local: LocalData::new(
                Secrets(secrets),
                file,
                Duration::days(DEFAULT_RETENTION_DAYS),
            ),
            dir,
            cache: tokio::sync::Mutex::new(None),
            unreported_wipe: Mutex::new(None),
            last_wipe: Mutex::new(None),
            exports: directories::UserDirs::new()
                .map(|user| user.document_dir().unwrap_or(user.home_dir()).to_path_buf()),
            sync_gate: tokio::sync::Mutex::new(()),
            language: Mutex::new(NoticeLanguage::default()),
        }
    }

    /// The same, with exports going to `dir` by default (tests).
    pub fn with_exports_dir(mut self, dir: PathBuf) -> Self {
        self.exports = Some(dir);
        self
    }

    /// Where exports go when the director names no path, if this computer has a home folder.
    pub fn exports_dir(&self) -> Option<&std::path::Path> {
        self.exports.as_deref()
    }

    /// The data folder.
    pub fn dir(&self) -> &std::path::Path {
        &self.dir
    }

    /// The open cache, opened (and wiped if the rules say so) on first use, and again after a
    /// revocation or a re-enrolment closed it.
    pub async fn cache(&self) -> Result<Cache, DeskError> {
        self.cache_at(Utc::now()).await
    }

    /// The same, judging the offline period at `now`.
    pub async fn cache_at(&self, now: DateTime<Utc>) -> Result<Cache, DeskError> {
        let mut slot = self.cache.lock().await;
        if let Some(cache) = slot.as_ref().filter(|cache| !cache.is_closed()) {
            if !self.local.offline_period_over(cache, now).await? {
                return Ok(cache.clone());
            }
            // Open past its offline period: closed, and wiped by the open below.
            if let Some(cache) = slot.take() {
                cache.close().await;
            }
        }
        let mut opened = self.local.open(now).await?;
        // A cache holds one daycare's data: enrolled again for another, it starts afresh.
        if let Some(record) = load_record(&self.dir)? {
            match opened.cache.daycare().await? {
                Some(daycare) if daycare != record.daycare_id => {
                    opened = self.local.wipe_for_other_daycare().await?;
                    opened.cache.record_daycare(record.daycare_id).await?;
                }
                Some(_) => {}
                None => opened.cache.record_daycare(record.daycare_id).await?,
            }
        }
        if let Some(reason) = opened.wiped {
            *lock(&self.unreported_wipe) = Some((reason, opened.carried));
            *lock(&self.last_wipe) = Some(reason);
        }
        *slot = Some(opened.cache.clone());
        Ok(opened.cache)
    }

    /// The enrolled device, or `NotEnrolled`.
    pub fn device(&self) -> Result<EnrolledDevice, DeskError> {
        EnrolledDevice::load(&self.local, &self.dir)
    }

    /// The enrolled device, its certificate renewed first if due at `now`. A renewal that
    /// fails while the certificate still works (the service refused it for now, a keychain
    /// write failed) does not stop the sync: it is tried again at the next one. Only what
    /// makes the certificate unusable, or the service unreachable, stops it.
    pub async fn renewed_device(&self, now: DateTime<Utc>) -> Result<EnrolledDevice, DeskError> {
        let mut device = self.device()?;
        match device
            .renew_if_due(&self.local, &self.dir, now, false)
            .await
        {
            Ok(_) => {}
            Err(
                err @ (DeskError::Revoked
                | DeskError::CertificateExpired
                | DeskError::CertificateReplaced
                | DeskError::CertificateRefused
                | DeskError::ServerUnreachable(_)),
            ) => return Err(err),
            Err(err) => {
                tracing::warn!(code = err.code(), "renewal failed; tried again next sync");
                device = self.device()?;
            }
        }
        Ok(device)
    }

    /// Enrols this computer with `invite`. Enrolled again for the same daycare (a new code
    /// after an expired certificate), the cache and its unsent answers stay and go out with
    /// the next sync, under their idempotency keys; for another daycare the next open of the
    /// cache wipes everything.
    pub async fn enrol(&self, invite: &EnrolmentInvite) -> Result<DeviceRecord, DeskError> {
        let record = device::enrol(&self.local, &self.dir, invite).await?;
        // Reopened at next use, where its daycare is checked against the new record.
        self.close_cache().await;
        Ok(record)
    }

    /// Asks the keychain to unlock through its own prompt (Linux: the Secret Service's), on a
    /// thread of its own since the prompt waits for the director.
    pub async fn unlock_keychain(&self) -> Result<(), DeskError> {
        let secrets = self.local.clone();
        tokio::task::spawn_blocking(move || secrets.secrets().unlock())
            .await
            .map_err(|err| DeskError::KeychainUnavailable(err.to_string()))?
    }

    /// The local data, for enrolment and renewal.
    pub fn local(&self) -> &LocalData<Secrets> {
        &self.local
    }

    /// Whether the last call got through.
    pub fn online(&self) -> Option<bool> {
        self.local.online()
    }

    /// The last wipe since the app started, reported or not.
    pub fn last_wipe(&self) -> Option<WipeReason> {
        *lock(&self.last_wipe)
    }

    /// The wipe not yet reported to the director, with the unsent work it kept, taken
    /// (reported once); a revocation is the latest news.
    pub fn take_unreported_wipe(&self) -> Option<(WipeReason, u32)> {
        let earlier = lock(&self.unreported_wipe).take();
        if self.local.take_revocation() {
            Some((WipeReason::Revoked, 0))
        } else {
            earlier
        }
    }

    /// Sends the outbox, then pulls the referrals changed since the last sync, reporting each
    /// page to `progress`. A manual sync waits for a background one to finish.
    pub async fn sync(&self, progress: impl FnMut(SyncProgress)) -> Result<SyncSummary, DeskError> {
        let _running = self.sync_gate.lock().await;
        self.sync_holding_gate(Utc::now(), progress).await
    }

    /// The same for the background sync at `now`, which skips its turn (`None`) while another
    /// sync runs. The certificate is renewed first when `now` is past its renewal point.
    pub async fn sync_unless_running(
        &self,
        now: DateTime<Utc>,
        progress: impl FnMut(SyncProgress),
    ) -> Option<Result<SyncSummary, DeskError>> {
        let _running: MutexGuard<'_, ()> = self.sync_gate.try_lock().ok()?;
        Some(self.sync_holding_gate(now, progress).await)
    }

    async fn sync_holding_gate(
        &self,
        now: DateTime<Utc>,
        progress: impl FnMut(SyncProgress),
    ) -> Result<SyncSummary, DeskError> {
        let (device, cache) = (self.renewed_device(now).await?, self.cache_at(now).await?);
        let flushed = sync::flush(&device, &cache).await?;
        let synced = sync::sync(&device, &cache, now, progress).await?;
        Ok(SyncSummary::new(flushed, synced))
    }

    /// The cliffs ahead of this computer (certificate expiry, end of the offline period), from
    /// the device record and the open cache.
    pub async fn cliffs(&self, cache: &Cache) -> Result<Vec<Cliff>, DeskError> {
        let record = load_record(&self.dir)?;
        Ok(cliffs::cliffs(
            record.map(|r| (r.renew_after, r.not_after)),
            cache.last_successful_sync().await?,
            self.offline_period(cache).await?,
        ))
    }

    /// The offline period in force: the service's, or the default until a sync brings it.
    pub async fn offline_period(&self, cache: &Cache) -> Result<Duration, DeskError> {
        Ok(cache
            .offline_period()
            .await?
            .unwrap_or(Duration::days(DEFAULT_RETENTION_DAYS)))
    }

    /// The language the notifications are written in.
    pub fn language(&self) -> NoticeLanguage {
        *lock(&self.language)
    }

    /// Writes the notifications in `language` from now on (the window's choice).
    pub fn set_language(&self, language: NoticeLanguage) {
        *lock(&self.language) = language;
    }

    /// Deletes the cache, the enrolment and every secret, on the director's request.
    pub async fn wipe(&self) -> Result<(), DeskError> {
        self.close_cache().await;
        self.local.wipe(WipeReason::Requested)?;
        device::forget(&self.local, &self.dir)
    }

    /// Closes the open cache; the next use opens it again, by the rules (as after a restart).
    pub async fn close_cache(&self) {
        if let Some(cache) = self.cache.lock().await.take() {
            cache.close().await;
        }
    }
}

/// A poisoned lock only means another command panicked; the flag inside is still usable.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
