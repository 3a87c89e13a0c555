//! The commands that talk to the service, as the window calls them, against the real central
//! service in-process over real mutual TLS: vacancies through the outbox (online and
//! offline), the audited contact reveal and the demand figures, with their reject paths.
#![allow(clippy::unwrap_used)]

mod harness;

use chrono::{Datelike as _, Duration};
use harness::{app, TestApp};
use placeforte_central::store::Storage as _;
use placeforte_central::{Clock as _, Lifetimes};
use placeforte_testkit::Central;
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};
use tauri::async_runtime::block_on;
use tauri::Listener as _;

/// The app, enrolled through its own `enrol` command at a new daycare that `toddlers` waiting
/// toddlers chose.
fn enrolled(central: &Central, toddlers: usize) -> TestApp {
    let app = app();
    let invitation = block_on(async {
        let daycare = central.daycare().await;
        central.toddlers_choosing(daycare, toddlers).await;
        central.invite(daycare).await.to_string()
    });
    app.invoke("enrol", json!({ "invitation": invitation }))
        .unwrap();
    app
}

/// A toddler vacancy of `places` starting in 30 days, as the form sends it.
fn toddler_vacancy(central: &Central, places: u32) -> Value {
    let start = central.clock.now().date_naive() + Duration::days(30);
    json!({ "vacancy": {
        "age_class": "from_18_months_to_4_years",
        "places": places,
        "start_date": start.to_string(),
        "group_label": "  Les Mésanges ",
    } })
}

/// The cached referrals made for `vacancy_id`.
fn referrals_of(app: &TestApp, vacancy_id: &Value) -> Vec<Value> {
    let list = app.invoke("referrals", json!({})).unwrap();
    let list = list.as_array().unwrap().iter().cloned();
    list.filter(|r| &r["vacancy_id"] == vacancy_id).collect()
}

#[test]
fn a_vacancy_declared_online_is_sent_at_once_and_listed_newest_first() {
    let central = block_on(Central::start());
    let app = enrolled(&central, 8);
    let first = app
        .invoke("declare_vacancy", toddler_vacancy(&central, 1))
        .unwrap();
    let second = app
        .invoke("declare_vacancy", toddler_vacancy(&central, 2))
        .unwrap();
    assert_eq!(second["state"], json!({ "state": "sent" }), "{second}");
    assert_eq!(second["group_label"], "Les Mésanges");
    assert_eq!(second["places"], 2);
    let referrals = second["referrals"].as_u64().unwrap();
    assert!(referrals >= 2, "{second}");
    assert!(second["answer_by"].is_string(), "{second}");

    let listed = app.invoke("vacancies", json!({})).unwrap();
    let ids: Vec<&Value> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|v| &v["local_id"])
        .collect();
    assert_eq!(ids, [&second["local_id"], &first["local_id"]]);

    // The vacancy's referrals reach the cache with the next sync, under its service id; the
    // progress events count them against the total announced.
    let events = Arc::new(Mutex::new(Vec::new()));
    let seen = Arc::clone(&events);
    app.window.listen_any("sync-progress-event", move |event| {
        let payload: Value = serde_json::from_str(event.payload()).unwrap();
        seen.lock().unwrap().push(payload);
    });
    let summary = app.invoke("sync", json!({})).unwrap();
    let cached = app.invoke("referrals", json!({})).unwrap();
    assert_eq!(
        app.invoke("status", json!({})).unwrap()["referrals_cached"],
        cached.as_array().unwrap().len(),
        "the home count is the list's length"
    );
    let made = referrals_of(&app, &second["vacancy_id"]);
    assert_eq!(made.len() as u64, referrals);
    let events = events.lock().unwrap();
    let last = events.last().unwrap();
    assert_eq!(last["more"], false);
    assert_eq!(last["referrals"], summary["referrals"]);
    assert_eq!(last["total"], summary["referrals"], "{events:?}");
    assert!(last["total"].as_u64().unwrap() >= referrals);
    assert!(made.iter().all(|r| r["status"] == "open"));
}

