//! A legitimate but compromised daycare workstation, on both backends: no endpoint searches or
//! changes registrations, and every route that is not the API's answers like a missing one.
//! Foreign ids also take as long as missing ones. Each finding of the insider review has its own
//! module beside this file. (Their answers, guessed ids, replayed keys, the
//! reveal quota and oversized pages are in tests/referrals.rs, next to the endpoints they
//! attack.)
#![allow(clippy::unwrap_used)]

mod alerts;
#[path = "../common/mod.rs"]
mod common;
mod connections;
mod enrolment;
mod harvest;
mod outcomes;

use std::time::{Duration, Instant};

use common::referral_pool::{declared_referrals, pool};
use common::Harness;
use placeforte_central::store::Storage;
use serde_json::json;

on_both_backends!(
    no_endpoint_searches_or_changes_registrations,
    registration_fields_are_refused_by_every_endpoint,
    foreign_ids_take_as_long_as_missing_ones,
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

/// Rounds measured per attempt; each round sends every kind of id to one endpoint, the
/// endpoints taking turns.
const TIMING_ROUNDS: usize = 80;
/// Rounds sent first and not measured (connection and caches warming up).
const WARM_UP_ROUNDS: usize = 6;
/// How far a median may be from the missing id's before it counts as a difference. The test
/// machine has two cores shared with other builds; interleaving keeps the medians within a few
/// per cent of each other there, and one extra statement on this short path costs more.
const MEDIAN_RATIO_BOUNDS: (f64, f64) = (1.0 / 1.3, 1.3);

fn median(samples: &mut [Duration]) -> Duration {
    samples.sort_unstable();
    samples[samples.len() / 2]
}

/// Another daycare's referral id, a registration id and a fixed unknown id, sent to the outcome
/// and reveal endpoints in turn with fresh random (missing) ids over one kept-alive mutual TLS
/// connection: same status and body, and, per endpoint, medians within
/// [`MEDIAN_RATIO_BOUNDS`] of the missing ids'. Timing is noisy, so a failed attempt is
/// measured again (twice at most): a real difference fails every attempt.
async fn foreign_ids_take_as_long_as_missing_ones<S: Storage>(h: Harness<S>) {
    let pool = pool(&h).await;
    let theirs = declared_referrals(&h, &pool.device, 1).await;
    let fixed = [
        ("another daycare's referral", theirs[0].id.to_string()),
        ("a registration", theirs[0].registration_id.to_string()),
        ("an unknown id", uuid::Uuid::new_v4().to_string()),
    ];
    let mut connection = h.api_connection(&pool.other_device).await.unwrap();
    let endpoints = [
        (
            "outcome",
            r#"{"idempotency_key":"6f1f1c3e-52a8-4d2a-9d8e-0c7b8b0f6a11","outcome":{"kind":"accepted"}}"#,
        ),
        ("contact", r#"{"reason":"offer_call"}"#),
    ];
    let mut expected = None;
    let mut last = String::new();
    for _attempt in 0..3 {
        last.clear();
        // samples[endpoint][kind]; kind 0: fresh missing ids, 1..: the fixed kinds.
        let mut samples = vec![vec![Vec::new(); fixed.len() + 1]; endpoints.len()];
        for round in 0..WARM_UP_ROUNDS + TIMING_ROUNDS {
            let endpoint = round % endpoints.len();
            let (name, body) = endpoints[endpoint];
            for shift in 0..=fixed.len() {
                // Rotate the order each round so no kind always goes first.
                let kind = (round / endpoints.len() + shift) % (fixed.len() + 1);
                let id = match kind {
                    0 => uuid::Uuid::new_v4().to_string(),
                    k => fixed[k - 1].1.clone(),
                };
                let path = format!("/v1/referrals/{id}/{name}");
                let started = Instant::now();
                let response = connection.post_json(&path, body).await.unwrap();
                let took = started.elapsed();
                let answer = (response.status, response.text());
                let expected = expected.get_or_insert_with(|| answer.clone());
                assert_eq!(&answer, expected, "{name} with {id}");
                if round >= WARM_UP_ROUNDS {
                    samples[endpoint][kind].push(took);
                }
            }
        }
        let mut ratios = Vec::new();
        for ((name, _), by_kind) in endpoints.iter().zip(&mut samples) {
            let missing = median(&mut by_kind[0]).as_secs_f64();
            for ((kind, _), s) in fixed.iter().zip(by_kind.iter_mut().skip(1)) {
                ratios.push((*name, *kind, median(s).as_secs_f64() / missing));
            }
            last = format!("{last}{name}: missing median {:.3} ms; ", missing * 1e3);
        }
        last = format!("{last}ratios {ratios:.3?}");
        eprintln!("{last}");
        if ratios
            .iter()
            .all(|(_, _, r)| (MEDIAN_RATIO_BOUNDS.0..=MEDIAN_RATIO_BOUNDS.1).contains(r))
        {
            assert_eq!(expected.unwrap().0, 404);
            return;
        }
    }
    panic!("foreign ids are timed differently from missing ones: {last}");
}
