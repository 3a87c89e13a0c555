//! `placeforte-central migrate` as the schema owner, then the service under a PostgreSQL role
//! that cannot run DDL, opening the store with `Schema::RequireCurrent`; and a service that
//! refuses to start on a schema that is not current.
#![allow(clippy::unwrap_used)]

mod common;

use std::process::Command;
use std::str::FromStr;

use chrono::Utc;
use placeforte_central::store::{AuditEvent, Schema, Storage, StoreError};
use placeforte_central::{PostgresStore, SqliteStore};
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;

const BIN: &str = env!("CARGO_BIN_EXE_placeforte-central");

fn central(data_dir: &std::path::Path, database_url: &str, args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("USER", "migrate-test")
        .env("RUST_LOG", "warn")
        .env("PLACEFORTE_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .output()
        .unwrap()
}

#[tokio::test]
async fn serve_refuses_a_schema_that_is_not_current() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("central.db").display());
    let output = central(dir.path(), &url, &["serve", "--require-current-schema"]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("not current (migration 1)")
            && message.contains("placeforte-central migrate"),
        "{message}"
    );
    // Once migrated, the same check passes (and changes nothing).
    let output = central(dir.path(), &url, &["migrate"]);
    assert!(output.status.success(), "{output:?}");
    SqliteStore::open_with(&url, Schema::RequireCurrent)
        .await
        .unwrap();
    // SQLite has no roles to grant.
    let output = central(
        dir.path(),
        &url,
        &["migrate", "--grant-service-role", "svc"],
    );
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("needs PostgreSQL"));
}

#[tokio::test]
async fn the_service_runs_under_a_role_that_cannot_change_the_schema() {
    let Ok(url) = std::env::var(common::POSTGRES_URL_VAR) else {
        eprintln!("skipped: {} is not set", common::POSTGRES_URL_VAR);
        return;
    };
    let schema = format!("m_{}", uuid::Uuid::new_v4().simple());
    let role = format!("svc_{schema}");
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    sqlx::raw_sql(&format!("CREATE SCHEMA {schema}; CREATE ROLE {role} LOGIN"))
        .execute(&mut admin)
        .await
        .unwrap();
    let owner = PgConnectOptions::from_str(&url)
        .unwrap()
        .options([("search_path", schema.as_str())]);
    let service = owner.clone().username(&role);

    // Before any migration, even the owner may not start in check-only mode.
    let refused = PostgresStore::connect_with_schema(owner.clone(), Schema::RequireCurrent).await;
    assert!(
        matches!(refused, Err(StoreError::SchemaNotCurrent(1))),
        "{refused:?}"
    );

    // The operator's step, through the binary, as the owner.
    let dir = tempfile::tempdir().unwrap();
    let owner_url = format!("{url}?options=-c%20search_path%3D{schema}");
    let output = central(
        dir.path(),
        &owner_url,
        &["migrate", "--grant-service-role", &role],
    );
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("database migrated"), "{stdout}");
    assert!(
        stdout.contains(&format!("granted the tables to {role}")),
        "{stdout}"
    );

    // The service's role cannot migrate nor create anything...
    let ddl = PostgresStore::connect_with_schema(service.clone(), Schema::Migrate).await;
    assert!(ddl.is_err(), "the restricted role ran the migrator");
    let mut as_service = sqlx::PgConnection::connect_with(&service).await.unwrap();
    let create = sqlx::raw_sql("CREATE TABLE intruder (x int)")
        .execute(&mut as_service)
        .await;
    assert!(create.is_err(), "the restricted role created a table");
    // ... but starts in check-only mode and does the service's work, audited.
    let store = PostgresStore::connect_with_schema(service, Schema::RequireCurrent)
        .await
        .unwrap()
        .with_log_signer(common::test_log_signer());
    let before = store.audit_entry_count().await.unwrap();
    store
        .record_event(&AuditEvent::new(
            Utc::now(),
            "operator:test".to_owned(),
            "test.restricted_role",
            "none".to_owned(),
        ))
        .await
        .unwrap();
    assert_eq!(store.audit_entry_count().await.unwrap(), before + 1);
    // A migration this build knows but the database lacks: refused again.
    sqlx::raw_sql(&format!(
        "DELETE FROM {schema}._sqlx_migrations WHERE version = (SELECT MAX(version) FROM {schema}._sqlx_migrations)"
    ))
    .execute(&mut admin)
    .await
    .unwrap();
    let stale = PostgresStore::connect_with_schema(owner, Schema::RequireCurrent).await;
    assert!(
        matches!(stale, Err(StoreError::SchemaNotCurrent(_))),
        "{stale:?}"
    );
    store.close().await;
    drop(as_service);
}
