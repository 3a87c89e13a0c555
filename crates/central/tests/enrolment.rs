//! Enrolment: one-time codes, CSR checks, and bad bodies that must change nothing.
//! Real TLS on 127.0.0.1:0; every test runs on SQLite and on PostgreSQL.

mod common;

use chrono::Duration;
use common::{api_error, new_csr, pem_encode, Harness};
use placeforte_central::store::Storage;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateSigningRequestDer;

on_both_backends!(
    enrolment_code_reused_is_refused,
    enrolment_code_expired_is_refused,
    enrolment_code_for_another_daycare_is_refused,
    unknown_enrolment_code_is_refused,
    csr_with_a_bad_signature_is_refused_and_keeps_the_code,
    oversized_body_is_refused_and_nothing_is_written,
    malformed_body_is_refused_and_nothing_is_written,
    enrolment_code_is_stored_only_as_a_hash,
    concurrent_enrolments_with_one_code_enrol_one_device,
);

async fn enrolment_code_reused_is_refused<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let (_, csr) = new_csr();
    assert_eq!(h.enrol(daycare, &code, &csr).await.0, 200);
    let (_, other_csr) = new_csr();
    let (status, body) = h.enrol(daycare, &code, &other_csr).await;
    assert_eq!(status, 403);
    assert_eq!(api_error(&body).code, "enrolment_refused");
    assert_eq!(h.device_count().await, 1);
}

async fn enrolment_code_expired_is_refused<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let issued_at = h.now();
    let (_, csr) = new_csr();
    h.clock.set(issued_at + Duration::minutes(15));
    let events = h.event_count().await;
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 403);
    assert_eq!(api_error(&body).code, "enrolment_refused");
    assert_eq!(h.device_count().await, 0);
    // Only the refusal is written (audited, issue 12): no device, no code consumed.
    assert_eq!(h.event_count().await, events + 1);
    // A minute earlier the same code works: expiry was the only reason.
    h.clock.set(issued_at + Duration::minutes(14));
    assert_eq!(h.enrol(daycare, &code, &csr).await.0, 200);
}

async fn enrolment_code_for_another_daycare_is_refused<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let other_daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let (_, csr) = new_csr();
    let (status, body) = h.enrol(other_daycare, &code, &csr).await;
    assert_eq!(status, 403);
    assert_eq!(api_error(&body).code, "enrolment_refused");
    assert_eq!(h.device_count().await, 0);
    // The refusal did not burn the code for its own daycare.
    let (status, body) = h.enrol(daycare, &code, &csr).await;
    assert_eq!(status, 200, "{body}");
    let devices = h.store.devices().await.expect("devices");
    assert_eq!(devices[0].daycare_id, daycare);
}

async fn unknown_enrolment_code_is_refused<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let (_, csr) = new_csr();
    let (status, body) = h.enrol(daycare, "AAAAA-BBBBB-CCCCC-DDDDD", &csr).await;
    assert_eq!(status, 403);
    assert_eq!(api_error(&body).code, "enrolment_refused");
    assert_eq!(h.device_count().await, 0);
}

async fn csr_with_a_bad_signature_is_refused_and_keeps_the_code<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let (_, csr) = new_csr();
    let mut der = CertificateSigningRequestDer::from_pem_slice(csr.as_bytes())
        .expect("CSR DER")
        .as_ref()
        .to_vec();
    // The last byte belongs to the signature: the CSR still parses, the signature fails.
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = pem_encode("CERTIFICATE REQUEST", &der);
    let events = h.event_count().await;
    let (status, body) = h.enrol(daycare, &code, &tampered).await;
    assert_eq!(status, 400);
    assert_eq!(api_error(&body).code, "csr_invalid");
    let (status, body) = h.enrol(daycare, &code, "not a CSR").await;
    assert_eq!(status, 400);
    assert_eq!(api_error(&body).code, "csr_invalid");
    assert_eq!(h.device_count().await, 0);
    // Only the two refusals are written (audited, issue 12).
    assert_eq!(h.event_count().await, events + 2);
    // The code is still good: a bad CSR does not burn it.
    assert_eq!(h.enrol(daycare, &code, &csr).await.0, 200);
}

