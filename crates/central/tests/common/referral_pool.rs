//! A referral pool shared by the referral, attack and property tests: two daycares sharing
//! twelve eligible toddlers, with babies, a late starter, a child of the other daycare and a
//! honeytoken; and the requests those tests make, over real mutual TLS.
#![allow(clippy::unwrap_used)]

use chrono::{Duration, NaiveDate};
use placeforte_central::operator;
use placeforte_central::store::{
    AuditEvent, RegistrationChoice, RegistrationRecord, SeedBatch, Storage,
};
use placeforte_domain::{Candidate, CandidateInput, CategoryFacts, PriorityBasis};
use placeforte_protocol::referrals::{
    ReferralPage, ReferralSyncItem, VacancyDeclared, REFERRALS_PATH, VACANCIES_PATH,
};
use placeforte_protocol::{DaycareId, RegistrationId};
use serde_json::json;

use super::{DeviceKeys, Harness};

pub struct Pool {
    pub daycare: DaycareId,
    pub device: DeviceKeys,
    /// A device of a second daycare every toddler also chose.
    pub other_device: DeviceKeys,
    /// The eligible toddlers, as the domain sees them.
    pub eligible: Vec<Candidate<RegistrationId>>,
    /// An eligible toddler who chose only the second daycare.
    pub elsewhere: Candidate<RegistrationId>,
    pub honeytoken: RegistrationId,
}

pub fn registration(
    id: RegistrationId,
    birth: NaiveDate,
    desired: NaiveDate,
    n: usize,
) -> RegistrationRecord {
    RegistrationRecord {
        id,
        child_given_name: format!("Enfant{n}"),
        child_family_name: "Synthétique".to_owned(),
        birth_date: birth,
        desired_entry_date: desired,
        registered_on: birth + Duration::days(10),
        region: "Estrie".to_owned(),
        // Pairs of siblings: 0 and 1, 2 and 3, ...
        address_key: format!("address-{}", n / 2),
        parent_given_name: "Parent".to_owned(),
        parent_family_name: "Synthétique".to_owned(),
        parent_phone: "555-0100".to_owned(),
        parent_email: "parent@example.invalid".to_owned(),
        facts: CategoryFacts {
            staff_member_child: n % 7 == 0,
            same_address_as_admitted_child: n % 5 == 0,
            already_in_subsidized_care: n % 3 == 0,
        },
        priority: PriorityBasis {
            special_needs: n % 4 == 0,
            socio_economic_precarity: n % 6 == 0,
            parent_in_education: false,
            ..PriorityBasis::NONE
        },
    }
}

/// Twelve eligible toddlers, two babies, one who wants to start later, one who chose another
/// daycare, and a honeytoken toddler, all for the device's daycare.
/// A registration as the domain ranks it.
pub fn candidate(r: &RegistrationRecord, today: NaiveDate) -> Candidate<RegistrationId> {
    Candidate::parse(
        CandidateInput {
            key: r.id,
            birth_date: r.birth_date,
            desired_entry: r.desired_entry_date,
            registered_on: r.registered_on,
            facts: r.facts,
            priority: r.priority,
        },
        today,
    )
    .unwrap()
}

pub async fn pool<S: Storage>(h: &Harness<S>) -> Pool {
    let device = h.enrolled_device().await;
    let daycare = device.certificate.daycare_id;
    let other = h.daycare().await;
    let other_device = {
        let code = h.code(other).await;
        let (key, csr) = super::new_csr();
        let (status, body) = h.enrol(other, &code, &csr).await;
        assert_eq!(status, 200, "{body}");
        DeviceKeys {
            key_pem: key.serialize_pem(),
            certificate: serde_json::from_str(&body).unwrap(),
        }
    };
    let today = h.now().date_naive();
    let start = today + Duration::days(30);
    let mut batch = SeedBatch::default();
    let mut eligible = Vec::new();
    let choose = |batch: &mut SeedBatch, r: RegistrationRecord, daycare_id: DaycareId| {
        batch.choices.push(RegistrationChoice {
            registration_id: r.id,
            daycare_id,
            preference: 1,
        });
        batch.registrations.push(r);
    };
    for n in 0..12 {
        let birth = today - Duration::days(700 + 3 * n as i64);
        let desired = today - Duration::days(40 * (n as i64 % 4));
        let r = registration(RegistrationId::random(), birth, desired, n);
        eligible.push(candidate(&r, today));
        batch.choices.push(RegistrationChoice {
            registration_id: r.id,
            daycare_id: other,
            preference: 2,
        });
        choose(&mut batch, r, daycare);
    }
    for n in 12..14 {
        let r = registration(
            RegistrationId::random(),
            today - Duration::days(100),
            today,
            n,
        );
        choose(&mut batch, r, daycare);
    }
    let later = registration(
        RegistrationId::random(),
        today - Duration::days(700),
        start + Duration::days(1),
        14,
    );
    choose(&mut batch, later, daycare);
    let elsewhere = registration(
        RegistrationId::random(),
        today - Duration::days(700),
        today,
        15,
    );
    let elsewhere_candidate = candidate(&elsewhere, today);
    choose(&mut batch, elsewhere, other);
    let honeytoken = registration(
        RegistrationId::random(),
        today - Duration::days(700),
        today,
        16,
    );
    let honeytoken_id = honeytoken.id;
    choose(&mut batch, honeytoken, daycare);
    batch.honeytokens.push(honeytoken_id);
    let event = AuditEvent::new(
        h.now(),
        "operator:test".to_owned(),
        "synthetic_data.seeded",
        "test".to_owned(),
    );
    h.store.insert_seed(&batch, &event).await.unwrap();
    Pool {
        daycare,
        device,
        other_device,
        eligible,
        elsewhere: elsewhere_candidate,
        honeytoken: honeytoken_id,
    }
}

