//! The real `placeforte-witness` binary on 127.0.0.1, driven over HTTP: every answer of
//! C2SP tlog-witness `add-checkpoint`, the refusals it records, and what survives a restart.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Output, Stdio};
use std::time::{SystemTime, UNIX_EPOCH};

use placeforte_translog::checkpoint::{LogSigner, TreeHead};
use placeforte_translog::cosignature::WitnessVerifier;
use placeforte_translog::tree::{consistency_proof, leaf_hash, Frontier, StoredHashes};
use placeforte_translog::witness_protocol::{AddCheckpoint, MAX_BODY_BYTES, SIZE_CONTENT_TYPE};
use serde_json::Value;

const ORIGIN: &str = "placeforte.example/audit";
const LOG_SEED: [u8; 32] = [1; 32];
const BIN: &str = env!("CARGO_BIN_EXE_placeforte-witness");

/// A log as the service keeps it: every stored hash, so that any consistency proof can be
/// made; several logs with the same key and diverging leaves are forks of one another.
struct Log {
    signer: LogSigner,
    frontier: Frontier,
    hashes: StoredHashes,
    /// The tree head after each append (index = size).
    heads: Vec<TreeHead>,
}

impl Log {
    fn new(origin: &str, seed: [u8; 32]) -> Log {
        let pair = LogSigner::generate(origin, &seed).expect("log key");
        let frontier = Frontier::empty();
        Log {
            signer: LogSigner::from_private_key(&pair.private).expect("log signer"),
            heads: vec![frontier.head()],
            frontier,
            hashes: StoredHashes::new(),
        }
    }

    /// Appends `n` entries named `label` and their index.
    fn append(&mut self, n: u64, label: &str) -> &mut Log {
        for _ in 0..n {
            let data = format!("{label} {}", self.frontier.size());
            self.hashes
                .extend(self.frontier.append(leaf_hash(data.as_bytes())));
            self.heads.push(self.frontier.head());
        }
        self
    }

    fn head_at(&self, size: u64) -> TreeHead {
        self.heads[usize::try_from(size).expect("size")]
    }

    /// The signed checkpoint of the tree at `size`.
    fn checkpoint(&self, size: u64) -> String {
        self.signer.sign(self.head_at(size)).expect("sign")
    }

    /// An add-checkpoint body for the tree at `size`, from `old`, with this log's proof.
    fn request(&self, old: u64, size: u64) -> String {
        AddCheckpoint {
            old_size: old,
            proof: consistency_proof(size, old, &self.hashes).expect("proof"),
            checkpoint: self.checkpoint(size),
        }
        .to_body()
    }

    fn key_file(&self, dir: &Path) -> PathBuf {
        let path = dir.join(format!("log-{}.vkey", self.signer.verifier().key_id()));
        std::fs::write(&path, format!("{}\n", self.signer.verifier_key())).expect("write vkey");
        path
    }
}

/// The checkpoint body a note signs (the note up to its blank line).
fn body_of(note: &str) -> &str {
    let end = note.find("\n\n").expect("a note") + 1;
    &note[..end]
}

/// A running witness; killed when dropped.
struct WitnessProcess {
    child: Child,
    base: String,
    _stdout: BufReader<ChildStdout>,
}

