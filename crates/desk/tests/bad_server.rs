//! Bad answers from a server holding the real service certificate (a broken deployment, or a
//! compromised one): malformed JSON, unknown fields, more items than asked, an invalid field
//! in the middle of a page, an endless body. Each fails cleanly with nothing half-applied: the
//! cached referrals and the cursor stay as the last good sync left them.
#![allow(clippy::unwrap_used)]

mod common;

use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::routing::get;
use axum::Router;
use chrono::{Duration, Utc};
use common::{keyring_session, local, own_service, Central};
use placeforte_central::tls::server_only_tls_config;
use placeforte_central::Clock as _;
use placeforte_central::{serve, ConnectionLimits, ServerIdentity, TlsListener};
use placeforte_desk::device::{self, load_record, EnrolledDevice};
use placeforte_desk::sync::sync;
use placeforte_desk::DeskError;
use placeforte_domain::AgeClass;
use placeforte_protocol::referrals::{DeclareVacancy, REFERRALS_PATH};

type Answer = Arc<Mutex<String>>;

/// A server with the service's own certificate that answers every sync with `answer`.
async fn impostor(central: &Central, answer: Answer) -> std::net::SocketAddr {
    let (chain, key) = central.server_pem();
    let identity = ServerIdentity::from_pem(chain, key).unwrap();
    let config = server_only_tls_config(&identity).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limits = ConnectionLimits {
        handshake: std::time::Duration::from_secs(5),
        idle: std::time::Duration::from_secs(30),
    };
    let listener = TlsListener::new(tcp, config, limits).unwrap();
    let addr = axum::serve::Listener::local_addr(&listener).unwrap();
    let router = Router::new()
        .route(
            REFERRALS_PATH,
            get(|State(answer): State<Answer>| async move {
                (
                    [("content-type", "application/json")],
                    answer.lock().unwrap().clone(),
                )
            }),
        )
        .with_state(answer);
    tokio::spawn(serve(listener, router, std::future::pending()));
    addr
}

fn item(id: &str, category: u8, extra: &str) -> String {
    format!(
        r#"{{"referral_id":"{id}","vacancy_id":"5f0c5a58-5b8e-4d41-9d0b-1f6f3c2a9b10","status":"open","answer_by":"2026-12-01","label":"Léa T.","birth_date":"2024-05-01","desired_entry_date":"2026-09-01","category":{category},"priority":false,"sibling_referral_id":null,"rank_reason":{{"rank":1,"category_order_rank":1,"days_since_desired_entry":3,"standing":{{"kind":"within_places"}},"rule_set":"qc-2025"}}{extra}}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_answers_fail_cleanly_and_apply_nothing() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    central.toddlers_choosing(daycare, 6).await;
    let dir = tempfile::tempdir().unwrap();
    let data = local(dir.path(), &own_service("bad-server"));
    device::enrol(&data, dir.path(), &central.invite(daycare).await)
        .await
        .unwrap();
    let genuine = EnrolledDevice::load(&data, dir.path()).unwrap();
    genuine
        .declare_vacancy(&DeclareVacancy {
            age_class: AgeClass::From18MonthsTo4Years,
            places: 2,
            start_date: central.clock.now().date_naive() + Duration::days(30),
            group_label: None,
        })
        .await
        .unwrap();
    let cache = data.open(Utc::now()).await.unwrap().cache;
    sync(&genuine, &cache, Utc::now(), |_| {}).await.unwrap();
    let good = cache.referrals().await.unwrap();
    let cursor = cache.sync_cursor().await.unwrap();
    assert_eq!(good.len(), 6);

    // The workstation now talks to the impostor (same certificate, bad answers).
    let answer: Answer = Arc::new(Mutex::new(String::new()));
    let addr = impostor(&central, answer.clone()).await;
    let record_path = placeforte_desk::device::record_path(dir.path());
    let mut record = load_record(dir.path()).unwrap().unwrap();
    record.api_address = addr.to_string();
    std::fs::write(&record_path, serde_json::to_vec(&record).unwrap()).unwrap();
    let device = EnrolledDevice::load(&data, dir.path()).unwrap();

    let id = |n: u8| format!("00000000-0000-4000-8000-0000000000{n:02}");
    let two_hundred_one = (0..201)
        .map(|n| item(&format!("00000000-0000-4000-8000-{n:012}"), 4, ""))
        .collect::<Vec<_>>()
        .join(",");
    let cases = [
        ("malformed JSON", "{\"referrals\": [".to_owned()),
        ("not JSON", "<html>maintenance</html>".to_owned()),
        (
            "unknown field",
            format!(
                r#"{{"referrals":[{}],"cursor":"9","more":false}}"#,
                item(&id(1), 4, r#","parent_phone":"555-0100""#)
            ),
        ),
        (
            "more items than asked",
            format!(r#"{{"referrals":[{two_hundred_one}],"cursor":"9","more":false}}"#),
        ),
        (
            "a bad item after a good one",
            format!(
                r#"{{"referrals":[{},{}],"cursor":"9","more":false}}"#,
                item(&id(2), 4, ""),
                item(&id(3), 9, "")
            ),
        ),
        (
            "an empty cursor",
            format!(
                r#"{{"referrals":[{}],"cursor":"","more":false}}"#,
                item(&id(4), 4, "")
            ),
        ),
        (
            "more without items",
            r#"{"referrals":[],"cursor":"9","more":true}"#.to_owned(),
        ),
        ("an endless body", "x".repeat(9 * 1024 * 1024)),
    ];
    for (what, body) in cases {
        *answer.lock().unwrap() = body;
        let err = sync(&device, &cache, Utc::now(), |_| {}).await.unwrap_err();
        assert!(matches!(err, DeskError::Protocol(_)), "{what}: {err:?}");
        assert_eq!(err.code(), "protocol");
        assert_eq!(
            cache.referrals().await.unwrap(),
            good,
            "{what}: half-applied"
        );
        assert_eq!(
            cache.sync_cursor().await.unwrap(),
            cursor,
            "{what}: cursor moved"
        );
    }
}
