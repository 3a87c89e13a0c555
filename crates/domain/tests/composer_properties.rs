//! Property tests of the group composer on random instances: no breach on any day, never
//! fewer children than a first-fit greedy, the exact optimum on small instances, determinism.
//! The greedy and the exhaustive search here are written independently of the composer, on top
//! of the simulator. Failing cases are saved under `proptest-regressions/` and committed.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Days, NaiveDate};
use common::d;
use placeforte_domain::{
    compose, simulate, AgeClass, AgeClassSet, BirthDate, Capacity, Composition, Entrant,
    EntrantKind, Group, Installation, LeftOutReason, Optimality, Permit, Placement, PlannedChild,
    SiblingWish, QUEBEC_2025,
};
use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

#[derive(Debug, Clone)]
struct Instance {
    installation: Installation,
    entrants: Vec<Entrant<u32>>,
    wishes: Vec<SiblingWish<u32>>,
}

fn installation() -> impl Strategy<Value = Installation> {
    (
        prop::array::uniform4(0u32..7),
        prop::collection::vec((1u8..16, 1u32..9, 1u32..3), 1..4),
    )
        .prop_map(|(places, groups)| {
            let permit = Permit::new(
                [
                    (AgeClass::Under18Months, places[0].into()),
                    (AgeClass::From18MonthsTo4Years, places[1].into()),
                    (AgeClass::FourYears, places[2].into()),
                    (AgeClass::FiveAndOver, places[3].into()),
                ],
                RULES,
            )
            .unwrap();
            let mut left = permit.total();
            let mut built = Vec::new();
            for (i, (mask, capacity, educators)) in groups.into_iter().enumerate() {
                // Only classes the permit has places for; capacity within what is left.
                let classes: Vec<AgeClass> = AgeClass::ALL
                    .into_iter()
                    .filter(|c| mask & (1 << c.index()) != 0 && permit.places(*c).get() > 0)
                    .collect();
                let permitted: u32 = classes.iter().map(|c| permit.places(*c).get()).sum();
                let capacity = capacity.min(permitted).min(left);
                if classes.is_empty() || capacity == 0 {
                    continue;
                }
                left -= capacity;
                built.push(
                    Group::new(
                        format!("g{i}"),
                        AgeClassSet::of(&classes),
                        Capacity::from(capacity),
                        educators,
                    )
                    .unwrap(),
                );
            }
            Installation::new(permit, built, RULES).unwrap()
        })
        .prop_filter("at least one group", |i| !i.groups().is_empty())
}

/// A child born between mid-2021 (5 on September 30) and mid-2026, arriving on the first day
/// or during the year, sometimes leaving during it.
fn child(key: u32) -> impl Strategy<Value = PlannedChild<u32>> {
    (
        0u64..1900,
        prop::option::weighted(0.3, 1u64..300),
        prop::option::weighted(0.2, 1u64..360),
    )
        .prop_map(move |(born, arrives_after, stays)| {
            let birth_day = d(2021, 7, 1) + Days::new(born);
            let birth = BirthDate::new(birth_day, birth_day).unwrap();
            let arrival = (start() + Days::new(arrives_after.unwrap_or(0))).max(birth_day);
            let departure = stays.map(|s| arrival + Days::new(s));
            PlannedChild::new(key, birth, arrival, departure).unwrap()
        })
}

fn instance(max_children: usize) -> impl Strategy<Value = Instance> {
    (installation(), 0..=max_children, any::<u64>())
        .prop_flat_map(|(installation, n, seed)| {
            let groups = installation.groups().len();
            let children: Vec<_> = (0..n as u32).map(child).collect();
            let kinds = prop::collection::vec(
                (
                    any::<bool>(),
                    0..=groups,
                    0u32..1000,
                    prop::option::weighted(0.1, 0..groups),
                ),
                n,
            );
            let wish = prop::option::weighted(
                0.5,
                (0..n.max(1) as u32, 0..n.max(1) as u32, any::<bool>()),
            );
            (Just(installation), children, kinds, wish, Just(seed))
        })
        .prop_map(|(installation, children, kinds, wish, _)| {
            let entrants = children
                .into_iter()
                .zip(kinds)
                .map(|(child, (returning, current, rank, pinned))| Entrant {
                    kind: if returning {
                        EntrantKind::Returning {
                            current_group: (current < installation.groups().len())
                                .then_some(current),
                        }
                    } else {
                        EntrantKind::Referral { rank }
                    },
                    child,
                    pinned,
                })
                .collect();
            let wishes = wish
                .filter(|(a, b, _)| a != b)
                .map(|(a, b, together)| vec![SiblingWish { a, b, together }])
                .unwrap_or_default();
            Instance {
                installation,
                entrants,
                wishes,
            }
        })
}

