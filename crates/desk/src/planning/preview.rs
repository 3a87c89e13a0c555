//! "If I accept this child": before the director records an acceptance, the saved groups'
//! occupancy over the next 3, 6 and 12 months with and without the child, from the domain's
//! composer and simulator. The composer never breaks a rule to place a child, so the answer
//! is either the group the child would go into, or the child left out with, for each group
//! that may hold it, the first day and the rule (ratio, places, permit) it would break there.
//!
//! The months are counted from the child's first day in the plan (the planned year's first day,
//! or the family's desired entry date if later) and end with the planned school year: the
//! saved groups are that year's, so a window reaching past it is cut at its last day and says
//! so (`clipped`).

use chrono::{Months, NaiveDate};
use placeforte_domain::{AgeClass, Simulation};
use placeforte_protocol::ReferralId;
use serde::Serialize;

use crate::planning::{referral_entrant, BreachView, LeftOutView, Plan, PlanChildKey, PlanInputs};
use crate::{Cache, DeskError};

/// The windows the preview shows, in months.
pub const PREVIEW_MONTHS: [u32; 3] = [3, 6, 12];

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// The most a group or a class holds in a window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PeakView {
    /// Most children present on one day.
    pub children: u32,
    /// Most educators needed on one day (0 for a class).
    pub educators_needed: u32,
}

/// One group in a window, with and without the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct GroupLoadView {
    /// The group's name.
    pub name: String,
    /// Its places.
    pub capacity: u32,
    /// Educators planned.
    pub educators: u32,
    /// Without the child.
    pub without: PeakView,
    /// With the child.
    pub with: PeakView,
}

/// One age class of the permit in a window, with and without the child.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ClassLoadView {
    /// The class.
    pub class: AgeClass,
    /// The permit's places for it.
    pub places: u32,
    /// Most children of the class present on one day, without the child.
    pub without: u32,
    /// The same with the child.
    pub with: u32,
}

/// The saved groups over one window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct HorizonView {
    /// Its length in months.
    pub months: u32,
    /// First day.
    pub from: NaiveDate,
    /// Last day (the planned year's last day at the latest).
    pub to: NaiveDate,
    /// Whether the window was cut at the planned year's end.
    pub clipped: bool,
    /// Every group, in the installation's order.
    pub groups: Vec<GroupLoadView>,
    /// Every class the permit or the children use.
    pub classes: Vec<ClassLoadView>,
    /// Rules broken in the window with the child that are not broken without it.
    pub breaches: Vec<BreachView>,
}

/// What accepting the child would do to the saved groups.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AcceptancePreview {
    /// The child's plan key.
    pub key: PlanChildKey,
    /// Given name and family initial.
    pub label: String,
    /// Its first day in the plan.
    pub arrival: NaiveDate,
    /// The group the composer would put it in.
    pub group: Option<String>,
    /// Why the composer would leave it out, with the day and rule each group would break.
    pub left_out: Option<LeftOutView>,
    /// Children placed without it and left out with it, by label.
    pub displaced: Vec<String>,
    /// The next 3, 6 and 12 months.
    pub horizons: Vec<HorizonView>,
}

/// The preview for the cached referral `referral`, in the plan of the year starting `start`.
/// Refused before groups are saved (`plan_without_groups`), and for a referral not in the
/// cache (`unknown_plan_child`).
pub async fn acceptance_preview(
    cache: &Cache,
    referral: ReferralId,
    start: NaiveDate,
) -> Result<AcceptancePreview, DeskError> {
    let item = cache
        .referrals()
        .await?
        .into_iter()
        .find(|r| r.referral_id == referral)
        .ok_or(DeskError::UnknownPlanChild)?;
    let key = PlanChildKey::Referred(referral);
    let mut without = PlanInputs::load(cache, start).await?;
    // An acceptance already recorded is taken back out, to compare.
    without.entrants.retain(|e| e.child.key() != &key);
    let mut with = without.clone();
    with.entrants.push(referral_entrant(&item, start, None)?);
    with.labels.insert(key, item.label);
    Ok(preview(&without.compose()?, &with.compose()?, &key))
}

