//! Reading referrals on both backends, over real mutual TLS: delta sync, the demand figures
//! and the alert on abnormal sync volume.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::referral_pool::{declare, declare_one, pool, sync, toddlers};
use common::Harness;
use placeforte_central::store::Storage;
use placeforte_protocol::referrals::{
    DemandReport, ReferralPage, ReferralStatus, VacancyDeclared, DEMAND_PATH,
};

on_both_backends!(
    delta_sync_pages_through_the_daycares_referrals_with_the_cache_fields_only,
    bad_sync_queries_are_refused,
    demand_counts_waiting_children_and_suppresses_small_counts,
    reading_the_referrals_again_and_again_raises_one_alert_and_a_first_sync_none,
);

async fn delta_sync_pages_through_the_daycares_referrals_with_the_cache_fields_only<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    let (status, body) = declare(&h, &pool.device, toddlers(today, 4)).await;
    assert_eq!(status, 201, "{body}");
    let declared: VacancyDeclared = serde_json::from_str(&body).unwrap();
    assert_eq!(declared.referrals, 12);
    let events = h.event_count().await;

    let mut cursor = String::new();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut remaining = Vec::new();
    loop {
        let (status, body) = sync(&h, &pool.device, &format!("?limit=5&since={cursor}")).await;
        assert_eq!(status, 200, "{body}");
        for forbidden in [
            "Synthétique",
            "555-0100",
            "parent@",
            "address-",
            "special_needs",
        ] {
            assert!(!body.contains(forbidden), "{forbidden} leaked: {body}");
        }
        let raw: serde_json::Value = serde_json::from_str(&body).unwrap();
        for item in raw["referrals"].as_array().unwrap() {
            let mut keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "answer_by",
                    "birth_date",
                    "category",
                    "desired_entry_date",
                    "label",
                    "priority",
                    "rank_reason",
                    "referral_id",
                    "sibling_referral_id",
                    "status",
                    "vacancy_id",
                ]
            );
        }
        let page: ReferralPage = serde_json::from_value(raw).unwrap();
        sizes.push(page.referrals.len());
        remaining.push(page.remaining);
        assert_eq!(page.more, page.remaining > 0);
        seen.extend(page.referrals.clone());
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(sizes, [5, 5, 2]);
    assert_eq!(remaining, [7, 2, 0], "what waits after each page");
    assert_eq!(seen.len(), 12);
    let ids: Vec<_> = seen.iter().map(|i| i.referral_id).collect();
    for item in &seen {
        assert_eq!(item.vacancy_id, declared.vacancy_id);
        assert_eq!(item.status, ReferralStatus::Open);
        assert!(item.label.ends_with(" S."), "{}", item.label);
        assert!((1..=5).contains(&item.category));
        assert_eq!(item.rank_reason.rule_set, "qc-2025");
        let sibling = item
            .sibling_referral_id
            .expect("every child here has a referred sibling");
        assert!(ids.contains(&sibling) && sibling != item.referral_id);
    }
    let mut ranks: Vec<u32> = seen.iter().map(|i| i.rank_reason.rank).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=12).collect::<Vec<_>>());

    // Three pages of personal data, three audit entries naming exactly what was sent.
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e.leaf.action == "referrals.synced"));
    let audited: Vec<String> = entries
        .iter()
        .flat_map(|e| {
            e.leaf
                .referral_ids
                .split(',')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        audited,
        ids.iter().map(ToString::to_string).collect::<Vec<_>>()
    );

    // Nothing new: an empty page, the same cursor, no audit entry.
    let (status, body) = sync(&h, &pool.device, &format!("?since={cursor}")).await;
    assert_eq!(status, 200, "{body}");
    let page: ReferralPage = serde_json::from_str(&body).unwrap();
    assert!(page.referrals.is_empty() && !page.more && page.remaining == 0);
    assert_eq!(page.cursor, cursor);
    assert_eq!(h.event_count().await, events + 3);

    // Another daycare's device sees none of it.
    let stranger = h.enrolled_device().await;
    let (status, body) = sync(&h, &stranger, "").await;
    assert_eq!(status, 200, "{body}");
    let page: ReferralPage = serde_json::from_str(&body).unwrap();
    assert!(page.referrals.is_empty());
}

