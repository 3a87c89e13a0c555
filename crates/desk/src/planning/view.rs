//! The plan as the June screen draws it: group columns with every child's first day, age class
//! and reason, the children left out with the rule each group would break, the occupancy
//! chart's series and the places left. Groups are named (the screen has no positions); codes
//! are for the UI to translate; dates are ISO 8601.

use chrono::NaiveDate;
use placeforte_domain::{
    age_class, occupancy_series, AgeClass, Blocked, BlockingRule, Installation, LeftOutReason,
    Optimality, PlacedReason, PlannedChild, SeriesSubject,
};
use serde::Serialize;

use crate::planning::{BreachView, Plan, PlanChildKey};

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// A child in a group column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlacedView {
    /// The plan key.
    pub key: PlanChildKey,
    /// Given name and family initial.
    pub label: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Age class on its first day in the group.
    pub age_class: Option<AgeClass>,
    /// First day in the group: the year's first day, or its arrival if later.
    pub arrival: NaiveDate,
    /// Last day, if it leaves.
    pub departure: Option<NaiveDate>,
    /// Position in the priority order.
    pub priority: u32,
    /// Why here.
    pub reason: PlacedReason,
    /// Whether it comes from an accepted referral.
    pub referral: bool,
}

/// The rule a group would break: the domain's [`BlockingRule`] without its figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum BlockingCode {
    /// The group may not hold the child's age class.
    GroupAgeClass,
    /// No place left.
    GroupCapacity,
    /// Not enough educators.
    GroupRatio,
    /// The permit's places for the class are taken.
    Permit,
}

impl From<BlockingRule> for BlockingCode {
    fn from(rule: BlockingRule) -> Self {
        match rule {
            BlockingRule::GroupAgeClass => BlockingCode::GroupAgeClass,
            BlockingRule::GroupCapacity => BlockingCode::GroupCapacity,
            BlockingRule::GroupRatio => BlockingCode::GroupRatio,
            BlockingRule::Permit { .. } => BlockingCode::Permit,
        }
    }
}

/// Why one group could not take a child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BlockedView {
    /// The group's name.
    pub group: String,
    /// The first day it would break the rule.
    pub on: NaiveDate,
    /// The rule.
    pub rule: BlockingCode,
}

/// Why a child is left out: the domain's [`LeftOutReason`], its details beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum LeftOutCode {
    /// Not present on any day of the year.
    NotPresentThisYear,
    /// No group may hold its age classes.
    NoGroupForAgeClasses,
    /// Its pinned group cannot take it.
    PinnedGroupCannotTakeIt,
    /// Every group that may hold it is full on some day.
    NoRoom,
}

/// A child left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LeftOutView {
    /// The plan key.
    pub key: PlanChildKey,
    /// The child's label (given name and family initial, as imported or referred).
    pub label: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Position in the priority order.
    pub priority: u32,
    /// Why the composer left the child out.
    pub reason: LeftOutCode,
    /// Its age classes over the year, for `no_group_for_age_classes`.
    pub classes: Vec<AgeClass>,
    /// For each group that could hold it, the first day and the rule.
    pub blocked: Vec<BlockedView>,
    /// For a child pinned to a group that cannot take it (a refused pin): what that group
    /// would break with it, with the figures and the children who cause it.
    pub breaches: Vec<BreachView>,
}

/// One group column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlanGroupView {
    /// The group's name, as the director typed it.
    pub name: String,
    /// Age classes it may hold.
    pub classes: Vec<AgeClass>,
    /// The most children the group may hold at once.
    pub capacity: u32,
    /// Educators planned.
    pub educators: u32,
    /// Its children, by label.
    pub children: Vec<PlacedView>,
}

/// What a series charts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum SubjectView {
    /// A group.
    Group {
        /// Its name.
        name: String,
    },
    /// An age class of the installation.
    AgeClass {
        /// The class.
        class: AgeClass,
    },
}

/// Days with the same figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct StepView {
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Children present.
    pub planned: u32,
    /// Places permitted.
    pub permitted: u32,
    /// Days of the step with a breach.
    pub breach_days: u32,
}

/// One line of the occupancy chart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SeriesView {
    /// What it charts.
    pub subject: SubjectView,
    /// Its steps over the year.
    pub steps: Vec<StepView>,
}

/// Places of a class the plan leaves from a day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlanVacancyView {
    /// The class.
    pub age_class: AgeClass,
    /// First day.
    pub start_date: NaiveDate,
    /// How many places of that class stay free from that day.
    pub places: u32,
}

/// A sibling wish of the director, and whether the composition meets it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SiblingWishView {
    /// One child (the first of the pair in text order).
    pub a: PlanChildKey,
    /// Its label.
    pub a_label: String,
    /// The other child.
    pub b: PlanChildKey,
    /// Its label.
    pub b_label: String,
    /// Together in one group, or in different groups.
    pub together: bool,
    /// Whether the composition does so (both placed, in one group or not as wished).
    pub met: bool,
}

/// The composer's answer, as the screen draws it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PlanView {
    /// First day planned.
    pub start: NaiveDate,
    /// Last day (end of the school year).
    pub end: NaiveDate,
    /// The rule set applied.
    pub rule_set: String,
    /// Proven best or best found.
    pub optimality: Optimality,
    /// The group columns, in the installation's order.
    pub groups: Vec<PlanGroupView>,
    /// Children left out, in priority order.
    pub left_out: Vec<LeftOutView>,
    /// The occupancy chart: every group, then every age class.
    pub series: Vec<SeriesView>,
    /// The places left to declare.
    pub vacancies: Vec<PlanVacancyView>,
    /// The director's sibling wishes the composer weighed.
    pub siblings: Vec<SiblingWishView>,
}

