//! What a family's answer to a referral does. The store reads and writes inside the outcome's
//! transaction; these rules decide: the referral's and the registration's new status (the
//! domain's `apply_outcome`), whether the child's other referrals close, how many further
//! candidates each vacancy left short is referred, and the audit entry and answer.

use chrono::{DateTime, Utc};
use placeforte_domain::{
    apply_outcome, quebec_rules_on, OfferOutcome, RegistrationState, RegistrationStatus,
};
use placeforte_protocol::referrals::{OutcomeRecorded, ReferralStatus};
use placeforte_protocol::{ReferralId, RegistrationId};

use crate::referrals::{outcome_code, plan_referrals, REFERRALS_PER_PLACE};
use crate::store::{AuditEvent, CandidateRecord, OutcomeRequest, ReferralRecord, VacancyRecord};

/// What an outcome does to its referral and to the child's registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The referral's new status.
    pub referral_status: ReferralStatus,
    /// The registration's new state.
    pub registration: RegistrationState,
}

impl Transition {
    /// The outcome of `request` applied to a registration in `state`, or `None` when the
    /// registration cannot take it (it is closed).
    pub fn of(state: RegistrationState, request: &OutcomeRequest) -> Option<Transition> {
        let (registration, _effect) = apply_outcome(
            state,
            request.outcome,
            quebec_rules_on(request.now.date_naive()),
        )
        .ok()?;
        let referral_status = match request.outcome {
            OfferOutcome::Accepted => ReferralStatus::Accepted,
            OfferOutcome::Refused { .. } => ReferralStatus::Refused,
            OfferOutcome::NoAnswerByDeadline => ReferralStatus::NoAnswer,
        };
        Some(Transition {
            referral_status,
            registration,
        })
    }

    /// Whether the child leaves every other pool: a placed or withdrawn child's other open
    /// referrals close.
    pub fn closes_other_referrals(&self) -> bool {
        matches!(
            self.registration.status,
            RegistrationStatus::Placed | RegistrationStatus::Withdrawn
        )
    }
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
/// the referrals it has. `exclude` is the child the outcome just placed or withdrew.
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

/// The audit event of an outcome: the referral answered, the child's referrals it closed and
/// the further referrals it made.
pub fn outcome_event(
    request: &OutcomeRequest,
    closing: &[ReferralId],
    further: &[ReferralRecord],
) -> AuditEvent {
    let mut event = AuditEvent::new(
        request.now,
        format!("device:{}", request.device_id),
        "referral.outcome",
        format!("referral:{}", request.referral_id),
    )
    .for_daycare(request.daycare_id);
    event.reason = Some(outcome_code(request.outcome));
    event.referral_ids = std::iter::once(request.referral_id)
        .chain(closing.iter().copied())
        .chain(further.iter().map(|r| r.id))
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
    })
}
