//! The year ahead, day by day: who is present in which group and age class, the educators each
//! group and the installation need against those planned, and every day a ratio, a group's
//! places or age classes, the permit or the installation cap is breached, and why.
//!
//! # How
//! A child's situation changes only on a few days: its arrival, the day after its last day,
//! and the days its age class changes ([`next_class_change`](crate::age::next_class_change):
//! the 18-month anniversary, September 1 when its age on the coming September 30 moves it up).
//! The simulator lists those events, sorts them, and applies them in order, so a year with
//! *n* children costs O(*n* log *n*) plus one evaluation of the figures per day an event
//! happens. Days between two events have identical figures and are reported once, as a
//! [`Period`]; [`Simulation::days`] expands them back to one entry per day for a chart.
//!
//! # What counts as a breach
//! On a day, with the children present (DESIGN.md §4, "counting children present"):
//! - a group needs more educators than planned (needs by [`educators_for_counts`]);
//! - a group has more children than places, or a child of an age class it may not hold;
//! - the installation has more children of a class than the permit's places for it, more
//!   children than the installation cap, or needs more educators than all groups' together.
//!
//! Consecutive days with the same breach and the same figures form one [`Breach`]; its
//! causes are the events of its first day that touch it. A breach starting on the first day
//! of the simulation has no cause event: it is there from the start.

use chrono::{Days, NaiveDate};
use serde::Serialize;

use crate::age::AgeClass;
use crate::capacity::Permit;
use crate::groups::{school_year_end, Installation, PlanError, PlannedChild};
use crate::ratio::{educators_for_counts, ClassCounts};
use crate::timeline::Timeline;

/// A child planned into a group (by its position in [`Installation::groups`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placement<K> {
    /// The child.
    pub child: PlannedChild<K>,
    /// The group's position in the installation.
    pub group: usize,
}

/// Something that happens to one child on one day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChildEventKind {
    /// The child arrives, in this class.
    Arrives {
        /// Its class on arrival.
        class: AgeClass,
    },
    /// The child is gone from this day on (the day after its last day).
    Leaves {
        /// Its class on its last day.
        class: AgeClass,
    },
    /// The child crosses an age threshold.
    ChangesClass {
        /// The class it leaves.
        from: AgeClass,
        /// The class it enters.
        to: AgeClass,
    },
}

impl ChildEventKind {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            ChildEventKind::Arrives { .. } => "arrives",
            ChildEventKind::Leaves { .. } => "leaves",
            ChildEventKind::ChangesClass { .. } => "changes_class",
        }
    }

    fn touches(&self, class: AgeClass) -> bool {
        match *self {
            ChildEventKind::Arrives { class: c } | ChildEventKind::Leaves { class: c } => {
                c == class
            }
            ChildEventKind::ChangesClass { from, to } => from == class || to == class,
        }
    }
}

/// An event of one child, in its group.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildEvent<K> {
    /// The day it takes effect.
    pub on: NaiveDate,
    /// The child.
    pub child: K,
    /// The child's group.
    pub group: usize,
    /// What happens.
    pub kind: ChildEventKind,
}

/// One group's figures on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GroupFigures {
    /// Children present, per age class.
    pub children: ClassCounts,
    /// Children present of classes the group may not hold.
    pub outside_classes: u32,
    /// The group's places.
    pub capacity: u32,
    /// Educators the children present need.
    pub educators_needed: u64,
    /// Educators planned.
    pub educators_planned: u32,
}

/// The installation's figures on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct InstallationFigures {
    /// Children present, per age class (compare with [`Simulation::permit`]).
    pub children: ClassCounts,
    /// Educators all children present need, counted together.
    pub educators_needed: u64,
    /// Educators planned in all groups.
    pub educators_planned: u64,
}

/// Days with identical figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Period {
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// Each group's figures, in the installation's order.
    pub groups: Vec<GroupFigures>,
    /// The installation's figures.
    pub installation: InstallationFigures,
}

