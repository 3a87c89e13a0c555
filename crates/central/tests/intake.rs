//! The intake interface over real mutual TLS on 127.0.0.1, on both backends: idempotency,
//! rejects that write nothing, the intake role and the daycare role kept apart, withdrawal,
//! the family's confirmation of a daycare's report, and daycare deactivation.
#![allow(clippy::unwrap_used)]

mod common;

use chrono::{Duration, NaiveDate};
use common::referral_pool::{answer, declared_referrals, outcome};
use common::{api_error, new_csr, Harness};
use placeforte_central::intake::operator as intake_operator;
use placeforte_central::store::Storage;
use placeforte_domain::{quebec_today, RegistrationStatus};
use placeforte_protocol::intake::{PendingReports, RegistrationReceipt, ReportConfirmed};
use placeforte_protocol::DaycareId;
use serde_json::{json, Value};

/// The registration front end's key and certificate chain.
struct IntakeKeys {
    id: uuid::Uuid,
    identity_pem: String,
}

async fn intake_client<S: Storage>(h: &Harness<S>) -> IntakeKeys {
    let (key, csr) = new_csr();
    let issued =
        intake_operator::issue_intake_client(&h.store, &h.ca, &h.operator, h.now(), "front", &csr)
            .await
            .unwrap();
    IntakeKeys {
        id: issued.id,
        identity_pem: format!("{}{}", key.serialize_pem(), issued.certificate_chain_pem),
    }
}

fn client<S: Storage>(h: &Harness<S>, keys: &IntakeKeys) -> reqwest::Client {
    reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(h.ca_pem().as_bytes()).unwrap())
        .identity(reqwest::Identity::from_pem(keys.identity_pem.as_bytes()).unwrap())
        .build()
        .unwrap()
}

fn today<S: Storage>(h: &Harness<S>) -> NaiveDate {
    quebec_today(h.now())
}

/// A toddler (about 20 months) choosing `choices`, free to start now.
fn details(today: NaiveDate, choices: &[DaycareId]) -> Value {
    json!({
        "child": {"given_name": "Léa", "family_name": "Tremblay",
                  "birth_date": (today - Duration::days(600)).to_string()},
        "desired_entry_date": (today - Duration::days(30)).to_string(),
        "region": "Capitale-Nationale",
        "address_key": "addr-1",
        "parent": {"given_name": "Marie", "family_name": "Tremblay",
                   "phone": "418 555-0100", "email": "marie@example.org"},
        "facts": {"staff_member_child": false, "same_address_as_admitted_child": false,
                  "already_in_subsidized_care": false},
        "priority": {"special_needs": false, "socio_economic_precarity": false,
                     "parent_in_education": false},
        "choices": choices,
    })
}

async fn post(client: &reqwest::Client, url: String, body: &Value) -> (u16, String) {
    answer(client.post(url).json(body).send().await.unwrap()).await
}

async fn create<S: Storage>(
    h: &Harness<S>,
    keys: &IntakeKeys,
    choices: &[DaycareId],
) -> RegistrationReceipt {
    let body = json!({"idempotency_key": uuid::Uuid::new_v4(),
                      "registration": details(today(h), choices)});
    let (status, text) = post(
        &client(h, keys),
        h.api_url("/v1/intake/registrations"),
        &body,
    )
    .await;
    assert_eq!(status, 201, "{text}");
    serde_json::from_str(&text).unwrap()
}

