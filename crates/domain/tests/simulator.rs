//! Worked examples of the year-ahead simulator: age thresholds, September 30, leap days,
//! arrivals and departures, and the ratio and cap of the whole installation.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use common::d;
use common::year::{child, days, group, in_group, installation, RULES, START};
use placeforte_domain::{school_year_end, simulate, AgeClass, BreachKind, ChildEventKind};

use AgeClass::{FiveAndOver, FourYears, From18MonthsTo4Years as Toddler, Under18Months as Baby};

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
    assert_eq!(days(&sim).count(), 365);
    assert_eq!(
        days(&sim)
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
    assert_eq!(days(&sim).count(), 366);
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
