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
