//! What the workstation asks for and never keeps, against the real central service over real
//! mutual TLS, with a real Secret Service and a real SQLCipher cache: the audited contact
//! reveal (online only, quota mapped, nothing of it in any file) and the demand figures.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use chrono::{Datelike as _, Duration, Utc};
use placeforte_central::store::Storage as _;
use placeforte_central::{Clock as _, Lifetimes};
use placeforte_desk::cache::VacancyDeclaration;
use placeforte_desk::sync::{flush, sync};
use placeforte_desk::DeskError;
use placeforte_domain::AgeClass;
use placeforte_protocol::checks::RevealNoteError;
use placeforte_protocol::referrals::RevealReason;
use placeforte_protocol::ReferralId;
use placeforte_testkit::{keyring_session, Central, Workstation};

/// An enrolled workstation of a daycare with 8 waiting toddlers, a vacancy declared through
/// the outbox and its referrals synced; and those referrals.
async fn workstation(central: &Central, test: &str) -> (Workstation, Vec<ReferralId>) {
    let ws = central.enrolled_workstation(test, 8).await;
    let cache = ws.data.open(Utc::now()).await.unwrap().cache;
    let declaration = VacancyDeclaration {
        age_class: AgeClass::From18MonthsTo4Years,
        places: 1,
        start_date: central.clock.now().date_naive() + Duration::days(30),
        group_label: None,
    };
    cache.queue_vacancy(declaration, Utc::now()).await.unwrap();
    flush(&ws.device, &cache).await.unwrap();
    sync(&ws.device, &cache, Utc::now(), |_| {}).await.unwrap();
    let referrals = cache
        .referrals()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.referral_id)
        .collect();
    cache.close().await;
    (ws, referrals)
}

