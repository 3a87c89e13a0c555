//! The service keeps the offer clock, on both backends: offers expire by themselves at the end
//! of their answer-by day in Québec, not a second before; a first miss suspends, a second
//! withdraws; the places go to the next families in the regulated order; an answer racing the
//! expiry, and several instances sweeping at once, give one result with each effect applied
//! once; a late answer is refused with `offer_expired`; a suspended request is reactivated by
//! the operator, and nothing else is.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use common::referral_pool::{
    all_referrals, declare, declared_referrals, outcome, pool, reveal, toddlers, Pool,
};
use common::{Harness, OpensAgain};
use placeforte_central::audit::AuditEntry;
use placeforte_central::expiry::{self, CLOCK_ACTOR, EXPIRY_ACTION};
use placeforte_central::operator::{self, OperatorError};
use placeforte_central::store::{ReferralRecord, Storage};
use placeforte_domain::{
    end_of_quebec_day, quebec_rules_on, rank_candidates, Capacity, ReactivationError,
    RegistrationState, RegistrationStatus,
};
use placeforte_protocol::referrals::{OutcomeRecorded, ReferralStatus};
use placeforte_protocol::{RegistrationId, VacancyId};
use serde_json::json;

on_both_backends!(
    an_offer_expires_at_its_deadline_not_a_second_before_and_its_places_go_to_the_next_families,
    a_second_missed_deadline_withdraws_the_request,
    an_answer_at_the_deadline_racing_the_sweep_is_refused_and_expires_the_offer_once,
    an_answer_a_second_before_the_deadline_racing_the_sweep_is_recorded,
    several_instances_sweeping_at_once_expire_each_offer_once,
    a_late_answer_is_refused_with_offer_expired_and_changes_nothing,
    syncs_and_reveals_see_the_clock_before_any_sweep,
    only_a_suspended_request_is_reactivated_by_the_operator,
    the_sweeper_task_expires_offers_by_its_clock_and_stops_when_told,
    an_offer_made_in_the_quebec_evening_is_answered_by_a_quebec_date,
    a_declaration_after_a_deadline_refers_none_of_the_families_who_missed_it,
);

/// The pool, with certificates that outlast an offer (enrolled after the restart), and one
/// vacancy of one place at the first daycare: its three referrals, by rank.
async fn one_place<S: Storage>(h: &mut Harness<S>) -> (Pool, Vec<ReferralRecord>) {
    h.with_certificates_outlasting_offers().await;
    let pool = pool(h).await;
    let referrals = declared_referrals(h, &pool.device, 1).await;
    assert_eq!(referrals.len(), 3);
    (pool, referrals)
}

/// The instant the offers of `referrals` (declared together) expire.
fn deadline(referrals: &[ReferralRecord]) -> DateTime<Utc> {
    end_of_quebec_day(referrals[0].answer_by)
}

/// The expiry entries of the audit log after `events`.
async fn expiries<S: Storage>(h: &Harness<S>, events: i64) -> Vec<AuditEntry> {
    h.store
        .audit_entries(events, 10_000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.leaf.action == EXPIRY_ACTION)
        .collect()
}

async fn state<S: Storage>(h: &Harness<S>, registration: RegistrationId) -> RegistrationState {
    h.store
        .registration_state(registration)
        .await
        .unwrap()
        .unwrap_or(RegistrationState::NEW)
}

fn suspended(missed: u32) -> RegistrationState {
    RegistrationState {
        status: RegistrationStatus::Suspended,
        missed_deadlines: missed,
    }
}

async fn vacancy_referrals<S: Storage>(h: &Harness<S>, vacancy: VacancyId) -> Vec<ReferralRecord> {
    h.store.vacancy_referrals(vacancy).await.unwrap()
}

/// No registration is referred twice to one vacancy.
fn assert_no_duplicate_referral(referrals: &[ReferralRecord]) {
    let mut families: Vec<RegistrationId> = referrals.iter().map(|r| r.registration_id).collect();
    families.sort_by_key(|id| id.as_uuid());
    let before = families.len();
    families.dedup();
    assert_eq!(
        families.len(),
        before,
        "a family referred twice: {referrals:?}"
    );
}

