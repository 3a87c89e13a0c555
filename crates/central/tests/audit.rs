//! The audit log on both backends: every write appends in its own transaction, the chain and
//! the signed checkpoints catch every kind of tampering, and the service's database role cannot
//! rewrite the log.
#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;
use std::str::FromStr;

use common::Harness;
use placeforte_central::audit::{
    self, AuditEntry, BadEntry, CheckpointPolicy, CheckpointSigner, Problem,
};
use placeforte_central::operator;
use placeforte_central::store::{AuditEvent, PostgresStore, SqliteStore, Storage};

on_both_backends!(
    every_operator_action_and_enrolment_is_chained_and_verifies,
    a_failed_audit_append_fails_the_request_and_writes_nothing,
    concurrent_appends_keep_one_chain,
    the_service_connection_cannot_update_or_delete_audit_rows,
    the_service_role_cannot_update_delete_or_truncate,
    an_edited_entry_is_named,
    a_deleted_entry_is_named,
    reordered_entries_are_named,
    an_inserted_entry_is_named,
    a_rebuilt_chain_is_caught_by_the_signed_checkpoint,
    a_cut_tail_is_caught_by_the_signed_checkpoint,
    a_forged_checkpoint_is_named,
);

/// Direct access to the database, as an attacker with the database's credentials would have.
trait Direct: Storage {
    fn exec(&self, sql: &str) -> impl Future<Output = Result<u64, String>> + Send;
    /// Lifts the append-only triggers (the table owner or the file's holder can).
    fn lift_triggers(&self) -> impl Future<Output = ()> + Send;
    /// A trigger `refuse_appends` that makes every audit insert fail.
    fn refuse_appends_sql(&self) -> &'static str;
    /// Drops that trigger.
    fn accept_appends_sql(&self) -> &'static str;
    /// Inserts a row as given, hashes and all.
    fn insert_raw(&self, entry: &AuditEntry) -> impl Future<Output = ()> + Send;
    /// Tries UPDATE, DELETE and TRUNCATE as the role the service runs as; returns the errors.
    fn rewrite_as_service_role(&self) -> impl Future<Output = Vec<String>> + Send;
}

