//! Worked examples of the group composer: the order of its criteria, pins, current groups,
//! siblings, and the reason given for every child.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use chrono::NaiveDate;
use common::d;
use placeforte_domain::{
    compose, first_fit_greedy, simulate, vacancies, AgeClass, AgeClassSet, BirthDate, Blocked,
    BlockingRule, Capacity, Entrant, EntrantKind, Group, Installation, LeftOutReason, Optimality,
    Permit, PlacedReason, PlanError, PlannedChild, SiblingWish, Vacancy, QUEBEC_2025,
};

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;
use AgeClass::{FiveAndOver, FourYears, From18MonthsTo4Years as Toddler, Under18Months as Baby};

fn start() -> NaiveDate {
    d(2026, 9, 1)
}

fn installation(places: [u32; 4], groups: &[(&[AgeClass], u32, u32)]) -> Installation {
    let permit = Permit::new(
        [
            (Baby, places[0].into()),
            (Toddler, places[1].into()),
            (FourYears, places[2].into()),
            (FiveAndOver, places[3].into()),
        ],
        RULES,
    )
    .unwrap();
    let groups = groups
        .iter()
        .enumerate()
        .map(|(i, &(classes, capacity, educators))| {
            Group::new(
                format!("G{i}"),
                AgeClassSet::of(classes),
                Capacity::from(capacity),
                educators,
            )
            .unwrap()
        })
        .collect();
    Installation::new(permit, groups, RULES).unwrap()
}

fn planned(
    key: &str,
    birth: NaiveDate,
    arrival: NaiveDate,
    departure: Option<NaiveDate>,
) -> PlannedChild<String> {
    PlannedChild::new(
        key.to_owned(),
        BirthDate::new(birth, birth).unwrap(),
        arrival,
        departure,
    )
    .unwrap()
}

/// A toddler all year (born 2024-06-01), referred at `rank`.
fn toddler(key: &str, rank: u32) -> Entrant<String> {
    Entrant {
        child: planned(key, d(2024, 6, 1), start(), None),
        kind: EntrantKind::Referral { rank },
        pinned: None,
    }
}

fn returning(key: &str, current_group: Option<usize>) -> Entrant<String> {
    Entrant {
        kind: EntrantKind::Returning { current_group },
        ..toddler(key, 0)
    }
}

fn group_of(composition: &placeforte_domain::Composition<String>, key: &str) -> Option<usize> {
    composition
        .placed
        .iter()
        .find(|p| p.child.key() == key)
        .map(|p| p.group)
}

#[test]
fn the_higher_ranked_referral_gets_the_last_place_and_the_other_is_told_why_not() {
    let place = installation([0, 1, 0, 0], &[(&[Toddler], 1, 1)]);
    let composition = compose(
        &place,
        &[toddler("second", 2), toddler("first", 1)],
        &[],
        start(),
    )
    .unwrap();
    assert_eq!(composition.optimality, Optimality::Proven);
    assert_eq!(group_of(&composition, "first"), Some(0));
    assert_eq!(composition.placed[0].priority, 1);
    assert_eq!(composition.placed[0].reason, PlacedReason::RoomInGroup);
    let out = &composition.left_out[0];
    assert_eq!((out.child.key().as_str(), out.priority), ("second", 2));
    assert_eq!(
        out.reason,
        LeftOutReason::NoRoom {
            blocked: vec![Blocked {
                group: 0,
                on: start(),
                rule: BlockingRule::GroupCapacity
            }]
        }
    );
    let json = serde_json::to_value(&out.reason).unwrap();
    assert_eq!(json["kind"], "no_room");
    assert_eq!(json["blocked"][0]["rule"]["kind"], "group_capacity");
    assert_eq!(out.reason.code(), "no_room");
}

#[test]
fn returning_children_come_before_referrals() {
    let place = installation([0, 1, 0, 0], &[(&[Toddler], 1, 1)]);
    let composition = compose(
        &place,
        &[toddler("referral", 1), returning("returning", None)],
        &[],
        start(),
    )
    .unwrap();
    assert_eq!(group_of(&composition, "returning"), Some(0));
    assert_eq!(composition.left_out[0].child.key(), "referral");
}