async fn create_is_idempotent<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let keys = intake_client(&h).await;
    let client = client(&h, &keys);
    let key = uuid::Uuid::new_v4();
    let body = json!({"idempotency_key": key, "registration": details(today(&h), &[daycare])});
    let url = h.api_url("/v1/intake/registrations");
    let events = h.event_count().await;
    let (status, first) = post(&client, url.clone(), &body).await;
    assert_eq!(status, 201, "{first}");
    let (status, again) = post(&client, url.clone(), &body).await;
    assert_eq!((status, again.as_str()), (201, first.as_str()));
    assert_eq!(h.store.registration_count().await.unwrap(), 1);
    assert_eq!(h.event_count().await, events + 1, "one audit entry");
    let receipt: RegistrationReceipt = serde_json::from_str(&first).unwrap();
    assert_eq!(
        h.store
            .registration_choices(receipt.registration_id)
            .await
            .unwrap(),
        vec![(daycare, 1)]
    );
    // The same key with another body: refused, nothing written.
    let mut other = body.clone();
    other["registration"]["region"] = json!("Estrie");
    let (status, text) = post(&client, url.clone(), &other).await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(api_error(&text).code, "idempotency_key_reused");
    assert_eq!(h.store.registration_count().await.unwrap(), 1);
    // Another intake client's identical key is another key.
    let second = intake_client(&h).await;
    let (status, text) = post(&self::client(&h, &second), url, &body).await;
    assert_eq!(status, 201, "{text}");
    assert_ne!(text, first);
    assert_eq!(h.store.registration_count().await.unwrap(), 2);
}

async fn rejects_write_nothing<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let closed = h.daycare().await;
    intake_operator::deactivate_daycare(&h.store, &h.operator, h.now(), closed)
        .await
        .unwrap();
    let keys = intake_client(&h).await;
    let client = client(&h, &keys);
    let url = h.api_url("/v1/intake/registrations");
    let today = today(&h);
    let events = h.event_count().await;
    let with = |edit: &dyn Fn(&mut Value)| {
        let mut registration = details(today, &[daycare]);
        edit(&mut registration);
        json!({"idempotency_key": uuid::Uuid::new_v4(), "registration": registration})
    };
    let cases: Vec<(Value, u16, &str, &str)> = vec![
        (
            with(&|r| r["child"]["birth_date"] = json!((today + Duration::days(1)).to_string())),
            422,
            "invalid_registration",
            "child_not_born",
        ),
        (
            with(&|r| r["desired_entry_date"] = json!((today - Duration::days(900)).to_string())),
            422,
            "invalid_registration",
            "entry_before_birth",
        ),
        (
            with(&|r| r["choices"] = json!([DaycareId::random()])),
            422,
            "invalid_registration",
            "choice_inactive",
        ),
        (
            with(&|r| r["choices"] = json!([closed])),
            422,
            "invalid_registration",
            "choice_inactive",
        ),
        (
            with(&|r| r["choices"] = json!([daycare, daycare])),
            422,
            "invalid_registration",
            "duplicate_choice",
        ),
        (
            with(&|r| {
                r["choices"] = json!((0..31).map(|_| DaycareId::random()).collect::<Vec<_>>())
            }),
            422,
            "invalid_registration",
            "too_many_choices",
        ),
        (
            with(&|r| r["choices"] = json!([])),
            422,
            "invalid_registration",
            "no_choice",
        ),
        (
            with(&|r| r["parent"]["email"] = json!("not an address")),
            422,
            "invalid_registration",
            "email_invalid",
        ),
        (
            with(&|r| r["child"]["nirec"] = json!("TREL25031001")),
            400,
            "malformed_body",
            "nirec",
        ),
        (
            with(&|r| r["unexpected"] = json!(true)),
            400,
            "malformed_body",
            "unexpected",
        ),
    ];
    for (body, want_status, want_code, in_message) in cases {
        let (status, text) = post(&client, url.clone(), &body).await;
        assert_eq!(status, want_status, "{text}");
        let error = api_error(&text);
        assert_eq!(error.code, want_code, "{text}");
        assert!(error.message.contains(in_message), "{text}");
        // A refusal never echoes personal data.
        assert!(
            !text.contains("Tremblay") && !text.contains("418 555"),
            "{text}"
        );
    }
    assert_eq!(h.store.registration_count().await.unwrap(), 0);
    assert_eq!(h.event_count().await, events, "nothing audited as written");
}

