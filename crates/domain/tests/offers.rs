//! Worked examples of vacancy eligibility and offer outcomes, one rule each.
#![allow(clippy::unwrap_used)] // Test helpers outside #[test] fns unwrap too.

mod common;

use common::{born, d};
use placeforte_domain::{
    apply_outcome, reactivate, referable_to_vacancy, AgeClass, Ineligibility, OfferOutcome,
    OutcomeEffect, OutcomeError, ReactivationError, RefusalReason, RegistrationState,
    RegistrationStatus, QUEBEC_2025,
};
use proptest::prelude::*;

const RULES: &placeforte_domain::RuleSet = &QUEBEC_2025;

fn state(status: RegistrationStatus, missed: u32) -> RegistrationState {
    RegistrationState {
        status,
        missed_deadlines: missed,
    }
}

#[test]
fn a_child_of_the_vacancys_class_on_its_start_day_who_wanted_to_start_by_then_is_referable() {
    // Born 2024-05-10: 16 months on 2025-09-02, 18 months on 2025-11-10.
    let birth = born(2024, 5, 10);
    let start = d(2025, 9, 2);
    assert_eq!(
        referable_to_vacancy(birth, d(2025, 8, 1), AgeClass::Under18Months, start, RULES),
        Ok(())
    );
    assert_eq!(
        referable_to_vacancy(birth, start, AgeClass::Under18Months, start, RULES),
        Ok(())
    );
}

#[test]
fn a_child_of_another_class_on_the_start_day_is_not_referable() {
    let birth = born(2024, 5, 10);
    assert_eq!(
        referable_to_vacancy(
            birth,
            d(2025, 8, 1),
            AgeClass::From18MonthsTo4Years,
            d(2025, 9, 2),
            RULES
        ),
        Err(Ineligibility::OtherAgeClass {
            class_on_start: AgeClass::Under18Months
        })
    );
    // Its class on the start day counts, not today's: 18 months by 2025-11-10.
    assert_eq!(
        referable_to_vacancy(
            birth,
            d(2025, 8, 1),
            AgeClass::From18MonthsTo4Years,
            d(2025, 11, 10),
            RULES
        ),
        Ok(())
    );
}

#[test]
fn a_child_of_5_on_september_30_cannot_take_a_subsidized_place() {
    let birth = born(2020, 9, 30);
    assert_eq!(
        referable_to_vacancy(
            birth,
            d(2025, 1, 1),
            AgeClass::FiveAndOver,
            d(2025, 9, 2),
            RULES
        ),
        Err(Ineligibility::TooOldForSubsidizedPlace)
    );
    assert_eq!(
        referable_to_vacancy(
            birth,
            d(2025, 1, 1),
            AgeClass::FourYears,
            d(2025, 8, 1),
            RULES
        ),
        Ok(())
    );
}

#[test]
fn a_child_not_born_by_the_start_day_or_wanted_later_is_not_referable() {
    let birth = born(2025, 10, 1);
    assert_eq!(
        referable_to_vacancy(
            birth,
            d(2025, 10, 1),
            AgeClass::Under18Months,
            d(2025, 9, 2),
            RULES
        ),
        Err(Ineligibility::NotBornByStart)
    );
    let birth = born(2024, 5, 10);
    assert_eq!(
        referable_to_vacancy(
            birth,
            d(2025, 9, 3),
            AgeClass::Under18Months,
            d(2025, 9, 2),
            RULES
        ),
        Err(Ineligibility::WantsToStartLater {
            desired_entry: d(2025, 9, 3)
        })
    );
}

#[test]
fn accepting_places_the_child() {
    assert_eq!(
        apply_outcome(RegistrationState::NEW, OfferOutcome::Accepted, RULES),
        Ok((state(RegistrationStatus::Placed, 0), OutcomeEffect::Placed))
    );
}

#[test]
fn declining_withdraws_the_request() {
    let refused = OfferOutcome::Refused {
        reason: RefusalReason::NoLongerNeeded,
    };
    assert_eq!(
        apply_outcome(RegistrationState::NEW, refused, RULES),
        Ok((
            state(RegistrationStatus::Withdrawn, 0),
            OutcomeEffect::WithdrawnByRefusal
        ))
    );
}

#[test]
fn declining_for_an_excepted_reason_keeps_the_request_waiting() {
    let refused = OfferOutcome::Refused {
        reason: RefusalReason::StartEarlierThanWanted,
    };
    assert_eq!(
        apply_outcome(RegistrationState::NEW, refused, RULES),
        Ok((
            RegistrationState::NEW,
            OutcomeEffect::KeptByRefusalException
        ))
    );
    // The exceptions are data: with none, the same refusal withdraws.
    let mut strict = QUEBEC_2025;
    strict.offers.refusals_that_keep_the_request.value = &[];
    assert_eq!(
        apply_outcome(RegistrationState::NEW, refused, &strict).map(|(s, _)| s.status),
        Ok(RegistrationStatus::Withdrawn)
    );
}

