//! Finding 1 of the insider review, "Erasing families": a compromised workstation's answers to
//! its own referrals must not take families off other daycares' lists, fill a vacancy beyond
//! its places, or answer for a family before its deadline (from the deadline on, the service's
//! own clock applies the miss, not the workstation); and filing negative answers in bulk is
//! alerted on.

use chrono::Duration;
use placeforte_central::store::{ReferralRecord, Storage};
use placeforte_domain::end_of_quebec_day;
use placeforte_protocol::referrals::{OutcomeRecorded, ReferralStatus};
use placeforte_protocol::VacancyId;
use serde_json::json;

use crate::common::referral_pool::{all_referrals, declared_referrals, outcome, pool, Pool};
use crate::common::{self, Harness};
use crate::on_both_backends;
use placeforte_central::operator;

on_both_backends!(
    no_answer_before_the_deadline_is_refused,
    a_daycares_negative_word_leaves_the_family_on_other_lists,
    an_acceptance_closes_other_daycares_referrals_only_once_confirmed,
    a_one_place_vacancy_accepts_exactly_one_of_parallel_acceptances,
    negative_answers_in_bulk_raise_an_alert,
    a_revert_restores_the_family_exactly_and_is_audited,
);

/// Confirms, as the operator, the one pending report, made on `referral`.
async fn confirm_the_only_report<S: Storage>(h: &Harness<S>, referral: &ReferralRecord) {
    let reports = operator::outcome_reports(&h.store, &h.operator, h.now())
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].referral_id, referral.id);
    assert_eq!(reports[0].registration_id, referral.registration_id);
    operator::confirm_outcome_report(&h.store, &h.operator, h.now(), reports[0].id)
        .await
        .unwrap();
    assert!(
        operator::confirm_outcome_report(&h.store, &h.operator, h.now(), reports[0].id)
            .await
            .is_err(),
        "a report is confirmed once"
    );
}

/// What a revert must restore: the registration's state and choices, and its referrals at
/// both daycares (status, rank and its reason, deadline).
async fn standing<S: Storage>(
    h: &Harness<S>,
    vacancies: &[VacancyId],
    registration: placeforte_protocol::RegistrationId,
) -> impl PartialEq + std::fmt::Debug {
    let state = h.store.registration_state(registration).await.unwrap();
    let choices = h.store.registration_choices(registration).await.unwrap();
    let mut referrals = Vec::new();
    for vacancy in vacancies {
        referrals.extend(
            h.store
                .vacancy_referrals(*vacancy)
                .await
                .unwrap()
                .into_iter()
                .filter(|r| r.registration_id == registration),
        );
    }
    (state, choices, referrals)
}

/// The referrals of one vacancy at each daycare, and the children referred to both.
async fn both_daycares<S: Storage>(
    h: &Harness<S>,
    pool: &Pool,
) -> (Vec<ReferralRecord>, Vec<ReferralRecord>) {
    let at_a = declared_referrals(h, &pool.device, 1).await;
    let at_b = declared_referrals(h, &pool.other_device, 1).await;
    let shared: Vec<ReferralRecord> = at_a
        .iter()
        .filter(|a| at_b.iter().any(|b| b.registration_id == a.registration_id))
        .cloned()
        .collect();
    assert!(shared.len() >= 2, "children referred to both daycares");
    (shared, at_b)
}

/// The status `device`'s daycare now sees for `referral`.
async fn seen_status<S: Storage>(
    h: &Harness<S>,
    device: &common::DeviceKeys,
    referral: &ReferralRecord,
) -> ReferralStatus {
    all_referrals(h, device)
        .await
        .into_iter()
        .find(|i| i.referral_id == referral.id)
        .map(|i| i.status)
        .unwrap()
}

