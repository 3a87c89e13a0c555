//! Property: for random sequences of vacancies, outcomes, syncs and contact reveals at two
//! daycares sharing their candidates (seeded data, real mutual TLS, SQLite), no vacancy accepts
//! more children than its places, a daycare's answers alone never change a registration (they
//! end only its own referral and the family's choice of it), every declaration refers exactly
//! the domain's regulated order over the children who may be referred at that moment, and every
//! read of personal data has its audit entry.
//!
//! Each case starts a fresh service and database, so there are few cases; failures shrink to
//! short sequences and are saved in `crates/central/proptest-regressions/`.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;

use common::referral_pool::{declare_one, outcome, pool, reveal, sync, Pool};
use common::{DeviceKeys, Harness};
use placeforte_central::{SqliteStore, Storage};
use placeforte_domain::{
    decide_outcome, quebec_rules_on, rank_candidates, Capacity, OfferOutcome, RefusalReason,
    RegistrationState,
};
use placeforte_protocol::referrals::{ReferralPage, ReferralStatus};
use placeforte_protocol::{RegistrationId, VacancyId};
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::FileFailurePersistence;
use serde_json::json;

#[derive(Debug, Clone)]
enum Step {
    Declare {
        other: bool,
        places: u32,
    },
    Outcome {
        other: bool,
        pick: Index,
        outcome: OfferOutcome,
    },
    Sync {
        other: bool,
    },
    Reveal {
        other: bool,
        pick: Index,
    },
}

fn outcome_strategy() -> impl Strategy<Value = OfferOutcome> {
    prop_oneof![
        Just(OfferOutcome::Accepted),
        Just(OfferOutcome::NoAnswerByDeadline),
        proptest::sample::select(RefusalReason::ALL.to_vec())
            .prop_map(|reason| OfferOutcome::Refused { reason }),
    ]
}

fn step_strategy() -> impl Strategy<Value = Step> {
    prop_oneof![
        1 => (any::<bool>(), 1..=3u32).prop_map(|(other, places)| Step::Declare { other, places }),
        3 => (any::<bool>(), any::<Index>(), outcome_strategy())
            .prop_map(|(other, pick, outcome)| Step::Outcome { other, pick, outcome }),
        1 => any::<bool>().prop_map(|other| Step::Sync { other }),
        1 => (any::<bool>(), any::<Index>()).prop_map(|(other, pick)| Step::Reveal { other, pick }),
    ]
}

/// What the test knows: the vacancies declared (at which daycare, how many places) and the
/// choices the accepted answers ended, kept with the domain's own `decide_outcome`.
struct Model {
    pool: Pool,
    vacancies: Vec<(bool, VacancyId, u32)>,
    ended_choices: HashSet<(bool, RegistrationId)>,
}

impl Model {
    fn device(&self, other: bool) -> &DeviceKeys {
        if other {
            &self.pool.other_device
        } else {
            &self.pool.device
        }
    }

    /// The open referrals made to one daycare, as the service holds them.
    async fn open_referrals(
        &self,
        h: &Harness<SqliteStore>,
        other: bool,
    ) -> Vec<placeforte_central::store::ReferralRecord> {
        let mut open = Vec::new();
        for (at_other, vacancy, _) in &self.vacancies {
            if *at_other == other {
                open.extend(
                    h.store
                        .vacancy_referrals(*vacancy)
                        .await
                        .unwrap()
                        .into_iter()
                        .filter(|r| r.status == "open"),
                );
            }
        }
        open
    }
}

async fn declare_step(h: &Harness<SqliteStore>, model: &mut Model, other: bool, places: u32) {
    let today = h.now().date_naive();
    let busy: HashSet<RegistrationId> = model
        .open_referrals(h, other)
        .await
        .iter()
        .map(|r| r.registration_id)
        .collect();
    let mut chose: Vec<_> = model.pool.eligible.clone();
    if other {
        chose.push(model.pool.elsewhere.clone());
    }
    let referable: Vec<_> = chose
        .into_iter()
        .filter(|c| !model.ended_choices.contains(&(other, *c.key())) && !busy.contains(c.key()))
        .collect();
    let expected: Vec<RegistrationId> = rank_candidates(
        &referable,
        Capacity::from(places),
        today,
        quebec_rules_on(today),
    )
    .unwrap()
    .into_iter()
    .take(usize::try_from(places * 3).unwrap())
    .map(|r| r.key)
    .collect();
    let declared = declare_one(h, model.device(other), places).await;
    let made: Vec<RegistrationId> = h
        .store
        .vacancy_referrals(declared.vacancy_id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.registration_id)
        .collect();
    assert_eq!(
        made, expected,
        "the regulated order over who may be referred"
    );
    model.vacancies.push((other, declared.vacancy_id, places));
}