/// The preview from the plan without the child and the plan with it.
pub fn preview(without: &Plan, with: &Plan, key: &PlanChildKey) -> AcceptancePreview {
    let arrival = with
        .inputs
        .entrants
        .iter()
        .find(|e| e.child.key() == key)
        .map_or(with.inputs.start, |e| e.child.arrival())
        .max(with.inputs.start);
    let installation = &with.inputs.installation;
    let group = with
        .composition
        .placed
        .iter()
        .find(|p| p.child.key() == key)
        .and_then(|p| installation.groups().get(p.group))
        .map(|g| g.name().to_owned());
    let left_out = with.view().left_out.into_iter().find(|l| &l.key == key);
    let displaced = without
        .composition
        .placed
        .iter()
        .filter(|p| {
            with.composition
                .left_out
                .iter()
                .any(|l| l.child.key() == p.child.key())
        })
        .map(|p| with.label(p.child.key()))
        .collect();
    let end = with.simulation.end;
    let horizons = PREVIEW_MONTHS
        .into_iter()
        .map(|months| {
            let full = arrival
                .checked_add_months(Months::new(months))
                .and_then(|d| d.pred_opt())
                .unwrap_or(end);
            horizon(without, with, months, arrival, full.min(end), full > end)
        })
        .collect();
    AcceptancePreview {
        key: *key,
        label: with.label(key),
        arrival,
        group,
        left_out,
        displaced,
        horizons,
    }
}

/// The periods of `simulation` that overlap `from..=to`.
fn within<K>(
    simulation: &Simulation<K>,
    from: NaiveDate,
    to: NaiveDate,
) -> impl Iterator<Item = &placeforte_domain::Period> {
    simulation
        .periods
        .iter()
        .filter(move |p| p.from <= to && p.to >= from)
}

fn group_peak<K>(
    simulation: &Simulation<K>,
    group: usize,
    from: NaiveDate,
    to: NaiveDate,
) -> PeakView {
    within(simulation, from, to)
        .filter_map(|p| p.groups.get(group))
        .fold(
            PeakView {
                children: 0,
                educators_needed: 0,
            },
            |peak, g| PeakView {
                children: peak.children.max(count(g.children.total())),
                educators_needed: peak.educators_needed.max(count(g.educators_needed)),
            },
        )
}

fn class_peak<K>(
    simulation: &Simulation<K>,
    class: AgeClass,
    from: NaiveDate,
    to: NaiveDate,
) -> u32 {
    within(simulation, from, to)
        .map(|p| p.installation.children.get(class))
        .max()
        .unwrap_or(0)
}

fn horizon(
    without: &Plan,
    with: &Plan,
    months: u32,
    from: NaiveDate,
    to: NaiveDate,
    clipped: bool,
) -> HorizonView {
    let installation = &with.inputs.installation;
    let groups = installation
        .groups()
        .iter()
        .enumerate()
        .map(|(i, g)| GroupLoadView {
            name: g.name().to_owned(),
            capacity: g.capacity().get(),
            educators: g.educators(),
            without: group_peak(&without.simulation, i, from, to),
            with: group_peak(&with.simulation, i, from, to),
        })
        .collect();
    let classes = AgeClass::ALL
        .into_iter()
        .map(|class| ClassLoadView {
            class,
            places: installation.permit().places(class).get(),
            without: class_peak(&without.simulation, class, from, to),
            with: class_peak(&with.simulation, class, from, to),
        })
        .filter(|c| c.places > 0 || c.with > 0)
        .collect();
    let breaches = with
        .simulation
        .breaches
        .iter()
        .filter(|b| b.from <= to && b.to >= from)
        .filter(|b| {
            !without
                .simulation
                .breaches
                .iter()
                .any(|old| old.kind == b.kind)
        })
        .map(|b| BreachView::new(b, installation, |k| with.label(k), None))
        .collect();
    HorizonView {
        months,
        from,
        to,
        clipped,
        groups,
        classes,
        breaches,
    }
}
