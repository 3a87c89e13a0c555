//! What a daycare's answer to a referral does. The store reads and writes inside the outcome's
//! transaction; these rules decide: the referral's new status and whether the family's choice
//! of the daycare ends (the domain's `decide_outcome`); the wider effect the daycare only
//! reports, applied when confirmed (the domain's `apply_outcome`); how many further candidates
//! each vacancy left short is referred; when answers in bulk are alerted on; and the audit
//! entries and answers.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{
    apply_outcome, decide_outcome, quebec_rules_on, quebec_today, OfferOutcome, OutcomeEffect,
    RegistrationState, RegistrationStatus,
};
use placeforte_protocol::referrals::{OutcomeRecorded, ReferralStatus};
use placeforte_protocol::{ReferralId, RegistrationId};

use crate::referrals::{outcome_code, plan_referrals, REFERRALS_PER_PLACE};
use crate::store::{AuditEvent, CandidateRecord, OutcomeRequest, ReferralRecord, VacancyRecord};

/// How long a daycare's negative answers are counted for the bulk alert: a day, the span in
/// which a compromised workstation could empty its list before anyone reads the log.
pub const BULK_OUTCOME_WINDOW_HOURS: i64 = 24;

/// A daycare filing negative answers for more than one open referral in this many within
/// [`BULK_OUTCOME_WINDOW_HOURS`] is alerted on: a quarter of a list in a day is far above what
/// families' real refusals and missed deadlines produce.
pub const BULK_OUTCOME_SHARE_DIVISOR: i64 = 4;

/// The alert's bound never falls below this many answers, so a small daycare's ordinary day
/// (a handful of refusals) raises nothing.
pub const BULK_OUTCOME_MINIMUM: i64 = 5;

/// What a daycare's answer does at once, and what it only reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The referral's new status.
    pub referral_status: ReferralStatus,
    /// Whether the family's choice of this daycare ends.
    pub ends_choice: bool,
    /// The wider effect reported, pending confirmation.
    pub reported_effect: Option<OutcomeEffect>,
}

/// Why an answer is refused before anything changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The registration is placed or withdrawn.
    RegistrationClosed,
    /// A missed deadline recorded before the offer expired (the end of its answer-by day in
    /// Québec).
    DeadlineNotReached,
}

impl Transition {
    /// The answer `request` on a referral to be answered by `answer_by`, for a registration in
    /// `state`.
    pub fn of(
        state: RegistrationState,
        answer_by: NaiveDate,
        request: &OutcomeRequest,
    ) -> Result<Transition, Refusal> {
        // The store expires an offer whose deadline passed before it gets here; a daycare
        // saying "no answer" earlier speaks before the family's time is up.
        if request.outcome == OfferOutcome::NoAnswerByDeadline
            && !crate::expiry::is_expired(answer_by, request.now)
        {
            return Err(Refusal::DeadlineNotReached);
        }
        let today = quebec_today(request.now);
        let decision = decide_outcome(state, request.outcome, quebec_rules_on(today))
            .map_err(|_| Refusal::RegistrationClosed)?;
        Ok(Transition {
            referral_status: referral_status(request.outcome),
            ends_choice: decision.ends_choice,
            reported_effect: decision.reported_effect,
        })
    }

    /// Whether the answer is negative (refused, no answer): what the bulk alert counts.
    /// Acceptances are bounded by the vacancy's places instead.
    pub fn is_negative(&self) -> bool {
        self.referral_status != ReferralStatus::Accepted
    }
}

/// The referral status an answer gives.
pub fn referral_status(outcome: OfferOutcome) -> ReferralStatus {
    match outcome {
        OfferOutcome::Accepted => ReferralStatus::Accepted,
        OfferOutcome::Refused { .. } => ReferralStatus::Refused,
        OfferOutcome::NoAnswerByDeadline => ReferralStatus::NoAnswer,
    }
}

/// A confirmed report applied to the registration as it stands now: its new state, and whether
/// its other open referrals close (placed or withdrawn). `None` when it is already closed.
pub fn confirmed_effect(
    state: RegistrationState,
    outcome: OfferOutcome,
    now: DateTime<Utc>,
) -> Option<(RegistrationState, bool)> {
    let (after, _) = apply_outcome(state, outcome, quebec_rules_on(now.date_naive())).ok()?;
    let closes = matches!(
        after.status,
        RegistrationStatus::Placed | RegistrationStatus::Withdrawn
    );
    Some((after, closes))
}

