//! June group formation on the real encrypted cache: next year's groups and pins saved in the
//! SQLCipher file and read back after reopening, the plan read from the imported children and
//! composed, a move judged by the simulator, and the pins an import or a removed group drops.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use placeforte_desk::import::preview;
use placeforte_desk::planning::{
    GroupListFormat, GroupSetup, GroupSpec, Language, PlanChildKey, PlanInputs,
};
use placeforte_desk::{Cache, CacheFile, CacheKey, DeskError};
use placeforte_domain::{AgeClass, BreachKind, PlacedReason};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

/// Two toddler groups of 8 (one educator each) and a baby group of 5.
fn setup() -> GroupSetup {
    let group = |name: &str, classes: &[AgeClass], capacity| GroupSpec {
        name: name.into(),
        classes: classes.to_vec(),
        capacity,
        educators: 1,
    };
    GroupSetup {
        permit: [5, 16, 0, 0],
        groups: vec![
            group("Poussins", &[AgeClass::Under18Months], 5),
            group("Lutins", &[AgeClass::From18MonthsTo4Years], 8),
            group("Castors", &[AgeClass::From18MonthsTo4Years], 8),
        ],
    }
}

/// Eight toddlers, all in "Lutins" now, and one baby; one toddler leaves before the year.
fn csv() -> String {
    let mut text = String::from("Prénom;Nom;Date de naissance;Départ prévu;Groupe\n");
    for i in 0..8 {
        text.push_str(&format!("Enfant{i};Côté;2024-0{}-15;;Lutins\n", i + 1));
    }
    // Under 18 months all year (18 months on 2027-09-01, after the year ends).
    text.push_str("Bébé;Roy;2026-03-01;;\n");
    text.push_str("Partant;Tremblay;2023-05-01;2026-06-30;Lutins\n");
    text
}

async fn open(file: &CacheFile, key: &CacheKey) -> Cache {
    file.open(key).await.unwrap()
}

async fn imported(cache: &Cache) {
    let accepted = preview(csv().as_bytes(), d(2026, 6, 1))
        .unwrap()
        .accept()
        .unwrap();
    cache.replace_enrolled_children(&accepted).await.unwrap();
}

/// A fresh encrypted cache with the groups saved and the children imported.
async fn planned(dir: &tempfile::TempDir) -> Cache {
    let cache = open(
        &CacheFile::new(dir.path().join("cache.sqlite")),
        &CacheKey::generate().unwrap(),
    )
    .await;
    cache.save_group_setup(&setup()).await.unwrap();
    imported(&cache).await;
    cache
}

#[tokio::test]
async fn groups_and_pins_survive_reopening_the_encrypted_file() {
    let dir = tempfile::tempdir().unwrap();
    let file = CacheFile::new(dir.path().join("cache.sqlite"));
    let key = CacheKey::generate().unwrap();
    let cache = open(&file, &key).await;
    assert_eq!(cache.group_setup().await.unwrap(), GroupSetup::default());
    cache.save_group_setup(&setup()).await.unwrap();
    cache
        .set_pin(&PlanChildKey::Entered(1), Some("Castors"))
        .await
        .unwrap();
    cache.close().await;

    let cache = open(&file, &key).await;
    assert_eq!(cache.group_setup().await.unwrap(), setup());
    assert_eq!(
        cache.pins().await.unwrap(),
        [(PlanChildKey::Entered(1), "Castors".to_owned())]
    );
    // Removing the group drops the pin to it.
    let mut fewer = setup();
    fewer.groups.pop();
    cache.save_group_setup(&fewer).await.unwrap();
    assert_eq!(cache.pins().await.unwrap(), []);
    cache.close().await;
    // The group names are not in the file in clear.
    let raw = std::fs::read(file.path()).unwrap();
    assert!(!raw.windows(8).any(|w| w == b"Poussins"));
}

#[tokio::test]
async fn a_new_import_drops_the_pins_of_the_previous_children() {
    let dir = tempfile::tempdir().unwrap();
    let cache = planned(&dir).await;
    let referred = PlanChildKey::Referred(placeforte_protocol::ReferralId::random());
    cache
        .set_pin(&PlanChildKey::Entered(2), Some("Castors"))
        .await
        .unwrap();
    cache.set_pin(&referred, Some("Castors")).await.unwrap();
    imported(&cache).await;
    assert_eq!(
        cache.pins().await.unwrap(),
        [(referred, "Castors".to_owned())],
        "row ids restart: an old pin would name another child"
    );
}

