//! Storage-level behaviour on both backends: seeding, honeytokens, operator events.

mod common;

use chrono::NaiveDate;
use common::Harness;
use placeforte_central::seed::{self, SeedOptions};
use placeforte_central::store::{AuditEvent, Storage};

on_both_backends!(
    seed_writes_the_whole_data_set_with_honeytokens_flagged,
    operator_actions_are_recorded,
);

async fn seed_writes_the_whole_data_set_with_honeytokens_flagged<S: Storage>(h: Harness<S>) {
    let options = SeedOptions {
        registrations: 2_500,
        daycares: 80,
        honeytokens: 6,
        seed: 42,
        as_of: NaiveDate::from_ymd_opt(2026, 6, 1).expect("date"),
    };
    let event = AuditEvent::new(
        h.now(),
        "operator:test".to_owned(),
        "synthetic_data.seeded",
        "seed:42".to_owned(),
    );
    let summary = seed::seed(&h.store, event.clone(), &options)
        .await
        .expect("seed");
    assert_eq!(summary.registrations, 2_500);
    assert_eq!(h.store.registration_count().await.expect("count"), 2_500);
    assert_eq!(h.store.honeytoken_count().await.expect("count"), 6);
    let daycares = h.store.daycares().await.expect("daycares");
    assert_eq!(daycares.len(), 80);
    assert!(
        daycares.iter().any(|d| !d.name.is_ascii()),
        "accented names survive storage"
    );
    assert!(matches!(
        seed::seed(&h.store, event, &options).await,
        Err(seed::SeedError::NotEmpty(2_500))
    ));
}

async fn operator_actions_are_recorded<S: Storage>(h: Harness<S>) {
    let before = h.event_count().await;
    let daycare = h.daycare().await;
    let _code = h.code(daycare).await;
    let device = h.enrolled_device().await; // another daycare, code and enrolment
    placeforte_central::operator::revoke_device(
        &h.store,
        &h.operator,
        h.now(),
        device.certificate.device_id,
    )
    .await
    .expect("revoke");
    // daycare, code, daycare, code, enrolment, revocation
    assert_eq!(h.event_count().await, before + 6);
}
