//! How many contact reveals a daycare may make, summed over all its workstations, and the
//! slow-drip detector (DESIGN.md §6.3 and §6.13). The per-device daily quota
//! (`Lifetimes::reveals_per_device_per_day`) stays; these bounds are per daycare, so enrolling
//! more workstations buys no more reveals, and relative to the daycare's open referrals, so
//! a small daycare cannot read more families than it has been referred.

use chrono::{DateTime, Duration, Utc};

use crate::identity::DeviceIdentity;
use crate::store::{Storage, StoreError};

/// Reveals of one referral's contact details: the first call, and a director calling back
/// once or twice.
pub const REVEALS_PER_REFERRAL: i64 = 3;

/// The daily budget is a daycare's open referrals divided by this: each family is called
/// within the answer delay, so a quarter of them in one day is already a busy day.
pub const DAILY_BUDGET_DIVISOR: i64 = 4;

/// Reveals a daycare may always make in a day, however few open referrals it has: a
/// one-place vacancy's three families called back once each.
pub const DAILY_BUDGET_MINIMUM: i64 = 6;

/// Reveals a daycare may always make in a week, however few open referrals it has.
pub const WEEKLY_BUDGET_MINIMUM: i64 = 12;

/// The window of the daily budget (rolling, so midnight is no reset to wait for).
pub fn daily_window() -> Duration {
    Duration::hours(24)
}

/// The window of the weekly budget and of the slow-drip detector.
pub fn weekly_window() -> Duration {
    Duration::days(7)
}

/// What the store counts before a reveal, all for the caller's daycare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RevealCounts {
    /// Its open referrals.
    pub open_referrals: i64,
    /// Reveals of this referral, ever.
    pub of_this_referral: i64,
    /// Reveals by any of its devices within [`daily_window`].
    pub last_day: i64,
    /// Reveals by any of its devices within [`weekly_window`].
    pub last_week: i64,
}

/// Which bound a reveal would cross.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevealLimit {
    /// [`REVEALS_PER_REFERRAL`] reveals of this referral were made.
    PerReferral,
    /// The daycare's daily budget is used.
    DaycareDaily,
    /// The daycare's weekly budget is used.
    DaycareWeekly,
}

impl RevealLimit {
    /// The audit action of a reveal refused by this limit.
    pub fn refusal_action(self) -> &'static str {
        match self {
            RevealLimit::PerReferral => "contact.refused_over_referral_limit",
            RevealLimit::DaycareDaily => "contact.refused_over_daycare_daily_budget",
            RevealLimit::DaycareWeekly => "contact.refused_over_daycare_weekly_budget",
        }
    }
}

/// The daily budget of a daycare with `open_referrals` open referrals.
pub fn daily_budget(open_referrals: i64) -> i64 {
    (open_referrals / DAILY_BUDGET_DIVISOR).max(DAILY_BUDGET_MINIMUM)
}

/// The weekly budget: about one reveal per open referral.
pub fn weekly_budget(open_referrals: i64) -> i64 {
    open_referrals.max(WEEKLY_BUDGET_MINIMUM)
}

/// The limit one more reveal would cross, if any.
pub fn reveal_limit(counts: RevealCounts) -> Option<RevealLimit> {
    if counts.of_this_referral >= REVEALS_PER_REFERRAL {
        Some(RevealLimit::PerReferral)
    } else if counts.last_day >= daily_budget(counts.open_referrals) {
        Some(RevealLimit::DaycareDaily)
    } else if counts.last_week >= weekly_budget(counts.open_referrals) {
        Some(RevealLimit::DaycareWeekly)
    } else {
        None
    }
}

/// Over [`weekly_window`], a daycare whose reveals reach more distinct families than this
/// fraction of its open referrals (numerator, denominator) is reading its list rather than
/// calling the families it will offer a place: half of them within a week, each hour under
/// the burst threshold, is how the 2021 files would be taken quietly.
pub const SLOW_DRIP_FRACTION: (i64, i64) = (1, 2);

/// Distinct families revealed within the week below which no daycare is alerted on.
pub const SLOW_DRIP_MINIMUM: i64 = 10;

/// The distinct referrals revealed within [`weekly_window`] above which a daycare with
/// `open_referrals` open referrals is alerted on.
pub fn slow_drip_threshold(open_referrals: i64) -> i64 {
    (open_referrals.saturating_mul(SLOW_DRIP_FRACTION.0) / SLOW_DRIP_FRACTION.1)
        .max(SLOW_DRIP_MINIMUM)
}

/// After a reveal: alerts (`reveal_slow_drip`) once the daycare's distinct revealed referrals
/// in the week are past [`slow_drip_threshold`], once per aligned week (the count is read after
/// the reveal's transaction, so the last of parallel reveals always sees the crossing). Counts
/// only in the detail.
pub async fn after_reveal<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let daycare = identity.certificate.daycare_id;
    let revealed = store
        .daycare_revealed_referrals(daycare, now - weekly_window())
        .await?;
    let open = store.open_referral_count(daycare).await?;
    let threshold = slow_drip_threshold(open);
    if revealed > threshold {
        crate::alerts::raise(
            store,
            "reveal_slow_drip",
            crate::alerts::AlertSubject::Daycare(daycare),
            crate::alerts::AlertWindow::Aligned(weekly_window()),
            format!(
                "{revealed} referrals revealed in 7 days; {open} open referrals; threshold {threshold}"
            ),
            now,
        )
        .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counts(open: i64, of_this: i64, day: i64, week: i64) -> RevealCounts {
        RevealCounts {
            open_referrals: open,
            of_this_referral: of_this,
            last_day: day,
            last_week: week,
        }
    }

    #[test]
    fn budgets_are_relative_to_open_referrals_with_a_minimum() {
        assert_eq!(daily_budget(75), 18);
        assert_eq!(daily_budget(3), DAILY_BUDGET_MINIMUM);
        assert_eq!(weekly_budget(75), 75);
        assert_eq!(weekly_budget(0), WEEKLY_BUDGET_MINIMUM);
        assert_eq!(slow_drip_threshold(75), 37);
        assert_eq!(slow_drip_threshold(4), SLOW_DRIP_MINIMUM);
    }

    #[test]
    fn the_first_limit_crossed_is_named() {
        assert_eq!(reveal_limit(counts(75, 2, 17, 74)), None);
        assert_eq!(
            reveal_limit(counts(75, 3, 0, 0)),
            Some(RevealLimit::PerReferral)
        );
        assert_eq!(
            reveal_limit(counts(75, 0, 18, 18)),
            Some(RevealLimit::DaycareDaily)
        );
        assert_eq!(
            reveal_limit(counts(75, 0, 0, 75)),
            Some(RevealLimit::DaycareWeekly)
        );
    }
}
