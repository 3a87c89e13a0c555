//! The desktop over weeks in its real window (Xvfb, WebKitWebDriver through tauri-driver),
//! against a real central service: the banners before each cliff, the start-up check in
//! Settings, re-enrolment with a new code after the certificate expired (the unsent answer
//! kept and sent), and a locked keychain (a real gnome-keyring of the test's own, locked and
//! unlocked over D-Bus) that wipes nothing and lets go by itself once unlocked.
//! Screenshots: `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used)]

use placeforte_e2e::{window_tests_can_run, AppWindow, Central, Display};
use placeforte_testkit::private_keyring::PrivateKeyring;

fn keychain_service(test: &str) -> String {
    format!("ca.placeforte.e2e.{test}.{}", std::process::id())
}

/// Moves the certificate's dates in the device record (the non-secret file the app reads
/// them from) `days` into the past, as weeks away from the network would.
fn age_the_certificate(data: &std::path::Path, days: i64) {
    let path = data.join("device.json");
    let mut record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    let past = chrono::Utc::now() - chrono::Duration::days(days);
    record["not_after"] = serde_json::json!(past);
    record["renew_after"] = serde_json::json!(past - chrono::Duration::days(2));
    std::fs::write(&path, serde_json::to_vec_pretty(&record).unwrap()).unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cliffs_are_announced_the_check_is_readable_and_a_new_code_keeps_the_answers() {
    if !window_tests_can_run() {
        return;
    }
    // An operator who keeps the offline period at one day: its end is always near.
    let mut central = Central::start_seeded_with(&[("PLACEFORTE_OFFLINE_PERIOD_DAYS", "1")]);
    let daycare = central.a_daycare();
    let data = tempfile::tempdir().unwrap();
    let service = keychain_service("weeks");
    let display = Display::open();
    let mut app = AppWindow::launch(&display, data.path(), &service, "weeks").await;
    app.enrol(&central.invitation(&daycare)).await;
    app.declare_vacancies(&["from_18_months_to_4_years"], 2)
        .await;
    app.sync().await;

    let banner = app
        .wait_text("cliff-offline_period_end", |t| !t.is_empty())
        .await;
    assert!(
        banner.starts_with("Sans synchronisation réussie d’ici le"),
        "{banner}"
    );
    assert!(banner.contains("conservées"), "{banner}");
    app.screenshot("offline-period-banner").await;
    app.assert_accessible("offline-period-banner").await;

    // The start-up check: every part named, the last sync to watch (one day), the rest fine.
    app.click("nav-settings").await;
    app.wait_css("[data-testid=health-outbox][data-state]")
        .await;
    for (item, state) in [
        ("keychain", "ok"),
        ("cache", "ok"),
        ("certificate", "ok"),
        ("service", "ok"),
        ("last_sync", "warning"),
        ("outbox", "ok"),
    ] {
        let row = app.wait(&format!("health-{item}")).await;
        assert_eq!(
            row.attr("data-state").await.unwrap().as_deref(),
            Some(state),
            "{item}"
        );
    }
    assert!(app.text("health-service").await.contains("Joignable"));
    app.screenshot("health-check").await;
    app.assert_accessible("health-check").await;

    // An answer recorded, not sent; then the holidays: the service is down, and the
    // certificate expired meanwhile.
    app.click("nav-referrals").await;
    app.click("referral-row").await;
    app.click("outcome-accepted").await;
    app.click("record-outcome").await;
    app.wait("pending-outcome").await;
    app.close().await;
    central.stop();
    age_the_certificate(data.path(), 1);
    let mut app = AppWindow::launch(&display, data.path(), &service, "weeks-expired").await;
    let expired = app
        .wait_text("cliff-certificate_expiry", |t| !t.is_empty())
        .await;
    assert!(expired.contains("a expiré"), "{expired}");
    assert!(expired.contains("nouveau code"), "{expired}");
    app.screenshot("certificate-expired-banner").await;
    app.assert_accessible("certificate-expired-banner").await;
    app.click("nav-settings").await;
    let health = app.wait("health-certificate").await;
    app.wait_css("[data-testid=health-certificate][data-code=expired]")
        .await;
    assert_eq!(
        health.attr("data-state").await.unwrap().as_deref(),
        Some("problem")
    );
    app.wait_css("[data-testid=health-service][data-code=server_unreachable]")
        .await;
    app.screenshot("health-check-offline-expired").await;

    // Back at the office: a new code for the same daycare, pasted in Settings.
    central.serve();
    app.click("cliff-reenrol").await;
    app.fill("invitation", &central.invitation(&daycare)).await;
    app.click("enrol").await;
    app.wait_css("[data-testid=reenrol]").await;
    app.click("nav-home").await;
    app.wait_text("outbox-pending", |t| t.contains('1')).await;
    app.sync().await;
    app.wait_text("outbox-pending", |t| t.contains('0')).await;
    assert_eq!(
        central
            .query("SELECT count(*) FROM audit_log WHERE action = 'referral.outcome_reported'")
            .trim(),
        "1",
        "the answer recorded before the holidays reached the service once"
    );
    assert_eq!(
        central.devices().len(),
        2,
        "a second enrolment of the same computer"
    );
    app.screenshot("re-enrolled-sent").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_locked_keychain_is_said_in_words_wipes_nothing_and_lets_go_once_unlocked() {
    if !window_tests_can_run() {
        return;
    }
    // The app and its driver get this process's environment: the private bus.
    let Some(keyring) = PrivateKeyring::start() else {
        return;
    };
    let central = Central::start_seeded();
    let daycare = central.a_daycare();
    let data = tempfile::tempdir().unwrap();
    let service = keychain_service("locked");
    let display = Display::open();
    let app = AppWindow::launch(&display, data.path(), &service, "keychain").await;
    app.enrol(&central.invitation(&daycare)).await;
    app.declare_vacancies(&["from_18_months_to_4_years"], 2)
        .await;
    app.sync().await;
    let cached = app.text("cached").await;
    app.close().await;

    // The session locked overnight; the app starts on it.
    keyring.lock();
    let mut app = AppWindow::launch(&display, data.path(), &service, "keychain-locked").await;
    let said = app.wait_text("keychain", |t| !t.is_empty()).await;
    assert!(said.contains("verrouillé"), "{said}");
    assert!(said.contains("Rien n’a été effacé"), "{said}");
    app.wait("keychain-unlock").await;
    assert_eq!(
        app.count_css("[data-testid=invitation]").await,
        0,
        "not the enrolment screen"
    );
    assert!(data.path().join("cache.sqlite").exists());
    app.screenshot("keychain-locked").await;
    app.assert_accessible("keychain-locked").await;
    app.click("nav-settings").await;
    app.wait_css("[data-testid=health-keychain][data-code=keychain_locked]")
        .await;
    app.screenshot("health-keychain-locked").await;

    // Unlocked (the director typed the password in the keychain's window): the banner goes
    // by itself and the same copy is there.
    keyring.unlock();
    app.click("nav-home").await;
    app.wait_gone("keychain").await;
    assert_eq!(app.wait_text("cached", |t| !t.is_empty()).await, cached);
    app.screenshot("keychain-unlocked").await;
    app.close().await;
}