/// A response's status and body.
pub async fn answer(response: reqwest::Response) -> (u16, String) {
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Posts a declaration, with a fresh idempotency key unless `body` names one.
pub async fn declare<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    mut body: serde_json::Value,
) -> (u16, String) {
    if body.get("idempotency_key").is_none() {
        body["idempotency_key"] = json!(uuid::Uuid::new_v4());
    }
    let response = h
        .device_client(device)
        .post(h.api_url(VACANCIES_PATH))
        .json(&body)
        .send()
        .await
        .unwrap();
    answer(response).await
}

pub fn toddlers(h_today: NaiveDate, places: u32) -> serde_json::Value {
    json!({
        "age_class": "from_18_months_to_4_years",
        "places": places,
        "start_date": (h_today + Duration::days(30)).to_string(),
        "group_label": "Les Hiboux",
    })
}

pub async fn sync<S: Storage>(h: &Harness<S>, device: &DeviceKeys, query: &str) -> (u16, String) {
    let response = h
        .device_client(device)
        .get(h.api_url(&format!("{REFERRALS_PATH}{query}")))
        .send()
        .await
        .unwrap();
    answer(response).await
}

pub async fn all_referrals<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
) -> Vec<ReferralSyncItem> {
    let (status, body) = sync(h, device, "?limit=500").await;
    assert_eq!(status, 200, "{body}");
    let page: ReferralPage = serde_json::from_str(&body).unwrap();
    // Later changes come later: keep the last state of each referral.
    let mut latest: Vec<ReferralSyncItem> = Vec::new();
    for item in page.referrals {
        latest.retain(|i| i.referral_id != item.referral_id);
        latest.push(item);
    }
    latest
}

pub async fn outcome<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    referral: &str,
    key: uuid::Uuid,
    outcome: serde_json::Value,
) -> (u16, String) {
    let response = h
        .device_client(device)
        .post(h.api_url(&format!("/v1/referrals/{referral}/outcome")))
        .json(&json!({"idempotency_key": key, "outcome": outcome}))
        .send()
        .await
        .unwrap();
    answer(response).await
}

pub async fn declare_one<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    places: u32,
) -> VacancyDeclared {
    let (status, body) = declare(h, device, toddlers(h.now().date_naive(), places)).await;
    assert_eq!(status, 201, "{body}");
    serde_json::from_str(&body).unwrap()
}

pub async fn reveal<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    referral: &str,
    body: serde_json::Value,
) -> (u16, String) {
    let response = h
        .device_client(device)
        .post(h.api_url(&format!("/v1/referrals/{referral}/contact")))
        .json(&body)
        .send()
        .await
        .unwrap();
    answer(response).await
}

/// Declares a vacancy of `places` toddler places and returns the referrals it made, by rank.
pub async fn declared_referrals<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    places: u32,
) -> Vec<placeforte_central::store::ReferralRecord> {
    let declared = declare_one(h, device, places).await;
    h.store
        .vacancy_referrals(declared.vacancy_id)
        .await
        .unwrap()
}

/// A daycare with this permit and one enrolled workstation.
pub async fn daycare_with_permit<S: Storage>(h: &Harness<S>, places: [u32; 4]) -> DeviceKeys {
    let daycare = operator::add_daycare(
        &h.store,
        &h.operator,
        h.now(),
        "CPE Le Harfang",
        "Estrie",
        places,
    )
    .await
    .unwrap()
    .id;
    workstation(h, daycare).await
}

/// Another enrolled workstation of `daycare`.
pub async fn workstation<S: Storage>(h: &Harness<S>, daycare: DaycareId) -> DeviceKeys {
    let code = h.code(daycare).await;
    let (key, csr) = super::new_csr();
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 200, "{body}");
    DeviceKeys {
        key_pem: key.serialize_pem(),
        certificate: serde_json::from_str(&body).unwrap(),
    }
}

/// `toddlers` children of 18 months to 4 years and `babies` under 18 months, all waiting for
/// `daycare` only and free to start now.
pub async fn waiting_families<S: Storage>(
    h: &Harness<S>,
    daycare: DaycareId,
    toddlers: usize,
    babies: usize,
) {
    let today = h.now().date_naive();
    let mut batch = SeedBatch::default();
    for n in 0..toddlers + babies {
        let birth = if n < toddlers {
            today - Duration::days(600 + 2 * n as i64)
        } else {
            today - Duration::days(100 + (n % 200) as i64)
        };
        let desired = today - Duration::days(10 * (n as i64 % 5));
        let r = registration(RegistrationId::random(), birth, desired, n);
        batch.choices.push(RegistrationChoice {
            registration_id: r.id,
            daycare_id: daycare,
            preference: 1,
        });
        batch.registrations.push(r);
    }
    let event = AuditEvent::new(
        h.now(),
        "operator:test".to_owned(),
        "synthetic_data.seeded",
        "harvest".to_owned(),
    );
    h.store.insert_seed(&batch, &event).await.unwrap();
}