#[test]
fn a_vacancy_the_service_would_refuse_is_refused_and_nothing_is_queued() {
    let central = block_on(Central::start());
    let app = enrolled(&central, 1);
    let today = placeforte_domain::calendar::quebec_today(central.clock.now());
    let good = toddler_vacancy(&central, 1)["vacancy"].clone();
    let with = |field: &str, value: Value| {
        let mut vacancy = good.clone();
        vacancy[field] = value;
        json!({ "vacancy": vacancy })
    };
    for bad in [
        with("places", json!(0)),
        with("places", json!(1000)),
        with("start_date", json!("2026-13-40")),
        with("start_date", json!("demain")),
        with("start_date", json!((today - Duration::days(1)).to_string())),
        with("group_label", json!("x".repeat(500))),
    ] {
        let err = app.invoke("declare_vacancy", bad.clone()).unwrap_err();
        assert_eq!(err["code"], "invalid_input", "{bad}: {err}");
    }
    // A negative count or a class that does not exist never reaches the command.
    for bad in [
        with("places", json!(-1)),
        with("age_class", json!("teenagers")),
    ] {
        let err = app.invoke("declare_vacancy", bad.clone()).unwrap_err();
        assert!(err.is_string(), "{bad}: {err}");
    }
    assert_eq!(app.invoke("vacancies", json!({})).unwrap(), json!([]));
}

#[test]
fn a_vacancy_declared_offline_waits_in_the_outbox_and_goes_with_the_next_sync() {
    let central = block_on(Central::start());
    let app = enrolled(&central, 8);
    let vacancy = toddler_vacancy(&central, 1);
    let stopped = block_on(central.stop());

    let pending = app.invoke("declare_vacancy", vacancy).unwrap();
    assert_eq!(pending["state"], json!({ "state": "pending" }), "{pending}");
    assert_eq!(pending["vacancy_id"], Value::Null);
    assert_eq!(pending["referrals"], Value::Null);
    let status = app.invoke("status", json!({})).unwrap();
    assert_eq!(status["online"], false);
    assert_eq!(status["vacancies_pending"], 1);
    assert_eq!(status["vacancies_declared"], 1);
    let listed = app.invoke("vacancies", json!({})).unwrap();
    assert_eq!(listed[0]["state"], json!({ "state": "pending" }));

    let central = block_on(stopped.restart());
    app.invoke("sync", json!({})).unwrap();
    assert_eq!(
        app.invoke("status", json!({})).unwrap()["vacancies_pending"],
        0
    );
    let listed = app.invoke("vacancies", json!({})).unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(
        app.invoke("status", json!({})).unwrap()["vacancies_declared"],
        1,
        "sent, it still counts as declared here"
    );
    let sent = &listed[0];
    assert_eq!(sent["local_id"], pending["local_id"]);
    assert_eq!(sent["state"], json!({ "state": "sent" }), "{sent}");
    let made = referrals_of(&app, &sent["vacancy_id"]);
    assert!(!made.is_empty());
    assert_eq!(made.len() as u64, sent["referrals"].as_u64().unwrap());
    drop(central);
}

#[test]
fn a_reveal_shows_the_contact_online_and_the_service_audits_it() {
    let central = block_on(Central::start());
    let app = enrolled(&central, 8);
    app.invoke("declare_vacancy", toddler_vacancy(&central, 1))
        .unwrap();
    app.invoke("sync", json!({})).unwrap();
    let referral = app.invoke("referrals", json!({})).unwrap()[0]["referral_id"].clone();
    let before = block_on(central.store.audit_entry_count()).unwrap();

    let contact = app
        .invoke(
            "reveal_contact",
            json!({ "referralId": referral, "reason": "other", "note": " rappel " }),
        )
        .unwrap();
    assert_eq!(contact["referral_id"], referral);
    assert_eq!(contact["parent_phone"], "555-0100");
    assert_eq!(contact["parent_email"], "parent@example.invalid");
    assert_eq!(contact["parent_family_name"], "Synthétique");
    let entries = block_on(central.store.audit_entries(before, 10)).unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].leaf.action, "contact.revealed");
    assert!(entries[0].leaf.reason.contains("other"), "{:?}", entries[0]);
    assert_eq!(app.invoke("status", json!({})).unwrap()["online"], true);
}

