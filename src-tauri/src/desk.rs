//! The desktop core as the app holds it: the data folder, the local data (cache + keychain)
//! and the open cache, shared by the commands. The device itself notes connectivity and wipes
//! everything on a revocation (`crates/desk`); this reads what it learnt, so each command
//! stays a few lines.

use std::path::PathBuf;
use std::sync::Mutex;

use chrono::{Duration, Utc};
use placeforte_desk::device::{self, EnrolledDevice};
use placeforte_desk::notice::NoticeLanguage;
use placeforte_desk::paths::cache_path;
use placeforte_desk::sync::{self, SyncProgress};
use placeforte_desk::{
    Cache, CacheFile, DeskError, LocalData, SecretName, SecretStore, WipeReason,
    DEFAULT_RETENTION_DAYS,
};
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
}

/// The app's desktop core.
#[derive(Debug)]
pub struct Desk {
    dir: PathBuf,
    local: LocalData<Secrets>,
    cache: tokio::sync::Mutex<Option<Cache>>,
    /// The last wipe the director has not been told about yet.
    unreported_wipe: Mutex<Option<WipeReason>>,
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
    /// revocation closed it.
    pub async fn cache(&self) -> Result<Cache, DeskError> {
        let mut slot = self.cache.lock().await;
        if let Some(cache) = slot.as_ref().filter(|cache| !cache.is_closed()) {
            return Ok(cache.clone());
        }
        let opened = self.local.open(Utc::now()).await?;
        if opened.wiped.is_some() {
            *lock(&self.unreported_wipe) = opened.wiped;
        }
        *slot = Some(opened.cache.clone());
        Ok(opened.cache)
    }

    /// The enrolled device, or `NotEnrolled`.
    pub fn device(&self) -> Result<EnrolledDevice, DeskError> {
        EnrolledDevice::load(&self.local, &self.dir)
    }

    /// The enrolled device, its certificate renewed first if due.
    pub async fn renewed_device(&self) -> Result<EnrolledDevice, DeskError> {
        let mut device = self.device()?;
        device
            .renew_if_due(&self.local, &self.dir, Utc::now(), false)
            .await?;
        Ok(device)
    }

    /// The local data, for enrolment and renewal.
    pub fn local(&self) -> &LocalData<Secrets> {
        &self.local
    }

    /// Whether the last call got through.
    pub fn online(&self) -> Option<bool> {
        self.local.online()
    }

    /// The wipe not yet reported to the director, taken (reported once); a revocation is the
    /// latest news.
    pub fn take_unreported_wipe(&self) -> Option<WipeReason> {
        let earlier = lock(&self.unreported_wipe).take();
        if self.local.take_revocation() {
            Some(WipeReason::Revoked)
        } else {
            earlier
        }
    }

    /// Sends the outbox, then pulls the referrals changed since the last sync, reporting each
    /// page to `progress`. A manual sync waits for a background one to finish.
    pub async fn sync(&self, progress: impl FnMut(SyncProgress)) -> Result<SyncSummary, DeskError> {
        let _running = self.sync_gate.lock().await;
        self.sync_holding_gate(progress).await
    }

    /// The same for the background sync, which skips its turn (`None`) while another sync runs.
    pub async fn sync_unless_running(
        &self,
        progress: impl FnMut(SyncProgress),
    ) -> Option<Result<SyncSummary, DeskError>> {
        let _running: MutexGuard<'_, ()> = self.sync_gate.try_lock().ok()?;
        Some(self.sync_holding_gate(progress).await)
    }

    async fn sync_holding_gate(
        &self,
        progress: impl FnMut(SyncProgress),
    ) -> Result<SyncSummary, DeskError> {
        let (device, cache) = (self.renewed_device().await?, self.cache().await?);
        let flushed = sync::flush(&device, &cache).await?;
        let synced = sync::sync(&device, &cache, Utc::now(), progress).await?;
        Ok(SyncSummary::new(flushed, synced))
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

    async fn close_cache(&self) {
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
