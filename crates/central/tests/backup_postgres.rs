//! The PostgreSQL round trip of docs/operations.md: `pg_dump --format=custom` of a live
//! service's database, `pg_restore` into a new database, and the restored database opened by
//! the service with the same audit log key: the log verifies, the registrations and the
//! entries are all there, and it accepts new audited writes. Runs against the throwaway
//! cluster of `PLACEFORTE_TEST_POSTGRES_URL` (scripts/test.sh sets it), skipped without one.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Command;
use std::str::FromStr as _;
use std::sync::Arc;

use chrono::{Duration, Utc};
use placeforte_central::audit::{self, CheckpointPolicy, VerifyOptions};
use placeforte_central::operator::{self, Operator};
use placeforte_central::seed::{self, SeedOptions};
use placeforte_central::store::{AuditEvent, Storage};
use placeforte_central::PostgresStore;
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;

/// The server binaries, as `scripts/lib/postgres.sh` finds them.
fn pg_bin() -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|p| p.join("pg_dump").exists())
        .collect();
    dirs.sort();
    dirs.pop().expect("pg_dump under /usr/lib/postgresql/*/bin")
}

async fn verify_intact(store: &PostgresStore, log: &placeforte_translog::checkpoint::LogSigner) {
    let options = VerifyOptions {
        log: log.verifier(),
        previous_logs: &[],
        policy: CheckpointPolicy::default(),
        witnesses: &[],
        max_cosigned_age: Duration::hours(1),
        witness_heads: &[],
        now: Utc::now(),
    };
    let report = audit::verify(store, &options).await.unwrap();
    assert!(report.intact(), "{:?}", report.findings);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pg_dump_and_pg_restore_give_a_database_that_verifies_and_serves() {
    let Some(url) = std::env::var("PLACEFORTE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        eprintln!("skipped: PLACEFORTE_TEST_POSTGRES_URL is not set (scripts/test.sh sets it)");
        return;
    };
    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let (source_db, restored_db) = (format!("src_{suffix}"), format!("dst_{suffix}"));
    let mut admin = sqlx::PgConnection::connect(&url).await.unwrap();
    for db in [&source_db, &restored_db] {
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    let base = PgConnectOptions::from_str(&url).unwrap();
    let log = Arc::new(audit::ephemeral_log_signer("placeforte.test/audit").unwrap());
    let source = PostgresStore::connect_with(base.clone().database(&source_db))
        .await
        .unwrap()
        .with_log_signer(Arc::clone(&log));
    let now = Utc::now();
    let event = AuditEvent::new(
        now,
        "operator:test".into(),
        "synthetic_data.seeded",
        "seed:3".into(),
    );
    let options = SeedOptions {
        registrations: 200,
        daycares: 4,
        honeytokens: 1,
        seed: 3,
        as_of: now.date_naive(),
    };
    seed::seed(&source, event, &options).await.unwrap();
    let operator = Operator("test".into());
    operator::add_daycare(
        &source,
        &operator,
        now,
        "CPE Les Lucioles",
        "Estrie",
        [5, 10, 5, 0],
    )
    .await
    .unwrap();
    audit::checkpoint_if_due(&source, &log, CheckpointPolicy::default(), now, true)
        .await
        .unwrap();
    let entries = source.audit_entry_count().await.unwrap();
    let registrations = source.registration_count().await.unwrap();

    // The dump is taken while the source pool is open (pg_dump reads one snapshot).
    let dump = tempfile::tempdir().unwrap();
    let file = dump.path().join("central.dump");
    let source_url = url.rsplit_once('/').unwrap().0.to_owned();
    let status = Command::new(pg_bin().join("pg_dump"))
        .args(["--format=custom", "--no-owner", "--file"])
        .arg(&file)
        .arg(format!("{source_url}/{source_db}"))
        .status()
        .unwrap();
    assert!(status.success(), "pg_dump failed");
    let status = Command::new(pg_bin().join("pg_restore"))
        .args(["--no-owner", "--exit-on-error", "--dbname"])
        .arg(format!("{source_url}/{restored_db}"))
        .arg(&file)
        .status()
        .unwrap();
    assert!(status.success(), "pg_restore failed");
    source.close().await;

    let restored = PostgresStore::connect_with(base.database(&restored_db))
        .await
        .unwrap()
        .with_log_signer(Arc::clone(&log));
    assert_eq!(restored.audit_entry_count().await.unwrap(), entries);
    assert_eq!(restored.registration_count().await.unwrap(), registrations);
    verify_intact(&restored, &log).await;
    // It serves: a new audited write on the restored head, and the log still verifies.
    operator::add_daycare(
        &restored,
        &operator,
        Utc::now(),
        "CPE Le Nid",
        "Laval",
        [5, 10, 5, 0],
    )
    .await
    .unwrap();
    assert_eq!(restored.audit_entry_count().await.unwrap(), entries + 1);
    verify_intact(&restored, &log).await;
    restored.close().await;
    for db in [&source_db, &restored_db] {
        sqlx::query(&format!("DROP DATABASE {db} WITH (FORCE)"))
            .execute(&mut admin)
            .await
            .unwrap();
    }
}
