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
//! child fits a group scans its segments once (`year.rs`; the problem, its greedy passes, score
//! and reasons are in `problem.rs`). Then:
//! 1. Two greedy passes in priority order: each child into the first group it fits, once in
//!    group order (the **first-fit greedy**, [`first_fit_greedy`]) and once in preference
//!    order (its current group, then its siblings' as wished). The better one is kept, so the
//!    result never places fewer children than the first-fit greedy.
//! 2. **Local improvement** (`improve.rs`), each move accepted only if it makes the composition
//!    better on the criteria above: insert a child left out; move a placed child to another
//!    group to make room for one left out; replace a lower-ranked child by a higher-ranked one
//!    left out (and put the lower-ranked one back if it still fits somewhere); move returning
//!    children back to their current group and siblings together or apart as wished. Unless its
//!    budget runs out first, this stops only when no child left out can be inserted, with or
//!    without moving one other child, and no child left out can take the place of a
//!    lower-ranked one: criterion 2 holds for every single swap.
//! 3. On instances of at most [`EXACT_SEARCH_LIMIT`] children, a **branch and bound**
//!    (`search.rs`) over the children in priority order (groups in preference order first,
//!    "left out" last), seeded with the result of step 2 and pruned whenever a branch, even
//!    with every child still undecided placed in its current group and as its siblings wish,
//!    could not beat the best composition so far on criteria 1 to 4. If it finishes within its
//!    budgets (nodes and segments scanned) the result is [`Optimality::Proven`]: no composition
//!    is better on criteria 1 to 4.
//!
//! Every step counts its work (segments scanned, search nodes) against fixed budgets, never a
//! clock, so the same input always gives the same result, on any machine.

mod improve;
mod problem;
mod search;
mod year;

use chrono::NaiveDate;
use serde::Serialize;

use crate::age::AgeClass;
use crate::groups::{AgeClassSet, Installation, PlanError, PlannedChild};
use crate::simulator::Placement;
use problem::Problem;

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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
#[cfg_attr(feature = "specta", derive(specta::Type))]
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
