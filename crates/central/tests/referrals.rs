//! Vacancies and referrals on both backends, over real mutual TLS.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::referral_pool::{
    all_referrals, declare, declare_one, declared_referrals, outcome, pool, reveal, sync, toddlers,
};
use common::Harness;
use placeforte_central::store::Storage;
use placeforte_domain::{rank_candidates, Capacity, QUEBEC_2025};
use placeforte_protocol::referrals::{
    ContactDetails, DemandReport, OutcomeRecorded, ReferralPage, ReferralStatus, VacancyDeclared,
    DEMAND_PATH,
};
use placeforte_protocol::RegistrationId;
use serde_json::json;

on_both_backends!(
    a_vacancy_refers_eligible_candidates_in_the_regulated_order_with_reasons,
    a_second_vacancy_never_refers_a_child_twice,
    a_declaration_retried_with_its_key_is_applied_once,
    bad_declarations_are_refused_and_change_nothing,
    on_a_quebec_evening_a_start_date_of_today_there_is_accepted,
    delta_sync_pages_through_the_daycares_referrals_with_the_cache_fields_only,
    bad_sync_queries_are_refused,
    demand_counts_waiting_children_and_suppresses_small_counts,
    an_accepted_child_leaves_every_other_pool_and_places_are_refilled,
    refusals_and_missed_deadlines_follow_the_rules,
    another_daycares_referral_answers_exactly_like_a_missing_one,
    contact_reveal_is_audited_bounded_and_never_on_a_closed_referral,
    reading_the_referrals_again_and_again_raises_one_alert_and_a_first_sync_none,
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
    assert_eq!(declared.answer_by, today + Duration::days(7));

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
        assert_eq!(referral.answer_by, today + Duration::days(7));
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
    assert_eq!(entry.action, "vacancy.declared");
    assert_eq!(entry.daycare_id, pool.daycare.to_string());
    assert_eq!(entry.subject, format!("vacancy:{}", declared.vacancy_id));
    let ids: Vec<String> = referrals.iter().map(|r| r.id.to_string()).collect();
    assert_eq!(entry.referral_ids, ids.join(","));
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

async fn delta_sync_pages_through_the_daycares_referrals_with_the_cache_fields_only<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    let (status, body) = declare(&h, &pool.device, toddlers(today, 4)).await;
    assert_eq!(status, 201, "{body}");
    let declared: VacancyDeclared = serde_json::from_str(&body).unwrap();
    assert_eq!(declared.referrals, 12);
    let events = h.event_count().await;

    let mut cursor = String::new();
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut remaining = Vec::new();
    loop {
        let (status, body) = sync(&h, &pool.device, &format!("?limit=5&since={cursor}")).await;
        assert_eq!(status, 200, "{body}");
        for forbidden in [
            "Synthétique",
            "555-0100",
            "parent@",
            "address-",
            "special_needs",
        ] {
            assert!(!body.contains(forbidden), "{forbidden} leaked: {body}");
        }
        let raw: serde_json::Value = serde_json::from_str(&body).unwrap();
        for item in raw["referrals"].as_array().unwrap() {
            let mut keys: Vec<&str> = item
                .as_object()
                .unwrap()
                .keys()
                .map(String::as_str)
                .collect();
            keys.sort_unstable();
            assert_eq!(
                keys,
                [
                    "answer_by",
                    "birth_date",
                    "category",
                    "desired_entry_date",
                    "label",
                    "priority",
                    "rank_reason",
                    "referral_id",
                    "sibling_referral_id",
                    "status",
                    "vacancy_id",
                ]
            );
        }
        let page: ReferralPage = serde_json::from_value(raw).unwrap();
        sizes.push(page.referrals.len());
        remaining.push(page.remaining);
        assert_eq!(page.more, page.remaining > 0);
        seen.extend(page.referrals.clone());
        cursor = page.cursor;
        if !page.more {
            break;
        }
    }
    assert_eq!(sizes, [5, 5, 2]);
    assert_eq!(remaining, [7, 2, 0], "what waits after each page");
    assert_eq!(seen.len(), 12);
    let ids: Vec<_> = seen.iter().map(|i| i.referral_id).collect();
    for item in &seen {
        assert_eq!(item.vacancy_id, declared.vacancy_id);
        assert_eq!(item.status, ReferralStatus::Open);
        assert!(item.label.ends_with(" S."), "{}", item.label);
        assert!((1..=5).contains(&item.category));
        assert_eq!(item.rank_reason.rule_set, "qc-2025");
        let sibling = item
            .sibling_referral_id
            .expect("every child here has a referred sibling");
        assert!(ids.contains(&sibling) && sibling != item.referral_id);
    }
    let mut ranks: Vec<u32> = seen.iter().map(|i| i.rank_reason.rank).collect();
    ranks.sort_unstable();
    assert_eq!(ranks, (1..=12).collect::<Vec<_>>());

    // Three pages of personal data, three audit entries naming exactly what was sent.
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 3);
    assert!(entries.iter().all(|e| e.action == "referrals.synced"));
    let audited: Vec<String> = entries
        .iter()
        .flat_map(|e| {
            e.referral_ids
                .split(',')
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(
        audited,
        ids.iter().map(ToString::to_string).collect::<Vec<_>>()
    );

    // Nothing new: an empty page, the same cursor, no audit entry.
    let (status, body) = sync(&h, &pool.device, &format!("?since={cursor}")).await;
    assert_eq!(status, 200, "{body}");
    let page: ReferralPage = serde_json::from_str(&body).unwrap();
    assert!(page.referrals.is_empty() && !page.more && page.remaining == 0);
    assert_eq!(page.cursor, cursor);
    assert_eq!(h.event_count().await, events + 3);

    // Another daycare's device sees none of it.
    let stranger = h.enrolled_device().await;
    let (status, body) = sync(&h, &stranger, "").await;
    assert_eq!(status, 200, "{body}");
    let page: ReferralPage = serde_json::from_str(&body).unwrap();
    assert!(page.referrals.is_empty());
}

async fn bad_sync_queries_are_refused<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let events = h.event_count().await;
    for (query, code) in [
        ("?limit=501", "page_too_large"),
        ("?limit=0", "page_too_large"),
        ("?limit=-1", "malformed_query"),
        ("?limit=ten", "malformed_query"),
        ("?since=garbage", "invalid_cursor"),
        ("?since=1.not-a-uuid", "invalid_cursor"),
        (
            "?since=-1.00000000000000000000000000000000",
            "invalid_cursor",
        ),
        ("?registration_id=x", "malformed_query"),
        ("?name=Tremblay", "malformed_query"),
    ] {
        let (status, body) = sync(&h, &device, query).await;
        assert_eq!(status, 400, "{query}: {body}");
        assert_eq!(common::api_error(&body).code, code, "{query}");
    }
    assert_eq!(h.event_count().await, events);
}

