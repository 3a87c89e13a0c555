//! The desktop over weeks, on the mock runtime against the real central service in-process,
//! with the clock injected: the certificate renews itself in the background past its renewal
//! point; warnings come before the certificate's expiry and before the end of the offline
//! period, once each; the offline-period wipe keeps the unsent answers, which are then sent
//! exactly once; a re-enrolment for the same daycare keeps them too, one for another daycare
//! wipes everything; a second computer's answer comes back in words with the service's
//! status; a locked keychain leaves the enrolment on screen; the start-up check names each
//! part.
#![allow(clippy::unwrap_used)]

mod harness;

use chrono::{DateTime, Duration, Utc};
use harness::{app, app_with, background_turn, enrolled_with_vacancy, TestApp};
use placeforte_central::store::Storage as _;
use placeforte_central::Lifetimes;
use placeforte_desk::sync_schedule::SyncAttempt;
use placeforte_testkit::cache::mark_outbox_pending;
use placeforte_testkit::{Central, MemoryStore};
use serde_json::{json, Value};
use tauri::async_runtime::block_on;

fn instant(value: &Value) -> DateTime<Utc> {
    value.as_str().unwrap().parse().unwrap()
}

fn status(app: &TestApp) -> Value {
    app.invoke("status", json!({})).unwrap()
}

