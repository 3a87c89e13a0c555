//! Benchmarks of the central service, part 2 (issues 4 and 13): `cargo bench -p
//! placeforte-central --bench audit_referrals`. Prints medians; not run by the test command.
//! Every part runs on a SQLite file, and on PostgreSQL too when `PLACEFORTE_TEST_POSTGRES_URL`
//! is set (each database in a fresh schema, dropped at the end). `PLACEFORTE_BENCH_ONLY=
//! referrals|append|log` runs one part only.
//!
//! 1. Referral ordering: the referral engine (`plan_referrals`: date checks, eligibility,
//!    regulated order with the quota, rank reasons) for one vacancy of a daycare chosen by
//!    5,000 registrations.
//! 2. The append cost per audited request: `PLACEFORTE_BENCH_AUDIT_APPENDS` (2,000) sequential
//!    `record_event` calls on a store with the log key (the real path: one transaction with
//!    the entry, the tree's new stored hashes and a newly signed head), against as many appends
//!    done the way the former hash chain did them, on a fresh database of the same backend.
//!    The latter is a replica of the former code path (`insert_event` before issue 13) in raw
//!    sqlx, kept here only as the yardstick. Three rounds of each, alternating.
//! 3. The tree of `PLACEFORTE_BENCH_AUDIT_ENTRIES` (1,000,000) entries, bulk-inserted with its
//!    stored hashes, a checkpoint signed every 1,000 entries and the signed head:
//!    - `audit verify` over it, 3 runs;
//!    - inclusion proofs of 100 random entries, made from the stored hashes and checked, as
//!      the access report does;
//!    - 50 rounds of one append, a checkpoint and its submission to a real `placeforte-witness`
//!      process (built by `cargo build -p placeforte-witness`; skipped when not found),
//!      consistency proof and cosignature checked.

use std::future::Future;
use std::io::{BufRead as _, BufReader};
use std::path::PathBuf;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_central::audit::witnessing::{self, WitnessEndpoint, WitnessOutcome};
use placeforte_central::audit::{self, legacy, AuditEntry, CheckpointPolicy, VerifyOptions};
use placeforte_central::referrals::plan_referrals;
use placeforte_central::store::{
    AuditEvent, CandidateRecord, Storage, TreeCheckpointRecord, VacancyRecord,
};
use placeforte_central::{PostgresStore, SqliteStore};
use placeforte_domain::{AgeClass, CategoryFacts, PriorityBasis, QUEBEC_2025};
use placeforte_protocol::{DaycareId, DeviceId, ReferralId, RegistrationId, VacancyId};
use placeforte_translog::checkpoint::{LogSigner, TreeHead};
use placeforte_translog::tree::{self, Frontier};
use placeforte_translog::Hash;
use sqlx::Connection as _;

const POSTGRES_URL_VAR: &str = "PLACEFORTE_TEST_POSTGRES_URL";
const CHECKPOINT_EVERY: i64 = 1_000;
const APPEND_ROUNDS: usize = 3;
const PROOFS: usize = 100;
const WITNESS_ROUNDS: usize = 50;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn percentile(mut samples: Vec<Duration>, per_cent: usize) -> Duration {
    samples.sort();
    let rank = (samples.len() * per_cent).div_ceil(100).max(1);
    samples[rank - 1]
}

fn ms(d: Duration) -> String {
    format!("{:.3} ms", d.as_secs_f64() * 1e3)
}

