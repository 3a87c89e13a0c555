//! PostgreSQL: the production backend (`DATABASE_URL=postgres://…`).

use std::str::FromStr;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

use super::sql::impl_storage;
use super::{Schema, StoreError};

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
        PostgresStore::connect_with_schema(options, Schema::Migrate).await
    }

    /// Connects with explicit options, migrating or checking the schema is current (the
    /// service's restricted role cannot run DDL; see [`Schema::RequireCurrent`]).
    pub async fn connect_with_schema(
        options: PgConnectOptions,
        schema: Schema,
    ) -> Result<PostgresStore, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(10)
            .connect_with(options)
            .await?;
        schema
            .prepare(&sqlx::migrate!("../../migrations/central-postgres"), &pool)
            .await?;
        Ok(PostgresStore { pool })
    }

    /// Lets `role` (which must exist) read and write every table but only append to the audit
    /// tables: `placeforte_grant_service_role` of the migrations. Run as the schema's owner
    /// after migrating.
    pub async fn grant_service_role(&self, role: &str) -> Result<(), StoreError> {
        sqlx::query("SELECT placeforte_grant_service_role($1::name)")
            .bind(role)
            .execute(&self.pool)
            .await?;
        Ok(())
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
