//! Accepted referrals in June group formation, on the real encrypted cache: an acceptance
//! recorded here enters the composition at once (even offline, still in the outbox) and
//! leaves it if the service refuses it; "if I accept this child" shows the saved groups over
//! the next 3, 6 and 12 months with and without the child; the director's sibling wishes are
//! kept in the cache and weighed by the composer; a refused move names the child and the
//! threshold.
#![allow(clippy::unwrap_used)]

use chrono::{NaiveDate, Utc};
use placeforte_desk::import::preview;
use placeforte_desk::planning::{
    acceptance_preview, BlockingCode, BreachCode, CauseCode, GroupSetup, GroupSpec, LeftOutCode,
    PlanChildKey, PlanInputs,
};
use placeforte_desk::{Cache, CacheFile, CacheKey, DeskError};
use placeforte_domain::{AgeClass, OfferOutcome, RefusalReason};
use placeforte_protocol::referrals::{
    RankExplanation, RankStanding, ReferralPage, ReferralStatus, ReferralSyncItem,
};
use placeforte_protocol::{ReferralId, VacancyId};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

fn group(name: &str, classes: &[AgeClass], capacity: u32) -> GroupSpec {
    GroupSpec {
        name: name.into(),
        classes: classes.to_vec(),
        capacity,
        educators: 1,
    }
}

/// A baby group and two toddler groups of 8 (one educator each), the permit's baby places
/// and the baby group's as given.
fn setup(baby_places: u32) -> GroupSetup {
    GroupSetup {
        permit: [baby_places, 16, 0, 0],
        groups: vec![
            group("Poussins", &[AgeClass::Under18Months], baby_places),
            group("Lutins", &[AgeClass::From18MonthsTo4Years], 8),
            group("Castors", &[AgeClass::From18MonthsTo4Years], 8),
        ],
    }
}

/// Eight toddlers in "Lutins" now (it is full) and one baby.
fn csv() -> String {
    let mut text = String::from("Prénom;Nom;Date de naissance;Départ prévu;Groupe\n");
    for i in 0..8 {
        text.push_str(&format!("Enfant{i};Côté;2024-0{}-15;;Lutins\n", i + 1));
    }
    text.push_str("Bébé;Roy;2026-03-01;;\n");
    text
}

async fn import(cache: &Cache, csv: &str) {
    let accepted = preview(csv.as_bytes(), d(2026, 6, 1))
        .unwrap()
        .accept()
        .unwrap();
    cache.replace_enrolled_children(&accepted).await.unwrap();
}

async fn cache(dir: &tempfile::TempDir, setup: Option<GroupSetup>) -> Cache {
    let cache = CacheFile::new(dir.path().join("cache.sqlite"))
        .open(&CacheKey::generate().unwrap())
        .await
        .unwrap();
    if let Some(setup) = setup {
        cache.save_group_setup(&setup).await.unwrap();
    }
    import(&cache, &csv()).await;
    cache
}