/// A rule broken, with the figures that break it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BreachKind {
    /// A group needs more educators than planned.
    GroupRatio {
        /// The group.
        group: usize,
        /// Educators needed.
        educators_needed: u64,
        /// Educators planned.
        educators_planned: u32,
    },
    /// A group has more children than places.
    GroupCapacity {
        /// The group.
        group: usize,
        /// Children present.
        children: u32,
        /// The group's places.
        capacity: u32,
    },
    /// A group has children of an age class it may not hold.
    GroupAgeClass {
        /// The group.
        group: usize,
        /// The class.
        class: AgeClass,
        /// Children of that class present.
        children: u32,
    },
    /// More children of a class than the permit's places for it.
    Permit {
        /// The class.
        class: AgeClass,
        /// Children of the class present.
        children: u32,
        /// The permit's places for it.
        places: u32,
    },
    /// More children than the installation cap.
    InstallationCap {
        /// Children present.
        children: u64,
        /// The cap.
        cap: u32,
    },
    /// The installation needs more educators than all groups have together.
    InstallationRatio {
        /// Educators needed.
        educators_needed: u64,
        /// Educators planned.
        educators_planned: u64,
    },
}

impl BreachKind {
    /// Stable code (screens translate it).
    pub fn code(&self) -> &'static str {
        match self {
            BreachKind::GroupRatio { .. } => "group_ratio",
            BreachKind::GroupCapacity { .. } => "group_capacity",
            BreachKind::GroupAgeClass { .. } => "group_age_class",
            BreachKind::Permit { .. } => "permit",
            BreachKind::InstallationCap { .. } => "installation_cap",
            BreachKind::InstallationRatio { .. } => "installation_ratio",
        }
    }

    fn is_caused_by<K>(&self, event: &ChildEvent<K>) -> bool {
        match *self {
            BreachKind::GroupRatio { group, .. } | BreachKind::GroupCapacity { group, .. } => {
                event.group == group
            }
            BreachKind::GroupAgeClass { group, class, .. } => {
                event.group == group && event.kind.touches(class)
            }
            BreachKind::Permit { class, .. } => event.kind.touches(class),
            BreachKind::InstallationCap { .. } | BreachKind::InstallationRatio { .. } => true,
        }
    }
}

/// Days a child spends in one age class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ClassSpan {
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// The class.
    pub class: AgeClass,
}

/// One child's year: its group and its age class on every day it is present.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChildYear<K> {
    /// The child.
    pub child: K,
    /// Its group.
    pub group: usize,
    /// Its classes, in date order; empty when it is not present during the simulation.
    pub classes: Vec<ClassSpan>,
}

/// Days on which a rule is broken with the same figures, and the events that started it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Breach<K> {
    /// What is broken.
    pub kind: BreachKind,
    /// First day.
    pub from: NaiveDate,
    /// Last day, included.
    pub to: NaiveDate,
    /// The events of the first day that touch this group or class (empty when the breach is
    /// there from the first day of the simulation).
    pub causes: Vec<ChildEvent<K>>,
}

/// The year ahead: periods of identical figures, every child's events, and every breach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Simulation<K> {
    /// The rule set applied.
    pub rule_set: &'static str,
    /// First day simulated.
    pub start: NaiveDate,
    /// Last day simulated (the end of the school year).
    pub end: NaiveDate,
    /// The permit (places per class, to chart against the children present).
    pub permit: Permit,
    /// The installation cap.
    pub installation_cap: u32,
    /// Consecutive periods covering every day from `start` to `end`.
    pub periods: Vec<Period>,
    /// Every child's group and age class on each day, in the order of the placements.
    pub children: Vec<ChildYear<K>>,
    /// Every child's arrivals, departures and class changes after `start`, in date order.
    pub events: Vec<ChildEvent<K>>,
    /// Every breach, in date order.
    pub breaches: Vec<Breach<K>>,
}