#[test]
fn a_first_missed_deadline_suspends_and_a_second_withdraws() {
    let (after_first, effect) = apply_outcome(
        RegistrationState::NEW,
        OfferOutcome::NoAnswerByDeadline,
        RULES,
    )
    .unwrap();
    assert_eq!(after_first, state(RegistrationStatus::Suspended, 1));
    assert_eq!(
        effect,
        OutcomeEffect::SuspendedByMissedDeadline { missed: 1 }
    );
    assert!(!after_first.is_referable());

    // The family reactivates; the count stays.
    let reactivated = state(RegistrationStatus::Waiting, 1);
    assert!(reactivated.is_referable());
    assert_eq!(
        apply_outcome(reactivated, OfferOutcome::NoAnswerByDeadline, RULES),
        Ok((
            state(RegistrationStatus::Withdrawn, 2),
            OutcomeEffect::WithdrawnByMissedDeadline { missed: 2 }
        ))
    );
}

#[test]
fn a_suspended_request_is_reactivated_with_its_missed_count_so_the_next_miss_withdraws() {
    let (suspended, _) = apply_outcome(
        RegistrationState::NEW,
        OfferOutcome::NoAnswerByDeadline,
        RULES,
    )
    .unwrap();
    let reactivated = reactivate(suspended, RULES).unwrap();
    assert_eq!(reactivated, state(RegistrationStatus::Waiting, 1));
    assert!(reactivated.is_referable());
    let (after, effect) =
        apply_outcome(reactivated, OfferOutcome::NoAnswerByDeadline, RULES).unwrap();
    assert_eq!(after, state(RegistrationStatus::Withdrawn, 2));
    assert_eq!(
        effect,
        OutcomeEffect::WithdrawnByMissedDeadline { missed: 2 }
    );
}

#[test]
fn only_a_suspended_request_is_reactivated() {
    for status in [
        RegistrationStatus::Waiting,
        RegistrationStatus::Placed,
        RegistrationStatus::Withdrawn,
    ] {
        let refused = reactivate(state(status, 1), RULES);
        assert_eq!(refused, Err(ReactivationError::NotSuspended(status)));
        assert_eq!(
            refused.map_err(|e| e.code()),
            Err("registration_not_suspended")
        );
    }
    // A suspension already at the withdrawal count (a rule set that lowered it) is due to be
    // withdrawn, not put back.
    assert_eq!(
        reactivate(state(RegistrationStatus::Suspended, 2), RULES),
        Err(ReactivationError::WithdrawalDue { missed: 2 })
    );
}

#[test]
fn an_offer_made_before_a_suspension_can_still_be_accepted() {
    assert_eq!(
        apply_outcome(
            state(RegistrationStatus::Suspended, 1),
            OfferOutcome::Accepted,
            RULES
        ),
        Ok((state(RegistrationStatus::Placed, 1), OutcomeEffect::Placed))
    );
}

#[test]
fn a_placed_or_withdrawn_registration_takes_no_outcome() {
    for status in [RegistrationStatus::Placed, RegistrationStatus::Withdrawn] {
        let err = apply_outcome(state(status, 0), OfferOutcome::Accepted, RULES).unwrap_err();
        assert_eq!(err, OutcomeError::RegistrationClosed(status));
        assert_eq!(err.code(), "registration_closed");
    }
}

#[test]
fn outcomes_and_reasons_have_stable_snake_case_codes() {
    let json = serde_json::to_string(&OfferOutcome::Refused {
        reason: RefusalReason::ChildHealth,
    })
    .unwrap();
    assert_eq!(json, r#"{"kind":"refused","reason":"child_health"}"#);
    for reason in RefusalReason::ALL {
        assert_eq!(
            serde_json::to_string(&reason).unwrap(),
            format!("\"{}\"", reason.code())
        );
    }
    assert!(serde_json::from_str::<OfferOutcome>(r#"{"kind":"maybe"}"#).is_err());
}

fn outcome() -> impl Strategy<Value = OfferOutcome> {
    prop_oneof![
        Just(OfferOutcome::Accepted),
        Just(OfferOutcome::NoAnswerByDeadline),
        prop::sample::select(RefusalReason::ALL.to_vec())
            .prop_map(|reason| OfferOutcome::Refused { reason }),
    ]
}

proptest! {
    #[test]
    fn a_registration_closes_once_and_missed_deadlines_only_grow(
        outcomes in prop::collection::vec(outcome(), 0..12),
        reactivate in any::<bool>(),
    ) {
        let mut current = RegistrationState::NEW;
        for outcome in outcomes {
            let closed = matches!(current.status, RegistrationStatus::Placed | RegistrationStatus::Withdrawn);
            match apply_outcome(current, outcome, RULES) {
                Ok((next, _)) => {
                    prop_assert!(!closed);
                    prop_assert!(next.missed_deadlines >= current.missed_deadlines);
                    if next.missed_deadlines >= 2 {
                        prop_assert_eq!(next.status, RegistrationStatus::Withdrawn);
                    }
                    current = next;
                    if reactivate && current.status == RegistrationStatus::Suspended {
                        current.status = RegistrationStatus::Waiting;
                    }
                }
                Err(_) => prop_assert!(closed),
            }
        }
    }
}
