//! Worked examples of the year-ahead simulator: age thresholds, September 30, leap days,
//! arrivals and departures, and the groups and installations it refuses.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use chrono::NaiveDate;
use common::d;
use placeforte_domain::{
    occupancy_series, school_year_end, simulate, vacancies, AgeClass, AgeClassSet, BirthDate,
    BreachKind, Capacity, ChildEventKind, Group, Installation, Permit, Placement, PlanError,
    PlannedChild, SeriesSubject, Vacancy, QUEBEC_2025,
};

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;
use AgeClass::{FiveAndOver, FourYears, From18MonthsTo4Years as Toddler, Under18Months as Baby};

fn permit(places: [u32; 4]) -> Permit {
    Permit::new(
        [
            (Baby, places[0].into()),
            (Toddler, places[1].into()),
            (FourYears, places[2].into()),
            (FiveAndOver, places[3].into()),
        ],
        RULES,
    )
    .unwrap()
}

fn group(name: &str, classes: &[AgeClass], capacity: u32, educators: u32) -> Group {
    Group::new(
        name,
        AgeClassSet::of(classes),
        Capacity::from(capacity),
        educators,
    )
    .unwrap()
}

fn installation(places: [u32; 4], groups: Vec<Group>) -> Installation {
    Installation::new(permit(places), groups, RULES).unwrap()
}

/// A child born on `birth`, present from `arrival` to `departure`.
fn child(
    key: &str,
    birth: NaiveDate,
    arrival: NaiveDate,
    departure: Option<NaiveDate>,
) -> PlannedChild<String> {
    let birth = BirthDate::new(birth, birth).unwrap();
    PlannedChild::new(key.to_owned(), birth, arrival, departure).unwrap()
}

fn in_group(group: usize, children: Vec<PlannedChild<String>>) -> Vec<Placement<String>> {
    children
        .into_iter()
        .map(|child| Placement { child, group })
        .collect()
}

const START: fn() -> NaiveDate = || d(2026, 9, 1);

#[test]
fn the_school_year_ends_the_day_before_the_next_reference_year() {
    assert_eq!(school_year_end(d(2026, 9, 1), RULES), d(2027, 8, 31));
    assert_eq!(school_year_end(d(2026, 6, 15), RULES), d(2026, 8, 31));
    assert_eq!(school_year_end(d(2027, 8, 31), RULES), d(2027, 8, 31));
}

#[test]
fn a_baby_reaching_18_months_leaves_a_babies_only_group_on_its_anniversary() {
    // Born 2025-03-15: 18 months on 2026-09-15.
    let place = installation(
        [10, 8, 0, 0],
        vec![
            group("Poupons", &[Baby], 10, 2),
            group("Trottineurs", &[Toddler], 8, 1),
        ],
    );
    let mut plan = in_group(
        0,
        (0..4)
            .map(|i| child(&format!("b{i}"), d(2026, 4, 10), d(2026, 9, 1), None))
            .collect(),
    );
    plan.extend(in_group(
        0,
        vec![child("crosses", d(2025, 3, 15), d(2026, 9, 1), None)],
    ));
    let sim = simulate(&place, &plan, START()).unwrap();

    assert_eq!(sim.start, d(2026, 9, 1));
    assert_eq!(sim.end, d(2027, 8, 31));
    let crossing = &sim.events[0];
    assert_eq!(crossing.on, d(2026, 9, 15));
    assert_eq!(crossing.child, "crosses");
    assert_eq!(
        crossing.kind,
        ChildEventKind::ChangesClass {
            from: Baby,
            to: Toddler
        }
    );

    // 5 babies need 1 educator until the 14th; from the 15th the group holds a toddler.
    assert_eq!(
        sim.on(d(2026, 9, 14)).unwrap().groups[0].children.get(Baby),
        5
    );
    assert_eq!(
        sim.on(d(2026, 9, 14)).unwrap().groups[0].educators_needed,
        1
    );
    assert_eq!(
        sim.on(d(2026, 9, 15)).unwrap().groups[0]
            .children
            .get(Toddler),
        1
    );
    assert_eq!(sim.breaches.len(), 1, "{:?}", sim.breaches);
    let breach = &sim.breaches[0];
    assert_eq!(
        breach.kind,
        BreachKind::GroupAgeClass {
            group: 0,
            class: Toddler,
            children: 1
        }
    );
    assert_eq!((breach.from, breach.to), (d(2026, 9, 15), d(2027, 8, 31)));
    assert_eq!(breach.causes, vec![crossing.clone()]);
    assert_eq!(breach.kind.code(), "group_age_class");
}

