//! What an offer's outcome does to a registration (DESIGN.md §4).
//!
//! Accepting places the child. Declining withdraws the request, except for the refusal reasons
//! the rule set lists as exceptions. Missing the answer deadline suspends the request the first
//! time and withdraws it the second. All of these counts and exceptions are rule-set data.

use serde::{Deserialize, Serialize};

use crate::rules::RuleSet;

/// Why a family refused an offered place. Codes are stable (stored, sent, translated).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum RefusalReason {
    /// The family no longer needs a place.
    NoLongerNeeded,
    /// The child has a place elsewhere.
    AcceptedElsewhere,
    /// The schedule or the distance does not suit the family.
    ScheduleOrDistance,
    /// The offered start is earlier than the family's desired entry date.
    StartEarlierThanWanted,
    /// The child's health prevents starting now.
    ChildHealth,
    /// Any other reason.
    Other,
}

impl RefusalReason {
    /// Every reason, in the order screens list them.
    pub const ALL: [RefusalReason; 6] = [
        RefusalReason::NoLongerNeeded,
        RefusalReason::AcceptedElsewhere,
        RefusalReason::ScheduleOrDistance,
        RefusalReason::StartEarlierThanWanted,
        RefusalReason::ChildHealth,
        RefusalReason::Other,
    ];

    /// Stable code (storage, wire, i18n key).
    pub fn code(self) -> &'static str {
        match self {
            RefusalReason::NoLongerNeeded => "no_longer_needed",
            RefusalReason::AcceptedElsewhere => "accepted_elsewhere",
            RefusalReason::ScheduleOrDistance => "schedule_or_distance",
            RefusalReason::StartEarlierThanWanted => "start_earlier_than_wanted",
            RefusalReason::ChildHealth => "child_health",
            RefusalReason::Other => "other",
        }
    }
}

/// The outcome a daycare records for an offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum OfferOutcome {
    /// The family accepted the place.
    Accepted,
    /// The family refused, for a reason.
    Refused {
        /// The reason given.
        reason: RefusalReason,
    },
    /// The family did not answer by the deadline.
    NoAnswerByDeadline,
}

/// Where a registration stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegistrationStatus {
    /// Waiting for a place; can be referred.
    Waiting,
    /// Suspended after a missed deadline; not referred until the family reactivates it.
    Suspended,
    /// Withdrawn; never referred again.
    Withdrawn,
    /// The child has a place.
    Placed,
}

/// A registration's status and its count of missed deadlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistrationState {
    /// Current status.
    pub status: RegistrationStatus,
    /// Offers left unanswered past their deadline so far.
    pub missed_deadlines: u32,
}

impl RegistrationState {
    /// A new registration, waiting, with no missed deadline.
    pub const NEW: RegistrationState = RegistrationState {
        status: RegistrationStatus::Waiting,
        missed_deadlines: 0,
    };

    /// Whether it may be referred to a vacancy.
    pub fn is_referable(self) -> bool {
        self.status == RegistrationStatus::Waiting
    }
}

/// What an outcome did and why, for the audit log and for telling the family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutcomeEffect {
    /// Accepted: the child is placed and leaves every other referral pool.
    Placed,
    /// Refused: the request is withdrawn.
    WithdrawnByRefusal,
    /// Refused for a reason the rules except: the request keeps waiting.
    KeptByRefusalException,
    /// A missed deadline suspended the request.
    SuspendedByMissedDeadline {
        /// Missed deadlines so far.
        missed: u32,
    },
    /// A missed deadline withdrew the request.
    WithdrawnByMissedDeadline {
        /// Missed deadlines so far.
        missed: u32,
    },
}

/// An outcome that cannot apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OutcomeError {
    /// The registration is already placed or withdrawn.
    #[error("the registration is closed ({0:?}); no outcome can apply to it")]
    RegistrationClosed(RegistrationStatus),
}

impl OutcomeError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            OutcomeError::RegistrationClosed(_) => "registration_closed",
        }
    }
}

