//! A legitimate but compromised daycare workstation, on both backends: no endpoint searches or
//! changes registrations, and every route that is not the API's answers like a missing one.
//! (Foreign referral ids, guessed ids, replayed keys, the reveal quota and oversized pages are
//! in tests/referrals.rs, next to the endpoints they attack.)
#![allow(clippy::unwrap_used)]

mod common;

use common::Harness;
use placeforte_central::store::Storage;
use serde_json::json;

on_both_backends!(
    no_endpoint_searches_or_changes_registrations,
    registration_fields_are_refused_by_every_endpoint,
);

async fn no_endpoint_searches_or_changes_registrations<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let client = h.device_client(&device);
    let registration = uuid::Uuid::new_v4();
    let missing = client
        .get(h.api_url("/v1/nothing-here"))
        .send()
        .await
        .unwrap();
    let missing = (missing.status().as_u16(), missing.text().await.unwrap());
    assert_eq!(missing.0, 404);
    for (method, path) in [
        ("GET", "/v1/registrations".to_owned()),
        ("GET", "/v1/registrations?name=Tremblay".to_owned()),
        ("GET", format!("/v1/registrations/{registration}")),
        ("PUT", format!("/v1/registrations/{registration}")),
        ("PATCH", format!("/v1/registrations/{registration}")),
        ("DELETE", format!("/v1/registrations/{registration}")),
        ("GET", "/v1/search?q=Tremblay".to_owned()),
        ("GET", "/v1/children".to_owned()),
        ("GET", "/v1/audit".to_owned()),
        ("GET", "/v1/admin/alerts".to_owned()),
    ] {
        let response = client
            .request(method.parse().unwrap(), h.api_url(&path))
            .json(&json!({"child_family_name": "X"}))
            .send()
            .await
            .unwrap();
        let answer = (response.status().as_u16(), response.text().await.unwrap());
        assert_eq!(answer, missing, "{method} {path}");
    }
}

async fn registration_fields_are_refused_by_every_endpoint<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let client = h.device_client(&device);
    let events = h.event_count().await;
    let referral = uuid::Uuid::new_v4();
    let start = (h.now().date_naive() + chrono::Duration::days(30)).to_string();
    for (path, body) in [
        (
            "/v1/vacancies".to_owned(),
            json!({"idempotency_key": referral, "age_class": "four_years", "places": 1, "start_date": start, "registration_id": referral}),
        ),
        (
            "/v1/vacancies".to_owned(),
            json!({"idempotency_key": referral, "age_class": "four_years", "places": 1, "start_date": start, "parent_phone": "555"}),
        ),
        (
            format!("/v1/referrals/{referral}/outcome"),
            json!({"idempotency_key": referral, "outcome": {"kind": "accepted"}, "desired_entry_date": start}),
        ),
        (
            format!("/v1/referrals/{referral}/outcome"),
            json!({"idempotency_key": referral, "outcome": {"kind": "accepted", "status": "waiting"}}),
        ),
        (
            format!("/v1/referrals/{referral}/contact"),
            json!({"reason": "offer_call", "parent_email": "x@example.invalid"}),
        ),
    ] {
        let response = client
            .post(h.api_url(&path))
            .json(&body)
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        assert_eq!(status, 400, "{path} {body}: {text}");
        assert_eq!(
            common::api_error(&text).code,
            "malformed_body",
            "{path} {body}"
        );
    }
    // Refused before any read or write: nothing logged, nothing changed.
    assert_eq!(h.event_count().await, events);
}
