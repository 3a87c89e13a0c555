//! The real `placeforte-central` binary, served from a data folder, and a workstation enrolled
//! with it over mutual TLS: shared by the restore drill (`backup.rs`) and the JSON log test
//! (`logs.rs`).
#![allow(dead_code, unreachable_pub, clippy::unwrap_used)]

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use chrono::{Duration, Utc};
use placeforte_protocol::device::{DeviceCertificate, EnrolRequest};
use placeforte_protocol::referrals::{ReferralPage, ReferralSyncItem};
use serde_json::json;

pub const BIN: &str = env!("CARGO_BIN_EXE_placeforte-central");

/// A passphrase long enough for `backup`.
pub const PASSPHRASE: &str = "une phrase de passe assez longue";

pub fn central(dir: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(BIN);
    command
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("USER", "backup-test")
        .env("RUST_LOG", "warn")
        .env("PLACEFORTE_DATA_DIR", dir)
        .env("PLACEFORTE_API_LISTEN", "127.0.0.1:0")
        .env("PLACEFORTE_ENROLMENT_LISTEN", "127.0.0.1:0")
        .env("PLACEFORTE_BACKUP_PASSPHRASE", PASSPHRASE);
    command
}

pub fn run(dir: &Path, args: &[&str]) -> Output {
    central(dir, args).output().expect("run placeforte-central")
}

pub fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    assert!(!output.status.success(), "should have failed");
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A data folder with keys, a small synthetic province, and one daycare's enrolment code.
pub struct Province {
    pub daycare: String,
    pub code: String,
}

pub fn province(dir: &Path) -> Province {
    stdout(&run(dir, &["init"]));
    stdout(&run(
        dir,
        &[
            "seed",
            "--registrations",
            "300",
            "--daycares",
            "3",
            "--honeytokens",
            "1",
            "--seed",
            "7",
        ],
    ));
    let listing = stdout(&run(dir, &["daycare", "list"]));
    let daycare = listing
        .lines()
        .nth(1)
        .and_then(|line| line.split('\t').next())
        .expect("a daycare")
        .to_owned();
    let issued = stdout(&run(dir, &["enrolment-code", "issue", &daycare]));
    let code = issued
        .lines()
        .find_map(|line| line.strip_prefix("code:"))
        .expect("code line")
        .trim()
        .to_owned();
    Province { daycare, code }
}

/// A running `serve`, killed when dropped.
pub struct Serving {
    child: Child,
    pub api: String,
    pub enrolment: String,
}

impl Serving {
    /// Starts `serve` on `dir` with `args`; its standard error goes to `stderr`.
    pub fn start(dir: &Path, args: &[&str], log: Stdio, rust_log: &str) -> Serving {
        let mut all = vec!["serve"];
        all.extend_from_slice(args);
        let mut child = central(dir, &all)
            .env("RUST_LOG", rust_log)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .expect("serve");
        let mut first_line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut first_line)
            .expect("listening line");
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
        Serving {
            child,
            api,
            enrolment,
        }
    }

    /// Stops it with SIGTERM (a graceful stop) and waits.
    pub fn stop(mut self) {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status();
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn client(dir: &Path, identity: Option<&str>) -> reqwest::Client {
    let ca_pem = std::fs::read_to_string(dir.join("device-ca.pem")).expect("CA");
    let mut builder = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(ca_pem.as_bytes()).expect("CA"));
    if let Some(identity) = identity {
        builder = builder.identity(reqwest::Identity::from_pem(identity.as_bytes()).unwrap());
    }
    builder.build().expect("client")
}

/// A workstation enrolled over the enrolment listener: its mutual-TLS client.
pub struct Workstation {
    pub certificate: DeviceCertificate,
    identity: String,
}

impl Workstation {
    pub async fn enrol(dir: &Path, serving: &Serving, province: &Province) -> Workstation {
        let key = rcgen::KeyPair::generate().unwrap();
        let csr = rcgen::CertificateParams::new(Vec::<String>::new())
            .unwrap()
            .serialize_request(&key)
            .unwrap()
            .pem()
            .unwrap();
        let response = client(dir, None)
            .post(format!("https://{}/v1/enrol", serving.enrolment))
            .json(&EnrolRequest {
                daycare_id: province.daycare.parse().unwrap(),
                enrolment_code: province.code.clone(),
                csr_pem: csr,
            })
            .send()
            .await
            .expect("enrol");
        assert_eq!(response.status(), 200);
        let certificate: DeviceCertificate = response.json().await.unwrap();
        let identity = format!(
            "{}{}",
            key.serialize_pem(),
            certificate.certificate_chain_pem
        );
        Workstation {
            certificate,
            identity,
        }
    }

    /// Its client, trusting the CA of `dir` (the same CA after a restore).
    pub fn client(&self, dir: &Path) -> reqwest::Client {
        client(dir, Some(&self.identity))
    }

    /// Declares two toddler places; returns the answer's status.
    pub async fn declare(&self, dir: &Path, serving: &Serving) -> u16 {
        let start = (Utc::now().date_naive() + Duration::days(30)).to_string();
        self.client(dir)
            .post(format!("https://{}/v1/vacancies", serving.api))
            .json(&json!({
                "idempotency_key": uuid::Uuid::new_v4(),
                "age_class": "from_18_months_to_4_years",
                "places": 2,
                "start_date": start,
            }))
            .send()
            .await
            .unwrap()
            .status()
            .as_u16()
    }

    /// Every referral, from the start.
    pub async fn sync(&self, dir: &Path, serving: &Serving) -> Vec<ReferralSyncItem> {
        let response = self
            .client(dir)
            .get(format!("https://{}/v1/referrals?limit=500", serving.api))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200);
        let page: ReferralPage = response.json().await.unwrap();
        page.referrals
    }
}