#[tokio::test]
async fn the_plan_is_composed_from_the_cache_and_a_move_is_judged_before_it_is_made() {
    let dir = tempfile::tempdir().unwrap();
    let cache = open(
        &CacheFile::new(dir.path().join("cache.sqlite")),
        &CacheKey::generate().unwrap(),
    )
    .await;
    assert!(matches!(
        PlanInputs::load(&cache, start()).await,
        Err(DeskError::PlanWithoutGroups)
    ));
    cache.save_group_setup(&setup()).await.unwrap();
    imported(&cache).await;

    let plan = PlanInputs::load(&cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap();
    // Eight toddlers stay together in their current group, the baby goes with the babies,
    // the child who leaves in June is left out of next year.
    let in_group = |g: usize| {
        plan.composition
            .placed
            .iter()
            .filter(|p| p.group == g)
            .count()
    };
    assert_eq!((in_group(0), in_group(1), in_group(2)), (1, 8, 0));
    assert!(plan
        .composition
        .placed
        .iter()
        .filter(|p| p.group == 1)
        .all(|p| p.reason == PlacedReason::CurrentGroup));
    assert_eq!(plan.composition.left_out.len(), 1);
    assert_eq!(
        plan.inputs.labels[plan.composition.left_out[0].child.key()],
        "Partant T."
    );

    // A toddler in the baby group breaks the group's age classes from the first day: the
    // simulator says which rule and from when.
    let toddler = plan
        .composition
        .placed
        .iter()
        .find(|p| p.group == 1)
        .unwrap();
    let key = *toddler.child.key();
    let breaches = plan.check_move(&key, 0).unwrap();
    assert!(
        breaches.iter().any(|b| matches!(
            b.kind,
            BreachKind::GroupAgeClass {
                group: 0,
                class: AgeClass::From18MonthsTo4Years,
                ..
            }
        )),
        "{breaches:?}"
    );
    assert_eq!(breaches[0].from, start());
    // To the other toddler group: nothing breaks.
    assert_eq!(plan.check_move(&key, 2).unwrap(), []);
    assert!(matches!(
        plan.check_move(&PlanChildKey::Entered(999), 2),
        Err(DeskError::UnknownPlanChild)
    ));
    assert!(matches!(
        plan.check_move(&key, 3),
        Err(DeskError::UnknownPlanGroup)
    ));

    // Pinned there, the next composition puts it there and says why.
    cache.set_pin(&key, Some("Castors")).await.unwrap();
    let plan = PlanInputs::load(&cache, start())
        .await
        .unwrap()
        .compose()
        .unwrap();
    let moved = plan
        .composition
        .placed
        .iter()
        .find(|p| p.child.key() == &key)
        .unwrap();
    assert_eq!((moved.group, moved.reason), (2, PlacedReason::Pinned));

    // The lists name the moved child in its new group.
    let text = String::from_utf8(
        plan.export(GroupListFormat::Comma, Language::English)
            .unwrap(),
    )
    .unwrap();
    let label = &plan.inputs.labels[&key];
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("Castors,{label},"))),
        "{text}"
    );
    assert_eq!(text.lines().count(), 1 + 9);
}

#[test]
fn the_year_planned_is_the_one_after_today() {
    use placeforte_desk::planning::next_school_year_start;
    assert_eq!(next_school_year_start(d(2026, 6, 1)), d(2026, 9, 1));
    assert_eq!(next_school_year_start(d(2026, 8, 31)), d(2026, 9, 1));
    assert_eq!(next_school_year_start(d(2026, 9, 1)), d(2027, 9, 1));
    assert_eq!(next_school_year_start(d(2026, 11, 23)), d(2027, 9, 1));
}

#[tokio::test]
async fn places_declared_here_are_not_offered_again() {
    use chrono::{TimeZone, Utc};
    use placeforte_desk::planning::ReviewedVacancy;

    let dir = tempfile::tempdir().unwrap();
    let cache = planned(&dir).await;
    let now = Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap();
    let plan = || async {
        PlanInputs::load(&cache, start())
            .await
            .unwrap()
            .compose()
            .unwrap()
    };
    let toddlers = |plan: &placeforte_desk::planning::Plan| {
        plan.vacancies()
            .into_iter()
            .find(|v| v.class == AgeClass::From18MonthsTo4Years)
            .map(|v| v.places)
    };
    let first = plan().await;
    // Castors is empty: eight toddler places left.
    assert_eq!(toddlers(&first), Some(8));
    let line = ReviewedVacancy {
        age_class: AgeClass::From18MonthsTo4Years,
        start_date: start(),
        places: 3,
        group_label: None,
    };
    first
        .declare(&cache, std::slice::from_ref(&line), now)
        .await
        .unwrap();

    // Reopened later: the three declared places are not offered again, and cannot be.
    let again = plan().await;
    assert_eq!(toddlers(&again), Some(5));
    let too_many = ReviewedVacancy { places: 6, ..line };
    assert!(matches!(
        again.declare(&cache, &[too_many], now).await,
        Err(DeskError::VacancyAbovePlacesLeft { left: 5 })
    ));
    assert_eq!(cache.vacancies().await.unwrap().len(), 1);
}