impl WitnessProcess {
    fn start(dir: &Path, log_keys: &[PathBuf]) -> WitnessProcess {
        let mut command = Command::new(BIN);
        command
            .args(["serve", "--dir"])
            .arg(dir)
            .args(["--listen", "127.0.0.1:0"]);
        for key in log_keys {
            command.arg("--log-key").arg(key);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn the witness");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout
            .read_line(&mut line)
            .expect("read the listening line");
        let addr = line
            .trim_end()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        WitnessProcess {
            child,
            base: format!("http://{addr}"),
            _stdout: stdout,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Stops it with SIGTERM and returns whether it exited cleanly.
    fn terminate(mut self) -> bool {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill -TERM");
        assert!(sent.success());
        self.child.wait().expect("wait").success()
    }

    /// Kills it outright (SIGKILL): what the store holds must not depend on a clean exit.
    fn kill(mut self) {
        self.child.kill().expect("kill");
        self.child.wait().expect("wait");
    }
}

impl Drop for WitnessProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

struct Answer {
    status: u16,
    content_type: String,
    text: String,
}

/// A witness set up in a fresh directory, trusting the log `ORIGIN`, and a client.
struct Setup {
    dir: tempfile::TempDir,
    vkey: String,
    log_keys: Vec<PathBuf>,
    witness: Option<WitnessProcess>,
    client: reqwest::Client,
}

impl Setup {
    fn new(log: &Log) -> Setup {
        let dir = tempfile::tempdir().expect("tempdir");
        let init = witness_cli(&[
            "init",
            "--dir",
            path_str(dir.path()),
            "--name",
            "witness.example/w1",
        ]);
        assert!(
            init.status.success(),
            "{}",
            String::from_utf8_lossy(&init.stderr)
        );
        let vkey = std::fs::read_to_string(dir.path().join("witness.vkey")).expect("vkey");
        assert_eq!(String::from_utf8_lossy(&init.stdout), vkey);
        let log_keys = vec![log.key_file(dir.path())];
        let witness = WitnessProcess::start(dir.path(), &log_keys);
        Setup {
            dir,
            vkey,
            log_keys,
            witness: Some(witness),
            client: reqwest::Client::new(),
        }
    }

    fn witness(&self) -> &WitnessProcess {
        self.witness.as_ref().expect("running")
    }

    fn verifier(&self) -> WitnessVerifier {
        WitnessVerifier::from_verifier_key(&self.vkey).expect("witness vkey")
    }

    async fn add(&self, body: impl Into<reqwest::Body>) -> Answer {
        let response = self
            .client
            .post(self.witness().url("/add-checkpoint"))
            .body(body)
            .send()
            .await
            .expect("POST /add-checkpoint");
        answer(response).await
    }

    async fn get(&self, path_and_query: &str) -> Answer {
        let response = self
            .client
            .get(self.witness().url(path_and_query))
            .send()
            .await
            .expect("GET");
        answer(response).await
    }

    /// The latest cosigned checkpoint note for `ORIGIN`, if any.
    async fn held(&self) -> Option<String> {
        let answer = self
            .get("/checkpoint?origin=placeforte.example%2Faudit")
            .await;
        match answer.status {
            200 => Some(answer.text),
            404 => None,
            other => panic!("GET /checkpoint answered {other}"),
        }
    }

    async fn refusals(&self) -> Vec<Value> {
        let answer = self
            .get("/refusals?origin=placeforte.example%2Faudit")
            .await;
        assert_eq!(answer.status, 200);
        serde_json::from_str::<Vec<Value>>(&answer.text).expect("JSON refusals")
    }

    /// Restarts the witness on the same directory, killing the running one.
    fn restart(&mut self) {
        if let Some(witness) = self.witness.take() {
            witness.kill();
        }
        self.witness = Some(WitnessProcess::start(self.dir.path(), &self.log_keys));
    }
}

async fn answer(response: reqwest::Response) -> Answer {
    let status = response.status().as_u16();
    let content_type = response
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let text = response.text().await.expect("body");
    Answer {
        status,
        content_type,
        text,
    }
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("UTF-8 path")
}

fn witness_cli(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run the witness CLI")
}

fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("time")
        .as_secs()
}

/// Asserts the note is the checkpoint of `head`, signed by the log and cosigned by the witness.
fn assert_cosigned(note: &str, log: &Log, head: TreeHead, witness: &WitnessVerifier) {
    let opened = log
        .signer
        .verifier()
        .open(note)
        .expect("the log's signature");
    assert_eq!(opened.head, head);
    let body = body_of(note);
    let lines = &note[body.len() + 1..];
    assert_eq!(lines.lines().count(), 2, "{note}");
    assert!(lines.starts_with(&format!("— {ORIGIN} ")), "{note}");
    witness
        .verify(body, lines)
        .expect("the witness's cosignature");
}

fn reasons(refusals: &[Value]) -> Vec<&str> {
    refusals
        .iter()
        .map(|r| r["reason"].as_str().expect("reason"))
        .collect()
}

#[tokio::test]
async fn the_first_checkpoint_from_old_zero_is_cosigned_now() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(5, "entry");
    let setup = Setup::new(&log);
    assert_eq!(setup.held().await, None);

    let before = now();
    let answer = setup.add(log.request(0, 5)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    assert_eq!(answer.content_type, "text/plain; charset=utf-8");
    assert!(
        answer.text.starts_with("— witness.example/w1 "),
        "{}",
        answer.text
    );
    let body = body_of(&log.checkpoint(5)).to_owned();
    let cosignature = setup
        .verifier()
        .verify(&body, &answer.text)
        .expect("verifies");
    assert!(
        (before..=now() + 1).contains(&cosignature.timestamp),
        "timestamp {} not about now",
        cosignature.timestamp
    );
    // The cosignature is over this checkpoint only.
    let other = body_of(&log.checkpoint(4)).to_owned();
    assert!(setup.verifier().verify(&other, &answer.text).is_err());

    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(5), &setup.verifier());
    assert!(setup.refusals().await.is_empty());
}

#[tokio::test]
async fn a_consistent_extension_is_cosigned_and_served_with_both_signatures() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(5, "entry");
    let mut setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 5)).await.status, 200);
    log.append(8, "entry");
    let answer = setup.add(log.request(5, 13)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);

    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(13), &setup.verifier());
    assert!(held.contains(answer.text.as_str()));
    // The same head again, from its own size: cosigned again.
    assert_eq!(setup.add(log.request(13, 13)).await.status, 200);

    let status = witness_cli(&["status", "--dir", path_str(setup.dir.path())]);
    let printed = String::from_utf8_lossy(&status.stdout);
    assert!(
        printed.contains(&format!("{ORIGIN}\t13\t{}\t", log.head_at(13).root)),
        "{printed}"
    );
    // SIGTERM: a clean exit.
    assert!(setup.witness.take().expect("running").terminate());
}