async fn demand_counts_waiting_children_and_suppresses_small_counts<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let today = h.now().date_naive();
    let response = h
        .device_client(&pool.device)
        .get(h.api_url(DEMAND_PATH))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let report: DemandReport = response.json().await.unwrap();
    assert_eq!(report.as_of, today);
    let this_month = today.format("%Y-%m").to_string();
    let cell = |class: &str, month: &str| {
        report
            .cells
            .iter()
            .find(|c| c.age_class.code() == class && c.start_month == month)
            .map(|c| c.children.clone())
    };
    // Twelve toddlers (the honeytoken and the other daycare's child are not counted).
    assert_eq!(
        cell("from_18_months_to_4_years", &this_month).as_deref(),
        Some("12")
    );
    assert_eq!(cell("under_18_months", &this_month).as_deref(), Some("<5"));
    let later = (today + Duration::days(31)).format("%Y-%m").to_string();
    assert_eq!(
        cell("from_18_months_to_4_years", &later).as_deref(),
        Some("<5")
    );
    assert_eq!(report.cells.len(), 3);

    // Another daycare: nothing waits for it.
    let stranger = h.enrolled_device().await;
    let report: DemandReport = h
        .device_client(&stranger)
        .get(h.api_url(DEMAND_PATH))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(report.cells.is_empty());
}