#[test]
fn placing_more_children_comes_before_the_referral_order() {
    // One place. The first-ranked child stays all year; the two others share the place, one
    // until December, the other from January.
    let place = installation([0, 1, 0, 0], &[(&[Toddler], 1, 1)]);
    let autumn = Entrant {
        child: planned("autumn", d(2024, 6, 1), start(), Some(d(2026, 12, 31))),
        ..toddler("", 2)
    };
    let winter = Entrant {
        child: planned("winter", d(2024, 6, 1), d(2027, 1, 1), None),
        ..toddler("", 3)
    };
    let entrants = [toddler("all-year", 1), autumn, winter];
    let composition = compose(&place, &entrants, &[], start()).unwrap();
    assert_eq!(composition.placed.len(), 2);
    assert_eq!(group_of(&composition, "all-year"), None);
    // The first-fit greedy keeps the first-ranked child and places one.
    assert_eq!(
        first_fit_greedy(&place, &entrants, start()).unwrap().len(),
        1
    );
    let out = &composition.left_out[0];
    assert_eq!(
        out.reason,
        LeftOutReason::NoRoom {
            blocked: vec![Blocked {
                group: 0,
                on: start(),
                rule: BlockingRule::GroupCapacity
            }]
        }
    );
}

#[test]
fn a_child_is_moved_to_another_group_to_make_room() {
    // G0 takes babies and toddlers, G1 only toddlers, one place each. In priority order a
    // toddler would take G0 first and leave the baby out; the composer places both.
    let place = installation(
        [1, 1, 0, 0],
        &[(&[Baby, Toddler], 1, 1), (&[Toddler], 1, 1)],
    );
    let baby = Entrant {
        child: planned("baby", d(2026, 5, 1), start(), None),
        ..toddler("", 2)
    };
    let entrants = [toddler("toddler", 1), baby];
    let composition = compose(&place, &entrants, &[], start()).unwrap();
    assert_eq!(group_of(&composition, "baby"), Some(0));
    assert_eq!(group_of(&composition, "toddler"), Some(1));
    assert_eq!(
        first_fit_greedy(&place, &entrants, start()).unwrap().len(),
        1
    );
}

#[test]
fn a_returning_child_stays_in_its_current_group_when_it_fits() {
    let place = installation([0, 4, 0, 0], &[(&[Toddler], 2, 1), (&[Toddler], 2, 1)]);
    let composition = compose(
        &place,
        &[returning("stays", Some(1)), toddler("new", 1)],
        &[],
        start(),
    )
    .unwrap();
    let stays = composition
        .placed
        .iter()
        .find(|p| p.child.key() == "stays")
        .unwrap();
    assert_eq!((stays.group, stays.reason), (1, PlacedReason::CurrentGroup));
}

#[test]
fn siblings_are_placed_together_or_apart_as_the_director_chose() {
    let place = installation([0, 4, 0, 0], &[(&[Toddler], 2, 1), (&[Toddler], 2, 1)]);
    let entrants = [
        toddler("a", 1),
        toddler("b", 2),
        toddler("x", 3),
        toddler("y", 4),
    ];
    let wishes = [
        SiblingWish {
            a: "a".to_owned(),
            b: "x".to_owned(),
            together: true,
        },
        SiblingWish {
            a: "b".to_owned(),
            b: "y".to_owned(),
            together: true,
        },
    ];
    let together = compose(&place, &entrants, &wishes, start()).unwrap();
    assert_eq!(group_of(&together, "a"), group_of(&together, "x"));
    assert_eq!(group_of(&together, "b"), group_of(&together, "y"));
    assert!(together
        .placed
        .iter()
        .all(|p| p.reason == PlacedReason::SiblingTogether));

    let apart = [SiblingWish {
        a: "a".to_owned(),
        b: "b".to_owned(),
        together: false,
    }];
    let composition = compose(&place, &entrants, &apart, start()).unwrap();
    assert_ne!(group_of(&composition, "a"), group_of(&composition, "b"));
    let a = composition
        .placed
        .iter()
        .find(|p| p.child.key() == "a")
        .unwrap();
    assert_eq!(a.reason, PlacedReason::SiblingApart);
}