async fn oversized_body_is_refused_and_nothing_is_written<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let (_, csr) = new_csr();
    let padded = format!(
        "{csr}{}",
        " ".repeat(placeforte_protocol::MAX_REQUEST_BODY_BYTES)
    );
    let events = h.event_count().await;
    let (status, body) = h.enrol(daycare, &code, &padded).await;
    assert_eq!(status, 413);
    assert_eq!(api_error(&body).code, "body_too_large");
    assert_eq!(h.device_count().await, 0);
    assert_eq!(h.event_count().await, events);
    assert_eq!(
        h.enrol(daycare, &code, &csr).await.0,
        200,
        "the code must still work"
    );
}

async fn malformed_body_is_refused_and_nothing_is_written<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let (_, csr) = new_csr();
    let events = h.event_count().await;
    let csr_json = serde_json::to_string(&csr).expect("json");
    let bodies = [
        "{not json".to_owned(),
        format!(
            r#"{{"daycare_id":"{daycare}","enrolment_code":"{code}","csr_pem":{csr_json},"admin":true}}"#
        ),
        format!(r#"{{"daycare_id":"{daycare}","enrolment_code":42,"csr_pem":{csr_json}}}"#),
        format!(r#"{{"daycare_id":"not-a-uuid","enrolment_code":"{code}","csr_pem":{csr_json}}}"#),
        format!(r#"{{"daycare_id":"{daycare}","csr_pem":{csr_json}}}"#),
    ];
    for body in bodies {
        let (status, answer) = h.enrol_raw(body.clone()).await;
        assert_eq!(status, 400, "{body} -> {answer}");
        let error = api_error(&answer);
        assert_eq!(error.code, "malformed_body");
        assert!(!error.message.is_empty());
    }
    assert_eq!(h.device_count().await, 0);
    assert_eq!(h.event_count().await, events);
    assert_eq!(
        h.enrol(daycare, &code, &csr).await.0,
        200,
        "the code must still work"
    );
}

async fn enrolment_code_is_stored_only_as_a_hash<S: Storage>(h: Harness<S>) {
    // The code is printed in groups of five; what a person types back in lower case with
    // spaces is the same code.
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    assert_eq!(code.len(), 23);
    let typed = code.to_lowercase().replace('-', " ");
    let (_, csr) = new_csr();
    assert_eq!(h.enrol(daycare, &typed, &csr).await.0, 200);
}

async fn concurrent_enrolments_with_one_code_enrol_one_device<S: Storage>(h: Harness<S>) {
    let daycare = h.daycare().await;
    let code = h.code(daycare).await;
    let attempts = (0..6).map(|_| {
        let (_, csr) = new_csr();
        let request = placeforte_protocol::device::EnrolRequest {
            daycare_id: daycare,
            enrolment_code: code.clone(),
            csr_pem: csr,
        };
        let client = h.anonymous_client();
        let url = h.enrolment_url("/v1/enrol");
        async move {
            client
                .post(url)
                .json(&request)
                .send()
                .await
                .expect("enrol")
                .status()
                .as_u16()
        }
    });
    let mut statuses = futures_join_all(attempts).await;
    statuses.sort_unstable();
    assert_eq!(statuses, vec![200, 403, 403, 403, 403, 403]);
    assert_eq!(h.device_count().await, 1);
}

/// Runs the futures concurrently on the runtime and collects their outputs in order.
async fn futures_join_all<F>(futures: impl Iterator<Item = F>) -> Vec<u16>
where
    F: std::future::Future<Output = u16> + Send + 'static,
{
    let handles: Vec<_> = futures.map(tokio::spawn).collect();
    let mut out = Vec::new();
    for handle in handles {
        out.push(handle.await.expect("task"));
    }
    out
}
