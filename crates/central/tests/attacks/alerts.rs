//! Findings 3 and 4 of the insider review: alerts that skip or repeat, and nobody told.
//!
//! A compromised but enrolled workstation hits the real service over mutual TLS from many
//! parallel connections: each alert that counts is raised exactly once per window, never zero
//! and never twice; a harvest beyond the daycare's permit is alerted on in one sync. And each
//! alert reaches a person: a real HTTP receiver on 127.0.0.1 that is down when the alert is
//! raised, then answers 500, then comes back, receives it exactly once with a valid HMAC
//! signature, also after the service restarts; the Prometheus endpoint counts it, on its own
//! listener only.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::http::{HeaderMap, StatusCode};
use chrono::Duration;
use hmac::{Hmac, Mac};
use placeforte_central::operator::{self, OperatorError};
use placeforte_central::secret::Secret;
use placeforte_central::store::{AlertDelivery, AlertRecord, Storage};
use placeforte_central::webhook::{WebhookSettings, MAX_BACKOFF, SIGNATURE_HEADER};
use placeforte_central::{Clock as _, ManualClock};
use placeforte_protocol::referrals::ReferralPage;
use serde_json::json;
use sha2::Sha256;

use crate::common::referral_pool::{
    all_referrals, daycare_with_permit, declare_one, pool, reveal, sync, waiting_families,
};
use crate::common::{DeviceKeys, Harness};
use crate::on_both_backends;

on_both_backends!(
    parallel_foreign_ids_raise_one_alert_per_device_never_zero_never_two,
    parallel_full_syncs_raise_one_sync_volume_alert,
    parallel_reveals_raise_one_burst_alert,
    a_harvest_beyond_the_permit_is_alerted_in_one_sync_and_a_resync_is_not,
    an_alert_raised_while_the_receiver_is_down_reaches_it_once_and_signed,
    a_receiver_answering_500_gets_retries_until_it_accepts,
    alerts_left_pending_by_a_stopped_service_are_delivered_after_a_restart,
    the_metrics_endpoint_counts_on_its_own_listener_only,
    an_alert_is_acknowledged_once_with_a_note_and_audited,
    two_senders_never_hold_the_same_outbox_row,
);

/// Parallel connections in every concurrency test: the review saw skips and repeats at 12.
const PARALLEL: usize = 12;

const WEBHOOK_SECRET: &str = "webhook-test-secret";

async fn alerts_of<S: Storage>(h: &Harness<S>, kind: &str) -> Vec<AlertRecord> {
    let mut alerts = h.store.alerts().await.unwrap();
    alerts.retain(|a| a.kind == kind);
    alerts
}

/// `PARALLEL` requests for ids not referred to `device`, each on its own connection.
async fn foreign_ids_in_parallel<S: Storage>(h: &Harness<S>, device: &DeviceKeys) {
    let requests = (0..PARALLEL).map(|_| async {
        let (status, _) = reveal(
            h,
            device,
            &uuid::Uuid::new_v4().to_string(),
            json!({"reason": "offer_call"}),
        )
        .await;
        assert_eq!(status, 404);
    });
    futures_join_all(requests).await;
}

/// Runs every future at once on this task (the service serves them on its own workers).
async fn futures_join_all<F: std::future::Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut pending: Vec<_> = futures.map(Box::pin).collect();
    std::future::poll_fn(|cx| {
        pending.retain_mut(|f| f.as_mut().poll(cx).is_pending());
        if pending.is_empty() {
            std::task::Poll::Ready(())
        } else {
            std::task::Poll::Pending
        }
    })
    .await;
}