async fn no_answer_before_the_deadline_is_refused<S: Storage>(mut h: Harness<S>) {
    h.with_certificates_outlasting_offers().await;
    let pool = pool(&h).await;
    let referrals = declared_referrals(&h, &pool.device, 1).await;
    let target = &referrals[0];
    h.clock.advance(Duration::days(2));
    let events = h.event_count().await;
    let (status, body) = outcome(
        &h,
        &pool.device,
        &target.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "no_answer_by_deadline"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(common::api_error(&body).code, "deadline_not_reached");
    assert_eq!(h.event_count().await, events, "nothing recorded");
    assert_eq!(
        seen_status(&h, &pool.device, target).await,
        ReferralStatus::Open
    );
    // Nor on the answer-by day itself, up to its last second in Québec: the family may still
    // answer. (The sync above was audited.)
    let events = h.event_count().await;
    let deadline = end_of_quebec_day(target.answer_by);
    h.clock.set(deadline - Duration::seconds(1));
    let (status, body) = outcome(
        &h,
        &pool.device,
        &target.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "no_answer_by_deadline"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(h.event_count().await, events, "nothing recorded");
    // From the deadline, the service's clock decides, not the workstation: the miss is applied
    // once, by the clock, and the workstation's word only agrees with it.
    h.clock.set(deadline);
    let (status, body) = outcome(
        &h,
        &pool.device,
        &target.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "no_answer_by_deadline"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
    assert!(!recorded.pending_confirmation, "nothing left to report");
    let actors: Vec<String> = h
        .store
        .audit_entries(events, 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.leaf.action == "referral.offer_expired")
        .map(|e| e.leaf.actor)
        .collect();
    assert_eq!(
        actors,
        ["service:clock"],
        "the offer expired once, by the clock"
    );
    assert!(operator::outcome_reports(&h.store, &h.operator, h.now())
        .await
        .unwrap()
        .is_empty());
}

async fn a_daycares_negative_word_leaves_the_family_on_other_lists<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let (shared, at_b) = both_daycares(&h, &pool).await;
    for (referral, answer) in [
        (
            &shared[0],
            json!({"kind": "refused", "reason": "accepted_elsewhere"}),
        ),
        (
            &shared[1],
            json!({"kind": "refused", "reason": "no_longer_needed"}),
        ),
    ] {
        let (status, body) = outcome(
            &h,
            &pool.device,
            &referral.id.to_string(),
            uuid::Uuid::new_v4(),
            answer,
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
        assert!(recorded.pending_confirmation, "{body}");
    }
    // The second daycare still has both children on its list, open, and may place them.
    for child in &shared[..2] {
        let theirs = at_b
            .iter()
            .find(|b| b.registration_id == child.registration_id)
            .unwrap();
        assert_eq!(
            seen_status(&h, &pool.other_device, theirs).await,
            ReferralStatus::Open
        );
        let (status, body) = outcome(
            &h,
            &pool.other_device,
            &theirs.id.to_string(),
            uuid::Uuid::new_v4(),
            json!({"kind": "refused", "reason": "child_health"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}

async fn an_acceptance_closes_other_daycares_referrals_only_once_confirmed<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let (shared, at_b) = both_daycares(&h, &pool).await;
    let child = &shared[0];
    let theirs = at_b
        .iter()
        .find(|b| b.registration_id == child.registration_id)
        .unwrap();
    let (status, body) = outcome(
        &h,
        &pool.device,
        &child.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
    assert_eq!(recorded.status, ReferralStatus::Accepted);
    assert!(recorded.pending_confirmation);
    assert_eq!(
        seen_status(&h, &pool.other_device, theirs).await,
        ReferralStatus::Open,
        "the other daycare's referral stays open on this daycare's word alone"
    );
    confirm_the_only_report(&h, child).await;
    assert_eq!(
        seen_status(&h, &pool.other_device, theirs).await,
        ReferralStatus::Closed,
        "confirmed: the placed child leaves the other list"
    );
}

async fn a_one_place_vacancy_accepts_exactly_one_of_parallel_acceptances<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let referrals = declared_referrals(&h, &pool.device, 1).await;
    assert_eq!(referrals.len(), 3);
    let client = h.device_client(&pool.device);
    let mut requests = tokio::task::JoinSet::new();
    for referral in &referrals {
        let client = client.clone();
        let url = h.api_url(&format!("/v1/referrals/{}/outcome", referral.id));
        requests.spawn(async move {
            let response = client
                .post(url)
                .json(&json!({
                    "idempotency_key": uuid::Uuid::new_v4(),
                    "outcome": {"kind": "accepted"},
                }))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        });
    }
    let answers = requests.join_all().await;
    let accepted = answers.iter().filter(|(s, _)| *s == 200).count();
    assert_eq!(accepted, 1, "{answers:?}");
    for (status, body) in answers.iter().filter(|(s, _)| *s != 200) {
        assert_eq!(*status, 409, "{body}");
        assert_eq!(common::api_error(body).code, "vacancy_filled");
    }
    let now = h
        .store
        .vacancy_referrals(referrals[0].vacancy_id)
        .await
        .unwrap();
    assert_eq!(
        now.iter().filter(|r| r.status == "accepted").count(),
        1,
        "the refused acceptances changed nothing"
    );
    assert_eq!(now.iter().filter(|r| r.status == "open").count(), 2);
}

async fn negative_answers_in_bulk_raise_an_alert<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let referrals = declared_referrals(&h, &pool.device, 4).await;
    assert_eq!(referrals.len(), 12);
    for (n, referral) in referrals.iter().enumerate() {
        let (status, body) = outcome(
            &h,
            &pool.device,
            &referral.id.to_string(),
            uuid::Uuid::new_v4(),
            json!({"kind": "refused", "reason": "schedule_or_distance"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let bulk = h
            .store
            .alerts()
            .await
            .unwrap()
            .into_iter()
            .filter(|a| a.kind == "outcomes_bulk")
            .count();
        // Twelve open referrals: a quarter is three, under the minimum of five.
        assert_eq!(bulk, usize::from(n >= 5), "after {} answers", n + 1);
    }
    let alert = h
        .store
        .alerts()
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.kind == "outcomes_bulk")
        .unwrap();
    assert_eq!(alert.daycare_id, pool.daycare.to_string());
    assert!(
        alert
            .detail
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_lowercase() || " _:=,".contains(c)),
        "counts only: {}",
        alert.detail
    );
}

async fn a_revert_restores_the_family_exactly_and_is_audited<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let (shared, at_b) = both_daycares(&h, &pool).await;
    let child = &shared[0];
    let vacancies = [child.vacancy_id, at_b[0].vacancy_id];
    let before = standing(&h, &vacancies, child.registration_id).await;
    let (status, body) = outcome(
        &h,
        &pool.device,
        &child.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "refused", "reason": "no_longer_needed"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    confirm_the_only_report(&h, child).await;
    let withdrawn = h
        .store
        .registration_state(child.registration_id)
        .await
        .unwrap();
    assert_eq!(
        withdrawn.map(|s| s.status),
        Some(placeforte_domain::RegistrationStatus::Withdrawn)
    );
    assert_ne!(
        standing(&h, &vacancies, child.registration_id).await,
        before
    );

    let events = h.event_count().await;
    operator::revert_outcome(
        &h.store,
        &h.operator,
        h.now(),
        child.id.as_uuid(),
        "the family called: they still need a place",
    )
    .await
    .unwrap();
    assert_eq!(
        standing(&h, &vacancies, child.registration_id).await,
        before
    );
    let entry = h.store.audit_entries(events, 1).await.unwrap().remove(0);
    assert_eq!(entry.leaf.action, "referral.outcome_reverted");
    assert_eq!(entry.leaf.actor, "operator:test-operator");
    assert_eq!(
        entry.leaf.reason,
        "the family called: they still need a place"
    );
    assert!(entry.leaf.referral_ids.contains(&child.id.to_string()));
    // A second revert of the same outcome is refused and changes nothing.
    let events = h.event_count().await;
    assert!(matches!(
        operator::revert_outcome(&h.store, &h.operator, h.now(), child.id.as_uuid(), "again").await,
        Err(operator::OperatorError::AlreadyReverted(_))
    ));
    assert_eq!(h.event_count().await, events);
    // The unconfirmed answer of another family is reverted too, with nothing to undo beyond it.
    let (status, body) = outcome(
        &h,
        &pool.device,
        &shared[1].id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "refused", "reason": "accepted_elsewhere"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    operator::revert_outcome(
        &h.store,
        &h.operator,
        h.now(),
        shared[1].id.as_uuid(),
        "early",
    )
    .await
    .unwrap();
    assert!(operator::outcome_reports(&h.store, &h.operator, h.now())
        .await
        .unwrap()
        .is_empty());
}