async fn an_offer_expires_at_its_deadline_not_a_second_before_and_its_places_go_to_the_next_families<
    S: Storage,
>(
    mut h: Harness<S>,
) {
    let (pool, referrals) = one_place(&mut h).await;
    let deadline = deadline(&referrals);
    // The deadline is the end of the seventh day in Québec after the referral.
    let referred_on = placeforte_domain::quebec_today(referrals[0].referred_at);
    assert_eq!(referrals[0].answer_by, referred_on + Duration::days(7));
    let events = h.event_count().await;

    // A second before: nothing expires, nothing is written.
    h.clock.set(deadline - Duration::seconds(1));
    assert_eq!(expiry::sweep(&h.store, h.now()).await.unwrap(), 0);
    assert_eq!(h.event_count().await, events);
    for referral in &referrals {
        assert_eq!(
            state(&h, referral.registration_id).await,
            RegistrationState::NEW
        );
    }

    // At the deadline: every open offer expires, once.
    h.clock.set(deadline);
    assert_eq!(expiry::sweep(&h.store, h.now()).await.unwrap(), 3);
    assert_eq!(expiry::sweep(&h.store, h.now()).await.unwrap(), 0, "once");
    let entries = expiries(&h, events).await;
    assert_eq!(entries.len(), 3, "one audit entry per expiry");
    let now = vacancy_referrals(&h, referrals[0].vacancy_id).await;
    for referral in &referrals {
        let entry = entries
            .iter()
            .find(|e| e.leaf.subject == format!("referral:{}", referral.id))
            .unwrap();
        assert_eq!(entry.leaf.actor, CLOCK_ACTOR);
        assert_eq!(entry.leaf.reason, "suspended_by_missed_deadline");
        assert!(entry
            .leaf
            .referral_ids
            .starts_with(&referral.id.to_string()));
        // The first miss suspends the request and ends the family's choice of this daycare.
        assert_eq!(state(&h, referral.registration_id).await, suspended(1));
        let choices = h
            .store
            .registration_choices(referral.registration_id)
            .await
            .unwrap();
        assert!(
            choices.iter().all(|(d, _)| *d != pool.daycare),
            "{choices:?}"
        );
        assert_eq!(
            now.iter().find(|r| r.id == referral.id).unwrap().status,
            "no_answer"
        );
    }
    // The daycare sees them as `no_answer`.
    let seen = all_referrals(&h, &pool.device).await;
    for referral in &referrals {
        let item = seen.iter().find(|i| i.referral_id == referral.id).unwrap();
        assert_eq!(item.status, ReferralStatus::NoAnswer);
    }

    // Refilled in the regulated order: the next three families, ranked after the first three,
    // exactly as the domain orders those who remain.
    let mut further: Vec<&ReferralRecord> = now.iter().filter(|r| r.status == "open").collect();
    further.sort_by_key(|r| r.rank);
    assert_eq!(
        further.iter().map(|r| r.rank).collect::<Vec<_>>(),
        [4, 5, 6]
    );
    // Each further referral is named by the expiry that made it.
    for r in &further {
        assert!(entries
            .iter()
            .any(|e| e.leaf.referral_ids.contains(&r.id.to_string())));
        assert_eq!(
            r.answer_by,
            placeforte_domain::quebec_today(deadline) + Duration::days(7)
        );
    }
    let expired: Vec<RegistrationId> = referrals.iter().map(|r| r.registration_id).collect();
    let remaining: Vec<_> = pool
        .eligible
        .iter()
        .filter(|c| !expired.contains(c.key()))
        .cloned()
        .collect();
    let today = deadline.date_naive();
    let expected: Vec<RegistrationId> =
        rank_candidates(&remaining, Capacity::from(1), today, quebec_rules_on(today))
            .unwrap()
            .into_iter()
            .take(3)
            .map(|r| r.key)
            .collect();
    assert_eq!(
        further
            .iter()
            .map(|r| r.registration_id)
            .collect::<Vec<_>>(),
        expected
    );
    assert_no_duplicate_referral(&now);
}

