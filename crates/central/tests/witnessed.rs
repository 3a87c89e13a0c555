//! The audit log against the real witness (`placeforte-witness`, a separate process over HTTP
//! on 127.0.0.1), on both backends: checkpoints are cosigned with consistency proofs; a log
//! rewritten and re-signed with the stolen log key, or cut, is caught by the head the witness
//! cosigned, even with every cosignature deleted from the database; the rewritten log shown to
//! the witness is refused, and the refusal survives a witness restart; an access report's
//! proofs verify offline with only the keys, and a tampered one does not.
#![allow(clippy::unwrap_used)]

mod common;

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use chrono::Duration;
use common::referral_pool::{declared_referrals, pool, reveal};
use common::tamper::{rebuild_and_resign, Tamper};
use common::Harness;
use placeforte_central::audit::witnessing::{
    fetch_witness_head, submit_latest, WitnessEndpoint, WitnessError, WitnessOutcome,
};
use placeforte_central::audit::{self, CheckpointPolicy, Finding, VerifyOptions, WitnessHead};
use placeforte_central::operator;
use placeforte_central::store::Storage;
use placeforte_translog::cosignature::WitnessVerifier;
use serde_json::json;

on_both_backends!(
    checkpoints_are_cosigned_by_the_witness_with_consistency_proofs,
    a_rewrite_resigned_with_the_stolen_log_key_is_caught_and_refused_by_the_witness,
    a_cut_log_is_caught_by_the_witness,
    an_access_report_verifies_offline_and_a_tampered_one_does_not,
    a_witness_answer_without_its_valid_cosignature_is_refused_and_kept_out,
);

/// The witness binary, built beside the test binaries (`scripts/test.sh` builds it).
fn witness_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let path = exe
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("placeforte-witness");
    assert!(
        path.exists(),
        "{} is missing: cargo build -p placeforte-witness",
        path.display()
    );
    path
}

/// A witness process with its own directory (key, store) trusting one log key.
struct Witness {
    dir: tempfile::TempDir,
    child: Child,
    url: String,
    verifier: WitnessVerifier,
    _stdout: BufReader<ChildStdout>,
}

impl Witness {
    fn start(log_verifier_key: &str) -> Witness {
        let dir = tempfile::tempdir().unwrap();
        let init = Command::new(witness_binary())
            .args(["init", "--dir"])
            .arg(dir.path())
            .args(["--name", "witness.test/w1"])
            .output()
            .unwrap();
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
        std::fs::write(dir.path().join("log.vkey"), format!("{log_verifier_key}\n")).unwrap();
        let verifier = audit::load_witness_verifier(&dir.path().join("witness.vkey")).unwrap();
        let (child, url, stdout) = Witness::serve(dir.path());
        Witness {
            dir,
            child,
            url,
            verifier,
            _stdout: stdout,
        }
    }

