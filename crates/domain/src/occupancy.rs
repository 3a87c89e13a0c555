//! The year's occupancy as compact series for a chart: for each group (children present
//! against its places) and each age class (children present against the permit's places), the
//! runs of days with the same figures, and how many of those days break a rule of that group
//! or class.
//!
//! The simulator's periods change whenever any figure changes anywhere; a chart of one group
//! only needs a new step when that group's figures change, so the steps here are the periods
//! merged per series (a few dozen points for a year instead of one per day).

use chrono::NaiveDate;
use serde::Serialize;

use crate::age::AgeClass;
use crate::simulator::{BreachKind, Period, Simulation};

/// What one series charts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SeriesSubject {
    /// A group (position in the installation): children present against its places.
    Group {
        /// The group.
        group: usize,
    },
    /// An age class of the whole installation: children present against the permit.
    AgeClass {
        /// The class.
        class: AgeClass,
    },
}

/// Consecutive days with the same figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct OccupancyStep {
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Children present.
    pub planned: u64,
    /// Places: the group's, or the permit's for the class.
    pub permitted: u64,
    /// Days of the step on which a rule of this group or class is broken (ratio, places, age
    /// class for a group; the permit for a class).
    pub breach_days: u32,
}

/// One line of the chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OccupancySeries {
    /// What it charts.
    pub subject: SeriesSubject,
    /// Its steps, covering the simulated year in date order.
    pub steps: Vec<OccupancyStep>,
}

/// The series of every group (installation order), then of every age class the permit has
/// places for or a child is in.
pub fn occupancy_series<K>(simulation: &Simulation<K>) -> Vec<OccupancySeries> {
    let groups = simulation.periods.first().map_or(0, |p| p.groups.len());
    let mut series = Vec::new();
    for group in 0..groups {
        let subject = SeriesSubject::Group { group };
        series.push(build(simulation, subject, |p: &Period| {
            let figures = &p.groups[group];
            (figures.children.total(), u64::from(figures.capacity))
        }));
    }
    for class in AgeClass::ALL {
        let subject = SeriesSubject::AgeClass { class };
        let line = build(simulation, subject, |p: &Period| {
            (
                u64::from(p.installation.children.get(class)),
                u64::from(simulation.permit.places(class).get()),
            )
        });
        if line.steps.iter().any(|s| s.planned > 0 || s.permitted > 0) {
            series.push(line);
        }
    }
    series
}

fn build<K>(
    simulation: &Simulation<K>,
    subject: SeriesSubject,
    figures: impl Fn(&Period) -> (u64, u64),
) -> OccupancySeries {
    let mut steps: Vec<OccupancyStep> = Vec::new();
    for period in &simulation.periods {
        let (planned, permitted) = figures(period);
        match steps.last_mut() {
            Some(last) if (last.planned, last.permitted) == (planned, permitted) => {
                last.to = period.to;
            }
            _ => steps.push(OccupancyStep {
                from: period.from,
                to: period.to,
                planned,
                permitted,
                breach_days: 0,
            }),
        }
    }
    for step in &mut steps {
        step.breach_days = breach_days(simulation, subject, step.from, step.to);
    }
    OccupancySeries { subject, steps }
}

/// Days from `from` to `to` on which some breach of `subject` holds (breaches of one subject
/// may overlap, e.g. ratio and places together: a day counts once).
fn breach_days<K>(
    simulation: &Simulation<K>,
    subject: SeriesSubject,
    from: NaiveDate,
    to: NaiveDate,
) -> u32 {
    let concerns = |kind: &BreachKind| match (subject, *kind) {
        (
            SeriesSubject::Group { group },
            BreachKind::GroupRatio { group: g, .. }
            | BreachKind::GroupCapacity { group: g, .. }
            | BreachKind::GroupAgeClass { group: g, .. },
        ) => g == group,
        (SeriesSubject::AgeClass { class }, BreachKind::Permit { class: c, .. }) => c == class,
        _ => false,
    };
    let mut ranges: Vec<(NaiveDate, NaiveDate)> = simulation
        .breaches
        .iter()
        .filter(|b| concerns(&b.kind))
        .map(|b| (b.from.max(from), b.to.min(to)))
        .filter(|(start, end)| start <= end)
        .collect();
    ranges.sort();
    let mut days = 0i64;
    let mut covered_until: Option<NaiveDate> = None;
    for (start, end) in ranges {
        let start = match covered_until {
            Some(c) if c >= end => continue,
            Some(c) if c >= start => c.succ_opt().unwrap_or(c),
            _ => start,
        };
        days += (end - start).num_days() + 1;
        covered_until = Some(end);
    }
    u32::try_from(days).unwrap_or(u32::MAX)
}