fn group_name(installation: &Installation, group: usize) -> Option<String> {
    installation
        .groups()
        .get(group)
        .map(|g| g.name().to_owned())
}

impl Plan {
    /// The plan as group columns, left-out list, chart series and places left.
    pub fn view(&self) -> PlanView {
        let installation = &self.inputs.installation;
        let label = |child: &PlannedChild<PlanChildKey>| {
            self.inputs
                .labels
                .get(child.key())
                .cloned()
                .unwrap_or_default()
        };
        let named = |g: usize| group_name(installation, g).unwrap_or_default();
        let mut groups: Vec<PlanGroupView> = installation
            .groups()
            .iter()
            .map(|g| PlanGroupView {
                name: g.name().to_owned(),
                classes: g.classes().iter().collect(),
                capacity: g.capacity().get(),
                educators: g.educators(),
                children: Vec::new(),
            })
            .collect();
        for placed in &self.composition.placed {
            let child = &placed.child;
            let first_day = self.inputs.start.max(child.arrival());
            let view = PlacedView {
                key: *child.key(),
                label: label(child),
                birth_date: child.birth().date(),
                age_class: age_class(child.birth(), first_day, installation.rules()).ok(),
                arrival: first_day,
                departure: child.departure(),
                priority: placed.priority,
                reason: placed.reason,
                referral: child.key().is_referral(),
            };
            if let Some(column) = groups.get_mut(placed.group) {
                column.children.push(view);
            }
        }
        for column in &mut groups {
            column.children.sort_by(|a, b| a.label.cmp(&b.label));
        }
        let blocked = |b: &Blocked| BlockedView {
            group: named(b.group),
            on: b.on,
            rule: b.rule.into(),
        };
        let left_out = self
            .composition
            .left_out
            .iter()
            .map(|left| {
                let (reason, classes, blocks) = match &left.reason {
                    LeftOutReason::NotPresentThisYear => {
                        (LeftOutCode::NotPresentThisYear, vec![], vec![])
                    }
                    LeftOutReason::NoGroupForAgeClasses { classes } => (
                        LeftOutCode::NoGroupForAgeClasses,
                        classes.iter().collect(),
                        vec![],
                    ),
                    LeftOutReason::PinnedGroupCannotTakeIt { blocked: b } => (
                        LeftOutCode::PinnedGroupCannotTakeIt,
                        vec![],
                        vec![blocked(b)],
                    ),
                    LeftOutReason::NoRoom { blocked: all } => (
                        LeftOutCode::NoRoom,
                        vec![],
                        all.iter().map(blocked).collect(),
                    ),
                };
                let key = left.child.key();
                let breaches = match &left.reason {
                    // The simulator's word on the pin, as for a move it judges.
                    LeftOutReason::PinnedGroupCannotTakeIt { blocked: b } => {
                        self.check_move_view(key, b.group).unwrap_or_default()
                    }
                    _ => Vec::new(),
                };
                LeftOutView {
                    key: *key,
                    label: label(&left.child),
                    birth_date: left.child.birth().date(),
                    priority: left.priority,
                    reason,
                    classes,
                    blocked: blocks,
                    breaches,
                }
            })
            .collect();
        let series = occupancy_series(&self.simulation)
            .into_iter()
            .map(|s| SeriesView {
                subject: match s.subject {
                    SeriesSubject::Group { group } => SubjectView::Group { name: named(group) },
                    SeriesSubject::AgeClass { class } => SubjectView::AgeClass { class },
                },
                steps: s
                    .steps
                    .iter()
                    .map(|step| StepView {
                        from: step.from,
                        to: step.to,
                        planned: count(step.planned),
                        permitted: count(step.permitted),
                        breach_days: step.breach_days,
                    })
                    .collect(),
            })
            .collect();
        let group_of = |key: &PlanChildKey| {
            self.composition
                .placed
                .iter()
                .find(|p| p.child.key() == key)
                .map(|p| p.group)
        };
        let siblings = self
            .inputs
            .siblings
            .iter()
            .map(|w| SiblingWishView {
                a: w.a,
                a_label: self.label(&w.a),
                b: w.b,
                b_label: self.label(&w.b),
                together: w.together,
                met: match (group_of(&w.a), group_of(&w.b)) {
                    (Some(a), Some(b)) => (a == b) == w.together,
                    _ => false,
                },
            })
            .collect();
        PlanView {
            start: self.simulation.start,
            end: self.simulation.end,
            rule_set: self.composition.rule_set.to_owned(),
            optimality: self.composition.optimality,
            groups,
            left_out,
            series,
            vacancies: self
                .vacancies()
                .into_iter()
                .map(|v| PlanVacancyView {
                    age_class: v.class,
                    start_date: v.from,
                    places: v.places,
                })
                .collect(),
            siblings,
        }
    }

    /// The breaches a move would add ([`Plan::check_move`]), with their groups named.
    pub fn check_move_view(
        &self,
        key: &PlanChildKey,
        group: usize,
    ) -> Result<Vec<BreachView>, crate::DeskError> {
        let installation = &self.inputs.installation;
        Ok(self
            .check_move(key, group)?
            .iter()
            .map(|b| BreachView::new(b, installation, |k| self.label(k), Some(key)))
            .collect())
    }

    /// A child's label (empty for a key the plan does not have).
    pub fn label(&self, key: &PlanChildKey) -> String {
        self.inputs.labels.get(key).cloned().unwrap_or_default()
    }
}
