//! The places left to declare vacant after the groups are composed, per age class and start
//! day.
//!
//! For a class, the places free on a day are the fewest of: the permit's places for the class
//! not taken that day, and the room the groups that may hold the class have that day (places
//! not taken, and children of that class their planned educators could still take). A vacancy
//! must hold for the rest of the year, so the places declarable from a day are the fewest free
//! on any day from then to the end of the year; each increase of that figure is a vacancy
//! starting that day. A group or a permit total shared by several classes is counted for each
//! of them: the figures say what each class alone could take.

use chrono::NaiveDate;
use serde::Serialize;

use crate::age::AgeClass;
use crate::groups::Installation;
use crate::simulator::{Period, Simulation};

/// Places of one age class that can be declared vacant from a day to the end of the year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Vacancy {
    /// The class.
    pub class: AgeClass,
    /// The first day of the places.
    pub from: NaiveDate,
    /// How many places.
    pub places: u32,
}

/// The vacancies left by the plan `simulation` simulated over `installation`, in class then
/// date order.
pub fn vacancies<K>(simulation: &Simulation<K>, installation: &Installation) -> Vec<Vacancy> {
    let mut found = Vec::new();
    for class in AgeClass::ALL {
        let free: Vec<u32> = simulation
            .periods
            .iter()
            .map(|p| free_places(installation, p, class))
            .collect();
        // Fewest free from each period to the end.
        let mut until_end = vec![0u32; free.len()];
        let mut least = u32::MAX;
        for (i, &f) in free.iter().enumerate().rev() {
            least = least.min(f);
            until_end[i] = least;
        }
        let mut declared = 0u32;
        for (period, &places) in simulation.periods.iter().zip(&until_end) {
            if places > declared {
                found.push(Vacancy {
                    class,
                    from: period.from,
                    places: places - declared,
                });
                declared = places;
            }
        }
    }
    found
}

fn free_places(installation: &Installation, period: &Period, class: AgeClass) -> u32 {
    let rules = installation.rules();
    let ratio = |c: AgeClass| u64::from(rules.ratios.for_class(c).value.max(1));
    // In children of `class`: one educator takes `ratio(class)` of them; a child of class c
    // uses ratio(class)/ratio(c) of such a slot. Compare in units of 1/(product of ratios).
    let unit: u64 = AgeClass::ALL.iter().map(|&c| ratio(c)).product();
    let permit_free = installation
        .permit()
        .places(class)
        .get()
        .saturating_sub(period.installation.children.get(class));
    let mut room = 0u64;
    for (group, figures) in installation.groups().iter().zip(&period.groups) {
        if !group.classes().contains(class) {
            continue;
        }
        let children = figures.children.total();
        let places = u64::from(figures.capacity).saturating_sub(children);
        let used: u64 = AgeClass::ALL
            .iter()
            .map(|&c| u64::from(figures.children.get(c)) * (unit / ratio(c)))
            .sum();
        let limit = u64::from(figures.educators_planned) * unit;
        let by_ratio = limit.saturating_sub(used) / (unit / ratio(class));
        room += places.min(by_ratio);
    }
    u32::try_from(room).unwrap_or(u32::MAX).min(permit_free)
}
