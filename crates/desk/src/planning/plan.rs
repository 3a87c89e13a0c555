//! The plan the June screens work on: the saved groups, the enrolled children of the import and
//! the referrals families accepted, composed by the domain, with what a screen asks of it (move
//! a child, export the lists, declare the places left).
//!
//! Children are keyed by where they come from in the cache ([`PlanChildKey`]). The key is all
//! the screen sends back.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::OfferOutcome;
use placeforte_domain::{
    compose, quebec_rules_on, school_year_end, simulate, vacancies, Breach, Composition, Entrant,
    EntrantKind, Installation, PlannedChild, SiblingWish, Simulation, Vacancy,
};
use placeforte_protocol::referrals::{ReferralStatus, ReferralSyncItem};
use placeforte_protocol::ReferralId;

use crate::cache::{LocalVacancy, OutboxState, Outgoing};
use crate::error::PlanRefusal;
use crate::planning::{
    declare_reviewed_vacancies, export_group_lists, GroupListFormat, Language, PlanChildKey,
    ReviewedVacancy,
};
use crate::{Cache, DeskError};

/// The first day of the school year after the one containing `today`: the year June group
/// formation plans.
pub fn next_school_year_start(today: NaiveDate) -> NaiveDate {
    let end = school_year_end(today, quebec_rules_on(today));
    end.succ_opt().unwrap_or(end)
}

/// The group `name` designates: the group of exactly that name, or else the first whose name
/// is the same but for case and surrounding spaces (a spreadsheet's "lutins " is "Lutins").
/// One rule for the import's current groups, the pins and the screen's moves.
pub fn group_named(installation: &Installation, name: &str) -> Option<usize> {
    let groups = installation.groups();
    groups.iter().position(|g| g.name() == name).or_else(|| {
        let name = name.trim().to_lowercase();
        groups.iter().position(|g| g.name().to_lowercase() == name)
    })
}

/// The referrals whose family accepted: acknowledged by the service, or recorded here and
/// still in the outbox (offline in June, the director composes with the child she just
/// accepted; an acceptance the service refuses leaves the outbox and the plan with it).
async fn accepted_referrals(cache: &Cache) -> Result<Vec<ReferralSyncItem>, DeskError> {
    let pending: BTreeSet<ReferralId> = cache
        .pending_outbox()
        .await?
        .into_iter()
        .filter_map(|entry| match entry {
            Outgoing::Outcome(entry) if entry.outcome == OfferOutcome::Accepted => {
                Some(entry.referral_id)
            }
            _ => None,
        })
        .collect();
    Ok(cache
        .referrals()
        .await?
        .into_iter()
        .filter(|r| r.status == ReferralStatus::Accepted || pending.contains(&r.referral_id))
        .collect())
}

/// A referral as the composer takes it: it arrives on the year's first day or on the family's
/// desired entry date if later, ranked by its referral rank.
pub fn referral_entrant(
    referral: &ReferralSyncItem,
    start: NaiveDate,
    pinned: Option<usize>,
) -> Result<Entrant<PlanChildKey>, DeskError> {
    let key = PlanChildKey::Referred(referral.referral_id);
    let birth = placeforte_domain::BirthDate::new(referral.birth_date, NaiveDate::MAX)
        .map_err(|_| DeskError::CacheUnreadable)?;
    let arrival = start.max(referral.desired_entry_date).max(birth.date());
    let planned = PlannedChild::new(key, birth, arrival, None).map_err(DeskError::from)?;
    Ok(Entrant {
        child: planned,
        kind: EntrantKind::Referral {
            rank: referral.rank_reason.rank,
        },
        pinned,
    })
}

/// What the composer works on, read from the cache.
#[derive(Debug, Clone)]
pub struct PlanInputs {
    /// The saved groups under the saved permit.
    pub installation: Installation,
    /// Returning children, then accepted referrals, with the director's pins.
    pub entrants: Vec<Entrant<PlanChildKey>>,
    /// Every child's display label (given name and family initial), by key.
    pub labels: BTreeMap<PlanChildKey, String>,
    /// The first day of the school year planned.
    pub start: NaiveDate,
    /// Places declared here and not yet taken by a family that accepted (pending, or sent
    /// and still open), by class and start day: the plan does not offer them again.
    pub declared: Vec<Vacancy>,
    /// The director's sibling wishes between children of the plan.
    pub siblings: Vec<SiblingWish<PlanChildKey>>,
}

/// The inputs and the composer's answer for them.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What was composed.
    pub inputs: PlanInputs,
    /// Where every child goes, or why not.
    pub composition: Composition<PlanChildKey>,
    /// The year ahead with that composition.
    pub simulation: Simulation<PlanChildKey>,
}

