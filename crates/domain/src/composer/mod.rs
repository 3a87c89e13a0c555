//! The group composer: returning children and accepted referrals into next year's groups, so
//! that no ratio, group place, group age class or permit place is broken on any day of the
//! year, with the reason for every child placed and every child left out.
//!
//! # What "best" means
//! Compositions are compared, in this order (each criterion only breaks ties of the ones
//! before):
//! 1. **More children placed.**
//! 2. **The priority order, strictly.** Entrants are put in one order: returning children
//!    first (they already hold a place; by key), then accepted referrals by their referral
//!    rank (then key). Between two compositions placing as many children, the better one is
//!    the one that places the first child (in that order) that only one of them places. So no
//!    lower-ranked child is placed where a higher-ranked one would fit instead: swapping them
//!    would give a better composition.
//! 3. **Returning children kept in their current group** (more is better).
//! 4. **Sibling wishes met**: siblings together or apart as the director chose.
//! 5. Remaining ties are broken by a fixed order of trial (groups in each child's preference
//!    order, children in priority order), so the result never depends on anything but the
//!    input.
//!
//! A **pinned** child is not optimised: it is put in its group first (pins in priority order),
//! or left out with the rule its group would break, and everyone else is composed around it.
//!
//! # How
//! The year is cut into segments on which no child changes (arrivals, departures, age-class
//! changes), and each child becomes its presence and class per segment, so checking whether a
//! child fits a group scans its segments once (`year.rs`). Then:
//! 1. Two greedy passes in priority order: each child into the first group it fits, once in
//!    group order (the **first-fit greedy**, [`first_fit_greedy`]) and once in preference
//!    order (its current group, then its siblings' as wished). The better one is kept, so the
//!    result never places fewer children than the first-fit greedy.
//! 2. **Local improvement**, each move accepted only if it makes the composition better on the
//!    criteria above: insert a child left out; move a placed child to another group to make
//!    room for one left out; replace a lower-ranked child by a higher-ranked one left out (and
//!    put the lower-ranked one back if it still fits somewhere); move returning children back
//!    to their current group and siblings together or apart as wished. Unless its budget runs
//!    out first, this stops only when no child left out can be
//!    inserted, with or without moving one other child, and no child left out can take the
//!    place of a lower-ranked one: criterion 2 holds for every single swap.
//! 3. On instances of at most [`EXACT_SEARCH_LIMIT`] children, a **branch and bound** over
//!    the children in priority order (groups in preference order first, "left out" last),
//!    seeded with the result of step 2 and pruned whenever a branch, even with every child
//!    still undecided placed in its current group and as its siblings wish, could not beat the
//!    best composition so far on criteria 1 to 4. If it finishes within its budgets (nodes and
//!    segments scanned) the result is [`Optimality::Proven`]: no composition is better on
//!    criteria 1 to 4.
//!
//! Every step counts its work (segments scanned, search nodes) against fixed budgets, never a
//! clock, so the same input always gives the same result, on any machine.

mod year;

use std::cmp::Reverse;
use std::collections::HashMap;

use chrono::NaiveDate;
use serde::Serialize;

use crate::age::AgeClass;
use crate::groups::{school_year_end, AgeClassSet, Installation, PlanError, PlannedChild};
use crate::simulator::Placement;
use year::{Limit, Profile, Year};

/// Instances with at most this many children to compose (pins excluded) also get the exact
/// branch and bound.
pub const EXACT_SEARCH_LIMIT: usize = 40;
/// Nodes the branch and bound may visit before it gives up proving.
const SEARCH_NODE_BUDGET: u64 = 200_000;
/// Segments the branch and bound may scan before it gives up proving.
const SEARCH_WORK_BUDGET: u64 = 10_000_000;
/// Segments the local improvement may scan (counted from the start of the composition).
const IMPROVEMENT_WORK_BUDGET: u64 = 40_000_000;

/// Why a child is in the plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EntrantKind {
    /// Already enrolled this year, coming back, maybe in a group now.
    Returning {
        /// Its current group, if the director wants to keep it (position in the
        /// installation).
        current_group: Option<usize>,
    },
    /// A referral the family accepted, with its rank in the referral order (1 first).
    Referral {
        /// Rank in the referral order.
        rank: u32,
    },
}

