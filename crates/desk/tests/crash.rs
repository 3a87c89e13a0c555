//! `kill -9` of the desktop core in the middle of a sync and in the middle of a flush, many
//! times at varying points: the cache always opens (never wiped), the sync resumes and ends
//! with every referral, and every outcome and vacancy declaration is applied exactly once (a
//! second outcome would come back as a `referral_closed` conflict; a second declaration would
//! show in the service's audit log).
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use placeforte_central::store::Storage as _;
use placeforte_central::Clock as _;
use placeforte_desk::cache::{OutboxState, VacancyDeclaration};
use placeforte_desk::device::{self, EnrolledDevice};
use placeforte_domain::{AgeClass, OfferOutcome, RefusalReason};
use placeforte_protocol::referrals::{DeclareVacancy, ReferralStatus};
use placeforte_testkit::{keyring_session, local, own_service, Central};

const KILLS: u64 = 25;

fn desk(dir: &Path, service: &str, args: &[&str]) -> tokio::process::Command {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_placeforte-desk"));
    cmd.arg("--data-dir")
        .arg(dir)
        .args(["--keychain-service", service])
        .args(args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    cmd
}

/// Runs the command and kills it with SIGKILL `delay` after its first line of output, whatever
/// it is doing then.
///
/// Both `sync` and `flush` print their first line once they have read their keys from the
/// keychain and opened the cache, so the kills land in the sync or the flush themselves. A
/// client killed in the middle of a Secret Service `OpenSession` call crashes gnome-keyring
/// 42 (an assertion in `aes_negotiate` on a vanished client), which would take down every
/// other keychain test running beside this one.
async fn kill_after(mut cmd: tokio::process::Command, delay: StdDuration) {
    use tokio::io::AsyncBufReadExt as _;
    let mut child = cmd.stdout(std::process::Stdio::piped()).spawn().unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let _first = lines.next_line().await;
    tokio::time::sleep(delay).await;
    let _ = child.start_kill();
    let _ = child.wait().await;
}

/// Varying kill points from 0 to 60 ms, the same on every run.
fn delay(i: u64) -> StdDuration {
    StdDuration::from_millis(i * 37 % 61)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_during_sync_and_flush_loses_nothing_and_sends_nothing_twice() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    central.toddlers_choosing(daycare, 90).await;
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("crash");
    let data = local(dir.path(), &service);
    device::enrol(&data, dir.path(), &central.invite(daycare).await)
        .await
        .unwrap();
    let declared = EnrolledDevice::load(&data, dir.path())
        .unwrap()
        .declare_vacancy(&DeclareVacancy {
            idempotency_key: uuid::Uuid::new_v4(),
            age_class: AgeClass::From18MonthsTo4Years,
            places: 30,
            start_date: central.clock.now().date_naive() + Duration::days(30),
            group_label: None,
        })
        .await
        .unwrap();
    assert_eq!(declared.referrals, 90);
    data.open(Utc::now()).await.unwrap().cache.close().await;

    // Sync in pages of 3, killed again and again.
    let mut partial_syncs = 0;
    for i in 0..KILLS {
        let sync = desk(dir.path(), &service, &["sync", "--page-size", "3"]);
        kill_after(sync, delay(i)).await;
        let opened = data.open(Utc::now()).await.unwrap();
        assert_eq!(opened.wiped, None, "a kill must never cost the cache");
        let cached = opened.cache.referrals().await.unwrap().len();
        partial_syncs += usize::from(cached > 0 && cached < 90);
        opened.cache.close().await;
    }
    assert!(partial_syncs > 0, "no kill landed in the middle of a sync");
    let finished = desk(dir.path(), &service, &["sync", "--page-size", "3"])
        .status()
        .await
        .unwrap();
    assert!(finished.success());
    let opened = data.open(Utc::now()).await.unwrap();
    assert_eq!(opened.wiped, None, "a kill must never cost the cache");
    let referrals = opened.cache.referrals().await.unwrap();
    assert_eq!(referrals.len(), 90, "every referral, once");

    // Thirty refusals and three vacancy declarations in the outbox, in one order, then
    // flushes killed again and again.
    for (n, r) in referrals[..30].iter().enumerate() {
        if n % 10 == 0 {
            let declaration = VacancyDeclaration {
                age_class: AgeClass::FourYears,
                places: 1,
                start_date: central.clock.now().date_naive() + Duration::days(60),
                group_label: Some(format!("Groupe {n}")),
            };
            opened
                .cache
                .queue_vacancy(declaration, Utc::now())
                .await
                .unwrap();
        }
        let refused = OfferOutcome::Refused {
            reason: RefusalReason::NoLongerNeeded,
        };
        opened
            .cache
            .queue_outcome(r.referral_id, refused, Utc::now())
            .await
            .unwrap();
    }
    opened.cache.close().await;
    let mut partial_flushes = 0;
    for i in 0..KILLS {
        kill_after(desk(dir.path(), &service, &["flush"]), delay(i)).await;
        let opened = data.open(Utc::now()).await.unwrap();
        let pending = opened.cache.pending_outbox().await.unwrap().len();
        partial_flushes += usize::from(pending > 0 && pending < 33);
        opened.cache.close().await;
    }
    assert!(
        partial_flushes > 0,
        "no kill landed in the middle of a flush"
    );
    let finished = desk(dir.path(), &service, &["flush"])
        .status()
        .await
        .unwrap();
    assert!(finished.success());

    let opened = data.open(Utc::now()).await.unwrap();
    assert_eq!(opened.wiped, None);
    let outbox = opened.cache.outbox().await.unwrap();
    assert_eq!(outbox.len(), 30, "nothing lost");
    assert!(
        outbox.iter().all(|e| e.state == OutboxState::Sent),
        "every outcome applied once, none refused as already closed: {outbox:?}"
    );
    let vacancies = opened.cache.vacancies().await.unwrap();
    assert_eq!(vacancies.len(), 3, "nothing lost");
    assert!(vacancies.iter().all(|v| v.state == OutboxState::Sent));
    let mut ids: Vec<_> = vacancies.iter().map(|v| v.vacancy_id.unwrap()).collect();
    ids.dedup();
    assert_eq!(ids.len(), 3);
    opened.cache.close().await;
    // The service declared each once: the first vacancy and these three, no more.
    let count = central.store.audit_entry_count().await.unwrap();
    let declared = central
        .store
        .audit_entries(0, count)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.leaf.action == "vacancy.declared")
        .count();
    assert_eq!(declared, 4, "every declaration applied once");

    // The service agrees: exactly those thirty are refused.
    let fresh = desk(dir.path(), &service, &["sync"])
        .status()
        .await
        .unwrap();
    assert!(fresh.success());
    let opened = data.open(Utc::now()).await.unwrap();
    let refused = opened
        .cache
        .referrals()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.status == ReferralStatus::Refused)
        .count();
    assert_eq!(refused, 30);
}
