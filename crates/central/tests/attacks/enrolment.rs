//! Finding 6 of the insider review: enrolment and certificates. A compromised workstation (or
//! anyone who reaches the enrolment listener) brute-forces codes; a workstation keeps using, or
//! renews again from, the certificate a renewal replaced; someone holding a copy of the CA key
//! mints a certificate the service never issued.

use crate::alerts::{sample, scrape};
use chrono::{Duration, Utc};
use placeforte_central::ca::DeviceCa;
use placeforte_central::enrolment_limits::PER_PEER_BURST;
use placeforte_central::store::Storage;
use placeforte_central::Lifetimes;
use placeforte_protocol::device::{DeviceCertificate, EnrolRequest, RenewRequest};
use rcgen::{CertificateParams, KeyPair};
use x509_parser::prelude::FromDer;

use crate::common::raw_http::client_config;
use crate::common::{api_error, new_csr, test_connection_limits, DeviceKeys, Harness};
use crate::on_both_backends;

on_both_backends!(
    brute_force_of_codes_is_limited_audited_and_alerted,
    refused_codes_make_the_ca_sign_nothing,
    a_replaced_certificate_is_refused_and_cannot_renew_again,
    a_certificate_signed_with_the_ca_key_but_never_issued_is_refused,
);

async fn brute_force_of_codes_is_limited_audited_and_alerted<S: Storage>(mut h: Harness<S>) {
    // The production limits, not the suite's generous ones.
    h.restart_with(test_connection_limits(), Lifetimes::default())
        .await;
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let (_, csr) = new_csr();
    let signed = h.ca.device_certificates_signed();
    let events = h.event_count().await;
    let metrics = h.service.metrics_addr.expect("metrics listener");
    let refused = "placeforte_enrolment_refusals_total{reason=\"enrolment_refused\"}";
    let limited = "placeforte_enrolment_refusals_total{reason=\"too_many_attempts\"}";
    let before = scrape(metrics).await;
    let client = h.anonymous_client();
    let guess = |n: usize| EnrolRequest {
        daycare_id: daycare,
        enrolment_code: format!("AAAAA-BBBBB-CCCCC-{n:05}"),
        csr_pem: csr.clone(),
    };
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for n in 0..PER_PEER_BURST as usize + 5 {
        let response = client
            .post(h.enrolment_url("/v1/enrol"))
            .json(&guess(n))
            .send()
            .await
            .expect("enrolment request");
        let status = response.status().as_u16();
        if status == 429 {
            retry_after = response
                .headers()
                .get("retry-after")
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.parse::<i64>().ok());
            let body = response.text().await.expect("body");
            assert_eq!(api_error(&body).code, "too_many_attempts");
        }
        statuses.push(status);
    }
    let burst = PER_PEER_BURST as usize;
    assert!(statuses[..burst].iter().all(|s| *s == 403), "{statuses:?}");
    assert!(
        statuses[burst..].iter().all(|s| *s == 429),
        "the brute force was not limited: {statuses:?}"
    );
    let retry_after = retry_after.expect("a Retry-After header");
    assert!((1..=60).contains(&retry_after), "{retry_after}");
    // Even the right code waits now: the limit is on attempts, not on failures.
    let (status, _) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 429);

    // Every refused code is audited, with the daycare named and a reason code, never the
    // code typed; the flood of 429s only once.
    let entries = h.store.audit_entries(events, 1000).await.expect("entries");
    let refusals: Vec<_> = entries
        .iter()
        .filter(|e| e.leaf.action == "device.enrolment_refused")
        .collect();
    assert_eq!(refusals.len(), burst + 1, "{entries:#?}");
    assert_eq!(
        refusals
            .iter()
            .filter(|e| e.leaf.reason == "enrolment_refused")
            .count(),
        burst
    );
    assert_eq!(refusals[burst].leaf.reason, "too_many_attempts");
    for entry in &entries {
        assert!(
            entry.leaf.subject.contains(&daycare.to_string()),
            "{entry:?}"
        );
        let text = format!("{entry:?}");
        assert!(
            !text.contains("AAAAA-BBBBB"),
            "the code typed is in the log: {text}"
        );
        assert!(
            !text.contains("127.0.0.1"),
            "the peer's address is in the log: {text}"
        );
    }
    // The operator's metrics count both kinds of refusal (other tests of this process count
    // too: at least ours).
    let after = scrape(metrics).await;
    assert!(sample(&after, refused) >= sample(&before, refused) + f64::from(PER_PEER_BURST));
    assert!(sample(&after, limited) >= sample(&before, limited) + 1.0);
    // One alert for the burst.
    let alerts = h.store.alerts().await.expect("alerts");
    let bursts: Vec<_> = alerts
        .iter()
        .filter(|a| a.kind == "enrolment_attempts_burst")
        .collect();
    assert_eq!(bursts.len(), 1, "{alerts:?}");
    assert!(
        bursts[0].detail.contains(&daycare.to_string()),
        "{alerts:?}"
    );
    assert_eq!(h.ca.device_certificates_signed(), signed);

    // Once Retry-After has passed (by the service's clock), the right code enrols.
    h.clock.set(h.now() + Duration::seconds(retry_after));
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(h.ca.device_certificates_signed(), signed + 1);
}