#[test]
fn a_child_crossing_18_months_can_break_the_permit_for_its_new_class() {
    // The permit has 2 toddler places, both taken; the baby's anniversary makes a third.
    let place = installation([5, 2, 0, 0], vec![group("Mixte", &[Baby, Toddler], 7, 2)]);
    let mut plan = in_group(
        0,
        vec![
            child("t1", d(2024, 1, 1), d(2026, 9, 1), None),
            child("t2", d(2024, 2, 1), d(2026, 9, 1), None),
        ],
    );
    // Born 2025-05-31: 18 months on "2026-11-31", which does not exist: December 1.
    plan.extend(in_group(
        0,
        vec![child("b", d(2025, 5, 31), d(2026, 9, 1), None)],
    ));
    let sim = simulate(&place, &plan, START()).unwrap();
    let permit: Vec<_> = sim
        .breaches
        .iter()
        .filter(|b| b.kind.code() == "permit")
        .collect();
    assert_eq!(permit.len(), 1);
    assert_eq!(
        permit[0].kind,
        BreachKind::Permit {
            class: Toddler,
            children: 3,
            places: 2
        }
    );
    assert_eq!(permit[0].from, d(2026, 12, 1));
    assert_eq!(permit[0].causes[0].child, "b");
}

#[test]
fn an_arrival_breaks_the_ratio_and_a_departure_mid_year_ends_the_breach() {
    // 8 toddlers for 1 educator is the limit; a ninth arrives on November 2.
    let place = installation([0, 16, 0, 0], vec![group("Trottineurs", &[Toddler], 10, 1)]);
    let mut children: Vec<_> = (0..7)
        .map(|i| child(&format!("t{i}"), d(2024, 1, 1 + i), d(2026, 9, 1), None))
        .collect();
    children.push(child(
        "leaves",
        d(2023, 12, 1),
        d(2026, 9, 1),
        Some(d(2027, 1, 15)),
    ));
    children.push(child("arrives", d(2024, 6, 1), d(2026, 11, 2), None));
    let sim = simulate(&place, &in_group(0, children), START()).unwrap();

    // The group, and the installation as a whole (its only group), lack an educator.
    assert_eq!(sim.breaches.len(), 2);
    let breach = &sim.breaches[0];
    assert_eq!(
        breach.kind,
        BreachKind::GroupRatio {
            group: 0,
            educators_needed: 2,
            educators_planned: 1
        }
    );
    let whole = &sim.breaches[1];
    assert_eq!(
        whole.kind,
        BreachKind::InstallationRatio {
            educators_needed: 2,
            educators_planned: 1
        }
    );
    assert_eq!(
        (whole.from, whole.to, whole.causes.len()),
        (breach.from, breach.to, 1)
    );
    assert_eq!((breach.from, breach.to), (d(2026, 11, 2), d(2027, 1, 15)));
    assert_eq!(breach.causes.len(), 1);
    assert_eq!(breach.causes[0].child, "arrives");
    assert_eq!(
        breach.causes[0].kind,
        ChildEventKind::Arrives { class: Toddler }
    );
    let leaving = sim.events.iter().find(|e| e.child == "leaves").unwrap();
    assert_eq!(leaving.on, d(2027, 1, 16));
    assert_eq!(leaving.kind, ChildEventKind::Leaves { class: Toddler });

    // Three periods: 8 children, 9 children, 8 children again.
    let totals: Vec<_> = sim
        .periods
        .iter()
        .map(|p| (p.from, p.to, p.groups[0].children.total()))
        .collect();
    assert_eq!(
        totals,
        [
            (d(2026, 9, 1), d(2026, 11, 1), 8),
            (d(2026, 11, 2), d(2027, 1, 15), 9),
            (d(2027, 1, 16), d(2027, 8, 31), 8),
        ]
    );
    // One entry per day for a chart.
    assert_eq!(sim.days().count(), 365);
    assert_eq!(
        sim.days()
            .nth(62)
            .map(|(day, p)| (day, p.groups[0].children.total())),
        Some((d(2026, 11, 2), 9))
    );
    assert!(sim.on(d(2027, 9, 1)).is_none());
}

