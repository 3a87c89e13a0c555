//! `registrations import FILE` on both backends: all or nothing, every bad line reported with
//! its number, nothing written while any line is bad; a good file in one transaction.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::Harness;
use placeforte_central::intake::import::{import_file, ImportError, LineProblem};
use placeforte_central::intake::operator as intake_operator;
use placeforte_central::intake::validate::RegistrationProblem;
use placeforte_central::store::Storage;
use placeforte_domain::quebec_today;
use placeforte_protocol::DaycareId;
use serde_json::{json, Value};

fn line(today: chrono::NaiveDate, choices: &[DaycareId], n: i64) -> Value {
    json!({
        "registered_on": (today - Duration::days(200 + n)).to_string(),
        "registration": {
            "child": {"given_name": format!("Enfant{n}"), "family_name": "Gagnon",
                      "birth_date": (today - Duration::days(500 + n)).to_string()},
            "desired_entry_date": (today + Duration::days(30)).to_string(),
            "region": "Estrie",
            "address_key": format!("addr-{n}"),
            "parent": {"given_name": "Luc", "family_name": "Gagnon",
                       "phone": "819 555-0199", "email": "luc@example.org"},
            "facts": {"staff_member_child": false, "same_address_as_admitted_child": false,
                      "already_in_subsidized_care": false},
            "priority": {"special_needs": false, "socio_economic_precarity": n % 2 == 0,
                         "parent_in_education": false},
            "choices": choices,
        }
    })
}

fn write(dir: &tempfile::TempDir, lines: &[String]) -> std::path::PathBuf {
    let path = dir.path().join("registrations.jsonl");
    std::fs::write(&path, lines.join("\n")).unwrap();
    path
}

async fn bad_lines_are_numbered_and_nothing_is_written<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let closed = h.daycare().await;
    intake_operator::deactivate_daycare(&h.store, &h.operator, h.now(), closed)
        .await
        .unwrap();
    let today = quebec_today(h.now());
    let mut unborn = line(today, &[daycare], 4);
    unborn["registration"]["child"]["birth_date"] = json!((today + Duration::days(3)).to_string());
    let mut extra = line(today, &[daycare], 6);
    extra["registration"]["nirec"] = json!("GAGE25010101");
    let lines = vec![
        line(today, &[daycare], 1).to_string(),
        "{not json".to_owned(),
        line(today, &[daycare], 3).to_string(),
        unborn.to_string(),
        String::new(),
        extra.to_string(),
        line(today, &[closed], 7).to_string(),
        line(today, &[daycare], 8).to_string(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, &lines);
    let events = h.event_count().await;
    let Err(ImportError::BadLines(bad)) = import_file(&h.store, &h.operator, h.now(), &path).await
    else {
        panic!("the file has bad lines")
    };
    let numbers: Vec<usize> = bad.iter().map(|b| b.line).collect();
    assert_eq!(numbers, vec![2, 4, 6, 7]);
    assert!(matches!(bad[0].problem, LineProblem::Malformed(_)));
    let LineProblem::Invalid(problems) = &bad[1].problem else {
        panic!("line 4 is well-formed")
    };
    assert!(problems.contains(&RegistrationProblem::ChildNotBorn));
    assert!(problems.contains(&RegistrationProblem::RegisteredBeforeBirth));
    let LineProblem::Malformed(message) = &bad[2].problem else {
        panic!("line 6 has an unknown field")
    };
    assert!(message.contains("nirec"), "{message}");
    assert_eq!(
        bad[3].problem,
        LineProblem::Invalid(vec![RegistrationProblem::ChoiceInactive])
    );
    let report = ImportError::BadLines(bad).to_string();
    assert!(
        report.contains("line 7: invalid: choice_inactive"),
        "{report}"
    );
    assert!(
        !report.contains("Enfant"),
        "names stay out of the report: {report}"
    );
    assert_eq!(h.store.registration_count().await.unwrap(), 0);
    assert_eq!(h.event_count().await, events);
    // An empty file imports nothing either.
    let empty = write(&dir, &[String::new()]);
    assert!(matches!(
        import_file(&h.store, &h.operator, h.now(), &empty).await,
        Err(ImportError::Empty)
    ));
}

async fn a_good_file_is_imported_at_once<S: Storage>(h: Harness<S>) {
    let first = h.daycare().await;
    let second = h.daycare().await;
    let today = quebec_today(h.now());
    let lines: Vec<String> = (0..250)
        .map(|n| line(today, &[first, second], n).to_string())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let path = write(&dir, &lines);
    let events = h.event_count().await;
    let imported = import_file(&h.store, &h.operator, h.now(), &path)
        .await
        .unwrap();
    assert_eq!(imported, 250);
    assert_eq!(h.store.registration_count().await.unwrap(), 250);
    assert_eq!(
        h.event_count().await,
        events + 1,
        "one audit entry per import"
    );
    assert_eq!(h.store.waiting_for(first).await.unwrap().len(), 250);
    assert_eq!(h.store.waiting_for(second).await.unwrap().len(), 250);
}

on_both_backends!(
    bad_lines_are_numbered_and_nothing_is_written,
    a_good_file_is_imported_at_once,
);