async fn refused_codes_make_the_ca_sign_nothing<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let other = h.daycare().await;
    let code = h.code(daycare).await;
    let used = h.code(daycare).await;
    let (_, csr) = new_csr();
    assert_eq!(h.enrol(daycare, &used, &csr).await.0, 200);
    let signed = h.ca.device_certificates_signed();
    for (for_daycare, attempt) in [
        (daycare, "AAAAA-BBBBB-CCCCC-DDDDD"),
        (other, code.as_str()),
        (daycare, used.as_str()),
    ] {
        let (status, body) = h.enrol(for_daycare, attempt, &csr).await;
        assert_eq!(status, 403, "{body}");
        assert_eq!(
            h.ca.device_certificates_signed(),
            signed,
            "a refused code made the CA sign"
        );
    }
    let issued_at = h.now();
    h.clock.set(issued_at + Duration::minutes(15));
    assert_eq!(h.enrol(daycare, &code, &csr).await.0, 403);
    assert_eq!(h.ca.device_certificates_signed(), signed);
    h.clock.set(issued_at);
    assert_eq!(h.enrol(daycare, &code, &csr).await.0, 200);
    assert_eq!(h.ca.device_certificates_signed(), signed + 1);
}

/// A device enrolled five days ago (by the service's clock), so that renewal is open now.
async fn device_due_for_renewal<S: Storage>(h: &Harness<S>) -> DeviceKeys {
    h.clock.set(Utc::now() - Duration::days(5));
    let device = h.enrolled_device().await;
    h.clock.set(Utc::now());
    device
}

fn renew_body() -> (KeyPair, String) {
    let (key, csr) = new_csr();
    let body = serde_json::to_string(&RenewRequest { csr_pem: csr }).expect("json");
    (key, body)
}