fn env_number(name: &str, default: i64) -> i64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let only = std::env::var("PLACEFORTE_BENCH_ONLY").unwrap_or_default();
    let runs = |part: &str| only.is_empty() || only == part;
    if runs("referrals") {
        referral_ordering();
    }
    let appends = env_number("PLACEFORTE_BENCH_AUDIT_APPENDS", 2_000);
    let entries = env_number("PLACEFORTE_BENCH_AUDIT_ENTRIES", 1_000_000);
    let postgres = std::env::var(POSTGRES_URL_VAR)
        .ok()
        .filter(|u| !u.is_empty());
    if postgres.is_none() {
        println!("PostgreSQL: skipped ({POSTGRES_URL_VAR} is not set)");
    }
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    runtime.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        if runs("append") {
            let tree = sqlite(&dir, "append-tree.db").await;
            let chain = sqlite(&dir, "append-chain.db").await;
            append_cost(tree, &chain, appends).await;
            if let Some(url) = &postgres {
                let (tree, tree_schema) = fresh_postgres(url).await;
                let (chain, chain_schema) = fresh_postgres(url).await;
                append_cost(tree.clone(), &chain, appends).await;
                drop_postgres(url, &tree, &tree_schema).await;
                drop_postgres(url, &chain, &chain_schema).await;
            }
        }
        if runs("log") {
            let store = sqlite(&dir, "log.db").await;
            large_log(store, entries, dir.path()).await;
            if let Some(url) = &postgres {
                let (store, schema) = fresh_postgres(url).await;
                large_log(store.clone(), entries, dir.path()).await;
                drop_postgres(url, &store, &schema).await;
            }
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
                    ..PriorityBasis::NONE
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

/// A typical audited request's event: a device's sync naming three referrals.
fn event(seq: i64, at: DateTime<Utc>) -> AuditEvent {
    let mut event = AuditEvent::new(
        at + chrono::Duration::milliseconds(seq),
        format!(
            "device:{}",
            uuid::Uuid::from_u128(u128::from(seq.unsigned_abs() % 3_000))
        ),
        "referrals.synced",
        "referrals:3".to_owned(),
    );
    event.referral_ids = vec![ReferralId::random(); 3];
    event
}

fn bench_start() -> DateTime<Utc> {
    NaiveDate::from_ymd_opt(2026, 6, 1)
        .and_then(|d| d.and_hms_opt(9, 0, 0))
        .expect("date")
        .and_utc()
}

fn log_signer(origin: &str) -> Arc<LogSigner> {
    Arc::new(audit::ephemeral_log_signer(origin).expect("log key"))
}

/// A backend under benchmark: the store, plus the raw writes the set-up and the former chain's
/// replica need.
trait Backend: Storage + Clone + Sync + 'static {
    const NAME: &'static str;

    /// This store appending with `log`.
    fn with_log(self, log: Arc<LogSigner>) -> Self;

    /// One append as the former hash chain made it, in its own transaction (a replica of the
    /// former `store::audit::insert_event`): lock the head row, read the chain's tip, insert the
    /// entry chained onto it.
    fn chain_append(&self, event: &AuditEvent) -> impl Future<Output = ()> + Send;

    /// Entries and their stored tree hashes, in one transaction.
    fn bulk_insert(
        &self,
        entries: &[AuditEntry],
        hashes: &[(u64, Hash)],
    ) -> impl Future<Output = ()> + Send;

    /// Checkpoints, in one transaction.
    fn insert_checkpoints(
        &self,
        checkpoints: &[TreeCheckpointRecord],
    ) -> impl Future<Output = ()> + Send;

    /// Sets the tree's size and signed head.
    fn set_head(&self, size: i64, note: &str) -> impl Future<Output = ()> + Send;
}

async fn sqlite(dir: &tempfile::TempDir, name: &str) -> SqliteStore {
    let url = format!("sqlite:{}", dir.path().join(name).display());
    SqliteStore::open(&url).await.expect("SQLite")
}

/// A PostgreSQL store in a schema of its own, and the schema's name.
async fn fresh_postgres(url: &str) -> (PostgresStore, String) {
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("create schema");
    admin.close().await.expect("close");
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("URL")
        .options([("search_path", schema.as_str())]);
    let store = PostgresStore::connect_with(options)
        .await
        .expect("PostgreSQL store");
    (store, schema)
}

async fn drop_postgres(url: &str, store: &PostgresStore, schema: &str) {
    store.close().await;
    let mut admin = sqlx::PgConnection::connect(url)
        .await
        .expect("connect to PostgreSQL");
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&mut admin)
        .await
        .expect("drop schema");
    admin.close().await.expect("close");
}