#[tokio::test]
async fn a_wrong_old_size_is_answered_with_the_held_size() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(9, "entry");
    let setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 5)).await.status, 200);

    for old in [0, 3, 7] {
        let answer = setup.add(log.request(old, 9)).await;
        assert_eq!(answer.status, 409, "old {old}");
        assert_eq!(answer.content_type, SIZE_CONTENT_TYPE);
        assert_eq!(answer.text, "5\n");
    }
    let held = setup.held().await.expect("held");
    assert_eq!(body_of(&held), body_of(&log.checkpoint(5)));
    let refusals = setup.refusals().await;
    assert_eq!(reasons(&refusals), ["stale_old_size"; 3]);
    assert_eq!(refusals[1]["old_size"], 3);
    assert_eq!(refusals[1]["submitted_size"], 9);
    assert_eq!(refusals[1]["witness_size"], 5);
}

#[tokio::test]
async fn a_fork_at_the_held_size_is_refused_and_recorded() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(5, "entry");
    let mut fork = Log::new(ORIGIN, LOG_SEED);
    fork.append(4, "entry").append(1, "forged");
    assert_ne!(fork.head_at(5).root, log.head_at(5).root);
    let setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 5)).await.status, 200);

    let answer = setup.add(fork.request(5, 5)).await;
    assert_eq!(answer.status, 409);
    assert_eq!(answer.content_type, SIZE_CONTENT_TYPE);
    assert_eq!(answer.text, "5\n");

    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(5), &setup.verifier());
    let refusals = setup.refusals().await;
    assert_eq!(reasons(&refusals), ["fork_same_size"]);
    assert_eq!(refusals[0]["status"], 409);
    // The evidence: the log's own signature on the other root.
    let evidence = refusals[0]["note"].as_str().expect("note");
    assert_eq!(
        log.signer.verifier().open(evidence).expect("signed").head,
        fork.head_at(5)
    );
}

