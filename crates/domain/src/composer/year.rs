//! The composer's compact view of the year: days cut into segments on which no child changes,
//! each child as the segments it is present on and its class there, and the loads every
//! placement puts on the groups and the permit, so a "does this child fit here" question is
//! answered by scanning the child's segments once.

use chrono::{Days, NaiveDate};

use crate::age::AgeClass;
use crate::groups::{AgeClassSet, Installation, PlannedChild};
use crate::ratio::lcm;
use crate::timeline::Timeline;

/// The rule a placement would break first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Limit {
    GroupCapacity,
    GroupRatio,
    Permit(AgeClass),
}

/// A child's presence: `(first segment, segment after the last, class)` runs.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Profile {
    pub(crate) runs: Vec<(usize, usize, AgeClass)>,
    pub(crate) classes: AgeClassSet,
}

/// Segments, limits and the current loads.
#[derive(Debug, Clone)]
pub(crate) struct Year {
    /// First day of each segment.
    pub(crate) segment_starts: Vec<NaiveDate>,
    /// Share of an educator per child of each class, in 1/`denominator`.
    weight: [u64; 4],
    group_weight_limit: Vec<u64>,
    group_capacity: Vec<u32>,
    group_classes: Vec<AgeClassSet>,
    permit: [u32; 4],
    group_weight: Vec<Vec<u64>>,
    group_children: Vec<Vec<u32>>,
    class_children: [Vec<u32>; 4],
    /// Segments scanned so far: the deterministic measure of work the budget counts.
    pub(crate) work: u64,
}

impl Year {
    /// The year from `start` to `end` for these children, with nobody placed yet.
    pub(crate) fn new<K>(
        installation: &Installation,
        children: &[&PlannedChild<K>],
        start: NaiveDate,
        end: NaiveDate,
    ) -> (Year, Vec<Profile>) {
        let rules = installation.rules();
        let timelines: Vec<Timeline> = children
            .iter()
            .map(|c| Timeline::of(c, start, end, rules))
            .collect();
        let mut starts = vec![start];
        for t in &timelines {
            for (from, to, _) in t.spans() {
                starts.push(from);
                if to < end {
                    starts.push(to + Days::new(1));
                }
            }
        }
        starts.sort_unstable();
        starts.dedup();
        let segment = |day: NaiveDate| starts.partition_point(|&s| s < day);
        let after = |day: NaiveDate| {
            if day >= end {
                starts.len()
            } else {
                segment(day + Days::new(1))
            }
        };
        let profiles = timelines
            .iter()
            .map(|t| {
                let runs: Vec<_> = t
                    .spans()
                    .map(|(from, to, class)| (segment(from), after(to), class))
                    .collect();
                let classes = AgeClassSet::of(&runs.iter().map(|r| r.2).collect::<Vec<AgeClass>>());
                Profile { runs, classes }
            })
            .collect();

        let ratios = AgeClass::ALL.map(|c| u64::from(rules.ratios.for_class(c).value.max(1)));
        let denominator = ratios.iter().fold(1u64, |acc, &r| lcm(acc, r));
        let groups = installation.groups();
        let n = starts.len();
        let year = Year {
            weight: ratios.map(|r| denominator / r),
            group_weight_limit: groups
                .iter()
                .map(|g| u64::from(g.educators()) * denominator)
                .collect(),
            group_capacity: groups.iter().map(|g| g.capacity().get()).collect(),
            group_classes: groups.iter().map(|g| g.classes()).collect(),
            permit: AgeClass::ALL.map(|c| installation.permit().places(c).get()),
            group_weight: vec![vec![0; n]; groups.len()],
            group_children: vec![vec![0; n]; groups.len()],
            class_children: std::array::from_fn(|_| vec![0; n]),
            segment_starts: starts,
            work: 0,
        };
        (year, profiles)
    }

    /// Takes every child out.
    pub(crate) fn clear(&mut self) {
        for loads in &mut self.group_weight {
            loads.fill(0);
        }
        for loads in &mut self.group_children {
            loads.fill(0);
        }
        for loads in &mut self.class_children {
            loads.fill(0);
        }
    }

    /// Whether group `g` may hold every class the child has during the year.
    pub(crate) fn holds(&self, profile: &Profile, g: usize) -> bool {
        profile
            .classes
            .iter()
            .all(|c| self.group_classes[g].contains(c))
    }

    /// The first segment and rule that placing the child in group `g` would break, if any.
    /// The caller checks [`Year::holds`] first.
    pub(crate) fn first_block(&mut self, profile: &Profile, g: usize) -> Option<(usize, Limit)> {
        let weight_limit = self.group_weight_limit[g];
        let capacity = self.group_capacity[g];
        for &(from, to, class) in &profile.runs {
            self.work += (to - from) as u64;
            let w = self.weight[class.index()];
            let permit = self.permit[class.index()];
            let weights = &self.group_weight[g][from..to];
            let children = &self.group_children[g][from..to];
            let in_class = &self.class_children[class.index()][from..to];
            for (i, ((&gw, &gc), &cc)) in weights.iter().zip(children).zip(in_class).enumerate() {
                if gc >= capacity {
                    return Some((from + i, Limit::GroupCapacity));
                }
                if gw + w > weight_limit {
                    return Some((from + i, Limit::GroupRatio));
                }
                if cc >= permit {
                    return Some((from + i, Limit::Permit(class)));
                }
            }
        }
        None
    }

    /// Whether the child fits in group `g` on every day.
    pub(crate) fn fits(&mut self, profile: &Profile, g: usize) -> bool {
        self.holds(profile, g) && self.first_block(profile, g).is_none()
    }

    /// Puts the child in group `g`.
    pub(crate) fn add(&mut self, profile: &Profile, g: usize) {
        self.apply(profile, g, true);
    }

    /// Takes the child out of group `g`.
    pub(crate) fn remove(&mut self, profile: &Profile, g: usize) {
        self.apply(profile, g, false);
    }

    fn apply(&mut self, profile: &Profile, g: usize, add: bool) {
        for &(from, to, class) in &profile.runs {
            self.work += (to - from) as u64;
            let w = self.weight[class.index()];
            for s in from..to {
                if add {
                    self.group_weight[g][s] += w;
                    self.group_children[g][s] += 1;
                    self.class_children[class.index()][s] += 1;
                } else {
                    self.group_weight[g][s] -= w;
                    self.group_children[g][s] -= 1;
                    self.class_children[class.index()][s] -= 1;
                }
            }
        }
    }
}
