//! Answering referrals on both backends, over real mutual TLS: outcomes, the places they
//! refill, and contact reveals.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::Duration;
use common::referral_pool::{
    all_referrals, daycare_with_permit, declare_one, declared_referrals, outcome, pool, reveal,
    waiting_families,
};
use common::Harness;
use placeforte_central::operator;
use placeforte_central::store::Storage;
use placeforte_domain::{end_of_quebec_day, RegistrationStatus};
use placeforte_protocol::referrals::{ContactDetails, OutcomeRecorded, ReferralStatus};
use placeforte_protocol::RegistrationId;
use serde_json::json;

on_both_backends!(
    an_accepted_child_leaves_every_other_pool_once_confirmed_and_places_are_refilled,
    refusals_and_missed_deadlines_follow_the_rules,
    another_daycares_referral_answers_exactly_like_a_missing_one,
    contact_reveal_is_audited_bounded_and_never_on_a_closed_referral,
);

async fn an_accepted_child_leaves_every_other_pool_once_confirmed_and_places_are_refilled<
    S: Storage,
>(
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
    assert!(
        recorded.pending_confirmation,
        "the placement is the daycare's report"
    );
    assert_eq!(recorded.further_referrals, 0, "A's place is filled");
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

    // Once the operator confirms the placement, B's place gets a new candidate.
    let reports = operator::outcome_reports(&h.store, &h.operator, h.now())
        .await
        .unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].kind, "placed");
    let (closed, further) =
        operator::confirm_outcome_report(&h.store, &h.operator, h.now(), reports[0].id)
            .await
            .unwrap();
    assert_eq!((closed, further), (1, 1));

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

async fn refusals_and_missed_deadlines_follow_the_rules<S: Storage>(mut h: Harness<S>) {
    h.with_certificates_outlasting_offers().await;
    let pool = pool(&h).await;
    let r = declared_referrals(&h, &pool.device, 1).await;
    assert_eq!(r.len(), 3);
    // On the answer-by day itself the family may still answer: a daycare's "no answer" is
    // refused until the day ends in Québec.
    let last_second = end_of_quebec_day(r[0].answer_by) - Duration::seconds(1);
    h.clock.set(last_second);
    let (status, body) = outcome(
        &h,
        &pool.device,
        &r[0].id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "no_answer_by_deadline"}),
    )
    .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(common::api_error(&body).code, "deadline_not_reached");
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
    // From the deadline on, the service's clock has expired the offer (this answer's
    // transaction does it when no sweep has); the daycare's own "no answer" agrees with it and
    // is acknowledged, nothing applied twice.
    h.clock.set(last_second + Duration::seconds(1));
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
        (
            recorded.status,
            recorded.further_referrals,
            recorded.pending_confirmation
        ),
        (ReferralStatus::NoAnswer, 0, false)
    );
    assert_eq!(
        h.store
            .registration_state(r[0].registration_id)
            .await
            .unwrap()
            .map(|s| (s.status, s.missed_deadlines)),
        Some((RegistrationStatus::Suspended, 1)),
        "the clock applied the miss once"
    );
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

    // The missed deadline and the decline end those families' choice of this daycare (their
    // registrations wait for confirmation); the child who refused for health reasons keeps
    // this daycare and can be referred again.
    let more = declare_one(&h, &pool.device, 10).await;
    let later: Vec<RegistrationId> = h
        .store
        .vacancy_referrals(more.vacancy_id)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.registration_id)
        .collect();
    assert!(
        !later.contains(&r[0].registration_id),
        "missed the deadline here (suspended)"
    );
    assert!(!later.contains(&r[1].registration_id), "declined here");
    assert!(
        later.contains(&r[2].registration_id),
        "kept by the exception"
    );
    // 12 toddlers, plus the late starter (this vacancy starts a week later, after the date
    // that family wished), - 2 whose choice ended - 3 still open at this daycare (two
    // top-ups after the refusals, one after the expiry) = 8.
    assert_eq!(later.len(), 8);
}

async fn another_daycares_referral_answers_exactly_like_a_missing_one<S: Storage>(
    mut h: Harness<S>,
) {
    h.with_certificates_outlasting_offers().await;
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
    assert!(entries
        .iter()
        .all(|e| e.leaf.action == "referral.not_found"));
    assert_eq!(entries[4].leaf.subject, "malformed");
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
    h.clock.set(end_of_quebec_day(mine[0].answer_by));
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
    assert_eq!(entry.leaf.action, "contact.revealed");
    assert_eq!(entry.leaf.reason, "offer_call");
    assert_eq!(entry.leaf.referral_ids, first);
    assert_eq!(entry.leaf.daycare_id, pool.daycare.to_string());
    assert!(entry.leaf.actor.starts_with("device:"));

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

    // The daily quota: 60 per device, then 429 (audited), and a new day starts afresh. The
    // daycare's own budgets (a quarter of its open referrals a day, three reveals per family)
    // are stricter for this pool, so the quota is shown on a daycare with 270 open referrals.
    let large = daycare_with_permit(&h, [0, 90, 0, 0]).await;
    waiting_families(&h, large.certificate.daycare_id, 300, 0).await;
    let many = declared_referrals(&h, &large, 90).await;
    for r in &many[..60] {
        let (status, body) = reveal(
            &h,
            &large,
            &r.id.to_string(),
            json!({"reason": "follow_up"}),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let events = h.event_count().await;
    let next = many[60].id.to_string();
    let (status, body) = reveal(&h, &large, &next, json!({"reason": "follow_up"})).await;
    assert_eq!(status, 429, "{body}");
    assert_eq!(common::api_error(&body).code, "quota_exceeded");
    let entry = h.store.audit_entries(events, 1).await.unwrap().remove(0);
    assert_eq!(entry.leaf.action, "contact.refused_over_quota");
    let alerts = h.store.alerts().await.unwrap();
    assert_eq!(alerts[0].kind, "reveal_quota_exceeded");
    let bursts: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == "reveal_rate_abnormal")
        .collect();
    assert_eq!(
        bursts.len(),
        1,
        "one burst alert in the hour, however many reveals follow"
    );
    assert_eq!(alerts[0].device_id, large.certificate.device_id.to_string());

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
        1
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
    let (status, body) = reveal(&h, &large, &next, json!({"reason": "follow_up"})).await;
    assert_eq!(status, 200, "{body}");
}