macro_rules! insert_raw_body {
    ($self:ident, $entry:ident) => {
        sqlx::query(concat!(
            "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
            " referral_ids, reason, prev_hash, entry_hash)",
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind($entry.seq)
        .bind($entry.occurred_at.as_str())
        .bind($entry.actor.as_str())
        .bind($entry.daycare_id.as_str())
        .bind($entry.action.as_str())
        .bind($entry.subject.as_str())
        .bind($entry.referral_ids.as_str())
        .bind($entry.reason.as_str())
        .bind($entry.prev_hash.as_slice())
        .bind($entry.entry_hash.as_slice())
        .execute($self.pool())
        .await
        .unwrap();
    };
}

impl Direct for SqliteStore {
    fn refuse_appends_sql(&self) -> &'static str {
        "CREATE TRIGGER refuse_appends BEFORE INSERT ON audit_log BEGIN SELECT RAISE(ABORT, 'disk full'); END"
    }

    fn accept_appends_sql(&self) -> &'static str {
        "DROP TRIGGER refuse_appends"
    }

    async fn exec(&self, sql: &str) -> Result<u64, String> {
        sqlx::raw_sql(sql)
            .execute(self.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    async fn lift_triggers(&self) {
        for trigger in [
            "audit_log_no_update",
            "audit_log_no_delete",
            "audit_checkpoints_no_update",
            "audit_checkpoints_no_delete",
        ] {
            self.exec(&format!("DROP TRIGGER {trigger}")).await.unwrap();
        }
    }

    async fn insert_raw(&self, entry: &AuditEntry) {
        insert_raw_body!(self, entry);
    }

    async fn rewrite_as_service_role(&self) -> Vec<String> {
        // SQLite has no roles: whoever opens the file through the service meets the triggers.
        let mut errors = Vec::new();
        for sql in [
            "UPDATE audit_log SET action = 'x' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "UPDATE audit_checkpoints SET signed_at = 'x'",
            "DELETE FROM audit_checkpoints",
        ] {
            errors.push(self.exec(sql).await.expect_err(sql));
        }
        errors
    }
}

impl Direct for PostgresStore {
    fn refuse_appends_sql(&self) -> &'static str {
        "CREATE TRIGGER refuse_appends BEFORE INSERT ON audit_log FOR EACH ROW EXECUTE FUNCTION audit_append_only()"
    }

    fn accept_appends_sql(&self) -> &'static str {
        "DROP TRIGGER refuse_appends ON audit_log"
    }

    async fn exec(&self, sql: &str) -> Result<u64, String> {
        sqlx::raw_sql(sql)
            .execute(self.pool())
            .await
            .map(|r| r.rows_affected())
            .map_err(|e| e.to_string())
    }

    async fn lift_triggers(&self) {
        for table in ["audit_log", "audit_checkpoints"] {
            self.exec(&format!("ALTER TABLE {table} DISABLE TRIGGER USER"))
                .await
                .unwrap();
        }
    }

    async fn insert_raw(&self, entry: &AuditEntry) {
        insert_raw_body!(self, entry);
    }

    async fn rewrite_as_service_role(&self) -> Vec<String> {
        let schema: String = sqlx::query_scalar("SELECT current_schema()::text")
            .fetch_one(self.pool())
            .await
            .unwrap();
        let role = format!("svc_{schema}");
        self.exec(&format!("CREATE ROLE {role} LOGIN"))
            .await
            .unwrap();
        self.exec(&format!("SELECT placeforte_grant_service_role('{role}')"))
            .await
            .unwrap();
        // Without the triggers, only the grants stand in the way.
        self.lift_triggers().await;
        let url = std::env::var(common::POSTGRES_URL_VAR).unwrap();
        let options = sqlx::postgres::PgConnectOptions::from_str(&url)
            .unwrap()
            .username(&role)
            .options([("search_path", schema.as_str())]);
        let service = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        // The role does everything the service needs: read and append.
        let count: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM audit_log")
            .fetch_one(&service)
            .await
            .unwrap();
        assert!(count > 0);
        sqlx::query("UPDATE audit_head SET appends = appends + 1 WHERE id = 1")
            .execute(&service)
            .await
            .unwrap();
        let mut errors = Vec::new();
        for sql in [
            "UPDATE audit_log SET action = 'x' WHERE seq = 1",
            "DELETE FROM audit_log WHERE seq = 1",
            "TRUNCATE audit_log",
            "UPDATE audit_checkpoints SET signed_at = 'x'",
            "DELETE FROM audit_checkpoints",
            "TRUNCATE audit_checkpoints",
        ] {
            let error = sqlx::raw_sql(sql).execute(&service).await.expect_err(sql);
            errors.push(error.to_string());
        }
        errors
    }
}

/// Ten entries with a checkpoint signed at entry 6.
async fn ten_entries<S: Storage>(h: &Harness<S>, signer: &CheckpointSigner) {
    let before = h.event_count().await;
    assert!(
        before <= 6,
        "the fixture expects at most 6 entries to start with"
    );
    for i in before..10 {
        if i == 6 {
            sign(h, signer).await;
        }
        operator::record_listing(&h.store, &h.operator, h.now(), "daycares")
            .await
            .unwrap();
    }
    assert_eq!(h.event_count().await, 10);
}

