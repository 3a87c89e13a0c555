//! SQLite: the default backend, one file created on first start, WAL on.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use placeforte_translog::checkpoint::LogSigner;

use super::backend::Backend;
use super::db::{Db, Pool};
use super::{Schema, StoreError};
use crate::audit::AuditEntry;
use placeforte_translog::leaf::AuditLeaf;

/// The central store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// The audit log key every append signs the tree head with ([`SqliteStore::with_log_signer`]).
    log: Option<Arc<LogSigner>>,
}

impl SqliteStore {
    /// Opens (creating if missing) the database at `url` (`sqlite:path` or `sqlite://path`) and
    /// runs the migrations.
    pub async fn open(url: &str) -> Result<SqliteStore, StoreError> {
        SqliteStore::open_with(url, Schema::Migrate).await
    }

    /// Opens (creating if missing) the database at `url`, migrating it or checking it is
    /// current.
    pub async fn open_with(url: &str, schema: Schema) -> Result<SqliteStore, StoreError> {
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // NORMAL is durable across application crashes in WAL mode; FULL adds an fsync
            // per commit for power loss, which the operator can choose with PRAGMA at deploy.
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await?;
        schema
            .prepare(&sqlx::migrate!("../../migrations/central-sqlite"), &pool)
            .await?;
        Ok(SqliteStore { pool, log: None })
    }

    /// This store, appending with the audit log key `log`. Without one, every audited write
    /// fails ([`StoreError::NoLogKey`]): an append that no one signs would be
    /// indistinguishable from one written into the database by hand.
    pub fn with_log_signer(mut self, log: Arc<LogSigner>) -> SqliteStore {
        self.log = Some(log);
        self
    }

    /// The connection pool, for operator tooling and tests that inspect the tables directly.
    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    /// Closes the pool (waits for connections to finish).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl Backend for SqliteStore {
    fn db(&self) -> Db<'_> {
        Db {
            pool: Pool::Sqlite(&self.pool),
            log: self.log.as_ref(),
        }
    }
}

/// One audit entry as the page query encodes it: the text columns as they are, the hashes in
/// hexadecimal (JSON has no bytes).
type EncodedEntry = (
    i64,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
    String,
);

/// SQLite's `hex()` text back to bytes. Not `hex::decode`: it makes a call per byte through
/// an iterator of `Result`s, and took a fifth of `audit verify`'s main thread in a profile.
fn unhex(text: &str) -> Result<Vec<u8>, StoreError> {
    fn nibble(c: u8) -> Option<u8> {
        match c {
            b'0'..=b'9' => Some(c - b'0'),
            b'A'..=b'F' => Some(c - b'A' + 10),
            b'a'..=b'f' => Some(c - b'a' + 10),
            _ => None,
        }
    }
    let bad = || StoreError::Corrupt(format!("audit hash: not hex ({} characters)", text.len()));
    let digits = text.as_bytes();
    if digits.len() % 2 != 0 {
        return Err(bad());
    }
    let mut bytes = Vec::with_capacity(digits.len() / 2);
    for pair in digits.chunks_exact(2) {
        match (nibble(pair[0]), nibble(pair[1])) {
            (Some(high), Some(low)) => bytes.push(high << 4 | low),
            _ => return Err(bad()),
        }
    }
    Ok(bytes)
}

/// Up to `limit` audit entries after `after_seq`, in chain order.
///
/// sqlx's SQLite driver hands each row from its worker thread to the caller separately, which
/// cost more than the hashing when `audit verify` reads a million entries (8.3 s where
/// PostgreSQL took 2.7 s). So SQLite encodes the whole page as one JSON array, a single value
/// to hand over and parse. The encoding is lossless (text as text, blobs as hex), and the
/// verifier still checks every sequence number, so nothing about order is taken on trust:
/// the entries are sorted here by `seq` whatever order the aggregate produced.
pub(super) async fn audit_page(
    pool: &SqlitePool,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let page: Option<String> = sqlx::query_scalar(concat!(
        "SELECT json_group_array(json_array(seq, occurred_at, actor, daycare_id, action,",
        " subject, referral_ids, reason, hex(prev_hash), hex(entry_hash)))",
        " FROM (SELECT * FROM audit_log WHERE seq > $1 ORDER BY seq LIMIT $2)"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_one(pool)
    .await?;
    let encoded: Vec<EncodedEntry> = serde_json::from_str(page.as_deref().unwrap_or("[]"))
        .map_err(|err| StoreError::Corrupt(format!("audit page: {err}")))?;
    let unhex = |text: String| unhex(&text);
    let mut entries = encoded
        .into_iter()
        .map(
            |(
                seq,
                occurred_at,
                actor,
                daycare_id,
                action,
                subject,
                referral_ids,
                reason,
                prev,
                hash,
            )| {
                Ok(AuditEntry {
                    leaf: AuditLeaf {
                        seq,
                        occurred_at,
                        actor,
                        daycare_id,
                        action,
                        subject,
                        referral_ids,
                        reason,
                    },
                    prev_hash: unhex(prev)?,
                    entry_hash: unhex(hash)?,
                })
            },
        )
        .collect::<Result<Vec<_>, StoreError>>()?;
    entries.sort_unstable_by_key(|entry| entry.leaf.seq);
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::unhex;

    #[test]
    fn unhex_reads_sqlite_hex_and_refuses_anything_else() {
        assert_eq!(unhex("00FFa17B").unwrap(), vec![0, 255, 0xa1, 0x7b]);
        assert_eq!(unhex("").unwrap(), Vec::<u8>::new());
        assert!(unhex("0").is_err());
        assert!(unhex("0g").is_err());
        assert!(unhex("é0").is_err());
    }
}