async fn outcome_step(
    h: &Harness<SqliteStore>,
    model: &mut Model,
    other: bool,
    pick: Index,
    offer: OfferOutcome,
) {
    let open = model.open_referrals(h, other).await;
    if open.is_empty() {
        return;
    }
    let target = &open[pick.index(open.len())];
    let (status, body) = outcome(
        h,
        model.device(other),
        &target.id.to_string(),
        uuid::Uuid::new_v4(),
        serde_json::to_value(offer).unwrap(),
    )
    .await;
    // The clock stays within the week every referral has to be answered.
    if offer == OfferOutcome::NoAnswerByDeadline {
        assert_eq!(status, 422, "{body}");
        return;
    }
    let places = model
        .vacancies
        .iter()
        .find(|(_, v, _)| *v == target.vacancy_id)
        .map(|(_, _, places)| *places)
        .unwrap();
    let accepted = h
        .store
        .vacancy_referrals(target.vacancy_id)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.status == ReferralStatus::Accepted.code() && r.id != target.id)
        .count();
    if offer == OfferOutcome::Accepted && status == 409 {
        assert_eq!(common::api_error(&body).code, "vacancy_filled");
        assert_eq!(accepted, usize::try_from(places).unwrap());
        return;
    }
    assert_eq!(status, 200, "{offer:?}: {body}");
    let decision = decide_outcome(
        RegistrationState::NEW,
        offer,
        quebec_rules_on(h.now().date_naive()),
    )
    .unwrap();
    if decision.ends_choice {
        model.ended_choices.insert((other, target.registration_id));
    }
}

/// The audit entries after `after` by `device` with `action`, as sets of referral ids.
async fn audited(
    h: &Harness<SqliteStore>,
    after: i64,
    device: &DeviceKeys,
    action: &str,
) -> Vec<HashSet<String>> {
    let actor = format!("device:{}", device.certificate.device_id);
    h.store
        .audit_entries(after, 1_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.leaf.actor == actor && e.leaf.action == action)
        .map(|e| {
            e.leaf
                .referral_ids
                .split(',')
                .filter(|id| !id.is_empty())
                .map(str::to_owned)
                .collect()
        })
        .collect()
}

async fn sync_step(h: &Harness<SqliteStore>, model: &Model, other: bool) {
    let events = h.event_count().await;
    let device = model.device(other);
    let (status, body) = sync(h, device, "?limit=500").await;
    assert_eq!(status, 200, "{body}");
    let page: ReferralPage = serde_json::from_str(&body).unwrap();
    let sent: HashSet<String> = page
        .referrals
        .iter()
        .map(|r| r.referral_id.to_string())
        .collect();
    // An empty page reads no personal data and is not logged.
    let expected: Vec<HashSet<String>> = if sent.is_empty() { vec![] } else { vec![sent] };
    assert_eq!(
        audited(h, events, device, "referrals.synced").await,
        expected,
        "the page read is audited with every referral it sent"
    );
}

async fn reveal_step(h: &Harness<SqliteStore>, model: &Model, other: bool, pick: Index) {
    let open = model.open_referrals(h, other).await;
    if open.is_empty() {
        return;
    }
    let target = open[pick.index(open.len())].id.to_string();
    let events = h.event_count().await;
    let device = model.device(other);
    let (status, body) = reveal(h, device, &target, json!({"reason": "offer_call"})).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        audited(h, events, device, "contact.revealed").await,
        [HashSet::from([target])],
        "the reveal is audited"
    );
}

async fn run(steps: Vec<Step>) {
    let h = Harness::sqlite().await;
    let mut model = Model {
        pool: pool(&h).await,
        vacancies: Vec::new(),
        ended_choices: HashSet::new(),
    };
    for step in steps {
        match step {
            Step::Declare { other, places } => declare_step(&h, &mut model, other, places).await,
            Step::Outcome {
                other,
                pick,
                outcome,
            } => outcome_step(&h, &mut model, other, pick, outcome).await,
            Step::Sync { other } => sync_step(&h, &model, other).await,
            Step::Reveal { other, pick } => reveal_step(&h, &model, other, pick).await,
        }
    }
    let mut referrals = Vec::new();
    for (_, vacancy, places) in &model.vacancies {
        let made = h.store.vacancy_referrals(*vacancy).await.unwrap();
        let accepted = made
            .iter()
            .filter(|r| r.status == ReferralStatus::Accepted.code())
            .count();
        assert!(
            accepted <= usize::try_from(*places).unwrap(),
            "no vacancy accepts more children than its places"
        );
        referrals.extend(made);
    }
    for r in &referrals {
        assert_eq!(
            h.store.registration_state(r.registration_id).await.unwrap(),
            None,
            "a daycare's answers alone change no registration"
        );
    }
    // Every referral made (declared or refilled) is named by an audit entry.
    let log = h.store.audit_entries(0, 100_000).await.unwrap();
    for r in &referrals {
        let id = r.id.to_string();
        assert!(
            log.iter()
                .any(|e| e.leaf.referral_ids.split(',').any(|x| x == id)),
            "referral {id} is in the audit log"
        );
    }
}

proptest! {
    // Each case starts a service on a fresh database: a few dozen requests, about a second.
    #![proptest_config(ProptestConfig {
        cases: 16,
        failure_persistence: Some(Box::new(FileFailurePersistence::Direct(
            "proptest-regressions/properties.txt",
        ))),
        ..ProptestConfig::default()
    })]

    #[test]
    fn random_vacancies_outcomes_and_reads_keep_the_rules(
        steps in proptest::collection::vec(step_strategy(), 1..24)
    ) {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap()
            .block_on(run(steps));
    }
}
