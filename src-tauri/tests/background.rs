//! The open app's background sync and its desktop notifications, on the mock runtime against
//! the real central service in-process: a turn syncs and announces new referrals once, warns
//! once about offers near their deadline (offline too), backs off when the service is
//! unreachable, never runs beside a manual sync, and does nothing for a computer that is not
//! enrolled. The notifications go through Tauri's notification plugin, registered by the app.
#![allow(clippy::unwrap_used)]

mod harness;

use chrono::{DateTime, Duration, Utc};
use harness::{app, background_turn, enrolled_with_vacancy, TestApp};
use placeforte_app::background::turn;
use placeforte_desk::sync_schedule::SyncAttempt;
use placeforte_testkit::Central;
use serde_json::{json, Value};
use tauri::async_runtime::block_on;
use tauri::Manager as _;

/// The earliest deadline among the cached open offers.
fn first_deadline(app: &TestApp) -> DateTime<Utc> {
    let list = app.invoke("referrals", json!({})).unwrap();
    list.as_array()
        .unwrap()
        .iter()
        .filter(|r| r["status"] == "open")
        .map(|r| {
            r["answer_deadline"]
                .as_str()
                .unwrap()
                .parse::<DateTime<Utc>>()
                .unwrap()
        })
        .min()
        .unwrap()
}

fn cached(app: &TestApp) -> usize {
    let list = app.invoke("referrals", json!({})).unwrap();
    list.as_array().unwrap().len()
}

#[test]
fn a_turn_syncs_and_announces_new_referrals_once_then_deadlines_once() {
    let central = block_on(Central::start());
    let (app, made) = enrolled_with_vacancy(&central, 6, 2);
    assert_eq!(cached(&app), 0);

    let first = background_turn(&app, Utc::now());
    assert_eq!(first.attempt, SyncAttempt::Synced);
    assert_eq!(cached(&app) as u64, made);
    assert_eq!(first.notified, [format!("{made} nouvelles références")]);
    // The next turn has no news: each referral is announced once.
    let second = background_turn(&app, Utc::now());
    assert_eq!(second.attempt, SyncAttempt::Synced);
    assert_eq!(second.notified, Vec::<String>::new());

    // A day before the deadline, in the window's language.
    app.invoke("set_language", json!({ "language": "en-CA" }))
        .unwrap();
    let near = first_deadline(&app) - Duration::days(1);
    let warned = background_turn(&app, near);
    assert_eq!(
        warned.notified[0],
        format!("{made} offers are due in less than 2 days")
    );
    // That close to its end the certificate is past its renewal point, which the service, on
    // real time, refuses as too early: it is warned of (the sync itself went through).
    assert_eq!(warned.notified.len(), 2, "{:?}", warned.notified);
    assert!(warned.notified[1].contains("certificate expires"));
    assert_eq!(background_turn(&app, near).notified, Vec::<String>::new());
    // An unknown language is refused by the command, as any bad argument.
    assert!(app
        .invoke("set_language", json!({ "language": "de-DE" }))
        .is_err());
    drop(central);
}

#[test]
fn an_unreachable_service_backs_off_and_deadlines_are_still_announced() {
    let central = block_on(Central::start());
    let (app, made) = enrolled_with_vacancy(&central, 6, 1);
    assert_eq!(
        background_turn(&app, Utc::now()).attempt,
        SyncAttempt::Synced
    );
    let _stopped = block_on(central.stop());

    let near = first_deadline(&app) - Duration::hours(30);
    let offline = background_turn(&app, near);
    assert_eq!(offline.attempt, SyncAttempt::Unreachable);
    let expected = if made == 1 {
        "1 offre arrive à échéance dans moins de 2 jours".to_owned()
    } else {
        format!("{made} offres arrivent à échéance dans moins de 2 jours")
    };
    assert_eq!(offline.notified[0], expected);
    assert!(offline.notified[1..]
        .iter()
        .all(|text| text.contains("certificat") || text.contains("synchronisation")));
    let status = app.invoke("status", json!({})).unwrap();
    assert_eq!(status["online"], false);
}

#[test]
fn a_turn_skips_while_a_manual_sync_runs() {
    let central = block_on(Central::start());
    let (app, made) = enrolled_with_vacancy(&central, 6, 1);
    let desk = app.desk();
    let handle = app.window.app_handle();
    // The manual sync takes the gate at its first step; the turn, polled next, finds it taken.
    let (manual, background) =
        block_on(async { tokio::join!(desk.sync(|_| {}), turn(handle, Utc::now())) });
    assert_eq!(manual.unwrap().referrals as u64, made);
    assert_eq!(background.attempt, SyncAttempt::Skipped);
    assert_eq!(background.notified, Vec::<String>::new());
    // Once it is done, the next turn runs (and has the news the manual sync brought).
    let next = background_turn(&app, Utc::now());
    assert_eq!(next.attempt, SyncAttempt::Synced);
    assert_eq!(next.notified.len(), 1);
    drop(central);
}

#[test]
fn nothing_runs_for_a_computer_that_is_not_enrolled_or_wiped() {
    let fresh = app();
    let idle = background_turn(&fresh, Utc::now());
    assert_eq!(idle.attempt, SyncAttempt::Skipped);
    assert!(idle.notified.is_empty());
    // No cache was made for it.
    let files: Vec<Value> = std::fs::read_dir(fresh.dir.path())
        .unwrap()
        .map(|e| json!(e.unwrap().file_name().to_string_lossy()))
        .collect();
    assert_eq!(files, Vec::<Value>::new());

    let central = block_on(Central::start());
    let (app, _) = enrolled_with_vacancy(&central, 6, 1);
    app.invoke("wipe", json!({})).unwrap();
    assert_eq!(
        background_turn(&app, Utc::now()).attempt,
        SyncAttempt::Skipped
    );
    drop(central);
}