/// The registration's new state after `outcome`, and what happened, under `rules`.
///
/// An offer made while the registration was waiting may be answered after another daycare's
/// missed deadline suspended it: the outcome still applies. A placed or withdrawn registration
/// takes no further outcome.
pub fn apply_outcome(
    state: RegistrationState,
    outcome: OfferOutcome,
    rules: &RuleSet,
) -> Result<(RegistrationState, OutcomeEffect), OutcomeError> {
    if matches!(
        state.status,
        RegistrationStatus::Placed | RegistrationStatus::Withdrawn
    ) {
        return Err(OutcomeError::RegistrationClosed(state.status));
    }
    let offers = &rules.offers;
    let with_status = |status| RegistrationState { status, ..state };
    Ok(match outcome {
        OfferOutcome::Accepted => (
            with_status(RegistrationStatus::Placed),
            OutcomeEffect::Placed,
        ),
        OfferOutcome::Refused { reason } => {
            if offers
                .refusals_that_keep_the_request
                .value
                .contains(&reason)
            {
                (state, OutcomeEffect::KeptByRefusalException)
            } else {
                (
                    with_status(RegistrationStatus::Withdrawn),
                    OutcomeEffect::WithdrawnByRefusal,
                )
            }
        }
        OfferOutcome::NoAnswerByDeadline => {
            let missed = state.missed_deadlines.saturating_add(1);
            if missed >= offers.missed_deadlines_to_withdraw.value {
                (
                    RegistrationState {
                        status: RegistrationStatus::Withdrawn,
                        missed_deadlines: missed,
                    },
                    OutcomeEffect::WithdrawnByMissedDeadline { missed },
                )
            } else {
                (
                    RegistrationState {
                        status: RegistrationStatus::Suspended,
                        missed_deadlines: missed,
                    },
                    OutcomeEffect::SuspendedByMissedDeadline { missed },
                )
            }
        }
    })
}

/// Why a registration cannot be reactivated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ReactivationError {
    /// Only a suspended request is reactivated; this one is waiting, placed or withdrawn.
    #[error("the registration is not suspended ({0:?}); only a suspended request is reactivated")]
    NotSuspended(RegistrationStatus),
    /// Its missed deadlines already reach the rule set's withdrawal count.
    #[error("the registration missed {missed} deadlines; under these rules it is withdrawn, not reactivated")]
    WithdrawalDue {
        /// Missed deadlines so far.
        missed: u32,
    },
}

impl ReactivationError {
    /// Stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ReactivationError::NotSuspended(_) => "registration_not_suspended",
            ReactivationError::WithdrawalDue { .. } => "withdrawal_due",
        }
    }
}

/// A suspended request put back on the list, under `rules`: it waits again and can be
/// referred, and keeps its count of missed deadlines, so the next miss (the count reaching
/// `missed_deadlines_to_withdraw`) withdraws it. The rules suspend a request on a first missed
/// time limit precisely so the family can come back; a withdrawn request never does.
///
/// A suspended state whose count already reaches the withdrawal count (not one
/// [`apply_outcome`] makes, but a rule set may lower the count) is refused: under these rules
/// that request is due to be withdrawn, not put back.
pub fn reactivate(
    state: RegistrationState,
    rules: &RuleSet,
) -> Result<RegistrationState, ReactivationError> {
    if state.status != RegistrationStatus::Suspended {
        return Err(ReactivationError::NotSuspended(state.status));
    }
    let withdraws_at = rules.offers.missed_deadlines_to_withdraw.value;
    if state.missed_deadlines >= withdraws_at {
        return Err(ReactivationError::WithdrawalDue {
            missed: state.missed_deadlines,
        });
    }
    Ok(RegistrationState {
        status: RegistrationStatus::Waiting,
        ..state
    })
}

impl OutcomeEffect {
    /// Stable code of the effect (stored with a daycare's report, shown to the operator).
    pub fn code(self) -> &'static str {
        match self {
            OutcomeEffect::Placed => "placed",
            OutcomeEffect::WithdrawnByRefusal => "withdrawn_by_refusal",
            OutcomeEffect::KeptByRefusalException => "kept_by_refusal_exception",
            OutcomeEffect::SuspendedByMissedDeadline { .. } => "suspended_by_missed_deadline",
            OutcomeEffect::WithdrawnByMissedDeadline { .. } => "withdrawn_by_missed_deadline",
        }
    }
}

