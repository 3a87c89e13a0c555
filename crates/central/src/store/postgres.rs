//! PostgreSQL: the production backend (`DATABASE_URL=postgres://…`).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use super::sql::impl_storage;
use super::StoreError;

/// The central store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` and runs the migrations.
    pub async fn connect(url: &str) -> Result<PostgresStore, StoreError> {
        PostgresStore::connect_with(PgConnectOptions::from_str(url)?).await
    }

    /// Connects with explicit options (tests use a `search_path` of their own) and runs the
    /// migrations.
    pub async fn connect_with(options: PgConnectOptions) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        sqlx::migrate!("../../migrations/central-postgres")
            .run(&pool)
            .await?;
        Ok(PostgresStore { pool })
    }

    /// The connection pool, for operator tooling and tests that inspect the tables directly.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Closes the pool.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

impl_storage!(PostgresStore, sqlx::Postgres);
