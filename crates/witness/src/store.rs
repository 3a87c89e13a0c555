//! The witness's own store: one SQLite file (`witness.db`, WAL) holding the latest cosigned
//! head per log and the refusals.
//!
//! Checking a submission against the held head and persisting the new one happen in one
//! [`Update`], a transaction opened with `BEGIN IMMEDIATE`: it takes SQLite's write lock
//! before the head is read, so two submissions for the same log are serialised by the
//! database itself (the race C2SP tlog-witness describes, where an older checkpoint is
//! persisted after a newer one, cannot happen). A process-wide mutex would do the same inside
//! one process; the database lock also holds against a second process started by mistake on
//! the same directory, and costs nothing more at a witness's request rate.

use std::path::Path;
use std::time::Duration;

use placeforte_translog::checkpoint::TreeHead;
use placeforte_translog::Hash;
use serde::Serialize;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{Sqlite, SqlitePool, Transaction};

/// How much of a refused note is kept: a checkpoint with a few signatures is well under it,
/// and a stranger's oversized note cannot fill the disk.
pub const MAX_STORED_NOTE_BYTES: usize = 4 * 1024;

/// Bad-signature refusals kept per origin (the newest): anyone can send them, so unlike the
/// refusals of validly signed checkpoints they are not all kept.
pub const MAX_BAD_SIGNATURE_REFUSALS: i64 = 1_000;

/// Refusals `refusals` returns at most (the newest, oldest first).
pub const MAX_LISTED_REFUSALS: i64 = 1_000;

/// The store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// SQLite failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// The migrations failed.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A row holds a value this code never writes.
    #[error("corrupt witness store: {0}")]
    Corrupt(&'static str),
    /// A size does not fit SQLite's signed 64-bit integers.
    #[error("a tree size above 2^63 - 1")]
    SizeOutOfRange,
}

/// The latest checkpoint cosigned for one log.
#[derive(Debug, Clone, PartialEq)]
pub struct CosignedHead {
    /// The log's origin.
    pub origin: String,
    /// Its size and root.
    pub head: TreeHead,
    /// The checkpoint note: body, the log's verified signature line(s), this witness's
    /// cosignature line.
    pub note: String,
    /// The cosignature's timestamp (Unix seconds).
    pub cosigned_at: u64,
}

/// A refusal to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefusal<'a> {
    /// When it arrived (RFC 3339).
    pub received_at: &'a str,
    /// The checkpoint's origin (a known one).
    pub origin: &'a str,
    /// The HTTP status answered.
    pub status: u16,
    /// The reason code.
    pub reason: &'a str,
    /// The request's old size.
    pub old_size: u64,
    /// The checkpoint's size, when its signature verified.
    pub submitted_size: Option<u64>,
    /// The size this witness held, when it was read.
    pub witness_size: Option<u64>,
    /// The submitted note (capped at [`MAX_STORED_NOTE_BYTES`] here).
    pub note: &'a str,
}

/// A recorded refusal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusalRecord {
    /// Its id.
    pub id: i64,
    /// When it first arrived (RFC 3339).
    pub received_at: String,
    /// When the same refusal last arrived.
    pub last_received_at: String,
    /// How many times it arrived.
    pub repeats: i64,
    /// The checkpoint's origin.
    pub origin: String,
    /// The HTTP status answered.
    pub status: u16,
    /// The reason code (`rollback`, `fork_same_size`, …).
    pub reason: String,
    /// The request's old size.
    pub old_size: u64,
    /// The checkpoint's size, when its signature verified.
    pub submitted_size: Option<u64>,
    /// The size this witness held when it refused, when it was read.
    pub witness_size: Option<u64>,
    /// The submitted note, capped.
    pub note: String,
}

/// The witness store.
#[derive(Debug, Clone)]
pub struct WitnessStore {
    pool: SqlitePool,
}

/// The file name of the store in the witness's directory.
pub const DATABASE_FILE: &str = "witness.db";