#[test]
fn four_and_five_years_are_measured_on_september_30() {
    // Born 2022-09-30: 4 on September 30, 2026, so in the 4-year class all year from
    // September 1. Born 2022-10-01: 3 on that day, so counted with the toddlers all year.
    let place = installation(
        [0, 10, 10, 10],
        vec![
            group("Quatre ans", &[FourYears], 10, 1),
            group("Cinq ans", &[FiveAndOver], 10, 1),
        ],
    );
    let mut plan = in_group(
        0,
        vec![
            child("four", d(2022, 9, 30), d(2026, 9, 1), None),
            child("not-yet-four", d(2022, 10, 1), d(2026, 9, 1), None),
        ],
    );
    plan.extend(in_group(
        1,
        vec![child("five", d(2021, 9, 30), d(2026, 9, 1), None)],
    ));
    let sim = simulate(&place, &plan, START()).unwrap();
    assert!(
        sim.events.is_empty(),
        "no class changes within the year: {:?}",
        sim.events
    );
    let first = &sim.periods[0];
    assert_eq!(sim.periods.len(), 1);
    assert_eq!(first.groups[0].children.get(FourYears), 1);
    assert_eq!(first.groups[0].children.get(Toddler), 1);
    assert_eq!(first.groups[1].children.get(FiveAndOver), 1);
    // Present from the first day, so no cause event.
    assert_eq!(sim.breaches.len(), 1);
    assert_eq!(
        sim.breaches[0].kind,
        BreachKind::GroupAgeClass {
            group: 0,
            class: Toddler,
            children: 1
        }
    );
    assert_eq!(sim.breaches[0].from, sim.start);
    assert!(sim.breaches[0].causes.is_empty());

    // Simulated from August, the same child moves up to the 4-year class on September 1 only
    // in the next year, which is outside the simulation: the year ends on August 31.
    let summer_plan = in_group(
        0,
        vec![
            child("four", d(2022, 9, 30), d(2026, 8, 3), None),
            child("not-yet-four", d(2022, 10, 1), d(2026, 8, 3), None),
        ],
    );
    let summer = simulate(&place, &summer_plan, d(2026, 8, 3)).unwrap();
    assert_eq!(summer.end, d(2026, 8, 31));
    assert_eq!(summer.periods[0].groups[0].children.get(Toddler), 2);
}

