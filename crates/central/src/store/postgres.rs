//! PostgreSQL: the production backend (`DATABASE_URL=postgres://…`).

use std::str::FromStr;
use std::sync::Arc;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgPool, Row as _};

use placeforte_translog::checkpoint::LogSigner;

use super::backend::Backend;
use super::db::{Db, Pool};
use super::{Schema, StoreError};
use crate::audit::AuditEntry;
use placeforte_translog::leaf::AuditLeaf;

/// The central store on PostgreSQL.
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
    /// The audit log key every append signs the tree head with ([`PostgresStore::with_log_signer`]).
    log: Option<Arc<LogSigner>>,
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
        Ok(PostgresStore { pool, log: None })
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

    /// This store, appending with the audit log key `log`. Without one, every audited write
    /// fails ([`StoreError::NoLogKey`]): an append that no one signs would be
    /// indistinguishable from one written into the database by hand.
    pub fn with_log_signer(mut self, log: Arc<LogSigner>) -> PostgresStore {
        self.log = Some(log);
        self
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

impl Backend for PostgresStore {
    fn db(&self) -> Db<'_> {
        Db {
            pool: Pool::Postgres(&self.pool),
            log: self.log.as_ref(),
        }
    }
}

/// Up to `limit` audit entries after `after_seq`, in chain order: rows stream from the server
/// cheaply, so a plain query it is.
pub(super) async fn audit_page(
    pool: &PgPool,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    let rows = sqlx::query(concat!(
        "SELECT seq, occurred_at, actor, daycare_id, action, subject, referral_ids,",
        " reason, prev_hash, entry_hash FROM audit_log WHERE seq > $1",
        " ORDER BY seq LIMIT $2"
    ))
    .bind(after_seq)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(AuditEntry {
                leaf: AuditLeaf {
                    seq: row.try_get(0)?,
                    occurred_at: row.try_get(1)?,
                    actor: row.try_get(2)?,
                    daycare_id: row.try_get(3)?,
                    action: row.try_get(4)?,
                    subject: row.try_get(5)?,
                    referral_ids: row.try_get(6)?,
                    reason: row.try_get(7)?,
                },
                prev_hash: row.try_get(8)?,
                entry_hash: row.try_get(9)?,
            })
        })
        .collect()
}