/// Every file under `dir`, at any depth.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            files.extend(files_under(&path));
        } else {
            files.push(path);
        }
    }
    files
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_is_shown_online_audited_and_written_nowhere() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let (ws, referrals) = workstation(&central, "reveal").await;
    let referral = referrals[0];
    let events = central.store.audit_entry_count().await.unwrap();
    let contact = ws
        .device
        .reveal_contact(referral, RevealReason::OfferCall, None)
        .await
        .unwrap();
    assert_eq!(contact.referral_id, referral);
    assert!(contact.child_given_name.starts_with("Enfant"));
    assert_eq!(contact.child_family_name, "Synthétique");
    assert_eq!(contact.parent_phone, "555-0100");
    assert_eq!(contact.parent_email, "parent@example.invalid");

    // The service's audit log has the reveal, with the reason.
    let entries = central.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].leaf.action, "contact.revealed");
    assert_eq!(entries[0].leaf.subject, format!("referral:{referral}"));
    assert!(
        entries[0].leaf.reason.contains("offer_call"),
        "{:?}",
        entries[0]
    );

    // The support tool shows them too (and writes them nowhere either).
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_placeforte-desk"))
        .arg("--data-dir")
        .arg(ws.dir.path())
        .args(["--keychain-service", &ws.service])
        .args(["reveal", &referrals[1].to_string(), "--reason", "follow_up"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let printed = String::from_utf8(out.stdout).unwrap();
    assert!(printed.contains("phone: 555-0100"), "{printed}");
    assert!(printed.contains("Synthétique"), "{printed}");
    assert_eq!(central.store.audit_entry_count().await.unwrap(), events + 2);

    // No plaintext: the revealed names, phone and e-mail are in no file of the data folder
    // (cache, its WAL, the device record), once the cache has been opened and closed again.
    ws.data.open(Utc::now()).await.unwrap().cache.close().await;
    let needles = [
        contact.child_given_name.as_str(),
        contact.child_family_name.as_str(),
        contact.parent_given_name.as_str(),
        contact.parent_phone.as_str(),
        contact.parent_email.as_str(),
    ];
    let files = files_under(ws.dir.path());
    assert!(files.iter().any(|f| f.ends_with("cache.sqlite")));
    for path in files {
        let Ok(bytes) = std::fs::read(&path) else {
            continue; // SQLite may remove -wal/-shm between listing and reading
        };
        for needle in needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle:?} in clear in {}",
                path.display()
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reveal_offline_says_it_needs_the_network() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let (ws, referrals) = workstation(&central, "reveal-offline").await;
    let stopped = central.stop().await;
    let err = ws
        .device
        .reveal_contact(referrals[0], RevealReason::OfferCall, None)
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::RevealNeedsNetwork), "{err:?}");
    assert_eq!(err.code(), "reveal_needs_network");
    let message = err.to_string();
    assert!(
        message.contains("only shown online") && message.contains("audited"),
        "{message}"
    );
    // Back online, the same reveal works: nothing was wiped or spoiled by the failure.
    let central = stopped.restart().await;
    ws.device
        .reveal_contact(referrals[0], RevealReason::OfferCall, None)
        .await
        .unwrap();
    drop(central);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reveals_over_the_daily_quota_get_their_own_error_and_a_refused_reveal_is_refused() {
    if !keyring_session() {
        return;
    }
    let central = Central::start_with(Lifetimes {
        reveals_per_device_per_day: 2,
        ..Lifetimes::default()
    })
    .await;
    let (ws, referrals) = workstation(&central, "reveal-quota").await;
    for referral in &referrals[..2] {
        ws.device
            .reveal_contact(*referral, RevealReason::FollowUp, None)
            .await
            .unwrap();
    }
    let events = central.store.audit_entry_count().await.unwrap();
    let err = ws
        .device
        .reveal_contact(referrals[2], RevealReason::FollowUp, None)
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::RevealQuotaExceeded), "{err:?}");
    assert_eq!(err.code(), "reveal_quota_exceeded");
    let entries = central.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].leaf.action, "contact.refused_over_quota");

    // Other refusals stay what they are: `other` without a note is invalid, not a quota
    // (refused here, before it is sent, by the check the service makes).
    let err = ws
        .device
        .reveal_contact(referrals[2], RevealReason::Other, None)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DeskError::InvalidReveal(RevealNoteError::NoteMissing)),
        "{err:?}"
    );
    assert_eq!(err.code(), "invalid_reveal");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_note_with_a_control_character_is_refused_by_the_core_and_the_cli_before_sending() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let (ws, referrals) = workstation(&central, "reveal-control").await;
    let events = central.store.audit_entry_count().await.unwrap();
    let err = ws
        .device
        .reveal_contact(
            referrals[0],
            RevealReason::Other,
            Some("rappel\u{1b}[2J".into()),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            DeskError::InvalidReveal(RevealNoteError::ControlCharacters)
        ),
        "{err:?}"
    );

    let cli = std::process::Command::new(env!("CARGO_BIN_EXE_placeforte-desk"))
        .arg("--data-dir")
        .arg(ws.dir.path())
        .args(["--keychain-service", &ws.service, "reveal"])
        .arg(referrals[0].to_string())
        .args(["--reason", "other", "--note", "rappel\u{7}"])
        .output()
        .unwrap();
    assert!(!cli.status.success());
    let stderr = String::from_utf8_lossy(&cli.stderr);
    assert!(stderr.contains("control characters"), "{stderr}");
    // Nothing reached the service: no reveal, no refusal in its audit log.
    assert_eq!(central.store.audit_entry_count().await.unwrap(), events);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demand_gives_the_daycares_waiting_children_and_needs_the_network() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let (ws, _) = workstation(&central, "demand").await;
    let report = ws.device.demand().await.unwrap();
    let today = central.clock.now().date_naive();
    assert_eq!(report.as_of, today);
    // Eight toddlers whose desired entry is past: one cell, this month, all eight.
    assert_eq!(report.cells.len(), 1, "{report:?}");
    let cell = &report.cells[0];
    assert_eq!(cell.age_class, AgeClass::From18MonthsTo4Years);
    assert_eq!(
        cell.start_month,
        format!("{}-{:02}", today.year(), today.month())
    );
    assert_eq!(cell.children, "8");

    let stopped = central.stop().await;
    let err = ws.device.demand().await.unwrap_err();
    assert!(matches!(err, DeskError::ServerUnreachable(_)), "{err:?}");
    drop(stopped);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_family_revealed_too_often_gets_its_own_error() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let (ws, referrals) = workstation(&central, "reveal-limit").await;
    for _ in 0..3 {
        ws.device
            .reveal_contact(referrals[0], RevealReason::FollowUp, None)
            .await
            .unwrap();
    }
    let err = ws
        .device
        .reveal_contact(referrals[0], RevealReason::FollowUp, None)
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::RevealLimitReached), "{err:?}");
    assert_eq!(err.code(), "reveal_limit_reached");
}