async fn parallel_foreign_ids_raise_one_alert_per_device_never_zero_never_two<S: Storage>(
    h: Harness<S>,
) {
    let devices = [
        h.enrolled_device().await,
        h.enrolled_device().await,
        h.enrolled_device().await,
    ];
    futures_join_all(devices.iter().map(|d| foreign_ids_in_parallel(&h, d))).await;
    let alerts = alerts_of(&h, "foreign_ids_repeated").await;
    for device in &devices {
        let id = device.certificate.device_id.to_string();
        assert_eq!(
            alerts.iter().filter(|a| a.device_id == id).count(),
            1,
            "one alert for {id} among {alerts:?}"
        );
    }
    // More of the same within the window: still one per device.
    foreign_ids_in_parallel(&h, &devices[0]).await;
    assert_eq!(alerts_of(&h, "foreign_ids_repeated").await.len(), 3);
    // The next window is a new incident.
    h.clock.advance(Duration::minutes(10));
    foreign_ids_in_parallel(&h, &devices[0]).await;
    assert_eq!(alerts_of(&h, "foreign_ids_repeated").await.len(), 4);
}

async fn parallel_full_syncs_raise_one_sync_volume_alert<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let declared = declare_one(&h, &pool.device, 4).await;
    assert_eq!(declared.referrals, 12);
    let syncs = (0..PARALLEL).map(|_| async {
        let (status, body) = sync(&h, &pool.device, "?limit=500").await;
        assert_eq!(status, 200, "{body}");
        let page: ReferralPage = serde_json::from_str(&body).unwrap();
        assert_eq!(page.referrals.len(), 12);
    });
    futures_join_all(syncs).await;
    let alerts = alerts_of(&h, "sync_volume_abnormal").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        alerts[0].device_id,
        pool.device.certificate.device_id.to_string()
    );
}

