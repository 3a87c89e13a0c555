//! The commands as the window calls them, through Tauri's IPC and the app's real capabilities,
//! on the mock runtime (no display), for what needs no central service.
#![allow(clippy::unwrap_used)]

mod harness;

use harness::{app, invoke_from};
use placeforte_protocol::referrals::{
    RankExplanation, RankStanding, ReferralPage, ReferralStatus, ReferralSyncItem,
};
use placeforte_protocol::{ReferralId, VacancyId};
use serde_json::{json, Value};

#[test]
fn a_fresh_computer_is_not_enrolled_and_has_an_empty_cache() {
    let app = app();
    let status = app.invoke("status", json!({})).unwrap();
    assert_eq!(status["enrolment"], Value::Null);
    assert_eq!(status["referrals_cached"], 0);
    assert_eq!(status["online"], Value::Null, "no call to the service yet");
    assert_eq!(status["retention_days"], 7);
    // The year June group formation plans comes from the desktop core's rule.
    let today = chrono::Local::now().date_naive();
    let planned = placeforte_desk::planning::next_school_year_start(today);
    assert_eq!(status["school_year_start"], planned.to_string());
    assert_eq!(app.invoke("referrals", json!({})).unwrap(), json!([]));
}

#[test]
fn a_pasted_text_that_is_not_an_invitation_gets_the_pinned_error() {
    let app = app();
    let err = app
        .invoke("enrol", json!({ "invitation": "bonjour" }))
        .unwrap_err();
    assert_eq!(err["code"], "invalid_invitation");
    assert!(
        err["message"].as_str().unwrap().contains("invitation"),
        "{err}"
    );
    assert_eq!(
        err.as_object().unwrap().len(),
        2,
        "exactly code and message: {err}"
    );
}

#[test]
fn an_unreachable_server_is_reported_and_the_app_knows_it_is_offline() {
    let app = app();
    // A well-formed invitation for a port nothing listens on.
    let invitation = format!(
        "placeforte:enrol?v=1&daycare={}&code=ABCD-EFGH&enrol=127.0.0.1:9&api=127.0.0.1:9&ca={}",
        uuid_like(),
        "ab".repeat(32)
    );
    let err = app
        .invoke("enrol", json!({ "invitation": invitation }))
        .unwrap_err();
    assert_eq!(err["code"], "server_unreachable", "{err}");
    let status = app.invoke("status", json!({})).unwrap();
    assert_eq!(status["online"], false);
    assert_eq!(
        status["enrolment"],
        Value::Null,
        "a failed enrolment keeps nothing"
    );
}

#[test]
fn network_commands_need_an_enrolment() {
    let app = app();
    for cmd in ["sync", "flush", "check_connection", "demand"] {
        let err = app.invoke(cmd, json!({})).unwrap_err();
        assert_eq!(err["code"], "not_enrolled", "{cmd}: {err}");
    }
}

#[test]
fn a_vacancy_needs_an_enrolment_and_a_date_before_anything_is_queued() {
    let app = app();
    let vacancy = |start: &str| {
        json!({ "vacancy": {
            "age_class": "under_18_months", "places": 1, "start_date": start, "group_label": null,
        } })
    };
    let err = app
        .invoke("declare_vacancy", vacancy("2026-02-30"))
        .unwrap_err();
    assert_eq!(err["code"], "invalid_input", "{err}");
    let err = app
        .invoke("declare_vacancy", vacancy("2099-09-01"))
        .unwrap_err();
    assert_eq!(err["code"], "not_enrolled", "{err}");
    assert_eq!(app.invoke("vacancies", json!({})).unwrap(), json!([]));
}

#[test]
fn a_reveal_needs_a_cached_referral_and_a_known_reason() {
    let app = app();
    let err = app
        .invoke(
            "reveal_contact",
            json!({ "referralId": ReferralId::random().to_string(), "reason": "offer_call", "note": null }),
        )
        .unwrap_err();
    assert_eq!(err["code"], "unknown_referral", "{err}");
    let err = app
        .invoke(
            "reveal_contact",
            json!({ "referralId": ReferralId::random().to_string(), "reason": "gossip", "note": null }),
        )
        .unwrap_err();
    assert!(err.as_str().unwrap().contains("reason"), "{err}");
}

