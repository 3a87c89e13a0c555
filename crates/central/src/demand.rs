//! De-identified demand: how many children wait for a daycare, by age class and start month.
//!
//! Counts of 1 to 4 are shown as "<5": a small cell, crossed with what a director knows of the
//! neighbourhood, could point at one family.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use placeforte_domain::{age_class, AgeClass, BirthDate, RuleSet};
use placeforte_protocol::referrals::{
    DemandCell, DemandReport, SMALLEST_SHOWN_COUNT, SUPPRESSED_COUNT,
};

/// The figures for children born on and wanting to start from the given dates.
pub fn report(
    waiting: &[(NaiveDate, NaiveDate)],
    today: NaiveDate,
    rules: &RuleSet,
) -> DemandReport {
    let mut counts: BTreeMap<(NaiveDate, AgeClass), u32> = BTreeMap::new();
    for &(birth, desired) in waiting {
        let start = desired.max(today);
        let Some(month) = start.with_day(1) else {
            continue;
        };
        let Ok(birth) = BirthDate::new(birth, today) else {
            continue;
        };
        // Unborn on the first of the month (possible for a desired date in the birth month):
        // counted from the next month, when the child can start.
        let class = age_class(birth, month, rules).or_else(|_| age_class(birth, start, rules));
        if let Ok(class) = class {
            *counts.entry((month, class)).or_default() += 1;
        }
    }
    DemandReport {
        as_of: today,
        cells: counts
            .into_iter()
            .map(|((month, class), n)| DemandCell {
                age_class: class,
                start_month: format!("{:04}-{:02}", month.year(), month.month()),
                children: if n < SMALLEST_SHOWN_COUNT {
                    SUPPRESSED_COUNT.to_owned()
                } else {
                    n.to_string()
                },
            })
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use placeforte_domain::QUEBEC_2025;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap_or_default()
    }

    #[test]
    fn small_counts_are_suppressed_and_past_dates_count_from_this_month() {
        let today = d(2026, 6, 15);
        let mut waiting = vec![(d(2025, 1, 10), d(2026, 9, 1)); 5];
        waiting.extend(vec![(d(2025, 1, 10), d(2026, 10, 3)); 4]);
        waiting.push((d(2024, 1, 10), d(2026, 1, 1)));
        let report = report(&waiting, today, &QUEBEC_2025);
        let cells: Vec<(&str, AgeClass, &str)> = report
            .cells
            .iter()
            .map(|c| (c.start_month.as_str(), c.age_class, c.children.as_str()))
            .collect();
        assert_eq!(
            cells,
            [
                ("2026-06", AgeClass::From18MonthsTo4Years, "<5"),
                ("2026-09", AgeClass::From18MonthsTo4Years, "5"),
                ("2026-10", AgeClass::From18MonthsTo4Years, "<5"),
            ]
        );
    }
}