async fn roles_are_kept_apart<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let daycare = device.certificate.daycare_id;
    let keys = intake_client(&h).await;
    let intake = client(&h, &keys);
    // The intake client on daycare endpoints: no device identity.
    for (method, path) in [
        ("get", placeforte_protocol::device::WHOAMI_PATH),
        ("get", "/v1/referrals"),
        ("post", "/v1/vacancies"),
    ] {
        let request = match method {
            "get" => intake.get(h.api_url(path)),
            _ => intake.post(h.api_url(path)).json(&json!({})),
        };
        let (status, text) = answer(request.send().await.unwrap()).await;
        assert_eq!(status, 401, "{path}: {text}");
        assert_eq!(api_error(&text).code, "unauthenticated", "{path}");
    }
    // A daycare workstation on every intake endpoint: refused before anything is read.
    let workstation = h.device_client(&device);
    let body = json!({"idempotency_key": uuid::Uuid::new_v4(),
                      "registration": details(today(&h), &[daycare])});
    let registration = create(&h, &keys, &[daycare]).await.registration_id;
    let key = json!({"idempotency_key": uuid::Uuid::new_v4()});
    let requests = [
        workstation
            .post(h.api_url("/v1/intake/registrations"))
            .json(&body),
        workstation
            .put(h.api_url(&format!("/v1/intake/registrations/{registration}")))
            .json(&body),
        workstation
            .post(h.api_url(&format!("/v1/intake/registrations/{registration}/withdraw")))
            .json(&key),
        workstation.get(h.api_url(&format!("/v1/intake/registrations/{registration}/reports"))),
        workstation
            .post(h.api_url(&format!(
                "/v1/intake/registrations/{registration}/reports/{}/confirm",
                uuid::Uuid::new_v4()
            )))
            .json(&key),
    ];
    for request in requests {
        let (status, text) = answer(request.send().await.unwrap()).await;
        assert_eq!(status, 403, "{text}");
        assert_eq!(api_error(&text).code, "intake_client_required");
    }
    assert_eq!(h.store.registration_count().await.unwrap(), 1);
    assert_eq!(
        h.store.registration_state(registration).await.unwrap(),
        None,
        "still waiting"
    );
    // A revoked intake client is refused at its next request, on a new connection or not.
    intake_operator::revoke_intake_client(&h.store, &h.operator, h.now(), keys.id)
        .await
        .unwrap();
    let (status, text) = post(&intake, h.api_url("/v1/intake/registrations"), &body).await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(api_error(&text).code, "intake_client_revoked");
    // An intake certificate past its validity.
    let fresh = intake_client(&h).await;
    h.clock
        .advance(intake_operator::INTAKE_CERTIFICATE_LIFETIME + Duration::minutes(1));
    let (status, text) = post(
        &client(&h, &fresh),
        h.api_url("/v1/intake/registrations"),
        &body,
    )
    .await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(api_error(&text).code, "certificate_expired");
}

