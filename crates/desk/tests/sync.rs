//! Delta sync and the offline outbox against the real central service (in-process, real
//! mutual TLS), with a real Secret Service and a real SQLCipher cache: enrol, sync, go offline
//! (the service stops), record outcomes and declare a vacancy, come back, flush — each applied
//! exactly once, in the order made.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, Utc};
use placeforte_central::store::Storage as _;
use placeforte_central::Clock as _;
use placeforte_desk::cache::{OutboxState, VacancyDeclaration};
use placeforte_desk::device::{self, EnrolledDevice};
use placeforte_desk::sync::{flush, sync, sync_with_page_size, SyncProgress};
use placeforte_desk::{Cache, DeskError, LocalData, OsKeychain};
use placeforte_domain::{AgeClass, OfferOutcome, RefusalReason};
use placeforte_protocol::referrals::{DeclareVacancy, ReferralStatus};
use placeforte_testkit::cache::mark_outbox_pending;
use placeforte_testkit::{keyring_session, local, own_service, Central};

struct Workstation {
    _dir: tempfile::TempDir,
    data: LocalData<OsKeychain>,
    device: EnrolledDevice,
    cache: Cache,
}

/// A daycare with 8 waiting toddlers, a toddler vacancy of 2 places, and an enrolled
/// workstation with an open cache.
async fn daycare_with_referrals(central: &Central, test: &str) -> Workstation {
    let daycare = central.daycare().await;
    central.toddlers_choosing(daycare, 8).await;
    let dir = tempfile::tempdir().unwrap();
    let data = local(dir.path(), &own_service(test));
    device::enrol(&data, dir.path(), &central.invite(daycare).await)
        .await
        .unwrap();
    let device = EnrolledDevice::load(&data, dir.path()).unwrap();
    let declared = device
        .declare_vacancy(&DeclareVacancy {
            idempotency_key: uuid::Uuid::new_v4(),
            age_class: AgeClass::From18MonthsTo4Years,
            places: 2,
            start_date: central.clock.now().date_naive() + Duration::days(30),
            group_label: None,
        })
        .await
        .unwrap();
    assert!(declared.referrals >= 2, "{declared:?}");
    let cache = data.open(Utc::now()).await.unwrap().cache;
    Workstation {
        _dir: dir,
        data,
        device,
        cache,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_fills_the_cache_with_the_minimal_fields_and_reports_progress() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = daycare_with_referrals(&central, "sync").await;
    let mut seen = Vec::new();
    let done = sync(&ws.device, &ws.cache, Utc::now(), |p| seen.push(p))
        .await
        .unwrap();
    let cached = ws.cache.referrals().await.unwrap();
    assert!(!cached.is_empty());
    assert_eq!(done.referrals, cached.len() as u64);
    assert_eq!(seen.last(), Some(&done));
    assert!(!done.more);
    assert_eq!(done.total, done.referrals);
    assert!(cached.iter().all(|r| r.status == ReferralStatus::Open));
    assert!(
        cached.iter().all(|r| r.label.ends_with("S.")),
        "label = given name + initial"
    );
    assert!(ws.cache.last_successful_sync().await.unwrap().is_some());
    assert!(ws.cache.sync_cursor().await.unwrap().is_some());

    // No plaintext: no file the app wrote holds a seeded name, birth date or phone number.
    let mut needles: Vec<String> = vec!["Enfant".into(), "Synth".into(), "555-0100".into()];
    needles.extend(cached.iter().map(|r| r.birth_date.to_string()));
    needles.extend(cached.iter().map(|r| r.label.clone()));
    for entry in std::fs::read_dir(ws._dir.path()).unwrap() {
        let path = entry.unwrap().path();
        let Ok(bytes) = std::fs::read(&path) else {
            continue; // SQLite may remove -wal/-shm between listing and reading
        };
        for needle in &needles {
            assert!(
                !bytes.windows(needle.len()).any(|w| w == needle.as_bytes()),
                "{needle:?} in clear in {}",
                path.display()
            );
        }
    }

    // Nothing changed: a second sync brings nothing and keeps the cache as it is.
    let again = sync(&ws.device, &ws.cache, Utc::now(), |_| {})
        .await
        .unwrap();
    assert_eq!(
        again,
        SyncProgress {
            pages: 1,
            referrals: 0,
            total: 0,
            more: false
        }
    );
    assert_eq!(ws.cache.referrals().await.unwrap(), cached);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outcomes_recorded_offline_are_applied_exactly_once_when_back_online() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = daycare_with_referrals(&central, "outbox").await;
    sync(&ws.device, &ws.cache, Utc::now(), |_| {})
        .await
        .unwrap();
    let referrals = ws.cache.referrals().await.unwrap();
    let (first, second) = (referrals[0].referral_id, referrals[1].referral_id);

    // Offline: the service is down. Outcomes go to the outbox and stay pending.
    let stopped = central.stop().await;
    let now = Utc::now();
    let accepted = ws
        .cache
        .queue_outcome(first, OfferOutcome::Accepted, now)
        .await
        .unwrap();
    let refused = OfferOutcome::Refused {
        reason: RefusalReason::NoLongerNeeded,
    };
    let declared = ws
        .cache
        .queue_vacancy(
            VacancyDeclaration {
                age_class: AgeClass::From18MonthsTo4Years,
                places: 1,
                start_date: now.date_naive() + Duration::days(40),
                group_label: Some("Les Hiboux".into()),
            },
            now,
        )
        .await
        .unwrap();
    ws.cache.queue_outcome(second, refused, now).await.unwrap();
    let err = flush(&ws.device, &ws.cache).await.unwrap_err();
    assert!(matches!(err, DeskError::ServerUnreachable(_)), "{err:?}");
    assert_eq!(ws.cache.pending_outbox().await.unwrap().len(), 3);
    let offline = ws.cache.vacancies().await.unwrap();
    assert_eq!(offline.len(), 1);
    assert_eq!(offline[0].state, OutboxState::Pending);
    assert_eq!(offline[0].vacancy_id, None);
    assert!(matches!(
        sync(&ws.device, &ws.cache, now, |_| {}).await,
        Err(DeskError::ServerUnreachable(_))
    ));

    // Back online: all three are sent, in the order they were made, and the referrals'
    // statuses and the declaration's answer follow.
    let central = stopped.restart().await;
    let events = central.store.audit_entry_count().await.unwrap();
    let report = flush(&ws.device, &ws.cache).await.unwrap();
    assert_eq!((report.sent, report.conflicts), (3, 0));
    assert!(ws.cache.pending_outbox().await.unwrap().is_empty());
    let actions: Vec<String> = central
        .store
        .audit_entries(events, 10)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.leaf.action)
        .collect();
    assert_eq!(
        actions,
        [
            "referral.outcome_reported",
            "vacancy.declared",
            "referral.outcome_reported"
        ]
    );
    let online = ws.cache.vacancies().await.unwrap().remove(0);
    assert_eq!(online.state, OutboxState::Sent);
    let vacancy_id = online.vacancy_id.expect("the service's id is kept");
    assert_eq!(
        online.answer_by,
        Some(placeforte_domain::quebec_today(central.clock.now()) + Duration::days(7))
    );
    assert!(online.referrals.is_some());
    assert_eq!(
        online.declaration.group_label.as_deref(),
        Some("Les Hiboux")
    );
    let status_of = |id| {
        let cache = ws.cache.clone();
        async move {
            cache
                .referrals()
                .await
                .unwrap()
                .into_iter()
                .find(|r| r.referral_id == id)
                .unwrap()
                .status
        }
    };
    assert_eq!(status_of(first).await, ReferralStatus::Accepted);
    assert_eq!(status_of(second).await, ReferralStatus::Refused);

    // A crash after the service applied an outcome but before the cache marked it sent:
    // the same key is sent again and answered the same way, with nothing applied twice.
    let before = ws.cache.referrals().await.unwrap().len();
    mark_outbox_pending(&ws.data, accepted.seq).await;
    let replay = flush(&ws.device, &ws.cache).await.unwrap();
    assert_eq!((replay.sent, replay.conflicts), (1, 0));
    sync(&ws.device, &ws.cache, Utc::now(), |_| {})
        .await
        .unwrap();
    let after = ws.cache.referrals().await.unwrap();
    assert_eq!(
        after
            .iter()
            .filter(|r| r.status == ReferralStatus::Accepted)
            .count(),
        1,
        "accepted once"
    );
    assert!(after.len() >= before);

    // The same for a declaration: sent again with its key, declared once, the same answer.
    let events = central.store.audit_entry_count().await.unwrap();
    mark_outbox_pending(&ws.data, declared.seq).await;
    let replay = flush(&ws.device, &ws.cache).await.unwrap();
    assert_eq!((replay.sent, replay.conflicts), (1, 0));
    assert_eq!(central.store.audit_entry_count().await.unwrap(), events);
    assert_eq!(ws.cache.vacancies().await.unwrap(), vec![online]);
    assert_eq!(
        ws.cache.vacancies().await.unwrap()[0].vacancy_id,
        Some(vacancy_id)
    );

    // An outcome for a referral closed meanwhile is kept as a conflict, with the reason.
    ws.cache
        .queue_outcome(first, OfferOutcome::NoAnswerByDeadline, Utc::now())
        .await
        .unwrap();
    let conflict = flush(&ws.device, &ws.cache).await.unwrap();
    assert_eq!((conflict.sent, conflict.conflicts), (0, 1));
    let last = ws.cache.outbox().await.unwrap().pop().unwrap();
    assert_eq!(
        last.state,
        OutboxState::Conflict {
            code: "referral_closed".into()
        }
    );
    drop(central);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_sync_resumes_from_the_last_applied_page() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = daycare_with_referrals(&central, "resume").await;
    // One page of one referral, applied; then the rest by a full sync from that cursor.
    let page = ws.device.referral_page(None, 1).await.unwrap();
    assert_eq!(page.referrals.len(), 1);
    assert!(page.more);
    ws.cache.apply_referral_page(&page).await.unwrap();
    let done = sync(&ws.device, &ws.cache, Utc::now(), |_| {})
        .await
        .unwrap();
    let cached = ws.cache.referrals().await.unwrap();
    assert_eq!(
        done.referrals + 1,
        cached.len() as u64,
        "the first page is not fetched again"
    );
    let _ = central.clock.now();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sync_progress_counts_up_to_a_known_total() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = daycare_with_referrals(&central, "progress").await;
    let mut seen = Vec::new();
    let done = sync_with_page_size(&ws.device, &ws.cache, Utc::now(), 2, |p| seen.push(p))
        .await
        .unwrap();
    let cached = ws.cache.referrals().await.unwrap().len() as u64;
    assert_eq!(seen.len(), 3, "six referrals in pages of two: {seen:?}");
    // The total is known from the first page on, and the count only goes up to it.
    assert!(seen.iter().all(|p| p.total == cached), "{seen:?}");
    assert!(seen
        .windows(2)
        .all(|w| w[0].referrals < w[1].referrals && w[0].pages < w[1].pages));
    assert!(seen
        .iter()
        .all(|p| p.referrals <= p.total && p.more == (p.referrals < p.total)));
    assert_eq!(
        (done.referrals, done.total, done.more),
        (cached, cached, false)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declaration_refused_meanwhile_is_kept_as_a_conflict_and_the_rest_is_sent() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = daycare_with_referrals(&central, "declaration-conflict").await;
    sync(&ws.device, &ws.cache, Utc::now(), |_| {})
        .await
        .unwrap();
    let referral = ws.cache.referrals().await.unwrap()[0].referral_id;
    // Declared offline for today, then an outcome; the service is reached two days later.
    let today = VacancyDeclaration {
        age_class: AgeClass::From18MonthsTo4Years,
        places: 1,
        start_date: Utc::now().date_naive(),
        group_label: None,
    };
    ws.cache.queue_vacancy(today, Utc::now()).await.unwrap();
    ws.cache
        .queue_outcome(referral, OfferOutcome::Accepted, Utc::now())
        .await
        .unwrap();
    central.clock.advance(Duration::days(2));
    let report = flush(&ws.device, &ws.cache).await.unwrap();
    assert_eq!((report.sent, report.conflicts), (1, 1));
    let vacancy = ws.cache.vacancies().await.unwrap().remove(0);
    assert_eq!(
        vacancy.state,
        OutboxState::Conflict {
            code: "invalid_vacancy".into()
        }
    );
    assert_eq!(vacancy.vacancy_id, None);
    assert_eq!(ws.cache.outbox().await.unwrap()[0].state, OutboxState::Sent);
    assert!(ws.cache.pending_outbox().await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_declares_online_at_once_and_offline_through_the_outbox() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = central.enrolled_workstation("cli-vacancy", 8).await;
    let start = (central.clock.now().date_naive() + Duration::days(30)).to_string();
    let desk = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_placeforte-desk"))
            .arg("--data-dir")
            .arg(ws.dir.path())
            .args(["--keychain-service", &ws.service])
            .args(args)
            .output()
            .unwrap()
    };
    let declare = [
        "vacancy",
        "--age-class",
        "from_18_months_to_4_years",
        "--places",
        "1",
        "--start",
        &start,
        "--label",
        "Les Hiboux",
    ];
    let online = desk(&declare);
    let printed = String::from_utf8_lossy(&online.stdout);
    assert!(online.status.success(), "{online:?}");
    assert!(printed.contains("sent 1, conflicts 0"), "{printed}");
    assert!(printed.contains("3 referrals"), "{printed}");

    let stopped = central.stop().await;
    let offline = desk(&declare);
    let printed = String::from_utf8_lossy(&offline.stdout);
    assert!(offline.status.success(), "{offline:?}");
    assert!(printed.contains("offline"), "{printed}");
    assert!(printed.contains(": pending"), "{printed}");
    let refused = desk(&[
        "vacancy",
        "--age-class",
        "teens",
        "--places",
        "1",
        "--start",
        &start,
    ]);
    assert!(!refused.status.success());

    let central = stopped.restart().await;
    let flushed = desk(&["flush"]);
    let printed = String::from_utf8_lossy(&flushed.stdout);
    assert!(printed.contains("sent 1, conflicts 0"), "{printed}");
    let cache = ws.data.open(Utc::now()).await.unwrap().cache;
    let vacancies = cache.vacancies().await.unwrap();
    assert_eq!(vacancies.len(), 2);
    assert!(vacancies.iter().all(|v| v.state == OutboxState::Sent
        && v.declaration.group_label.as_deref() == Some("Les Hiboux")));
    drop(central);
}
