//! The encrypted cache: one SQLCipher file, opened only with its raw key.
//!
//! The encryption state is in the type: a [`CacheFile`] is a path that can be wiped or
//! opened with a [`CacheKey`]; only opening gives a [`Cache`] to read and write. There is no
//! way to open the file without a key. Temporary tables and sort files stay in memory
//! (`temp_store = MEMORY`) so that nothing decrypted reaches the disk.

use std::path::{Path, PathBuf};
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::BirthDate;
use placeforte_protocol::referrals::{ReferralPage, ReferralStatus, ReferralSyncItem};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use sqlx::SqlitePool;

mod notices;
mod outbox;
mod planning;
mod retention;
mod standing;
mod vacancies;

pub use outbox::{OutboxEntry, OutboxState, Outgoing};
pub use retention::CacheRetention;
pub use standing::UnsentWork;
pub use vacancies::{LocalVacancy, VacancyDeclaration};

use crate::error::DeskError;
use crate::import::{AcceptedImport, ImportedChild, SupportFactor};
use crate::planning::PlanChildKey;
use crate::secret::CacheKey;

/// SQLite's result code for "file is not a database": what a wrong key gives.
const SQLITE_NOTADB: &str = "26";

/// The cache file, closed.
#[derive(Debug, Clone)]
pub struct CacheFile {
    path: PathBuf,
}

impl CacheFile {
    /// The cache at `path` (created on first open).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        CacheFile { path: path.into() }
    }

    /// Its path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the file exists.
    pub fn exists(&self) -> bool {
        self.path.exists()
    }

    /// Opens (or creates) the cache with `key` and brings its schema up to date.
    ///
    /// A wrong key or a damaged file gives [`DeskError::CacheUnreadable`]; the file is left
    /// as it is, for the caller to wipe.
    pub async fn open(&self, key: &CacheKey) -> Result<Cache, DeskError> {
        self.open_with(Some(key)).await
    }

    /// Opens the file **without encryption**, only to measure what encryption costs. The
    /// feature that compiles it is never enabled in the app.
    #[cfg(feature = "bench-plaintext")]
    #[doc(hidden)]
    pub async fn open_plaintext_for_benchmarks(&self) -> Result<Cache, DeskError> {
        self.open_with(None).await
    }

    async fn open_with(&self, key: Option<&CacheKey>) -> Result<Cache, DeskError> {
        // Before the first keyed connection: OpenSSL must not be torn down at exit under a
        // worker thread still closing one (see `exit_safety`).
        crate::exit_safety::keep_openssl_until_exit();
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut options = SqliteConnectOptions::from_str("sqlite:")?
            .filename(&self.path)
            .create_if_missing(true);
        if let Some(key) = key {
            // sqlx sends `key` before any other pragma on every new connection.
            options = options.pragma("key", key.sqlcipher_pragma_value());
        }
        let options = options
            .pragma("temp_store", "MEMORY")
            .journal_mode(SqliteJournalMode::Wal)
            .foreign_keys(true);
        // Two connections: a write transaction and a read beside it is all one director's
        // app does at once. Each SQLCipher connection has its own worker thread, page cache
        // and decryption buffers: four of them cost the app ~10 MiB for nothing.
        let pool = SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(options)
            .await
            .map_err(unreadable_or)?;
        // The key is only checked when the first page is read.
        sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&pool)
            .await
            .map_err(unreadable_or)?;
        sqlx::migrate!("../../migrations/cache").run(&pool).await?;
        restrict_permissions(&self.path)?;
        Ok(Cache { pool })
    }

    /// Deletes the file and its WAL and shared-memory companions. Missing files are fine.
    pub fn wipe(&self) -> Result<(), DeskError> {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut name = self.path.as_os_str().to_owned();
            name.push(suffix);
            match std::fs::remove_file(PathBuf::from(name)) {
                Ok(()) => {}
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
                Err(err) => return Err(err.into()),
            }
        }
        Ok(())
    }
}

