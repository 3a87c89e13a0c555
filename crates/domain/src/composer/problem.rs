//! The composition problem: entrants in priority order with their segment profiles, pins,
//! sibling wishes and the year's loads; the greedy passes, the score that orders compositions,
//! and the reasons given for the result. Local improvement is in `improve.rs`, the branch and
//! bound in `search.rs`.

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::NaiveDate;

use super::year::{Limit, Profile, Year};
use super::{
    Blocked, BlockingRule, Composition, Entrant, EntrantKind, LeftOut, LeftOutReason, Optimality,
    Placed, PlacedReason, SiblingWish,
};
use crate::groups::{school_year_end, Installation, PlanError, PlannedChild};

/// Group per entrant (in priority order), `None` when left out.
pub(super) type Assignment = Vec<Option<usize>>;

/// The criteria without the tie-break: placed, who in priority order, current groups kept,
/// sibling wishes met.
pub(super) type Levels = (usize, Vec<bool>, usize, usize);

/// The criteria, in comparison order (bigger is better).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) struct Score {
    placed: usize,
    in_priority_order: Vec<bool>,
    current_groups_kept: usize,
    sibling_wishes_met: usize,
    tie_break: Reverse<Vec<usize>>,
}

impl Score {
    pub(super) fn levels(self) -> Levels {
        (
            self.placed,
            self.in_priority_order,
            self.current_groups_kept,
            self.sibling_wishes_met,
        )
    }
}

pub(super) struct Problem<'a, K> {
    installation: &'a Installation,
    /// Entrants in priority order.
    pub(super) order: Vec<&'a Entrant<K>>,
    pub(super) profiles: Vec<Profile>,
    /// Same profile, same id: what fits one fits the other.
    pub(super) profile_ids: Vec<usize>,
    /// Entrants the composer decides (not pinned, present, held by some group), in order.
    pub(super) free: Vec<usize>,
    /// For each entrant, its position in `free`.
    pub(super) free_position: Vec<Option<usize>>,
    /// Pinned entrants that fit, with their group.
    pub(super) pins: Vec<(usize, usize)>,
    /// Pinned entrants that do not fit their group, and why.
    failed_pins: Vec<(usize, Blocked)>,
    /// Pairs of entrants (positions in `order`) and whether they should be together.
    pub(super) wishes: Vec<(usize, usize, bool)>,
    pub(super) year: Year,
    pub(super) groups: usize,
}

impl<'a, K: Clone + Ord> Problem<'a, K> {
    pub(super) fn new(
        installation: &'a Installation,
        entrants: &'a [Entrant<K>],
        siblings: &[SiblingWish<K>],
        start: NaiveDate,
    ) -> Result<Self, PlanError> {
        let groups = installation.groups().len();
        for e in entrants {
            let current = match e.kind {
                EntrantKind::Returning { current_group } => current_group,
                EntrantKind::Referral { .. } => None,
            };
            if let Some(g) = e.pinned.into_iter().chain(current).find(|&g| g >= groups) {
                return Err(PlanError::UnknownGroup(g));
            }
        }
        let mut order: Vec<&Entrant<K>> = entrants.iter().collect();
        order.sort_by(|a, b| priority_key(a).cmp(&priority_key(b)));
        if has_duplicate_keys(&order) {
            return Err(PlanError::DuplicateChild);
        }
        let end = school_year_end(start, installation.rules());
        let children: Vec<&PlannedChild<K>> = order.iter().map(|e| &e.child).collect();
        let (mut year, profiles) = Year::new(installation, &children, start, end);

        let mut ids: HashMap<&Profile, usize> = HashMap::new();
        let profile_ids = profiles
            .iter()
            .map(|p| {
                let next = ids.len();
                *ids.entry(p).or_insert(next)
            })
            .collect();

        let mut free = Vec::new();
        let mut pins = Vec::new();
        let mut failed_pins = Vec::new();
        for (i, e) in order.iter().enumerate() {
            let profile = &profiles[i];
            if profile.runs.is_empty() {
                continue;
            }
            match e.pinned {
                Some(g) => match blocked(&mut year, installation, profile, g) {
                    None => {
                        year.add(profile, g);
                        pins.push((i, g));
                    }
                    Some(b) => failed_pins.push((i, b)),
                },
                None if (0..groups).any(|g| year.holds(profile, g)) => free.push(i),
                None => {}
            }
        }
        let mut free_position = vec![None; order.len()];
        for (k, &i) in free.iter().enumerate() {
            free_position[i] = Some(k);
        }
        let position = |key: &K| order.iter().position(|e| e.child.key() == key);
        let wishes = siblings
            .iter()
            .filter_map(|w| Some((position(&w.a)?, position(&w.b)?, w.together)))
            .filter(|(a, b, _)| a != b)
            .collect();
        Ok(Problem {
            installation,
            order,
            profiles,
            profile_ids,
            free,
            free_position,
            pins,
            failed_pins,
            wishes,
            year,
            groups,
        })
    }

