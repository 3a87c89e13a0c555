//! `placeforte-window-bench`: the app's cold start to the referrals list painted, with 5,000
//! referrals in its encrypted cache (median of 5), and the PSS of its process tree (app and
//! WebKit processes) against a bare Tauri window measured in the same run. Offline, as a
//! director at home in June: the service is stopped after enrolment.
//!
//! Run by `scripts/bench.sh window`, which builds the binaries and starts a throwaway keychain.
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use chrono::Utc;
use placeforte_desk::keychain::OsKeychain;
use placeforte_desk::paths::cache_path;
use placeforte_desk::{device, CacheFile, LocalData, DEFAULT_RETENTION_DAYS};
use placeforte_e2e::memory::tree_pss_kib_by_command;
use placeforte_e2e::{binary, AppWindow, Central, Display};
use placeforte_protocol::referrals::{
    RankExplanation, RankStanding, ReferralPage, ReferralStatus, ReferralSyncItem,
};
use placeforte_protocol::{ReferralId, VacancyId};

const REFERRALS: usize = 5_000;
const RUNS: usize = 5;
/// Time for the window to settle after it painted, before its memory is read.
const SETTLE: Duration = Duration::from_secs(2);
/// Infrastructure, not the app: not counted in the app's memory.
const DRIVERS: &[&str] = &["tauri-driver", "WebKitWebDriver"];

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let mut central = Central::start_seeded();
    let invitation = central.invitation(&central.a_daycare());
    let profile = tempfile::tempdir().unwrap_or_else(|err| panic!("temp dir: {err}"));
    let keychain = format!("ca.placeforte.bench.{}", std::process::id());
    fill_profile(profile.path(), &keychain, &invitation).await;
    central.stop();

    let display = Display::open();
    let env = [
        ("PLACEFORTE_DESK_DATA_DIR", profile.path().as_os_str()),
        (
            "PLACEFORTE_KEYCHAIN_SERVICE",
            std::ffi::OsStr::new(&keychain),
        ),
    ];
    let bare = binary("examples/bare_window");
    let mut starts = Vec::new();
    let (mut app_pss, mut bare_pss, mut differences) = (Vec::new(), Vec::new(), Vec::new());
    let (mut app_parts, mut bare_parts) = (BTreeMap::new(), BTreeMap::new());
    // The app and the bare window take turns, so that whatever else the machine runs (PSS
    // divides shared pages among every process mapping them) weighs on both alike.
    for run in 0..RUNS {
        let started = Instant::now();
        let app =
            AppWindow::launch_binary(&display, &binary("placeforte-app"), &env, "bench").await;
        app.click("nav-referrals").await;
        app.wait("referral-row").await;
        starts.push(started.elapsed());
        tokio::time::sleep(SETTLE).await;
        app_parts = tree_pss_kib_by_command(app.driver_pid(), DRIVERS);
        app.close().await;

        let window = AppWindow::launch_binary(&display, &bare, &[], "bare").await;
        window.wait_css("p").await;
        tokio::time::sleep(SETTLE).await;
        bare_parts = tree_pss_kib_by_command(window.driver_pid(), DRIVERS);
        window.close().await;

        let (app_kib, bare_kib): (u64, u64) = (app_parts.values().sum(), bare_parts.values().sum());
        eprintln!(
            "run {run}: start {:?}, PSS app {} MiB, bare {} MiB",
            starts[run],
            app_kib / 1024,
            bare_kib / 1024
        );
        app_pss.push(app_kib);
        bare_pss.push(bare_kib);
        differences.push(
            i64::try_from(app_kib).unwrap_or(i64::MAX) - i64::try_from(bare_kib).unwrap_or(0),
        );
    }
    let start = median(&mut starts);
    let (app_mib, bare_mib) = (median(&mut app_pss) / 1024, median(&mut bare_pss) / 1024);
    let difference_mib = median(&mut differences) / 1024;
    println!("cold start to the referrals list painted ({REFERRALS} cached referrals, median of {RUNS}): {start:?}");
    println!("  (from the WebDriver session request, tauri-driver already listening; all runs: {starts:?})");
    println!("PSS of the process tree, app with the list shown: {app_mib} MiB (median of {RUNS})");
    println!("PSS of the process tree, bare Tauri window:      {bare_mib} MiB (median of {RUNS})");
    println!(
        "difference, app minus bare window run beside it: {difference_mib} MiB (median of {RUNS})"
    );
    println!("by process, last run (KiB): app {app_parts:?}");
    println!("                             bare {bare_parts:?}");
}

/// Enrols the profile for real, then puts 5,000 synthetic referrals in its encrypted cache.
async fn fill_profile(dir: &std::path::Path, keychain: &str, invitation: &str) {
    let local = LocalData::new(
        OsKeychain::with_service(keychain),
        CacheFile::new(cache_path(dir)),
        chrono::Duration::days(DEFAULT_RETENTION_DAYS),
    );
    let invite = invitation
        .parse()
        .unwrap_or_else(|err| panic!("invitation: {err}"));
    device::enrol(&local, dir, &invite)
        .await
        .unwrap_or_else(|err| panic!("enrol: {err}"));
    let opened = local
        .open(Utc::now())
        .await
        .unwrap_or_else(|err| panic!("cache: {err}"));
    let today = Utc::now().date_naive();
    let vacancy = VacancyId::random();
    let referrals = (0..REFERRALS)
        .map(|i| {
            let days = i64::try_from(i % 700).unwrap_or(0);
            let rank = u32::try_from(i + 1).unwrap_or(u32::MAX);
            ReferralSyncItem {
                referral_id: ReferralId::random(),
                vacancy_id: vacancy,
                status: ReferralStatus::Open,
                answer_by: today + chrono::Duration::days(days % 14),
                label: format!(
                    "Enfant{i} {}.",
                    char::from(b'A' + u8::try_from(i % 26).unwrap_or(0))
                ),
                birth_date: today - chrono::Duration::days(200 + days * 2),
                desired_entry_date: today - chrono::Duration::days(days / 2),
                category: u8::try_from(i % 5 + 1).unwrap_or(5),
                priority: i % 7 == 0,
                sibling_referral_id: None,
                rank_reason: RankExplanation {
                    rank,
                    category_order_rank: rank,
                    days_since_desired_entry: days / 2,
                    standing: RankStanding::Waiting,
                    rule_set: "bench".into(),
                },
            }
        })
        .collect();
    let page = ReferralPage {
        referrals,
        cursor: "bench".into(),
        more: false,
        remaining: 0,
        offline_period_days: 7,
    };
    opened
        .cache
        .apply_referral_page(&page)
        .await
        .unwrap_or_else(|err| panic!("fill: {err}"));
    opened
        .cache
        .record_successful_sync(Utc::now())
        .await
        .unwrap_or_else(|err| panic!("{err}"));
    opened.cache.close().await;
}

fn median<T: Ord + Copy>(values: &mut [T]) -> T {
    values.sort();
    values[values.len() / 2]
}
