//! Personal data leaves the workstation on time, on the real encrypted cache with the caller's
//! clock: a decided referral leaves the rule set's days after its answer-by day (not a day
//! before), an open one stays, one whose answer is still in the outbox stays; the children
//! imported for planning leave when the school year they were imported to plan has ended, and
//! a new import starts its own year.
#![allow(clippy::unwrap_used)]

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_desk::import::preview;
use placeforte_desk::{Cache, CacheFile, CacheKey, CacheRetention};
use placeforte_domain::{OfferOutcome, QUEBEC_2025};
use placeforte_protocol::referrals::{
    RankExplanation, RankStanding, ReferralPage, ReferralStatus, ReferralSyncItem,
};
use placeforte_protocol::{ReferralId, VacancyId};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

/// Noon in Québec on that day.
fn noon(day: NaiveDate) -> DateTime<Utc> {
    day.and_hms_opt(16, 0, 0).unwrap().and_utc()
}

async fn cache(dir: &tempfile::TempDir) -> Cache {
    CacheFile::new(dir.path().join("cache.sqlite"))
        .open(&CacheKey::generate().unwrap())
        .await
        .unwrap()
}

fn referral(status: ReferralStatus, answer_by: NaiveDate) -> ReferralSyncItem {
    ReferralSyncItem {
        referral_id: ReferralId::random(),
        vacancy_id: VacancyId::random(),
        status,
        answer_by,
        label: "Léo T.".into(),
        birth_date: d(2024, 10, 1),
        desired_entry_date: d(2026, 9, 1),
        category: 4,
        priority: false,
        sibling_referral_id: None,
        rank_reason: RankExplanation {
            rank: 1,
            category_order_rank: 1,
            days_since_desired_entry: 10,
            standing: RankStanding::WithinPlaces,
            rule_set: "qc-2025".into(),
        },
    }
}

async fn synced(cache: &Cache, referrals: &[ReferralSyncItem]) {
    let page = ReferralPage {
        referrals: referrals.to_vec(),
        cursor: "c1".into(),
        more: false,
        remaining: 0,
        offline_period_days: 7,
    };
    cache.apply_referral_page(&page).await.unwrap();
}

async fn ids(cache: &Cache) -> Vec<ReferralId> {
    let mut ids: Vec<ReferralId> = cache
        .referrals()
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.referral_id)
        .collect();
    ids.sort_by_key(|id| id.to_string());
    ids
}

#[tokio::test]
async fn a_decided_referral_leaves_after_its_period_and_open_or_unsent_ones_stay() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir).await;
    let answer_by = d(2026, 6, 20);
    let refused = referral(ReferralStatus::Refused, answer_by);
    let accepted = referral(ReferralStatus::Accepted, answer_by);
    let open = referral(ReferralStatus::Open, answer_by);
    // Answered here (still in the outbox), then found expired by the service's clock.
    let unsent = referral(ReferralStatus::Open, answer_by);
    synced(
        &cache,
        &[
            refused.clone(),
            accepted.clone(),
            open.clone(),
            unsent.clone(),
        ],
    )
    .await;
    cache
        .queue_outcome(
            unsent.referral_id,
            OfferOutcome::Accepted,
            noon(d(2026, 6, 19)),
        )
        .await
        .unwrap();
    let mut expired = unsent.clone();
    expired.status = ReferralStatus::NoAnswer;
    synced(&cache, &[expired]).await;

    let days = QUEBEC_2025.retention.desk_decided_referral_days.value;
    let last_day = answer_by + chrono::Duration::days(i64::from(days));
    // The last day of the period: everything stays.
    assert_eq!(
        cache.apply_retention(noon(last_day)).await.unwrap(),
        CacheRetention::default()
    );
    assert_eq!(ids(&cache).await.len(), 4);

    // The next day the two decided referrals leave; the open one and the unsent answer stay.
    let removed = cache
        .apply_retention(noon(last_day.succ_opt().unwrap()))
        .await
        .unwrap();
    assert_eq!(removed.referrals, 2);
    let mut kept = vec![open.referral_id, unsent.referral_id];
    kept.sort_by_key(|id| id.to_string());
    assert_eq!(ids(&cache).await, kept);
    assert_eq!(cache.outbox().await.unwrap().len(), 1, "the answer is kept");
    // A second pass removes nothing more.
    assert_eq!(
        cache
            .apply_retention(noon(last_day + chrono::Duration::days(400)))
            .await
            .unwrap()
            .referrals,
        0
    );
}

const CSV: &str = "Prénom;Nom;Date de naissance;Départ prévu;Groupe\n\
                   Emma;Côté;2024-01-15;;Lutins\n\
                   Noah;Roy;2024-02-15;;Lutins\n";

async fn import(cache: &Cache, on: NaiveDate) {
    let accepted = preview(CSV.as_bytes(), on).unwrap().accept().unwrap();
    cache.replace_enrolled_children(&accepted).await.unwrap();
}

#[tokio::test]
async fn imported_children_leave_when_the_school_year_they_plan_has_ended() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir).await;
    // Imported in June 2026 to plan 2026-2027; the pass of the day notes it.
    import(&cache, d(2026, 6, 1)).await;
    cache.apply_retention(noon(d(2026, 6, 1))).await.unwrap();
    // During that year and on its last day (August 31, 2027), they stay.
    cache.apply_retention(noon(d(2027, 8, 31))).await.unwrap();
    assert_eq!(cache.enrolled_children().await.unwrap().len(), 2);
    // On September 1, 2027 the year has ended: they leave.
    let removed = cache.apply_retention(noon(d(2027, 9, 1))).await.unwrap();
    assert_eq!(removed.enrolled_children, 2);
    assert!(cache.enrolled_children().await.unwrap().is_empty());
}

#[tokio::test]
async fn a_new_import_plans_its_own_year_and_is_not_removed_with_the_old_one() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir).await;
    import(&cache, d(2026, 6, 1)).await;
    cache.apply_retention(noon(d(2026, 6, 1))).await.unwrap();
    // June 2027: next year's list replaces last year's; it plans 2027-2028.
    import(&cache, d(2027, 6, 5)).await;
    cache.apply_retention(noon(d(2027, 6, 5))).await.unwrap();
    let removed = cache.apply_retention(noon(d(2027, 9, 1))).await.unwrap();
    assert_eq!(removed.enrolled_children, 0);
    assert_eq!(cache.enrolled_children().await.unwrap().len(), 2);
    assert_eq!(
        cache
            .apply_retention(noon(d(2028, 9, 1)))
            .await
            .unwrap()
            .enrolled_children,
        2
    );
}