/// A child to compose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entrant<K> {
    /// The child and its dates.
    pub child: PlannedChild<K>,
    /// Returning child or referral.
    pub kind: EntrantKind,
    /// A group the director pinned the child to.
    pub pinned: Option<usize>,
}

/// The director's wish for two siblings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SiblingWish<K> {
    /// One child.
    pub a: K,
    /// The other.
    pub b: K,
    /// Together in one group (`true`) or in different groups (`false`).
    pub together: bool,
}

/// Why a child is in its group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlacedReason {
    /// The director pinned it there.
    Pinned,
    /// It stays in its current group.
    CurrentGroup,
    /// With its sibling, as wished.
    SiblingTogether,
    /// Apart from its sibling, as wished.
    SiblingApart,
    /// The group has room for it on every day it is present.
    RoomInGroup,
}

impl PlacedReason {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            PlacedReason::Pinned => "pinned",
            PlacedReason::CurrentGroup => "current_group",
            PlacedReason::SiblingTogether => "sibling_together",
            PlacedReason::SiblingApart => "sibling_apart",
            PlacedReason::RoomInGroup => "room_in_group",
        }
    }
}

/// The rule a group would break with one more child.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BlockingRule {
    /// The group may not hold the child's age class on some day.
    GroupAgeClass,
    /// The group's places are all taken.
    GroupCapacity,
    /// The group's educators could not take one more child of this class.
    GroupRatio,
    /// The permit's places for the child's class are all taken.
    Permit {
        /// The class.
        class: AgeClass,
    },
}

impl BlockingRule {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            BlockingRule::GroupAgeClass => "group_age_class",
            BlockingRule::GroupCapacity => "group_capacity",
            BlockingRule::GroupRatio => "group_ratio",
            BlockingRule::Permit { .. } => "permit",
        }
    }
}

/// The first day a group could not take a child, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Blocked {
    /// The group.
    pub group: usize,
    /// The first day the child would break a rule there (its arrival day for a class rule).
    pub on: NaiveDate,
    /// The rule.
    pub rule: BlockingRule,
}

/// Why a child is left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LeftOutReason {
    /// The child is not present on any day of the year (arrives after it or leaves before).
    NotPresentThisYear,
    /// No group may hold every age class the child has during the year.
    NoGroupForAgeClasses {
        /// The child's classes during the year.
        classes: AgeClassSet,
    },
    /// The group it is pinned to cannot take it.
    PinnedGroupCannotTakeIt {
        /// The first day and the rule that stop it there.
        blocked: Blocked,
    },
    /// Every group that may hold it is full on some day, given the children placed before it.
    NoRoom {
        /// For every group that may hold its classes, the first day and the rule.
        blocked: Vec<Blocked>,
    },
}

impl LeftOutReason {
    /// Stable code.
    pub fn code(&self) -> &'static str {
        match self {
            LeftOutReason::NotPresentThisYear => "not_present_this_year",
            LeftOutReason::NoGroupForAgeClasses { .. } => "no_group_for_age_classes",
            LeftOutReason::PinnedGroupCannotTakeIt { .. } => "pinned_group_cannot_take_it",
            LeftOutReason::NoRoom { .. } => "no_room",
        }
    }
}

/// A child placed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Placed<K> {
    /// The child.
    pub child: PlannedChild<K>,
    /// Its group (position in the installation).
    pub group: usize,
    /// Its position in the priority order (1 first).
    pub priority: u32,
    /// Why there.
    pub reason: PlacedReason,
}

/// A child left out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeftOut<K> {
    /// The child.
    pub child: PlannedChild<K>,
    /// Its position in the priority order (1 first).
    pub priority: u32,
    /// Why it has no place.
    pub reason: LeftOutReason,
}

/// Whether the composition is known to be the best.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Optimality {
    /// The exact search finished: no composition places more children, or higher-ranked ones,
    /// or keeps more current groups, or meets more sibling wishes.
    Proven,
    /// The best found within the work budgets; never fewer children than the first-fit
    /// greedy.
    BestFound,
}

/// The composer's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Composition<K> {
    /// The rule set applied.
    pub rule_set: &'static str,
    /// Children placed, in priority order.
    pub placed: Vec<Placed<K>>,
    /// Children left out, in priority order.
    pub left_out: Vec<LeftOut<K>>,
    /// Whether it is proven best.
    pub optimality: Optimality,
}

