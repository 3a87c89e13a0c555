//! The operator's binary: start-up failures in plain words, and the whole device lifecycle
//! through the CLI and a running `serve` (SQLite; the storage tests cover PostgreSQL).

mod common;

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::new_csr;
use placeforte_protocol::device::{DeviceCertificate, EnrolRequest, WhoAmIResponse};
use placeforte_protocol::invite::EnrolmentInvite;

const BIN: &str = env!("CARGO_BIN_EXE_placeforte-central");

fn central(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("USER", "cli-test")
        .env("RUST_LOG", "warn")
        .env("PLACEFORTE_DATA_DIR", dir)
        .env("PLACEFORTE_API_LISTEN", "127.0.0.1:0")
        .env("PLACEFORTE_ENROLMENT_LISTEN", "127.0.0.1:0");
    command
}

fn run(dir: &Path, args: &[&str]) -> Output {
    central(dir, args).output().expect("run placeforte-central")
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "should have failed");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn startup_with_a_missing_ca_file_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let message = stderr(&run(dir.path(), &["serve"]));
    assert!(
        message.contains("cannot read the device CA certificate at"),
        "{message}"
    );
    assert!(message.contains("device-ca.pem"), "{message}");
    assert!(message.contains("placeforte-central init"), "{message}");
}

#[test]
fn startup_with_an_unreadable_ca_file_fails_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    // A directory where the file should be: the read fails (as root, permissions would not).
    let ca = dir.path().join("device-ca.pem");
    std::fs::remove_file(&ca).expect("remove");
    std::fs::create_dir(&ca).expect("mkdir");
    let message = stderr(&run(dir.path(), &["serve"]));
    assert!(
        message.contains("cannot read the device CA certificate at"),
        "{message}"
    );

    // A file that is there but is not a certificate.
    std::fs::remove_dir(&ca).expect("rmdir");
    std::fs::write(&ca, "garbage").expect("write");
    let message = stderr(&run(dir.path(), &["serve"]));
    assert!(
        message.contains("the device CA certificate at"),
        "{message}"
    );
    assert!(message.contains("is not valid"), "{message}");

    // A key that is not the CA's key.
    let other = tempfile::tempdir().expect("tempdir");
    stdout(&run(other.path(), &["init"]));
    std::fs::copy(other.path().join("device-ca.pem"), &ca).expect("copy");
    let message = stderr(&run(dir.path(), &["serve"]));
    assert!(
        message.contains("does not match the device CA certificate"),
        "{message}"
    );
}

#[test]
fn init_writes_private_keys_for_the_owner_only_and_never_overwrites() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    for file in ["device-ca.key", "server.key", "device-ca.pem", "server.pem"] {
        let mode = std::fs::metadata(dir.path().join(file))
            .expect(file)
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
    let message = stderr(&run(dir.path(), &["init"]));
    assert!(message.contains("already exists"), "{message}");
}

