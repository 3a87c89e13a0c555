//! Declaring vacancies on both backends, over real mutual TLS: who is referred, in what order,
//! and what a declaration refuses.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::referral_pool::{all_referrals, declare, pool, toddlers};
use common::Harness;
use placeforte_central::store::Storage;
use placeforte_domain::{rank_candidates, Capacity, QUEBEC_2025};
use placeforte_protocol::referrals::VacancyDeclared;
use placeforte_protocol::RegistrationId;
use serde_json::json;

on_both_backends!(
    a_vacancy_refers_eligible_candidates_in_the_regulated_order_with_reasons,
    a_second_vacancy_never_refers_a_child_twice,
    a_declaration_retried_with_its_key_is_applied_once,
    bad_declarations_are_refused_and_change_nothing,
    on_a_quebec_evening_a_start_date_of_today_there_is_accepted,
);

async fn a_vacancy_refers_eligible_candidates_in_the_regulated_order_with_reasons<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    let events = h.event_count().await;
    let (status, body) = declare(&h, &pool.device, toddlers(today, 2)).await;
    assert_eq!(status, 201, "{body}");
    let declared: VacancyDeclared = serde_json::from_str(&body).unwrap();
    assert_eq!(declared.referrals, 6, "three per place");
    // Seven days from today in Québec (the UTC date is a day ahead every evening there).
    assert_eq!(
        declared.answer_by,
        placeforte_domain::quebec_today(h.now()) + Duration::days(7)
    );

    let referrals = h
        .store
        .vacancy_referrals(declared.vacancy_id)
        .await
        .unwrap();
    let expected = rank_candidates(&pool.eligible, Capacity::from(2), today, &QUEBEC_2025).unwrap();
    let got: Vec<RegistrationId> = referrals.iter().map(|r| r.registration_id).collect();
    let want: Vec<RegistrationId> = expected.iter().take(6).map(|r| r.key).collect();
    assert_eq!(got, want, "the domain's order, first six");
    for (referral, ranked) in referrals.iter().zip(&expected) {
        assert_eq!(referral.rank, ranked.rank);
        assert_eq!(referral.daycare_id, pool.daycare);
        assert_eq!(referral.status, "open");
        assert_eq!(referral.answer_by, declared.answer_by);
        let reason: serde_json::Value = serde_json::from_str(&referral.rank_reason).unwrap();
        assert_eq!(reason, serde_json::to_value(ranked.reason).unwrap());
        assert_eq!(reason["rule_set"], "qc-2025");
    }
    assert!(
        !got.contains(&pool.honeytoken),
        "honeytokens are never referred"
    );

    // One audit entry names the vacancy, the daycare and every referral; no personal data.
    assert_eq!(h.event_count().await, events + 1);
    let entry = h.store.audit_entries(events, 10).await.unwrap().remove(0);
    assert_eq!(entry.leaf.action, "vacancy.declared");
    assert_eq!(entry.leaf.daycare_id, pool.daycare.to_string());
    assert_eq!(
        entry.leaf.subject,
        format!("vacancy:{}", declared.vacancy_id)
    );
    let ids: Vec<String> = referrals.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(entry.leaf.referral_ids, ids.join(","));
    assert!(!format!("{entry:?}").contains("Synthétique"));
}

async fn a_second_vacancy_never_refers_a_child_twice<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    let (status, body) = declare(&h, &pool.device, toddlers(today, 2)).await;
    assert_eq!(status, 201, "{body}");
    let first: VacancyDeclared = serde_json::from_str(&body).unwrap();
    let (status, body) = declare(&h, &pool.device, toddlers(today, 10)).await;
    assert_eq!(status, 201, "{body}");
    let second: VacancyDeclared = serde_json::from_str(&body).unwrap();
    assert_eq!(second.referrals, 6, "the six not referred yet, no more");
    let mut all: Vec<RegistrationId> = h
        .store
        .vacancy_referrals(first.vacancy_id)
        .await
        .unwrap()
        .into_iter()
        .chain(h.store.vacancy_referrals(second.vacancy_id).await.unwrap())
        .map(|r| r.registration_id)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), 12);
    // Babies: nobody else qualifies.
    let (status, body) = declare(
        &h,
        &pool.device,
        json!({"age_class": "under_18_months", "places": 1, "start_date": (today + Duration::days(30)).to_string()}),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let babies: VacancyDeclared = serde_json::from_str(&body).unwrap();
    assert_eq!(babies.referrals, 2);
}

