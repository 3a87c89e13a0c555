//! The audit log on both backends: every write appends a leaf to the Merkle tree in its own
//! transaction with a newly signed head; `audit verify` recomputes the tree and catches every
//! kind of tampering by whoever holds the database, and a rewrite by whoever also holds the log
//! key once a witness has cosigned; the service's database role cannot rewrite the log; the
//! former hash chain is verified before it is sealed into the tree.
#![allow(clippy::unwrap_used)]

mod common;

use std::future::Future;
use std::str::FromStr;

use chrono::Duration;
use common::tamper::{insert_hashes, rebuild_and_resign, Tamper, AUDIT_TABLES};
use common::Harness;
use placeforte_central::audit::{
    self, legacy, AuditEntry, CheckpointPolicy, Finding, VerifyOptions, VerifyReport,
};
use placeforte_central::operator;
use placeforte_central::store::{AuditEvent, PostgresStore, SqliteStore, Storage, StoreError};
use placeforte_translog::checkpoint::LogVerifier;
use placeforte_translog::cosignature::{WitnessSigner, WitnessVerifier};
use placeforte_translog::tree::Frontier;

on_both_backends!(
    every_action_is_a_leaf_of_a_signed_tree_and_verifies,
    a_failed_audit_append_fails_the_request_and_writes_nothing,
    concurrent_appends_keep_one_tree,
    the_service_connection_cannot_update_or_delete_audit_rows,
    the_service_role_cannot_update_delete_or_truncate,
    an_edited_entry_is_named,
    a_deleted_entry_is_named,
    a_rewrite_resigned_with_the_stolen_log_key_is_caught_by_the_witnessed_head,
    deleted_checkpoints_break_the_cadence,
    a_cut_tail_is_caught_by_the_signed_head,
    a_cut_tail_with_a_saved_head_is_caught_by_the_next_checkpoint,
    a_forged_append_is_caught_and_stops_further_appends,
    a_forged_checkpoint_is_named,
    the_tail_may_not_outgrow_the_cadence,
    the_former_chain_is_verified_before_it_is_sealed,
    the_log_key_is_rotated_and_the_log_still_verifies,
);

/// What the attack tests need beyond [`Tamper`].
trait Direct: Tamper {
    /// A trigger `refuse_appends` that makes every audit insert fail.
    fn refuse_appends_sql(&self) -> &'static str;
    /// Drops that trigger.
    fn accept_appends_sql(&self) -> &'static str;
    /// Inserts a row as given, hashes and all.
    fn insert_raw(&self, entry: &AuditEntry) -> impl Future<Output = ()> + Send;
    /// Inserts a checkpoint of the former chain.
    fn insert_legacy_checkpoint(
        &self,
        checkpoint: &legacy::Checkpoint,
    ) -> impl Future<Output = ()> + Send;
    /// Tries UPDATE, DELETE and TRUNCATE as the role the service runs as; returns the errors.
    fn rewrite_as_service_role(&self) -> impl Future<Output = Vec<String>> + Send;
}

/// A column of each audit table (in [`AUDIT_TABLES`]' order) an attacker would rewrite.
const REWRITTEN_COLUMNS: [&str; 5] = ["action", "signed_at", "hash", "note", "note"];

macro_rules! insert_raw_body {
    ($self:ident, $entry:ident) => {
        sqlx::query(concat!(
            "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
            " referral_ids, reason, prev_hash, entry_hash)",
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
        ))
        .bind($entry.leaf.seq)
        .bind($entry.leaf.occurred_at.as_str())
        .bind($entry.leaf.actor.as_str())
        .bind($entry.leaf.daycare_id.as_str())
        .bind($entry.leaf.action.as_str())
        .bind($entry.leaf.subject.as_str())
        .bind($entry.leaf.referral_ids.as_str())
        .bind($entry.leaf.reason.as_str())
        .bind($entry.prev_hash.as_slice())
        .bind($entry.entry_hash.as_slice())
        .execute($self.pool())
        .await
        .unwrap();
    };
}