#[test]
fn leap_day_births_and_anniversaries() {
    // The 2027-28 year has a February 29.
    let start = d(2027, 9, 1);
    let place = installation(
        [10, 10, 0, 0],
        vec![group("Poupons", &[Baby, Toddler], 10, 2)],
    );
    let plan = in_group(
        0,
        vec![
            // 18 months on 2028-02-29, which exists.
            child("aug-29", d(2026, 8, 29), start, None),
            // 18 months on "2028-02-30": March 1.
            child("aug-30", d(2026, 8, 30), start, None),
            // Born on a leap day: 43 months on September 30, 2027, a toddler all year.
            child("leap", d(2024, 2, 29), start, None),
        ],
    );
    let sim = simulate(&place, &plan, start).unwrap();
    let changes: Vec<_> = sim
        .events
        .iter()
        .map(|e| (e.child.as_str(), e.on))
        .collect();
    assert_eq!(
        changes,
        [("aug-29", d(2028, 2, 29)), ("aug-30", d(2028, 3, 1))]
    );
    assert_eq!(
        sim.on(d(2028, 2, 28)).unwrap().groups[0].children.get(Baby),
        2
    );
    assert_eq!(
        sim.on(d(2028, 2, 29)).unwrap().groups[0].children.get(Baby),
        1
    );
    assert_eq!(
        sim.on(d(2028, 3, 1)).unwrap().groups[0]
            .children
            .get(Toddler),
        3
    );
    assert_eq!(sim.days().count(), 366);
    // Each child's class on any day.
    let leap = "leap".to_owned();
    assert_eq!(sim.class_of(&leap, d(2028, 8, 31)), Some(Toddler));
    assert_eq!(
        sim.class_of(&"aug-29".to_owned(), d(2028, 2, 28)),
        Some(Baby)
    );
    assert_eq!(
        sim.class_of(&"aug-29".to_owned(), d(2028, 2, 29)),
        Some(Toddler)
    );
    assert_eq!(sim.class_of(&leap, d(2028, 9, 1)), None);
    assert_eq!(sim.children[1].classes.len(), 2);
    assert_eq!(sim.children[1].classes[0].to, d(2028, 2, 29));
    assert!(sim.is_clear());
}

#[test]
fn the_installation_ratio_and_cap_are_checked_on_all_children_together() {
    // Two groups each within their own ratio; together the children need no more educators
    // than the groups have (summing the groups' needs is never less than the whole's).
    let place = installation(
        [5, 8, 0, 0],
        vec![group("A", &[Baby], 5, 1), group("B", &[Toddler], 8, 1)],
    );
    let mut plan = in_group(
        0,
        (0..5)
            .map(|i| child(&format!("b{i}"), d(2026, 3, 1 + i), START(), None))
            .collect(),
    );
    plan.extend(in_group(
        1,
        (0..8)
            .map(|i| child(&format!("t{i}"), d(2024, 3, 1 + i), START(), None))
            .collect(),
    ));
    let sim = simulate(&place, &plan, START()).unwrap();
    let all = sim.periods[0].installation;
    assert_eq!((all.educators_needed, all.educators_planned), (2, 2));
    assert_eq!(sim.installation_cap, 100);
    assert_eq!(sim.permit.places(Toddler).get(), 8);
    // Babies reach 18 months from September 2027... not within the year: no change.
    assert!(sim.is_clear(), "{:?}", sim.breaches);
}

#[test]
fn vacancies_are_the_places_free_until_the_end_of_the_year() {
    let place = installation([0, 16, 0, 0], vec![group("Trottineurs", &[Toddler], 16, 2)]);
    let mut children: Vec<_> = (0..9)
        .map(|i| child(&format!("t{i}"), d(2024, 1, 1 + i), START(), None))
        .collect();
    children.push(child(
        "leaves",
        d(2023, 12, 1),
        START(),
        Some(d(2027, 1, 15)),
    ));
    let sim = simulate(&place, &in_group(0, children), START()).unwrap();
    assert_eq!(
        vacancies(&sim, &place),
        [
            Vacancy {
                class: Toddler,
                from: START(),
                places: 6
            },
            Vacancy {
                class: Toddler,
                from: d(2027, 1, 16),
                places: 1
            },
        ]
    );
    // Fewer educators, fewer places: 1 educator takes 8 toddlers.
    let short = installation([0, 16, 0, 0], vec![group("Trottineurs", &[Toddler], 16, 1)]);
    let plan = in_group(
        0,
        (0..5)
            .map(|i| child(&format!("t{i}"), d(2024, 1, 1 + i), START(), None))
            .collect(),
    );
    let sim = simulate(&short, &plan, START()).unwrap();
    assert_eq!(
        vacancies(&sim, &short),
        [Vacancy {
            class: Toddler,
            from: START(),
            places: 3
        }]
    );
}

