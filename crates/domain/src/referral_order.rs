//! The regulated order in which candidates are referred to a daycare's places.
//!
//! # What the 2025 texts say
//! The Act of June 4, 2025 (Bill 95) lets a subsidized daycare prioritize **at most half** of
//! the places it offers, and requires **the rest to be offered to everyone**: "un maximum de
//! 50 % des places offertes pourront être priorisées. Le reste des places devra être offert à
//! l'ensemble de la population" (Ministère de la Famille, release of June 4, 2025). The waiting
//! list itself is ordered in five categories, each by the time elapsed since the desired entry
//! date (quebec.ca, "Steps of the Admission Process to Childcare"). `docs/rules.md` quotes the
//! sources and says where we had to choose a reading.
//!
//! # The order
//! 1. **Category order.** Every candidate is sorted by category (1 to 5), then by time elapsed
//!    since the desired entry date (earliest desired date first), then by registration date
//!    (earliest first), then by the candidate's key, which makes the order total: it never
//!    depends on input order. The category order ignores the priority basis: the general places
//!    are offered "sans égard à leur situation" (release of March 27, 2025).
//! 2. **Quota seats.** Of `places` places, `⌊places × share / 100⌋` are quota seats (a maximum
//!    of 50 %: rounding up would exceed it). They are filled **first**, by the priority
//!    candidates in the quota order: the category order, except that between two priority
//!    candidates of the same category and desired entry date, socio-economic precarity goes
//!    first. A seat no priority candidate takes is not lost: it becomes a general place (the
//!    50 % is a maximum, not a reservation against everyone else).
//! 3. **General places.** The other places go to the best-placed remaining candidates in
//!    category order, priority or not.
//! 4. **Result.** The candidates who get a place come first, in category order among
//!    themselves; then everyone else, in category order. A candidate within the first `places`
//!    of the category order who gets no place was displaced by a quota seat given further down
//!    the list; only non-priority candidates can be.
//!
//! Between two candidates of the same category, priority status and precarity, the result
//! keeps their category order whatever the other candidates are: adding a candidate can never
//! swap them.

use std::cmp::Ordering;
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
    category_order.sort_by(|a, b| category_order_cmp(a, b));

    let places = usize::try_from(places.get()).unwrap_or(usize::MAX);
    let seats = quota_seats(places, rules.referral.priority_share_percent.value);
    let standing = standings(&category_order, places, seats);

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

/// The quota seats among `places`: at most `share` percent, rounded down so the share is never
/// exceeded (one place has none, three places have one).
pub fn quota_seats(places: usize, share_percent: u32) -> usize {
    let share = usize::try_from(share_percent.min(100)).unwrap_or(100);
    places.saturating_mul(share) / 100
}

/// The category order: category, desired entry date, registration date, key. No priority
/// basis: the general places are offered to everyone regardless of their situation.
fn category_order_cmp<K: Ord>(a: &Candidate<K>, b: &Candidate<K>) -> Ordering {
    a.category()
        .cmp(&b.category())
        .then(a.desired_entry().cmp(&b.desired_entry()))
        .then(a.registered_on().cmp(&b.registered_on()))
        .then(a.key().cmp(b.key()))
}

/// The quota order among priority candidates: the category order, with precarity first
/// between candidates of the same category and desired entry date.
fn quota_order_cmp<K: Ord>(a: &Candidate<K>, b: &Candidate<K>) -> Ordering {
    a.category()
        .cmp(&b.category())
        .then(a.desired_entry().cmp(&b.desired_entry()))
        .then(
            b.priority()
                .socio_economic_precarity
                .cmp(&a.priority().socio_economic_precarity),
        )
        .then(category_order_cmp(a, b))
}

/// Each candidate's standing, by position in `category_order`: the quota seats filled first,
/// then the general places.
fn standings<K: Ord>(
    category_order: &[&Candidate<K>],
    places: usize,
    seats: usize,
) -> Vec<Standing> {
    let mut by_quota: Vec<usize> = (0..category_order.len())
        .filter(|&i| category_order[i].priority().is_priority())
        .collect();
    by_quota.sort_by(|&a, &b| quota_order_cmp(category_order[a], category_order[b]));
    by_quota.truncate(seats);

    let seats_u32 = u32::try_from(seats).unwrap_or(u32::MAX);
    let mut standing = vec![Standing::Waiting; category_order.len()];
    for (seat, &index) in by_quota.iter().enumerate() {
        standing[index] = Standing::PriorityQuota {
            seat: to_rank(seat),
            seats: seats_u32,
        };
    }
    let general = places.saturating_sub(by_quota.len());
    let mut given = 0;
    for (index, s) in standing.iter_mut().enumerate() {
        if matches!(s, Standing::PriorityQuota { .. }) {
            continue;
        }
        if given < general {
            *s = Standing::WithinPlaces;
            given += 1;
        } else if index < places {
            *s = Standing::DisplacedByPriorityQuota;
        }
    }
    standing
}

fn to_rank(zero_based: usize) -> u32 {
    u32::try_from(zero_based + 1).unwrap_or(u32::MAX)
}