/// The first open referral in the cache.
fn open_referral(app: &TestApp) -> String {
    let list = app.invoke("referrals", json!({})).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .find(|r| r["status"] == "open")
        .unwrap()["referral_id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// How many outcome reports the service holds.
fn outcomes_on_the_service(central: &Central) -> usize {
    block_on(async {
        let count = central.store.audit_entry_count().await.unwrap();
        central
            .store
            .audit_entries(0, count)
            .await
            .unwrap()
            .into_iter()
            .filter(|e| e.leaf.action == "referral.outcome_reported")
            .count()
    })
}

fn record(app: &TestApp, referral: &str, outcome: Value) {
    app.invoke(
        "record_outcome",
        json!({ "referralId": referral, "outcome": outcome }),
    )
    .unwrap();
}

fn accepted() -> Value {
    json!({ "kind": "accepted" })
}

#[test]
fn the_background_renews_the_certificate_past_its_renewal_point_and_not_before() {
    let central = block_on(Central::start());
    // Enrolled five days ago on the service's clock: the certificate is past its renewal
    // point (two thirds of 7 days) and still valid, in real time too.
    let now = Utc::now();
    central.clock.set(now - Duration::days(5));
    let app = app();
    let invitation = block_on(async {
        let daycare = central.daycare().await;
        central.invite(daycare).await.to_string()
    });
    app.invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    central.clock.set(now);
    let before = status(&app)["enrolment"].clone();
    let renew_after = instant(&before["certificate_renew_after"]);
    assert!(renew_after < now);

    let early = background_turn(&app, renew_after - Duration::minutes(1));
    assert_eq!(early.attempt, SyncAttempt::Synced);
    assert_eq!(
        status(&app)["enrolment"],
        before,
        "not renewed before its point"
    );

    let turned = background_turn(&app, now);
    assert_eq!(turned.attempt, SyncAttempt::Synced);
    let after = status(&app)["enrolment"].clone();
    assert!(instant(&after["certificate_not_after"]) > instant(&before["certificate_not_after"]));
    assert!(instant(&after["certificate_renew_after"]) > now);
    assert_eq!(after["device_id"], before["device_id"]);
    assert_eq!(app.invoke("check_connection", json!({})).unwrap(), true);
}

#[test]
fn a_renewal_the_service_refuses_for_now_does_not_stop_the_sync() {
    let central = block_on(Central::start());
    let (app, made) = enrolled_with_vacancy(&central, 6, 1);
    let renew_after = instant(&status(&app)["enrolment"]["certificate_renew_after"]);
    // The workstation's clock says renew; the service's says too early (409).
    let turned = background_turn(&app, renew_after + Duration::hours(1));
    assert_eq!(turned.attempt, SyncAttempt::Synced);
    assert_eq!(
        app.invoke("referrals", json!({}))
            .unwrap()
            .as_array()
            .unwrap()
            .len() as u64,
        made
    );
}

#[test]
fn warnings_come_before_each_cliff_once_with_the_date() {
    let central = block_on(Central::start_with(Lifetimes {
        offline_period_days: 5,
        ..Lifetimes::default()
    }));
    let (app, _) = enrolled_with_vacancy(&central, 6, 1);
    assert_eq!(
        background_turn(&app, Utc::now()).attempt,
        SyncAttempt::Synced
    );
    let synced = status(&app);
    assert_eq!(synced["retention_days"], 5, "the service's offline period");
    assert_eq!(synced["warnings"], json!([]));
    let not_after = instant(&synced["enrolment"]["certificate_not_after"]);
    let _stopped = block_on(central.stop());

    // The offline period (5 days) ends first: from 3 days before it.
    let offline_end = instant(&synced["last_sync"]) + Duration::days(5);
    let quiet = background_turn(&app, offline_end - Duration::days(3) - Duration::minutes(1));
    assert!(
        quiet
            .notified
            .iter()
            .all(|t| !t.contains("synchronisation")),
        "{quiet:?}"
    );
    let warned = background_turn(&app, offline_end - Duration::days(3));
    assert_eq!(warned.notified.len(), 1, "{warned:?}");
    assert!(warned.notified[0].starts_with("Sans synchronisation réussie d'ici le"));
    assert!(background_turn(&app, offline_end - Duration::days(2))
        .notified
        .is_empty());
    // A day before: once more.
    let last_call = background_turn(&app, offline_end - Duration::hours(23));
    assert_eq!(last_call.notified.len(), 1, "{last_call:?}");

    // The certificate, from its renewal point and 3 days before its end (the service is
    // down: it cannot renew), in English.
    app.invoke("set_language", json!({ "language": "en-CA" }))
        .unwrap();
    let cert = background_turn(&app, not_after - Duration::days(2));
    assert!(
        cert.notified
            .iter()
            .any(|t| t.starts_with("This computer's certificate expires on")),
        "{cert:?}"
    );
    assert!(background_turn(&app, not_after - Duration::days(2))
        .notified
        .is_empty());
}

#[test]
fn the_offline_period_wipe_keeps_the_unsent_answers_which_then_go_out_once() {
    let central = block_on(Central::start_with(Lifetimes {
        offline_period_days: 2,
        ..Lifetimes::default()
    }));
    let (app, _) = enrolled_with_vacancy(&central, 6, 1);
    assert_eq!(
        background_turn(&app, Utc::now()).attempt,
        SyncAttempt::Synced
    );
    let referral = open_referral(&app);
    let stopped = block_on(central.stop());
    record(&app, &referral, accepted());
    let last_sync = instant(&status(&app)["last_sync"]);

    // Still open, a turn past the offline period wipes the cache and keeps the answer.
    let past = last_sync + Duration::days(2) + Duration::seconds(1);
    assert_eq!(
        background_turn(&app, past).attempt,
        SyncAttempt::Unreachable
    );
    let wiped = status(&app);
    assert_eq!(wiped["wiped"], "retention_expired");
    assert_eq!(wiped["kept_after_wipe"], 1);
    assert_eq!(wiped["referrals_cached"], 0, "the families' data is gone");
    assert_eq!(wiped["outbox_pending"], 1);
    assert!(wiped["enrolment"].is_object(), "still enrolled");

    let central = block_on(stopped.restart());
    let before = outcomes_on_the_service(&central);
    let summary = app.invoke("sync", json!({})).unwrap();
    assert_eq!(summary["sent"], 1);
    assert_eq!(outcomes_on_the_service(&central), before + 1);
    assert_eq!(status(&app)["outbox_pending"], 0);
    assert!(status(&app)["referrals_cached"].as_u64().unwrap() > 0);
}

#[test]
fn a_re_enrolment_for_the_same_daycare_keeps_the_unsent_answers_and_sends_them_once() {
    let central = block_on(Central::start());
    let (app, _) = enrolled_with_vacancy(&central, 6, 2);
    app.invoke("sync", json!({})).unwrap();
    let referral = open_referral(&app);
    record(&app, &referral, accepted());
    let daycare = status(&app)["enrolment"]["daycare_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let first_device = status(&app)["enrolment"]["device_id"].clone();

    // The certificate expired over the holidays: a new code for the same daycare.
    let invitation = block_on(central.invite(daycare.parse().unwrap())).to_string();
    app.invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    let again = status(&app);
    assert_ne!(again["enrolment"]["device_id"], first_device);
    assert_eq!(again["wiped"], Value::Null);
    assert_eq!(again["outbox_pending"], 1, "the answer is still there");

    let before = outcomes_on_the_service(&central);
    assert_eq!(app.invoke("sync", json!({})).unwrap()["sent"], 1);
    assert_eq!(outcomes_on_the_service(&central), before + 1);

    // A lost acknowledgement: sent again under its key, applied once.
    block_on(mark_outbox_pending(app.desk().local(), 1));
    assert_eq!(app.invoke("sync", json!({})).unwrap()["sent"], 1);
    assert_eq!(outcomes_on_the_service(&central), before + 1);
    let list = app.invoke("referrals", json!({})).unwrap();
    let answered = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["referral_id"] == referral.as_str())
        .unwrap();
    assert_eq!(answered["status"], "accepted");
}

#[test]
fn a_re_enrolment_for_another_daycare_wipes_everything() {
    let central = block_on(Central::start());
    let (app, _) = enrolled_with_vacancy(&central, 6, 1);
    app.invoke("sync", json!({})).unwrap();
    record(&app, &open_referral(&app), accepted());

    let other = block_on(central.daycare());
    let invitation = block_on(central.invite(other)).to_string();
    app.invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    let moved = status(&app);
    assert_eq!(moved["enrolment"]["daycare_id"], other.to_string());
    assert_eq!(moved["wiped"], "other_daycare");
    assert_eq!(moved["kept_after_wipe"], 0);
    assert_eq!(moved["outbox_pending"], 0);
    assert_eq!(moved["referrals_cached"], 0);
    let before = outcomes_on_the_service(&central);
    app.invoke("sync", json!({})).unwrap();
    assert_eq!(
        outcomes_on_the_service(&central),
        before,
        "nothing of the other daycare sent"
    );
}

#[test]
fn a_second_computer_s_answer_comes_back_in_words_and_the_copy_follows_the_service() {
    let central = block_on(Central::start());
    let (first, _) = enrolled_with_vacancy(&central, 6, 1);
    first.invoke("sync", json!({})).unwrap();
    let daycare = status(&first)["enrolment"]["daycare_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let second = app();
    let invitation = block_on(central.invite(daycare.parse().unwrap())).to_string();
    second
        .invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    second.invoke("sync", json!({})).unwrap();
    let referral = open_referral(&first);

    // Both answer the same family; the first one's reaches the service first.
    record(&first, &referral, accepted());
    record(
        &second,
        &referral,
        json!({ "kind": "refused", "reason": "accepted_elsewhere" }),
    );
    first.invoke("sync", json!({})).unwrap();
    let summary = second.invoke("sync", json!({})).unwrap();
    assert_eq!(summary["conflicts"], 1);

    let outbox = second.invoke("outbox", json!({})).unwrap();
    let entry = &outbox.as_array().unwrap()[0];
    assert_eq!(
        entry["state"],
        json!({ "state": "conflict", "code": "referral_closed" })
    );
    let list = second.invoke("referrals", json!({})).unwrap();
    let held = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["referral_id"] == referral.as_str())
        .unwrap();
    assert_eq!(held["status"], "accepted", "the copy follows the service");
    assert_eq!(held["pending_outcome"], Value::Null);
}

#[test]
fn a_locked_keychain_keeps_the_enrolment_on_screen_wipes_nothing_and_recovers() {
    let central = block_on(Central::start());
    let store = MemoryStore::default();
    let lock = store.lock_switch();
    let app = app_with(store);
    let invitation = block_on(async {
        let daycare = central.daycare().await;
        central.toddlers_choosing(daycare, 4).await;
        central.invite(daycare).await.to_string()
    });
    app.invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    app.invoke("sync", json!({})).unwrap();
    let cache_file = placeforte_desk::paths::cache_path(app.dir.path());
    assert!(cache_file.exists());
    // Closed, as after a restart of the app.
    block_on(app.desk().close_cache());

    lock.store(true, std::sync::atomic::Ordering::SeqCst);
    let locked = status(&app);
    assert_eq!(locked["keychain"], "keychain_locked");
    assert!(locked["enrolment"].is_object(), "not the enrolment screen");
    let refused = app.invoke("referrals", json!({})).unwrap_err();
    assert_eq!(refused["code"], "keychain_locked");
    let health = app.invoke("health_check", json!({})).unwrap();
    assert_eq!(health[0]["item"], "keychain");
    assert_eq!(health[0]["code"], "keychain_locked");
    assert_eq!(health[0]["state"], "problem");
    assert!(cache_file.exists(), "nothing wiped");

    lock.store(false, std::sync::atomic::Ordering::SeqCst);
    let back = status(&app);
    assert_eq!(back["keychain"], Value::Null);
    assert_eq!(back["wiped"], Value::Null);
    assert!(
        back["last_sync"].is_string(),
        "the same cache, synced before"
    );
}

#[test]
fn the_start_up_check_names_each_part_and_what_is_wrong() {
    let fresh = app();
    let lines = fresh.invoke("health_check", json!({})).unwrap();
    let codes: Vec<&str> = lines
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["code"].as_str().unwrap())
        .collect();
    assert_eq!(
        codes,
        [
            "ready",
            "not_enrolled",
            "not_enrolled",
            "not_checked",
            "never",
            "unreadable"
        ]
    );

    let central = block_on(Central::start());
    let (app, _) = enrolled_with_vacancy(&central, 6, 1);
    app.invoke("sync", json!({})).unwrap();
    let healthy = app.invoke("health_check", json!({})).unwrap();
    for line in healthy.as_array().unwrap() {
        assert_eq!(line["state"], "ok", "{line}");
    }
    assert_eq!(healthy[2]["code"], "valid");
    assert_eq!(healthy[3]["code"], "reachable");

    record(&app, &open_referral(&app), accepted());
    let _stopped = block_on(central.stop());
    let offline = app.invoke("health_check", json!({})).unwrap();
    assert_eq!(offline[3]["code"], "server_unreachable");
    assert_eq!(offline[3]["state"], "problem");
    assert_eq!(offline[5]["code"], "pending");
    assert_eq!(offline[5]["count"], 1);
}
