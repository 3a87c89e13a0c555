//! Bad answers from a server holding the real service certificate (a broken deployment, or a
//! compromised one): malformed JSON, unknown fields, more items than asked, an invalid field
//! in the middle of a page, an endless body. Each fails cleanly with nothing half-applied: the
//! cached referrals and the cursor stay as the last good sync left them. And a rate limit
//! (429) in the middle of a flush: everything stays pending and is sent once later.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::Router;
use chrono::{Duration, Utc};
use placeforte_central::store::Storage as _;
use placeforte_central::tls::server_only_tls_config;
use placeforte_central::Clock as _;
use placeforte_central::{serve, ConnectionLimits, ServerIdentity, TlsListener};
use placeforte_desk::cache::{OutboxState, VacancyDeclaration};
use placeforte_desk::device::{load_record, EnrolledDevice};
use placeforte_desk::sync::{flush, sync};
use placeforte_desk::{DeskError, LocalData, OsKeychain};
use placeforte_domain::{AgeClass, OfferOutcome, RefusalReason};
use placeforte_protocol::referrals::{
    DeclareVacancy, OUTCOME_PATH, REFERRALS_PATH, VACANCIES_PATH,
};
use placeforte_testkit::{keyring_session, Central, Workstation};

type Answer = Arc<Mutex<String>>;

/// A server with the service's own certificate that answers every sync with `answer`.
async fn impostor(central: &Central, answer: Answer) -> std::net::SocketAddr {
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
    serve_as_service(central, router).await
}

/// Serves `router` with the service's own certificate (no client certificate asked).
async fn serve_as_service(central: &Central, router: Router) -> std::net::SocketAddr {
    let (chain, key) = central.server_pem();
    let identity = ServerIdentity::from_pem(chain, key).unwrap();
    let config = server_only_tls_config(&identity).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limits = ConnectionLimits {
        handshake: std::time::Duration::from_secs(5),
        idle: std::time::Duration::from_secs(30),
        ..ConnectionLimits::default()
    };
    let listener = TlsListener::new(tcp, config, limits).unwrap();
    let addr = axum::serve::Listener::local_addr(&listener).unwrap();
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
    let Workstation {
        dir,
        data,
        device: genuine,
        ..
    } = central.enrolled_workstation("bad-server", 6).await;
    genuine
        .declare_vacancy(&DeclareVacancy {
            idempotency_key: uuid::Uuid::new_v4(),
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
    let device = device_at(&data, dir.path(), &addr.to_string());

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
                r#"{{"referrals":[{}],"cursor":"9","more":false,"remaining":0,"offline_period_days":7}}"#,
                item(&id(1), 4, r#","parent_phone":"555-0100""#)
            ),
        ),
        (
            "more items than asked",
            format!(
                r#"{{"referrals":[{two_hundred_one}],"cursor":"9","more":false,"remaining":0,"offline_period_days":7}}"#
            ),
        ),
        (
            "a bad item after a good one",
            format!(
                r#"{{"referrals":[{},{}],"cursor":"9","more":false,"remaining":0,"offline_period_days":7}}"#,
                item(&id(2), 4, ""),
                item(&id(3), 9, "")
            ),
        ),
        (
            "an empty cursor",
            format!(
                r#"{{"referrals":[{}],"cursor":"","more":false,"remaining":0,"offline_period_days":7}}"#,
                item(&id(4), 4, "")
            ),
        ),
        (
            "more without items",
            r#"{"referrals":[],"cursor":"9","more":true,"remaining":5,"offline_period_days":7}"#
                .to_owned(),
        ),
        (
            "more that contradicts what remains",
            format!(
                r#"{{"referrals":[{}],"cursor":"9","more":false,"remaining":3,"offline_period_days":7}}"#,
                item(&id(5), 4, "")
            ),
        ),
        (
            "an offline period of no days (a wipe at every start)",
            format!(
                r#"{{"referrals":[{}],"cursor":"9","more":false,"remaining":0,"offline_period_days":0}}"#,
                item(&id(6), 4, "")
            ),
        ),
        (
            "an offline period of a year",
            format!(
                r#"{{"referrals":[{}],"cursor":"9","more":false,"remaining":0,"offline_period_days":365}}"#,
                item(&id(7), 4, "")
            ),
        ),
        (
            "no offline period",
            format!(
                r#"{{"referrals":[{}],"cursor":"9","more":false,"remaining":0}}"#,
                item(&id(8), 4, "")
            ),
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
        assert_eq!(
            cache.offline_period().await.unwrap(),
            Some(chrono::Duration::days(7)),
            "{what}: the service's offline period changed"
        );
    }
}

/// Points the workstation's record at `addr` and loads the device from it.
fn device_at(data: &LocalData<OsKeychain>, dir: &Path, addr: &str) -> EnrolledDevice {
    let mut record = load_record(dir).unwrap().unwrap();
    record.api_address = addr.to_owned();
    std::fs::write(
        placeforte_desk::device::record_path(dir),
        serde_json::to_vec(&record).unwrap(),
    )
    .unwrap();
    EnrolledDevice::load(data, dir).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rate_limited_flush_keeps_everything_pending_and_sends_it_once_later() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let Workstation {
        dir,
        data,
        record,
        device: genuine,
        ..
    } = central.enrolled_workstation("rate-limited", 6).await;
    let cache = data.open(Utc::now()).await.unwrap().cache;
    let declaration = |places| VacancyDeclaration {
        age_class: AgeClass::From18MonthsTo4Years,
        places,
        start_date: central.clock.now().date_naive() + Duration::days(30),
        group_label: Some("Les Hiboux".into()),
    };
    cache
        .queue_vacancy(declaration(1), Utc::now())
        .await
        .unwrap();
    flush(&genuine, &cache).await.unwrap();
    sync(&genuine, &cache, Utc::now(), |_| {}).await.unwrap();
    let referral = cache.referrals().await.unwrap()[0].referral_id;

    // An outcome, then a second declaration; the service (through a proxy, say) answers 429.
    let refused = OfferOutcome::Refused {
        reason: RefusalReason::NoLongerNeeded,
    };
    cache
        .queue_outcome(referral, refused, Utc::now())
        .await
        .unwrap();
    cache
        .queue_vacancy(declaration(1), Utc::now())
        .await
        .unwrap();
    let hits = Arc::new(AtomicUsize::new(0));
    let throttle = |hits: State<Arc<AtomicUsize>>| async move {
        hits.fetch_add(1, Ordering::SeqCst);
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("content-type", "application/json")],
            r#"{"code":"rate_limited","message":"slow down"}"#,
        )
    };
    let router = Router::new()
        .route(OUTCOME_PATH, post(throttle))
        .route(VACANCIES_PATH, post(throttle))
        .with_state(hits.clone());
    let addr = serve_as_service(&central, router).await;
    let throttled = device_at(&data, dir.path(), &addr.to_string());
    let before = cache.pending_outbox().await.unwrap();
    assert_eq!(before.len(), 2);
    let err = flush(&throttled, &cache).await.unwrap_err();
    assert!(
        matches!(&err, DeskError::Refused { status: 429, code } if code == "rate_limited"),
        "{err:?}"
    );
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the flush stops at the first refusal"
    );
    assert_eq!(
        cache.pending_outbox().await.unwrap(),
        before,
        "nothing lost or changed"
    );

    // Later, the service answers: both are sent, in order, once.
    let events = central.store.audit_entry_count().await.unwrap();
    let genuine = device_at(&data, dir.path(), &record.api_address);
    let report = flush(&genuine, &cache).await.unwrap();
    assert_eq!((report.sent, report.conflicts), (2, 0));
    assert_eq!(central.store.audit_entry_count().await.unwrap(), events + 2);
    let vacancies = cache.vacancies().await.unwrap();
    assert!(vacancies.iter().all(|v| v.state == OutboxState::Sent));
    assert_ne!(vacancies[0].vacancy_id, vacancies[1].vacancy_id);
    assert_eq!(cache.outbox().await.unwrap()[0].state, OutboxState::Sent);
    // Nothing left: another flush sends nothing and the service sees nothing new.
    assert_eq!(flush(&genuine, &cache).await.unwrap(), Default::default());
    assert_eq!(central.store.audit_entry_count().await.unwrap(), events + 2);
}