#[test]
fn help_is_in_english_and_errors_are_plain_words() {
    let dir = tempfile::tempdir().expect("tempdir");
    let help = stdout(&run(dir.path(), &["--help"]));
    for command in [
        "init",
        "serve",
        "daycare",
        "enrolment-code",
        "device",
        "seed",
    ] {
        assert!(help.contains(command), "{help}");
    }
    stdout(&run(dir.path(), &["init"]));
    let message = stderr(&run(dir.path(), &["enrolment-code", "issue", "not-an-id"]));
    assert!(message.contains("not-an-id"), "{message}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let message = stderr(&run(dir.path(), &["enrolment-code", "issue", &unknown]));
    assert!(message.contains("no daycare has the id"), "{message}");
    let message = stderr(&run(dir.path(), &["device", "revoke", &unknown]));
    assert!(message.contains("no active device has the id"), "{message}");
    let message = stderr(&run(
        dir.path(),
        &[
            "daycare",
            "add",
            "--name",
            "Trop grand",
            "--region",
            "Laval",
            "--places",
            "50,50,50,0",
        ],
    ));
    assert!(message.contains("invalid permit"), "{message}");
}

struct Serving(Child);

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_lifecycle_through_the_cli_and_a_running_service() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path();
    stdout(&run(path, &["init"]));
    let daycare = stdout(&run(
        path,
        &[
            "daycare",
            "add",
            "--name",
            "CPE La Ribambelle",
            "--region",
            "Estrie",
            "--places",
            "10,30,15,0",
        ],
    ))
    .trim()
    .to_owned();
    let listing = stdout(&run(path, &["daycare", "list"]));
    assert!(
        listing.contains("CPE La Ribambelle") && listing.contains(&daycare),
        "{listing}"
    );
    let issued = stdout(
        &central(path, &["enrolment-code", "issue", &daycare])
            .env(
                "PLACEFORTE_PUBLIC_ENROLMENT_ADDRESS",
                "placeforte.example:8444",
            )
            .env("PLACEFORTE_PUBLIC_API_ADDRESS", "placeforte.example:8443")
            .output()
            .expect("issue"),
    );
    let code = issued
        .lines()
        .find_map(|line| line.strip_prefix("code:"))
        .expect("code line")
        .trim()
        .to_owned();
    // The invitation the director pastes into the app carries the same code and daycare, and
    // pins the CA the service was initialised with.
    let invitation: EnrolmentInvite = issued
        .lines()
        .find_map(|line| line.strip_prefix("invitation:"))
        .expect("invitation line")
        .trim()
        .parse()
        .expect("a valid invitation");
    assert_eq!(invitation.code, code);
    assert_eq!(invitation.enrolment_address, "placeforte.example:8444");
    assert_eq!(invitation.api_address, "placeforte.example:8443");
    assert_eq!(invitation.daycare_id.to_string(), daycare);
    assert_eq!(
        invitation.ca_sha256,
        placeforte_central::ca::certificate_fingerprint(&path.join("device-ca.pem"))
            .expect("fingerprint")
    );
    let ca_der = rustls::pki_types::pem::PemObject::from_pem_file(path.join("device-ca.pem"))
        .map(|c: rustls::pki_types::CertificateDer<'_>| c.to_vec())
        .expect("CA DER");
    assert_eq!(
        invitation.ca_sha256.as_slice(),
        ring::digest::digest(&ring::digest::SHA256, &ca_der).as_ref()
    );

    let mut child = central(path, &["serve"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let mut first_line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first_line)
        .expect("listening line");
    let _serving = Serving(child);
    // "listening: API (client certificate required) on A, enrolment on B"
    let api = first_line
        .split(" on ")
        .nth(1)
        .and_then(|s| s.split(',').next())
        .expect("API address")
        .trim()
        .to_owned();
    let enrolment = first_line
        .rsplit(" on ")
        .next()
        .expect("enrolment address")
        .trim()
        .to_owned();

    let ca_pem = std::fs::read_to_string(path.join("device-ca.pem")).expect("CA");
    let anonymous = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA"))
        .build()
        .expect("client");
    let (key, csr) = new_csr();
    let response = anonymous
        .post(format!("https://{enrolment}/v1/enrol"))
        .json(&EnrolRequest {
            daycare_id: daycare.parse().expect("daycare id"),
            enrolment_code: code,
            csr_pem: csr,
        })
        .send()
        .await
        .expect("enrol");
    assert_eq!(response.status(), 200);
    let certificate: DeviceCertificate = response.json().await.expect("certificate");
    let identity = format!(
        "{}{}",
        key.serialize_pem(),
        certificate.certificate_chain_pem
    );
    let device_client = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA"))
        .identity(reqwest::Identity::from_pem(identity.as_bytes()).expect("identity"))
        .build()
        .expect("client");
    let whoami = device_client
        .get(format!("https://{api}/v1/device/whoami"))
        .send()
        .await
        .expect("whoami");
    assert_eq!(whoami.status(), 200);
    let whoami: WhoAmIResponse = whoami.json().await.expect("json");
    assert_eq!(whoami.device_id, certificate.device_id);

    let devices = stdout(&run(path, &["device", "list"]));
    assert!(
        devices.contains(&certificate.device_id.to_string()) && devices.contains("active"),
        "{devices}"
    );
    stdout(&run(
        path,
        &["device", "revoke", &certificate.device_id.to_string()],
    ));
    // The kept-alive client connection and any new one are refused from the next request on.
    let refused = device_client
        .get(format!("https://{api}/v1/device/whoami"))
        .send()
        .await
        .expect("whoami");
    assert_eq!(refused.status(), 401);
    let devices = stdout(&run(path, &["device", "list"]));
    assert!(devices.contains("revoked"), "{devices}");
}

#[test]
fn seed_is_deterministic_and_refuses_a_second_run() {
    let dir = tempfile::tempdir().expect("tempdir");
    // Seeding is audited: it needs the log key `init` makes.
    let refused = stderr(&run(dir.path(), &["seed", "--registrations", "10"]));
    assert!(refused.contains("audit log key is not loaded"), "{refused}");
    stdout(&run(dir.path(), &["init"]));
    let args = [
        "seed",
        "--registrations",
        "3000",
        "--daycares",
        "100",
        "--seed",
        "42",
        "--as-of",
        "2026-06-01",
    ];
    let out = stdout(&run(dir.path(), &args));
    assert!(
        out.contains("100 daycares, 3000 registrations (7 honeytokens)"),
        "{out}"
    );
    let message = stderr(&run(dir.path(), &args));
    assert!(
        message.contains("already holds 3000 registrations"),
        "{message}"
    );
}

/// `daycare list | head -1`: the reader stops early; the listing ends quietly (no panic on the
/// broken pipe, exit 0). 3,000 daycares are far more than a pipe's buffer holds.
#[test]
fn a_listing_piped_into_a_reader_that_stops_early_ends_quietly() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    stdout(&run(
        dir.path(),
        &["seed", "--registrations", "3000", "--daycares", "3000"],
    ));
    let mut child = central(dir.path(), &["daycare", "list"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut first = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut first)
        .expect("first line");
    assert_eq!(first.trim_end(), "id\tregion\tplaces\tname");
    // The reader is gone (dropped above); the rest of the listing meets a closed pipe.
    let output = child.wait_with_output().expect("wait");
    let errors = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{errors}");
    assert!(!errors.contains("panicked"), "{errors}");
}

#[test]
fn set_permit_changes_a_daycare_permit_and_refuses_what_the_rules_refuse() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path();
    stdout(&run(path, &["init"]));
    let add = [
        "daycare",
        "add",
        "--name",
        "CPE Le Harfang",
        "--region",
        "Estrie",
        "--places",
        "5,20,0,0",
    ];
    let daycare = stdout(&run(path, &add)).trim().to_owned();
    let set = |places: &str| {
        run(
            path,
            &["daycare", "set-permit", &daycare, "--places", places],
        )
    };
    assert_eq!(
        stdout(&set("10,30,15,0")),
        format!("{daycare}\t10,30,15,0\n")
    );
    assert!(stdout(&run(path, &["daycare", "list"]))
        .contains(&format!("{daycare}\tEstrie\t10,30,15,0")));
    // Over the installation maximum of the rules in force (100 children since 2022).
    let over = stderr(&set("50,51,0,0"));
    assert!(over.contains("invalid permit"), "{over}");
    assert!(stderr(&set("1,2,3")).contains("exactly four numbers"));
    let unknown = stderr(&run(
        path,
        &[
            "daycare",
            "set-permit",
            &uuid::Uuid::new_v4().to_string(),
            "--places",
            "1,1,1,0",
        ],
    ));
    assert!(unknown.contains("no daycare has the id"), "{unknown}");
    // The refusals changed nothing.
    assert!(stdout(&run(path, &["daycare", "list"]))
        .contains(&format!("{daycare}\tEstrie\t10,30,15,0")));
}

#[test]
fn outcome_reports_confirmations_and_reverts_are_operator_commands() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    let listing = stdout(&run(dir.path(), &["outcome", "reports"]));
    assert_eq!(
        listing.trim_end(),
        "id\treported\tkind\tdaycare\tdevice\treferral\tregistration"
    );
    let unknown = uuid::Uuid::new_v4().to_string();
    let message = stderr(&run(dir.path(), &["outcome", "confirm", &unknown]));
    assert!(message.contains("no pending outcome report"), "{message}");
    let message = stderr(&run(
        dir.path(),
        &[
            "outcome",
            "revert",
            &unknown,
            "--reason",
            "the family called",
        ],
    ));
    assert!(message.contains("no outcome or referral"), "{message}");
    // A revert without its reason for the audit log is refused before anything is read.
    let message = stderr(&run(dir.path(), &["outcome", "revert", &unknown]));
    assert!(message.contains("--reason"), "{message}");
}