    fn serve(dir: &Path) -> (Child, String, BufReader<ChildStdout>) {
        let mut child = Command::new(witness_binary())
            .args(["serve", "--dir"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0", "--log-key"])
            .arg(dir.join("log.vkey"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        let addr = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        (child, format!("http://{addr}"), stdout)
    }

    /// Kills the process (no clean shutdown) and starts it again on the same directory.
    fn restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        let (child, url, stdout) = Witness::serve(self.dir.path());
        self.child = child;
        self.url = url;
        self._stdout = stdout;
    }

    fn endpoint(&self) -> WitnessEndpoint {
        WitnessEndpoint {
            url: self.url.clone(),
            verifier: self.verifier.clone(),
        }
    }

    async fn refusals(&self) -> Vec<serde_json::Value> {
        reqwest::get(format!(
            "{}/refusals?origin=placeforte.test/audit",
            self.url
        ))
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
    }
}

impl Drop for Witness {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn entries_up_to<S: Storage>(h: &Harness<S>, total: i64) {
    while h.event_count().await < total {
        operator::record_listing(&h.store, &h.operator, h.now(), "daycares")
            .await
            .unwrap();
    }
}

/// Keeps a checkpoint now and has the witness cosign it.
async fn witnessed_checkpoint<S: Storage>(h: &Harness<S>, witness: &Witness) -> i64 {
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    match submit_latest(
        &h.store,
        &reqwest::Client::new(),
        &witness.endpoint(),
        h.now(),
    )
    .await
    .unwrap()
    {
        WitnessOutcome::Cosigned(size) => size,
        other => panic!("{other:?}"),
    }
}

/// `audit verify` trusting `witness` (with its own latest head, fetched over HTTP, when
/// `fetch`), or trusting the log key alone.
async fn verify<S: Storage>(h: &Harness<S>, witness: Option<&Witness>) -> Vec<Finding> {
    let log = h.log.verifier().clone();
    let mut heads = Vec::new();
    let mut witnesses = Vec::new();
    if let Some(witness) = witness {
        witnesses.push(witness.verifier.clone());
        if let Some(note) =
            fetch_witness_head(&reqwest::Client::new(), &witness.endpoint(), log.origin())
                .await
                .unwrap()
        {
            heads.push(WitnessHead {
                witness: witness.verifier.name().to_owned(),
                note,
            });
        }
    }
    let options = VerifyOptions {
        log: &log,
        previous_logs: &[],
        policy: CheckpointPolicy::default(),
        witnesses: &witnesses,
        max_cosigned_age: Duration::hours(1),
        witness_heads: &heads,
        now: h.now(),
    };
    audit::verify(&h.store, &options).await.unwrap().findings
}

/// SQL on the store's own database, as its holder can.
async fn exec<S: Tamper>(h: &Harness<S>, sql: &str) {
    h.store.exec(sql).await.unwrap();
}

async fn checkpoints_are_cosigned_by_the_witness_with_consistency_proofs<S: Storage>(
    h: Harness<S>,
) {
    let witness = Witness::start(h.log.verifier_key());
    entries_up_to(&h, 3).await;
    assert_eq!(witnessed_checkpoint(&h, &witness).await, 3);
    // Nothing new: nothing to submit.
    assert_eq!(
        submit_latest(
            &h.store,
            &reqwest::Client::new(),
            &witness.endpoint(),
            h.now()
        )
        .await
        .unwrap(),
        WitnessOutcome::UpToDate
    );
    // Later checkpoints go with a consistency proof from the last cosigned size.
    for size in [4, 7, 16, 17] {
        entries_up_to(&h, size).await;
        assert_eq!(witnessed_checkpoint(&h, &witness).await, size);
    }
    let cosigned = h.store.audit_cosignatures().await.unwrap();
    assert_eq!(
        cosigned.iter().map(|c| c.size).collect::<Vec<_>>(),
        [3, 4, 7, 16, 17]
    );
    assert_eq!(verify(&h, Some(&witness)).await, []);
    // A witness restarted keeps its state: the next checkpoint extends what it cosigned.
    let mut witness = witness;
    witness.restart();
    entries_up_to(&h, 20).await;
    assert_eq!(witnessed_checkpoint(&h, &witness).await, 20);
    assert!(witness.refusals().await.is_empty());
    // Cosignatures must be recent: an hour later without one, verify says so.
    h.clock.advance(Duration::minutes(61));
    let found = verify(&h, Some(&witness)).await;
    assert!(
        matches!(
            found.as_slice(),
            [Finding::NoFreshCosignature {
                newest: Some(_),
                ..
            }]
        ),
        "{found:?}"
    );
}

async fn a_rewrite_resigned_with_the_stolen_log_key_is_caught_and_refused_by_the_witness<
    S: Tamper,
>(
    h: Harness<S>,
) {
    let mut witness = Witness::start(h.log.verifier_key());
    entries_up_to(&h, 6).await;
    witnessed_checkpoint(&h, &witness).await;
    entries_up_to(&h, 10).await;
    witnessed_checkpoint(&h, &witness).await;
    assert_eq!(verify(&h, Some(&witness)).await, []);

    // Entry 5 re-attributed and its reason changed; the tree, the head and every checkpoint
    // recomputed and re-signed with the log key; the stored cosignatures deleted.
    h.store.lift_triggers().await;
    exec(
        &h,
        "UPDATE audit_log SET actor = 'device:someone-else', reason = 'follow_up' WHERE seq = 5",
    )
    .await;
    rebuild_and_resign(&h, &h.log).await;
    exec(&h, "DELETE FROM audit_cosignatures").await;
    assert_eq!(verify(&h, None).await, [], "the log key alone is fooled");
    // The witness's own head (fetched over HTTP) is not.
    let found = verify(&h, Some(&witness)).await;
    assert!(
        found.contains(&Finding::WitnessedMismatch {
            witness: "witness.test/w1".to_owned(),
            size: 10
        }),
        "{found:?}"
    );

    // Shown to the witness, the rewritten log is refused (a fork of what it cosigned)...
    entries_up_to(&h, 12).await;
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    let refused = submit_latest(
        &h.store,
        &reqwest::Client::new(),
        &witness.endpoint(),
        h.now(),
    )
    .await
    .expect_err("the witness refuses a fork");
    assert!(
        matches!(
            refused,
            WitnessError::Refused {
                status: 422 | 409,
                ..
            }
        ),
        "{refused}"
    );
    let refusals = witness.refusals().await;
    assert!(!refusals.is_empty(), "the witness keeps the evidence");
    // The service's checkpoint task raises an alert for a person (once an hour).
    for _ in 0..2 {
        let outcomes = audit::witnessing::submit_to_all(
            &h.store,
            &reqwest::Client::new(),
            &[witness.endpoint()],
            h.now(),
        )
        .await;
        assert!(outcomes[0].is_err());
    }
    let alerts: Vec<_> = h
        .store
        .alerts()
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == audit::witnessing::WITNESS_REFUSED_ALERT)
        .collect();
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    let refusals = witness.refusals().await;
    // ... and the refusal and the witness's head survive its restart.
    witness.restart();
    assert_eq!(witness.refusals().await, refusals);
    let again = submit_latest(
        &h.store,
        &reqwest::Client::new(),
        &witness.endpoint(),
        h.now(),
    )
    .await
    .expect_err("still refused after the restart");
    assert!(matches!(again, WitnessError::Refused { .. }), "{again}");
    assert!(verify(&h, Some(&witness))
        .await
        .contains(&Finding::WitnessedMismatch {
            witness: "witness.test/w1".to_owned(),
            size: 10
        }));
}

async fn a_cut_log_is_caught_by_the_witness<S: Tamper>(h: Harness<S>) {
    let witness = Witness::start(h.log.verifier_key());
    entries_up_to(&h, 6).await;
    witnessed_checkpoint(&h, &witness).await;
    let saved = h.store.audit_head_state().await.unwrap();
    entries_up_to(&h, 10).await;
    witnessed_checkpoint(&h, &witness).await;
    // Entries 7 to 10 removed with everything that covers them: their tree hashes, the
    // checkpoint and the cosignature at 10, the head rolled back to the one saved at 6.
    h.store.lift_triggers().await;
    exec(&h, "DELETE FROM audit_log WHERE seq > 6").await;
    exec(
        &h,
        &format!(
            "DELETE FROM audit_tree_hashes WHERE idx >= {}",
            tlog_tiles::stored_hash_index(0, 6)
        ),
    )
    .await;
    exec(&h, "DELETE FROM audit_tree_checkpoints WHERE size > 6").await;
    exec(&h, "DELETE FROM audit_cosignatures WHERE size > 6").await;
    exec(
        &h,
        &format!(
            "UPDATE audit_head SET tree_size = 6, signed_head = '{}' WHERE id = 1",
            saved.signed_head
        ),
    )
    .await;
    assert_eq!(
        verify(&h, None).await,
        [],
        "the database alone is consistent"
    );
    let found = verify(&h, Some(&witness)).await;
    assert_eq!(
        found,
        [Finding::WitnessedBeyondEnd {
            witness: "witness.test/w1".to_owned(),
            size: 10,
            entries: 6
        }]
    );
    // The service learns it too at its next submission: the witness has seen more.
    entries_up_to(&h, 8).await;
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    let error = submit_latest(
        &h.store,
        &reqwest::Client::new(),
        &witness.endpoint(),
        h.now(),
    )
    .await
    .expect_err("the witness is ahead");
    assert!(
        matches!(
            error,
            WitnessError::WitnessAhead {
                witness_size: 10,
                log_size: 8,
                ..
            }
        ),
        "{error}"
    );
}

async fn an_access_report_verifies_offline_and_a_tampered_one_does_not<S: Storage>(h: Harness<S>) {
    let witness = Witness::start(h.log.verifier_key());
    let pool = pool(&h).await;
    let referrals = declared_referrals(&h, &pool.device, 2).await;
    let referral = &referrals[0];
    let (status, body) = reveal(
        &h,
        &pool.device,
        &referral.id.to_string(),
        json!({"reason": "offer_call"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    witnessed_checkpoint(&h, &witness).await;
    // A later read, not yet under a cosigned checkpoint.
    let (status, body) = reveal(
        &h,
        &pool.device,
        &referral.id.to_string(),
        json!({"reason": "follow_up"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");

    let log = h.log.verifier().clone();
    let report = audit::access_report::access_report(
        &h.store,
        referral.registration_id,
        &log,
        std::slice::from_ref(&witness.verifier),
        h.now(),
    )
    .await
    .unwrap();
    let actions: Vec<&str> = report
        .entries
        .iter()
        .map(|e| e.leaf.action.as_str())
        .collect();
    assert_eq!(actions, ["vacancy.declared", "contact.revealed"]);
    assert_eq!(report.entries[1].leaf.reason, "offer_call");
    assert_eq!(report.pending.len(), 1);
    assert_eq!(report.pending[0].leaf.reason, "follow_up");

    // Offline, on the command line, with only the two verifier keys.
    let dir = tempfile::tempdir().unwrap();
    let log_key = dir.path().join("log.vkey");
    std::fs::write(&log_key, h.log.verifier_key()).unwrap();
    let witness_key = witness.dir.path().join("witness.vkey");
    let check = |report: &placeforte_translog::report::AccessReport, name: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, serde_json::to_string_pretty(report).unwrap()).unwrap();
        Command::new(env!("CARGO_BIN_EXE_placeforte-central"))
            .args(["audit", "verify-report"])
            .arg(&path)
            .arg("--log-key")
            .arg(&log_key)
            .arg("--witness-key")
            .arg(&witness_key)
            .env_clear()
            .output()
            .unwrap()
    };
    let ok = check(&report, "report.json");
    let stdout = String::from_utf8_lossy(&ok.stdout);
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    assert!(
        stdout.contains("the report verifies: 2 lines proven")
            && stdout.contains("witness.test/w1"),
        "{stdout}"
    );
    // A line's reason changed after the fact; a proof hash changed: refused.
    let mut edited = report.clone();
    edited.entries[1].leaf.reason = "follow_up".to_owned();
    let refused = check(&edited, "edited.json");
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does NOT verify"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    let mut tampered = report.clone();
    let proof = &mut tampered.entries[0].proof;
    assert!(!proof.is_empty());
    proof[0] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=".to_owned();
    assert!(!check(&tampered, "tampered.json").status.success());
    // Trusting another witness only: refused.
    let other =
        placeforte_translog::cosignature::WitnessSigner::generate("witness.test/w2", &[5; 32])
            .unwrap();
    let other_key = dir.path().join("other.vkey");
    std::fs::write(&other_key, other.verifier).unwrap();
    let path = dir.path().join("report.json");
    let refused = Command::new(env!("CARGO_BIN_EXE_placeforte-central"))
        .args(["audit", "verify-report"])
        .arg(&path)
        .arg("--log-key")
        .arg(&log_key)
        .arg("--witness-key")
        .arg(&other_key)
        .env_clear()
        .output()
        .unwrap();
    assert!(!refused.status.success());
}

/// A server posing as the configured witness that answers 200 with a cosignature by another
/// key, or with no cosignature at all: the service keeps nothing and says why.
async fn a_witness_answer_without_its_valid_cosignature_is_refused_and_kept_out<S: Storage>(
    h: Harness<S>,
) {
    use placeforte_translog::cosignature::WitnessSigner;
    let real = WitnessSigner::generate("witness.test/w1", &[1; 32]).unwrap();
    let impostor = WitnessSigner::from_private_key(
        &WitnessSigner::generate("witness.test/w1", &[2; 32])
            .unwrap()
            .private,
    )
    .unwrap();
    let answers: Vec<String> = vec![String::new(), "not a signature line\n".to_owned()];
    let answers = std::sync::Arc::new(std::sync::Mutex::new(answers));
    let impostor = std::sync::Arc::new(impostor);
    let router = axum::Router::new().route(
        "/add-checkpoint",
        axum::routing::post({
            let answers = std::sync::Arc::clone(&answers);
            move |body: String| {
                let answers = std::sync::Arc::clone(&answers);
                let impostor = std::sync::Arc::clone(&impostor);
                async move {
                    let request =
                        placeforte_translog::witness_protocol::AddCheckpoint::parse(&body).unwrap();
                    let (note_body, _) =
                        placeforte_translog::checkpoint::split_note(&request.checkpoint).unwrap();
                    match answers.lock().unwrap().pop() {
                        Some(answer) if !answer.is_empty() => answer,
                        // A well-formed cosignature, by a key the service does not trust.
                        _ => impostor.cosign(note_body, 1_780_000_000).unwrap(),
                    }
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let endpoint = WitnessEndpoint {
        url: format!("http://{addr}"),
        verifier: WitnessVerifier::from_verifier_key(&real.verifier).unwrap(),
    };
    entries_up_to(&h, 3).await;
    audit::checkpoint_if_due(&h.store, &h.log, CheckpointPolicy::default(), h.now(), true)
        .await
        .unwrap();
    for _ in 0..3 {
        let error = submit_latest(&h.store, &reqwest::Client::new(), &endpoint, h.now())
            .await
            .expect_err("no valid cosignature");
        assert!(matches!(error, WitnessError::BadCosignature(_)), "{error}");
    }
    assert!(answers.lock().unwrap().is_empty(), "every answer was tried");
    assert!(h.store.audit_cosignatures().await.unwrap().is_empty());
}
