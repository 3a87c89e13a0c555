//! Worked examples of educator ratios, capacities and the installation cap.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use common::{born, d};
use placeforte_domain::{
    educators_for_counts, educators_needed, AgeClass, Capacity, ClassCounts, DomainError, Permit,
    QUEBEC_2025,
};

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;

fn educators(under_18: u32, toddlers: u32, four: u32, five: u32) -> u64 {
    educators_for_counts(
        ClassCounts::from_counts([
            (AgeClass::Under18Months, under_18),
            (AgeClass::From18MonthsTo4Years, toddlers),
            (AgeClass::FourYears, four),
            (AgeClass::FiveAndOver, five),
        ]),
        RULES,
    )
    .educators
}

#[test]
fn one_educator_per_5_children_under_18_months() {
    assert_eq!(educators(5, 0, 0, 0), 1);
    assert_eq!(educators(6, 0, 0, 0), 2);
    assert_eq!(educators(10, 0, 0, 0), 2);
}

#[test]
fn one_educator_per_8_children_from_18_months_to_4_years() {
    assert_eq!(educators(0, 8, 0, 0), 1);
    assert_eq!(educators(0, 9, 0, 0), 2);
}

#[test]
fn one_educator_per_10_children_of_4_years() {
    assert_eq!(educators(0, 0, 10, 0), 1);
    assert_eq!(educators(0, 0, 11, 0), 2);
}

#[test]
fn one_educator_per_20_children_of_5_years_and_over() {
    assert_eq!(educators(0, 0, 0, 20), 1);
    assert_eq!(educators(0, 0, 0, 21), 2);
}

#[test]
fn mixed_classes_add_their_exact_shares_and_round_up_once() {
    // 5/5 + 8/8 = 2 exactly; one more child of either class needs a third educator.
    assert_eq!(educators(5, 8, 0, 0), 2);
    assert_eq!(educators(6, 8, 0, 0), 3);
    assert_eq!(educators(5, 9, 0, 0), 3);
    // 2/5 + 4/8 = 0.9: one educator.
    assert_eq!(educators(2, 4, 0, 0), 1);
    // 1/5 + 1/8 + 1/10 + 1/20 = 0.475 rounds up to 1.
    assert_eq!(educators(1, 1, 1, 1), 1);
    assert_eq!(educators(0, 0, 0, 0), 0);
}

#[test]
fn educators_needed_classifies_children_present_on_the_day() {
    // On 2025-09-15: a baby, a toddler, a 4-year-old (4 on Sept 30) and a 5-year-old.
    let children = [
        born(2025, 3, 1),
        born(2023, 1, 1),
        born(2021, 6, 1),
        born(2020, 6, 1),
    ];
    let needed = educators_needed(&children, d(2025, 9, 15), RULES).unwrap();
    for class in AgeClass::ALL {
        assert_eq!(needed.children.get(class), 1, "{class:?}");
    }
    assert_eq!(needed.educators, 1);
    assert_eq!(needed.rule_set, "qc-2025");

    let six_babies = [born(2025, 3, 1); 6];
    assert_eq!(
        educators_needed(&six_babies, d(2025, 9, 15), RULES)
            .unwrap()
            .educators,
        2
    );
}

#[test]
fn educators_needed_refuses_a_child_not_yet_born_on_the_day() {
    let children = [born(2025, 10, 1)];
    assert!(matches!(
        educators_needed(&children, d(2025, 9, 15), RULES),
        Err(DomainError::NotYetBorn { .. })
    ));
}

#[test]
fn a_negative_capacity_is_refused() {
    assert_eq!(Capacity::new(-1), Err(DomainError::NegativeCapacity(-1)));
    assert_eq!(Capacity::new(-1).unwrap_err().code(), "negative_capacity");
    assert_eq!(Capacity::new(0).map(Capacity::get), Ok(0));
    assert_eq!(Capacity::new(80).map(Capacity::get), Ok(80));
    assert_eq!(
        Capacity::new(i64::MAX),
        Err(DomainError::CapacityTooLarge(i64::MAX))
    );
}

fn permit(places: [u32; 4]) -> Result<Permit, DomainError> {
    Permit::new(
        [
            (AgeClass::Under18Months, places[0].into()),
            (AgeClass::From18MonthsTo4Years, places[1].into()),
            (AgeClass::FourYears, places[2].into()),
            (AgeClass::FiveAndOver, places[3].into()),
        ],
        RULES,
    )
}

#[test]
fn an_installation_holds_at_most_100_children() {
    let full = permit([10, 40, 30, 20]).unwrap();
    assert_eq!(full.total(), 100);
    assert_eq!(full.places(AgeClass::From18MonthsTo4Years).get(), 40);
    assert_eq!(Permit::from_places([10, 40, 30, 20], RULES), Ok(full));
    assert_eq!(
        Permit::from_places([10, 40, 30, 21], RULES),
        Err(DomainError::PermitOverInstallationCap {
            total: 101,
            cap: 100
        })
    );
    assert_eq!(
        permit([10, 40, 30, 21]),
        Err(DomainError::PermitOverInstallationCap {
            total: 101,
            cap: 100
        })
    );
}