macro_rules! backend {
    ($store:ty, $db:ty, $name:literal) => {
        impl Backend for $store {
            const NAME: &'static str = $name;

            fn with_log(self, log: Arc<LogSigner>) -> Self {
                self.with_log_signer(log)
            }

            async fn chain_append(&self, event: &AuditEvent) {
                let pool = self.pool();
                let mut tx = pool.begin().await.expect("begin");
                sqlx::query("UPDATE audit_head SET appends = appends + 1 WHERE id = 1")
                    .execute(&mut *tx)
                    .await
                    .expect("lock the head");
                let tip: Option<(i64, Vec<u8>)> = sqlx::query_as(
                    "SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                )
                .fetch_optional(&mut *tx)
                .await
                .expect("tip");
                let (prev_seq, prev_hash) = tip.unwrap_or((0, legacy::GENESIS_HASH.to_vec()));
                let entry = legacy::chain(event, prev_seq, &prev_hash);
                let leaf = &entry.leaf;
                sqlx::query(concat!(
                    "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
                    " referral_ids, reason, prev_hash, entry_hash)",
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
                ))
                .bind(leaf.seq)
                .bind(leaf.occurred_at.as_str())
                .bind(leaf.actor.as_str())
                .bind(leaf.daycare_id.as_str())
                .bind(leaf.action.as_str())
                .bind(leaf.subject.as_str())
                .bind(leaf.referral_ids.as_str())
                .bind(leaf.reason.as_str())
                .bind(entry.prev_hash.as_slice())
                .bind(entry.entry_hash.as_slice())
                .execute(&mut *tx)
                .await
                .expect("insert");
                tx.commit().await.expect("commit");
            }

            async fn bulk_insert(&self, entries: &[AuditEntry], hashes: &[(u64, Hash)]) {
                let pool = self.pool();
                let mut tx = pool.begin().await.expect("begin");
                for chunk in entries.chunks(3_000) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(concat!(
                        "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action,",
                        " subject, referral_ids, reason, prev_hash, entry_hash) "
                    ));
                    insert.push_values(chunk, |mut row, e| {
                        row.push_bind(e.leaf.seq)
                            .push_bind(e.leaf.occurred_at.as_str())
                            .push_bind(e.leaf.actor.as_str())
                            .push_bind(e.leaf.daycare_id.as_str())
                            .push_bind(e.leaf.action.as_str())
                            .push_bind(e.leaf.subject.as_str())
                            .push_bind(e.leaf.referral_ids.as_str())
                            .push_bind(e.leaf.reason.as_str())
                            .push_bind(e.prev_hash.as_slice())
                            .push_bind(e.entry_hash.as_slice());
                    });
                    insert
                        .build()
                        .execute(&mut *tx)
                        .await
                        .expect("insert entries");
                }
                for chunk in hashes.chunks(10_000) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_tree_hashes (idx, hash) ",
                    );
                    insert.push_values(chunk, |mut row, (index, hash)| {
                        row.push_bind(i64::try_from(*index).expect("index"))
                            .push_bind(hash.0.to_vec());
                    });
                    insert
                        .build()
                        .execute(&mut *tx)
                        .await
                        .expect("insert hashes");
                }
                tx.commit().await.expect("commit");
            }

            async fn insert_checkpoints(&self, checkpoints: &[TreeCheckpointRecord]) {
                let pool = self.pool();
                let mut tx = pool.begin().await.expect("begin");
                for chunk in checkpoints.chunks(1_000) {
                    let mut insert = sqlx::QueryBuilder::<$db>::new(
                        "INSERT INTO audit_tree_checkpoints (size, signed_at, note) ",
                    );
                    insert.push_values(chunk, |mut row, c| {
                        row.push_bind(c.size)
                            .push_bind(c.signed_at.as_str())
                            .push_bind(c.note.as_str());
                    });
                    insert
                        .build()
                        .execute(&mut *tx)
                        .await
                        .expect("insert checkpoints");
                }
                tx.commit().await.expect("commit");
            }

            async fn set_head(&self, size: i64, note: &str) {
                sqlx::query("UPDATE audit_head SET tree_size = $1, signed_head = $2 WHERE id = 1")
                    .bind(size)
                    .bind(note)
                    .execute(self.pool())
                    .await
                    .expect("set the head");
            }
        }
    };
}
backend!(SqliteStore, sqlx::Sqlite, "SQLite");
backend!(PostgresStore, sqlx::Postgres, "PostgreSQL");