async fn sign<S: Storage>(h: &Harness<S>, signer: &CheckpointSigner) {
    audit::checkpoint_if_due(&h.store, signer, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap()
        .expect("a checkpoint");
}

/// The first bad entry `audit verify` names; the same with pages of 1, 3 and 4 entries, so
/// that every tampering also lands on a page boundary (the verifier reads ahead a page).
async fn first_bad<S: Storage>(h: &Harness<S>, signer: &CheckpointSigner) -> Option<BadEntry> {
    let report = audit::verify(&h.store, signer.public_key()).await.unwrap();
    for page in [1, 3, 4] {
        let paged = audit::verify_in_pages(&h.store, signer.public_key(), page)
            .await
            .unwrap();
        assert_eq!(paged, report, "pages of {page} entries");
    }
    report.first_bad
}

fn bad(seq: i64, problem: Problem) -> Option<BadEntry> {
    Some(BadEntry { seq, problem })
}

async fn every_operator_action_and_enrolment_is_chained_and_verifies<S: Storage>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    let _device = h.enrolled_device().await; // daycare, code, enrolment
    assert_eq!(h.event_count().await, 3);
    let entries = h.store.audit_entries(0, 100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        ["daycare.added", "enrolment_code.issued", "device.enrolled"]
    );
    // Each names the daycare; none carries a name, a phone number or any other personal field.
    assert!(entries.iter().all(|e| !e.daycare_id.is_empty()));
    assert_eq!(entries[0].prev_hash, audit::GENESIS_HASH);
    assert_eq!(entries[1].prev_hash, entries[0].entry_hash);

    sign(&h, &signer).await;
    ten_entries(&h, &signer).await;
    let report = audit::verify(&h.store, signer.public_key()).await.unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 10);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.unsigned_tail, 4);

    // Nothing new: no checkpoint is due; enough new entries: one is.
    let policy = CheckpointPolicy {
        every_entries: 4,
        every: chrono::Duration::hours(1),
    };
    let signed = audit::checkpoint_if_due(&h.store, &signer, policy, h.now(), false)
        .await
        .unwrap();
    assert_eq!(signed.map(|c| c.seq), Some(10));
    let again = audit::checkpoint_if_due(&h.store, &signer, policy, h.now(), true)
        .await
        .unwrap();
    assert_eq!(again, None, "the tip is already signed");
}

async fn a_failed_audit_append_fails_the_request_and_writes_nothing<S: Storage + Direct>(
    h: Harness<S>,
) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let before = h.event_count().await;
    // The audit table refuses every insert from now on.
    h.store.exec(h.store.refuse_appends_sql()).await.unwrap();
    let added = operator::add_daycare(&h.store, &h.operator, h.now(), "X", "Y", [1, 1, 1, 0]).await;
    assert!(
        added.is_err(),
        "the operator action fails with its audit entry"
    );
    let (_key, csr) = common::new_csr();
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 500, "{body}");
    assert_eq!(common::api_error(&body).code, "internal");
    h.store.exec(h.store.accept_appends_sql()).await.unwrap();
    assert_eq!(
        h.store.daycares().await.unwrap().len(),
        1,
        "no daycare added"
    );
    assert_eq!(h.device_count().await, 0, "no device enrolled");
    assert_eq!(h.event_count().await, before);
    // The code was not consumed: the whole transaction rolled back.
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 200, "{body}");
}

async fn concurrent_appends_keep_one_chain<S: Storage>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let store = h.store.clone();
        let op = h.operator.clone();
        let now = h.now();
        tasks.push(tokio::spawn(async move {
            operator::record_listing(&store, &op, now, "devices").await
        }));
    }
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let report = audit::verify(&h.store, signer.public_key()).await.unwrap();
    assert_eq!(report.first_bad, None);
    assert_eq!(report.entries, 16);
}

async fn the_service_connection_cannot_update_or_delete_audit_rows<S: Storage + Direct>(
    h: Harness<S>,
) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    for sql in [
        "UPDATE audit_log SET action = 'x' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "UPDATE audit_checkpoints SET signed_at = 'x'",
        "DELETE FROM audit_checkpoints",
    ] {
        let error = h.store.exec(sql).await.expect_err(sql);
        assert!(error.contains("append-only"), "{sql}: {error}");
    }
    assert_eq!(first_bad(&h, &signer).await, None);
}

async fn the_service_role_cannot_update_delete_or_truncate<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    let errors = h.store.rewrite_as_service_role().await;
    assert!(errors.len() >= 4);
    for error in errors {
        assert!(
            error.contains("append-only") || error.contains("permission denied"),
            "{error}"
        );
    }
    assert_eq!(h.event_count().await, 10);
    assert_eq!(first_bad(&h, &signer).await, None);
}