async fn bad_sync_queries_are_refused<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let events = h.event_count().await;
    for (query, code) in [
        ("?limit=501", "page_too_large"),
        ("?limit=0", "page_too_large"),
        ("?limit=-1", "malformed_query"),
        ("?limit=ten", "malformed_query"),
        ("?since=garbage", "invalid_cursor"),
        ("?since=1.not-a-uuid", "invalid_cursor"),
        (
            "?since=-1.00000000000000000000000000000000",
            "invalid_cursor",
        ),
        ("?registration_id=x", "malformed_query"),
        ("?name=Tremblay", "malformed_query"),
    ] {
        let (status, body) = sync(&h, &device, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(common::api_error(&body).code, code, "{query}");
    }
    assert_eq!(h.event_count().await, events);
}

async fn demand_counts_waiting_children_and_suppresses_small_counts<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    let response = h
        .device_client(&pool.device)
        .get(h.api_url(DEMAND_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let report: DemandReport = response.json().await.unwrap();
    assert_eq!(report.as_of, today);
    let this_month = today.format("%Y-%m").to_string();
    let cell = |class: &str, month: &str| {
        report
            .cells
            .iter()
            .find(|c| c.age_class.code() == class && c.start_month == month)
            .map(|c| c.children.clone())
    };
    // Twelve toddlers (the honeytoken and the other daycare's child are not counted).
    assert_eq!(
        cell("from_18_months_to_4_years", &this_month).as_deref(),
        Some("12")
    );
    assert_eq!(cell("under_18_months", &this_month).as_deref(), Some("<5"));
    let later = (today + Duration::days(31)).format("%Y-%m").to_string();
    assert_eq!(
        cell("from_18_months_to_4_years", &later).as_deref(),
        Some("<5")
    );
    assert_eq!(report.cells.len(), 3);

    // Another daycare: nothing waits for it.
    let stranger = h.enrolled_device().await;
    let report: DemandReport = h
        .device_client(&stranger)
        .get(h.api_url(DEMAND_PATH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(report.cells.is_empty());
}

/// A first full sync and one resync are ordinary; reading every referral a third time within
/// the hour, as a scraper would, crosses the threshold (relative to the daycare's referrals; the
/// device has no history) and raises one alert. Every page is still answered and audited.
async fn reading_the_referrals_again_and_again_raises_one_alert_and_a_first_sync_none<
    S: Storage,
>(
    h: Harness<S>,
) {
    use placeforte_central::alerts::{daycare_size, sync_volume_threshold};
    let pool = pool(&h).await;
    let declared = declare_one(&h, &pool.device, 4).await;
    let per_sync = i64::from(declared.referrals);
    assert_eq!(per_sync, 12);
    // The harness daycare's permit (55 places) is far above its 12 referrals.
    let threshold = sync_volume_threshold(0, daycare_size(55, per_sync));
    assert_eq!(threshold, 2 * per_sync + 1);
    let events = h.event_count().await;
    let full_sync = || async {
        let (status, body) = sync(&h, &pool.device, "?limit=500").await;
        assert_eq!(status, 200, "{body}");
        let page: ReferralPage = serde_json::from_str(&body).unwrap();
        assert_eq!(page.referrals.len(), 12);
    };
    let crossing = (threshold + per_sync - 1) / per_sync;
    for _ in 1..crossing {
        full_sync().await;
    }
    assert!(
        h.store.alerts().await.unwrap().is_empty(),
        "two full syncs are ordinary"
    );
    full_sync().await;
    full_sync().await;
    let alerts = h.store.alerts().await.unwrap();
    let kinds: Vec<&str> = alerts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["sync_volume_abnormal"], "once, on the crossing");
    assert_eq!(
        alerts[0].device_id,
        pool.device.certificate.device_id.to_string()
    );
    assert!(alerts[0]
        .detail
        .starts_with(&format!("{} referrals", crossing * per_sync)));
    let log = h.store.audit_entries(events, 1_000).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.leaf.action == "referrals.synced")
            .count(),
        usize::try_from(crossing + 1).unwrap(),
        "every page audited, the alerting one too"
    );
    // A new window: the device's history (under one an hour on average) changes nothing; one
    // more full sync is ordinary again.
    h.clock.advance(Duration::hours(2));
    full_sync().await;
    assert_eq!(h.store.alerts().await.unwrap().len(), 1);
    // The other daycare's device, syncing its own (none yet), is not affected.
    let (status, _) = sync(&h, &pool.other_device, "").await;
    assert_eq!(status, 200);
    assert_eq!(h.store.alerts().await.unwrap().len(), 1);
}
