//! Finding 2, harvesting: a compromised workstation of a daycare with a 25-place permit
//! obtained 228 of the 264 families waiting for it in one sync, and 19 reveals an hour would
//! have read every family's contact details in about four days. Its declarations are now
//! bounded by the permit, its referrals over 30 days by the permit, and its reveals by
//! budgets of its whole daycare; a slow drip of reveals raises an alert.

use chrono::Duration;
use placeforte_central::operator::{self, OperatorError};
use placeforte_central::store::{
    AuditEvent, DeclarationPlan, DeclarationResult, ReferralRecord, Storage, VacancyRecord,
};
use placeforte_domain::AgeClass;
use placeforte_protocol::referrals::{ReferralStatus, VacancyDeclared};
use placeforte_protocol::{DaycareId, ReferralId, VacancyId};
use serde_json::json;

use crate::common::referral_pool::{
    all_referrals, daycare_with_permit, declare, declared_referrals, outcome, pool, reveal,
    toddlers, waiting_families, workstation,
};
use crate::common::{api_error, DeviceKeys, Harness};
use crate::on_both_backends;

on_both_backends!(
    a_25_place_permit_cannot_harvest_its_waiting_list,
    declarations_beyond_the_permit_are_refused_with_nothing_written,
    referrals_over_30_days_are_bounded_by_the_permit_and_alerted,
    top_ups_after_refusals_stay_within_the_referral_bound,
    a_closed_referral_is_not_revealed,
    one_referral_is_revealed_at_most_three_times,
    the_daycare_budgets_hold_across_its_workstations,
    a_slow_drip_of_reveals_raises_an_alert,
    set_permit_refuses_what_the_rules_refuse_and_is_enforced,
);

fn vacancy(h_today: chrono::NaiveDate, class: &str, places: u32) -> serde_json::Value {
    json!({
        "age_class": class,
        "places": places,
        "start_date": (h_today + Duration::days(30)).to_string(),
    })
}

fn assert_over_permit((status, body): (u16, String), what: &str) {
    assert_eq!(status, 422, "{what}: {body}");
    assert_eq!(api_error(&body).code, "over_permit", "{what}");
}

fn declared((status, body): (u16, String)) -> VacancyDeclared {
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

async fn alert_kinds<S: Storage>(h: &Harness<S>) -> Vec<String> {
    h.store
        .alerts()
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.kind)
        .collect()
}

async fn accept<S: Storage>(h: &Harness<S>, device: &DeviceKeys, referral: &str) {
    let (status, body) = outcome(
        h,
        device,
        referral,
        uuid::Uuid::new_v4(),
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
}

/// The attack of the review, replayed: 264 families wait for a daycare whose permit has 25
/// places (5 babies, 20 toddlers); its workstation declares all it can in every class. It
/// obtains no more than its permit's referrals (three per place).
async fn a_25_place_permit_cannot_harvest_its_waiting_list<S: Storage>(h: Harness<S>) {
    let device = daycare_with_permit(&h, [5, 20, 0, 0]).await;
    waiting_families(&h, device.certificate.daycare_id, 200, 64).await;
    let today = h.now().date_naive();
    assert_over_permit(
        declare(&h, &device, vacancy(today, "from_18_months_to_4_years", 99)).await,
        "99 toddler places",
    );
    let mut referred = 0;
    for (class, places) in [
        ("from_18_months_to_4_years", 10),
        ("under_18_months", 5),
        ("four_years", 10),
        ("five_and_over", 10),
    ]
    .into_iter()
    .cycle()
    .take(40)
    {
        let (status, body) = declare(&h, &device, vacancy(today, class, places)).await;
        if status == 201 {
            let answer: VacancyDeclared = serde_json::from_str(&body).unwrap();
            referred += answer.referrals;
        } else {
            assert_eq!(api_error(&body).code, "over_permit", "{class}: {body}");
        }
    }
    let synced = all_referrals(&h, &device).await;
    assert_eq!(synced.len() as u32, referred);
    assert_eq!(synced.len(), 25 * 3, "the permit's referrals, no more");
}

/// Declares `body`, expecting `over_permit` with no referral written and only the refusal
/// audited.
async fn refused_over_permit<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    daycare: DaycareId,
    body: serde_json::Value,
    what: &str,
) {
    let events = h.event_count().await;
    let referrals = h.store.daycare_referral_count(daycare).await.unwrap();
    assert_over_permit(declare(h, device, body).await, what);
    assert_eq!(
        h.store.daycare_referral_count(daycare).await.unwrap(),
        referrals,
        "{what}"
    );
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.leaf.action.as_str()).collect();
    assert_eq!(actions, ["vacancy.refused_over_permit"], "{what}");
}

