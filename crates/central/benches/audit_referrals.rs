//! Benchmarks of the central service, part 2 (issue 4): `cargo bench -p placeforte-central
//! --bench audit_referrals`. Prints medians; not run by the test command.
//!
//! 1. Referral ordering: the referral engine (`plan_referrals`: date checks, eligibility,
//!    regulated order with the quota, rank reasons) for one vacancy of a daycare chosen by
//!    5,000 registrations.
//! 2. `audit verify` over 1,000,000 entries (set `PLACEFORTE_BENCH_AUDIT_ENTRIES` to change),
//!    with a signed checkpoint every 1,000 entries, on a SQLite file (and on PostgreSQL when
//!    `PLACEFORTE_TEST_POSTGRES_URL` is set).

use std::time::{Duration, Instant};

use chrono::{NaiveDate, Utc};
use placeforte_central::audit::{self, AuditEntry, CheckpointSigner, GENESIS_HASH};
use placeforte_central::referrals::plan_referrals;
use placeforte_central::store::{AuditEvent, CandidateRecord, Storage, VacancyRecord};
use placeforte_central::{PostgresStore, SqliteStore};
use placeforte_domain::{AgeClass, CategoryFacts, PriorityBasis, QUEBEC_2025};
use placeforte_protocol::{DaycareId, DeviceId, RegistrationId, VacancyId};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    referral_ordering();
    let entries: i64 = std::env::var("PLACEFORTE_BENCH_AUDIT_ENTRIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("bench.db").display());
        let store = SqliteStore::open(&url).await.expect("SQLite");
        audit_verify("SQLite", &store, entries, |batch| {
            let store = store.clone();
            async move { insert_sqlite(&store, &batch).await }
        })
        .await;
        if let Some(url) = std::env::var("PLACEFORTE_TEST_POSTGRES_URL")
            .ok()
            .filter(|u| !u.is_empty())
        {
            let store = PostgresStore::connect(&url).await.expect("PostgreSQL");
            audit_verify("PostgreSQL", &store, entries, |batch| {
                let store = store.clone();
                async move { insert_postgres(&store, &batch).await }
            })
            .await;
        }
    });
}

fn referral_ordering() {
    let now = Utc::now();
    let today = now.date_naive();
    let start = today + chrono::Duration::days(30);
    let candidates: Vec<CandidateRecord> = (0..5_000u32)
        .map(|i| {
            let birth = today - chrono::Duration::days(560 + i64::from(i % 600));
            CandidateRecord {
                registration_id: RegistrationId::random(),
                birth_date: birth,
                desired_entry_date: today - chrono::Duration::days(i64::from(i % 400)),
                registered_on: birth + chrono::Duration::days(30),
                facts: CategoryFacts {
                    staff_member_child: i % 97 == 0,
                    same_address_as_admitted_child: i % 13 == 0,
                    already_in_subsidized_care: i % 3 == 0,
                },
                priority: PriorityBasis {
                    special_needs: i % 41 == 0,
                    socio_economic_precarity: i % 17 == 0,
                    parent_in_education: i % 29 == 0,
                },
            }
        })
        .collect();
    let vacancy = VacancyRecord {
        id: VacancyId::random(),
        daycare_id: DaycareId::random(),
        age_class: AgeClass::From18MonthsTo4Years,
        places: 10,
        start_date: start,
        group_label: None,
        declared_at: now,
        declared_by: DeviceId::random(),
    };
    let mut samples = Vec::new();
    let mut referred = 0;
    for _ in 0..31 {
        let input = candidates.clone();
        let started = Instant::now();
        referred = plan_referrals(&vacancy, input, now, &QUEBEC_2025)
            .expect("rank reasons encode")
            .len();
        samples.push(started.elapsed());
    }
    println!(
        "referral ordering, 5,000 registrations, 10 places: median {:.2} ms ({referred} referred)",
        median(samples).as_secs_f64() * 1e3
    );
}

async fn audit_verify<S, F, Fut>(backend: &str, store: &S, entries: i64, insert: F)
where
    S: Storage,
    F: Fn(Vec<AuditEntry>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let signer = CheckpointSigner::ephemeral().expect("key");
    let at = NaiveDate::from_ymd_opt(2026, 6, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("date")
        .and_utc();
    let started = Instant::now();
    let mut prev = GENESIS_HASH.to_vec();
    let mut batch = Vec::new();
    let mut checkpoints = Vec::new();
    for seq in 0..entries {
        let mut event = AuditEvent::new(
            at + chrono::Duration::milliseconds(seq),
            format!(
                "device:{}",
                uuid::Uuid::from_u128(u128::from(seq.unsigned_abs() % 3_000))
            ),
            "referrals.synced",
            "referrals:3".to_owned(),
        );
        event.referral_ids = vec![placeforte_protocol::ReferralId::random(); 3];
        let entry = AuditEntry::chain(&event, seq, &prev);
        prev.clone_from(&entry.entry_hash);
        if entry.seq % 1_000 == 0 {
            checkpoints.push(signer.sign(entry.seq, &entry.entry_hash, at));
        }
        batch.push(entry);
        if batch.len() == 3_000 {
            insert(std::mem::take(&mut batch)).await;
        }
    }
    insert(batch).await;
    for checkpoint in &checkpoints {
        store
            .add_audit_checkpoint(checkpoint)
            .await
            .expect("checkpoint");
    }
    println!(
        "{backend}: wrote {entries} audit entries in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let mut samples = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let report = audit::verify(store, signer.public_key())
            .await
            .expect("verify");
        samples.push(started.elapsed());
        assert_eq!(report.first_bad, None);
        assert_eq!(report.entries, entries);
    }
    println!(
        "{backend}: audit verify, {entries} entries, {} checkpoints: median {:.2} s",
        checkpoints.len(),
        median(samples).as_secs_f64()
    );
}

macro_rules! bulk_insert {
    ($name:ident, $store:ty, $db:ty) => {
        async fn $name(store: &$store, batch: &[AuditEntry]) {
            for chunk in batch.chunks(3_000) {
                let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                    "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
                    " referral_ids, reason, prev_hash, entry_hash) "
                ));
                insert.push_values(chunk, |mut row, e| {
                    row.push_bind(e.seq)
                        .push_bind(e.occurred_at.as_str())
                        .push_bind(e.actor.as_str())
                        .push_bind(e.daycare_id.as_str())
                        .push_bind(e.action.as_str())
                        .push_bind(e.subject.as_str())
                        .push_bind(e.referral_ids.as_str())
                        .push_bind(e.reason.as_str())
                        .push_bind(e.prev_hash.as_slice())
                        .push_bind(e.entry_hash.as_slice());
                });
                insert.build().execute(store.pool()).await.expect("insert");
            }
        }
    };
}
bulk_insert!(insert_sqlite, SqliteStore, sqlx::Sqlite);
bulk_insert!(insert_postgres, PostgresStore, sqlx::Postgres);