/// Entrants in the composer's priority order: returning children by key, then referrals by
/// rank and key.
fn priority_order(entrants: &[Entrant<u32>]) -> Vec<Entrant<u32>> {
    let mut order = entrants.to_vec();
    order.sort_by_key(|e| match e.kind {
        EntrantKind::Returning { .. } => (0, 0, *e.child.key()),
        EntrantKind::Referral { rank } => (1, rank, *e.child.key()),
    });
    order
}

fn clear(installation: &Installation, placements: &[Placement<u32>]) -> bool {
    simulate(installation, placements, start())
        .unwrap()
        .is_clear()
}

/// Pins first, in priority order, each into its group if the year stays clear.
fn pinned(instance: &Instance) -> Vec<Placement<u32>> {
    let mut placed = Vec::new();
    for e in priority_order(&instance.entrants) {
        if let Some(group) = e.pinned {
            placed.push(Placement {
                child: e.child.clone(),
                group,
            });
            if !clear(&instance.installation, &placed) || !present(&e.child) {
                placed.pop();
            }
        }
    }
    placed
}

fn present(child: &PlannedChild<u32>) -> bool {
    let end = placeforte_domain::school_year_end(start(), RULES);
    child.arrival() <= end && child.departure().is_none_or(|d| d >= start())
}

/// Each unpinned child, in priority order, into the first group where the year stays clear.
fn first_fit(instance: &Instance) -> usize {
    let mut placed = pinned(instance);
    for e in priority_order(&instance.entrants) {
        if e.pinned.is_some() || !present(&e.child) {
            continue;
        }
        for group in 0..instance.installation.groups().len() {
            placed.push(Placement {
                child: e.child.clone(),
                group,
            });
            if clear(&instance.installation, &placed) {
                break;
            }
            placed.pop();
        }
    }
    placed.len()
}

/// The composer's criteria, bigger is better: children placed, who in priority order,
/// current groups kept, sibling wishes met.
type Criteria = (usize, Vec<bool>, usize, usize);

fn criteria(instance: &Instance, group_of: &dyn Fn(u32) -> Option<usize>) -> Criteria {
    let order = priority_order(&instance.entrants);
    let placed: Vec<bool> = order
        .iter()
        .map(|e| group_of(*e.child.key()).is_some())
        .collect();
    let kept = order
        .iter()
        .filter(|e| match e.kind {
            EntrantKind::Returning {
                current_group: Some(g),
            } => group_of(*e.child.key()) == Some(g),
            _ => false,
        })
        .count();
    let met = instance
        .wishes
        .iter()
        .filter(|w| match (group_of(w.a), group_of(w.b)) {
            (Some(a), Some(b)) => (a == b) == w.together,
            _ => false,
        })
        .count();
    (placed.iter().filter(|&&p| p).count(), placed, kept, met)
}

fn composition_criteria(instance: &Instance, composition: &Composition<u32>) -> Criteria {
    criteria(instance, &|key| {
        composition
            .placed
            .iter()
            .find(|p| *p.child.key() == key)
            .map(|p| p.group)
    })
}

/// Every assignment of the unpinned children (a child left out or in any group), keeping
/// only those whose year is clear; an infeasible partial assignment is not extended (adding
/// children never clears a breach).
fn exhaustive_best(instance: &Instance) -> Criteria {
    let pins = pinned(instance);
    let free: Vec<Entrant<u32>> = priority_order(&instance.entrants)
        .into_iter()
        .filter(|e| e.pinned.is_none() && present(&e.child))
        .collect();
    let groups = instance.installation.groups().len();
    let mut best: Option<Criteria> = None;
    let mut stack = vec![(0usize, pins)];
    while let Some((depth, placed)) = stack.pop() {
        if depth == free.len() {
            let found = criteria(instance, &|key| {
                placed
                    .iter()
                    .find(|p| *p.child.key() == key)
                    .map(|p| p.group)
            });
            if best.as_ref().is_none_or(|b| found > *b) {
                best = Some(found);
            }
            continue;
        }
        stack.push((depth + 1, placed.clone()));
        for group in 0..groups {
            let mut next = placed.clone();
            next.push(Placement {
                child: free[depth].child.clone(),
                group,
            });
            if clear(&instance.installation, &next) {
                stack.push((depth + 1, next));
            }
        }
    }
    best.unwrap()
}