/// Over the permit, in a class the permit has no places for, and many small declarations
/// adding up: refused, with no vacancy and no referral written (the refusal itself is
/// audited).
async fn declarations_beyond_the_permit_are_refused_with_nothing_written<S: Storage>(
    h: Harness<S>,
) {
    // The harness daycare's permit: 10 babies, 30 toddlers, 15 four-year-olds, no 5-year-olds.
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    refused_over_permit(
        &h,
        &pool.device,
        pool.daycare,
        toddlers(today, 31),
        "31 toddler places",
    )
    .await;
    refused_over_permit(
        &h,
        &pool.device,
        pool.daycare,
        vacancy(today, "five_and_over", 1),
        "no 5-year-old places",
    )
    .await;
    for _ in 0..3 {
        declared(declare(&h, &pool.device, toddlers(today, 10)).await);
    }
    refused_over_permit(
        &h,
        &pool.device,
        pool.daycare,
        toddlers(today, 1),
        "a 31st toddler place, one at a time",
    )
    .await;
    // Babies are a class of their own: their places are still free.
    declared(declare(&h, &pool.device, vacancy(today, "under_18_months", 10)).await);
    refused_over_permit(
        &h,
        &pool.device,
        pool.daycare,
        vacancy(today, "under_18_months", 1),
        "an 11th baby place",
    )
    .await;
}

/// A month-old declaration of `daycare`'s workstation `device`: one toddler place, filled, and
/// its three referrals (written through the store, since certificates last only days and the
/// service cannot be reached from a month ago).
async fn month_old_declaration<S: Storage>(h: &Harness<S>, device: &DeviceKeys) {
    let then = h.now() - Duration::days(31);
    let vacancy = VacancyRecord {
        id: VacancyId::random(),
        daycare_id: device.certificate.daycare_id,
        age_class: AgeClass::From18MonthsTo4Years,
        places: 1,
        start_date: then.date_naive() + Duration::days(30),
        group_label: None,
        declared_at: then,
        declared_by: device.certificate.device_id,
    };
    let result = h
        .store
        .declare_vacancy(&vacancy, uuid::Uuid::new_v4(), "{}", |candidates, _room| {
            let referrals = candidates
                .iter()
                .take(3)
                .enumerate()
                .map(|(n, c)| ReferralRecord {
                    id: ReferralId::random(),
                    vacancy_id: vacancy.id,
                    daycare_id: vacancy.daycare_id,
                    registration_id: c.registration_id,
                    status: if n == 0 { "accepted" } else { "closed" }.to_owned(),
                    rank: n as u32 + 1,
                    rank_reason: "{}".to_owned(),
                    answer_by: then.date_naive() + Duration::days(7),
                    referred_at: then,
                })
                .collect();
            Ok(DeclarationPlan {
                referrals,
                event: AuditEvent::new(
                    then,
                    format!("device:{}", device.certificate.device_id),
                    "vacancy.declared",
                    format!("vacancy:{}", vacancy.id),
                ),
                response: "{}".to_owned(),
            })
        })
        .await
        .unwrap();
    assert!(matches!(result, DeclarationResult::Declared(_)));
}

/// A 1-place permit may be referred at most 6 families in 30 days (3 per place, twice over):
/// declaring and filling its one place again and again stops there, with one alert; the
/// month before does not count.
async fn referrals_over_30_days_are_bounded_by_the_permit_and_alerted<S: Storage>(h: Harness<S>) {
    let device = daycare_with_permit(&h, [0, 1, 0, 0]).await;
    waiting_families(&h, device.certificate.daycare_id, 40, 0).await;
    month_old_declaration(&h, &device).await;
    month_old_declaration(&h, &device).await;
    let mut counts = Vec::new();
    for _ in 0..3 {
        let made = declared_referrals(&h, &device, 1).await;
        counts.push(made.len());
        if let Some(first) = made.first() {
            accept(&h, &device, &first.id.to_string()).await;
        }
    }
    assert_eq!(counts, [3, 3, 0]);
    let alerts = h.store.alerts().await.unwrap();
    let bound: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == "referrals_over_permit")
        .collect();
    assert_eq!(bound.len(), 1, "{alerts:?}");
    assert_eq!(
        bound[0].daycare_id,
        device.certificate.daycare_id.to_string()
    );
    // Counts only: no name, no birth date.
    assert!(
        !bound[0].detail.contains("Enfant") && !bound[0].detail.contains("Synthétique"),
        "{}",
        bound[0].detail
    );
}