async fn a_second_missed_deadline_withdraws_the_request<S: Storage>(mut h: Harness<S>) {
    let (pool, referrals) = one_place(&mut h).await;
    let family = referrals[0].registration_id;
    h.clock.set(deadline(&referrals));
    expiry::sweep(&h.store, h.now()).await.unwrap();
    assert_eq!(state(&h, family).await, suspended(1));
    // A suspended request is referred nowhere.
    let at_other = declared_referrals(&h, &pool.other_device, 1).await;
    assert!(at_other.iter().all(|r| r.registration_id != family));

    // Reactivated (the count kept), it is referred again; a second miss withdraws it.
    operator::reactivate_registration(&h.store, &h.operator, h.now(), family, "family called")
        .await
        .unwrap();
    let again = declared_referrals(&h, &pool.other_device, 1).await;
    let offer = again
        .iter()
        .find(|r| r.registration_id == family)
        .expect("the reactivated family is referred again");
    let events = h.event_count().await;
    h.clock.set(end_of_quebec_day(offer.answer_by));
    expiry::sweep(&h.store, h.now()).await.unwrap();
    assert_eq!(
        state(&h, family).await,
        RegistrationState {
            status: RegistrationStatus::Withdrawn,
            missed_deadlines: 2,
        }
    );
    let entry = expiries(&h, events)
        .await
        .into_iter()
        .find(|e| e.leaf.subject == format!("referral:{}", offer.id))
        .unwrap();
    assert_eq!(entry.leaf.reason, "withdrawn_by_missed_deadline");
    // Withdrawn, it cannot be reactivated.
    assert!(matches!(
        operator::reactivate_registration(&h.store, &h.operator, h.now(), family, "again").await,
        Err(OperatorError::NotReactivable(
            _,
            ReactivationError::NotSuspended(RegistrationStatus::Withdrawn)
        ))
    ));
}

async fn an_answer_at_the_deadline_racing_the_sweep_is_refused_and_expires_the_offer_once<
    S: Storage,
>(
    mut h: Harness<S>,
) {
    let (pool, referrals) = one_place(&mut h).await;
    let target = &referrals[0];
    let events = h.event_count().await;
    h.clock.set(deadline(&referrals));
    let id = target.id.to_string();
    let ((status, body), swept) = tokio::join!(
        outcome(
            &h,
            &pool.device,
            &id,
            uuid::Uuid::new_v4(),
            json!({"kind": "accepted"}),
        ),
        expiry::sweep(&h.store, h.now()),
    );
    swept.unwrap();
    // At the deadline the family's time is up, whoever came first.
    assert_eq!(status, 409, "{body}");
    assert_eq!(common::api_error(&body).code, "offer_expired");
    let entries = expiries(&h, events).await;
    let of_target = entries
        .iter()
        .filter(|e| e.leaf.subject == format!("referral:{id}"))
        .count();
    assert_eq!(of_target, 1, "expired once");
    assert_eq!(entries.len(), 3, "the sweep expired the other two, once");
    assert_eq!(state(&h, target.registration_id).await, suspended(1));
    let now = vacancy_referrals(&h, target.vacancy_id).await;
    assert_eq!(now.iter().filter(|r| r.status == "accepted").count(), 0);
    assert_eq!(now.iter().filter(|r| r.status == "no_answer").count(), 3);
    assert_eq!(
        now.iter().filter(|r| r.status == "open").count(),
        3,
        "refilled once"
    );
    assert_no_duplicate_referral(&now);
}

