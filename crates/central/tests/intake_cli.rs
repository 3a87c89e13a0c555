//! The intake commands of the operator's binary (SQLite; the store tests cover PostgreSQL):
//! `daycare add|edit|deactivate`, `registrations import` all or nothing with line numbers,
//! `intake-client issue|revoke`.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};
use common::new_csr;
use serde_json::json;

const BIN: &str = env!("CARGO_BIN_EXE_placeforte-central");

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("USER", "cli-test")
        .env("RUST_LOG", "warn")
        .env("PLACEFORTE_DATA_DIR", dir)
        .output()
        .expect("run placeforte-central")
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

fn line(choice: &str, birth_days_ago: i64) -> String {
    let today = Utc::now().date_naive();
    json!({
        "registered_on": (today - Duration::days(100)).to_string(),
        "registration": {
            "child": {"given_name": "Noé", "family_name": "Roy",
                      "birth_date": (today - Duration::days(birth_days_ago)).to_string()},
            "desired_entry_date": (today + Duration::days(60)).to_string(),
            "region": "Laurentides",
            "address_key": "k-1",
            "parent": {"given_name": "Ana", "family_name": "Roy",
                       "phone": "450 555-0142", "email": "ana@example.org"},
            "facts": {"staff_member_child": false, "same_address_as_admitted_child": false,
                      "already_in_subsidized_care": false},
            "priority": {"special_needs": false, "socio_economic_precarity": false,
                         "parent_in_education": false},
            "choices": [choice],
        }
    })
    .to_string()
}

#[test]
fn daycares_are_added_edited_and_deactivated() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    let added = stdout(&run(
        dir.path(),
        &[
            "daycare",
            "add",
            "--name",
            "CPE Les Lucioles",
            "--region",
            "Estrie",
            "--places",
            "10,20,10,0",
        ],
    ));
    let id = added.trim().to_owned();
    let edited = stdout(&run(
        dir.path(),
        &["daycare", "edit", &id, "--name", "CPE Les Lucioles du Lac"],
    ));
    assert_eq!(
        edited.trim(),
        format!("{id}\tEstrie\tCPE Les Lucioles du Lac")
    );
    let message = stderr(&run(dir.path(), &["daycare", "edit", &id]));
    assert!(message.contains("nothing to change"), "{message}");
    let listed = stdout(&run(dir.path(), &["daycare", "list"]));
    assert!(listed.contains("CPE Les Lucioles du Lac"), "{listed}");
    let done = stdout(&run(dir.path(), &["daycare", "deactivate", &id]));
    assert!(
        done.contains("0 workstations revoked, 0 open referrals closed"),
        "{done}"
    );
    let message = stderr(&run(dir.path(), &["daycare", "deactivate", &id]));
    assert!(message.contains("already deactivated"), "{message}");
    let message = stderr(&run(dir.path(), &["enrolment-code", "issue", &id]));
    assert!(message.contains("is deactivated"), "{message}");
}

#[test]
fn an_import_is_all_or_nothing_with_every_bad_line_numbered() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    let daycare = stdout(&run(
        dir.path(),
        &[
            "daycare",
            "add",
            "--name",
            "CPE Le Hibou",
            "--region",
            "Laurentides",
            "--places",
            "10,20,10,0",
        ],
    ))
    .trim()
    .to_owned();
    let file = dir.path().join("registrations.jsonl");
    let bad = [
        line(&daycare, 400),
        line(&daycare, -5),
        "[]".to_owned(),
        line(&uuid::Uuid::new_v4().to_string(), 400),
    ];
    std::fs::write(&file, bad.join("\n")).expect("write");
    let path = file.to_str().expect("path");
    let message = stderr(&run(dir.path(), &["registrations", "import", path]));
    assert!(
        message.contains("3 bad line(s), nothing imported"),
        "{message}"
    );
    assert!(
        message.contains("line 2: invalid: child_not_born"),
        "{message}"
    );
    assert!(message.contains("line 3: malformed"), "{message}");
    assert!(
        message.contains("line 4: invalid: choice_inactive"),
        "{message}"
    );
    assert!(!message.contains("line 1:"), "{message}");
    let good = [line(&daycare, 400), line(&daycare, 500)];
    std::fs::write(&file, good.join("\n")).expect("write");
    let imported = stdout(&run(dir.path(), &["registrations", "import", path]));
    assert_eq!(imported.trim(), "imported 2 registrations");
}

#[test]
fn an_intake_client_is_issued_from_a_csr_and_revoked() {
    let dir = tempfile::tempdir().expect("tempdir");
    stdout(&run(dir.path(), &["init"]));
    let (_, csr) = new_csr();
    let csr_path = dir.path().join("front.csr");
    std::fs::write(&csr_path, csr).expect("write");
    let out = dir.path().join("front.pem");
    let args = [
        "intake-client",
        "issue",
        "--name",
        "front-end",
        "--csr",
        csr_path.to_str().expect("path"),
        "--out",
        out.to_str().expect("path"),
    ];
    let issued = stdout(&run(dir.path(), &args));
    let id = issued.split('\t').next().expect("id").trim().to_owned();
    let chain = std::fs::read_to_string(&out).expect("chain");
    assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2, "leaf and CA");
    let message = stderr(&run(dir.path(), &args));
    assert!(
        message.contains("cannot create"),
        "never overwritten: {message}"
    );
    stdout(&run(dir.path(), &["intake-client", "revoke", &id]));
    let message = stderr(&run(dir.path(), &["intake-client", "revoke", &id]));
    assert!(message.contains("no active intake client"), "{message}");
}