async fn update_and_withdraw<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let daycare = device.certificate.daycare_id;
    let other = h.daycare().await;
    let keys = intake_client(&h).await;
    let intake = client(&h, &keys);
    let registration = create(&h, &keys, &[daycare]).await.registration_id;
    let referrals = declared_referrals(&h, &device, 1).await;
    assert_eq!(referrals.len(), 1);
    assert_eq!(referrals[0].registration_id, registration);
    // Update: the choices replaced, in the new order.
    let url = h.api_url(&format!("/v1/intake/registrations/{registration}"));
    let update = json!({"idempotency_key": uuid::Uuid::new_v4(),
                        "registration": details(today(&h), &[other, daycare])});
    let (status, text) = answer(intake.put(url.clone()).json(&update).send().await.unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let mut choices = h.store.registration_choices(registration).await.unwrap();
    choices.sort_by_key(|(_, preference)| *preference);
    assert_eq!(choices, vec![(other, 1), (daycare, 2)]);
    // An unknown id answers 404, a malformed one too.
    for id in [uuid::Uuid::new_v4().to_string(), "nope".to_owned()] {
        let mut fresh = update.clone();
        fresh["idempotency_key"] = json!(uuid::Uuid::new_v4());
        let (status, _) = answer(
            intake
                .put(h.api_url(&format!("/v1/intake/registrations/{id}")))
                .json(&fresh)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(status, 404);
    }
    // Withdraw: its open referral closes; a replay gets the same answer.
    let withdraw = json!({"idempotency_key": uuid::Uuid::new_v4()});
    let withdraw_url = h.api_url(&format!("/v1/intake/registrations/{registration}/withdraw"));
    let (status, first) = post(&intake, withdraw_url.clone(), &withdraw).await;
    assert_eq!(status, 200, "{first}");
    let receipt: RegistrationReceipt = serde_json::from_str(&first).unwrap();
    assert_eq!(receipt.closed_referrals, 1);
    let (status, again) = post(&intake, withdraw_url.clone(), &withdraw).await;
    assert_eq!((status, again.as_str()), (200, first.as_str()));
    assert_eq!(
        h.store
            .registration_state(registration)
            .await
            .unwrap()
            .map(|s| s.status),
        Some(RegistrationStatus::Withdrawn)
    );
    let (status, text) = post(
        &intake,
        withdraw_url,
        &json!({"idempotency_key": uuid::Uuid::new_v4()}),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(api_error(&text).code, "registration_closed");
    let update = json!({"idempotency_key": uuid::Uuid::new_v4(),
                        "registration": details(today(&h), &[other])});
    let (status, text) = answer(intake.put(url).json(&update).send().await.unwrap()).await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(api_error(&text).code, "registration_closed");
}

async fn family_confirms_a_report<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let daycare = device.certificate.daycare_id;
    let keys = intake_client(&h).await;
    let intake = client(&h, &keys);
    let registration = create(&h, &keys, &[daycare]).await.registration_id;
    let bystander = create(&h, &keys, &[daycare]).await.registration_id;
    let referral = declared_referrals(&h, &device, 1)
        .await
        .into_iter()
        .find(|r| r.registration_id == registration)
        .unwrap();
    let (status, text) = outcome(
        &h,
        &device,
        &referral.id.to_string(),
        uuid::Uuid::new_v4(),
        json!({"kind": "accepted"}),
    )
    .await;
    assert_eq!(status, 200, "{text}");
    // The daycare's word alone placed no one.
    assert_eq!(
        h.store.registration_state(registration).await.unwrap(),
        None
    );
    let reports_url = h.api_url(&format!("/v1/intake/registrations/{registration}/reports"));
    let (status, text) = answer(intake.get(reports_url.clone()).send().await.unwrap()).await;
    assert_eq!(status, 200, "{text}");
    let reports: PendingReports = serde_json::from_str(&text).unwrap();
    assert_eq!(reports.reports.len(), 1);
    let report = reports.reports[0].report_id;
    assert_eq!(reports.reports[0].daycare_id, daycare);
    // Not through another registration's path.
    let key = json!({"idempotency_key": uuid::Uuid::new_v4()});
    let (status, text) = post(
        &intake,
        h.api_url(&format!(
            "/v1/intake/registrations/{bystander}/reports/{report}/confirm"
        )),
        &key,
    )
    .await;
    assert_eq!(status, 404, "{text}");
    // The family confirms: placed; a replay answers the same.
    let confirm_url = h.api_url(&format!(
        "/v1/intake/registrations/{registration}/reports/{report}/confirm"
    ));
    let (status, first) = post(&intake, confirm_url.clone(), &key).await;
    assert_eq!(status, 200, "{first}");
    let confirmed: ReportConfirmed = serde_json::from_str(&first).unwrap();
    assert_eq!(confirmed.report_id, report);
    let (status, again) = post(&intake, confirm_url.clone(), &key).await;
    assert_eq!((status, again.as_str()), (200, first.as_str()));
    assert_eq!(
        h.store
            .registration_state(registration)
            .await
            .unwrap()
            .map(|s| s.status),
        Some(RegistrationStatus::Placed)
    );
    let (status, text) = post(
        &intake,
        confirm_url,
        &json!({"idempotency_key": uuid::Uuid::new_v4()}),
    )
    .await;
    assert_eq!(status, 409, "{text}");
    assert_eq!(api_error(&text).code, "report_not_pending");
    // The confirmation is the intake client's in the audit log.
    assert!(h.store.pending_outcome_reports().await.unwrap().is_empty());
}

async fn daycare_edit_and_deactivation<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let daycare = device.certificate.daycare_id;
    let keys = intake_client(&h).await;
    let registration = create(&h, &keys, &[daycare]).await.registration_id;
    let referrals = declared_referrals(&h, &device, 1).await;
    assert_eq!(referrals.len(), 1);
    let edited = intake_operator::edit_daycare(
        &h.store,
        &h.operator,
        h.now(),
        daycare,
        Some("CPE Les Grands Pics"),
        None,
    )
    .await
    .unwrap();
    assert_eq!(edited.name, "CPE Les Grands Pics");
    assert_eq!(edited.region, "Capitale-Nationale");
    assert!(intake_operator::edit_daycare(
        &h.store,
        &h.operator,
        h.now(),
        DaycareId::random(),
        Some("x"),
        None
    )
    .await
    .is_err());
    assert!(
        intake_operator::edit_daycare(&h.store, &h.operator, h.now(), daycare, None, None)
            .await
            .is_err()
    );
    // A spare code issued before the deactivation stops working with it.
    let code = h.code(daycare).await;
    let done = intake_operator::deactivate_daycare(&h.store, &h.operator, h.now(), daycare)
        .await
        .unwrap();
    assert_eq!((done.devices, done.referrals), (1, 1));
    assert!(h
        .store
        .daycare_deactivated_at(daycare)
        .await
        .unwrap()
        .is_some());
    let (status, text) = answer(
        h.device_client(&device)
            .get(h.api_url("/v1/referrals"))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, 401, "{text}");
    assert_eq!(api_error(&text).code, "device_revoked");
    let (_, csr) = new_csr();
    let (status, _) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 403, "the spare code no longer enrols");
    assert!(matches!(
        placeforte_central::operator::issue_enrolment_code(
            &h.store,
            &h.operator,
            h.now(),
            daycare,
            placeforte_central::Lifetimes::default().enrolment_code,
        )
        .await,
        Err(placeforte_central::operator::OperatorError::DaycareDeactivated(_))
    ));
    // The family waits on, its referral closed.
    assert_eq!(
        h.store.registration_state(registration).await.unwrap(),
        None
    );
    assert_eq!(h.store.open_referral_count(daycare).await.unwrap(), 0);
    assert!(matches!(
        intake_operator::deactivate_daycare(&h.store, &h.operator, h.now(), daycare).await,
        Err(intake_operator::IntakeOperatorError::AlreadyInactive(_))
    ));
    assert!(matches!(
        intake_operator::deactivate_daycare(&h.store, &h.operator, h.now(), DaycareId::random())
            .await,
        Err(intake_operator::IntakeOperatorError::UnknownDaycare(_))
    ));
    // Its records stay: the daycare list still shows it.
    assert!(h
        .store
        .daycares()
        .await
        .unwrap()
        .iter()
        .any(|d| d.id == daycare));
}

on_both_backends!(
    create_is_idempotent,
    rejects_write_nothing,
    roles_are_kept_apart,
    update_and_withdraw,
    family_confirms_a_report,
    daycare_edit_and_deactivation,
);