#[tokio::test]
async fn a_bigger_fork_whose_proof_fails_is_unprocessable_and_recorded() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(5, "entry");
    // Forked at entry 3: consistent with its own size-5 tree, not with the held one.
    let mut fork = Log::new(ORIGIN, LOG_SEED);
    fork.append(3, "entry").append(6, "forged");
    let setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 5)).await.status, 200);

    let answer = setup.add(fork.request(5, 9)).await;
    assert_eq!(answer.status, 422, "{}", answer.text);
    // No proof at all, for a non-empty tree: also unprocessable (and the same evidence, the
    // same signed checkpoint, so a repeat of the first refusal).
    let empty = AddCheckpoint {
        old_size: 5,
        proof: Vec::new(),
        checkpoint: fork.checkpoint(9),
    };
    assert_eq!(setup.add(empty.to_body()).await.status, 422);

    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(5), &setup.verifier());
    let refusals = setup.refusals().await;
    assert_eq!(reasons(&refusals), ["inconsistent"]);
    assert_eq!(refusals[0]["repeats"], 2);
    assert_eq!(refusals[0]["status"], 422);
    assert_eq!(refusals[0]["submitted_size"], 9);
}

#[tokio::test]
async fn a_rollback_is_refused_and_recorded_as_one() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(9, "entry");
    let setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 9)).await.status, 200);

    for old in [0, 4] {
        let answer = setup.add(log.request(old, 4)).await;
        assert_eq!(answer.status, 409);
        assert_eq!(answer.text, "9\n");
    }
    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(9), &setup.verifier());
    let refusals = setup.refusals().await;
    assert_eq!(reasons(&refusals), ["rollback", "rollback"]);
    assert_eq!(refusals[0]["submitted_size"], 4);
    assert_eq!(refusals[0]["witness_size"], 9);

    // Replaying the same refused checkpoint only counts a repeat.
    assert_eq!(setup.add(log.request(0, 4)).await.status, 409);
    let refusals = setup.refusals().await;
    assert_eq!(refusals.len(), 2);
    assert_eq!(refusals[0]["repeats"], 2);
}

#[tokio::test]
async fn every_reject_path_answers_its_status_and_changes_nothing() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(5, "entry");
    let setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 3)).await.status, 200);

    let mut stranger = Log::new("other.example/log", [2; 32]);
    stranger.append(5, "entry");
    assert_eq!(setup.add(stranger.request(0, 5)).await.status, 404);

    let mut impostor = Log::new(ORIGIN, [3; 32]);
    impostor.append(5, "entry");
    assert_eq!(setup.add(impostor.request(3, 5)).await.status, 403);
    // A valid signature line edited: also not signed by the log.
    let edited = log.request(3, 5).replacen("\n5\n", "\n6\n", 1);
    assert_eq!(setup.add(edited).await.status, 403);

    let above = AddCheckpoint {
        old_size: 6,
        proof: Vec::new(),
        checkpoint: log.checkpoint(5),
    };
    assert_eq!(setup.add(above.to_body()).await.status, 400);

    for garbage in [
        "".to_owned(),
        "hello\n".to_owned(),
        "old 03\n\n".to_owned() + &log.checkpoint(5),
        "old 3\nnot base64\n\n".to_owned() + &log.checkpoint(5),
        "old 3\n\nplaceforte.example/audit\nnot a checkpoint\n".to_owned(),
    ] {
        assert_eq!(setup.add(garbage.clone()).await.status, 400, "{garbage:?}");
    }
    assert_eq!(setup.add(vec![0xff_u8, 0xfe, b'\n']).await.status, 400);

    let oversized = setup.add("a".repeat(MAX_BODY_BYTES + 1)).await;
    assert!(
        [400, 413].contains(&oversized.status),
        "{}",
        oversized.status
    );

    assert_eq!(setup.get("/add-checkpoint/extra").await.status, 404);
    assert_eq!(setup.get("/").await.status, 404);
    assert_eq!(
        setup
            .get("/checkpoint?origin=unknown.example%2Flog")
            .await
            .status,
        404
    );

    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(3), &setup.verifier());
    let refusals = setup.refusals().await;
    assert_eq!(
        reasons(&refusals),
        ["bad_signature", "bad_signature", "old_size_above_size"]
    );
    assert_eq!(refusals[0]["status"], 403);
    assert_eq!(refusals[0]["submitted_size"], Value::Null);
    assert_eq!(refusals[2]["status"], 400);
}