async fn an_answer_a_second_before_the_deadline_racing_the_sweep_is_recorded<S: Storage>(
    mut h: Harness<S>,
) {
    let (pool, referrals) = one_place(&mut h).await;
    let target = &referrals[0];
    let events = h.event_count().await;
    h.clock.set(deadline(&referrals) - Duration::seconds(1));
    let id = target.id.to_string();
    let ((status, body), swept) = tokio::join!(
        outcome(
            &h,
            &pool.device,
            &id,
            uuid::Uuid::new_v4(),
            json!({"kind": "accepted"}),
        ),
        expiry::sweep(&h.store, h.now()),
    );
    assert_eq!(swept.unwrap(), 0);
    assert_eq!(status, 200, "{body}");
    let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
    assert_eq!(recorded.status, ReferralStatus::Accepted);
    assert!(expiries(&h, events).await.is_empty());
    // At the deadline the two others expire; the accepted one is left as it is.
    h.clock.set(deadline(&referrals));
    assert_eq!(expiry::sweep(&h.store, h.now()).await.unwrap(), 2);
    let now = vacancy_referrals(&h, target.vacancy_id).await;
    assert_eq!(
        now.iter().find(|r| r.id == target.id).unwrap().status,
        "accepted"
    );
    assert_eq!(
        state(&h, target.registration_id).await,
        RegistrationState::NEW
    );
    // The one place is accepted: the expiries refer no one further.
    assert_eq!(now.iter().filter(|r| r.status == "open").count(), 0);
}

async fn several_instances_sweeping_at_once_expire_each_offer_once<S: OpensAgain>(
    mut h: Harness<S>,
) {
    h.with_certificates_outlasting_offers().await;
    let pool = pool(&h).await;
    // Three vacancies at the first daycare and one at the second: twelve open offers, some
    // families at both daycares.
    let mut offers = Vec::new();
    let mut vacancies = Vec::new();
    for device in [&pool.device, &pool.device, &pool.other_device] {
        let referrals = declared_referrals(&h, device, 1).await;
        vacancies.push(referrals[0].vacancy_id);
        offers.extend(referrals);
    }
    let second = S::open_again(&h).await;
    let third = S::open_again(&h).await;
    let events = h.event_count().await;
    let at = deadline(&offers);
    let (a, b, c) = tokio::join!(
        expiry::sweep(&h.store, at),
        expiry::sweep(&second, at),
        expiry::sweep(&third, at),
    );
    let total = a.unwrap() + b.unwrap() + c.unwrap();
    assert_eq!(
        total,
        offers.len(),
        "each offer expired by exactly one instance"
    );
    let entries = expiries(&h, events).await;
    assert_eq!(entries.len(), offers.len(), "one audit entry per expiry");
    for offer in &offers {
        let subject = format!("referral:{}", offer.id);
        assert_eq!(
            entries.iter().filter(|e| e.leaf.subject == subject).count(),
            1
        );
    }
    // Each family's missed count went up by one per offer it left unanswered.
    let mut families: Vec<RegistrationId> = offers.iter().map(|r| r.registration_id).collect();
    families.sort_by_key(|id| id.as_uuid());
    families.dedup();
    for family in families {
        let missed = u32::try_from(
            offers
                .iter()
                .filter(|r| r.registration_id == family)
                .count(),
        )
        .unwrap();
        assert_eq!(state(&h, family).await.missed_deadlines, missed);
    }
    for vacancy in vacancies {
        let now = vacancy_referrals(&h, vacancy).await;
        assert_no_duplicate_referral(&now);
        assert!(now.iter().filter(|r| r.status == "open").count() <= 3);
    }
}