impl<K> Simulation<K> {
    /// The figures on `on`, if it is simulated.
    pub fn on(&self, on: NaiveDate) -> Option<&Period> {
        let i = self.periods.partition_point(|p| p.to < on);
        self.periods.get(i).filter(|p| p.from <= on)
    }

    /// The age class of `child` on `on`, if it is present that day.
    pub fn class_of(&self, child: &K, on: NaiveDate) -> Option<AgeClass>
    where
        K: PartialEq,
    {
        self.children
            .iter()
            .filter(|c| c.child == *child)
            .flat_map(|c| &c.classes)
            .find(|span| span.from <= on && on <= span.to)
            .map(|span| span.class)
    }

    /// Whether no rule is broken on any day.
    pub fn is_clear(&self) -> bool {
        self.breaches.is_empty()
    }
}

/// Simulates `placements` in `installation` from `start` to the end of its school year (the
/// day before the next reference year starts), under the installation's rule set.
///
/// Refuses a placement into a group that does not exist.
pub fn simulate<K: Clone + Ord>(
    installation: &Installation,
    placements: &[Placement<K>],
    start: NaiveDate,
) -> Result<Simulation<K>, PlanError> {
    let rules = installation.rules();
    let groups = installation.groups();
    let end = school_year_end(start, rules);
    if let Some(p) = placements.iter().find(|p| p.group >= groups.len()) {
        return Err(PlanError::UnknownGroup(p.group));
    }

    let mut counts = vec![[0u32; 4]; groups.len()];
    let mut events = Vec::new();
    let mut children = Vec::with_capacity(placements.len());
    for placement in placements {
        let timeline = Timeline::of(&placement.child, start, end, rules);
        children.push(ChildYear {
            child: placement.child.key().clone(),
            group: placement.group,
            classes: timeline
                .spans()
                .map(|(from, to, class)| ClassSpan { from, to, class })
                .collect(),
        });
        let mut previous: Option<AgeClass> = None;
        for (from, class) in timeline.runs.iter().copied() {
            let kind = match previous {
                None if from == start => {
                    counts[placement.group][class.index()] += 1;
                    None
                }
                None => Some(ChildEventKind::Arrives { class }),
                Some(before) => Some(ChildEventKind::ChangesClass {
                    from: before,
                    to: class,
                }),
            };
            if let Some(kind) = kind {
                events.push(ChildEvent {
                    on: from,
                    child: placement.child.key().clone(),
                    group: placement.group,
                    kind,
                });
            }
            previous = Some(class);
        }
        if let (Some(class), true) = (previous, timeline.last_day < end) {
            events.push(ChildEvent {
                on: timeline.last_day + Days::new(1),
                child: placement.child.key().clone(),
                group: placement.group,
                kind: ChildEventKind::Leaves { class },
            });
        }
    }
    events.sort_by(|a, b| {
        (a.on, a.group, &a.child, a.kind.code()).cmp(&(b.on, b.group, &b.child, b.kind.code()))
    });

    let mut periods: Vec<Period> = Vec::new();
    let mut breaches: Vec<Breach<K>> = Vec::new();
    let mut open: Vec<usize> = Vec::new();
    let mut next_event = 0;
    let mut day = start;
    loop {
        let first_event = next_event;
        while let Some(event) = events.get(next_event).filter(|e| e.on == day) {
            let class = |c: AgeClass| c.index();
            let group = &mut counts[event.group];
            match event.kind {
                ChildEventKind::Arrives { class: c } => group[class(c)] += 1,
                ChildEventKind::Leaves { class: c } => group[class(c)] -= 1,
                ChildEventKind::ChangesClass { from, to } => {
                    group[class(from)] -= 1;
                    group[class(to)] += 1;
                }
            }
            next_event += 1;
        }
        let to = events
            .get(next_event)
            .and_then(|e| e.on.pred_opt())
            .unwrap_or(end)
            .min(end);
        let period = figures(installation, &counts, day, to);
        let today = breaches_of(installation, &period);
        let mut still_open = Vec::with_capacity(today.len());
        for kind in today {
            match open.iter().find(|&&b| breaches[b].kind == kind) {
                Some(&b) => {
                    breaches[b].to = to;
                    still_open.push(b);
                }
                None => {
                    let causes = events[first_event..next_event]
                        .iter()
                        .filter(|e| kind.is_caused_by(e))
                        .cloned()
                        .collect();
                    breaches.push(Breach {
                        kind,
                        from: day,
                        to,
                        causes,
                    });
                    still_open.push(breaches.len() - 1);
                }
            }
        }
        open = still_open;
        match periods.last_mut() {
            Some(last)
                if last.groups == period.groups && last.installation == period.installation =>
            {
                last.to = to;
            }
            _ => periods.push(period),
        }
        match to.succ_opt() {
            Some(next) if to < end => day = next,
            _ => break,
        }
    }
    breaches.sort_by_key(|b| b.from);
    Ok(Simulation {
        rule_set: rules.id,
        start,
        end,
        permit: *installation.permit(),
        installation_cap: rules.installation_max_children.value,
        periods,
        children,
        events,
        breaches,
    })
}