#[test]
fn an_outcome_goes_to_the_outbox_and_shows_as_pending_on_its_referral() {
    let app = app();
    let referral = ReferralId::random();
    let cache = tauri::async_runtime::block_on(app.desk().cache()).unwrap();
    tauri::async_runtime::block_on(cache.apply_referral_page(&page(referral))).unwrap();

    let entry = app
        .invoke(
            "record_outcome",
            json!({ "referralId": referral.to_string(), "outcome": { "kind": "refused", "reason": "accepted_elsewhere" } }),
        )
        .unwrap();
    assert_eq!(entry["state"], json!({ "state": "pending" }));
    let outbox = app.invoke("outbox", json!({})).unwrap();
    assert_eq!(outbox.as_array().unwrap().len(), 1);
    let list = app.invoke("referrals", json!({})).unwrap();
    assert_eq!(
        list[0]["pending_outcome"],
        json!({ "kind": "refused", "reason": "accepted_elsewhere" })
    );
    assert_eq!(list[0]["age_class"], "from_18_months_to_4_years");
}

#[test]
fn an_outcome_for_a_referral_not_in_the_cache_is_refused() {
    let app = app();
    for id in [ReferralId::random().to_string(), "not-an-id".to_string()] {
        let err = app
            .invoke(
                "record_outcome",
                json!({ "referralId": id, "outcome": { "kind": "accepted" } }),
            )
            .unwrap_err();
        assert_eq!(err["code"], "unknown_referral");
    }
    assert_eq!(app.invoke("outbox", json!({})).unwrap(), json!([]));
}

#[test]
fn a_malformed_outcome_is_refused_before_the_command_runs() {
    let app = app();
    let err = app
        .invoke("record_outcome", json!({ "referralId": ReferralId::random().to_string(), "outcome": { "kind": "maybe" } }))
        .unwrap_err();
    assert!(err.as_str().unwrap().contains("outcome"), "{err}");
}

#[test]
fn wipe_deletes_the_cache_file_and_its_key() {
    let app = app();
    app.invoke("referrals", json!({})).unwrap();
    let file = app.dir.path().join("cache.sqlite");
    assert!(file.exists());
    app.invoke("wipe", json!({})).unwrap();
    assert!(!file.exists());
    // The next open makes a fresh, empty cache with a new key.
    assert_eq!(app.invoke("referrals", json!({})).unwrap(), json!([]));
    assert!(file.exists());
}

#[test]
fn only_our_commands_from_our_own_origin_are_allowed() {
    let app = app();
    // A core command the capability does not grant.
    let err = app
        .invoke("plugin:window|close", json!({ "label": "main" }))
        .unwrap_err();
    assert!(err.as_str().unwrap().contains("not allowed"), "{err}");
    // Our own command from a remote page.
    let remote = invoke_from(&app.window, "https://example.com", "status", json!({})).unwrap_err();
    assert!(remote.as_str().unwrap().contains("not allowed"), "{remote}");
}

#[test]
fn every_registered_command_has_exactly_one_permission_in_the_capability() {
    let capability: Value =
        serde_json::from_str(include_str!("../capabilities/default.json")).unwrap();
    let mut granted: Vec<String> = capability["permissions"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|p| {
            p.as_str()?
                .strip_prefix("allow-")
                .map(|s| s.replace('-', "_"))
        })
        .collect();
    granted.sort();
    let mut names: Vec<String> = placeforte_app::command_names::NAMES
        .iter()
        .map(|s| s.to_string())
        .collect();
    names.sort();
    assert_eq!(granted, names);
    let bindings = std::fs::read_to_string(placeforte_app::BINDINGS_PATH).unwrap();
    for name in placeforte_app::command_names::NAMES {
        assert!(
            bindings.contains(&format!("TAURI_INVOKE(\"{name}\"")),
            "{name} is not registered with tauri-specta"
        );
    }
}

fn uuid_like() -> String {
    ReferralId::random().to_string()
}

fn page(referral: ReferralId) -> ReferralPage {
    ReferralPage {
        referrals: vec![ReferralSyncItem {
            referral_id: referral,
            vacancy_id: VacancyId::random(),
            status: ReferralStatus::Open,
            answer_by: "2026-06-20".parse().unwrap(),
            label: "Zoé T.".into(),
            birth_date: "2024-03-01".parse().unwrap(),
            desired_entry_date: "2026-09-01".parse().unwrap(),
            category: 4,
            priority: false,
            sibling_referral_id: None,
            rank_reason: RankExplanation {
                rank: 1,
                category_order_rank: 1,
                days_since_desired_entry: 12,
                standing: RankStanding::WithinPlaces,
                rule_set: "quebec-2025".into(),
            },
        }],
        cursor: "1".into(),
        more: false,
        remaining: 0,
        offline_period_days: 7,
    }
}