fn referral(label: &str, birth: NaiveDate, entry: NaiveDate, rank: u32) -> ReferralSyncItem {
    ReferralSyncItem {
        referral_id: ReferralId::random(),
        vacancy_id: VacancyId::random(),
        status: ReferralStatus::Open,
        answer_by: d(2026, 6, 20),
        label: label.into(),
        birth_date: birth,
        desired_entry_date: entry,
        category: 4,
        priority: false,
        sibling_referral_id: None,
        rank_reason: RankExplanation {
            rank,
            category_order_rank: rank,
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

async fn plan_keys(cache: &Cache) -> Vec<PlanChildKey> {
    let plan = PlanInputs::load(cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap();
    plan.composition
        .placed
        .iter()
        .map(|p| *p.child.key())
        .collect()
}

#[tokio::test]
async fn an_acceptance_recorded_here_is_composed_at_once_and_leaves_if_the_service_refuses_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir, Some(setup(5))).await;
    let toddler = referral("Léo T.", d(2024, 10, 1), start(), 1);
    let refused = referral("Zoé R.", d(2024, 11, 1), start(), 2);
    let open = referral("Noah C.", d(2024, 12, 1), start(), 3);
    synced(&cache, &[toddler.clone(), refused.clone(), open.clone()]).await;
    let key = |r: &ReferralSyncItem| PlanChildKey::Referred(r.referral_id);
    assert!(!plan_keys(&cache).await.contains(&key(&toddler)));

    // Offline: the acceptance waits in the outbox, and the composer places the child already.
    let entry = cache
        .queue_outcome(toddler.referral_id, OfferOutcome::Accepted, Utc::now())
        .await
        .unwrap();
    cache
        .queue_outcome(
            refused.referral_id,
            OfferOutcome::Refused {
                reason: RefusalReason::AcceptedElsewhere,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    let plan = PlanInputs::load(&cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap();
    let placed = plan
        .composition
        .placed
        .iter()
        .find(|p| p.child.key() == &key(&toddler))
        .expect("the accepted child is composed");
    // "Lutins" is full with its returning children: the new child goes to "Castors".
    assert_eq!(placed.group, 2);
    let view = plan.view();
    let castors = &view.groups[2];
    assert!(castors
        .children
        .iter()
        .any(|c| c.label == "Léo T." && c.referral));
    // A refusal or no answer yet: not in the plan.
    assert!(!plan.inputs.has_child(&key(&refused)));
    assert!(!plan.inputs.has_child(&key(&open)));

    // The service refuses the acceptance (the offer expired): the child leaves the plan.
    cache
        .mark_conflict(entry.seq, "offer_expired")
        .await
        .unwrap();
    assert!(!plan_keys(&cache).await.contains(&key(&toddler)));

    // Acknowledged by the service, it is there for good.
    let entry = cache
        .queue_outcome(toddler.referral_id, OfferOutcome::Accepted, Utc::now())
        .await
        .unwrap();
    cache
        .mark_sent(entry.seq, ReferralStatus::Accepted)
        .await
        .unwrap();
    assert!(plan_keys(&cache).await.contains(&key(&toddler)));
}

#[tokio::test]
async fn the_preview_shows_the_group_and_the_next_3_6_and_12_months_with_and_without_the_child() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir, Some(setup(5))).await;
    let toddler = referral("Léo T.", d(2024, 10, 1), start(), 1);
    synced(&cache, std::slice::from_ref(&toddler)).await;

    let preview = acceptance_preview(&cache, toddler.referral_id, start())
        .await
        .unwrap();
    assert_eq!(preview.label, "Léo T.");
    assert_eq!(preview.arrival, start());
    assert_eq!(preview.group.as_deref(), Some("Castors"));
    assert_eq!(preview.left_out, None);
    assert!(preview.displaced.is_empty());
    let months: Vec<u32> = preview.horizons.iter().map(|h| h.months).collect();
    assert_eq!(months, [3, 6, 12]);
    let ends: Vec<(NaiveDate, bool)> = preview.horizons.iter().map(|h| (h.to, h.clipped)).collect();
    assert_eq!(
        ends,
        [
            (d(2026, 11, 30), false),
            (d(2027, 2, 28), false),
            (d(2027, 8, 31), false)
        ]
    );
    for horizon in &preview.horizons {
        let by_name = |name: &str| horizon.groups.iter().find(|g| g.name == name).unwrap();
        assert_eq!(
            (
                by_name("Lutins").without.children,
                by_name("Lutins").with.children
            ),
            (8, 8)
        );
        assert_eq!(
            (
                by_name("Castors").without.children,
                by_name("Castors").with.children
            ),
            (0, 1)
        );
        assert_eq!(by_name("Castors").with.educators_needed, 1);
        let toddlers = horizon
            .classes
            .iter()
            .find(|c| c.class == AgeClass::From18MonthsTo4Years)
            .unwrap();
        assert_eq!(
            (toddlers.places, toddlers.without, toddlers.with),
            (16, 8, 9)
        );
        assert!(horizon.breaches.is_empty());
    }
    // Nothing was recorded: the child is still not in the plan.
    assert!(!plan_keys(&cache)
        .await
        .contains(&PlanChildKey::Referred(toddler.referral_id)));

    // A child who comes in January: the months start on its day and the year ends in August.
    let later = referral("Ana P.", d(2024, 10, 1), d(2027, 1, 15), 2);
    synced(&cache, std::slice::from_ref(&later)).await;
    let preview = acceptance_preview(&cache, later.referral_id, start())
        .await
        .unwrap();
    assert_eq!(preview.arrival, d(2027, 1, 15));
    let first = &preview.horizons[0];
    assert_eq!(
        (first.from, first.to, first.clipped),
        (d(2027, 1, 15), d(2027, 4, 14), false)
    );
    let year = &preview.horizons[2];
    assert_eq!((year.to, year.clipped), (d(2027, 8, 31), true));
}

#[tokio::test]
async fn the_preview_says_which_group_would_break_which_rule_on_which_day() {
    let dir = tempfile::tempdir().unwrap();
    // One baby place, taken by the returning baby.
    let cache = cache(&dir, Some(setup(1))).await;
    let baby = referral("Mia L.", d(2026, 5, 1), d(2026, 10, 1), 1);
    synced(&cache, std::slice::from_ref(&baby)).await;
    let preview = acceptance_preview(&cache, baby.referral_id, start())
        .await
        .unwrap();
    assert_eq!(preview.group, None);
    let left_out = preview.left_out.expect("left out");
    assert_eq!(left_out.reason, LeftOutCode::NoRoom);
    assert_eq!(left_out.blocked.len(), 1);
    let blocked = &left_out.blocked[0];
    assert_eq!(
        (blocked.group.as_str(), blocked.on, blocked.rule),
        ("Poussins", d(2026, 10, 1), BlockingCode::GroupCapacity)
    );
    let babies = preview.horizons[0]
        .classes
        .iter()
        .find(|c| c.class == AgeClass::Under18Months)
        .unwrap();
    assert_eq!((babies.places, babies.without, babies.with), (1, 1, 1));
}

#[tokio::test]
async fn the_preview_is_refused_without_saved_groups_or_for_a_referral_not_in_the_cache() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir, None).await;
    let toddler = referral("Léo T.", d(2024, 10, 1), start(), 1);
    synced(&cache, std::slice::from_ref(&toddler)).await;
    assert!(matches!(
        acceptance_preview(&cache, toddler.referral_id, start()).await,
        Err(DeskError::PlanWithoutGroups)
    ));
    cache.save_group_setup(&setup(5)).await.unwrap();
    assert!(matches!(
        acceptance_preview(&cache, ReferralId::random(), start()).await,
        Err(DeskError::UnknownPlanChild)
    ));
}

#[tokio::test]
async fn sibling_wishes_are_kept_in_the_cache_and_weighed_by_the_composer() {
    let dir = tempfile::tempdir().unwrap();
    let file = CacheFile::new(dir.path().join("cache.sqlite"));
    let key = CacheKey::generate().unwrap();
    let cache = file.open(&key).await.unwrap();
    cache
        .save_group_setup(&GroupSetup {
            permit: [0, 16, 0, 0],
            groups: vec![
                group("Lutins", &[AgeClass::From18MonthsTo4Years], 8),
                group("Castors", &[AgeClass::From18MonthsTo4Years], 8),
            ],
        })
        .await
        .unwrap();
    // Two toddlers with no current group: first fit puts both in "Lutins".
    import(
        &cache,
        "Prénom;Nom;Date de naissance;Départ prévu;Groupe\nAlice;Roy;2024-02-01;;\nBruno;Roy;2024-03-01;;\n",
    )
    .await;
    let (a, b) = (PlanChildKey::Entered(1), PlanChildKey::Entered(2));
    let groups = |view: &placeforte_desk::planning::PlanView| {
        let group_of = |k: PlanChildKey| {
            view.groups
                .iter()
                .position(|g| g.children.iter().any(|c| c.key == k))
                .unwrap()
        };
        (group_of(a), group_of(b))
    };
    let composed = |cache: &Cache| {
        let cache = cache.clone();
        async move {
            PlanInputs::load(&cache, start())
                .await
                .unwrap()
                .compose()
                .unwrap()
                .view()
        }
    };
    let view = composed(&cache).await;
    assert_eq!(groups(&view), (0, 0));
    assert!(view.siblings.is_empty());

    // Apart, set with the keys in either order: one wish, met.
    cache.set_sibling_wish(&b, &a, Some(false)).await.unwrap();
    cache.close().await;
    let cache = file.open(&key).await.unwrap();
    assert_eq!(cache.sibling_wishes().await.unwrap().len(), 1);
    let view = composed(&cache).await;
    let (ga, gb) = groups(&view);
    assert_ne!(ga, gb);
    assert_eq!(view.siblings.len(), 1);
    let wish = &view.siblings[0];
    assert_eq!(
        (wish.a, wish.a_label.as_str(), wish.b, wish.b_label.as_str()),
        (a, "Alice R.", b, "Bruno R.")
    );
    assert!(!wish.together && wish.met);

    // Together again, then no wish.
    cache.set_sibling_wish(&a, &b, Some(true)).await.unwrap();
    let view = composed(&cache).await;
    assert_eq!(groups(&view).0, groups(&view).1);
    assert!(view.siblings[0].together && view.siblings[0].met);
    cache.set_sibling_wish(&a, &b, None).await.unwrap();
    assert!(cache.sibling_wishes().await.unwrap().is_empty());

    // A new import drops the wishes naming its rows (they would name other children), not a
    // referral's.
    let referred = PlanChildKey::Referred(ReferralId::random());
    let other = PlanChildKey::Referred(ReferralId::random());
    cache.set_sibling_wish(&a, &b, Some(true)).await.unwrap();
    cache
        .set_sibling_wish(&referred, &other, Some(true))
        .await
        .unwrap();
    import(&cache, &csv()).await;
    let kept = cache.sibling_wishes().await.unwrap();
    assert_eq!(kept.len(), 1);
    assert!(kept[0].a.is_referral() && kept[0].b.is_referral());
}

#[tokio::test]
async fn a_refused_move_names_the_child_moved_and_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir, Some(setup(5))).await;
    let plan = PlanInputs::load(&cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap();
    let baby = plan
        .composition
        .placed
        .iter()
        .find(|p| p.group == 0)
        .map(|p| *p.child.key())
        .unwrap();
    // The baby into full "Lutins": a ninth child for eight places, and a toddler group's age
    // classes.
    let breaches = plan.check_move_view(&baby, 1).unwrap();
    let capacity = breaches
        .iter()
        .find(|b| b.code == BreachCode::GroupCapacity)
        .expect("capacity");
    assert_eq!(capacity.group.as_deref(), Some("Lutins"));
    assert_eq!((capacity.found, capacity.allowed), (9, 8));
    assert_eq!(capacity.causes[0].code, CauseCode::Moved);
    assert_eq!(capacity.causes[0].label, "Bébé R.");
    assert_eq!(capacity.causes[0].key, baby);
    assert!(breaches
        .iter()
        .all(|b| b.causes.first().map(|c| c.key) == Some(baby)));
}