/// The status a reverted referral takes: open again, unless its registration is now closed.
pub fn reverted_referral_status(state: RegistrationState) -> ReferralStatus {
    match state.status {
        RegistrationStatus::Placed | RegistrationStatus::Withdrawn => ReferralStatus::Closed,
        RegistrationStatus::Waiting | RegistrationStatus::Suspended => ReferralStatus::Open,
    }
}

/// One daycare's negative answers in the window, against its list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BulkOutcomes {
    /// Negative answers filed in the window, this one included.
    pub filed: i64,
    /// Referrals still open at the daycare.
    pub open: i64,
    /// The bound `filed` went over.
    pub bound: i64,
}

impl BulkOutcomes {
    /// The alert's detail: counts only.
    pub fn detail(&self) -> String {
        format!(
            "filed={},open={},bound={},window_hours={BULK_OUTCOME_WINDOW_HOURS}",
            self.filed, self.open, self.bound
        )
    }
}

/// Whether this negative answer, the `filed`-th of the window, is the one that takes the
/// daycare over its bound (a quarter of the referrals it held: still open plus answered).
/// Decided inside the answer's transaction, which runs alone, so exactly one answer crosses.
pub fn crosses_bulk_bound(filed: i64, open: i64) -> Option<BulkOutcomes> {
    let bound = ((open + filed) / BULK_OUTCOME_SHARE_DIVISOR).max(BULK_OUTCOME_MINIMUM);
    (filed == bound + 1).then_some(BulkOutcomes { filed, open, bound })
}

/// A referral already made to a vacancy, as a top-up counts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingReferral {
    /// The referral.
    pub id: ReferralId,
    /// Its status code as stored (`open`, `accepted`, …).
    pub status: String,
    /// Its rank in the vacancy's order, as stored.
    pub rank: i32,
}

/// Whether a vacancy of `places` places is already filled by accepted referrals.
pub fn is_filled(places: u32, referrals: &[ExistingReferral]) -> bool {
    let accepted = referrals
        .iter()
        .filter(|r| r.status == ReferralStatus::Accepted.code())
        .count();
    accepted >= usize::try_from(places).unwrap_or(usize::MAX)
}

/// How many further referrals a vacancy needs, and the rank they follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TopUp {
    /// At most this many further referrals.
    pub needed: usize,
    /// The highest rank already given; further referrals are ranked after it.
    pub after_rank: u32,
}

/// The top-up of a vacancy of `places` places once an outcome is applied:
/// [`REFERRALS_PER_PLACE`] for each place no accepted referral fills, less the referrals still
/// open. `closing` are open referrals the outcome closes; `accepted_now` is one it accepts.
/// `None` when the open referrals already cover the places left.
pub fn top_up(
    places: u32,
    referrals: &[ExistingReferral],
    closing: &[ReferralId],
    accepted_now: Option<ReferralId>,
) -> Option<TopUp> {
    let mut accepted = 0i64;
    let mut open = 0i64;
    let mut max_rank = 0i64;
    for referral in referrals {
        max_rank = max_rank.max(i64::from(referral.rank));
        if referral.status == ReferralStatus::Accepted.code() || accepted_now == Some(referral.id) {
            accepted += 1;
        } else if referral.status == ReferralStatus::Open.code() && !closing.contains(&referral.id)
        {
            open += 1;
        }
    }
    let per_place = i64::from(REFERRALS_PER_PLACE);
    let need = (i64::from(places) - accepted).max(0) * per_place - open;
    if need <= 0 {
        return None;
    }
    Some(TopUp {
        needed: usize::try_from(need).unwrap_or(0),
        after_rank: u32::try_from(max_rank).unwrap_or(0),
    })
}

/// The further referrals of `vacancy` among `candidates`, in the regulated order, ranked after
/// the referrals it has. `exclude` is the child the outcome just answered for.
pub fn further_referrals(
    vacancy: &VacancyRecord,
    candidates: Vec<CandidateRecord>,
    top_up: TopUp,
    exclude: RegistrationId,
    now: DateTime<Utc>,
) -> Result<Vec<ReferralRecord>, serde_json::Error> {
    let candidates = candidates
        .into_iter()
        .filter(|c| c.registration_id != exclude)
        .collect();
    let mut more = plan_referrals(vacancy, candidates, now, quebec_rules_on(now.date_naive()))?;
    more.truncate(top_up.needed);
    for referral in &mut more {
        referral.rank += top_up.after_rank;
    }
    Ok(more)
}

