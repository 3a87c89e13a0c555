//! A rule the year would break, as the screen shows it: the simulator's breach with its group
//! named, its figures (what is found, what is allowed) and the children who bring it about, so
//! that a refused move says which child and which threshold.

use chrono::NaiveDate;
use placeforte_domain::{AgeClass, Breach, BreachKind, ChildEventKind, Installation};
use serde::Serialize;

use crate::planning::PlanChildKey;

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

fn group_name(installation: &Installation, group: usize) -> Option<String> {
    installation
        .groups()
        .get(group)
        .map(|g| g.name().to_owned())
}

/// The class the moved child has in the breach's own events (its arrival or birthday that
/// day), if any.
fn moved_class(breach: &Breach<PlanChildKey>, key: PlanChildKey) -> Option<AgeClass> {
    breach
        .causes
        .iter()
        .find(|e| e.child == key)
        .map(|e| event_class(e.kind))
}

fn event_class(kind: ChildEventKind) -> AgeClass {
    match kind {
        ChildEventKind::Arrives { class } | ChildEventKind::Leaves { class } => class,
        ChildEventKind::ChangesClass { to, .. } => to,
    }
}

/// A rule the year would break: the domain's [`BreachKind`], its figures beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum BreachCode {
    /// A group needs more educators than planned.
    GroupRatio,
    /// A group has more children than places.
    GroupCapacity,
    /// A group has a child of a class it may not hold.
    GroupAgeClass,
    /// More children of a class than the permit allows.
    Permit,
    /// More children than the installation cap.
    InstallationCap,
    /// The installation needs more educators than planned.
    InstallationRatio,
}

/// A breach and its figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BreachView {
    /// Which rule the move would break.
    pub code: BreachCode,
    /// The group's name, for a group rule.
    pub group: Option<String>,
    /// The class, for a class rule.
    pub class: Option<AgeClass>,
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub to: NaiveDate,
    /// Children or educators needed.
    pub found: u32,
    /// Places or educators planned.
    pub allowed: u32,
    /// The children who bring it about, by label: for a move, the child moved first, then
    /// the others whose arrival, departure or birthday on its first day touches the group or
    /// class (none when the breach is there from the year's first day).
    pub causes: Vec<BreachCauseView>,
}

/// What one child does to bring a breach about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum CauseCode {
    /// The child the director is moving into the group.
    Moved,
    /// It arrives that day.
    Arrives,
    /// It leaves that day (a departure only breaks a rule of the installation's ratio).
    Leaves,
    /// It crosses an age threshold that day.
    ChangesClass,
}

/// A child who brings a breach about.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct BreachCauseView {
    /// The plan key.
    pub key: PlanChildKey,
    /// Given name and family initial.
    pub label: String,
    /// What it does.
    pub code: CauseCode,
    /// The day.
    pub on: NaiveDate,
    /// The class it enters (arrival or birthday) or leaves (departure); for the child moved,
    /// only when it arrives or changes class on the breach's first day.
    pub class: Option<AgeClass>,
}

impl BreachView {
    /// A breach with its group and the children who cause it named (`label` gives a child's
    /// label; `moved` is the child a move would put in the group, named first).
    pub fn new(
        breach: &Breach<PlanChildKey>,
        installation: &Installation,
        label: impl Fn(&PlanChildKey) -> String,
        moved: Option<&PlanChildKey>,
    ) -> BreachView {
        let name = |g: usize| group_name(installation, g);
        let (code, group, class, found, allowed) = match breach.kind {
            BreachKind::GroupRatio {
                group,
                educators_needed,
                educators_planned,
            } => (
                BreachCode::GroupRatio,
                name(group),
                None,
                count(educators_needed),
                educators_planned,
            ),
            BreachKind::GroupCapacity {
                group,
                children,
                capacity,
            } => (
                BreachCode::GroupCapacity,
                name(group),
                None,
                children,
                capacity,
            ),
            BreachKind::GroupAgeClass {
                group,
                class,
                children,
            } => (
                BreachCode::GroupAgeClass,
                name(group),
                Some(class),
                children,
                0,
            ),
            BreachKind::Permit {
                class,
                children,
                places,
            } => (BreachCode::Permit, None, Some(class), children, places),
            BreachKind::InstallationCap { children, cap } => (
                BreachCode::InstallationCap,
                None,
                None,
                count(children),
                cap,
            ),
            BreachKind::InstallationRatio {
                educators_needed,
                educators_planned,
            } => (
                BreachCode::InstallationRatio,
                None,
                None,
                count(educators_needed),
                count(educators_planned),
            ),
        };
        let mut causes: Vec<BreachCauseView> = moved
            .map(|key| BreachCauseView {
                key: *key,
                label: label(key),
                code: CauseCode::Moved,
                on: breach.from,
                class: moved_class(breach, *key),
            })
            .into_iter()
            .collect();
        for event in &breach.causes {
            if moved == Some(&event.child) {
                continue;
            }
            let code = match event.kind {
                ChildEventKind::Arrives { .. } => CauseCode::Arrives,
                ChildEventKind::Leaves { .. } => CauseCode::Leaves,
                ChildEventKind::ChangesClass { .. } => CauseCode::ChangesClass,
            };
            causes.push(BreachCauseView {
                key: event.child,
                label: label(&event.child),
                code,
                on: event.on,
                class: Some(event_class(event.kind)),
            });
        }
        BreachView {
            code,
            group,
            class,
            from: breach.from,
            to: breach.to,
            found,
            allowed,
            causes,
        }
    }
}