impl<K: Clone> Composition<K> {
    /// The placements, to simulate the year.
    pub fn placements(&self) -> Vec<Placement<K>> {
        self.placed
            .iter()
            .map(|p| Placement {
                child: p.child.clone(),
                group: p.group,
            })
            .collect()
    }
}

/// Composes `entrants` into the installation's groups for the school year starting `start`.
///
/// Refuses a pin or a current group that does not exist and the same child twice; sibling
/// wishes naming children not in `entrants` are ignored.
pub fn compose<K: Clone + Ord>(
    installation: &Installation,
    entrants: &[Entrant<K>],
    siblings: &[SiblingWish<K>],
    start: NaiveDate,
) -> Result<Composition<K>, PlanError> {
    let mut problem = Problem::new(installation, entrants, siblings, start)?;
    let mut best = problem.greedy(true);
    let first_fit = problem.greedy(false);
    if problem.score(&first_fit) > problem.score(&best) {
        best = first_fit;
    }
    problem.load(&best);
    problem.improve(&mut best);
    let mut optimality = Optimality::BestFound;
    if problem.free.len() <= EXACT_SEARCH_LIMIT {
        problem.load(&problem.pins_only());
        let (found, finished) = problem.search(best);
        best = found;
        if finished {
            optimality = Optimality::Proven;
        }
    }
    problem.load(&best);
    Ok(problem.explain(&best, optimality))
}

/// The baseline the composer is measured against: every child in priority order into the
/// first group (in group order) where it fits on every day, pins first.
pub fn first_fit_greedy<K: Clone + Ord>(
    installation: &Installation,
    entrants: &[Entrant<K>],
    start: NaiveDate,
) -> Result<Vec<Placement<K>>, PlanError> {
    let mut problem = Problem::new(installation, entrants, &[], start)?;
    let assignment = problem.greedy(false);
    Ok(problem
        .order
        .iter()
        .zip(&assignment)
        .filter_map(|(e, g)| {
            g.map(|group| Placement {
                child: e.child.clone(),
                group,
            })
        })
        .collect())
}

/// Group per entrant (in priority order), `None` when left out.
type Assignment = Vec<Option<usize>>;

/// The criteria without the tie-break: placed, who in priority order, current groups kept,
/// sibling wishes met.
type Levels = (usize, Vec<bool>, usize, usize);

/// The criteria, in comparison order (bigger is better).
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Score {
    placed: usize,
    in_priority_order: Vec<bool>,
    current_groups_kept: usize,
    sibling_wishes_met: usize,
    tie_break: Reverse<Vec<usize>>,
}

impl Score {
    fn levels(self) -> Levels {
        (
            self.placed,
            self.in_priority_order,
            self.current_groups_kept,
            self.sibling_wishes_met,
        )
    }
}

struct Problem<'a, K> {
    installation: &'a Installation,
    /// Entrants in priority order.
    order: Vec<&'a Entrant<K>>,
    profiles: Vec<Profile>,
    /// Same profile, same id: what fits one fits the other.
    profile_ids: Vec<usize>,
    /// Entrants the composer decides (not pinned, present, held by some group), in order.
    free: Vec<usize>,
    /// For each entrant, its position in `free`.
    free_position: Vec<Option<usize>>,
    /// Pinned entrants that fit, with their group.
    pins: Vec<(usize, usize)>,
    /// Pinned entrants that do not fit their group, and why.
    failed_pins: Vec<(usize, Blocked)>,
    /// Pairs of entrants (positions in `order`) and whether they should be together.
    wishes: Vec<(usize, usize, bool)>,
    year: Year,
    groups: usize,
}

