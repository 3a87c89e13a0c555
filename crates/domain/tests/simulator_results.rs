//! Worked examples of what the simulator's results become (the places to declare, the
//! occupancy chart's series, breaches and events with their stable codes) and of the groups and
//! installations it refuses.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use chrono::NaiveDate;
use common::d;
use common::year::{child, group, in_group, installation, permit, RULES, START};
use placeforte_domain::{
    occupancy_series, simulate, vacancies, AgeClass, AgeClassSet, BirthDate, BreachKind, Capacity,
    ChildEventKind, Group, Installation, Placement, PlanError, PlannedChild, SeriesSubject,
    Vacancy,
};

use AgeClass::{From18MonthsTo4Years as Toddler, Under18Months as Baby};

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