async fn an_edited_entry_is_named<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    h.store.lift_triggers().await;
    h.store
        .exec("UPDATE audit_log SET subject = 'daycares-of-someone-else' WHERE seq = 4")
        .await
        .unwrap();
    assert_eq!(first_bad(&h, &signer).await, bad(4, Problem::Altered));
}

async fn a_deleted_entry_is_named<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    h.store.lift_triggers().await;
    h.store
        .exec("DELETE FROM audit_log WHERE seq = 5")
        .await
        .unwrap();
    assert_eq!(first_bad(&h, &signer).await, bad(5, Problem::Missing));
}

async fn reordered_entries_are_named<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    h.store.lift_triggers().await;
    for sql in [
        "UPDATE audit_log SET seq = 1000003 WHERE seq = 3",
        "UPDATE audit_log SET seq = 3 WHERE seq = 4",
        "UPDATE audit_log SET seq = 4 WHERE seq = 1000003",
    ] {
        h.store.exec(sql).await.unwrap();
    }
    assert_eq!(first_bad(&h, &signer).await, bad(3, Problem::BrokenLink));
}

async fn an_inserted_entry_is_named<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    h.store.lift_triggers().await;
    let entries = h.store.audit_entries(0, 100).await.unwrap();
    // A row slipped in between 8 and 9 with the fields of a real one: renumber 9.. and insert.
    h.store
        .exec("UPDATE audit_log SET seq = seq + 1000000 WHERE seq >= 9")
        .await
        .unwrap();
    h.store
        .exec("UPDATE audit_log SET seq = seq - 999999 WHERE seq >= 1000000")
        .await
        .unwrap();
    let mut forged = entries[7].clone();
    forged.seq = 9;
    forged.prev_hash = entries[7].entry_hash.clone();
    h.store.insert_raw(&forged).await;
    assert_eq!(first_bad(&h, &signer).await, bad(9, Problem::Altered));

    // Even a forger who hashes correctly breaks the link of the entry after the insertion.
    h.store
        .exec("DELETE FROM audit_log WHERE seq = 9")
        .await
        .unwrap();
    let forged = AuditEntry::chain(
        &AuditEvent::new(
            h.now(),
            "operator:intruder".to_owned(),
            "daycares.listed",
            "x".to_owned(),
        ),
        8,
        &entries[7].entry_hash,
    );
    h.store.insert_raw(&forged).await;
    assert_eq!(first_bad(&h, &signer).await, bad(10, Problem::BrokenLink));
}

async fn a_rebuilt_chain_is_caught_by_the_signed_checkpoint<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    h.store.lift_triggers().await;
    // The intruder edits entry 3 and recomputes every hash after it: the chain is consistent
    // again, but the checkpoint signed at entry 6 names another hash.
    let entries = h.store.audit_entries(0, 100).await.unwrap();
    h.store
        .exec("DELETE FROM audit_log WHERE seq >= 3")
        .await
        .unwrap();
    let mut prev = entries[1].entry_hash.clone();
    for original in &entries[2..] {
        let mut entry = original.clone();
        if entry.seq == 3 {
            entry.subject = "nothing-to-see".to_owned();
        }
        entry.prev_hash = prev.clone();
        entry.entry_hash = audit::entry_hash(&entry).to_vec();
        prev = entry.entry_hash.clone();
        h.store.insert_raw(&entry).await;
    }
    assert_eq!(
        first_bad(&h, &signer).await,
        bad(6, Problem::CheckpointMismatch)
    );
}

async fn a_cut_tail_is_caught_by_the_signed_checkpoint<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    h.store.lift_triggers().await;
    h.store
        .exec("DELETE FROM audit_log WHERE seq >= 5")
        .await
        .unwrap();
    assert_eq!(first_bad(&h, &signer).await, bad(5, Problem::Missing));
}

async fn a_forged_checkpoint_is_named<S: Storage + Direct>(h: Harness<S>) {
    let signer = CheckpointSigner::ephemeral().unwrap();
    ten_entries(&h, &signer).await;
    let intruder = CheckpointSigner::ephemeral().unwrap();
    let (seq, hash) = h.store.audit_tip().await.unwrap().unwrap();
    h.store
        .add_audit_checkpoint(&intruder.sign(seq, &hash, h.now()))
        .await
        .unwrap();
    assert_eq!(first_bad(&h, &signer).await, bad(10, Problem::BadSignature));
}