fn unreadable_or(err: sqlx::Error) -> DeskError {
    let not_a_database = err
        .as_database_error()
        .and_then(|db| db.code())
        .is_some_and(|code| code == SQLITE_NOTADB);
    if not_a_database {
        DeskError::CacheUnreadable
    } else {
        DeskError::CacheDatabase(err)
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> Result<(), DeskError> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    Ok(())
}

#[cfg(not(unix))]
fn restrict_permissions(_path: &Path) -> Result<(), DeskError> {
    // On Windows the file is in the user's own profile folder, which other users cannot read.
    Ok(())
}

/// The open cache.
#[derive(Debug, Clone)]
pub struct Cache {
    pool: SqlitePool,
}

impl Cache {
    /// When the last sync succeeded, if ever.
    pub async fn last_successful_sync(&self) -> Result<Option<DateTime<Utc>>, DeskError> {
        let at: Option<DateTime<Utc>> =
            sqlx::query_scalar("SELECT last_success_at FROM sync_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(at)
    }

    /// Records a successful sync at `at`.
    pub async fn record_successful_sync(&self, at: DateTime<Utc>) -> Result<(), DeskError> {
        sqlx::query("UPDATE sync_state SET last_success_at = ? WHERE id = 1")
            .bind(at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the enrolled children with an accepted import, in one transaction: a failure
    /// leaves the previous list as it was. Returns how many children are stored.
    pub async fn replace_enrolled_children(
        &self,
        import: &AcceptedImport,
    ) -> Result<usize, DeskError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM enrolled_child")
            .execute(&mut *tx)
            .await?;
        // A new import: its school year is noted by the next retention pass.
        sqlx::query("DELETE FROM enrolled_child_import")
            .execute(&mut *tx)
            .await?;
        // Row ids start again after the delete: a pin or a sibling wish naming an old row would
        // name a new child.
        sqlx::query("DELETE FROM planning_pin WHERE child_key LIKE ?")
            .bind(PlanChildKey::ENTERED_LIKE)
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM planning_sibling WHERE child_a LIKE ?1 OR child_b LIKE ?1")
            .bind(PlanChildKey::ENTERED_LIKE)
            .execute(&mut *tx)
            .await?;
        for child in import.children() {
            sqlx::query(
                "INSERT INTO enrolled_child (label, birth_date, expected_departure, current_group, \
                 support_factor_hundredths) VALUES (?, ?, ?, ?, ?)",
            )
            .bind(&child.label)
            .bind(child.birth_date.date())
            .bind(child.expected_departure)
            .bind(&child.current_group)
            .bind(child.support_factor.map(|f| i64::from(f.hundredths())))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(import.children().len())
    }

    /// The enrolled children, in import order.
    pub async fn enrolled_children(&self) -> Result<Vec<ImportedChild>, DeskError> {
        let children = self.enrolled_children_by_row().await?;
        Ok(children.into_iter().map(|(_, child)| child).collect())
    }

    /// The enrolled children with their row ids (stable until the next import), in import
    /// order.
    pub async fn enrolled_children_by_row(&self) -> Result<Vec<(i64, ImportedChild)>, DeskError> {
        type Row = (
            i64,
            String,
            NaiveDate,
            Option<NaiveDate>,
            Option<String>,
            Option<i64>,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT id, label, birth_date, expected_departure, current_group, \
             support_factor_hundredths FROM enrolled_child ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(id, label, birth, departure, group, factor)| {
                let child = ImportedChild {
                    label,
                    // Stored only from a checked import: a birth date in the past.
                    birth_date: BirthDate::new(birth, NaiveDate::MAX)
                        .map_err(|_| DeskError::CacheUnreadable)?,
                    expected_departure: departure,
                    current_group: group,
                    support_factor: factor.and_then(SupportFactor::from_hundredths),
                };
                Ok((id, child))
            })
            .collect()
    }

    /// The delta-sync cursor of the last applied page.
    pub async fn sync_cursor(&self) -> Result<Option<String>, DeskError> {
        Ok(
            sqlx::query_scalar("SELECT cursor FROM sync_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?,
        )
    }

    /// Applies one sync page and its cursor in one transaction.
    pub async fn apply_referral_page(&self, page: &ReferralPage) -> Result<(), DeskError> {
        let mut tx = self.pool.begin().await?;
        for r in &page.referrals {
            let reason = serde_json::to_string(&r.rank_reason)
                .map_err(|e| DeskError::Protocol(e.to_string()))?;
            sqlx::query(
                "INSERT INTO referral (referral_id, vacancy_id, status, answer_by, label, birth_date, \
                 desired_entry_date, category, priority, sibling_referral_id, rank_reason) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
                 ON CONFLICT (referral_id) DO UPDATE SET vacancy_id = excluded.vacancy_id, \
                 status = excluded.status, answer_by = excluded.answer_by, label = excluded.label, \
                 birth_date = excluded.birth_date, desired_entry_date = excluded.desired_entry_date, \
                 category = excluded.category, priority = excluded.priority, \
                 sibling_referral_id = excluded.sibling_referral_id, rank_reason = excluded.rank_reason",
            )
            .bind(r.referral_id.to_string())
            .bind(r.vacancy_id.to_string())
            .bind(r.status.code())
            .bind(r.answer_by)
            .bind(&r.label)
            .bind(r.birth_date)
            .bind(r.desired_entry_date)
            .bind(i64::from(r.category))
            .bind(r.priority)
            .bind(r.sibling_referral_id.map(|id| id.to_string()))
            .bind(reason)
            .execute(&mut *tx)
            .await?;
        }
        sqlx::query("UPDATE sync_state SET cursor = ? WHERE id = 1")
            .bind(&page.cursor)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    /// How many referrals the cache holds, without reading them (the home screen asks on
    /// every refresh).
    pub async fn referral_count(&self) -> Result<u64, DeskError> {
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM referral")
            .fetch_one(&self.pool)
            .await?;
        Ok(u64::try_from(count).unwrap_or(0))
    }

    /// The cached referrals, by answer date then label.
    pub async fn referrals(&self) -> Result<Vec<ReferralSyncItem>, DeskError> {
        type Row = (
            String,
            String,
            String,
            NaiveDate,
            String,
            NaiveDate,
            NaiveDate,
            i64,
            bool,
            Option<String>,
            String,
        );
        let rows: Vec<Row> = sqlx::query_as(
            "SELECT referral_id, vacancy_id, status, answer_by, label, birth_date, desired_entry_date, \
             category, priority, sibling_referral_id, rank_reason FROM referral \
             ORDER BY answer_by, label, referral_id",
        )
        .fetch_all(&self.pool)
        .await?;
        let corrupt = |_| DeskError::CacheUnreadable;
        rows.into_iter()
            .map(|r| {
                Ok(ReferralSyncItem {
                    referral_id: r.0.parse().map_err(corrupt)?,
                    vacancy_id: r.1.parse().map_err(corrupt)?,
                    status: ReferralStatus::from_code(&r.2).ok_or(DeskError::CacheUnreadable)?,
                    answer_by: r.3,
                    label: r.4,
                    birth_date: r.5,
                    desired_entry_date: r.6,
                    category: u8::try_from(r.7).map_err(|_| DeskError::CacheUnreadable)?,
                    priority: r.8,
                    sibling_referral_id: r.9.map(|s| s.parse()).transpose().map_err(corrupt)?,
                    rank_reason: serde_json::from_str(&r.10)
                        .map_err(|_| DeskError::CacheUnreadable)?,
                })
            })
            .collect()
    }

    /// Closes every connection, flushing the WAL into the file.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Whether it was closed (by any of its clones, or by a revocation's wipe).
    pub fn is_closed(&self) -> bool {
        self.pool.is_closed()
    }

    #[cfg(test)]
    pub(crate) fn pool(&self) -> &SqlitePool {
        &self.pool
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MARKER: &str = "Émilie-Tremblay-marker-7c1f";

    async fn cache_with_marker(file: &CacheFile, key: &CacheKey) {
        let cache = file.open(key).await.unwrap();
        sqlx::query("CREATE TABLE probe (label TEXT)")
            .execute(cache.pool())
            .await
            .unwrap();
        for _ in 0..50 {
            sqlx::query("INSERT INTO probe (label) VALUES (?)")
                .bind(MARKER)
                .execute(cache.pool())
                .await
                .unwrap();
        }
        cache.close().await;
    }

    /// Every byte of every file in the cache's folder, read when no file vanished during the
    /// read: the last connection's worker thread may still be checkpointing the WAL into the
    /// file and deleting it after `close` has returned, and a read of the file before the
    /// checkpoint and of the WAL after its deletion would miss the data.
    fn all_bytes_beside(file: &CacheFile) -> Vec<u8> {
        let dir = file.path().parent().unwrap();
        for _ in 0..100 {
            let mut bytes = Vec::new();
            let mut vanished = false;
            for entry in std::fs::read_dir(dir).unwrap() {
                match std::fs::read(entry.unwrap().path()) {
                    Ok(content) => bytes.extend(content),
                    Err(err) if err.kind() == std::io::ErrorKind::NotFound => vanished = true,
                    Err(err) => panic!("{err}"),
                }
            }
            if !vanished {
                return bytes;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        panic!("the cache's files kept changing");
    }

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    #[tokio::test]
    async fn the_file_holds_no_plaintext_and_no_sqlite_header() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let key = CacheKey::generate().unwrap();
        cache_with_marker(&file, &key).await;

        let bytes = all_bytes_beside(&file);
        assert!(bytes.len() > 4096, "the cache was written");
        assert!(
            !contains(&bytes, MARKER.as_bytes()),
            "plaintext found on disk"
        );
        assert!(
            !contains(&bytes, b"SQLite format 3"),
            "unencrypted SQLite header"
        );
        assert!(
            !contains(&bytes, hex::encode(key.as_bytes()).as_bytes()),
            "key on disk"
        );
    }

    #[tokio::test]
    async fn the_linked_sqlite_is_sqlcipher() {
        // Guards the feature unification of libsqlite3-sys: plain SQLite would ignore the
        // `key` pragma and write everything in clear.
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let cache = file.open(&CacheKey::generate().unwrap()).await.unwrap();
        let version: String = sqlx::query_scalar("PRAGMA cipher_version")
            .fetch_one(cache.pool())
            .await
            .unwrap();
        assert!(
            version.starts_with('4'),
            "SQLCipher 4.x expected, got {version:?}"
        );
    }

    #[tokio::test]
    async fn the_same_key_reopens_the_cache_with_its_data() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let key = CacheKey::generate().unwrap();
        cache_with_marker(&file, &key).await;
        let cache = file.open(&key).await.unwrap();
        let n: i64 = sqlx::query_scalar("SELECT count(*) FROM probe WHERE label = ?")
            .bind(MARKER)
            .fetch_one(cache.pool())
            .await
            .unwrap();
        assert_eq!(n, 50);
    }

    #[tokio::test]
    async fn a_wrong_key_is_refused_as_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        cache_with_marker(&file, &CacheKey::generate().unwrap()).await;
        let other = CacheKey::generate().unwrap();
        assert!(matches!(
            file.open(&other).await,
            Err(DeskError::CacheUnreadable)
        ));
    }

    #[tokio::test]
    async fn the_cache_opened_without_a_key_is_not_a_database() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        cache_with_marker(&file, &CacheKey::generate().unwrap()).await;
        let no_key = SqlitePoolOptions::new()
            .connect_with(SqliteConnectOptions::new().filename(file.path()))
            .await
            .unwrap();
        let err = sqlx::query("SELECT count(*) FROM sqlite_master")
            .execute(&no_key)
            .await
            .unwrap_err();
        assert_eq!(
            err.as_database_error().and_then(|e| e.code()).as_deref(),
            Some(SQLITE_NOTADB)
        );
        assert!(matches!(unreadable_or(err), DeskError::CacheUnreadable));
        assert_eq!(DeskError::CacheUnreadable.code(), "cache_unreadable");
    }

    #[tokio::test]
    async fn a_plain_sqlite_file_is_refused_as_unreadable() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.sqlite");
        // A file an attacker (or an old build) left unencrypted is never used as the cache.
        let plain = SqlitePoolOptions::new()
            .connect_with(
                SqliteConnectOptions::new()
                    .filename(&path)
                    .create_if_missing(true),
            )
            .await
            .unwrap();
        sqlx::query("CREATE TABLE t (x)")
            .execute(&plain)
            .await
            .unwrap();
        plain.close().await;
        let file = CacheFile::new(&path);
        assert!(matches!(
            file.open(&CacheKey::generate().unwrap()).await,
            Err(DeskError::CacheUnreadable)
        ));
    }

    #[tokio::test]
    async fn wipe_removes_the_file_and_its_companions() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let key = CacheKey::generate().unwrap();
        let cache = file.open(&key).await.unwrap();
        cache.record_successful_sync(Utc::now()).await.unwrap();
        cache.close().await;
        assert!(file.exists());
        file.wipe().unwrap();
        assert!(!file.exists());
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
        // Wiping what is already gone is fine.
        file.wipe().unwrap();
    }

    #[tokio::test]
    async fn the_last_successful_sync_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let cache = file.open(&CacheKey::generate().unwrap()).await.unwrap();
        assert_eq!(cache.last_successful_sync().await.unwrap(), None);
        let at = DateTime::parse_from_rfc3339("2026-06-01T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        cache.record_successful_sync(at).await.unwrap();
        assert_eq!(cache.last_successful_sync().await.unwrap(), Some(at));
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn the_file_is_readable_by_its_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let _cache = file.open(&CacheKey::generate().unwrap()).await.unwrap();
        let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
}
