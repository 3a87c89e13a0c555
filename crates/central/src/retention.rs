//! Personal data out on time: the service, not an operator, destroys what it no longer needs.
//!
//! Law 25's s. 73 of the Access Act (CQLR c.) asks a public body to destroy personal
//! information once the purpose it was collected for is achieved. The periods are rule-set data
//! with their source and our reading (`placeforte_domain::RetentionRules`, `docs/rules.md`):
//! - a referral decided or closed keeps its free-text notes (reveal notes, revert reasons)
//!   `closed_referral_days` after the day the sweep first found it decided, then they are
//!   erased;
//! - a registration withdrawn or placed keeps its identifying data `closed_registration_days`,
//!   then the names, contact details, address key, facts and priority basis are destroyed, the
//!   birth date coarsened to its year and the family's choices deleted. The opaque id, the
//!   dates and the state stay: the audit log and the access report refer to them.
//!
//! A sweep runs from `serve` ([`run`]) like the offer clock ([`crate::expiry`]), with the
//! injected [`Clock`]; every purge is one audit entry by [`RETENTION_ACTOR`] that names only the
//! opaque id, appended in the purge's transaction. The audit log itself holds no personal data
//! (ids, action names, reason codes), so it is never touched and still verifies.
//!
//! This module decides (periods, cut-off days, audit entries); the store reads and writes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{quebec_rules_on, quebec_today, RetentionRules};
use placeforte_protocol::{ReferralId, RegistrationId};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::store::{AuditEvent, Storage, StoreError};

/// Who purges in the audit log: the service's retention clock.
pub const RETENTION_ACTOR: &str = "service:retention";

/// Audit action of a decided referral's notes erased; subject `referral:<id>`.
pub const REFERRAL_PURGED_ACTION: &str = "referral.personal_data_purged";

/// Audit action of a closed registration's identifying data destroyed; subject
/// `registration:<id>`.
pub const REGISTRATION_PURGED_ACTION: &str = "registration.personal_data_purged";

/// How often `serve` sweeps by default. Periods are whole days, so an hour late is nothing.
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(3600);

/// Subjects purged in one transaction at most, so a backlog never holds the audit lock long;
/// [`sweep`] runs batches until none is left.
pub const PURGE_BATCH: i64 = 200;

/// The periods in force on `today`, from the rule set of that day.
pub fn periods_on(today: NaiveDate) -> RetentionRules {
    quebec_rules_on(today).retention
}

/// What one sweep transaction must do, decided from the clock and the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PurgePlan {
    /// The Québec day of the sweep: a subject found closed today gets this day.
    pub today: NaiveDate,
    /// Referrals found decided on or before this day have had their period.
    pub referrals_closed_by: NaiveDate,
    /// Registrations found closed on or before this day have had their period.
    pub registrations_closed_by: NaiveDate,
}

impl PurgePlan {
    /// The plan at `now`, under the rules in force that day in Québec.
    pub fn at(now: DateTime<Utc>) -> PurgePlan {
        let today = quebec_today(now);
        let periods = periods_on(today);
        let back = |days: u32| today - chrono::Duration::days(i64::from(days));
        PurgePlan {
            today,
            referrals_closed_by: back(periods.closed_referral_days.value),
            registrations_closed_by: back(periods.closed_registration_days.value),
        }
    }
}

/// What one transaction purged.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Purged {
    /// Referrals whose notes were erased.
    pub referrals: usize,
    /// Registrations whose identifying data was destroyed.
    pub registrations: usize,
}

/// The audit entry of a referral's notes erased.
pub fn referral_purged_event(referral: ReferralId, now: DateTime<Utc>) -> AuditEvent {
    let mut event = AuditEvent::new(
        now,
        RETENTION_ACTOR.to_owned(),
        REFERRAL_PURGED_ACTION,
        format!("referral:{referral}"),
    );
    event.referral_ids = vec![referral];
    event.reason = Some("retention.closed_referral_days".to_owned());
    event
}

/// The audit entry of a registration's identifying data destroyed.
pub fn registration_purged_event(registration: RegistrationId, now: DateTime<Utc>) -> AuditEvent {
    let mut event = AuditEvent::new(
        now,
        RETENTION_ACTOR.to_owned(),
        REGISTRATION_PURGED_ACTION,
        format!("registration:{registration}"),
    );
    event.reason = Some("retention.closed_registration_days".to_owned());
    event
}

/// The birth date kept after a purge: the first day of its year, so demand figures by year
/// stay and the exact day (an identifier with the region) goes.
pub fn coarse_birth_date(birth: NaiveDate) -> NaiveDate {
    NaiveDate::from_ymd_opt(chrono::Datelike::year(&birth), 1, 1).unwrap_or(birth)
}

/// Purges everything due at `now`, a batch per transaction; returns the totals.
pub async fn sweep<S: Storage>(store: &S, now: DateTime<Utc>) -> Result<Purged, StoreError> {
    let plan = PurgePlan::at(now);
    let batch = usize::try_from(PURGE_BATCH).unwrap_or(usize::MAX);
    let mut total = Purged::default();
    loop {
        let purged = store.purge_personal_data(plan, now).await?;
        total.referrals += purged.referrals;
        total.registrations += purged.registrations;
        if purged.referrals < batch && purged.registrations < batch {
            return Ok(total);
        }
    }
}

/// Sweeps every `every` until `stopped` says so. A failed sweep is logged and tried again at
/// the next tick: nothing was applied (one transaction per batch).
pub async fn run<S: Storage>(
    store: S,
    clock: Arc<dyn Clock>,
    every: Duration,
    mut stopped: watch::Receiver<bool>,
) {
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = stopped.wait_for(|stop| *stop) => return,
        }
        match sweep(&store, clock.now()).await {
            Ok(Purged {
                referrals: 0,
                registrations: 0,
            }) => {}
            Ok(purged) => tracing::info!(
                referrals = purged.referrals,
                registrations = purged.registrations,
                "personal data purged at the end of its retention period"
            ),
            Err(error) => tracing::error!(%error, "retention sweep failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_periods_count_back_from_the_quebec_day() {
        // 03:00 UTC on December 2 is still December 1 in Québec.
        let now: DateTime<Utc> = "2026-12-02T03:00:00Z".parse().unwrap_or_default();
        let plan = PurgePlan::at(now);
        let today = NaiveDate::from_ymd_opt(2026, 12, 1).unwrap_or_default();
        assert_eq!(plan.today, today);
        let rules = periods_on(today);
        assert_eq!(
            plan.registrations_closed_by,
            today - chrono::Duration::days(i64::from(rules.closed_registration_days.value))
        );
        assert!(plan.referrals_closed_by < today);
    }

    #[test]
    fn a_purged_birth_date_keeps_only_its_year() {
        let birth = NaiveDate::from_ymd_opt(2025, 7, 14).unwrap_or_default();
        assert_eq!(
            coarse_birth_date(birth),
            NaiveDate::from_ymd_opt(2025, 1, 1).unwrap_or_default()
        );
    }

    #[test]
    fn purge_entries_name_only_opaque_ids_and_the_rule() {
        let now = Utc::now();
        let registration = RegistrationId::random();
        let event = registration_purged_event(registration, now);
        assert_eq!(event.subject, format!("registration:{registration}"));
        assert_eq!(
            event.reason.as_deref(),
            Some("retention.closed_registration_days")
        );
        let referral = ReferralId::random();
        assert_eq!(
            referral_purged_event(referral, now).referral_ids,
            [referral]
        );
    }
}