async fn a_replaced_certificate_is_refused_and_cannot_renew_again<S: Storage>(h: Harness<S>) {
    let old = device_due_for_renewal(&h).await;
    let old_serial = serial_of(&old.certificate.certificate_chain_pem);
    // A connection opened before the renewal, and kept.
    let mut open = h.api_connection(&old).await.expect("connect");
    assert_eq!(
        open.get("/v1/device/whoami").await.expect("whoami").status,
        200
    );
    let mut renewing = h.api_connection(&old).await.expect("connect");
    let (new_key, body) = renew_body();
    let response = renewing
        .post_json("/v1/device/renew", &body)
        .await
        .expect("renew");
    assert_eq!(response.status, 200, "{}", response.text());
    let renewed = DeviceKeys {
        key_pem: new_key.serialize_pem(),
        certificate: serde_json::from_slice::<DeviceCertificate>(&response.body).expect("json"),
    };

    // The old certificate: refused on the connection opened before, and on a new one.
    let response = open.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(api_error(&response.text()).code, "certificate_replaced");
    let mut fresh = h.api_connection(&old).await.expect("connect");
    let response = fresh.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(api_error(&response.text()).code, "certificate_replaced");
    // It cannot renew a second time.
    let (_, body) = renew_body();
    let response = fresh
        .post_json("/v1/device/renew", &body)
        .await
        .expect("renew");
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(api_error(&response.text()).code, "certificate_replaced");

    // The new one works, and the CRL lists the replaced serial.
    let mut current = h.api_connection(&renewed).await.expect("connect");
    assert_eq!(
        current
            .get("/v1/device/whoami")
            .await
            .expect("whoami")
            .status,
        200
    );
    let crl = current.get("/v1/crl").await.expect("crl");
    assert_eq!(crl.status, 200);
    let (_, parsed) =
        x509_parser::revocation_list::CertificateRevocationList::from_der(&crl.body).expect("CRL");
    let listed: Vec<String> = parsed
        .iter_revoked_certificates()
        .map(|revoked| hex::encode(revoked.raw_serial()))
        .collect();
    assert_eq!(listed, vec![old_serial.clone()]);
    let entries = h.store.audit_entries(0, 1000).await.expect("entries");
    assert!(
        entries
            .iter()
            .any(|e| e.leaf.action == "device.certificate_replaced"
                && e.leaf.subject == format!("certificate:{old_serial}")),
        "the replacement is not audited"
    );
}

async fn a_certificate_signed_with_the_ca_key_but_never_issued_is_refused<S: Storage>(
    h: Harness<S>,
) {
    let device = h.enrolled_device().await;
    // A copy of the CA's files, as an attacker who took them would hold.
    let dir = tempfile::tempdir().expect("tempdir");
    let certificate_path = dir.path().join("ca.pem");
    let key_path = dir.path().join("ca.key");
    std::fs::write(&certificate_path, &h.ca_files.certificate_pem).expect("write");
    std::fs::write(&key_path, h.ca_files.key_pem.expose()).expect("write");
    let copy = DeviceCa::load(&certificate_path, &key_path).expect("CA copy");
    let key = KeyPair::from_pem(&device.key_pem).expect("key");
    let csr = CertificateParams::new(Vec::<String>::new())
        .and_then(|params| params.serialize_request(&key))
        .and_then(|csr| csr.pem())
        .expect("CSR");
    let minted = copy
        .issue_device_certificate(
            &csr,
            device.certificate.daycare_id,
            device.certificate.device_id,
            Utc::now() - Duration::hours(1),
            Utc::now() + Duration::days(7),
        )
        .expect("minted");
    let chain = format!("{}{}", minted.pem, h.ca_files.certificate_pem);
    let mut connection = crate::common::raw_http::RawConnection::connect(
        h.service.api_addr,
        client_config(h.ca_pem(), Some((&chain, &device.key_pem))),
    )
    .await
    .expect("the TLS layer accepts it: the CA signed it");
    let response = connection.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(response.status, 401, "{}", response.text());
    assert_eq!(api_error(&response.text()).code, "unauthenticated");
    // The device's real certificate still works.
    let mut real = h.api_connection(&device).await.expect("connect");
    assert_eq!(
        real.get("/v1/device/whoami").await.expect("whoami").status,
        200
    );
}

fn serial_of(chain_pem: &str) -> String {
    use rustls::pki_types::pem::PemObject;
    let leaf = rustls::pki_types::CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .next()
        .expect("a certificate")
        .expect("PEM");
    let (_, parsed) = x509_parser::parse_x509_certificate(&leaf).expect("parse");
    hex::encode(parsed.raw_serial())
}
