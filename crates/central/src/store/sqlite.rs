//! SQLite: the default backend, one file created on first start, WAL on.

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

use super::sql::impl_storage;
use super::{Schema, StoreError};

/// The central store on SQLite.
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
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
        Ok(SqliteStore { pool })
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

impl_storage!(SqliteStore, sqlx::Sqlite);