/// `ca rotate`: the old CA and server files are kept aside, new ones take their place, new
/// invitations pin the new CA, and the rotation is in the audit log.
#[test]
fn the_device_ca_is_rotated_with_the_old_files_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path();
    stdout(&run(path, &["init"]));
    let old = placeforte_central::ca::certificate_fingerprint(&path.join("device-ca.pem"))
        .expect("fingerprint");
    let old_key = std::fs::read(path.join("device-ca.key")).expect("key");
    let daycare = stdout(&run(
        path,
        &[
            "daycare", "add", "--name", "CPE Un", "--region", "Estrie", "--places", "5,5,5,0",
        ],
    ))
    .trim()
    .to_owned();
    let out = stdout(&run(path, &["ca", "rotate"]));
    assert!(out.contains("0 devices revoked"), "{out}");
    let new = placeforte_central::ca::certificate_fingerprint(&path.join("device-ca.pem"))
        .expect("fingerprint");
    assert_ne!(old, new);
    assert!(out.contains(&hex::encode(new)), "{out}");
    // The old files are kept, byte for byte, beside the new ones.
    let retired: Vec<String> = std::fs::read_dir(path)
        .expect("dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|name| name.contains(".retired-"))
        .collect();
    assert_eq!(retired.len(), 4, "{retired:?}");
    let old_key_file = retired
        .iter()
        .find(|name| name.starts_with("device-ca.key."))
        .expect("retired key");
    assert_eq!(
        std::fs::read(path.join(old_key_file)).expect("read"),
        old_key
    );
    // A new invitation pins the new CA.
    let issued = stdout(
        &central(path, &["enrolment-code", "issue", &daycare])
            .env(
                "PLACEFORTE_PUBLIC_ENROLMENT_ADDRESS",
                "placeforte.example:8444",
            )
            .env("PLACEFORTE_PUBLIC_API_ADDRESS", "placeforte.example:8443")
            .output()
            .expect("issue"),
    );
    let invitation: EnrolmentInvite = issued
        .lines()
        .find_map(|line| line.strip_prefix("invitation:"))
        .expect("invitation line")
        .trim()
        .parse()
        .expect("a valid invitation");
    assert_eq!(invitation.ca_sha256, new);
    assert!(stdout(&run(path, &["audit", "verify"])).contains("audit log intact"));
}