macro_rules! insert_legacy_checkpoint_body {
    ($self:ident, $checkpoint:ident) => {
        sqlx::query(
            "INSERT INTO audit_checkpoints (seq, entry_hash, signed_at, signature) VALUES ($1, $2, $3, $4)",
        )
        .bind($checkpoint.seq)
        .bind($checkpoint.entry_hash.as_slice())
        .bind($checkpoint.signed_at.as_str())
        .bind($checkpoint.signature.as_slice())
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

    async fn insert_raw(&self, entry: &AuditEntry) {
        insert_raw_body!(self, entry);
    }

    async fn insert_legacy_checkpoint(&self, checkpoint: &legacy::Checkpoint) {
        insert_legacy_checkpoint_body!(self, checkpoint);
    }

    async fn rewrite_as_service_role(&self) -> Vec<String> {
        // SQLite has no roles: whoever opens the file through the service meets the triggers.
        let mut errors = Vec::new();
        for (table, column) in AUDIT_TABLES.iter().zip(REWRITTEN_COLUMNS) {
            for sql in [
                format!("UPDATE {table} SET {column} = {column}"),
                format!("DELETE FROM {table}"),
            ] {
                errors.push(self.exec(&sql).await.expect_err(&sql));
            }
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

    async fn insert_raw(&self, entry: &AuditEntry) {
        insert_raw_body!(self, entry);
    }

    async fn insert_legacy_checkpoint(&self, checkpoint: &legacy::Checkpoint) {
        insert_legacy_checkpoint_body!(self, checkpoint);
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
        for table in AUDIT_TABLES {
            let count: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
                .fetch_one(&service)
                .await
                .unwrap();
            assert!(count > 0, "{table}");
        }
        sqlx::query("UPDATE audit_head SET appends = appends + 1 WHERE id = 1")
            .execute(&service)
            .await
            .unwrap();
        let mut errors = Vec::new();
        for (table, column) in AUDIT_TABLES.iter().zip(REWRITTEN_COLUMNS) {
            for sql in [
                format!("UPDATE {table} SET {column} = {column}"),
                format!("DELETE FROM {table}"),
                format!("TRUNCATE {table}"),
            ] {
                let error = sqlx::raw_sql(&sql).execute(&service).await.expect_err(&sql);
                errors.push(error.to_string());
            }
        }
        errors
    }
}

/// Appends listings until the log holds `total` entries.
async fn entries_up_to<S: Storage>(h: &Harness<S>, total: i64) {
    while h.event_count().await < total {
        operator::record_listing(&h.store, &h.operator, h.now(), "daycares")
            .await
            .unwrap();
    }
    assert_eq!(h.event_count().await, total);
}

/// Keeps a checkpoint now.
async fn checkpoint<S: Storage>(h: &Harness<S>) {
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap()
        .expect("a checkpoint");
}

/// Ten entries with checkpoints at 3 and 6.
async fn ten_entries<S: Storage>(h: &Harness<S>) {
    assert!(h.event_count().await <= 3);
    entries_up_to(h, 3).await;
    checkpoint(h).await;
    entries_up_to(h, 6).await;
    checkpoint(h).await;
    entries_up_to(h, 10).await;
}

/// `audit verify` with the harness's log key, the default cadence and these witnesses; the
/// same with pages of 1, 3 and 4 entries, so that every tampering also lands on a page boundary
/// (the verifier reads ahead a page).
async fn verify_with<S: Storage>(h: &Harness<S>, witnesses: &[WitnessVerifier]) -> VerifyReport {
    verify_policy(h, CheckpointPolicy::default(), witnesses).await
}

async fn verify_policy<S: Storage>(
    h: &Harness<S>,
    policy: CheckpointPolicy,
    witnesses: &[WitnessVerifier],
) -> VerifyReport {
    let log: LogVerifier = h.log.verifier().clone();
    let options = VerifyOptions {
        log: &log,
        previous_logs: &[],
        policy,
        witnesses,
        max_cosigned_age: Duration::hours(1),
        witness_heads: &[],
        now: h.now(),
    };
    let report = audit::verify(&h.store, &options).await.unwrap();
    for page in [1, 3, 4] {
        let paged = audit::verify_in_pages(&h.store, &options, page)
            .await
            .unwrap();
        assert_eq!(paged, report, "pages of {page} entries");
    }
    report
}

async fn findings<S: Storage>(h: &Harness<S>) -> Vec<Finding> {
    verify_with(h, &[]).await.findings
}

async fn every_action_is_a_leaf_of_a_signed_tree_and_verifies<S: Storage>(h: Harness<S>) {
    let _device = h.enrolled_device().await; // daycare, code, enrolment
    assert_eq!(h.event_count().await, 3);
    let entries = h.store.audit_entries(0, 100).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.leaf.action.as_str()).collect();
    assert_eq!(
        actions,
        ["daycare.added", "enrolment_code.issued", "device.enrolled"]
    );
    // Each names the daycare; none carries a name, a phone number or any other personal field.
    assert!(entries.iter().all(|e| !e.leaf.daycare_id.is_empty()));
    assert!(entries
        .iter()
        .all(|e| e.entry_hash == e.leaf.hash().0.to_vec() && e.prev_hash.is_empty()));
    // The head the last append signed is the tree of these three entries.
    let state = h.store.audit_head_state().await.unwrap();
    assert_eq!(state.tree_size, 3);
    let head = h.log.verifier().open(&state.signed_head).unwrap().head;
    let mut frontier = Frontier::empty();
    entries.iter().for_each(|e| {
        frontier.append(e.leaf.hash());
    });
    assert_eq!(head, frontier.head());

    ten_entries(&h).await;
    let report = verify_with(&h, &[]).await;
    assert_eq!(report.findings, []);
    assert_eq!(report.entries, 10);
    assert_eq!(report.checkpoints, 2);
    assert_eq!(report.unsigned_tail, 4);

    // Nothing new: no checkpoint is due; enough new entries: one is.
    let policy = CheckpointPolicy {
        every_entries: 4,
        every: Duration::hours(1),
    };
    let kept = audit::checkpoint_if_due(&h.store, &h.log, policy, h.now(), false)
        .await
        .unwrap();
    assert_eq!(kept.map(|head| head.size), Some(10));
    let again = audit::checkpoint_if_due(&h.store, &h.log, policy, h.now(), true)
        .await
        .unwrap();
    assert_eq!(again, None, "the tree is already checkpointed");
    // A lone entry waits for its checkpoint until the cadence's time has passed.
    entries_up_to(&h, 11).await;
    let early = audit::checkpoint_if_due(&h.store, &h.log, policy, h.now(), false)
        .await
        .unwrap();
    assert_eq!(early, None);
    h.clock.advance(Duration::minutes(61));
    let late = audit::checkpoint_if_due(&h.store, &h.log, policy, h.now(), false)
        .await
        .unwrap();
    assert_eq!(late.map(|head| head.size), Some(11));
}

async fn a_failed_audit_append_fails_the_request_and_writes_nothing<S: Storage + Direct>(
    h: Harness<S>,
) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let before = h.event_count().await;
    let head_before = h.store.audit_head_state().await.unwrap();
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
    assert_eq!(h.store.audit_head_state().await.unwrap(), head_before);
    // The code was not consumed: the whole transaction rolled back.
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(findings(&h).await, []);
}

async fn concurrent_appends_keep_one_tree<S: Storage>(h: Harness<S>) {
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
    let report = verify_with(&h, &[]).await;
    assert_eq!(report.findings, []);
    assert_eq!(report.entries, 16);
}

/// Ten entries, and a row in each audit table (row triggers need a row to fire on).
async fn every_table_filled<S: Storage + Direct>(h: &Harness<S>) {
    ten_entries(h).await;
    let checkpoint = legacy::CheckpointSigner::ephemeral()
        .unwrap()
        .sign(1, &[0; 32], h.now());
    h.store.insert_legacy_checkpoint(&checkpoint).await;
    h.store
        .add_audit_cosignature(&placeforte_central::store::CosignatureRecord {
            witness: "w".to_owned(),
            size: 6,
            cosigned_at: audit::instant_text(h.now()),
            note: "n".to_owned(),
        })
        .await
        .unwrap();
}

async fn the_service_connection_cannot_update_or_delete_audit_rows<S: Storage + Direct>(
    h: Harness<S>,
) {
    every_table_filled(&h).await;
    // The service's own connection meets the append-only triggers on every audit table.
    for table in AUDIT_TABLES {
        let error = h
            .store
            .exec(&format!("DELETE FROM {table}"))
            .await
            .expect_err(table);
        assert!(error.contains("append-only"), "{table}: {error}");
    }
    assert_eq!(findings(&h).await, []);
}

async fn the_service_role_cannot_update_delete_or_truncate<S: Storage + Direct>(h: Harness<S>) {
    every_table_filled(&h).await;
    let errors = h.store.rewrite_as_service_role().await;
    // UPDATE and DELETE on every audit table (and TRUNCATE on PostgreSQL).
    assert!(errors.len() >= AUDIT_TABLES.len() * 2, "{errors:?}");
    for error in errors {
        assert!(
            error.contains("append-only") || error.contains("permission denied"),
            "{error}"
        );
    }
}

async fn an_edited_entry_is_named<S: Storage + Direct>(h: Harness<S>) {
    ten_entries(&h).await;
    h.store.lift_triggers().await;
    // A contact reveal's reason and author rewritten, leaving the hashes as they were.
    h.store
        .exec("UPDATE audit_log SET reason = 'other', actor = 'device:someone-else' WHERE seq = 5")
        .await
        .unwrap();
    let found = findings(&h).await;
    assert!(
        found.contains(&Finding::EntryAltered { seq: 5 }),
        "{found:?}"
    );
    assert!(
        found.contains(&Finding::CheckpointMismatch { size: 6 }),
        "{found:?}"
    );
    assert!(found.contains(&Finding::HeadMismatch), "{found:?}");
    assert!(
        !found.contains(&Finding::CheckpointMismatch { size: 3 }),
        "{found:?}"
    );
}

async fn a_deleted_entry_is_named<S: Storage + Direct>(h: Harness<S>) {
    ten_entries(&h).await;
    h.store.lift_triggers().await;
    h.store
        .exec("DELETE FROM audit_log WHERE seq = 4")
        .await
        .unwrap();
    let found = findings(&h).await;
    assert_eq!(found[0], Finding::EntryMissing { seq: 4 }, "{found:?}");
    assert!(
        found.contains(&Finding::CheckpointBeyondEnd {
            size: 6,
            entries: 3
        }),
        "{found:?}"
    );
}

/// Whoever holds the database and the log key can rewrite the tree and re-sign every
/// checkpoint: `audit verify` without a witness is fooled (the log key is all it trusts). The
/// checkpoint a witness cosigned before the rewrite is not fooled. (The same against the real
/// witness process over the network: tests/witnessed.rs.)
async fn a_rewrite_resigned_with_the_stolen_log_key_is_caught_by_the_witnessed_head<
    S: Storage + Direct,
>(
    h: Harness<S>,
) {
    ten_entries(&h).await;
    // A witness cosigns checkpoint 6.
    let pair = WitnessSigner::generate("witness.test/w1", &[9; 32]).unwrap();
    let witness = WitnessSigner::from_private_key(&pair.private).unwrap();
    let verifier = WitnessVerifier::from_verifier_key(&pair.verifier).unwrap();
    let latest = h.store.last_audit_tree_checkpoint().await.unwrap().unwrap();
    let body = latest.note[..=latest.note.find("\n\n").unwrap()].to_owned();
    let line = witness
        .cosign(&body, u64::try_from(h.now().timestamp()).unwrap())
        .unwrap();
    h.store
        .add_audit_cosignature(&placeforte_central::store::CosignatureRecord {
            witness: pair.verifier.clone(),
            size: latest.size,
            cosigned_at: audit::instant_text(h.now()),
            note: format!("{}{line}", latest.note),
        })
        .await
        .unwrap();
    assert_eq!(
        verify_with(&h, std::slice::from_ref(&verifier))
            .await
            .findings,
        []
    );

    h.store.lift_triggers().await;
    h.store
        .exec("UPDATE audit_log SET reason = 'other' WHERE seq = 5")
        .await
        .unwrap();
    rebuild_and_resign(&h, &h.log).await;
    assert_eq!(findings(&h).await, [], "the log key alone is fooled");
    let found = verify_with(&h, std::slice::from_ref(&verifier))
        .await
        .findings;
    assert_eq!(
        found,
        [Finding::WitnessedMismatch {
            witness: "witness.test/w1".to_owned(),
            size: 6
        }]
    );
    // Deleting the cosignature does not help: the witness's cosignature is then missing.
    h.store
        .exec("DELETE FROM audit_cosignatures")
        .await
        .unwrap();
    let found = verify_with(&h, std::slice::from_ref(&verifier))
        .await
        .findings;
    assert!(
        matches!(
            found.as_slice(),
            [Finding::NoFreshCosignature { newest: None, .. }]
        ),
        "{found:?}"
    );
}

async fn deleted_checkpoints_break_the_cadence<S: Storage + Direct>(h: Harness<S>) {
    // Every 3 entries or 5 minutes: verify allows 6 entries, or 10 minutes of waiting.
    let policy = CheckpointPolicy {
        every_entries: 3,
        every: Duration::minutes(5),
    };
    for size in [3, 6, 9, 12] {
        entries_up_to(&h, size).await;
        checkpoint(&h).await;
        if size == 6 {
            h.clock.advance(Duration::minutes(20));
        }
    }
    entries_up_to(&h, 13).await;
    assert_eq!(verify_policy(&h, policy, &[]).await.findings, []);
    h.store.lift_triggers().await;
    // Checkpoint 9 gone: entries 7 to 12 are 6, within the count, and all written at once.
    h.store
        .exec("DELETE FROM audit_tree_checkpoints WHERE size = 9")
        .await
        .unwrap();
    assert_eq!(verify_policy(&h, policy, &[]).await.findings, []);
    // Checkpoint 6 gone too: 9 entries between 3 and 12, and entry 4 waited 20 minutes.
    h.store
        .exec("DELETE FROM audit_tree_checkpoints WHERE size = 6")
        .await
        .unwrap();
    let found = verify_policy(&h, policy, &[]).await.findings;
    assert!(
        matches!(found.as_slice(), [Finding::CadenceBroken { after: 3, next: 12, detail }] if detail.contains("9 entries")),
        "{found:?}"
    );
    // Every checkpoint gone: 13 entries and no checkpoint.
    h.store
        .exec("DELETE FROM audit_tree_checkpoints")
        .await
        .unwrap();
    let found = verify_policy(&h, policy, &[]).await.findings;
    assert!(
        matches!(found.as_slice(), [Finding::TailTooLong { entries: 13, .. }]),
        "{found:?}"
    );
    // A new checkpoint now does not hide the gap before it.
    checkpoint(&h).await;
    let found = verify_policy(&h, policy, &[]).await.findings;
    assert!(
        matches!(
            found.as_slice(),
            [Finding::CadenceBroken {
                after: 0,
                next: 13,
                ..
            }]
        ),
        "{found:?}"
    );
}

async fn a_cut_tail_is_caught_by_the_signed_head<S: Storage + Direct>(h: Harness<S>) {
    ten_entries(&h).await;
    h.store.lift_triggers().await;
    // The last entries, after the last checkpoint, removed with their tree hashes: what the
    // former chain accepted.
    h.store
        .exec("DELETE FROM audit_log WHERE seq > 8")
        .await
        .unwrap();
    let found = findings(&h).await;
    assert_eq!(
        found,
        [Finding::HeadSizeMismatch {
            head: 10,
            entries: 8
        }]
    );
}

/// The cut of a tail with the head rolled back to one the attacker saved earlier: no signature
/// covers the cut entries until the next checkpoint, which then does.
async fn a_cut_tail_with_a_saved_head_is_caught_by_the_next_checkpoint<S: Storage + Direct>(
    h: Harness<S>,
) {
    ten_entries(&h).await;
    let saved = h.store.audit_head_state().await.unwrap();
    entries_up_to(&h, 12).await;
    checkpoint(&h).await;
    h.store.lift_triggers().await;
    h.store
        .exec("DELETE FROM audit_log WHERE seq > 10")
        .await
        .unwrap();
    h.store
        .exec(&format!(
            "DELETE FROM audit_tree_hashes WHERE idx >= {}",
            tlog_tiles::stored_hash_index(0, 10)
        ))
        .await
        .unwrap();
    h.store
        .exec(&format!(
            "UPDATE audit_head SET tree_size = 10, signed_head = '{}' WHERE id = 1",
            saved.signed_head
        ))
        .await
        .unwrap();
    assert_eq!(
        findings(&h).await,
        [Finding::CheckpointBeyondEnd {
            size: 12,
            entries: 10
        }]
    );
}

async fn a_forged_append_is_caught_and_stops_further_appends<S: Storage + Direct>(h: Harness<S>) {
    ten_entries(&h).await;
    // A well-formed entry appended by hand: leaf hash, tree hashes and head size all updated,
    // as anyone can compute them; only the head's signature is beyond reach.
    let event = AuditEvent::new(
        h.now(),
        "device:forged".to_owned(),
        "contact.revealed",
        "referral:x".to_owned(),
    );
    let forged = AuditEntry::for_event(&event, 11);
    h.store.insert_raw(&forged).await;
    let hashes = h
        .store
        .audit_tree_hashes(&placeforte_translog::tree::frontier_indexes(10))
        .await
        .unwrap();
    let mut frontier = Frontier::from_hashes(10, &hashes).unwrap();
    insert_hashes(&h, frontier.append(forged.leaf.hash())).await;
    let found = findings(&h).await;
    assert_eq!(
        found,
        [Finding::HeadSizeMismatch {
            head: 10,
            entries: 11
        }]
    );
    // The service appends nothing onto a tree its key did not sign: the next request fails.
    h.store
        .exec("UPDATE audit_head SET tree_size = 11 WHERE id = 1")
        .await
        .unwrap();
    let refused = operator::record_listing(&h.store, &h.operator, h.now(), "daycares").await;
    assert!(refused.is_err(), "{refused:?}");
    assert_eq!(h.event_count().await, 11);
    // With a head signed by another key, the same.
    let other = audit::ephemeral_log_signer("placeforte.test/audit").unwrap();
    let note = other.sign(frontier.head()).unwrap();
    h.store
        .exec(&format!(
            "UPDATE audit_head SET signed_head = '{note}' WHERE id = 1"
        ))
        .await
        .unwrap();
    let found = findings(&h).await;
    assert!(found.contains(&Finding::HeadUnsigned), "{found:?}");
    let err = h.store.record_event(&event).await.expect_err("refused");
    assert!(matches!(err, StoreError::AuditHeadTampered(_)), "{err}");
}

async fn a_forged_checkpoint_is_named<S: Storage + Direct>(h: Harness<S>) {
    ten_entries(&h).await;
    h.store.lift_triggers().await;
    let other = audit::ephemeral_log_signer("placeforte.test/audit").unwrap();
    let hashes = h
        .store
        .audit_tree_hashes(&placeforte_translog::tree::frontier_indexes(9))
        .await
        .unwrap();
    let note = other
        .sign(Frontier::from_hashes(9, &hashes).unwrap().head())
        .unwrap();
    h.store
        .exec(&format!(
            "INSERT INTO audit_tree_checkpoints (size, signed_at, note) VALUES (9, 'x', '{note}')"
        ))
        .await
        .unwrap();
    assert_eq!(
        findings(&h).await,
        [Finding::CheckpointBadSignature { size: 9 }]
    );
}

async fn the_tail_may_not_outgrow_the_cadence<S: Storage>(h: Harness<S>) {
    let policy = CheckpointPolicy {
        every_entries: 3,
        every: Duration::minutes(5),
    };
    entries_up_to(&h, 3).await;
    checkpoint(&h).await;
    entries_up_to(&h, 4).await;
    assert_eq!(verify_policy(&h, policy, &[]).await.findings, []);
    // An entry left without a checkpoint for longer than the cadence allows.
    h.clock.advance(Duration::minutes(11));
    let found = verify_policy(&h, policy, &[]).await.findings;
    assert!(
        matches!(found.as_slice(), [Finding::TailTooLong { entries: 1, detail }] if detail.contains("waited 11 min")),
        "{found:?}"
    );
    checkpoint(&h).await;
    entries_up_to(&h, 10).await;
    assert_eq!(verify_policy(&h, policy, &[]).await.findings, []);
    // More entries after the last checkpoint than the cadence allows.
    entries_up_to(&h, 11).await;
    let found = verify_policy(&h, policy, &[]).await.findings;
    assert!(
        matches!(found.as_slice(), [Finding::TailTooLong { entries: 7, .. }]),
        "{found:?}"
    );
}

/// A database that holds the former hash chain: appends wait until `audit migrate-chain` has
/// verified it with its key and sealed it; a chain edited before the migration is refused and
/// nothing is sealed.
async fn the_former_chain_is_verified_before_it_is_sealed<S: Storage + Direct>(h: Harness<S>) {
    let legacy_key = legacy::CheckpointSigner::ephemeral().unwrap();
    // The former chain of 5 entries with a checkpoint at 4, as the former code wrote it.
    let mut prev = legacy::GENESIS_HASH.to_vec();
    for seq in 1..=5 {
        let event = AuditEvent::new(
            h.now(),
            "operator:former".to_owned(),
            "daycares.listed",
            format!("listing:{seq}"),
        );
        let entry = legacy::chain(&event, seq - 1, &prev);
        h.store.insert_raw(&entry).await;
        if seq == 4 {
            let checkpoint = legacy_key.sign(seq, &entry.entry_hash, h.now());
            h.store.insert_legacy_checkpoint(&checkpoint).await;
        }
        prev = entry.entry_hash;
    }
    // What migration 0014 records for a database that held them.
    h.store
        .exec("UPDATE audit_head SET legacy_entries = 5 WHERE id = 1")
        .await
        .unwrap();
    let refused = operator::record_listing(&h.store, &h.operator, h.now(), "daycares").await;
    assert!(refused.is_err(), "appends wait for the seal");
    assert!(matches!(
        h.store
            .record_event(&AuditEvent::new(
                h.now(),
                "operator:x".to_owned(),
                "a",
                "b".to_owned()
            ))
            .await,
        Err(StoreError::LegacyChainNotSealed(5))
    ));

    // Edited before the migration: refused, nothing sealed.
    h.store.lift_triggers().await;
    h.store
        .exec("UPDATE audit_log SET reason = 'x' WHERE seq = 2")
        .await
        .unwrap();
    let err = audit::seal_legacy_chain(&h.store, legacy_key.public_key(), &h.log, h.now())
        .await
        .expect_err("an edited chain is not sealed");
    assert!(
        err.to_string().contains("FAILED verification at entry 2"),
        "{err}"
    );
    assert_eq!(h.store.audit_head_state().await.unwrap().tree_size, 0);
    // Another key than the chain's: refused too.
    h.store
        .exec("UPDATE audit_log SET reason = '' WHERE seq = 2")
        .await
        .unwrap();
    let other = legacy::CheckpointSigner::ephemeral().unwrap();
    assert!(
        audit::seal_legacy_chain(&h.store, other.public_key(), &h.log, h.now())
            .await
            .is_err()
    );

    // Intact: sealed, verified as a tree, and appends continue after it.
    let sealed = audit::seal_legacy_chain(&h.store, legacy_key.public_key(), &h.log, h.now())
        .await
        .unwrap();
    assert_eq!(sealed, 5);
    assert_eq!(
        audit::seal_legacy_chain(&h.store, legacy_key.public_key(), &h.log, h.now())
            .await
            .unwrap(),
        0,
        "once"
    );
    entries_up_to(&h, 8).await;
    let report = verify_with(&h, &[]).await;
    assert_eq!(report.findings, []);
    assert_eq!((report.entries, report.checkpoints), (8, 1));
    // A former entry edited after the seal is caught by the tree.
    h.store
        .exec("UPDATE audit_log SET subject = 'listing:9' WHERE seq = 3")
        .await
        .unwrap();
    let found = findings(&h).await;
    assert!(
        found.contains(&Finding::CheckpointMismatch { size: 5 }),
        "{found:?}"
    );
}

/// The rotation of the log key: the old key vouches for the new in the tree, the old key can
/// append no more, the new one appends and checkpoints, and `audit verify` accepts the old
/// checkpoints only when given the old key as a former one.
async fn the_log_key_is_rotated_and_the_log_still_verifies<S: Storage + Direct>(h: Harness<S>) {
    ten_entries(&h).await;
    let new = std::sync::Arc::new(audit::ephemeral_log_signer("placeforte.test/audit").unwrap());
    let other_origin = audit::ephemeral_log_signer("elsewhere.test/audit").unwrap();
    assert!(
        audit::rotate_log_key(&h.store, &h.log, &other_origin, h.now())
            .await
            .is_err()
    );
    let from = audit::rotate_log_key(&h.store, &h.log, &new, h.now())
        .await
        .unwrap();
    assert_eq!(from, 12);
    let entries = h.store.audit_entries(10, 2).await.unwrap();
    assert_eq!(entries[0].leaf.action, "audit.log_key_rotated");
    assert_eq!(
        entries[0].leaf.subject,
        format!("key:{}", new.verifier_key())
    );
    // The old key appends no more; the new one does, and keeps checkpoints.
    assert!(
        operator::record_listing(&h.store, &h.operator, h.now(), "daycares")
            .await
            .is_err()
    );
    let store = h.store.with_log(std::sync::Arc::clone(&new));
    for _ in 0..3 {
        operator::record_listing(&store, &h.operator, h.now(), "daycares")
            .await
            .unwrap();
    }
    let kept = audit::checkpoint_if_due(&store, &new, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    assert_eq!(kept.map(|head| head.size), Some(15));
    let verify = |previous: Vec<LogVerifier>| {
        let store = store.clone();
        let new = std::sync::Arc::clone(&new);
        let now = h.now();
        async move {
            let options = VerifyOptions {
                log: new.verifier(),
                previous_logs: &previous,
                policy: CheckpointPolicy::default(),
                witnesses: &[],
                max_cosigned_age: Duration::hours(1),
                witness_heads: &[],
                now,
            };
            audit::verify(&store, &options).await.unwrap().findings
        }
    };
    assert_eq!(verify(vec![h.log.verifier().clone()]).await, []);
    let found = verify(Vec::new()).await;
    assert!(
        found.contains(&Finding::CheckpointBadSignature { size: 3 }),
        "{found:?}"
    );
    assert!(
        found.contains(&Finding::CheckpointBadSignature { size: 11 }),
        "{found:?}"
    );
}

/// The operator's commands end to end: `init` makes the log key, `audit checkpoint` keeps a
/// checkpoint, `audit verify` reports the log intact and then names what was edited.
#[tokio::test]
async fn audit_verify_on_the_command_line_lists_what_is_wrong() {
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
    assert!(init.contains("audit-log.key"), "{init}");
    assert!(init.contains("audit-log.vkey"), "{init}");
    let vkey = std::fs::read_to_string(dir.path().join("audit-log.vkey")).unwrap();
    assert!(vkey.starts_with("placeforte.invalid/audit+"), "{vkey}");
    for name in ["Une", "Deux", "Trois"] {
        ok(run(&[
            "daycare", "add", "--name", name, "--region", "Estrie", "--places", "5,5,5,0",
        ]));
    }
    assert_eq!(
        ok(run(&["audit", "checkpoint"])).trim(),
        "kept checkpoint of 3 entries"
    );
    let report = ok(run(&["audit", "verify"]));
    assert!(
        report.contains(
            "intact: 3 entries, 1 checkpoints, 0 cosignatures from 0 witnesses, 0 entries after"
        ),
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
    // No former chain to seal.
    assert_eq!(
        ok(run(&["audit", "migrate-chain"])).trim(),
        "no former chain to seal"
    );

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
    assert!(message.contains("FAILED verification"), "{message}");
    assert!(message.contains("entry 2 was altered"), "{message}");
    assert!(
        message.contains("differ from what checkpoint 3 signed"),
        "{message}"
    );
    // Without the log key, a command that would append fails with a clear message.
    std::fs::remove_file(dir.path().join("audit-log.key")).unwrap();
    let output = run(&[
        "daycare", "add", "--name", "Quatre", "--region", "Estrie", "--places", "5,5,5,0",
    ]);
    assert!(!output.status.success());
    assert!(
        String::from_utf8_lossy(&output.stderr).contains("audit log key is not loaded"),
        "{}",
        String::from_utf8_lossy(&output.stderr)
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