/// Refusing families one after another refers the next ones (top-ups), but no further than
/// the referral bound: a 1-place permit is referred 6 families in 30 days, however many
/// refusals it records.
async fn top_ups_after_refusals_stay_within_the_referral_bound<S: Storage>(h: Harness<S>) {
    let device = daycare_with_permit(&h, [0, 1, 0, 0]).await;
    let daycare = device.certificate.daycare_id;
    waiting_families(&h, daycare, 40, 0).await;
    declared_referrals(&h, &device, 1).await;
    for _ in 0..12 {
        let open: Vec<_> = all_referrals(&h, &device)
            .await
            .into_iter()
            .filter(|r| r.status == ReferralStatus::Open)
            .collect();
        let Some(next) = open.first() else { break };
        let (status, body) = outcome(
            &h,
            &device,
            &next.referral_id.to_string(),
            uuid::Uuid::new_v4(),
            json!({"kind": "refused", "reason": "no_longer_needed"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    assert_eq!(h.store.daycare_referral_count(daycare).await.unwrap(), 6);
}

/// Contact details only for an open referral: once accepted, the referral is closed.
async fn a_closed_referral_is_not_revealed<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let made = declared_referrals(&h, &pool.device, 2).await;
    let id = made[0].id.to_string();
    let (status, body) = reveal(&h, &pool.device, &id, json!({"reason": "offer_call"})).await;
    assert_eq!(status, 200, "{body}");
    accept(&h, &pool.device, &id).await;
    let (status, body) = reveal(&h, &pool.device, &id, json!({"reason": "offer_call"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(api_error(&body).code, "referral_closed");
}

/// A director calls a family, and back once or twice: the fourth reveal of one referral is
/// refused and audited, whichever workstation asks.
async fn one_referral_is_revealed_at_most_three_times<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let second = workstation(&h, pool.daycare).await;
    let made = declared_referrals(&h, &pool.device, 4).await;
    let id = made[0].id.to_string();
    for device in [&pool.device, &second, &pool.device] {
        let (status, body) = reveal(&h, device, &id, json!({"reason": "offer_call"})).await;
        assert_eq!(status, 200, "{body}");
    }
    let events = h.event_count().await;
    let (status, body) = reveal(&h, &second, &id, json!({"reason": "offer_call"})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(api_error(&body).code, "reveal_limit_reached");
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].leaf.action,
        "contact.refused_over_referral_limit"
    );
    // Another family of the same daycare can still be called.
    let other = made[1].id.to_string();
    let (status, body) = reveal(&h, &second, &other, json!({"reason": "offer_call"})).await;
    assert_eq!(status, 200, "{body}");
}

async fn reveal_as<S: Storage>(h: &Harness<S>, device: &DeviceKeys, id: &str) -> (u16, String) {
    reveal(h, device, id, json!({"reason": "offer_call"})).await
}

/// Expects a refusal over the daycare's budget, audited as `action`.
async fn refused_with<S: Storage>(h: &Harness<S>, answer: (u16, String), action: &str) {
    assert_eq!(answer.0, 429, "{}", answer.1);
    assert_eq!(api_error(&answer.1).code, "reveal_budget_exceeded");
    let last = h.store.audit_head_state().await.unwrap().tree_size;
    let entries = h.store.audit_entries(last - 1, 1).await.unwrap();
    assert_eq!(entries[0].leaf.action, action);
}

/// A daycare with 12 open referrals may reveal 6 a day and 12 a week, summed over all its
/// workstations: a second workstation buys nothing. Each refusal is audited and alerted.
async fn the_daycare_budgets_hold_across_its_workstations<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let second = workstation(&h, pool.daycare).await;
    let made = declared_referrals(&h, &pool.device, 4).await;
    assert_eq!(made.len(), 12);
    let ids: Vec<String> = made.iter().map(|r| r.id.to_string()).collect();
    for (n, id) in ids.iter().take(6).enumerate() {
        let device = if n % 2 == 0 { &pool.device } else { &second };
        assert_eq!(reveal_as(&h, device, id).await.0, 200);
    }
    refused_with(
        &h,
        reveal_as(&h, &pool.device, &ids[6]).await,
        "contact.refused_over_daycare_daily_budget",
    )
    .await;
    refused_with(
        &h,
        reveal_as(&h, &second, &ids[6]).await,
        "contact.refused_over_daycare_daily_budget",
    )
    .await;
    h.clock.advance(Duration::hours(25));
    for (n, id) in ids.iter().skip(6).enumerate() {
        let device = if n % 2 == 0 { &second } else { &pool.device };
        assert_eq!(reveal_as(&h, device, id).await.0, 200);
    }
    h.clock.advance(Duration::hours(25));
    refused_with(
        &h,
        reveal_as(&h, &pool.device, &ids[0]).await,
        "contact.refused_over_daycare_weekly_budget",
    )
    .await;
    assert!(alert_kinds(&h)
        .await
        .contains(&"reveal_daycare_budget_exceeded".to_owned()));
}

/// 75 open referrals, revealed at 18 a day, never more than 6 in an hour (under the burst
/// threshold of a tenth of the daycare's referrals): on the third day more than half of them
/// are revealed within a week, and one `reveal_slow_drip` alert is raised.
async fn a_slow_drip_of_reveals_raises_an_alert<S: Storage>(h: Harness<S>) {
    let device = daycare_with_permit(&h, [0, 25, 0, 0]).await;
    waiting_families(&h, device.certificate.daycare_id, 100, 0).await;
    let made = declared_referrals(&h, &device, 25).await;
    assert_eq!(made.len(), 75);
    let mut revealed = made.iter();
    for day in 0..3 {
        for _ in 0..18 {
            let id = revealed.next().unwrap().id.to_string();
            let (status, body) = reveal(&h, &device, &id, json!({"reason": "offer_call"})).await;
            assert_eq!(status, 200, "day {day}: {body}");
            h.clock.advance(Duration::minutes(11));
        }
        let kinds = alert_kinds(&h).await;
        let slow: Vec<_> = kinds.iter().filter(|k| *k == "reveal_slow_drip").collect();
        assert_eq!(slow.len(), usize::from(day == 2), "day {day}: {kinds:?}");
        assert!(!kinds.contains(&"reveal_rate_abnormal".to_owned()));
        h.clock.advance(Duration::hours(24));
    }
}

/// The operator's `set-permit`: refused over the installation maximum and for an unknown
/// daycare; otherwise audited and enforced on the next declaration.
async fn set_permit_refuses_what_the_rules_refuse_and_is_enforced<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let events = h.event_count().await;
    let over =
        operator::set_permit(&h.store, &h.operator, h.now(), pool.daycare, [50, 51, 0, 0]).await;
    assert!(matches!(over, Err(OperatorError::Permit(_))), "{over:?}");
    let unknown = operator::set_permit(
        &h.store,
        &h.operator,
        h.now(),
        DaycareId::random(),
        [1, 1, 1, 0],
    )
    .await;
    assert!(
        matches!(unknown, Err(OperatorError::UnknownDaycare(_))),
        "{unknown:?}"
    );
    assert_eq!(h.event_count().await, events, "refusals write nothing");
    let daycare =
        operator::set_permit(&h.store, &h.operator, h.now(), pool.daycare, [10, 2, 15, 0])
            .await
            .unwrap();
    assert_eq!(daycare.places, [10, 2, 15, 0]);
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0].leaf.action, "daycare.permit_set");
    assert_eq!(entries[0].leaf.actor, "operator:test-operator");
    let today = h.now().date_naive();
    assert_over_permit(
        declare(&h, &pool.device, toddlers(today, 3)).await,
        "3 toddler places on a 2-place permit",
    );
    declared(declare(&h, &pool.device, toddlers(today, 2)).await);
}