#[tokio::test]
async fn a_refused_pin_names_the_child_and_the_threshold() {
    let dir = tempfile::tempdir().unwrap();
    let cache = cache(&dir, Some(setup(5))).await;
    let plan = PlanInputs::load(&cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap();
    let baby = plan
        .composition
        .placed
        .iter()
        .find(|p| p.group == 0)
        .map(|p| *p.child.key())
        .unwrap();
    // Pinned to full "Lutins", the baby is left out, and the plan says what the pin breaks.
    cache.set_pin(&baby, Some("Lutins")).await.unwrap();
    let view = PlanInputs::load(&cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap()
        .view();
    let left = view.left_out.iter().find(|l| l.key == baby).unwrap();
    assert_eq!(left.reason, LeftOutCode::PinnedGroupCannotTakeIt);
    let capacity = left
        .breaches
        .iter()
        .find(|b| b.code == BreachCode::GroupCapacity)
        .expect("capacity");
    assert_eq!(
        (capacity.group.as_deref(), capacity.found, capacity.allowed),
        (Some("Lutins"), 9, 8)
    );
    assert_eq!(
        (capacity.causes[0].code, capacity.causes[0].label.as_str()),
        (CauseCode::Moved, "Bébé R.")
    );
    // A child left out for want of room has no pin to judge.
    assert!(view
        .left_out
        .iter()
        .filter(|l| l.reason != LeftOutCode::PinnedGroupCannotTakeIt)
        .all(|l| l.breaches.is_empty()));
}
