//! Structured logs: `serve --log-format json` writes one JSON object per line, and none holds
//! personal data. The service is driven through enrolment, a declaration, a sync, a contact
//! reveal (the family's names, phone and e-mail in the answer), refused requests and a stop,
//! at the `debug` level; every line must parse and none may contain what the reveal returned
//! or a referral's label.
#![allow(clippy::unwrap_used)]

mod backup_serving;

use std::process::Stdio;

use backup_serving::{province, Serving, Workstation};

/// Every string in a JSON value, recursively.
fn strings(value: &serde_json::Value, into: &mut Vec<String>) {
    match value {
        serde_json::Value::String(s) => into.push(s.clone()),
        serde_json::Value::Array(items) => items.iter().for_each(|v| strings(v, into)),
        serde_json::Value::Object(map) => map.values().for_each(|v| strings(v, into)),
        _ => {}
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_parse_line_by_line_and_hold_no_personal_data() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path();
    let province = province(path);
    let log_path = path.join("serve.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let serving = Serving::start(path, &["--log-format", "json"], Stdio::from(log), "debug");
    let workstation = Workstation::enrol(path, &serving, &province).await;
    assert_eq!(workstation.declare(path, &serving).await, 201);
    let referrals = workstation.sync(path, &serving).await;
    let referral = referrals.first().expect("a referral");
    let client = workstation.client(path);
    let revealed = client
        .post(format!(
            "https://{}/v1/referrals/{}/contact",
            serving.api, referral.referral_id
        ))
        .json(&serde_json::json!({"reason": "offer_call"}))
        .send()
        .await
        .unwrap();
    assert_eq!(revealed.status(), 200);
    let contact: serde_json::Value = revealed.json().await.unwrap();
    // Refused requests log too: an unknown route and a malformed reveal.
    let unknown = client
        .get(format!("https://{}/v1/nothing-here", serving.api))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), 404);
    let bad = client
        .post(format!(
            "https://{}/v1/referrals/{}/contact",
            serving.api, referral.referral_id
        ))
        .json(&serde_json::json!({"reason": "curiosity"}))
        .send()
        .await
        .unwrap();
    assert!(bad.status().is_client_error(), "{}", bad.status());
    serving.stop();

    let mut personal = Vec::new();
    strings(&contact, &mut personal);
    // Names, phone and e-mail; not the short codes and ids of the answer.
    personal.retain(|s| s.chars().count() >= 4 && uuid::Uuid::parse_str(s).is_err());
    assert!(
        personal.iter().any(|s| s.contains('@')),
        "the reveal returned an e-mail address: {contact}"
    );
    personal.extend(referrals.iter().map(|r| r.label.clone()));

    let text = std::fs::read_to_string(&log_path).unwrap();
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert!(lines.len() >= 5, "the service logged: {text}");
    for line in &lines {
        let value: serde_json::Value =
            serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
        assert!(
            value.get("level").is_some() && value.get("fields").is_some(),
            "{line}"
        );
        for item in &personal {
            assert!(!line.contains(item.as_str()), "{item:?} in the log: {line}");
        }
    }
    // The lines carry what an operator needs: the enrolment, with opaque ids.
    assert!(
        lines.iter().any(|l| l.contains("device enrolled")
            && l.contains(&workstation.certificate.device_id.to_string())),
        "{text}"
    );
}