/// What one daycare's word on its own referral decides at once, and what it only reports.
///
/// A daycare may end its own referral and the family's choice of it; anything that reaches the
/// family's other daycares (suspending, withdrawing or placing the registration, which closes
/// its other referrals) is a report that the family or the operator must confirm.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeDecision {
    /// Whether the family's choice of this daycare ends (it is not referred there again).
    pub ends_choice: bool,
    /// The effect on the whole registration the daycare reports, applied only when confirmed
    /// (then by [`apply_outcome`] on the registration as it stands at that time).
    pub reported_effect: Option<OutcomeEffect>,
}

/// Splits `outcome` on a registration in `state` into its own-referral part and the wider
/// effect it reports, under `rules`. A closed registration takes no outcome, as in
/// [`apply_outcome`].
pub fn decide_outcome(
    state: RegistrationState,
    outcome: OfferOutcome,
    rules: &RuleSet,
) -> Result<OutcomeDecision, OutcomeError> {
    let (after, effect) = apply_outcome(state, outcome, rules)?;
    Ok(match effect {
        OutcomeEffect::KeptByRefusalException => OutcomeDecision {
            ends_choice: false,
            reported_effect: None,
        },
        wide => OutcomeDecision {
            ends_choice: true,
            reported_effect: (after != state).then_some(wide),
        },
    })
}

#[cfg(test)]
mod decision_tests {
    use super::*;
    use crate::rules::QUEBEC_2025;

    fn decide(state: RegistrationState, outcome: OfferOutcome) -> OutcomeDecision {
        decide_outcome(state, outcome, &QUEBEC_2025).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn accepting_ends_the_choice_and_reports_the_placement() {
        let decision = decide(RegistrationState::NEW, OfferOutcome::Accepted);
        assert!(decision.ends_choice);
        assert_eq!(decision.reported_effect, Some(OutcomeEffect::Placed));
    }

    #[test]
    fn no_longer_needed_ends_only_the_choice_and_reports_the_withdrawal() {
        let decision = decide(
            RegistrationState::NEW,
            OfferOutcome::Refused {
                reason: RefusalReason::NoLongerNeeded,
            },
        );
        assert!(decision.ends_choice);
        assert_eq!(
            decision.reported_effect,
            Some(OutcomeEffect::WithdrawnByRefusal)
        );
    }

    #[test]
    fn a_refusal_the_rules_except_changes_nothing_beyond_the_referral() {
        let decision = decide(
            RegistrationState::NEW,
            OfferOutcome::Refused {
                reason: RefusalReason::ChildHealth,
            },
        );
        assert_eq!(
            decision,
            OutcomeDecision {
                ends_choice: false,
                reported_effect: None,
            }
        );
    }

    #[test]
    fn missed_deadlines_report_the_suspension_then_the_withdrawal() {
        let first = decide(RegistrationState::NEW, OfferOutcome::NoAnswerByDeadline);
        assert_eq!(
            first.reported_effect,
            Some(OutcomeEffect::SuspendedByMissedDeadline { missed: 1 })
        );
        let suspended = RegistrationState {
            status: RegistrationStatus::Suspended,
            missed_deadlines: 1,
        };
        let second = decide(suspended, OfferOutcome::NoAnswerByDeadline);
        assert!(second.ends_choice);
        assert_eq!(
            second.reported_effect,
            Some(OutcomeEffect::WithdrawnByMissedDeadline { missed: 2 })
        );
    }

    #[test]
    fn a_closed_registration_takes_no_decision() {
        let placed = RegistrationState {
            status: RegistrationStatus::Placed,
            missed_deadlines: 0,
        };
        assert_eq!(
            decide_outcome(placed, OfferOutcome::Accepted, &QUEBEC_2025),
            Err(OutcomeError::RegistrationClosed(RegistrationStatus::Placed))
        );
    }
}