async fn a_late_answer_is_refused_with_offer_expired_and_changes_nothing<S: Storage>(
    mut h: Harness<S>,
) {
    let (pool, referrals) = one_place(&mut h).await;
    let target = &referrals[0];
    h.clock.set(deadline(&referrals) + Duration::hours(3));
    expiry::sweep(&h.store, h.now()).await.unwrap();
    let events = h.event_count().await;
    let id = target.id.to_string();
    let key = uuid::Uuid::new_v4();
    for answer in [
        json!({"kind": "accepted"}),
        json!({"kind": "refused", "reason": "no_longer_needed"}),
    ] {
        let (status, body) = outcome(&h, &pool.device, &id, key, answer).await;
        assert_eq!(status, 409, "{body}");
        assert_eq!(common::api_error(&body).code, "offer_expired");
    }
    assert_eq!(h.event_count().await, events, "refused, nothing written");
    assert_eq!(state(&h, target.registration_id).await, suspended(1));
    // A daycare's own "no answer" (queued offline) agrees: acknowledged once, no second miss.
    let key = uuid::Uuid::new_v4();
    let no_answer = json!({"kind": "no_answer_by_deadline"});
    let (status, first) = outcome(&h, &pool.device, &id, key, no_answer.clone()).await;
    assert_eq!(status, 200, "{first}");
    let recorded: OutcomeRecorded = serde_json::from_str(&first).unwrap();
    assert_eq!(
        (
            recorded.status,
            recorded.further_referrals,
            recorded.pending_confirmation
        ),
        (ReferralStatus::NoAnswer, 0, false)
    );
    let (status, again) = outcome(&h, &pool.device, &id, key, no_answer).await;
    assert_eq!((status, again.as_str()), (200, first.as_str()), "replayed");
    assert_eq!(h.event_count().await, events + 1, "acknowledged once");
    let entry = h.store.audit_entries(events, 1).await.unwrap().remove(0);
    assert_eq!(entry.leaf.action, expiry::LATE_NO_ANSWER_ACTION);
    assert_eq!(state(&h, target.registration_id).await, suspended(1));
    assert!(operator::outcome_reports(&h.store, &h.operator, h.now())
        .await
        .unwrap()
        .is_empty());
    let open = vacancy_referrals(&h, target.vacancy_id)
        .await
        .into_iter()
        .filter(|r| r.status == "open")
        .count();
    assert_eq!(open, 3, "the expiry's refill only");
}