#[test]
fn a_pinned_child_goes_to_its_group_first_or_is_told_why_not() {
    let place = installation(
        [1, 2, 0, 0],
        &[(&[Baby, Toddler], 1, 1), (&[Toddler], 2, 1)],
    );
    // Pinned, the lower-ranked child takes G0's only place before the first-ranked one.
    let mut pinned = toddler("pinned", 5);
    pinned.pinned = Some(0);
    let composition =
        compose(&place, &[toddler("first", 1), pinned.clone()], &[], start()).unwrap();
    let p = composition
        .placed
        .iter()
        .find(|p| p.child.key() == "pinned")
        .unwrap();
    assert_eq!((p.group, p.reason), (0, PlacedReason::Pinned));
    assert_eq!(group_of(&composition, "first"), Some(1));

    // A baby pinned to the toddlers' group cannot be there.
    let mut baby = Entrant {
        child: planned("baby", d(2026, 5, 1), start(), None),
        ..toddler("", 1)
    };
    baby.pinned = Some(1);
    let composition = compose(&place, &[baby], &[], start()).unwrap();
    assert_eq!(
        composition.left_out[0].reason,
        LeftOutReason::PinnedGroupCannotTakeIt {
            blocked: Blocked {
                group: 1,
                on: start(),
                rule: BlockingRule::GroupAgeClass
            }
        }
    );
    // Two pins on a one-place group: the first in priority order gets it.
    let mut other = toddler("other", 1);
    other.pinned = Some(0);
    let composition = compose(&place, &[pinned, other], &[], start()).unwrap();
    assert_eq!(group_of(&composition, "other"), Some(0));
    assert_eq!(
        composition.left_out[0].reason.code(),
        "pinned_group_cannot_take_it"
    );
}

#[test]
fn children_no_group_can_hold_or_not_there_this_year_are_told_so() {
    let place = installation([0, 2, 0, 1], &[(&[Toddler], 2, 1), (&[FiveAndOver], 1, 1)]);
    // Born 2025-04-01: a baby on arrival, 18 months on October 1; no group holds both.
    let grows = Entrant {
        child: planned("grows", d(2025, 4, 1), start(), None),
        ..toddler("", 1)
    };
    let later = Entrant {
        child: planned("later", d(2024, 6, 1), d(2027, 9, 1), None),
        ..toddler("", 2)
    };
    let composition = compose(&place, &[grows, later], &[], start()).unwrap();
    assert_eq!(
        composition.left_out[0].reason,
        LeftOutReason::NoGroupForAgeClasses {
            classes: AgeClassSet::of(&[Baby, Toddler])
        }
    );
    assert_eq!(
        composition.left_out[1].reason,
        LeftOutReason::NotPresentThisYear
    );
}

#[test]
fn a_ratio_or_permit_that_would_break_later_in_the_year_is_named_with_its_day() {
    // One educator for 8 toddlers; a baby turning 18 months on 2026-12-01 counts 1/5 until
    // then. Seven toddlers and the baby fit (7/8 + 1/5 > 1? 35 + 8 = 43 > 40: no).
    let place = installation([1, 8, 0, 0], &[(&[Baby, Toddler], 8, 1)]);
    let mut entrants: Vec<_> = (1..=7).map(|i| toddler(&format!("t{i}"), i)).collect();
    entrants.push(Entrant {
        child: planned("baby", d(2025, 6, 1), start(), None),
        ..toddler("", 8)
    });
    let composition = compose(&place, &entrants, &[], start()).unwrap();
    assert_eq!(composition.placed.len(), 7);
    assert_eq!(
        composition.left_out[0].reason,
        LeftOutReason::NoRoom {
            blocked: vec![Blocked {
                group: 0,
                on: start(),
                rule: BlockingRule::GroupRatio
            }]
        }
    );
    // The toddlers' permit is full from the day the baby would become a toddler.
    let place = installation([1, 7, 0, 0], &[(&[Baby, Toddler], 8, 2)]);
    let composition = compose(&place, &entrants, &[], start()).unwrap();
    assert_eq!(
        composition.left_out[0].reason,
        LeftOutReason::NoRoom {
            blocked: vec![Blocked {
                group: 0,
                on: d(2026, 12, 1),
                rule: BlockingRule::Permit { class: Toddler }
            }]
        }
    );
    // The places left: one baby place all year (the permit's toddler places are all taken).
    let sim = simulate(&place, &composition.placements(), start()).unwrap();
    assert!(sim.is_clear());
    assert_eq!(
        vacancies(&sim, &place),
        [Vacancy {
            class: Baby,
            from: start(),
            places: 1
        }]
    );
}

#[test]
fn unknown_groups_and_the_same_child_twice_are_refused() {
    let place = installation([0, 2, 0, 0], &[(&[Toddler], 2, 1)]);
    let mut pinned = toddler("p", 1);
    pinned.pinned = Some(3);
    assert_eq!(
        compose(&place, &[pinned], &[], start()),
        Err(PlanError::UnknownGroup(3))
    );
    assert_eq!(
        compose(&place, &[returning("r", Some(2))], &[], start()),
        Err(PlanError::UnknownGroup(2))
    );
    assert_eq!(
        compose(
            &place,
            &[toddler("same", 1), toddler("same", 2)],
            &[],
            start()
        ),
        Err(PlanError::DuplicateChild)
    );
}