async fn a_declaration_retried_with_its_key_is_applied_once<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    // Start dates are Québec dates (a Québec evening is tomorrow in UTC).
    let today = placeforte_domain::calendar::quebec_today(h.now());
    let key = uuid::Uuid::new_v4();
    let mut body = toddlers(today, 2);
    body["idempotency_key"] = json!(key);
    let events = h.event_count().await;
    let (status, first) = declare(&h, &pool.device, body.clone()).await;
    assert_eq!(status, 201, "{first}");
    let declared: VacancyDeclared = serde_json::from_str(&first).unwrap();
    assert_eq!(declared.referrals, 6);
    assert_eq!(h.event_count().await, events + 1);

    // The answer was lost: the same declaration with the same key gets the same answer, and
    // nothing is declared or referred again.
    let (status, again) = declare(&h, &pool.device, body.clone()).await;
    assert_eq!((status, again.as_str()), (201, first.as_str()));
    assert_eq!(h.event_count().await, events + 1);
    assert_eq!(all_referrals(&h, &pool.device).await.len(), 6);
    // (The sync is audited too.)
    let events = h.event_count().await - 1;

    // The key with another declaration: refused, nothing written.
    let mut other = body.clone();
    other["places"] = json!(3);
    let (status, answer) = declare(&h, &pool.device, other).await;
    assert_eq!(status, 409, "{answer}");
    assert_eq!(common::api_error(&answer).code, "idempotency_key_reused");
    assert_eq!(h.event_count().await, events + 1);

    // Another daycare with the same key: its own declaration, nothing of the first one.
    let (status, theirs) = declare(&h, &pool.other_device, body.clone()).await;
    assert_eq!(status, 201, "{theirs}");
    let theirs: VacancyDeclared = serde_json::from_str(&theirs).unwrap();
    assert_ne!(theirs.vacancy_id, declared.vacancy_id);
    assert_eq!(h.event_count().await, events + 2);
    let referred = h.store.vacancy_referrals(theirs.vacancy_id).await.unwrap();
    assert!(!referred.is_empty());
    assert!(referred
        .iter()
        .all(|r| r.daycare_id != pool.daycare && r.vacancy_id == theirs.vacancy_id));
    // And the first daycare's key still answers its own declaration.
    let (status, still) = declare(&h, &pool.device, body).await;
    assert_eq!((status, still.as_str()), (201, first.as_str()));
    assert_eq!(h.event_count().await, events + 2);

    // A declaration starting today, retried tomorrow: answered as the first time, not checked
    // again (its start date has passed meanwhile).
    let mut today_body = body_starting(today, uuid::Uuid::new_v4());
    let (status, answer) = declare(&h, &pool.device, today_body.clone()).await;
    assert_eq!(status, 201, "{answer}");
    h.clock.advance(Duration::days(1));
    let (status, retried) = declare(&h, &pool.device, today_body.clone()).await;
    assert_eq!((status, retried.as_str()), (201, answer.as_str()));
    assert_eq!(h.event_count().await, events + 3);
    // A new declaration like it is checked, and refused.
    today_body["idempotency_key"] = json!(uuid::Uuid::new_v4());
    let (status, refused) = declare(&h, &pool.device, today_body).await;
    assert_eq!(status, 422, "{refused}");
}

fn body_starting(start: chrono::NaiveDate, key: uuid::Uuid) -> serde_json::Value {
    json!({
        "idempotency_key": key,
        "age_class": "under_18_months",
        "places": 1,
        "start_date": start.to_string(),
    })
}

/// At 02:00 UTC it is 21:00 or 22:00 the day before in Québec: "today" is the Québec date.
async fn on_a_quebec_evening_a_start_date_of_today_there_is_accepted<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let now = h.now();
    let evening = (now.date_naive() + Duration::days(1))
        .and_hms_opt(2, 0, 0)
        .unwrap()
        .and_utc();
    h.clock.advance(evening - now);
    let quebec = placeforte_domain::calendar::quebec_today(h.now());
    assert_eq!(quebec, h.now().date_naive() - Duration::days(1));
    let (status, answer) = declare(
        &h,
        &pool.device,
        body_starting(quebec, uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(status, 201, "{answer}");
    let yesterday = quebec - Duration::days(1);
    let (status, refused) = declare(
        &h,
        &pool.device,
        body_starting(yesterday, uuid::Uuid::new_v4()),
    )
    .await;
    assert_eq!(status, 422, "{refused}");
}

async fn bad_declarations_are_refused_and_change_nothing<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let today = placeforte_domain::calendar::quebec_today(h.now());
    let events = h.event_count().await;
    let start = (today + Duration::days(30)).to_string();
    let cases = [
        (
            json!({"age_class": "four_years", "places": 0, "start_date": start}),
            422,
            "invalid_vacancy",
        ),
        (
            json!({"age_class": "four_years", "places": 101, "start_date": start}),
            422,
            "invalid_vacancy",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": (today - Duration::days(1)).to_string()}),
            422,
            "invalid_vacancy",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": start, "group_label": "x".repeat(61)}),
            422,
            "invalid_vacancy",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": start, "group_label": "a\u{0}b"}),
            422,
            "invalid_vacancy",
        ),
        (
            json!({"age_class": "teens", "places": 1, "start_date": start}),
            400,
            "malformed_body",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": start, "idempotency_key": null}),
            400,
            "malformed_body",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": start, "idempotency_key": "not-a-uuid"}),
            400,
            "malformed_body",
        ),
        (
            json!({"age_class": "four_years", "places": -1, "start_date": start}),
            400,
            "malformed_body",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": "01/09/2026"}),
            400,
            "malformed_body",
        ),
        (
            json!({"age_class": "four_years", "places": 1, "start_date": start, "daycare_id": pool.daycare}),
            400,
            "malformed_body",
        ),
    ];
    for (body, status, code) in cases {
        let (got, answer) = declare(&h, &pool.device, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(common::api_error(&answer).code, code, "{body}");
    }
    assert_eq!(
        h.event_count().await,
        events,
        "nothing written, nothing audited"
    );
}