fn config(cases: u32) -> ProptestConfig {
    ProptestConfig {
        cases,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/composer_properties.txt",
        ))),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config(256))]

    #[test]
    fn the_composition_never_breaks_a_rule_on_any_day_and_places_at_least_the_first_fit(
        instance in instance(24),
    ) {
        let composition = compose(&instance.installation, &instance.entrants, &instance.wishes, start()).unwrap();
        let sim = simulate(&instance.installation, &composition.placements(), start()).unwrap();
        prop_assert!(sim.is_clear(), "breaches: {:?}", sim.breaches);
        prop_assert!(composition.placed.len() >= first_fit(&instance));
        prop_assert_eq!(composition.placed.len() + composition.left_out.len(), instance.entrants.len());
        for p in &composition.placed {
            if let Some(g) = instance.entrants.iter().find(|e| e.child.key() == p.child.key()).unwrap().pinned {
                prop_assert_eq!(p.group, g, "a pinned child is in its group or left out");
            }
        }
    }

    #[test]
    fn the_composition_is_the_exhaustive_optimum_on_small_instances(instance in instance(6)) {
        let composition = compose(&instance.installation, &instance.entrants, &instance.wishes, start()).unwrap();
        prop_assert_eq!(composition.optimality, Optimality::Proven);
        prop_assert_eq!(composition_criteria(&instance, &composition), exhaustive_best(&instance));
    }

    #[test]
    fn the_composition_depends_only_on_the_input_not_its_order(
        instance in instance(16),
        seed in any::<u64>(),
    ) {
        let once = compose(&instance.installation, &instance.entrants, &instance.wishes, start()).unwrap();
        let again = compose(&instance.installation, &instance.entrants, &instance.wishes, start()).unwrap();
        prop_assert_eq!(&once, &again);
        let mut shuffled = instance.entrants.clone();
        let mut state = seed | 1;
        for i in (1..shuffled.len()).rev() {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17;
            shuffled.swap(i, (state % (i as u64 + 1)) as usize);
        }
        let reordered = compose(&instance.installation, &shuffled, &instance.wishes, start()).unwrap();
        prop_assert_eq!(&once, &reordered);
    }
}

proptest! {
    #![proptest_config(config(64))]

    #[test]
    fn no_child_left_out_fits_and_no_lower_ranked_child_holds_a_place_a_higher_ranked_one_could_take(
        instance in instance(20),
    ) {
        let composition = compose(&instance.installation, &instance.entrants, &instance.wishes, start()).unwrap();
        let placements = composition.placements();
        let groups = instance.installation.groups().len();
        let is_pinned = |key: &u32| instance.entrants.iter().any(|e| e.child.key() == key && e.pinned.is_some());
        for out in composition.left_out.iter().filter(|o| !is_pinned(o.child.key()) && o.reason != LeftOutReason::NotPresentThisYear) {
            for group in 0..groups {
                let mut with = placements.clone();
                with.push(Placement { child: out.child.clone(), group });
                prop_assert!(!clear(&instance.installation, &with), "{:?} fits in group {}", out.child.key(), group);
            }
            for lower in composition.placed.iter().filter(|p| p.priority > out.priority && !is_pinned(p.child.key())) {
                for group in 0..groups {
                    let mut swapped: Vec<_> = placements.iter().filter(|p| p.child.key() != lower.child.key()).cloned().collect();
                    swapped.push(Placement { child: out.child.clone(), group });
                    prop_assert!(
                        !clear(&instance.installation, &swapped),
                        "{:?} (priority {}) could take the place of {:?} (priority {}) in group {}",
                        out.child.key(), out.priority, lower.child.key(), lower.priority, group
                    );
                }
            }
        }
    }
}

proptest! {
    // Up to 90 children: the exact search is skipped above 40, so this checks the local
    // improvement alone. Fewer cases: the independent greedy simulates the year per trial.
    #![proptest_config(config(24))]

    #[test]
    fn beyond_the_exact_search_the_composition_is_still_clear_and_at_least_the_first_fit(
        instance in instance(90),
    ) {
        let composition = compose(&instance.installation, &instance.entrants, &instance.wishes, start()).unwrap();
        let placements = composition.placements();
        prop_assert!(clear(&instance.installation, &placements));
        prop_assert!(composition.placed.len() >= first_fit(&instance));
        // The local improvement stops only when no child left out fits anywhere.
        for out in composition.left_out.iter().filter(|o| matches!(o.reason, LeftOutReason::NoRoom { .. })) {
            for group in 0..instance.installation.groups().len() {
                let mut with = placements.clone();
                with.push(Placement { child: out.child.clone(), group });
                prop_assert!(!clear(&instance.installation, &with), "{:?} fits in group {}", out.child.key(), group);
            }
        }
    }
}