/// `admin reactivate`: a suspended registration waits again with its missed deadline kept;
/// any other (waiting, unknown) and a missing reason are refused in plain words.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admin_reactivate_puts_a_suspended_registration_back_and_refuses_the_others() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    stdout(&run(
        dir.path(),
        &["seed", "--registrations", "20", "--daycares", "2"],
    ));
    // A registration the clock suspended, as the expiry leaves it.
    let url = format!("sqlite:{}", dir.path().join("central.db").display());
    let pool = sqlx::SqlitePool::connect(&url).await.expect("database");
    let registration: uuid::Uuid = sqlx::query_scalar(
        "SELECT id FROM registrations WHERE id NOT IN (SELECT registration_id FROM honeytoken_registrations) LIMIT 1",
    )
    .fetch_one(&pool)
    .await
    .expect("a registration");
    sqlx::query(
        "INSERT INTO registration_states (registration_id, status, missed_deadlines) VALUES ($1, 'suspended', 1)",
    )
    .bind(registration)
    .execute(&pool)
    .await
    .expect("suspend");
    pool.close().await;
    let id = registration.to_string();

    let message = stderr(&run(dir.path(), &["admin", "reactivate", &id]));
    assert!(message.contains("--reason"), "{message}");
    let out = stdout(&run(
        dir.path(),
        &["admin", "reactivate", &id, "--reason", "the family called"],
    ));
    assert!(
        out.contains(&format!(
            "reactivated {id}: waiting again, 1 missed deadline(s) kept"
        )),
        "{out}"
    );
    let message = stderr(&run(
        dir.path(),
        &["admin", "reactivate", &id, "--reason", "again"],
    ));
    assert!(message.contains("cannot be reactivated"), "{message}");
    assert!(message.contains("not suspended (Waiting)"), "{message}");
    let unknown = uuid::Uuid::new_v4().to_string();
    let message = stderr(&run(
        dir.path(),
        &["admin", "reactivate", &unknown, "--reason", "x"],
    ));
    assert!(message.contains("no registration has the id"), "{message}");
}
