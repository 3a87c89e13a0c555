//! The app in its real window (Xvfb, WebKitWebDriver through tauri-driver) against a real
//! central service with synthetic data, and the real keychain of the test session.
//! Screenshots: `target/e2e-screenshots/`.
#![allow(clippy::unwrap_used)]

use placeforte_e2e::{window_tests_can_run, AppWindow, Central, Display};

/// Each test has its own keychain entries, so tests and the director's own profile never meet.
fn keychain_service(test: &str) -> String {
    format!("ca.placeforte.e2e.{test}.{}", std::process::id())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_directors_day_enrol_sync_answer_offline_and_revocation() {
    if !window_tests_can_run() {
        return;
    }
    let mut central = Central::start_seeded();
    let daycare = central.a_daycare();
    let invitation = central.invitation(&daycare);
    let data = tempfile::tempdir().unwrap();
    let display = Display::open();
    let mut app = AppWindow::launch(&display, data.path(), &keychain_service("day"), "day").await;

    // First run: enrolment, in French by default, with a clear error for a mangled paste.
    app.fill("invitation", "placeforte:enrol?v=1&daycare=oops")
        .await;
    app.click("enrol").await;
    let error = app.wait_text("error", |t| !t.is_empty()).await;
    assert!(error.contains("invitation PlaceForte"), "{error}");
    app.screenshot("enrol-error").await;
    app.assert_accessible("enrol-error").await;
    app.enrol(&invitation).await;
    assert_eq!(
        central.devices().len(),
        1,
        "the service enrolled one device"
    );

    // Declare vacancies (online), then sync: progress arrives page by page as events.
    app.declare_vacancies(
        &["from_18_months_to_4_years", "four_years", "under_18_months"],
        30,
    )
    .await;
    app.screenshot("vacancies").await;
    app.assert_accessible("vacancies").await;
    let referred: u32 = central
        .query("SELECT count(*) FROM referrals WHERE status = 'open'")
        .trim()
        .parse()
        .unwrap();
    assert!(
        referred > 200,
        "enough referrals for several sync pages: {referred}"
    );
    let pages = app.sync().await;
    assert_eq!(
        app.text("vacancies-declared").await,
        "Déclarations de places faites depuis cet ordinateur : 3"
    );
    assert!(pages >= 2, "progress events for every page: {pages}");
    app.screenshot("home-synced").await;
    app.assert_accessible("home-synced").await;

    // The list shows every seeded referral made to this daycare.
    app.click("nav-referrals").await;
    let count = app.wait_text("list-count", |t| !t.is_empty()).await;
    let total = group_thousands(referred);
    assert_eq!(
        count.replace(['\u{a0}', '\u{202f}'], " "),
        format!("{total} sur {total}")
    );
    assert!(!app.all("referral-row").await.is_empty());
    app.screenshot("referrals").await;
    app.assert_accessible("referrals").await;

    // Contact details: online only, with a reason, shown and audited on the service.
    app.click("referral-row").await;
    app.wait("referral-title").await;
    app.click("reveal").await;
    app.select("reveal-reason", "offer_call").await;
    app.click("reveal-confirm").await;
    let phone = app.wait_text("contact-phone", |t| !t.is_empty()).await;
    assert!(app.text("contact-audited").await.contains("journal"));
    app.screenshot("contact-revealed").await;
    app.assert_accessible("contact-revealed").await;
    assert_eq!(
        central
            .query("SELECT count(*) FROM audit_log WHERE action = 'contact.revealed' AND reason LIKE 'offer_call%'")
            .trim(),
        "1",
        "the reveal is in the service's audit log, with its reason"
    );
    let families: u32 = central
        .query(&format!(
            "SELECT count(*) FROM registrations WHERE parent_phone = '{}'",
            phone.replace('\'', "")
        ))
        .trim()
        .parse()
        .unwrap();
    assert!(families >= 1, "the phone shown is a family's: {phone}");

    // De-identified demand, as a chart.
    app.click("nav-demand").await;
    app.wait("demand-chart").await;
    app.screenshot("demand").await;
    app.assert_accessible("demand").await;

    // Offline: the service stops; contact details are refused, and an answer goes to the
    // outbox and shows as pending.
    central.stop();
    app.click("nav-referrals").await;
    app.click("referral-row").await;
    app.wait("referral-title").await;
    app.wait("reveal").await;
    assert!(
        app.all("contact-phone").await.is_empty(),
        "the details are not kept once the screen is left"
    );
    app.click("reveal").await;
    app.click("reveal-confirm").await;
    let refused = app.wait_text("error", |t| !t.is_empty()).await;
    assert!(refused.contains("qu’en ligne"), "{refused}");
    app.click("outcome-accepted").await;
    app.click("record-outcome").await;
    app.wait("pending-outcome").await;
    app.screenshot("referral-pending").await;
    app.assert_accessible("referral-pending").await;
    app.click("nav-home").await;
    app.click("sync").await;
    let error = app.wait_text("error", |t| !t.is_empty()).await;
    assert!(error.contains("injoignable"), "{error}");
    app.wait_text("network", |t| t.starts_with("Hors ligne"))
        .await;
    assert_eq!(
        app.text("outbox-pending").await,
        "Réponses en attente d’envoi : 1"
    );
    app.screenshot("offline").await;
    app.assert_accessible("offline").await;
    assert_eq!(
        central
            .query("SELECT count(*) FROM outcome_requests")
            .trim(),
        "0"
    );

    // Back online: the next sync sends the answer, once.
    central.serve();
    app.click("sync").await;
    app.wait("sync-done").await;
    assert_eq!(
        app.text("outbox-pending").await,
        "Réponses en attente d’envoi : 0"
    );
    app.click("sync").await;
    app.wait("sync-done").await;
    assert_eq!(
        central
            .query("SELECT count(*) FROM outcome_requests")
            .trim(),
        "1"
    );
    assert_eq!(
        central
            .query("SELECT count(*) FROM referrals WHERE status = 'accepted'")
            .trim(),
        "1"
    );

    // English by a setting.
    app.click("nav-settings").await;
    app.select("language", "en-CA").await;
    app.wait_text("nav-referrals", |t| t == "Referrals").await;
    assert!(app.text("certificate").await.starts_with("Valid until"));
    app.screenshot("settings-english").await;
    app.assert_accessible("settings-english").await;
    app.select("language", "fr-CA").await;
    app.wait_text("nav-referrals", |t| t == "Références").await;

    // Revocation: the next call is refused, the app wipes everything and says so.
    let device = central.devices().remove(0);
    central.run(&["device", "revoke", &device]);
    app.click("nav-home").await;
    app.click("sync").await;
    let wiped = app.wait_text("wiped", |t| !t.is_empty()).await;
    assert!(wiped.contains("révoqué"), "{wiped}");
    app.wait("invitation").await;
    assert!(
        !data.path().join("cache.sqlite").exists(),
        "the cache was wiped"
    );
    assert!(
        !data.path().join("device.json").exists(),
        "the enrolment was forgotten"
    );
    app.screenshot("revoked").await;
    app.assert_accessible("revoked").await;

    // A used code is refused with a message that says what to do.
    app.fill("invitation", &invitation).await;
    app.click("enrol").await;
    let error = app.wait_text("error", |t| !t.is_empty()).await;
    assert!(error.contains("n’est plus valide"), "{error}");
    app.screenshot("used-code").await;
    app.assert_accessible("used-code").await;

    // An expired code is refused in the same words (the service tells an attacker neither
    // apart), and the service neither uses it up nor enrols anything.
    app.fill("invitation", "placeforte:enrol?v=1&daycare=oops")
        .await;
    app.click("enrol").await;
    app.wait_text("error", |t| t.contains("invitation PlaceForte"))
        .await;
    let expired = central.invitation(&daycare);
    central.query("UPDATE enrolment_codes SET expires_at = issued_at WHERE used_at IS NULL");
    app.fill("invitation", &expired).await;
    app.click("enrol").await;
    app.wait_text("error", |t| t.contains("n’est plus valide"))
        .await;
    assert_eq!(
        central
            .query("SELECT count(*) FROM enrolment_codes WHERE used_at IS NULL")
            .trim(),
        "1",
        "the expired code was not used"
    );
    assert_eq!(central.devices().len(), 1, "no device enrolled with it");
    app.screenshot("expired-code").await;
    app.close().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_referrals_count_down_to_their_deadlines_most_urgent_first() {
    if !window_tests_can_run() {
        return;
    }
    let central = Central::start_seeded();
    let daycare = central.a_daycare();
    let invitation = central.invitation(&daycare);
    let data = tempfile::tempdir().unwrap();
    let display = Display::open();
    let mut app = AppWindow::launch(
        &display,
        data.path(),
        &keychain_service("deadlines"),
        "deadlines",
    )
    .await;
    app.enrol(&invitation).await;
    app.declare_vacancies(&["from_18_months_to_4_years"], 3)
        .await;
    // Two offers due sooner than the others: tomorrow and in three days (UTC calendar days;
    // the deadline is midnight in Québec ending that day).
    let today = chrono::Utc::now().date_naive();
    for (days, nth) in [(3, 0), (1, 1)] {
        central.query(&format!(
            "UPDATE referrals SET answer_by = '{}' WHERE id = \
             (SELECT id FROM referrals WHERE status = 'open' ORDER BY id LIMIT 1 OFFSET {nth})",
            today + chrono::Duration::days(days)
        ));
    }
    app.sync().await;

    app.click("nav-referrals").await;
    app.wait("time-left").await;
    let mut left = Vec::new();
    for cell in app.all("time-left").await.into_iter().take(3) {
        left.push(cell.text().await.unwrap());
    }
    let days: Vec<u32> = left
        .iter()
        .map(|text| {
            assert!(text.ends_with(" h restants"), "{text}");
            text.split(" j ").next().unwrap().parse().unwrap()
        })
        .collect();
    assert!(days[0] <= 2 && (3..=4).contains(&days[1]), "{left:?}");
    assert!(days[1] < days[2], "the rest come after: {left:?}");
    app.screenshot("referrals-countdown").await;
    app.assert_accessible("referrals-countdown").await;

    // The most urgent one, opened: its time left and what missing it means, in words.
    app.click("referral-row").await;
    app.wait("referral-title").await;
    assert_eq!(app.text("referral-time-left").await, left[0]);
    let consequence = app.text("deadline-consequence").await;
    assert!(
        consequence.contains("suspendue la première fois et retirée la deuxième"),
        "{consequence}"
    );
    app.close().await;
}

/// A count with thousands grouped by spaces (French uses a no-break space, normalized above).
fn group_thousands(n: u32) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(' ');
        }
        out.push(c);
    }
    out
}