    pub(super) fn pins_only(&self) -> Assignment {
        let mut assignment = vec![None; self.order.len()];
        for &(i, g) in &self.pins {
            assignment[i] = Some(g);
        }
        assignment
    }

    /// Resets the loads to exactly `assignment`.
    pub(super) fn load(&mut self, assignment: &Assignment) {
        self.year.clear();
        for (i, g) in assignment.iter().enumerate() {
            if let Some(g) = *g {
                self.year.add(&self.profiles[i], g);
            }
        }
    }

    pub(super) fn current_group(&self, i: usize) -> Option<usize> {
        match self.order[i].kind {
            EntrantKind::Returning { current_group } => current_group,
            EntrantKind::Referral { .. } => None,
        }
    }

    /// Groups in the order a child would like them: its current group, then with or away
    /// from its siblings as wished, then group order.
    pub(super) fn preference(&self, i: usize, assignment: &Assignment) -> Vec<usize> {
        let mut groups: Vec<usize> = (0..self.groups).collect();
        let rank = |g: usize| {
            if self.current_group(i) == Some(g) {
                return 0;
            }
            let mut rank = 2;
            for &(a, b, together) in &self.wishes {
                let other = if a == i {
                    b
                } else if b == i {
                    a
                } else {
                    continue;
                };
                if assignment[other] == Some(g) {
                    rank = if together { 1 } else { 3 };
                }
            }
            rank
        };
        groups.sort_by_key(|&g| (rank(g), g));
        groups
    }

    /// One greedy pass from the pins: in priority order, each child into the first group it
    /// fits, in preference order (`by_preference`) or group order.
    pub(super) fn greedy(&mut self, by_preference: bool) -> Assignment {
        let mut assignment = self.pins_only();
        self.load(&assignment);
        for k in 0..self.free.len() {
            let i = self.free[k];
            let groups = if by_preference {
                self.preference(i, &assignment)
            } else {
                (0..self.groups).collect()
            };
            for g in groups {
                if self.year.fits(&self.profiles[i], g) {
                    self.year.add(&self.profiles[i], g);
                    assignment[i] = Some(g);
                    break;
                }
            }
        }
        assignment
    }

    pub(super) fn score(&self, assignment: &Assignment) -> Score {
        let kept = (0..self.order.len())
            .filter(|&i| self.current_group(i).is_some() && self.current_group(i) == assignment[i])
            .count();
        Score {
            placed: assignment.iter().filter(|g| g.is_some()).count(),
            in_priority_order: assignment.iter().map(Option::is_some).collect(),
            current_groups_kept: kept,
            sibling_wishes_met: self.wishes_met(assignment),
            tie_break: Reverse(assignment.iter().map(|g| g.unwrap_or(usize::MAX)).collect()),
        }
    }

    /// The criteria (without the tie-break) if every child after `depth` in `free` were placed
    /// in its current group and with its siblings as wished: an upper bound for the branch.
    pub(super) fn optimistic(&self, assignment: &Assignment, depth: usize) -> Levels {
        let open = |i: usize| self.free_position[i].is_some_and(|k| k >= depth);
        let in_priority_order: Vec<bool> = (0..self.order.len())
            .map(|i| assignment[i].is_some() || open(i))
            .collect();
        let kept = (0..self.order.len())
            .filter(|&i| match self.current_group(i) {
                Some(g) => {
                    assignment[i] == Some(g) || (open(i) && self.year.holds(&self.profiles[i], g))
                }
                None => false,
            })
            .count();
        let met = self
            .wishes
            .iter()
            .filter(|&&(a, b, together)| {
                open(a)
                    || open(b)
                    || match (assignment[a], assignment[b]) {
                        (Some(ga), Some(gb)) => (ga == gb) == together,
                        _ => false,
                    }
            })
            .count();
        (
            in_priority_order.iter().filter(|&&p| p).count(),
            in_priority_order,
            kept,
            met,
        )
    }

