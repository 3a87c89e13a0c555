//! The offer clock: the service, not the daycare, decides when an offer's time is up.
//!
//! An offer is answered "by" its referral's `answer_by` day; it expires at the end of that day
//! in Québec ([`end_of_quebec_day`]). From that instant the service itself applies the
//! missed-deadline rule (the domain's `apply_outcome` with `NoAnswerByDeadline`: a first miss
//! suspends the request, a second withdraws it) and offers the places to the next families in
//! the regulated order, in one audited transaction ([`crate::store::Storage::expire_offers`]).
//! A sweep runs from `serve` ([`run`]); the answer, sync and reveal paths expire what is due
//! before they act, so nobody sees an offer open past its deadline even between sweeps.
//!
//! This module decides (which day is due, what the miss does, the audit entries and answers);
//! the store reads and writes.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{
    apply_outcome, end_of_quebec_day, quebec_rules_on, quebec_today, reactivate, OfferOutcome,
    OutcomeEffect, ReactivationError, RegistrationState,
};
use placeforte_protocol::referrals::{OutcomeRecorded, ReferralStatus};
use placeforte_protocol::{DaycareId, ReferralId};
use tokio::sync::watch;

use crate::clock::Clock;
use crate::store::{AuditEvent, ExpiryScope, OutcomeRequest, ReferralRecord, Storage, StoreError};

/// Who expires offers in the audit log: the service's own clock, not a device or an operator.
pub const CLOCK_ACTOR: &str = "service:clock";

/// Audit action of one offer's expiry; its subject is `referral:<id>`, its reason the effect.
pub const EXPIRY_ACTION: &str = "referral.offer_expired";

/// Audit action of a daycare's `no_answer_by_deadline` that reached the service after the
/// clock had expired the offer: acknowledged, nothing applied a second time.
pub const LATE_NO_ANSWER_ACTION: &str = "referral.no_answer_after_expiry";

/// How often `serve` sweeps by default: a late offer stays open at most this long for a
/// reader that does not look (answers, syncs and reveals expire what is due themselves).
pub const DEFAULT_SWEEP_EVERY: Duration = Duration::from_secs(30);

/// Offers expired in one transaction at most, so a backlog (a service down for days) never
/// holds the audit lock for long; [`sweep`] runs batches until none is left.
pub const SWEEP_BATCH: i64 = 200;

/// Whether an offer to be answered by `answer_by` has expired at `now`: from the first instant
/// of the next day in Québec.
pub fn is_expired(answer_by: NaiveDate, now: DateTime<Utc>) -> bool {
    now >= end_of_quebec_day(answer_by)
}

/// Offers with an answer-by day before this one have expired at `now` (the same instant as
/// [`is_expired`], as a date the store can compare its `answer_by` column with).
pub fn due_before(now: DateTime<Utc>) -> NaiveDate {
    quebec_today(now)
}

/// What missing the offer due `answer_by` does to a registration in `state`, under the rules
/// in force that day (so a late sweep gives the same result as a punctual one); `None` when
/// the registration is already placed or withdrawn.
pub fn missed_deadline(
    state: RegistrationState,
    answer_by: NaiveDate,
) -> Option<(RegistrationState, OutcomeEffect)> {
    apply_outcome(
        state,
        OfferOutcome::NoAnswerByDeadline,
        quebec_rules_on(answer_by),
    )
    .ok()
}

/// The stored code of what an expiry did: the domain's effect, `none` for a closed
/// registration.
pub fn effect_code(effect: Option<OutcomeEffect>) -> &'static str {
    effect.map_or("none", OutcomeEffect::code)
}

/// A suspended registration put back on the list on `now`, by the rules in force that day.
pub fn reactivation(
    state: RegistrationState,
    now: DateTime<Utc>,
) -> Result<RegistrationState, ReactivationError> {
    reactivate(state, quebec_rules_on(quebec_today(now)))
}