#[test]
fn a_reveal_is_refused_offline_over_quota_and_for_a_bad_request_and_nothing_is_audited() {
    let central = block_on(Central::start_with(Lifetimes {
        reveals_per_device_per_day: 1,
        ..Lifetimes::default()
    }));
    let app = enrolled(&central, 8);
    app.invoke("declare_vacancy", toddler_vacancy(&central, 1))
        .unwrap();
    app.invoke("sync", json!({})).unwrap();
    let referral = app.invoke("referrals", json!({})).unwrap()[0]["referral_id"].clone();
    let reveal = |reason: &str, note: Value| {
        app.invoke(
            "reveal_contact",
            json!({ "referralId": referral, "reason": reason, "note": note }),
        )
    };
    let before = block_on(central.store.audit_entry_count()).unwrap();

    // Refused here, before anything is sent.
    for (reason, note) in [
        ("other", Value::Null),
        ("other", json!("   ")),
        ("offer_call", json!("é".repeat(201))),
        ("offer_call", json!("a\u{7}b")),
    ] {
        let err = reveal(reason, note.clone()).unwrap_err();
        assert_eq!(err["code"], "invalid_input", "{reason} {note}: {err}");
    }
    let err = reveal("curiosity", Value::Null).unwrap_err();
    assert!(err.as_str().unwrap().contains("reason"), "{err}");
    for id in [
        json!(placeforte_protocol::ReferralId::random().to_string()),
        json!("not-an-id"),
    ] {
        let err = app
            .invoke(
                "reveal_contact",
                json!({ "referralId": id, "reason": "offer_call", "note": null }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "unknown_referral", "{err}");
    }
    assert_eq!(
        block_on(central.store.audit_entry_count()).unwrap(),
        before,
        "nothing reached the service"
    );

    // The quota: one reveal, then its own error.
    reveal("offer_call", Value::Null).unwrap();
    let err = reveal("follow_up", Value::Null).unwrap_err();
    assert_eq!(err["code"], "reveal_quota_exceeded", "{err}");

    // Offline: its own error, and the app knows it is offline.
    let stopped = block_on(central.stop());
    let err = reveal("follow_up", Value::Null).unwrap_err();
    assert_eq!(err["code"], "reveal_needs_network", "{err}");
    assert_eq!(app.invoke("status", json!({})).unwrap()["online"], false);
    drop(stopped);
}

#[test]
fn demand_gives_de_identified_counts_online_and_says_when_it_is_offline() {
    let central = block_on(Central::start());
    let app = enrolled(&central, 8);
    let report = app.invoke("demand", json!({})).unwrap();
    let today = central.clock.now().date_naive();
    assert_eq!(report["as_of"], today.to_string());
    // Eight toddlers whose desired entry is past: one cell, this month, all eight.
    assert_eq!(
        report["cells"],
        json!([{
            "age_class": "from_18_months_to_4_years",
            "start_month": format!("{}-{:02}", today.year(), today.month()),
            "children": "8",
        }])
    );

    // A daycare with fewer than five waiting gets the suppressed count, never the number.
    let small = enrolled(&central, 3);
    let report = small.invoke("demand", json!({})).unwrap();
    assert_eq!(report["cells"][0]["children"], "<5", "{report}");

    let stopped = block_on(central.stop());
    let err = app.invoke("demand", json!({})).unwrap_err();
    assert_eq!(err["code"], "server_unreachable", "{err}");
    drop(stopped);
}

#[test]
fn a_revocation_met_by_any_command_wipes_everything_and_is_reported_once() {
    let central = block_on(Central::start());
    let app = enrolled(&central, 3);
    app.invoke("sync", json!({})).unwrap();
    let status = app.invoke("status", json!({})).unwrap();
    let device_id: placeforte_protocol::DeviceId = status["enrolment"]["device_id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    block_on(placeforte_central::operator::revoke_device(
        &central.store,
        &central.operator,
        central.clock.now(),
        device_id,
    ))
    .unwrap();

    // The demand figures: a command that never had to remember the wipe.
    let err = app.invoke("demand", json!({})).unwrap_err();
    assert_eq!(err["code"], "device_revoked", "{err}");
    let status = app.invoke("status", json!({})).unwrap();
    assert_eq!(status["wiped"], "revoked", "{status}");
    assert_eq!(status["enrolment"], Value::Null);
    assert_eq!(status["online"], true);
    assert_eq!(
        app.invoke("status", json!({})).unwrap()["wiped"],
        Value::Null
    );
    assert_eq!(app.invoke("referrals", json!({})).unwrap(), json!([]));
}