impl<'a, K: Clone + Ord> Problem<'a, K> {
    fn new(
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

    fn pins_only(&self) -> Assignment {
        let mut assignment = vec![None; self.order.len()];
        for &(i, g) in &self.pins {
            assignment[i] = Some(g);
        }
        assignment
    }

    /// Resets the loads to exactly `assignment`.
    fn load(&mut self, assignment: &Assignment) {
        self.year.clear();
        for (i, g) in assignment.iter().enumerate() {
            if let Some(g) = *g {
                self.year.add(&self.profiles[i], g);
            }
        }
    }

    fn current_group(&self, i: usize) -> Option<usize> {
        match self.order[i].kind {
            EntrantKind::Returning { current_group } => current_group,
            EntrantKind::Referral { .. } => None,
        }
    }

    /// Groups in the order a child would like them: its current group, then with or away
    /// from its siblings as wished, then group order.
    fn preference(&self, i: usize, assignment: &Assignment) -> Vec<usize> {
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
    fn greedy(&mut self, by_preference: bool) -> Assignment {
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

    fn score(&self, assignment: &Assignment) -> Score {
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
    fn optimistic(&self, assignment: &Assignment, depth: usize) -> Levels {
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

    fn budget_left(&self) -> bool {
        self.year.work < IMPROVEMENT_WORK_BUDGET
    }

    /// Local improvement from `assignment`, which must be loaded.
    fn improve(&mut self, assignment: &mut Assignment) {
        // Moving children to their current group or to their siblings can make room for a
        // child left out, so place more again until nothing changes. Every pass makes the
        // composition strictly better, so this ends (or the budget does).
        loop {
            self.place_more(assignment);
            let before = assignment.clone();
            self.keep_current_groups(assignment);
            self.meet_sibling_wishes(assignment);
            if *assignment == before || !self.budget_left() {
                break;
            }
        }
    }

    /// Inserts, makes room for, or swaps in children left out, until none of these moves
    /// works for any of them.
    fn place_more(&mut self, assignment: &mut Assignment) {
        loop {
            let mut improved = false;
            let mut failed: Vec<bool> = vec![false; self.profiles.len()];
            for k in 0..self.free.len() {
                let u = self.free[k];
                if assignment[u].is_some() || failed[self.profile_ids[u]] {
                    continue;
                }
                if !self.budget_left() {
                    break;
                }
                if self.insert(u, assignment)
                    || self.make_room(u, assignment)
                    || self.replace_lower_ranked(u, assignment)
                {
                    improved = true;
                    failed.iter_mut().for_each(|f| *f = false);
                } else {
                    failed[self.profile_ids[u]] = true;
                }
            }
            if !improved || !self.budget_left() {
                break;
            }
        }
    }

    fn insert(&mut self, u: usize, assignment: &mut Assignment) -> bool {
        for g in self.preference(u, assignment) {
            if self.year.fits(&self.profiles[u], g) {
                self.year.add(&self.profiles[u], g);
                assignment[u] = Some(g);
                return true;
            }
        }
        false
    }

    /// Moves one placed child to another group so that `u` fits where it was.
    fn make_room(&mut self, u: usize, assignment: &mut Assignment) -> bool {
        for a in 0..self.groups {
            if !self.year.holds(&self.profiles[u], a) {
                continue;
            }
            let movable: Vec<usize> = self
                .free
                .iter()
                .rev()
                .copied()
                .filter(|&p| assignment[p] == Some(a))
                .collect();
            for p in movable {
                if !self.budget_left() {
                    return false;
                }
                self.year.remove(&self.profiles[p], a);
                if self.year.fits(&self.profiles[u], a) {
                    self.year.add(&self.profiles[u], a);
                    for b in (0..self.groups).filter(|&b| b != a) {
                        if self.year.fits(&self.profiles[p], b) {
                            self.year.add(&self.profiles[p], b);
                            assignment[u] = Some(a);
                            assignment[p] = Some(b);
                            return true;
                        }
                    }
                    self.year.remove(&self.profiles[u], a);
                }
                self.year.add(&self.profiles[p], a);
            }
        }
        false
    }

    /// Replaces a lower-ranked placed child by `u`, then puts the lower-ranked one back if it
    /// still fits somewhere: as many placed, and a higher-ranked child among them.
    fn replace_lower_ranked(&mut self, u: usize, assignment: &mut Assignment) -> bool {
        let lower: Vec<usize> = self
            .free
            .iter()
            .rev()
            .copied()
            .take_while(|&l| l > u)
            .filter(|&l| assignment[l].is_some())
            .collect();
        for l in lower {
            if !self.budget_left() {
                return false;
            }
            let Some(g) = assignment[l] else { continue };
            self.year.remove(&self.profiles[l], g);
            assignment[l] = None;
            if self.insert(u, assignment) {
                self.insert(l, assignment);
                return true;
            }
            self.year.add(&self.profiles[l], g);
            assignment[l] = Some(g);
        }
        false
    }

    /// Moves returning children back to their current group where they fit.
    fn keep_current_groups(&mut self, assignment: &mut Assignment) {
        for k in 0..self.free.len() {
            let i = self.free[k];
            let (Some(now), Some(current)) = (assignment[i], self.current_group(i)) else {
                continue;
            };
            if now == current || !self.year.holds(&self.profiles[i], current) {
                continue;
            }
            self.year.remove(&self.profiles[i], now);
            let target = if self.year.fits(&self.profiles[i], current) {
                current
            } else {
                now
            };
            self.year.add(&self.profiles[i], target);
            assignment[i] = Some(target);
        }
    }

    /// Moves a sibling to meet a wish, when the move keeps everything else as good.
    fn meet_sibling_wishes(&mut self, assignment: &mut Assignment) {
        for w in 0..self.wishes.len() {
            let (a, b, together) = self.wishes[w];
            for (mover, other) in [(b, a), (a, b)] {
                let (Some(from), Some(other_group)) = (assignment[mover], assignment[other]) else {
                    break;
                };
                if (from == other_group) == together {
                    break;
                }
                if self.free_position[mover].is_none() || self.current_group(mover) == Some(from) {
                    continue;
                }
                let targets: Vec<usize> = if together {
                    vec![other_group]
                } else {
                    (0..self.groups).filter(|&g| g != other_group).collect()
                };
                let before = self.score(assignment);
                self.year.remove(&self.profiles[mover], from);
                let mut moved = false;
                for g in targets {
                    if self.year.fits(&self.profiles[mover], g) {
                        let mut trial = assignment.clone();
                        trial[mover] = Some(g);
                        if self.score(&trial) > before {
                            self.year.add(&self.profiles[mover], g);
                            *assignment = trial;
                            moved = true;
                            break;
                        }
                    }
                }
                if moved {
                    break;
                }
                self.year.add(&self.profiles[mover], from);
            }
        }
    }

    /// Branch and bound from the pins (loaded), seeded with `incumbent`: the best found, and
    /// whether the search finished within its budgets (so that it is the best there is).
    fn search(&mut self, incumbent: Assignment) -> (Assignment, bool) {
        let mut search = Search {
            best_placed: incumbent.iter().filter(|g| g.is_some()).count() - self.pins.len(),
            best_levels: self.score(&incumbent).levels(),
            best: incumbent,
            current: self.pins_only(),
            nodes: 0,
            work_limit: self.year.work.saturating_add(SEARCH_WORK_BUDGET),
            aborted: false,
        };
        self.branch(&mut search, 0, 0);
        (search.best, !search.aborted)
    }

    fn branch(&mut self, s: &mut Search, depth: usize, placed: usize) {
        s.nodes += 1;
        if s.nodes > SEARCH_NODE_BUDGET || self.year.work > s.work_limit {
            s.aborted = true;
        }
        if s.aborted {
            return;
        }
        let remaining = self.free.len() - depth;
        if placed + remaining < s.best_placed {
            return;
        }
        // The best this branch could still reach on every criterion but the tie-break: if
        // that is no better than what we have, nothing below can be.
        if self.optimistic(&s.current, depth) <= s.best_levels {
            return;
        }
        let Some(&i) = self.free.get(depth) else {
            let levels = self.score(&s.current).levels();
            if levels > s.best_levels {
                s.best_levels = levels;
                s.best = s.current.clone();
                s.best_placed = placed;
            }
            return;
        };
        for g in self.preference(i, &s.current) {
            if self.year.fits(&self.profiles[i], g) {
                self.year.add(&self.profiles[i], g);
                s.current[i] = Some(g);
                self.branch(s, depth + 1, placed + 1);
                s.current[i] = None;
                self.year.remove(&self.profiles[i], g);
                if s.aborted {
                    return;
                }
            }
        }
        self.branch(s, depth + 1, placed);
    }

    fn blocked(&mut self, i: usize, g: usize) -> Option<Blocked> {
        blocked(&mut self.year, self.installation, &self.profiles[i], g)
    }

    /// The composition with its reasons; `assignment` must be loaded.
    fn explain(&mut self, assignment: &Assignment, optimality: Optimality) -> Composition<K> {
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

struct Search {
    best: Assignment,
    best_levels: Levels,
    best_placed: usize,
    current: Assignment,
    nodes: u64,
    /// `Year::work` at which to give up.
    work_limit: u64,
    aborted: bool,
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
