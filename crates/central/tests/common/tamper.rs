//! What whoever holds the database can do to the audit tables, for the tests that try it:
//! run any SQL on the store's own database, lift the append-only triggers, and rebuild the
//! tree after an edit, re-signed with a (stolen) log key.
#![allow(clippy::unwrap_used)]

use std::future::Future;
use std::sync::Arc;

use placeforte_central::store::{PostgresStore, SqliteStore, Storage};
use placeforte_translog::checkpoint::LogSigner;
use placeforte_translog::tree::Frontier;

use super::Harness;

/// The audit tables.
pub const AUDIT_TABLES: [&str; 5] = [
    "audit_log",
    "audit_checkpoints",
    "audit_tree_hashes",
    "audit_tree_checkpoints",
    "audit_cosignatures",
];

/// Direct access to the database, as an attacker with its credentials or its file has.
pub trait Tamper: Storage {
    /// Runs `sql` on the store's pool.
    fn exec(&self, sql: &str) -> impl Future<Output = Result<u64, String>> + Send;
    /// A literal for `bytes` in this backend's SQL.
    fn blob(&self, bytes: &[u8]) -> String;
    /// Lifts the append-only triggers (the table owner or the file's holder can).
    fn lift_triggers(&self) -> impl Future<Output = ()> + Send;
    /// This store appending with another log key.
    fn with_log(&self, log: Arc<LogSigner>) -> Self;
}

impl Tamper for SqliteStore {
    async fn exec(&self, sql: &str) -> Result<u64, String> {
        sqlx::raw_sql(sql)
            .execute(self.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    fn blob(&self, bytes: &[u8]) -> String {
        format!("X'{}'", hex::encode(bytes))
    }

    async fn lift_triggers(&self) {
        for table in AUDIT_TABLES {
            for what in ["update", "delete"] {
                self.exec(&format!("DROP TRIGGER {table}_no_{what}"))
                    .await
                    .unwrap();
            }
        }
    }

    fn with_log(&self, log: Arc<LogSigner>) -> Self {
        self.clone().with_log_signer(log)
    }
}

impl Tamper for PostgresStore {
    async fn exec(&self, sql: &str) -> Result<u64, String> {
        sqlx::raw_sql(sql)
            .execute(self.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    fn blob(&self, bytes: &[u8]) -> String {
        format!("'\\x{}'::bytea", hex::encode(bytes))
    }

    async fn lift_triggers(&self) {
        for table in AUDIT_TABLES {
            self.exec(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                .await
                .unwrap();
        }
    }

    fn with_log(&self, log: Arc<LogSigner>) -> Self {
        self.clone().with_log_signer(log)
    }
}

/// What an attacker holding the database and the log key does after an edit (with the
/// triggers lifted): recompute the stored leaf hashes and the whole tree, re-sign the head and
/// every checkpoint at its size. Cosignatures cannot be re-made; they are left as they are.
pub async fn rebuild_and_resign<S: Tamper>(h: &Harness<S>, log: &LogSigner) {
    let entries = h.store.audit_entries(0, 10_000).await.unwrap();
    let sizes: Vec<i64> = h
        .store
        .audit_tree_checkpoints()
        .await
        .unwrap()
        .iter()
        .map(|c| c.size)
        .collect();
    h.store.exec("DELETE FROM audit_tree_hashes").await.unwrap();
    h.store
        .exec("DELETE FROM audit_tree_checkpoints")
        .await
        .unwrap();
    let mut frontier = Frontier::empty();
    for entry in &entries {
        let leaf = entry.leaf.hash();
        h.store
            .exec(&format!(
                "UPDATE audit_log SET entry_hash = {} WHERE seq = {}",
                h.store.blob(&leaf.0),
                entry.leaf.seq
            ))
            .await
            .unwrap();
        insert_hashes(h, frontier.append(leaf)).await;
        if sizes.contains(&entry.leaf.seq) {
            let note = log.sign(frontier.head()).unwrap();
            h.store
                .exec(&format!(
                    "INSERT INTO audit_tree_checkpoints (size, signed_at, note) VALUES ({}, 'x', '{note}')",
                    entry.leaf.seq
                ))
                .await
                .unwrap();
        }
    }
    let head = log.sign(frontier.head()).unwrap();
    h.store
        .exec(&format!(
            "UPDATE audit_head SET tree_size = {}, signed_head = '{head}' WHERE id = 1",
            frontier.size()
        ))
        .await
        .unwrap();
}

/// Inserts stored tree hashes by hand.
pub async fn insert_hashes<S: Tamper>(
    h: &Harness<S>,
    hashes: Vec<(u64, placeforte_translog::Hash)>,
) {
    for (index, hash) in hashes {
        h.store
            .exec(&format!(
                "INSERT INTO audit_tree_hashes (idx, hash) VALUES ({index}, {})",
                h.store.blob(&hash.0)
            ))
            .await
            .unwrap();
    }
}