async fn syncs_and_reveals_see_the_clock_before_any_sweep<S: Storage>(mut h: Harness<S>) {
    let (pool, referrals) = one_place(&mut h).await;
    h.clock.set(deadline(&referrals));
    // No sweep ran: the reveal finds the offer closed, and the sync shows it expired.
    let (status, body) = reveal(
        &h,
        &pool.device,
        &referrals[0].id.to_string(),
        json!({"reason": "offer_call"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(common::api_error(&body).code, "referral_closed");
    let seen = all_referrals(&h, &pool.device).await;
    for referral in &referrals {
        let item = seen.iter().find(|i| i.referral_id == referral.id).unwrap();
        assert_eq!(item.status, ReferralStatus::NoAnswer);
    }
    assert_eq!(
        expiry::sweep(&h.store, h.now()).await.unwrap(),
        0,
        "already done"
    );
}

async fn only_a_suspended_request_is_reactivated_by_the_operator<S: Storage>(mut h: Harness<S>) {
    let (pool, referrals) = one_place(&mut h).await;
    h.clock.set(deadline(&referrals));
    expiry::sweep(&h.store, h.now()).await.unwrap();
    let family = referrals[0].registration_id;
    let events = h.event_count().await;
    // A reason is required; nothing is read or written without it.
    assert!(matches!(
        operator::reactivate_registration(&h.store, &h.operator, h.now(), family, "  ").await,
        Err(OperatorError::MissingReason)
    ));
    let missed = operator::reactivate_registration(
        &h.store,
        &h.operator,
        h.now(),
        family,
        "the family asked to be put back",
    )
    .await
    .unwrap();
    assert_eq!(missed, 1);
    assert_eq!(
        state(&h, family).await,
        RegistrationState {
            status: RegistrationStatus::Waiting,
            missed_deadlines: 1,
        }
    );
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].leaf.action, "registration.reactivated");
    assert_eq!(entries[0].leaf.actor, "operator:test-operator");
    assert_eq!(entries[0].leaf.subject, format!("registration:{family}"));
    assert_eq!(entries[0].leaf.reason, "the family asked to be put back");
    // Waiting now: a second reactivation is refused; so is an unknown registration; each
    // changes nothing.
    let events = h.event_count().await;
    assert!(matches!(
        operator::reactivate_registration(&h.store, &h.operator, h.now(), family, "again").await,
        Err(OperatorError::NotReactivable(
            _,
            ReactivationError::NotSuspended(RegistrationStatus::Waiting)
        ))
    ));
    let unknown = RegistrationId::random();
    assert!(matches!(
        operator::reactivate_registration(&h.store, &h.operator, h.now(), unknown, "x").await,
        Err(OperatorError::UnknownRegistration(id)) if id == unknown
    ));
    assert_eq!(h.event_count().await, events);
    // A placed registration is not reactivated either.
    let offers = declared_referrals(&h, &pool.other_device, 1).await;
    let placed = &offers[0];
    let (status, body) = outcome(
        &h,
        &pool.other_device,
        &placed.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let report = operator::outcome_reports(&h.store, &h.operator, h.now())
        .await
        .unwrap()
        .remove(0);
    operator::confirm_outcome_report(&h.store, &h.operator, h.now(), report.id)
        .await
        .unwrap();
    let events = h.event_count().await;
    assert!(matches!(
        operator::reactivate_registration(
            &h.store,
            &h.operator,
            h.now(),
            placed.registration_id,
            "x"
        )
        .await,
        Err(OperatorError::NotReactivable(
            _,
            ReactivationError::NotSuspended(RegistrationStatus::Placed)
        ))
    ));
    assert_eq!(h.event_count().await, events);
}

async fn the_sweeper_task_expires_offers_by_its_clock_and_stops_when_told<S: Storage>(
    mut h: Harness<S>,
) {
    let (_pool, referrals) = one_place(&mut h).await;
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let task = tokio::spawn(expiry::run(
        h.store.clone(),
        std::sync::Arc::new(h.clock.clone()),
        std::time::Duration::from_millis(5),
        stopped,
    ));
    // The task reads the service's clock: nothing is due until it shows the deadline.
    h.clock.set(deadline(&referrals));
    let mut waited = 0;
    while state(&h, referrals[0].registration_id).await != suspended(1) {
        assert!(waited < 2_000, "the sweeper never expired the offer");
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        waited += 1;
    }
    stop.send(true).unwrap();
    task.await.unwrap();
}

async fn an_offer_made_in_the_quebec_evening_is_answered_by_a_quebec_date<S: Storage>(
    mut h: Harness<S>,
) {
    // 03:00 UTC is 22:00 or 23:00 the day before in Québec: the UTC date is a day ahead. The
    // latest 03:00 UTC not in the future: certificates issued on the service's clock must
    // already be valid in real time, whatever the hour the test runs.
    let evening = (h.now() - Duration::hours(3))
        .date_naive()
        .and_hms_opt(3, 0, 0)
        .unwrap()
        .and_utc();
    h.clock.set(evening);
    h.with_certificates_outlasting_offers().await;
    let pool = pool(&h).await;
    let quebec_day = evening.date_naive() - Duration::days(1);
    assert_eq!(placeforte_domain::quebec_today(evening), quebec_day);
    let (status, body) = declare(&h, &pool.device, toddlers(quebec_day, 1)).await;
    assert_eq!(status, 201, "{body}");
    let declared: placeforte_protocol::referrals::VacancyDeclared =
        serde_json::from_str(&body).unwrap();
    assert_eq!(declared.answer_by, quebec_day + Duration::days(7));
    let referrals = vacancy_referrals(&h, declared.vacancy_id).await;
    assert!(referrals.iter().all(|r| r.answer_by == declared.answer_by));
}

async fn a_declaration_after_a_deadline_refers_none_of_the_families_who_missed_it<S: Storage>(
    mut h: Harness<S>,
) {
    let (pool, referrals) = one_place(&mut h).await;
    h.clock.set(deadline(&referrals));
    // No sweep ran: the declaration applies the clock before it ranks who waits.
    let at_other = declared_referrals(&h, &pool.other_device, 2).await;
    for missed in &referrals {
        assert!(at_other
            .iter()
            .all(|r| r.registration_id != missed.registration_id));
        assert_eq!(state(&h, missed.registration_id).await, suspended(1));
    }
}