/// A server with the service's certificate that completes every handshake and then drops the
/// connection without a word: the request fails after connecting, the desk's handshake probe
/// meets no alert, and the failure stays an outage (never a refused certificate, which would
/// send the director to the operator for nothing).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_drops_requests_after_the_handshake_is_unreachable_not_refusing() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let Workstation { dir, data, .. } = central.enrolled_workstation("drops", 2).await;
    let (chain, key) = central.server_pem();
    let identity = ServerIdentity::from_pem(chain, key).unwrap();
    let config = server_only_tls_config(&identity).unwrap();
    let tcp = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let limits = ConnectionLimits {
        handshake: std::time::Duration::from_secs(5),
        idle: std::time::Duration::from_secs(30),
        ..ConnectionLimits::default()
    };
    let mut listener = TlsListener::new(tcp, config, limits).unwrap();
    let addr = axum::serve::Listener::local_addr(&listener).unwrap();
    let handshakes = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&handshakes);
    tokio::spawn(async move {
        loop {
            let (connection, _) = axum::serve::Listener::accept(&mut listener).await;
            counted.fetch_add(1, Ordering::SeqCst);
            drop(connection);
        }
    });

    let device = device_at(&data, dir.path(), &addr.to_string());
    let err = device.whoami().await.unwrap_err();
    assert!(
        matches!(err, DeskError::ServerUnreachable(_)),
        "a dropped request: {err:?}"
    );
    // The request's connection and the probe's: the probe did run, and found no alert.
    assert!(handshakes.load(Ordering::SeqCst) >= 2);
}