#[test]
fn invalid_groups_and_installations_are_refused_with_stable_codes() {
    let classes = AgeClassSet::of(&[Baby]);
    let code = |r: Result<Group, PlanError>| r.unwrap_err().code();
    assert_eq!(
        code(Group::new(" ", classes, Capacity::from(5), 1)),
        "group_without_name"
    );
    assert_eq!(
        code(Group::new("A", AgeClassSet::of(&[]), Capacity::from(5), 1)),
        "group_without_age_class"
    );
    assert_eq!(
        code(Group::new("A", classes, Capacity::from(0), 1)),
        "group_without_places"
    );
    assert_eq!(
        code(Group::new("A", classes, Capacity::from(5), 0)),
        "group_without_educator"
    );

    let icode =
        |p: [u32; 4], g: Vec<Group>| Installation::new(permit(p), g, RULES).unwrap_err().code();
    assert_eq!(
        icode(
            [5, 5, 0, 0],
            vec![group("A", &[Baby], 5, 1), group("A", &[Toddler], 5, 1)]
        ),
        "duplicate_group_name"
    );
    assert_eq!(
        icode([5, 0, 0, 0], vec![group("A", &[Baby, Toddler], 5, 1)]),
        "group_class_not_in_permit"
    );
    assert_eq!(
        icode([5, 5, 0, 0], vec![group("A", &[Baby], 6, 2)]),
        "group_over_permit"
    );
    assert_eq!(
        Installation::new(
            permit([5, 5, 0, 0]),
            vec![
                group("A", &[Baby, Toddler], 8, 2),
                group("B", &[Toddler], 5, 1)
            ],
            RULES
        ),
        Err(PlanError::GroupsOverInstallation {
            total: 13,
            allowed: 10
        })
    );

    let birth = BirthDate::new(d(2025, 1, 1), d(2025, 1, 1)).unwrap();
    assert_eq!(
        PlannedChild::new("c", birth, d(2024, 12, 31), None)
            .unwrap_err()
            .code(),
        "arrival_before_birth"
    );
    assert_eq!(
        PlannedChild::new("c", birth, d(2026, 9, 1), Some(d(2026, 8, 31)))
            .unwrap_err()
            .code(),
        "departure_before_arrival"
    );
    let place = installation([5, 0, 0, 0], vec![group("A", &[Baby], 5, 1)]);
    let stray = vec![Placement {
        child: PlannedChild::new("c".to_owned(), birth, d(2026, 9, 1), None).unwrap(),
        group: 1,
    }];
    assert_eq!(
        simulate(&place, &stray, START()),
        Err(PlanError::UnknownGroup(1))
    );
}

#[test]
fn a_child_outside_the_year_is_not_counted() {
    let place = installation([5, 0, 0, 0], vec![group("A", &[Baby], 5, 1)]);
    let plan = in_group(
        0,
        vec![
            child("gone", d(2026, 1, 1), d(2026, 2, 1), Some(d(2026, 6, 30))),
            child("next-year", d(2026, 1, 1), d(2027, 9, 1), None),
        ],
    );
    let sim = simulate(&place, &plan, START()).unwrap();
    assert!(sim.events.is_empty());
    assert_eq!(sim.periods.len(), 1);
    assert_eq!(sim.periods[0].groups[0].children.total(), 0);
}

#[test]
fn breaches_and_events_serialize_with_their_stable_codes() {
    let kinds = [
        BreachKind::GroupRatio {
            group: 0,
            educators_needed: 2,
            educators_planned: 1,
        },
        BreachKind::GroupCapacity {
            group: 0,
            children: 9,
            capacity: 8,
        },
        BreachKind::GroupAgeClass {
            group: 0,
            class: Toddler,
            children: 1,
        },
        BreachKind::Permit {
            class: Baby,
            children: 6,
            places: 5,
        },
        BreachKind::InstallationCap {
            children: 101,
            cap: 100,
        },
        BreachKind::InstallationRatio {
            educators_needed: 9,
            educators_planned: 8,
        },
    ];
    for kind in kinds {
        assert_eq!(serde_json::to_value(kind).unwrap()["kind"], kind.code());
    }
    assert_eq!(
        serde_json::to_value(kinds[2]).unwrap(),
        serde_json::json!({"kind": "group_age_class", "group": 0, "class": "from_18_months_to_4_years", "children": 1})
    );
    let events = [
        ChildEventKind::Arrives { class: Baby },
        ChildEventKind::Leaves { class: Baby },
        ChildEventKind::ChangesClass {
            from: Baby,
            to: Toddler,
        },
    ];
    for event in events {
        assert_eq!(serde_json::to_value(event).unwrap()["kind"], event.code());
    }
    let place = installation([5, 0, 0, 0], vec![group("A", &[Baby], 5, 1)]);
    let sim = simulate(&place, &[] as &[Placement<String>], START()).unwrap();
    let json = serde_json::to_value(&sim).unwrap();
    assert_eq!(json["rule_set"], "qc-2025");
    assert_eq!(json["periods"][0]["from"], "2026-09-01");
    assert_eq!(json["periods"][0]["to"], "2027-08-31");
}