#[tokio::test]
async fn refusals_and_the_held_head_survive_a_restart() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(5, "entry");
    let mut fork = Log::new(ORIGIN, LOG_SEED);
    fork.append(4, "entry").append(1, "forged");
    let mut setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 5)).await.status, 200);
    assert_eq!(setup.add(fork.request(5, 5)).await.status, 409);
    assert_eq!(setup.add(log.request(0, 3)).await.status, 409);

    setup.restart();
    let refusals = setup.refusals().await;
    assert_eq!(reasons(&refusals), ["fork_same_size", "rollback"]);
    let listed = witness_cli(&["refusals", "--dir", path_str(setup.dir.path())]);
    assert!(listed.status.success());
    let printed = String::from_utf8_lossy(&listed.stdout);
    assert!(
        printed.contains(&format!("{ORIGIN}\t409\tfork_same_size\t5\t5\t5")),
        "{printed}"
    );
    assert!(
        printed.contains(&format!("{ORIGIN}\t409\trollback\t0\t3\t5")),
        "{printed}"
    );

    // Still the same head: the fork is still refused, the log's extension still accepted.
    assert_eq!(setup.add(fork.request(5, 5)).await.status, 409);
    log.append(4, "entry");
    let answer = setup.add(log.request(5, 9)).await;
    assert_eq!(answer.status, 200, "{}", answer.text);
    let held = setup.held().await.expect("held");
    assert_cosigned(&held, &log, log.head_at(9), &setup.verifier());
}

#[tokio::test]
async fn of_two_concurrent_extensions_from_one_old_size_exactly_one_is_cosigned() {
    let mut log = Log::new(ORIGIN, LOG_SEED);
    log.append(3, "entry");
    let setup = Setup::new(&log);
    assert_eq!(setup.add(log.request(0, 3)).await.status, 200);
    let mut old = 3;
    for _ in 0..8 {
        log.append(2, "entry");
        let (small, big) = (old + 1, old + 2);
        let (a, b) = tokio::join!(
            setup.add(log.request(old, small)),
            setup.add(log.request(old, big))
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "from {old}");
        let winner = if a.status == 200 { small } else { big };
        let held = setup.held().await.expect("held");
        assert_cosigned(&held, &log, log.head_at(winner), &setup.verifier());
        let loser = if a.status == 409 { &a } else { &b };
        assert_eq!(loser.text, format!("{winner}\n"));
        // Catch up to the log's size for the next round.
        if winner != big {
            assert_eq!(setup.add(log.request(winner, big)).await.status, 200);
        }
        old = big;
    }
}

#[test]
fn init_never_overwrites_a_key_and_names_a_bad_name() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_arg = path_str(dir.path());
    let first = witness_cli(&["init", "--dir", dir_arg, "--name", "witness.example/w1"]);
    assert!(first.status.success());
    let key = std::fs::read_to_string(dir.path().join("witness.key")).expect("key");

    let again = witness_cli(&["init", "--dir", dir_arg, "--name", "witness.example/w2"]);
    assert!(!again.status.success());
    let message = String::from_utf8_lossy(&again.stderr);
    assert!(message.contains("already exists"), "{message}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("witness.key")).expect("key"),
        key
    );

    let other = dir.path().join("other");
    let bad = witness_cli(&["init", "--dir", path_str(&other), "--name", "bad name"]);
    assert!(!bad.status.success());
    let message = String::from_utf8_lossy(&bad.stderr);
    assert!(message.contains("invalid witness name"), "{message}");
    assert!(!other.join("witness.key").exists());

    // Reading a directory no witness served from is an error, not an empty store created.
    let status = witness_cli(&["refusals", "--dir", dir_arg]);
    assert!(!status.status.success());
    assert!(!dir.path().join("witness.db").exists());
}

#[test]
fn a_log_key_file_must_hold_a_log_verifier_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir_arg = path_str(dir.path());
    assert!(
        witness_cli(&["init", "--dir", dir_arg, "--name", "witness.example/w1"])
            .status
            .success()
    );
    // The witness's own verifier key is a cosignature key, not a log's.
    let vkey = dir.path().join("witness.vkey");
    let served = witness_cli(&[
        "serve",
        "--dir",
        dir_arg,
        "--listen",
        "127.0.0.1:0",
        "--log-key",
        path_str(&vkey),
    ]);
    assert!(!served.status.success());
    assert!(String::from_utf8_lossy(&served.stderr).contains("witness.vkey"));
}