/// The operator's `audit verify` on a SQLite deployment: intact, then tampered.
#[tokio::test]
async fn audit_verify_on_the_command_line_names_the_first_bad_entry() {
    let dir = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_placeforte-central"))
            .args(args)
            .env_clear()
            .env("USER", "cli-test")
            .env("RUST_LOG", "warn")
            .env("PLACEFORTE_DATA_DIR", dir.path())
            .output()
            .unwrap()
    };
    let ok = |output: std::process::Output| {
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let init = ok(run(&["init"]));
    assert!(init.contains("audit-signing.key"), "{init}");
    assert!(init.contains("audit-signing.pub"), "{init}");
    for name in ["Une", "Deux", "Trois"] {
        ok(run(&[
            "daycare", "add", "--name", name, "--region", "Estrie", "--places", "5,5,5,0",
        ]));
    }
    assert_eq!(ok(run(&["audit", "checkpoint"])).trim(), "signed entry 3");
    let report = ok(run(&["audit", "verify"]));
    assert!(
        report.contains("intact: 3 entries, 1 signed checkpoints, 0 entries after"),
        "{report}"
    );
    // The verification is itself in the log (entry 4), and verifies next time.
    let report = ok(run(&["audit", "verify"]));
    assert!(report.contains("intact: 4 entries"), "{report}");
    // The operator's reports run (and are logged: entries 6 and 7).
    let alerts = ok(run(&["admin", "alerts"]));
    assert_eq!(
        alerts.trim(),
        "id\traised\tkind\tdevice\tdaycare\tstate\tdelivery\tdetail"
    );
    // Acknowledging an alert that does not exist is refused, and writes nothing.
    let refused = run(&["admin", "alerts", "ack", "1", "--note", "checked"]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("no alert has the id 1"));
    let registration = uuid::Uuid::new_v4().to_string();
    let access = ok(run(&["admin", "access-report", &registration]));
    assert_eq!(access.trim(), "when\tdaycare\twhat\twhy");
    let report = ok(run(&["audit", "verify"]));
    assert!(report.contains("intact: 7 entries"), "{report}");

    let store = SqliteStore::open(&format!(
        "sqlite:{}",
        dir.path().join("central.db").display()
    ))
    .await
    .unwrap();
    store.lift_triggers().await;
    store
        .exec("UPDATE audit_log SET action = 'daycares.listed' WHERE seq = 2")
        .await
        .unwrap();
    store.close().await;
    let output = run(&["audit", "verify"]);
    assert!(!output.status.success());
    let message = String::from_utf8_lossy(&output.stderr);
    assert!(
        message.contains("FAILED verification at entry 2: altered"),
        "{message}"
    );
}

/// The per-device rate checks count a device's recent entries of one action on every reveal and
/// every non-empty sync page: the count must come from the index, never from a scan of a log
/// that grows without bound.
#[tokio::test]
async fn per_device_rate_counts_use_the_actor_index() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite:{}", dir.path().join("central.db").display());
    let store = SqliteStore::open(&url).await.unwrap();
    for query in [
        "SELECT COUNT(*) FROM audit_log WHERE actor = ?1 AND action = ?2 AND occurred_at >= ?3",
        "SELECT SUM(CAST(SUBSTR(subject, 11) AS BIGINT)) FROM audit_log \
         WHERE actor = ?1 AND action = ?2 AND occurred_at >= ?3",
    ] {
        let plan: Vec<(i64, i64, i64, String)> =
            sqlx::query_as(&format!("EXPLAIN QUERY PLAN {query}"))
                .fetch_all(store.pool())
                .await
                .unwrap();
        let details: Vec<&str> = plan.iter().map(|row| row.3.as_str()).collect();
        assert!(
            details
                .iter()
                .any(|d| d.contains("INDEX audit_log_actor_action_time")),
            "{query}: {details:?}"
        );
        assert!(
            !details.iter().any(|d| d.starts_with("SCAN audit_log")),
            "{query}: {details:?}"
        );
    }
}