/// The audit entry of one expiry: the expired referral, the referrals a withdrawal closed and
/// the further referrals made, by the service's clock.
pub fn expiry_event(
    referral: ReferralId,
    daycare: DaycareId,
    effect: Option<OutcomeEffect>,
    closed: &[ReferralId],
    further: &[ReferralRecord],
    now: DateTime<Utc>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        now,
        CLOCK_ACTOR.to_owned(),
        EXPIRY_ACTION,
        format!("referral:{referral}"),
    )
    .for_daycare(daycare);
    event.reason = Some(effect_code(effect).to_owned());
    event.referral_ids = std::iter::once(referral)
        .chain(closed.iter().copied())
        .chain(further.iter().map(|r| r.id))
        .collect();
    event
}

/// The audit entry of a daycare's `no_answer_by_deadline` on an offer the clock expired.
pub fn late_no_answer_event(request: &OutcomeRequest) -> AuditEvent {
    let mut event = AuditEvent::new(
        request.now,
        format!("device:{}", request.device_id),
        LATE_NO_ANSWER_ACTION,
        format!("referral:{}", request.referral_id),
    )
    .for_daycare(request.daycare_id);
    event.referral_ids = vec![request.referral_id];
    event
}

/// The answer to that `no_answer_by_deadline`: the referral is `no_answer`, as the daycare
/// said; nothing is pending and this answer made no further referral (the expiry did).
pub fn late_no_answer_response(request: &OutcomeRequest) -> Result<String, serde_json::Error> {
    serde_json::to_string(&OutcomeRecorded {
        referral_id: request.referral_id,
        status: ReferralStatus::NoAnswer,
        further_referrals: 0,
        pending_confirmation: false,
    })
}

/// Expires every offer due at `now`, a batch per transaction; returns how many.
pub async fn sweep<S: Storage>(store: &S, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let mut total = 0;
    loop {
        let expired = store.expire_offers(now, ExpiryScope::All).await?;
        total += expired.len();
        if expired.len() < usize::try_from(SWEEP_BATCH).unwrap_or(usize::MAX) {
            return Ok(total);
        }
    }
}

/// Sweeps every `every` until `stopped` says so. A failed sweep is logged and tried again at
/// the next tick: nothing was applied (one transaction), and the paths that read offers expire
/// them themselves meanwhile.
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
            Ok(0) => {}
            Ok(expired) => tracing::info!(expired, "offers expired at their deadline"),
            Err(error) => tracing::error!(%error, "offer expiry sweep failed"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(utc: &str) -> DateTime<Utc> {
        utc.parse().unwrap_or_else(|e| panic!("{utc}: {e}"))
    }

    #[test]
    fn an_offer_expires_at_midnight_in_quebec_ending_its_day_and_not_a_second_before() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or(NaiveDate::MIN);
        // Standard time: midnight in Québec is 05:00 UTC the next day.
        let end = at("2026-11-23T05:00:00Z");
        assert!(!is_expired(day, end - chrono::Duration::seconds(1)));
        assert!(is_expired(day, end));
        // The store's date comparison agrees with the instant on both sides.
        assert!(day >= due_before(end - chrono::Duration::seconds(1)));
        assert!(day < due_before(end));
    }

    #[test]
    fn a_miss_suspends_then_withdraws_and_a_closed_registration_takes_none() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap_or(NaiveDate::MIN);
        let (first, effect) = missed_deadline(RegistrationState::NEW, day).unwrap_or_else(|| {
            panic!("a waiting registration takes the miss");
        });
        assert_eq!(effect_code(Some(effect)), "suspended_by_missed_deadline");
        let again = reactivation(first, at("2026-11-24T12:00:00Z"))
            .unwrap_or_else(|e| panic!("suspended: {e}"));
        let (second, effect) =
            missed_deadline(again, day).unwrap_or_else(|| panic!("waiting again"));
        assert_eq!(effect_code(Some(effect)), "withdrawn_by_missed_deadline");
        assert_eq!(missed_deadline(second, day), None);
        assert_eq!(effect_code(None), "none");
    }
}
