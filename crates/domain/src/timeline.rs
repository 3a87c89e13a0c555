//! When a planned child is present during a period, and in which age class on each of those
//! days: shared by the simulator and the composer so both see the same year.

use chrono::{Days, NaiveDate};

use crate::age::{age_class, next_class_change, AgeClass};
use crate::groups::PlannedChild;
use crate::rules::RuleSet;

/// A child's presence within `[start, end]`, as runs of one age class.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Timeline {
    /// `(first day, class)` runs in date order; each run lasts until the next one starts, the
    /// last one until `last_day`. Empty when the child is not present in the period.
    pub(crate) runs: Vec<(NaiveDate, AgeClass)>,
    /// The last day present in the period.
    pub(crate) last_day: NaiveDate,
}

impl Timeline {
    /// The child's timeline between `start` and `end`, both included.
    pub(crate) fn of<K>(
        child: &PlannedChild<K>,
        start: NaiveDate,
        end: NaiveDate,
        rules: &RuleSet,
    ) -> Timeline {
        let first = child.arrival().max(start);
        let last = child.departure().map_or(end, |d| d.min(end));
        let mut runs = Vec::new();
        if first <= last {
            // A child is born by its arrival (PlannedChild checks it), so the class exists.
            if let Ok(class) = age_class(child.birth(), first, rules) {
                runs.push((first, class));
                let mut day = first;
                while let Ok(Some((change, class))) = next_class_change(child.birth(), day, rules) {
                    if change > last {
                        break;
                    }
                    runs.push((change, class));
                    day = change;
                }
            }
        }
        Timeline {
            runs,
            last_day: last,
        }
    }

    /// The runs as `(first day, last day, class)`.
    pub(crate) fn spans(&self) -> impl Iterator<Item = (NaiveDate, NaiveDate, AgeClass)> + '_ {
        self.runs.iter().enumerate().map(|(i, &(from, class))| {
            let to = match self.runs.get(i + 1) {
                Some(&(next, _)) => next.checked_sub_days(Days::new(1)).unwrap_or(next),
                None => self.last_day,
            };
            (from, to, class)
        })
    }
}