#[test]
fn the_occupancy_chart_merges_each_series_own_steps_and_counts_breach_days_once() {
    // Babies (5 places, 1 educator) and toddlers (8 places, 1 educator); the permit has as
    // many places. "b" turns 18 months on December 10 in the babies' group and leaves after
    // January 31; a ninth toddler arrives on March 1.
    let place = installation(
        [5, 8, 0, 0],
        vec![
            group("Poupons", &[Baby], 5, 1),
            group("Trottineurs", &[Toddler], 8, 1),
        ],
    );
    let mut babies: Vec<_> = (0..3)
        .map(|i| child(&format!("p{i}"), d(2026, 3, 1 + i), START(), None))
        .collect();
    babies.push(child("b", d(2025, 6, 10), START(), Some(d(2027, 1, 31))));
    let mut toddlers: Vec<_> = (0..8)
        .map(|i| child(&format!("t{i}"), d(2024, 1, 1 + i), START(), None))
        .collect();
    toddlers.push(child("late", d(2024, 6, 1), d(2027, 3, 1), None));
    let mut placements = in_group(0, babies);
    placements.extend(in_group(1, toddlers));
    let sim = simulate(&place, &placements, START()).unwrap();

    let chart = occupancy_series(&sim);
    let steps = |subject: SeriesSubject| -> Vec<(NaiveDate, NaiveDate, u64, u64, u32)> {
        chart
            .iter()
            .find(|s| s.subject == subject)
            .unwrap()
            .steps
            .iter()
            .map(|s| (s.from, s.to, s.planned, s.permitted, s.breach_days))
            .collect()
    };
    // Four children until b leaves, one of them a toddler in a babies' group for 53 days
    // (December 10 to January 31).
    assert_eq!(
        steps(SeriesSubject::Group { group: 0 }),
        [
            (START(), d(2027, 1, 31), 4, 5, 53),
            (d(2027, 2, 1), d(2027, 8, 31), 3, 5, 0),
        ]
    );
    // One step until March although the year's periods change in December and February; then
    // over its places and its ratio together: 184 days, counted once.
    assert_eq!(
        steps(SeriesSubject::Group { group: 1 }),
        [
            (START(), d(2027, 2, 28), 8, 8, 0),
            (d(2027, 3, 1), d(2027, 8, 31), 9, 8, 184),
        ]
    );
    assert_eq!(
        steps(SeriesSubject::AgeClass { class: Baby }),
        [
            (START(), d(2026, 12, 9), 4, 5, 0),
            (d(2026, 12, 10), d(2027, 8, 31), 3, 5, 0),
        ]
    );
    assert_eq!(
        steps(SeriesSubject::AgeClass { class: Toddler }),
        [
            (START(), d(2026, 12, 9), 8, 8, 0),
            (d(2026, 12, 10), d(2027, 1, 31), 9, 8, 53),
            (d(2027, 2, 1), d(2027, 2, 28), 8, 8, 0),
            (d(2027, 3, 1), d(2027, 8, 31), 9, 8, 184),
        ]
    );
    // Classes with no places and no child are left out.
    assert_eq!(chart.len(), 4);
    assert_eq!(
        serde_json::to_value(chart[2].subject).unwrap(),
        serde_json::json!({"kind": "age_class", "class": "under_18_months"})
    );
}
