//! The regulated order in which candidates are referred to a daycare's places.
//!
//! # The order
//! 1. **Category order.** Candidates are sorted by category (1 to 5), then by time elapsed since
//!    the desired entry date (longest first, i.e. earliest desired date first), then precarity
//!    first (ties favour precarity), then by registration date (earliest first), then by the
//!    candidate's key. The key makes the order total: it never depends on input order.
//! 2. **Priority quota.** Of `places` places, at most `places × share / 100` (rounded down) may
//!    go to priority candidates who would not get a place on the category order alone. Those
//!    seats go to the best-placed such candidates in category order; each takes the seat of the
//!    lowest-placed non-priority candidate within the places, who is told that the quota
//!    displaced them. Priority candidates who reach a place on the category order alone do not
//!    use the quota.
//! 3. **Result.** The candidates who get the places come first, in category order among
//!    themselves; then everyone else, in category order.
//!
//! Between two candidates with the same priority status, the result keeps their category
//! order, whatever the other candidates are: adding a candidate can never swap them.

use std::collections::HashSet;
use std::hash::Hash;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::candidate::{Candidate, Category};
use crate::capacity::Capacity;
use crate::error::DomainError;
use crate::rules::RuleSet;

/// Where a candidate stands relative to the places when ranked. The referral keeps it, the
/// wire carries it as is (the protocol's `RankStanding`, refusing unknown fields) and the
/// screen shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = RankStanding))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Standing {
    /// Within the places on the category order alone.
    WithinPlaces,
    /// Within the places through the priority quota: seat `seat` of `seats`.
    PriorityQuota {
        /// 1-based seat of the quota taken.
        seat: u32,
        /// Seats the quota had for these places.
        seats: u32,
    },
    /// Would have been within the places on the category order, but a priority candidate took
    /// the place through the quota.
    DisplacedByPriorityQuota,
    /// After the places, waiting for a place to free up.
    Waiting,
}

/// Why a candidate has its rank: everything needed to explain it to a director or a parent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct RankReason {
    /// The category (1 to 5).
    pub category: Category,
    /// The desired entry date.
    pub desired_entry: NaiveDate,
    /// Days from the desired entry date to the ranking day (negative when still ahead).
    pub days_since_desired_entry: i64,
    /// The registration date (a tie-breaker).
    pub registered_on: NaiveDate,
    /// Whether the candidate has a priority basis. The basis itself (which can reveal a
    /// family's situation) is deliberately left out: it is shown only on an audited reveal.
    pub priority: bool,
    /// 1-based position on the category order alone, before the quota.
    pub category_order_rank: u32,
    /// Where the candidate stands relative to the places.
    pub standing: Standing,
    /// The rule set that produced this order.
    pub rule_set: &'static str,
}

/// A candidate's place in the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RankedCandidate<K> {
    /// The candidate's key.
    pub key: K,
    /// 1-based rank in the final order.
    pub rank: u32,
    /// What the rank rests on: category, days waited and quota standing.
    pub reason: RankReason,
}

/// Ranks `candidates` for `places` places on day `on`, under `rules`.
///
/// Refuses the same key twice, since the key is what makes the order total.
pub fn rank_candidates<K>(
    candidates: &[Candidate<K>],
    places: Capacity,
    on: NaiveDate,
    rules: &RuleSet,
) -> Result<Vec<RankedCandidate<K>>, DomainError>
where
    K: Ord + Hash + Clone,
{
    let mut seen = HashSet::with_capacity(candidates.len());
    if !candidates.iter().all(|c| seen.insert(c.key())) {
        return Err(DomainError::DuplicateCandidate);
    }

    let mut category_order: Vec<&Candidate<K>> = candidates.iter().collect();
    category_order.sort_by(|a, b| {
        a.category()
            .cmp(&b.category())
            .then(a.desired_entry().cmp(&b.desired_entry()))
            .then(
                b.priority()
                    .socio_economic_precarity
                    .cmp(&a.priority().socio_economic_precarity),
            )
            .then(a.registered_on().cmp(&b.registered_on()))
            .then(a.key().cmp(b.key()))
    });

    let places = usize::try_from(places.get()).unwrap_or(usize::MAX);
    let within = places.min(category_order.len());
    let share = u64::from(rules.referral.priority_share_percent.value.min(100));
    let seats = u64::from(u32::try_from(places).unwrap_or(u32::MAX)) * share / 100;
    let seats = usize::try_from(seats).unwrap_or(usize::MAX);

    // Priority candidates beyond the places, best first; non-priority ones within, worst first.
    let outside_priority = category_order[within..]
        .iter()
        .enumerate()
        .filter(|(_, c)| c.priority().is_priority())
        .map(|(i, _)| within + i);
    let inside_displaceable = category_order[..within]
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, c)| !c.priority().is_priority())
        .map(|(i, _)| i);
    let swaps: Vec<(usize, usize)> = outside_priority
        .zip(inside_displaceable)
        .take(seats)
        .collect();
    let seats_u32 = u32::try_from(seats).unwrap_or(u32::MAX);

    let mut standing: Vec<Standing> = (0..category_order.len())
        .map(|i| {
            if i < within {
                Standing::WithinPlaces
            } else {
                Standing::Waiting
            }
        })
        .collect();
    for (seat, &(jumper, displaced)) in swaps.iter().enumerate() {
        standing[jumper] = Standing::PriorityQuota {
            seat: u32::try_from(seat + 1).unwrap_or(u32::MAX),
            seats: seats_u32,
        };
        standing[displaced] = Standing::DisplacedByPriorityQuota;
    }

    let has_place =
        |s: &Standing| matches!(s, Standing::WithinPlaces | Standing::PriorityQuota { .. });
    let (placed, rest): (Vec<usize>, Vec<usize>) =
        (0..category_order.len()).partition(|&i| has_place(&standing[i]));

    let ranked = placed
        .into_iter()
        .chain(rest)
        .enumerate()
        .map(|(position, index)| {
            let candidate = category_order[index];
            RankedCandidate {
                key: candidate.key().clone(),
                rank: to_rank(position),
                reason: RankReason {
                    category: candidate.category(),
                    desired_entry: candidate.desired_entry(),
                    days_since_desired_entry: (on - candidate.desired_entry()).num_days(),
                    registered_on: candidate.registered_on(),
                    priority: candidate.priority().is_priority(),
                    category_order_rank: to_rank(index),
                    standing: standing[index],
                    rule_set: rules.id,
                },
            }
        })
        .collect();
    Ok(ranked)
}

fn to_rank(zero_based: usize) -> u32 {
    u32::try_from(zero_based + 1).unwrap_or(u32::MAX)
}
