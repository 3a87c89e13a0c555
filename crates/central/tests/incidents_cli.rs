//! The Law 25 commands of the operator's binary (SQLite; tests/incidents.rs and
//! tests/access_report_document.rs cover both backends): the incident register from entry to
//! CSV, its refusals, and the access report PDF by public number.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

use chrono::{Duration, Utc};
use placeforte_central::incidents_csv::HEADERS;

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
        .unwrap()
}

fn ok(output: Output) -> String {
    assert!(
        output.status.success(),
        "failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

fn refused(output: Output) -> String {
    assert!(!output.status.success(), "should have failed");
    String::from_utf8(output.stderr).unwrap()
}

fn ready() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    ok(run(dir.path(), &["init"]));
    ok(run(
        dir.path(),
        &[
            "seed",
            "--registrations",
            "20",
            "--daycares",
            "2",
            "--honeytokens",
            "1",
        ],
    ));
    dir
}

#[test]
fn the_register_is_kept_from_the_command_line_and_exported_as_csv() {
    let dir = ready();
    let today = placeforte_domain::quebec_today(Utc::now());
    let yesterday = (today - Duration::days(1)).to_string();
    let week_ago = (today - Duration::days(7)).to_string();
    let period = format!("{week_ago}/{yesterday}");
    let today = today.to_string();
    let add = |extra: &[&str]| {
        let mut args = vec![
            "incident",
            "add",
            "--information",
            "Noms d'enfants, téléphones",
            "--circumstances",
            "Un courriel, \"par erreur\", à la mauvaise garderie, avec 3 fiches",
            "--occurred",
            &period,
            "--aware",
            &today,
            "--persons",
            "3",
            "--risk-assessment",
            "Faible : destinataire connu, courriel supprimé",
            "--measures",
            "Suppression confirmée par écrit",
        ];
        args.extend_from_slice(extra);
        run(dir.path(), &args)
    };
    let out = ok(add(&["--serious-risk", "no"]));
    assert!(out.contains("incident 1 entered"), "{out}");
    let message = refused(add(&[]));
    assert!(message.contains("--serious-risk is required"), "{message}");
    let tomorrow = (Utc::now() + Duration::days(2)).date_naive().to_string();
    let message = refused(add(&[
        "--serious-risk",
        "yes",
        "--commission-notified",
        &tomorrow,
    ]));
    assert!(message.contains("in the future"), "{message}");
    let message = refused(add(&[
        "--serious-risk",
        "no",
        "--commission-notified",
        &today,
    ]));
    assert!(message.contains("risk of serious injury"), "{message}");
    let message = refused(run(dir.path(), &["incident", "from-alert", "5"]));
    assert!(message.contains("no alert has the id 5"), "{message}");

    let out = ok(run(
        dir.path(),
        &[
            "incident",
            "update",
            "1",
            "--serious-risk",
            "yes",
            "--persons-notified",
            &today,
        ],
    ));
    assert!(
        out.contains("Avis aux personnes concernées (7°): "),
        "{out}"
    );
    let list = ok(run(dir.path(), &["incident", "list"]));
    let rows: Vec<&str> = list.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{list}");
    assert!(
        rows[0].starts_with(&format!("1\t{period}\t{today}\t3\tyes\tYES")),
        "{list}"
    );

    let csv_path = dir.path().join("registre.csv");
    ok(run(
        dir.path(),
        &[
            "incident",
            "export-csv",
            "--out",
            csv_path.to_str().unwrap(),
        ],
    ));
    let mut reader = csv::Reader::from_path(&csv_path).unwrap();
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        HEADERS
    );
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 1);
    assert_eq!(
        &records[0][6],
        "Un courriel, \"par erreur\", à la mauvaise garderie, avec 3 fiches"
    );
    assert_eq!(&records[0][7], period);
    assert_eq!(&records[0][15], today);
    assert_eq!(&records[0][19], "oui", "the Commission is not notified yet");
    let message = refused(run(
        dir.path(),
        &[
            "incident",
            "export-csv",
            "--out",
            csv_path.to_str().unwrap(),
        ],
    ));
    assert!(
        message.contains("cannot create"),
        "never replaces a file: {message}"
    );
}

#[test]
fn the_access_report_is_found_by_public_number_and_written_as_pdf() {
    let dir = ready();
    let pdf = dir.path().join("rapport.pdf");
    let out = ok(run(
        dir.path(),
        &[
            "access-report",
            "PF-00000001",
            "--out",
            pdf.to_str().unwrap(),
        ],
    ));
    assert!(out.contains("wrote"), "{out}");
    let text = Command::new("pdftotext")
        .arg(&pdf)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    let text = String::from_utf8(text.stdout).unwrap();
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(text.contains("Rapport d'accès à votre dossier"), "{text}");
    assert!(
        text.contains("Dossier d'inscription n° PF-00000001"),
        "{text}"
    );

    let english = dir.path().join("report.pdf");
    ok(run(
        dir.path(),
        &[
            "access-report",
            "1",
            "--lang",
            "en",
            "--out",
            english.to_str().unwrap(),
        ],
    ));
    let message = refused(run(
        dir.path(),
        &[
            "access-report",
            "PF-00999999",
            "--out",
            dir.path().join("x.pdf").to_str().unwrap(),
        ],
    ));
    assert!(
        message.contains("no registration has the public number PF-00999999"),
        "{message}"
    );
    assert!(!dir.path().join("x.pdf").exists());
    let message = refused(run(
        dir.path(),
        &["access-report", "PF-1", "--lang", "de", "--out", "y.pdf"],
    ));
    assert!(message.contains("not a language"), "{message}");
    let message = refused(run(dir.path(), &["access-report", "ABC", "--out", "y.pdf"]));
    assert!(
        message.contains("not a registration's public number"),
        "{message}"
    );
}