/// Per-append times of `appends` sequential appends through `append`.
async fn timed_appends<F, Fut>(appends: i64, mut append: F) -> Vec<Duration>
where
    F: FnMut(AuditEvent) -> Fut,
    Fut: Future<Output = ()>,
{
    let at = Utc::now();
    let mut samples = Vec::new();
    for seq in 0..appends {
        let event = event(seq, at);
        let started = Instant::now();
        append(event).await;
        samples.push(started.elapsed());
    }
    samples
}

/// Part 2: the tree's append path against the former chain's, on two fresh databases.
async fn append_cost<B: Backend>(tree: B, chain: &B, appends: i64) {
    let tree = tree.with_log(log_signer("placeforte.bench/append"));
    let mut tree_rounds = Vec::new();
    let mut chain_rounds = Vec::new();
    let mut tree_all = Vec::new();
    let mut chain_all = Vec::new();
    let appends = appends.max(1);
    let per_append = |samples: &[Duration]| {
        samples.iter().sum::<Duration>() / u32::try_from(samples.len()).expect("appends")
    };
    for _ in 0..APPEND_ROUNDS {
        let samples = timed_appends(appends, |event| {
            let tree = tree.clone();
            async move { tree.record_event(&event).await.expect("append") }
        })
        .await;
        tree_rounds.push(per_append(&samples));
        tree_all.extend(samples);
        let samples = timed_appends(appends, |event| async move {
            chain.chain_append(&event).await;
        })
        .await;
        chain_rounds.push(per_append(&samples));
        chain_all.extend(samples);
    }
    let state = tree.audit_head_state().await.expect("head");
    assert_eq!(
        state.tree_size,
        appends * i64::try_from(APPEND_ROUNDS).expect("rounds")
    );
    let ratios: Vec<f64> = tree_rounds
        .iter()
        .zip(&chain_rounds)
        .map(|(t, c)| t.as_secs_f64() / c.as_secs_f64())
        .collect();
    let list = |rounds: &[Duration]| {
        rounds
            .iter()
            .map(|d| format!("{:.0}", d.as_secs_f64() * 1e6))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut sorted = ratios.clone();
    sorted.sort_by(f64::total_cmp);
    println!(
        "{}: append, {appends} sequential appends x {APPEND_ROUNDS} rounds (alternating):",
        B::NAME
    );
    println!(
        "  tree (record_event): median of round means {:.0} us/append (rounds {} us); per append p50 {:.0} us, p99 {:.0} us",
        median(tree_rounds.clone()).as_secs_f64() * 1e6,
        list(&tree_rounds),
        median(tree_all.clone()).as_secs_f64() * 1e6,
        percentile(tree_all, 99).as_secs_f64() * 1e6,
    );
    println!(
        "  former chain (replica): median of round means {:.0} us/append (rounds {} us); per append p50 {:.0} us, p99 {:.0} us",
        median(chain_rounds.clone()).as_secs_f64() * 1e6,
        list(&chain_rounds),
        median(chain_all.clone()).as_secs_f64() * 1e6,
        percentile(chain_all, 99).as_secs_f64() * 1e6,
    );
    println!(
        "  ratio tree/chain: median {:.2} (rounds {})",
        sorted[sorted.len() / 2],
        ratios
            .iter()
            .map(|r| format!("{r:.2}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
}

/// Part 3: the large log, then verify, proofs and witness rounds on it.
async fn large_log<B: Backend>(store: B, entries: i64, dir: &std::path::Path) {
    let origin = format!("placeforte.bench/{}", B::NAME.to_lowercase());
    let log = log_signer(&origin);
    let store = store.with_log(Arc::clone(&log));
    let at = bench_start();
    let started = Instant::now();
    let head = write_log(&store, &log, entries, at).await;
    println!(
        "{}: wrote {entries} audit entries with their tree hashes and {} checkpoints in {:.1} s",
        B::NAME,
        entries / CHECKPOINT_EVERY,
        started.elapsed().as_secs_f64()
    );
    let now = at + chrono::Duration::milliseconds(entries) + chrono::Duration::seconds(1);
    let options = VerifyOptions {
        previous_logs: &[],
        log: log.verifier(),
        policy: CheckpointPolicy::default(),
        witnesses: &[],
        max_cosigned_age: chrono::Duration::days(1),
        witness_heads: &[],
        now,
    };
    let mut samples = Vec::new();
    let mut checkpoints = 0;
    for _ in 0..3 {
        let started = Instant::now();
        let report = audit::verify(&store, &options).await.expect("verify");
        samples.push(started.elapsed());
        assert!(report.findings.is_empty(), "{:?}", report.findings);
        assert_eq!(report.entries, entries);
        checkpoints = report.checkpoints;
    }
    println!(
        "{}: audit verify, {entries} entries, {checkpoints} checkpoints: median {:.2} s (runs {})",
        B::NAME,
        median(samples.clone()).as_secs_f64(),
        samples
            .iter()
            .map(|d| format!("{:.2}", d.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    inclusion_proofs(&store, head).await;
    witness_rounds(&store, &log, dir).await;
}

/// Bulk-inserts `entries` entries, their stored hashes, a checkpoint every
/// [`CHECKPOINT_EVERY`] entries and the signed head; returns the head.
async fn write_log<B: Backend>(
    store: &B,
    log: &LogSigner,
    entries: i64,
    at: DateTime<Utc>,
) -> TreeHead {
    let mut frontier = Frontier::empty();
    let mut batch = Vec::new();
    let mut hashes = Vec::new();
    let mut checkpoints = Vec::new();
    for seq in 1..=entries {
        let entry = AuditEntry::for_event(&event(seq, at), seq);
        hashes.extend(frontier.append(entry.leaf.hash()));
        if seq % CHECKPOINT_EVERY == 0 {
            checkpoints.push(TreeCheckpointRecord {
                size: seq,
                signed_at: entry.leaf.occurred_at.clone(),
                note: log.sign(frontier.head()).expect("sign"),
            });
        }
        batch.push(entry);
        if batch.len() == 30_000 {
            store.bulk_insert(&batch, &hashes).await;
            batch.clear();
            hashes.clear();
        }
    }
    store.bulk_insert(&batch, &hashes).await;
    store.insert_checkpoints(&checkpoints).await;
    let head = frontier.head();
    store
        .set_head(entries, &log.sign(head).expect("sign"))
        .await;
    head
}

/// Inclusion proofs of random entries, made and checked as the access report does; the entries
/// themselves are read beforehand (the report has them from its own query).
async fn inclusion_proofs<B: Backend>(store: &B, head: TreeHead) {
    let mut state = 0x9e37_79b9_7f4a_7c15_u64;
    let mut next = || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut picked = Vec::new();
    for _ in 0..PROOFS {
        let index = next() % head.size;
        let seq = i64::try_from(index).expect("index");
        let entry = store
            .audit_entries(seq, 1)
            .await
            .expect("entry")
            .pop()
            .expect("the entry");
        picked.push((index, entry));
    }
    let mut samples = Vec::new();
    for (index, entry) in &picked {
        let started = Instant::now();
        let hashes = store
            .audit_tree_hashes(&tree::inclusion_proof_indexes(head.size, *index))
            .await
            .expect("hashes");
        let proof = tree::inclusion_proof(head.size, *index, &hashes).expect("proof");
        tree::check_inclusion(&proof, head, *index, entry.leaf.hash()).expect("included");
        samples.push(started.elapsed());
    }
    println!(
        "{}: inclusion proof in a tree of {} entries, {PROOFS} random entries: median {}, p99 {}",
        B::NAME,
        head.size,
        ms(median(samples.clone())),
        ms(percentile(samples, 99))
    );
}

/// The witness binary: next to this bench's directory, or under `CARGO_TARGET_DIR`.
fn witness_binary() -> Option<PathBuf> {
    let name = "placeforte-witness";
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // target/<profile>/deps/audit_referrals-… → target/<profile>/
        if let Some(profile) = exe.parent().and_then(|deps| deps.parent()) {
            candidates.push(profile.join(name));
            if let Some(target) = profile.parent() {
                candidates.push(target.join("release").join(name));
                candidates.push(target.join("debug").join(name));
            }
        }
    }
    if let Ok(target) = std::env::var("CARGO_TARGET_DIR") {
        let target = PathBuf::from(target);
        candidates.push(target.join("release").join(name));
        candidates.push(target.join("debug").join(name));
    }
    candidates.into_iter().find(|path| path.is_file())
}

/// A running witness; killed when dropped.
struct WitnessProcess {
    child: Child,
    url: String,
    /// Kept open: the witness must not get a broken pipe.
    _stdout: BufReader<ChildStdout>,
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_witness(
    binary: &std::path::Path,
    dir: &std::path::Path,
    log: &LogSigner,
) -> (WitnessProcess, PathBuf) {
    let init = Command::new(binary)
        .args(["init", "--dir"])
        .arg(dir)
        .args(["--name", "witness.bench/w1"])
        .output()
        .expect("placeforte-witness init");
    assert!(
        init.status.success(),
        "witness init: {}",
        String::from_utf8_lossy(&init.stderr)
    );
    let log_key = dir.join("log.vkey");
    std::fs::write(&log_key, format!("{}\n", log.verifier_key())).expect("log verifier key");
    let mut child = Command::new(binary)
        .args(["serve", "--dir"])
        .arg(dir)
        .args(["--listen", "127.0.0.1:0", "--log-key"])
        .arg(&log_key)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn the witness");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("the listening line");
    let addr = line
        .trim_end()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (
        WitnessProcess {
            child,
            url: format!("http://{addr}"),
            _stdout: stdout,
        },
        dir.join("witness.vkey"),
    )
}

/// Rounds of one append, a forced checkpoint and its submission to a real witness.
async fn witness_rounds<B: Backend>(store: &B, log: &LogSigner, dir: &std::path::Path) {
    let Some(binary) = witness_binary() else {
        println!(
            "{}: witness round trip skipped: build placeforte-witness first (cargo build -p placeforte-witness)",
            B::NAME
        );
        return;
    };
    let witness_dir = dir.join(format!("witness-{}", B::NAME.to_lowercase()));
    let (witness, vkey) = start_witness(&binary, &witness_dir, log);
    let endpoint = WitnessEndpoint {
        url: witness.url.clone(),
        verifier: audit::load_witness_verifier(&vkey).expect("witness key"),
    };
    let http = reqwest::Client::new();
    let policy = CheckpointPolicy::default();
    let mut appends = Vec::new();
    let mut checkpoints = Vec::new();
    let mut submits = Vec::new();
    let at = Utc::now();
    // One untimed round first: the witness's first cosignature of this log has no old size.
    for round in 0..=WITNESS_ROUNDS {
        let seq = i64::try_from(round).expect("round");
        let started = Instant::now();
        store.record_event(&event(seq, at)).await.expect("append");
        let appended = Instant::now();
        let head = audit::checkpoint_if_due(store, log, policy, Utc::now(), true)
            .await
            .expect("checkpoint")
            .expect("a checkpoint is due");
        let checkpointed = Instant::now();
        let outcome = witnessing::submit_latest(store, &http, &endpoint, Utc::now())
            .await
            .expect("submit");
        let submitted = Instant::now();
        assert_eq!(
            outcome,
            WitnessOutcome::Cosigned(i64::try_from(head.size).expect("size"))
        );
        if round > 0 {
            appends.push(appended - started);
            checkpoints.push(checkpointed - appended);
            submits.push(submitted - checkpointed);
        }
    }
    println!(
        "{}: witness round trip, {WITNESS_ROUNDS} rounds on the large log: append median {}, checkpoint_if_due median {}, submit_latest (HTTP, consistency proof, cosignature check, kept) median {}, p99 {}",
        B::NAME,
        ms(median(appends)),
        ms(median(checkpoints)),
        ms(median(submits.clone())),
        ms(percentile(submits, 99))
    );
    drop(witness);
}