fn class_counts(counts: &[u32; 4]) -> ClassCounts {
    ClassCounts::from_counts(AgeClass::ALL.map(|c| (c, counts[c.index()])))
}

fn figures(
    installation: &Installation,
    counts: &[[u32; 4]],
    from: NaiveDate,
    to: NaiveDate,
) -> Period {
    let rules = installation.rules();
    let mut all = [0u32; 4];
    let groups = installation
        .groups()
        .iter()
        .zip(counts)
        .map(|(group, counts)| {
            for (total, n) in all.iter_mut().zip(counts) {
                *total += n;
            }
            let children = class_counts(counts);
            GroupFigures {
                children,
                outside_classes: AgeClass::ALL
                    .iter()
                    .filter(|&&c| !group.classes().contains(c))
                    .map(|c| counts[c.index()])
                    .sum(),
                capacity: group.capacity().get(),
                educators_needed: educators_for_counts(children, rules).educators,
                educators_planned: group.educators(),
            }
        })
        .collect();
    let children = class_counts(&all);
    Period {
        from,
        to,
        groups,
        installation: InstallationFigures {
            children,
            educators_needed: educators_for_counts(children, rules).educators,
            educators_planned: installation.educators(),
        },
    }
}

fn breaches_of(installation: &Installation, period: &Period) -> Vec<BreachKind> {
    let mut found = Vec::new();
    for (i, (group, figures)) in installation.groups().iter().zip(&period.groups).enumerate() {
        if figures.educators_needed > u64::from(figures.educators_planned) {
            found.push(BreachKind::GroupRatio {
                group: i,
                educators_needed: figures.educators_needed,
                educators_planned: figures.educators_planned,
            });
        }
        let children = u32::try_from(figures.children.total()).unwrap_or(u32::MAX);
        if children > figures.capacity {
            found.push(BreachKind::GroupCapacity {
                group: i,
                children,
                capacity: figures.capacity,
            });
        }
        for class in AgeClass::ALL {
            let n = figures.children.get(class);
            if n > 0 && !group.classes().contains(class) {
                found.push(BreachKind::GroupAgeClass {
                    group: i,
                    class,
                    children: n,
                });
            }
        }
    }
    let all = &period.installation;
    for class in AgeClass::ALL {
        let places = installation.permit().places(class).get();
        if all.children.get(class) > places {
            found.push(BreachKind::Permit {
                class,
                children: all.children.get(class),
                places,
            });
        }
    }
    let cap = installation.rules().installation_max_children.value;
    if all.children.total() > u64::from(cap) {
        found.push(BreachKind::InstallationCap {
            children: all.children.total(),
            cap,
        });
    }
    if all.educators_needed > all.educators_planned {
        found.push(BreachKind::InstallationRatio {
            educators_needed: all.educators_needed,
            educators_planned: all.educators_planned,
        });
    }
    found
}
