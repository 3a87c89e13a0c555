//! `docs/openapi.json` is the API listener's OpenAPI document as the code generates it, so it
//! cannot drift from the handlers and wire types: this test fails when they differ, and when a
//! route the router serves is not in the document. Regenerate with
//! `UPDATE_OPENAPI=1 cargo test -p placeforte-central --test openapi`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::BTreeSet;
use std::path::PathBuf;

use common::Harness;
use placeforte_central::openapi::{document_text, document_value, OPENAPI_PATH};
use placeforte_central::{api_routes, SqliteStore};

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/openapi.json")
}

#[test]
fn the_committed_document_is_what_the_code_generates() {
    let generated = document_text();
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(committed_path(), &generated).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(committed_path()).unwrap_or_default();
    assert!(
        committed == generated,
        "docs/openapi.json is stale; run UPDATE_OPENAPI=1 cargo test -p placeforte-central --test openapi"
    );
}

#[test]
fn generation_is_deterministic() {
    // The served text is cached; this builds the document twice afresh.
    let once = document_value().to_pretty_json().unwrap();
    let twice = document_value().to_pretty_json().unwrap();
    assert_eq!(once, twice);
}

/// Every (method, path) of the document.
fn documented() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&document_text()).unwrap();
    let mut operations = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            operations.insert((method.clone(), path.clone()));
        }
    }
    operations
}

#[test]
fn every_route_the_router_serves_is_documented_and_nothing_else() {
    let served: BTreeSet<(String, String)> = api_routes::<SqliteStore>()
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(
        served.len(),
        api_routes::<SqliteStore>().len(),
        "no route twice"
    );
    assert_eq!(documented(), served);
}

#[test]
fn every_operation_names_its_answers_and_requires_the_device_certificate() {
    let doc: serde_json::Value = serde_json::from_str(&document_text()).unwrap();
    assert_eq!(
        doc["components"]["securitySchemes"]["device_certificate"]["type"],
        "mutualTLS"
    );
    assert_eq!(
        doc["security"][0]["device_certificate"],
        serde_json::json!([])
    );
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(
                responses.keys().any(|status| status.starts_with('2')),
                "{method} {path} documents its success"
            );
            // A path parameter is declared, so clients can build the URL from the document.
            if path.contains("{id}") {
                let names: Vec<&str> = operation["parameters"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .filter(|p| p["in"] == "path")
                    .map(|p| p["name"].as_str().unwrap())
                    .collect();
                assert_eq!(names, ["id"], "{method} {path}");
            }
        }
    }
    // Wire types refuse unknown fields; the schemas say so.
    assert_eq!(
        doc["components"]["schemas"]["DeclareVacancy"]["additionalProperties"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_document_is_served_to_enrolled_devices_only() {
    let h = Harness::sqlite().await;
    let device = h.enrolled_device().await;
    let response = h
        .device_client(&device)
        .get(h.api_url(OPENAPI_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"].to_str().unwrap(),
        "application/json"
    );
    assert_eq!(response.text().await.unwrap(), document_text());
    // No client certificate: refused at the handshake, before any route.
    assert!(h
        .anonymous_client()
        .get(h.api_url(OPENAPI_PATH))
        .send()
        .await
        .is_err());
}