impl WitnessStore {
    /// Opens `path`, creating it if `create` (otherwise a missing file is an error), and runs
    /// the migrations.
    pub async fn open(path: &Path, create: bool) -> Result<WitnessStore, StoreError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a cosigned head must survive a power loss once answered, or the witness
            // could later cosign a fork of what it already vouched for.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await?;
        sqlx::migrate!().run(&pool).await?;
        Ok(WitnessStore { pool })
    }

    /// Starts an update: a write transaction that holds SQLite's write lock from the start.
    pub async fn begin_update(&self) -> Result<Update, StoreError> {
        Ok(Update {
            tx: self.pool.begin_with("BEGIN IMMEDIATE").await?,
        })
    }

    /// The latest cosigned head of `origin`.
    pub async fn head(&self, origin: &str) -> Result<Option<CosignedHead>, StoreError> {
        let row: Option<HeadRow> = sqlx::query_as(
            "SELECT origin, size, root, note, cosigned_at FROM log_heads WHERE origin = ?",
        )
        .bind(origin)
        .fetch_optional(&self.pool)
        .await?;
        row.map(HeadRow::decode).transpose()
    }

    /// Every log's latest cosigned head, by origin.
    pub async fn heads(&self) -> Result<Vec<CosignedHead>, StoreError> {
        let rows: Vec<HeadRow> = sqlx::query_as(
            "SELECT origin, size, root, note, cosigned_at FROM log_heads ORDER BY origin",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(HeadRow::decode).collect()
    }

    /// The newest [`MAX_LISTED_REFUSALS`] refusals, of `origin` or of all logs, oldest first.
    pub async fn refusals(&self, origin: Option<&str>) -> Result<Vec<RefusalRecord>, StoreError> {
        let rows: Vec<RefusalRow> = sqlx::query_as(concat!(
            "SELECT * FROM (SELECT id, received_at, last_received_at, repeats, origin, status,",
            " reason, old_size, submitted_size, witness_size, note FROM refusals",
            " WHERE ?1 IS NULL OR origin = ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id"
        ))
        .bind(origin)
        .bind(MAX_LISTED_REFUSALS)
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter().map(RefusalRow::decode).collect()
    }

    /// Records a refusal outside an update (a bad signature: nothing held is read).
    pub async fn record_refusal(&self, refusal: &NewRefusal<'_>) -> Result<(), StoreError> {
        let mut update = self.begin_update().await?;
        update.record_refusal(refusal).await?;
        update.commit().await
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// A write transaction on the store; dropped without [`Update::commit`], it rolls back.
#[derive(Debug)]
pub struct Update {
    tx: Transaction<'static, Sqlite>,
}

impl Update {
    /// The latest cosigned head of `origin`, as of this transaction.
    pub async fn head(&mut self, origin: &str) -> Result<Option<CosignedHead>, StoreError> {
        let row: Option<HeadRow> = sqlx::query_as(
            "SELECT origin, size, root, note, cosigned_at FROM log_heads WHERE origin = ?",
        )
        .bind(origin)
        .fetch_optional(&mut *self.tx)
        .await?;
        row.map(HeadRow::decode).transpose()
    }

    /// Replaces the cosigned head of its log.
    pub async fn put_head(&mut self, head: &CosignedHead) -> Result<(), StoreError> {
        sqlx::query(concat!(
            "INSERT INTO log_heads (origin, size, root, note, cosigned_at) VALUES (?, ?, ?, ?, ?)",
            " ON CONFLICT (origin) DO UPDATE SET size = excluded.size, root = excluded.root,",
            " note = excluded.note, cosigned_at = excluded.cosigned_at"
        ))
        .bind(&head.origin)
        .bind(to_db(head.head.size)?)
        .bind(head.head.root.0.as_slice())
        .bind(&head.note)
        .bind(to_db(head.cosigned_at)?)
        .execute(&mut *self.tx)
        .await?;
        Ok(())
    }

    /// Records a refusal; the same refusal again (same origin, status, reason, sizes and
    /// note) only counts a repeat, so replaying one signed checkpoint does not grow the store.
    pub async fn record_refusal(&mut self, refusal: &NewRefusal<'_>) -> Result<(), StoreError> {
        let note = cap(refusal.note, MAX_STORED_NOTE_BYTES);
        let old_size = to_db(refusal.old_size)?;
        let submitted_size = refusal.submitted_size.map(to_db).transpose()?;
        let witness_size = refusal.witness_size.map(to_db).transpose()?;
        let repeated = sqlx::query(concat!(
            "UPDATE refusals SET repeats = repeats + 1, last_received_at = ?",
            " WHERE origin = ? AND status = ? AND reason = ? AND old_size = ?",
            " AND submitted_size IS ? AND witness_size IS ? AND note = ?"
        ))
        .bind(refusal.received_at)
        .bind(refusal.origin)
        .bind(refusal.status)
        .bind(refusal.reason)
        .bind(old_size)
        .bind(submitted_size)
        .bind(witness_size)
        .bind(note)
        .execute(&mut *self.tx)
        .await?
        .rows_affected();
        if repeated > 0 {
            return Ok(());
        }
        sqlx::query(concat!(
            "INSERT INTO refusals (received_at, last_received_at, origin, status, reason,",
            " old_size, submitted_size, witness_size, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        ))
        .bind(refusal.received_at)
        .bind(refusal.received_at)
        .bind(refusal.origin)
        .bind(refusal.status)
        .bind(refusal.reason)
        .bind(old_size)
        .bind(submitted_size)
        .bind(witness_size)
        .bind(note)
        .execute(&mut *self.tx)
        .await?;
        if refusal.submitted_size.is_none() {
            sqlx::query(concat!(
                "DELETE FROM refusals WHERE origin = ?1 AND submitted_size IS NULL AND id NOT IN",
                " (SELECT id FROM refusals WHERE origin = ?1 AND submitted_size IS NULL",
                " ORDER BY id DESC LIMIT ?2)"
            ))
            .bind(refusal.origin)
            .bind(MAX_BAD_SIGNATURE_REFUSALS)
            .execute(&mut *self.tx)
            .await?;
        }
        Ok(())
    }

    /// Commits (durably: the store syncs each commit).
    pub async fn commit(self) -> Result<(), StoreError> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cap(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let mut end = max;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
}

fn to_db(value: u64) -> Result<i64, StoreError> {
    i64::try_from(value).map_err(|_| StoreError::SizeOutOfRange)
}

fn from_db(value: i64) -> Result<u64, StoreError> {
    u64::try_from(value).map_err(|_| StoreError::Corrupt("a negative size"))
}

#[derive(sqlx::FromRow)]
struct HeadRow {
    origin: String,
    size: i64,
    root: Vec<u8>,
    note: String,
    cosigned_at: i64,
}

impl HeadRow {
    fn decode(self) -> Result<CosignedHead, StoreError> {
        let root: [u8; 32] = self
            .root
            .try_into()
            .map_err(|_| StoreError::Corrupt("a root that is not 32 bytes"))?;
        Ok(CosignedHead {
            origin: self.origin,
            head: TreeHead {
                size: from_db(self.size)?,
                root: Hash(root),
            },
            note: self.note,
            cosigned_at: from_db(self.cosigned_at)?,
        })
    }
}

#[derive(sqlx::FromRow)]
struct RefusalRow {
    id: i64,
    received_at: String,
    last_received_at: String,
    repeats: i64,
    origin: String,
    status: i64,
    reason: String,
    old_size: i64,
    submitted_size: Option<i64>,
    witness_size: Option<i64>,
    note: String,
}

impl RefusalRow {
    fn decode(self) -> Result<RefusalRecord, StoreError> {
        Ok(RefusalRecord {
            id: self.id,
            received_at: self.received_at,
            last_received_at: self.last_received_at,
            repeats: self.repeats,
            origin: self.origin,
            status: u16::try_from(self.status)
                .map_err(|_| StoreError::Corrupt("an HTTP status out of range"))?,
            reason: self.reason,
            old_size: from_db(self.old_size)?,
            submitted_size: self.submitted_size.map(from_db).transpose()?,
            witness_size: self.witness_size.map(from_db).transpose()?,
            note: self.note,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn store() -> (tempfile::TempDir, WitnessStore) {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = WitnessStore::open(&dir.path().join(DATABASE_FILE), true)
            .await
            .expect("open");
        (dir, store)
    }

    fn refusal<'a>(note: &'a str, submitted_size: Option<u64>) -> NewRefusal<'a> {
        NewRefusal {
            received_at: "2026-06-15T15:06:40Z",
            origin: "placeforte.example/audit",
            status: 409,
            reason: "rollback",
            old_size: 0,
            submitted_size,
            witness_size: Some(5),
            note,
        }
    }

    #[tokio::test]
    async fn heads_round_trip_and_an_update_not_committed_is_not_kept() {
        let (_dir, store) = store().await;
        let head = CosignedHead {
            origin: "placeforte.example/audit".to_owned(),
            head: TreeHead {
                size: 7,
                root: Hash([3; 32]),
            },
            note: "note".to_owned(),
            cosigned_at: 1_700_000_000,
        };
        let mut update = store.begin_update().await.expect("begin");
        update.put_head(&head).await.expect("put");
        drop(update);
        assert_eq!(store.head(&head.origin).await.expect("head"), None);

        let mut update = store.begin_update().await.expect("begin");
        update.put_head(&head).await.expect("put");
        assert_eq!(
            update.head(&head.origin).await.expect("head"),
            Some(head.clone())
        );
        update.commit().await.expect("commit");
        assert_eq!(store.heads().await.expect("heads"), vec![head]);
    }

    #[tokio::test]
    async fn repeated_refusals_are_counted_and_notes_capped() {
        let (_dir, store) = store().await;
        store
            .record_refusal(&refusal("a", Some(3)))
            .await
            .expect("record");
        store
            .record_refusal(&refusal("a", Some(3)))
            .await
            .expect("record");
        let long = "é".repeat(MAX_STORED_NOTE_BYTES);
        store
            .record_refusal(&refusal(&long, None))
            .await
            .expect("record");
        let listed = store.refusals(None).await.expect("list");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].repeats, 2);
        assert_eq!(listed[1].note.len(), MAX_STORED_NOTE_BYTES);
        assert_eq!(listed[1].submitted_size, None);
        assert!(store
            .refusals(Some("other"))
            .await
            .expect("list")
            .is_empty());
    }
}