impl PlanInputs {
    /// Reads the plan for the school year starting `start`. Refused before groups are saved
    /// (`plan_without_groups`).
    pub async fn load(cache: &Cache, start: NaiveDate) -> Result<PlanInputs, DeskError> {
        let setup = cache.group_setup().await?;
        if setup.groups.is_empty() {
            return Err(DeskError::PlanWithoutGroups);
        }
        let installation = setup
            .check(quebec_rules_on(start))
            .map_err(|problems| DeskError::Plan(PlanRefusal::Setup(problems)))?;
        let pins: BTreeMap<PlanChildKey, usize> = cache
            .pins()
            .await?
            .into_iter()
            .filter_map(|(key, group)| Some((key, group_named(&installation, &group)?)))
            .collect();
        let mut entrants = Vec::new();
        let mut labels = BTreeMap::new();
        for (row, child) in cache.enrolled_children_by_row().await? {
            let key = PlanChildKey::Entered(row);
            let birth = child.birth_date;
            // A child leaving before the year starts is composed as not present this year.
            let arrival = start
                .max(birth.date())
                .min(child.expected_departure.unwrap_or(NaiveDate::MAX));
            let planned = PlannedChild::new(key, birth, arrival, child.expected_departure)
                .map_err(DeskError::from)?;
            let current_group = child
                .current_group
                .as_deref()
                .and_then(|name| group_named(&installation, name));
            entrants.push(Entrant {
                child: planned,
                kind: EntrantKind::Returning { current_group },
                pinned: pins.get(&key).copied(),
            });
            labels.insert(key, child.label);
        }
        let referrals = accepted_referrals(cache).await?;
        let declared = cache
            .vacancies()
            .await?
            .into_iter()
            .filter(|v| !matches!(v.state, OutboxState::Conflict { .. }))
            .map(|v| {
                // An accepted family is composed as a child: its place is no longer free.
                let accepted = referrals
                    .iter()
                    .filter(|r| Some(r.vacancy_id) == v.vacancy_id)
                    .count();
                Vacancy {
                    class: v.declaration.age_class,
                    from: v.declaration.start_date,
                    places: v
                        .declaration
                        .places
                        .saturating_sub(u32::try_from(accepted).unwrap_or(u32::MAX)),
                }
            })
            .collect();
        for referral in referrals {
            let key = PlanChildKey::Referred(referral.referral_id);
            entrants.push(referral_entrant(&referral, start, pins.get(&key).copied())?);
            labels.insert(key, referral.label);
        }
        // A wish naming a child no longer in the plan (a referral closed since) is kept for
        // when it comes back, but not composed.
        let siblings = cache
            .sibling_wishes()
            .await?
            .into_iter()
            .filter(|w| labels.contains_key(&w.a) && labels.contains_key(&w.b))
            .collect();
        Ok(PlanInputs {
            installation,
            entrants,
            labels,
            start,
            declared,
            siblings,
        })
    }

    /// Composes and simulates the year.
    pub fn compose(self) -> Result<Plan, DeskError> {
        let composition = compose(
            &self.installation,
            &self.entrants,
            &self.siblings,
            self.start,
        )
        .map_err(DeskError::from)?;
        let simulation = simulate(&self.installation, &composition.placements(), self.start)
            .map_err(DeskError::from)?;
        Ok(Plan {
            inputs: self,
            composition,
            simulation,
        })
    }

    /// The group `name` designates ([`group_named`]), or `unknown_plan_group`.
    pub fn group(&self, name: &str) -> Result<usize, DeskError> {
        group_named(&self.installation, name).ok_or(DeskError::UnknownPlanGroup)
    }

    /// Whether the plan has a child with `key`.
    pub fn has_child(&self, key: &PlanChildKey) -> bool {
        self.labels.contains_key(key)
    }
}

impl Plan {
    /// The breaches the year would have if the child with `key` were in `group` instead:
    /// the domain's simulator judges the move before the director makes it. Empty when the
    /// group can take the child on every day.
    pub fn check_move(
        &self,
        key: &PlanChildKey,
        group: usize,
    ) -> Result<Vec<Breach<PlanChildKey>>, DeskError> {
        if group >= self.inputs.installation.groups().len() {
            return Err(DeskError::UnknownPlanGroup);
        }
        let mut placements = self.composition.placements();
        placements.retain(|p| p.child.key() != key);
        let child = self
            .inputs
            .entrants
            .iter()
            .find(|e| e.child.key() == key)
            .ok_or(DeskError::UnknownPlanChild)?;
        placements.push(placeforte_domain::Placement {
            child: child.child.clone(),
            group,
        });
        let moved = simulate(&self.inputs.installation, &placements, self.inputs.start)
            .map_err(DeskError::from)?;
        Ok(moved
            .breaches
            .into_iter()
            .filter(|b| {
                !self
                    .simulation
                    .breaches
                    .iter()
                    .any(|old| old.kind == b.kind)
            })
            .collect())
    }

    /// The group lists as CSV.
    pub fn export(
        &self,
        format: GroupListFormat,
        language: Language,
    ) -> Result<Vec<u8>, DeskError> {
        export_group_lists(
            &self.composition,
            &self.inputs.installation,
            self.inputs.start,
            |key| self.inputs.labels.get(key).cloned(),
            format,
            language,
        )
        .map_err(DeskError::from)
    }

    /// The places the plan leaves, per age class and start day, less those already declared
    /// for the same class and day.
    pub fn vacancies(&self) -> Vec<Vacancy> {
        vacancies(&self.simulation, &self.inputs.installation)
            .into_iter()
            .filter_map(|mut left| {
                let declared: u32 = self
                    .inputs
                    .declared
                    .iter()
                    .filter(|d| d.class == left.class && d.from == left.from)
                    .map(|d| d.places)
                    .sum();
                left.places = left.places.saturating_sub(declared);
                (left.places > 0).then_some(left)
            })
            .collect()
    }

    /// Queues the reviewed vacancies in the outbox, checked against what the plan leaves.
    pub async fn declare(
        &self,
        cache: &Cache,
        reviewed: &[ReviewedVacancy],
        now: DateTime<Utc>,
    ) -> Result<Vec<LocalVacancy>, DeskError> {
        declare_reviewed_vacancies(cache, &self.vacancies(), reviewed, now).await
    }
}