async fn parallel_reveals_raise_one_burst_alert<S: Storage>(h: Harness<S>) {
    // A daycare large enough that its daily reveal budget (a quarter of its open referrals)
    // takes all the parallel reveals: 60 referrals, a burst from 6 in an hour.
    let device = daycare_with_permit(&h, [0, 25, 0, 0]).await;
    waiting_families(&h, device.certificate.daycare_id, 80, 0).await;
    assert_eq!(declare_one(&h, &device, 20).await.referrals, 60);
    let referrals = all_referrals(&h, &device).await;
    let pool = Workstation { device };
    let reveals = referrals.iter().take(PARALLEL).map(|r| async {
        let (status, body) = reveal(
            &h,
            &pool.device,
            &r.referral_id.to_string(),
            json!({"reason": "offer_call"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    });
    futures_join_all(reveals).await;
    let alerts = alerts_of(&h, "reveal_rate_abnormal").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
}

/// A daycare with a 2-place permit and 20 toddlers waiting for it.
async fn small_daycare<S: Storage>(h: &Harness<S>) -> DeviceKeys {
    let device = daycare_with_permit(h, [0, 2, 0, 0]).await;
    let daycare = device.certificate.daycare_id;
    waiting_families(h, daycare, 20, 0).await;
    device
}

async fn a_harvest_beyond_the_permit_is_alerted_in_one_sync_and_a_resync_is_not<S: Storage>(
    h: Harness<S>,
) {
    // An honest daycare: its 2 places, a first full sync and one resync.
    let honest = small_daycare(&h).await;
    assert_eq!(declare_one(&h, &honest, 2).await.referrals, 6);
    assert_eq!(all_referrals(&h, &honest).await.len(), 6);
    assert_eq!(all_referrals(&h, &honest).await.len(), 6);
    assert!(alerts_of(&h, "sync_volume_abnormal").await.is_empty());
    // The harvester: its referrals far past what its permit is now (declared under a 7-place
    // permit, which the operator has since cut to 2: declarations can no longer go past the
    // permit, so this is how a pool outgrows it), all taken in one sync.
    let harvester = small_daycare(&h).await;
    let daycare = harvester.certificate.daycare_id;
    operator::set_permit(&h.store, &h.operator, h.now(), daycare, [0, 7, 0, 0])
        .await
        .unwrap();
    assert_eq!(declare_one(&h, &harvester, 7).await.referrals, 20);
    operator::set_permit(&h.store, &h.operator, h.now(), daycare, [0, 2, 0, 0])
        .await
        .unwrap();
    assert_eq!(all_referrals(&h, &harvester).await.len(), 20);
    let alerts = alerts_of(&h, "sync_volume_abnormal").await;
    assert_eq!(alerts.len(), 1, "{alerts:?}");
    assert_eq!(
        alerts[0].device_id,
        harvester.certificate.device_id.to_string()
    );
}

/// A daycare's workstation, named as `pool(…)`'s is.
struct Workstation {
    device: DeviceKeys,
}

/// What the receiver got.
#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Delivery>>>);

/// One request the receiver got: its signature header, its body, and when (by the receiver's
/// clock, the harness's manual one).
#[derive(Clone)]
struct Delivery {
    signature: String,
    body: Vec<u8>,
    at: chrono::DateTime<chrono::Utc>,
}

impl Received {
    fn count(&self) -> usize {
        self.0.lock().unwrap().len()
    }
}

/// A webhook receiver on `addr` that answers `failures` times 500, then 200.
async fn receiver(
    addr: SocketAddr,
    failures: usize,
    clock: ManualClock,
) -> (Received, tokio::task::JoinHandle<()>) {
    let received = Received::default();
    let seen = received.clone();
    let app = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
            let (seen, clock) = (seen.clone(), clock.clone());
            async move {
                let signature = headers
                    .get(SIGNATURE_HEADER)
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default()
                    .to_owned();
                let mut all = seen.0.lock().unwrap();
                all.push(Delivery {
                    signature,
                    body: body.to_vec(),
                    at: clock.now(),
                });
                if all.len() <= failures {
                    StatusCode::INTERNAL_SERVER_ERROR
                } else {
                    StatusCode::NO_CONTENT
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr).await.unwrap();
    let task = tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    (received, task)
}

/// A free port on 127.0.0.1 with nothing listening on it (yet).
async fn free_address() -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

fn webhook(addr: SocketAddr) -> WebhookSettings {
    WebhookSettings {
        url: format!("http://{addr}/hook"),
        secret: Secret::new(WEBHOOK_SECRET),
        poll_interval: StdDuration::from_millis(50),
    }
}

/// Waits (real time, bounded) until `done` holds.
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..200 {
        if done() {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("timed out waiting until {what}");
}

async fn delivery_of<S: Storage>(h: &Harness<S>, id: i64) -> AlertDelivery {
    let alerts = h.store.alerts().await.unwrap();
    alerts.iter().find(|a| a.id == id).unwrap().delivery
}

async fn wait_for_attempts<S: Storage>(h: &Harness<S>, id: i64, attempts: i64) {
    for _ in 0..200 {
        match delivery_of(h, id).await {
            AlertDelivery::Pending { attempts: made } if made >= attempts => return,
            _ => tokio::time::sleep(StdDuration::from_millis(25)).await,
        }
    }
    panic!("no attempt {attempts} on alert {id}");
}

/// Checks the signature as a receiver would, with its own HMAC and its own clock.
fn assert_signed(signature: &str, body: &[u8], now: chrono::DateTime<chrono::Utc>) {
    let (t, v1) = signature
        .strip_prefix("t=")
        .and_then(|rest| rest.split_once(",v1="))
        .unwrap_or_else(|| panic!("malformed signature header {signature:?}"));
    let timestamp: i64 = t.parse().unwrap();
    assert!(
        (now.timestamp() - timestamp).abs() <= 300,
        "a fresh timestamp"
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).unwrap();
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    mac.verify_slice(&hex::decode(v1).unwrap())
        .expect("a valid signature");
}

/// Raises one `foreign_ids_repeated` alert for a new device and returns its id.
async fn raise_one_alert<S: Storage>(h: &Harness<S>) -> AlertRecord {
    let device = h.enrolled_device().await;
    foreign_ids_in_parallel(h, &device).await;
    let alerts = alerts_of(h, "foreign_ids_repeated").await;
    assert_eq!(alerts.len(), 1);
    alerts.into_iter().next().unwrap()
}

async fn an_alert_raised_while_the_receiver_is_down_reaches_it_once_and_signed<S: Storage>(
    mut h: Harness<S>,
) {
    let addr = free_address().await;
    h.restart(Some(webhook(addr))).await;
    let alert = raise_one_alert(&h).await;
    // The receiver is down: the attempt fails and the row stays pending.
    wait_for_attempts(&h, alert.id, 1).await;
    // It comes back; once the backoff is over, the alert is delivered exactly once.
    let (received, _task) = receiver(addr, 0, h.clock.clone()).await;
    h.clock.advance(MAX_BACKOFF);
    eventually("the receiver got the alert", || received.count() == 1).await;
    eventually_delivered(&h, alert.id).await;
    h.clock.advance(MAX_BACKOFF * 2);
    tokio::time::sleep(StdDuration::from_millis(300)).await;
    assert_eq!(received.count(), 1, "delivered once, never again");
    let Delivery {
        signature,
        body,
        at,
    } = received.0.lock().unwrap()[0].clone();
    assert_signed(&signature, &body, at);
    let sent: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(sent["alert_id"], alert.id);
    assert_eq!(sent["kind"], "foreign_ids_repeated");
    assert_eq!(sent["device_id"], alert.device_id);
    assert_eq!(sent["daycare_id"], alert.daycare_id);
    assert!(
        !String::from_utf8_lossy(&body).contains("Synthétique"),
        "no personal data"
    );
}

async fn eventually_delivered<S: Storage>(h: &Harness<S>, id: i64) {
    for _ in 0..200 {
        if delivery_of(h, id).await == AlertDelivery::Delivered {
            return;
        }
        tokio::time::sleep(StdDuration::from_millis(25)).await;
    }
    panic!("alert {id} never marked delivered");
}

async fn a_receiver_answering_500_gets_retries_until_it_accepts<S: Storage>(mut h: Harness<S>) {
    let addr = free_address().await;
    let (received, _task) = receiver(addr, 2, h.clock.clone()).await;
    h.restart(Some(webhook(addr))).await;
    let alert = raise_one_alert(&h).await;
    wait_for_attempts(&h, alert.id, 1).await;
    assert_eq!(received.count(), 1);
    // Not retried before its backoff is over.
    tokio::time::sleep(StdDuration::from_millis(200)).await;
    assert_eq!(received.count(), 1, "backoff respected");
    h.clock.advance(MAX_BACKOFF);
    wait_for_attempts(&h, alert.id, 2).await;
    h.clock.advance(MAX_BACKOFF);
    eventually_delivered(&h, alert.id).await;
    assert_eq!(received.count(), 3, "two 500s, then accepted");
    for delivery in received.0.lock().unwrap().iter() {
        assert_signed(&delivery.signature, &delivery.body, delivery.at);
    }
}

async fn alerts_left_pending_by_a_stopped_service_are_delivered_after_a_restart<S: Storage>(
    mut h: Harness<S>,
) {
    // Raised while no webhook is configured (or the service stops before sending).
    let alert = raise_one_alert(&h).await;
    assert_eq!(
        delivery_of(&h, alert.id).await,
        AlertDelivery::Pending { attempts: 0 }
    );
    h.restart(None).await;
    let addr = free_address().await;
    let (received, _task) = receiver(addr, 0, h.clock.clone()).await;
    h.restart(Some(webhook(addr))).await;
    eventually_delivered(&h, alert.id).await;
    assert_eq!(received.count(), 1);
}

/// The metrics listener's text (the connection and enrolment tests read it too).
pub(crate) async fn scrape(addr: SocketAddr) -> String {
    let response = reqwest::get(format!("http://{addr}/metrics"))
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.text().await.unwrap()
}

/// The value of the sample line starting with `series` (0 when absent).
pub(crate) fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|line| line.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

async fn the_metrics_endpoint_counts_on_its_own_listener_only<S: Storage>(h: Harness<S>) {
    let metrics = h
        .service
        .metrics_addr
        .expect("the harness has a metrics listener");
    let refused = "placeforte_refusals_total{code=\"not_found\"}";
    let raised = "placeforte_alerts_raised_total{kind=\"foreign_ids_repeated\"}";
    let requests =
        "placeforte_requests_total{route=\"/v1/referrals/{id}/contact\",status_class=\"4xx\"}";
    let before = scrape(metrics).await;
    raise_one_alert(&h).await;
    let after = scrape(metrics).await;
    // Other tests of this process count too: at least ours.
    assert!(
        sample(&after, refused) >= sample(&before, refused) + PARALLEL as f64,
        "{after}"
    );
    assert!(
        sample(&after, raised) >= sample(&before, raised) + 1.0,
        "{after}"
    );
    assert!(
        sample(&after, requests) >= sample(&before, requests) + PARALLEL as f64,
        "{after}"
    );
    // Not on the API listener, even for an enrolled device.
    let device = h.enrolled_device().await;
    let response = h
        .device_client(&device)
        .get(h.api_url("/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
}

async fn an_alert_is_acknowledged_once_with_a_note_and_audited<S: Storage>(h: Harness<S>) {
    let alert = raise_one_alert(&h).await;
    assert_eq!(alert.acknowledged_at, None);
    let events = h.event_count().await;
    operator::acknowledge_alert(&h.store, &h.operator, h.now(), alert.id, "called the CPE")
        .await
        .unwrap();
    let entry = h.store.audit_entries(events, 1).await.unwrap().remove(0);
    assert_eq!(entry.leaf.action, "alert.acknowledged");
    assert_eq!(entry.leaf.subject, format!("alert:{}", alert.id));
    let again =
        operator::acknowledge_alert(&h.store, &h.operator, h.now(), alert.id, "again").await;
    assert!(matches!(
        again,
        Err(OperatorError::AlertAlreadyAcknowledged(_))
    ));
    let missing = operator::acknowledge_alert(&h.store, &h.operator, h.now(), -1, "x").await;
    assert!(matches!(missing, Err(OperatorError::UnknownAlert(-1))));
    let stored = alerts_of(&h, "foreign_ids_repeated").await.remove(0);
    assert_eq!(
        stored.acknowledgement_note.as_deref(),
        Some("called the CPE")
    );
    assert_eq!(
        h.event_count().await,
        events + 1,
        "the refusals change nothing"
    );
}

/// Two service instances on one database claim the outbox at the same moment: each row goes to
/// one of them only.
async fn two_senders_never_hold_the_same_outbox_row<S: Storage>(h: Harness<S>) {
    use placeforte_central::alerts::{raise, AlertSubject, AlertWindow};
    use placeforte_central::store::DeliveryLease;
    for n in 0..20_u8 {
        let peer = std::net::IpAddr::from([10, 0, 0, n]);
        raise(
            &h.store,
            "enrolment_burst",
            AlertSubject::Peer(peer),
            AlertWindow::Once,
            "test".to_owned(),
            h.now(),
        )
        .await
        .unwrap();
    }
    let lease = |owner: &str| DeliveryLease {
        owner: owner.to_owned(),
        until: placeforte_central::audit::instant_text(h.now() + Duration::minutes(5)),
        now: placeforte_central::audit::instant_text(h.now()),
    };
    let (one, two) = (lease("one"), lease("two"));
    let mut claimed = Vec::new();
    for _ in 0..3 {
        let (a, b) = tokio::join!(
            h.store.claim_deliveries(&one, 10),
            h.store.claim_deliveries(&two, 10)
        );
        claimed.extend(a.unwrap().into_iter().map(|(alert, _)| alert.id));
        claimed.extend(b.unwrap().into_iter().map(|(alert, _)| alert.id));
    }
    let mut unique = claimed.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(
        unique.len(),
        claimed.len(),
        "a row claimed twice: {claimed:?}"
    );
    assert_eq!(unique.len(), 20, "every row claimed once");
}