    fn wishes_met(&self, assignment: &Assignment) -> usize {
        self.wishes
            .iter()
            .filter(|&&(a, b, together)| match (assignment[a], assignment[b]) {
                (Some(ga), Some(gb)) => (ga == gb) == together,
                _ => false,
            })
            .count()
    }

    fn blocked(&mut self, i: usize, g: usize) -> Option<Blocked> {
        blocked(&mut self.year, self.installation, &self.profiles[i], g)
    }

    /// The composition with its reasons; `assignment` must be loaded.
    pub(super) fn explain(
        &mut self,
        assignment: &Assignment,
        optimality: Optimality,
    ) -> Composition<K> {
        let mut placed = Vec::new();
        let mut left_out = Vec::new();
        for i in 0..self.order.len() {
            let entrant = self.order[i];
            let priority = u32::try_from(i + 1).unwrap_or(u32::MAX);
            let child = entrant.child.clone();
            if let Some(group) = assignment[i] {
                let sibling = self.wishes.iter().find_map(|&(a, b, together)| {
                    let other = if a == i {
                        b
                    } else if b == i {
                        a
                    } else {
                        return None;
                    };
                    let met = assignment[other].is_some_and(|g| (g == group) == together);
                    met.then_some(together)
                });
                let reason = if entrant.pinned.is_some() {
                    PlacedReason::Pinned
                } else if self.current_group(i) == Some(group) {
                    PlacedReason::CurrentGroup
                } else {
                    match sibling {
                        Some(true) => PlacedReason::SiblingTogether,
                        Some(false) => PlacedReason::SiblingApart,
                        None => PlacedReason::RoomInGroup,
                    }
                };
                placed.push(Placed {
                    child,
                    group,
                    priority,
                    reason,
                });
                continue;
            }
            let profile = &self.profiles[i];
            let reason = if profile.runs.is_empty() {
                LeftOutReason::NotPresentThisYear
            } else if let Some(&(_, blocked)) = self.failed_pins.iter().find(|(p, _)| *p == i) {
                LeftOutReason::PinnedGroupCannotTakeIt { blocked }
            } else if !(0..self.groups).any(|g| self.year.holds(profile, g)) {
                LeftOutReason::NoGroupForAgeClasses {
                    classes: profile.classes,
                }
            } else {
                let mut blocked = Vec::new();
                for g in 0..self.groups {
                    if self.year.holds(&self.profiles[i], g) {
                        blocked.extend(self.blocked(i, g));
                    }
                }
                LeftOutReason::NoRoom { blocked }
            };
            left_out.push(LeftOut {
                child,
                priority,
                reason,
            });
        }
        Composition {
            rule_set: self.installation.rules().id,
            placed,
            left_out,
            optimality,
        }
    }
}

/// The first day and rule that putting the child in group `g` would break, if any.
fn blocked(
    year: &mut Year,
    installation: &Installation,
    profile: &Profile,
    g: usize,
) -> Option<Blocked> {
    if !year.holds(profile, g) {
        let first = profile
            .runs
            .iter()
            .find(|r| !installation.groups()[g].classes().contains(r.2))
            .map_or(0, |r| r.0);
        return Some(Blocked {
            group: g,
            on: year.segment_starts[first],
            rule: BlockingRule::GroupAgeClass,
        });
    }
    let (segment, limit) = year.first_block(profile, g)?;
    Some(Blocked {
        group: g,
        on: year.segment_starts[segment],
        rule: match limit {
            Limit::GroupCapacity => BlockingRule::GroupCapacity,
            Limit::GroupRatio => BlockingRule::GroupRatio,
            Limit::Permit(class) => BlockingRule::Permit { class },
        },
    })
}

fn priority_key<K: Ord>(e: &Entrant<K>) -> (u8, u32, &K) {
    match e.kind {
        EntrantKind::Returning { .. } => (0, 0, e.child.key()),
        EntrantKind::Referral { rank } => (1, rank, e.child.key()),
    }
}

fn has_duplicate_keys<K: Ord>(order: &[&Entrant<K>]) -> bool {
    let mut keys: Vec<&K> = order.iter().map(|e| e.child.key()).collect();
    keys.sort();
    keys.windows(2).any(|w| w[0] == w[1])
}