/// The audit event of an outcome: the referral answered and the further referrals it made.
/// Its action says whether a wider effect was reported.
pub fn outcome_event(
    request: &OutcomeRequest,
    transition: &Transition,
    further: &[ReferralRecord],
) -> AuditEvent {
    let action = if transition.reported_effect.is_some() {
        "referral.outcome_reported"
    } else {
        "referral.outcome"
    };
    let mut event = AuditEvent::new(
        request.now,
        format!("device:{}", request.device_id),
        action,
        format!("referral:{}", request.referral_id),
    )
    .for_daycare(request.daycare_id);
    event.reason = Some(outcome_code(request.outcome));
    event.referral_ids = std::iter::once(request.referral_id)
        .chain(further.iter().map(|r| r.id))
        .collect();
    event
}

/// The audit event of an operator's confirmation of report `report`: the referrals it closed
/// and the further referrals it made.
pub fn confirmation_event(
    actor: &str,
    report: uuid::Uuid,
    effect: &str,
    answered: ReferralId,
    closed: &[ReferralId],
    further: &[ReferralRecord],
    now: DateTime<Utc>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        now,
        actor.to_owned(),
        "outcome_report.confirmed",
        format!("outcome_report:{report}"),
    );
    event.reason = Some(effect.to_owned());
    event.referral_ids = std::iter::once(answered)
        .chain(closed.iter().copied())
        .chain(further.iter().map(|r| r.id))
        .collect();
    event
}

/// The audit event of an operator's revert of outcome `outcome`, with the operator's reason:
/// the referral answered and the referrals it reopened.
pub fn revert_event(
    actor: &str,
    outcome: uuid::Uuid,
    reason: &str,
    answered: ReferralId,
    reopened: &[ReferralId],
    now: DateTime<Utc>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        now,
        actor.to_owned(),
        "referral.outcome_reverted",
        format!("outcome:{outcome}"),
    );
    event.reason = Some(reason.to_owned());
    event.referral_ids = std::iter::once(answered)
        .chain(reopened.iter().copied())
        .collect();
    event
}

/// The answer to an outcome (JSON), stored under its idempotency key.
pub fn outcome_response(
    request: &OutcomeRequest,
    transition: &Transition,
    further: &[ReferralRecord],
) -> Result<String, serde_json::Error> {
    serde_json::to_string(&OutcomeRecorded {
        referral_id: request.referral_id,
        status: transition.referral_status,
        further_referrals: u32::try_from(further.len()).unwrap_or(u32::MAX),
        pending_confirmation: transition.reported_effect.is_some(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bulk_bound_is_a_quarter_of_the_list_with_a_floor() {
        // Twelve referrals held: a quarter is three, the floor is five; the sixth crosses.
        assert_eq!(crosses_bulk_bound(5, 7), None);
        assert_eq!(
            crosses_bulk_bound(6, 6),
            Some(BulkOutcomes {
                filed: 6,
                open: 6,
                bound: 5
            })
        );
        assert_eq!(crosses_bulk_bound(7, 5), None, "crossed once, not again");
        // Eighty held: a quarter is twenty.
        assert_eq!(crosses_bulk_bound(20, 60), None);
        assert!(crosses_bulk_bound(21, 59).is_some());
    }

    #[test]
    fn a_vacancy_is_filled_by_as_many_acceptances_as_places() {
        let referral = |status: &str| ExistingReferral {
            id: ReferralId::random(),
            status: status.to_owned(),
            rank: 1,
        };
        let one = [referral("accepted"), referral("open")];
        assert!(is_filled(1, &one));
        assert!(!is_filled(2, &one));
    }

    #[test]
    fn a_reverted_referral_reopens_unless_the_registration_is_closed() {
        let with = |status| RegistrationState {
            status,
            missed_deadlines: 0,
        };
        assert_eq!(
            reverted_referral_status(with(RegistrationStatus::Suspended)),
            ReferralStatus::Open
        );
        assert_eq!(
            reverted_referral_status(with(RegistrationStatus::Placed)),
            ReferralStatus::Closed
        );
    }
}
