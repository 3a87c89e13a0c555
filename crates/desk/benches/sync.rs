//! Sync benchmark: a full first sync of 500 and of 5,000 referrals from a local central
//! service (TLS handshake, transfer, SQLCipher writes), a no-change delta sync, and the same
//! page writes into a plain SQLite file for the cost of encryption.
//!
//! `cargo bench -p placeforte-desk --bench sync --features bench-plaintext`
#![allow(clippy::unwrap_used)]

use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, Utc};
use placeforte_central::Clock as _;
use placeforte_desk::device::{self, EnrolledDevice};
use placeforte_desk::sync::sync;
use placeforte_desk::{CacheFile, CacheKey, LocalData};
// The keychain is not on the sync's path (credentials are read once): a memory store keeps
// the benchmark free of a D-Bus session.
use placeforte_domain::AgeClass;
use placeforte_protocol::referrals::{DeclareVacancy, ReferralPage, DEFAULT_SYNC_PAGE};
use placeforte_testkit::{Central, MemoryStore};

fn median(mut samples: Vec<StdDuration>) -> f64 {
    samples.sort();
    samples[samples.len() / 2].as_secs_f64() * 1e3
}

async fn scenario(referrals: u32) {
    let central = Central::start().await;
    let daycare = central.daycare().await;
    central.toddlers_choosing(daycare, referrals as usize).await;
    let dir = tempfile::tempdir().unwrap();
    let data = LocalData::new(
        MemoryStore::default(),
        CacheFile::new(dir.path().join("unused.sqlite")),
        Duration::days(7),
    );
    device::enrol(&data, dir.path(), &central.invite(daycare).await)
        .await
        .unwrap();
    let device = EnrolledDevice::load(&data, dir.path()).unwrap();
    let mut left = referrals;
    while left > 0 {
        let places = (left / 3).clamp(1, 100);
        let declared = device
            .declare_vacancy(&DeclareVacancy {
                idempotency_key: uuid::Uuid::new_v4(),
                age_class: AgeClass::From18MonthsTo4Years,
                places,
                start_date: central.clock.now().date_naive() + Duration::days(30),
                group_label: None,
            })
            .await
            .unwrap();
        left = left.saturating_sub(declared.referrals.max(1));
    }

    let (mut first, mut delta) = (Vec::new(), Vec::new());
    let mut synced = 0;
    for run in 0..5 {
        let cache = CacheFile::new(dir.path().join(format!("first-{run}.sqlite")))
            .open(&CacheKey::generate().unwrap())
            .await
            .unwrap();
        let start = Instant::now();
        synced = sync(&device, &cache, Utc::now(), |_| {})
            .await
            .unwrap()
            .referrals;
        first.push(start.elapsed());
        if run == 0 {
            for _ in 0..20 {
                let start = Instant::now();
                sync(&device, &cache, Utc::now(), |_| {}).await.unwrap();
                delta.push(start.elapsed());
            }
        }
        cache.close().await;
    }

    // The same pages written into an encrypted and a plain cache.
    let mut pages: Vec<ReferralPage> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = device
            .referral_page(cursor.as_deref(), DEFAULT_SYNC_PAGE)
            .await
            .unwrap();
        cursor = Some(page.cursor.clone());
        let more = page.more;
        pages.push(page);
        if !more {
            break;
        }
    }
    let (mut encrypted, mut plain) = (Vec::new(), Vec::new());
    for run in 0..5 {
        let file = CacheFile::new(dir.path().join(format!("enc-{run}.sqlite")));
        let cache = file.open(&CacheKey::generate().unwrap()).await.unwrap();
        let start = Instant::now();
        for page in &pages {
            cache.apply_referral_page(page).await.unwrap();
        }
        encrypted.push(start.elapsed());
        let file = CacheFile::new(dir.path().join(format!("plain-{run}.sqlite")));
        let cache = file.open_plaintext_for_benchmarks().await.unwrap();
        let start = Instant::now();
        for page in &pages {
            cache.apply_referral_page(page).await.unwrap();
        }
        plain.push(start.elapsed());
    }
    let (enc, pla) = (median(encrypted), median(plain));
    println!(
        "{synced} referrals ({} pages of {DEFAULT_SYNC_PAGE}), medians:",
        pages.len()
    );
    println!(
        "  full first sync (TLS, transfer, SQLCipher): {:.1} ms (5 runs)",
        median(first)
    );
    println!(
        "  no-change delta sync:                       {:.1} ms (20 runs)",
        median(delta)
    );
    println!(
        "  page writes, SQLCipher: {enc:.1} ms; plain SQLite: {pla:.1} ms; ratio {:.2}",
        enc / pla
    );
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    for referrals in [500, 5_000] {
        scenario(referrals).await;
    }
}