async fn an_accepted_child_leaves_every_other_pool_and_places_are_refilled<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let at_a = declare_one(&h, &pool.device, 1).await;
    let at_b = declare_one(&h, &pool.other_device, 1).await;
    let a = h.store.vacancy_referrals(at_a.vacancy_id).await.unwrap();
    let b = h.store.vacancy_referrals(at_b.vacancy_id).await.unwrap();
    let both = a
        .iter()
        .find(|r| b.iter().any(|o| o.registration_id == r.registration_id))
        .expect("a child referred to both daycares");
    let at_b_too = b
        .iter()
        .find(|o| o.registration_id == both.registration_id)
        .unwrap();

    let key = uuid::Uuid::new_v4();
    let events = h.event_count().await;
    let (status, first) = outcome(
        &h,
        &pool.device,
        &both.id.to_string(),
        key,
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{first}");
    let recorded: OutcomeRecorded = serde_json::from_str(&first).unwrap();
    assert_eq!(recorded.status, ReferralStatus::Accepted);
    assert_eq!(
        recorded.further_referrals, 1,
        "B's place gets a new candidate; A's is filled"
    );
    assert_eq!(h.event_count().await, events + 1);

    // The same key again: the same answer, applied once.
    let (status, again) = outcome(
        &h,
        &pool.device,
        &both.id.to_string(),
        key,
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!((status, again.as_str()), (200, first.as_str()));
    assert_eq!(h.event_count().await, events + 1);
    // The key on another referral: refused.
    let (status, body) = outcome(
        &h,
        &pool.device,
        &a[1].id.to_string(),
        key,
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(common::api_error(&body).code, "idempotency_key_reused");
    // A new key on the accepted referral: closed.
    let (status, body) = outcome(
        &h,
        &pool.device,
        &both.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(common::api_error(&body).code, "referral_closed");

    // At B, the placed child's referral is closed and a new candidate is referred.
    let b_now = all_referrals(&h, &pool.other_device).await;
    let closed = b_now.iter().find(|i| i.referral_id == at_b_too.id).unwrap();
    assert_eq!(closed.status, ReferralStatus::Closed);
    assert_eq!(
        b_now
            .iter()
            .filter(|i| i.status == ReferralStatus::Open)
            .count(),
        3
    );
    let (status, body) = outcome(
        &h,
        &pool.other_device,
        &at_b_too.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(common::api_error(&body).code, "referral_closed");
    // The placed child is never referred again.
    let more = declare_one(&h, &pool.other_device, 10).await;
    let later = h.store.vacancy_referrals(more.vacancy_id).await.unwrap();
    assert!(later
        .iter()
        .all(|r| r.registration_id != both.registration_id));
}

async fn refusals_and_missed_deadlines_follow_the_rules<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let r = declared_referrals(&h, &pool.device, 1).await;
    assert_eq!(r.len(), 3);
    let (status, body) = outcome(
        &h,
        &pool.device,
        &r[0].id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "no_answer_by_deadline"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (recorded.status, recorded.further_referrals),
        (ReferralStatus::NoAnswer, 1)
    );
    let (status, body) = outcome(
        &h,
        &pool.device,
        &r[1].id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "refused", "reason": "no_longer_needed"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (recorded.status, recorded.further_referrals),
        (ReferralStatus::Refused, 1)
    );
    let (status, body) = outcome(
        &h,
        &pool.device,
        &r[2].id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "refused", "reason": "child_health"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Unknown reasons and kinds are refused before anything happens.
    let (status, body) = outcome(
        &h,
        &pool.device,
        &r[2].id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "refused", "reason": "bored"}),
    )
    .await;
    assert_eq!(status, 400, "{body}");

    // Suspended (first missed deadline) and withdrawn (declined) children are not referred;
    // the child who refused for health reasons keeps waiting and can be referred again.
    let more = declare_one(&h, &pool.device, 10).await;
    let later: Vec<RegistrationId> = h
        .store
        .vacancy_referrals(more.vacancy_id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.registration_id)
        .collect();
    assert!(!later.contains(&r[0].registration_id), "suspended");
    assert!(!later.contains(&r[1].registration_id), "withdrawn");
    assert!(
        later.contains(&r[2].registration_id),
        "kept by the exception"
    );
    // 12 toddlers - suspended - withdrawn - 3 still open at this daycare = 7.
    assert_eq!(later.len(), 7);
}

async fn another_daycares_referral_answers_exactly_like_a_missing_one<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let theirs = declared_referrals(&h, &pool.device, 1).await;
    let key = uuid::Uuid::new_v4();
    let events = h.event_count().await;
    let mut answers = Vec::new();
    for id in [
        theirs[0].id.to_string(),
        uuid::Uuid::new_v4().to_string(),
        theirs[0].registration_id.to_string(),
        pool.honeytoken.to_string(),
        "not-an-id".to_owned(),
    ] {
        answers.push(
            outcome(
                &h,
                &pool.other_device,
                &id,
                key,
                json!({"kind": "accepted"}),
            )
            .await,
        );
    }
    for answer in &answers {
        assert_eq!(answer, &answers[1], "identical to a random id");
    }
    assert_eq!(answers[1].0, 404);
    // Nothing applied; each attempt audited; the honeytoken and the repetition alerted.
    let entries = h.store.audit_entries(events, 10).await.unwrap();
    assert_eq!(entries.len(), 5);
    assert!(entries.iter().all(|e| e.action == "referral.not_found"));
    assert_eq!(entries[4].subject, "malformed");
    let alerts = h.store.alerts().await.unwrap();
    let kinds: Vec<&str> = alerts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["foreign_ids_repeated", "honeytoken_touched"]);
    assert!(alerts
        .iter()
        .all(|a| a.device_id == pool.other_device.certificate.device_id.to_string()));
    assert_eq!(
        alerts[1].detail,
        format!("registration:{}", pool.honeytoken)
    );
    // The referral is untouched, and the key is free for its owner.
    let (status, body) = outcome(
        &h,
        &pool.device,
        &theirs[0].id.to_string(),
        key,
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    // Replaying that daycare's key from the other daycare on its own referral: a separate key.
    let mine = declare_one(&h, &pool.other_device, 1).await;
    let mine = h.store.vacancy_referrals(mine.vacancy_id).await.unwrap();
    let (status, body) = outcome(
        &h,
        &pool.other_device,
        &mine[0].id.to_string(),
        key,
        json!({"kind": "no_answer_by_deadline"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let recorded: OutcomeRecorded = serde_json::from_str(&body).unwrap();
    assert_eq!(recorded.status, ReferralStatus::NoAnswer);
}

async fn contact_reveal_is_audited_bounded_and_never_on_a_closed_referral<S: Storage>(
    h: Harness<S>,
) {
    let pool = pool(&h).await;
    let referrals = declared_referrals(&h, &pool.device, 4).await;
    let first = referrals[0].id.to_string();
    let events = h.event_count().await;

    let (status, body) = reveal(&h, &pool.device, &first, json!({"reason": "offer_call"})).await;
    assert_eq!(status, 200, "{body}");
    let details: ContactDetails = serde_json::from_str(&body).unwrap();
    assert_eq!(details.parent_phone, "555-0100");
    assert_eq!(details.child_family_name, "Synthétique");
    let entry = h.store.audit_entries(events, 1).await.unwrap().remove(0);
    assert_eq!(entry.action, "contact.revealed");
    assert_eq!(entry.reason, "offer_call");
    assert_eq!(entry.referral_ids, first);
    assert_eq!(entry.daycare_id, pool.daycare.to_string());
    assert!(entry.actor.starts_with("device:"));

    // Refused before anything is read or written.
    let events = h.event_count().await;
    for (body, status, code) in [
        (json!({"reason": "other"}), 422, "invalid_reveal"),
        (
            json!({"reason": "other", "note": "x".repeat(201)}),
            422,
            "invalid_reveal",
        ),
        (
            json!({"reason": "other", "note": "rappel\u{1b}[2J"}),
            422,
            "invalid_reveal",
        ),
        (json!({"reason": "curiosity"}), 400, "malformed_body"),
        (
            json!({"reason": "offer_call", "fields": ["nirec"]}),
            400,
            "malformed_body",
        ),
    ] {
        let (got, answer) = reveal(&h, &pool.device, &first, body.clone()).await;
        assert_eq!(got, status, "{body}: {answer}");
        assert_eq!(common::api_error(&answer).code, code);
    }
    // Another daycare: exactly like an id that does not exist.
    let foreign = reveal(
        &h,
        &pool.other_device,
        &first,
        json!({"reason": "offer_call"}),
    )
    .await;
    let random = reveal(
        &h,
        &pool.other_device,
        &uuid::Uuid::new_v4().to_string(),
        json!({"reason": "offer_call"}),
    )
    .await;
    assert_eq!(foreign, random);
    assert_eq!(random.0, 404);
    assert_eq!(
        h.event_count().await,
        events + 2,
        "two refusals audited, nothing revealed"
    );

    // Never on a closed referral.
    let second = referrals[1].id.to_string();
    let (status, _) = outcome(
        &h,
        &pool.device,
        &second,
        uuid::Uuid::new_v4(),
        json!({"kind": "refused", "reason": "no_longer_needed"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = reveal(&h, &pool.device, &second, json!({"reason": "follow_up"})).await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(common::api_error(&body).code, "referral_closed");

    // The daily quota: 60 per device, then 429 (audited), and a new day starts afresh.
    for _ in 1..60 {
        let (status, body) = reveal(&h, &pool.device, &first, json!({"reason": "follow_up"})).await;
        assert_eq!(status, 200, "{body}");
    }
    let events = h.event_count().await;
    let (status, body) = reveal(&h, &pool.device, &first, json!({"reason": "follow_up"})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(common::api_error(&body).code, "quota_exceeded");
    let entry = h.store.audit_entries(events, 1).await.unwrap().remove(0);
    assert_eq!(entry.action, "contact.refused_over_quota");
    let alerts = h.store.alerts().await.unwrap();
    assert_eq!(alerts[0].kind, "reveal_quota_exceeded");
    let bursts: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == "reveal_rate_abnormal")
        .collect();
    assert_eq!(
        bursts.len(),
        1,
        "one burst alert at the 20th reveal of the hour"
    );
    assert_eq!(
        alerts[0].device_id,
        pool.device.certificate.device_id.to_string()
    );

    // Who looked at this child's file: the daycare, when, what and why (no staff names).
    let report = h
        .store
        .access_report(referrals[0].registration_id)
        .await
        .unwrap();
    let actions: Vec<&str> = report.iter().map(|l| l.action.as_str()).collect();
    assert_eq!(actions[0], "vacancy.declared");
    assert_eq!(actions[1], "contact.revealed");
    assert_eq!(report[1].reason, "offer_call");
    assert!(report.iter().all(|l| l.daycare_name == "CPE Les Mésanges"));
    assert_eq!(
        actions.iter().filter(|a| **a == "contact.revealed").count(),
        60
    );
    // Another device of another daycare is not affected.
    let theirs = declare_one(&h, &pool.other_device, 1).await;
    let theirs = h.store.vacancy_referrals(theirs.vacancy_id).await.unwrap();
    let (status, body) = reveal(
        &h,
        &pool.other_device,
        &theirs[0].id.to_string(),
        json!({"reason": "offer_call"}),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    h.clock.advance(Duration::days(1));
    let (status, body) = reveal(&h, &pool.device, &first, json!({"reason": "follow_up"})).await;
    assert_eq!(status, 200, "{body}");
}

/// A first full sync is ordinary; re-reading every referral from the start, as a scraper
/// would, crosses the floor (the daycare is small and the device has no history) and raises one
/// alert. Every page is still answered and audited.
async fn reading_the_referrals_again_and_again_raises_one_alert_and_a_first_sync_none<
    S: Storage,
>(
    h: Harness<S>,
) {
    use placeforte_central::alerts::{sync_volume_threshold, SYNC_VOLUME_FLOOR};
    let pool = pool(&h).await;
    let declared = declare_one(&h, &pool.device, 4).await;
    let per_sync = i64::from(declared.referrals);
    assert_eq!(per_sync, 12);
    assert_eq!(sync_volume_threshold(0, per_sync), SYNC_VOLUME_FLOOR);
    let events = h.event_count().await;
    let full_sync = || async {
        let (status, body) = sync(&h, &pool.device, "?limit=500").await;
        assert_eq!(status, 200, "{body}");
        let page: ReferralPage = serde_json::from_str(&body).unwrap();
        assert_eq!(page.referrals.len(), 12);
    };
    let crossing = (SYNC_VOLUME_FLOOR + per_sync - 1) / per_sync;
    for _ in 1..crossing {
        full_sync().await;
    }
    assert!(
        h.store.alerts().await.unwrap().is_empty(),
        "below the floor"
    );
    full_sync().await;
    full_sync().await;
    let alerts = h.store.alerts().await.unwrap();
    let kinds: Vec<&str> = alerts.iter().map(|a| a.kind.as_str()).collect();
    assert_eq!(kinds, ["sync_volume_abnormal"], "once, on the crossing");
    assert_eq!(
        alerts[0].device_id,
        pool.device.certificate.device_id.to_string()
    );
    assert!(alerts[0]
        .detail
        .starts_with(&format!("{} referrals", crossing * per_sync)));
    let log = h.store.audit_entries(events, 1_000).await.unwrap();
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "referrals.synced")
            .count(),
        usize::try_from(crossing + 1).unwrap(),
        "every page audited, the alerting one too"
    );
    // A new window: the device's history (now about 3 an hour) keeps the floor; one more full
    // sync is ordinary again.
    h.clock.advance(Duration::hours(2));
    full_sync().await;
    assert_eq!(h.store.alerts().await.unwrap().len(), 1);
    // The other daycare's device, syncing its own (none yet), is not affected.
    let (status, _) = sync(&h, &pool.other_device, "").await;
    assert_eq!(status, 200);
    assert_eq!(h.store.alerts().await.unwrap().len(), 1);
}
