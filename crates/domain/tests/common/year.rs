//! Building blocks of the simulator's tests: a permit, groups, an installation and planned
//! children under the 2025 rules, from September 1, 2026.
#![allow(clippy::unwrap_used)] // Set-up of fixed, valid test values.

use chrono::NaiveDate;
use placeforte_domain::{
    AgeClass, AgeClassSet, BirthDate, Capacity, Group, Installation, Period, Permit, Placement,
    PlannedChild, Simulation, QUEBEC_2025,
};

use super::d;

pub const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;
use AgeClass::{FiveAndOver, FourYears, From18MonthsTo4Years as Toddler, Under18Months as Baby};

pub fn permit(places: [u32; 4]) -> Permit {
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

pub fn group(name: &str, classes: &[AgeClass], capacity: u32, educators: u32) -> Group {
    Group::new(
        name,
        AgeClassSet::of(classes),
        Capacity::from(capacity),
        educators,
    )
    .unwrap()
}

pub fn installation(places: [u32; 4], groups: Vec<Group>) -> Installation {
    Installation::new(permit(places), groups, RULES).unwrap()
}

/// A child born on `birth`, present from `arrival` to `departure`.
pub fn child(
    key: &str,
    birth: NaiveDate,
    arrival: NaiveDate,
    departure: Option<NaiveDate>,
) -> PlannedChild<String> {
    let birth = BirthDate::new(birth, birth).unwrap();
    PlannedChild::new(key.to_owned(), birth, arrival, departure).unwrap()
}

pub fn in_group(group: usize, children: Vec<PlannedChild<String>>) -> Vec<Placement<String>> {
    children
        .into_iter()
        .map(|child| Placement { child, group })
        .collect()
}

pub const START: fn() -> NaiveDate = || d(2026, 9, 1);

/// One entry per simulated day, each with its period's figures.
pub fn days<K>(sim: &Simulation<K>) -> impl Iterator<Item = (NaiveDate, &Period)> + '_ {
    sim.periods.iter().flat_map(|p| {
        p.from
            .iter_days()
            .take_while(move |d| *d <= p.to)
            .map(move |d| (d, p))
    })
}
