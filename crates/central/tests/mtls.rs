//! Mutual TLS on the API listener: who gets in, who is refused, and how.
//! Real TLS on 127.0.0.1:0; every test runs on SQLite and on PostgreSQL.

mod common;

use chrono::{Duration, Utc};
use common::raw_http::{client_config, received_alert, RawConnection};
use common::{api_error, new_csr, DeviceKeys, Harness};
use placeforte_central::ca::DeviceCa;
use placeforte_central::operator;
use placeforte_central::store::Storage;
use placeforte_protocol::device::{DeviceCertificate, RenewRequest, WhoAmIResponse};
use rcgen::{
    CertificateParams, ExtendedKeyUsagePurpose, Issuer, KeyPair, KeyUsagePurpose, SanType,
};
use rustls::AlertDescription;

on_both_backends!(
    enrolled_device_is_accepted,
    renewed_certificate_is_accepted,
    renewal_before_two_thirds_of_the_lifetime_is_refused,
    no_client_certificate_is_refused,
    certificate_from_another_ca_is_refused,
    expired_certificate_is_refused,
    certificate_expiring_on_an_open_connection_is_refused,
    revoked_device_is_refused_on_a_new_connection,
    revoked_device_is_refused_on_a_connection_opened_before_the_revocation,
    revoked_device_cannot_renew,
    certificate_without_client_auth_usage_is_refused,
    certificate_without_any_extended_key_usage_is_refused,
    crl_lists_the_certificates_of_revoked_devices,
    enrolment_listener_serves_nothing_but_enrolment,
    tls_1_2_is_refused_on_both_listeners,
    idle_connections_are_closed,
);

/// The refusal a fresh connection with `config` meets: the TLS alert the server sent.
async fn refusal_alert<S: Storage>(
    h: &Harness<S>,
    config: std::sync::Arc<rustls::ClientConfig>,
) -> AlertDescription {
    // With TLS 1.3 the client finishes its side of the handshake before the server judges the
    // client certificate, so the refusal arrives on the first read.
    let outcome = match RawConnection::connect(h.service.api_addr, config).await {
        Ok(mut connection) => connection.get("/v1/device/whoami").await.map(|r| r.status),
        Err(error) => Err(error),
    };
    let error = outcome.expect_err("the connection must be refused");
    received_alert(&error).unwrap_or_else(|| panic!("expected a TLS alert, got {error:?}"))
}

/// Signs a certificate for the device's key with the service's own CA, with custom usages.
fn sign_with_service_ca<S: Storage>(
    h: &Harness<S>,
    device: &DeviceKeys,
    configure: impl FnOnce(&mut CertificateParams),
) -> String {
    let ca_key = KeyPair::from_pem(h.ca_files.key_pem.expose()).expect("CA key");
    let issuer = Issuer::from_ca_cert_pem(h.ca_pem(), ca_key).expect("issuer");
    let device_key = KeyPair::from_pem(&device.key_pem).expect("device key");
    let mut params = CertificateParams::default();
    params.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    params.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    params.subject_alt_names = vec![SanType::URI(
        format!(
            "urn:placeforte:daycare:{}:device:{}",
            device.certificate.daycare_id, device.certificate.device_id
        )
        .try_into()
        .expect("URI"),
    )];
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    configure(&mut params);
    let cert = params.signed_by(&device_key, &issuer).expect("signed");
    format!("{}{}", cert.pem(), h.ca_pem())
}

async fn enrolled_device_is_accepted<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let cert = &device.certificate;
    assert_eq!(cert.not_after - cert.not_before, Duration::days(7));
    let response = h
        .device_client(&device)
        .get(h.api_url("/v1/device/whoami"))
        .send()
        .await
        .expect("whoami");
    assert_eq!(response.status(), 200);
    let whoami: WhoAmIResponse = response.json().await.expect("json");
    assert_eq!(whoami.device_id, cert.device_id);
    assert_eq!(whoami.daycare_id, cert.daycare_id);
    assert_eq!(whoami.certificate_not_after, cert.not_after);
    let devices = h.store.devices().await.expect("devices");
    assert_eq!(devices.len(), 1);
    assert_eq!(devices[0].id, cert.device_id);
}

async fn renewed_certificate_is_accepted<S: Storage>(h: Harness<S>) {
    // Enrol five days ago (by the service's clock), so that now is past two thirds of the
    // 7-day lifetime while the certificate is still valid for the real clock rustls uses.
    h.clock.set(Utc::now() - Duration::days(5));
    let device = h.enrolled_device().await;
    h.clock.set(Utc::now());
    let (new_key, csr) = new_csr();
    let response = h
        .device_client(&device)
        .post(h.api_url("/v1/device/renew"))
        .json(&RenewRequest { csr_pem: csr })
        .send()
        .await
        .expect("renew");
    assert_eq!(response.status(), 200);
    let renewed: DeviceCertificate = response.json().await.expect("json");
    assert_eq!(renewed.device_id, device.certificate.device_id);
    assert!(renewed.not_after > device.certificate.not_after);
    let renewed_device = DeviceKeys {
        key_pem: new_key.serialize_pem(),
        certificate: renewed,
    };
    let mut connection = h.api_connection(&renewed_device).await.expect("connect");
    let response = connection.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(response.status, 200, "{}", response.text());
    let whoami: WhoAmIResponse = serde_json::from_slice(&response.body).expect("json");
    assert_eq!(
        whoami.certificate_not_after,
        renewed_device.certificate.not_after
    );
}

async fn renewal_before_two_thirds_of_the_lifetime_is_refused<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    h.clock.advance(Duration::days(4)); // 4/7 < 2/3
    let events = h.event_count().await;
    let (_, csr) = new_csr();
    let response = h
        .device_client(&device)
        .post(h.api_url("/v1/device/renew"))
        .json(&RenewRequest { csr_pem: csr })
        .send()
        .await
        .expect("renew");
    assert_eq!(response.status(), 409);
    assert_eq!(
        api_error(&response.text().await.expect("body")).code,
        "renewal_too_early"
    );
    assert_eq!(h.event_count().await, events);
}

async fn no_client_certificate_is_refused<S: Storage>(h: Harness<S>) {
    let alert = refusal_alert(&h, client_config(h.ca_pem(), None)).await;
    assert_eq!(alert, AlertDescription::CertificateRequired);
    // And as a real client sees it.
    let result = h
        .anonymous_client()
        .get(h.api_url("/v1/health"))
        .send()
        .await;
    assert!(
        result.is_err(),
        "an anonymous request got through: {result:?}"
    );
}

async fn certificate_from_another_ca_is_refused<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let csr = KeyPair::from_pem(&device.key_pem)
        .and_then(|key| {
            CertificateParams::new(Vec::<String>::new())?
                .serialize_request(&key)?
                .pem()
        })
        .expect("CSR");
    // An impostor CA with the very same name as ours, naming the very same device: webpki
    // finds our CA by name and the signature does not verify.
    let (impostor, impostor_files) = DeviceCa::generate(Utc::now()).expect("impostor CA");
    let forged = impostor
        .issue_device_certificate(
            &csr,
            device.certificate.daycare_id,
            device.certificate.device_id,
            Utc::now() - Duration::hours(1),
            Utc::now() + Duration::days(7),
        )
        .expect("forged certificate");
    let chain = format!("{}{}", forged.pem, impostor_files.certificate_pem);
    let alert = refusal_alert(
        &h,
        client_config(h.ca_pem(), Some((&chain, &device.key_pem))),
    )
    .await;
    assert_eq!(alert, AlertDescription::DecryptError);

    // A CA with another name: no issuer is found at all.
    let other_key = KeyPair::generate().expect("key");
    let mut other_params = CertificateParams::default();
    other_params.distinguished_name = rcgen::DistinguishedName::new();
    other_params
        .distinguished_name
        .push(rcgen::DnType::CommonName, "Some other CA");
    other_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    other_params.key_usages = vec![KeyUsagePurpose::KeyCertSign];
    let other_ca_cert = other_params.self_signed(&other_key).expect("other CA");
    let other_issuer = Issuer::new(other_params, other_key);
    let device_key = KeyPair::from_pem(&device.key_pem).expect("device key");
    let mut leaf = CertificateParams::default();
    leaf.not_before = time::OffsetDateTime::now_utc() - time::Duration::hours(1);
    leaf.not_after = time::OffsetDateTime::now_utc() + time::Duration::days(1);
    leaf.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf.subject_alt_names = vec![SanType::URI(
        format!(
            "urn:placeforte:daycare:{}:device:{}",
            device.certificate.daycare_id, device.certificate.device_id
        )
        .try_into()
        .expect("URI"),
    )];
    let leaf = leaf.signed_by(&device_key, &other_issuer).expect("leaf");
    let chain = format!("{}{}", leaf.pem(), other_ca_cert.pem());
    let alert = refusal_alert(
        &h,
        client_config(h.ca_pem(), Some((&chain, &device.key_pem))),
    )
    .await;
    assert_eq!(alert, AlertDescription::UnknownCA);
}

async fn expired_certificate_is_refused<S: Storage>(h: Harness<S>) {
    // Issued ten days ago for seven days: expired three days ago by the real clock.
    h.clock.set(Utc::now() - Duration::days(10));
    let device = h.enrolled_device().await;
    assert!(device.certificate.not_after < Utc::now());
    let alert = refusal_alert(
        &h,
        client_config(
            h.ca_pem(),
            Some((&device.certificate.certificate_chain_pem, &device.key_pem)),
        ),
    )
    .await;
    assert_eq!(alert, AlertDescription::CertificateExpired);
}

async fn certificate_expiring_on_an_open_connection_is_refused<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let mut connection = h.api_connection(&device).await.expect("connect");
    assert_eq!(
        connection
            .get("/v1/device/whoami")
            .await
            .expect("whoami")
            .status,
        200
    );
    h.clock
        .set(device.certificate.not_after + Duration::seconds(1));
    let response = connection.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(response.status, 401);
    assert_eq!(api_error(&response.text()).code, "certificate_expired");
}

async fn revoked_device_is_refused_on_a_new_connection<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let client = h.device_client(&device);
    let url = h.api_url("/v1/device/whoami");
    assert_eq!(client.get(&url).send().await.expect("whoami").status(), 200);
    operator::revoke_device(&h.store, &h.operator, h.now(), device.certificate.device_id)
        .await
        .expect("revoke");
    let response = h
        .device_client(&device)
        .get(&url)
        .send()
        .await
        .expect("whoami");
    assert_eq!(response.status(), 401);
    assert_eq!(
        api_error(&response.text().await.expect("body")).code,
        "device_revoked"
    );
    // Revoking twice is an error in plain words, not a silent success.
    let again =
        operator::revoke_device(&h.store, &h.operator, h.now(), device.certificate.device_id)
            .await
            .expect_err("already revoked");
    assert!(again.to_string().contains("already revoked"), "{again}");
}

async fn revoked_device_is_refused_on_a_connection_opened_before_the_revocation<S: Storage>(
    h: Harness<S>,
) {
    let device = h.enrolled_device().await;
    let bystander = h.enrolled_device().await;
    let mut connection = h.api_connection(&device).await.expect("connect");
    let mut bystander_connection = h.api_connection(&bystander).await.expect("connect");
    assert_eq!(
        connection
            .get("/v1/device/whoami")
            .await
            .expect("whoami")
            .status,
        200
    );
    operator::revoke_device(&h.store, &h.operator, h.now(), device.certificate.device_id)
        .await
        .expect("revoke");
    // Same TLS connection, next request.
    let response = connection.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(response.status, 401);
    assert_eq!(api_error(&response.text()).code, "device_revoked");
    // Other devices are not affected.
    let other = bystander_connection
        .get("/v1/device/whoami")
        .await
        .expect("whoami");
    assert_eq!(other.status, 200);
}

async fn revoked_device_cannot_renew<S: Storage>(h: Harness<S>) {
    h.clock.set(Utc::now() - Duration::days(5));
    let device = h.enrolled_device().await;
    h.clock.set(Utc::now());
    operator::revoke_device(&h.store, &h.operator, h.now(), device.certificate.device_id)
        .await
        .expect("revoke");
    let (_, csr) = new_csr();
    let body = serde_json::to_string(&RenewRequest { csr_pem: csr }).expect("json");
    let mut connection = h.api_connection(&device).await.expect("connect");
    let response = connection
        .post_json("/v1/device/renew", &body)
        .await
        .expect("renew");
    assert_eq!(response.status, 401);
    assert_eq!(api_error(&response.text()).code, "device_revoked");
}

async fn certificate_without_client_auth_usage_is_refused<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let chain = sign_with_service_ca(&h, &device, |params| {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    });
    let alert = refusal_alert(
        &h,
        client_config(h.ca_pem(), Some((&chain, &device.key_pem))),
    )
    .await;
    assert_eq!(alert, AlertDescription::UnsupportedCertificate);
}

async fn certificate_without_any_extended_key_usage_is_refused<S: Storage>(h: Harness<S>) {
    // webpki alone would accept this one; the service's verifier insists on clientAuth.
    let device = h.enrolled_device().await;
    let chain = sign_with_service_ca(&h, &device, |params| {
        params.extended_key_usages = Vec::new();
    });
    let alert = refusal_alert(
        &h,
        client_config(h.ca_pem(), Some((&chain, &device.key_pem))),
    )
    .await;
    assert_eq!(alert, AlertDescription::UnsupportedCertificate);
    // The same certificate with clientAuth passes the handshake: the usage was the only
    // difference there. (The service never issued its serial, so requests are still refused:
    // tests/attacks/enrolment.rs.)
    let chain = sign_with_service_ca(&h, &device, |params| {
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    });
    let mut connection = RawConnection::connect(
        h.service.api_addr,
        client_config(h.ca_pem(), Some((&chain, &device.key_pem))),
    )
    .await
    .expect("connect");
    let response = connection.get("/v1/device/whoami").await.expect("whoami");
    assert_eq!(response.status, 401);
    assert_eq!(api_error(&response.text()).code, "unauthenticated");
}

async fn crl_lists_the_certificates_of_revoked_devices<S: Storage>(h: Harness<S>) {
    let revoked = h.enrolled_device().await;
    let kept = h.enrolled_device().await;
    operator::revoke_device(
        &h.store,
        &h.operator,
        h.now(),
        revoked.certificate.device_id,
    )
    .await
    .expect("revoke");
    let response = h
        .device_client(&kept)
        .get(h.api_url("/v1/crl"))
        .send()
        .await
        .expect("crl");
    assert_eq!(response.status(), 200);
    let der = response.bytes().await.expect("body");
    let (_, crl) = x509_parser::parse_x509_crl(&der).expect("CRL");
    let serials: Vec<String> = crl
        .iter_revoked_certificates()
        .map(|entry| {
            entry
                .raw_serial()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect()
        })
        .collect();
    let serial_of = |device: &DeviceKeys| {
        let pem = &device.certificate.certificate_chain_pem;
        let der = rustls::pki_types::pem::PemObject::from_pem_slice(pem.as_bytes())
            .map(|c: rustls::pki_types::CertificateDer<'_>| c.to_vec())
            .expect("leaf");
        let (_, cert) = x509_parser::parse_x509_certificate(&der).expect("cert");
        cert.raw_serial()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    assert_eq!(serials, vec![serial_of(&revoked)]);
    assert!(!serials.contains(&serial_of(&kept)));
    // Signed by the device CA.
    let ca_der = rustls::pki_types::pem::PemObject::from_pem_slice(h.ca_pem().as_bytes())
        .map(|c: rustls::pki_types::CertificateDer<'_>| c.to_vec())
        .expect("CA");
    let (_, ca) = x509_parser::parse_x509_certificate(&ca_der).expect("CA");
    crl.verify_signature(ca.public_key())
        .expect("CRL signature");
}

async fn enrolment_listener_serves_nothing_but_enrolment<S: Storage>(h: Harness<S>) {
    let client = h.anonymous_client();
    for path in ["/v1/device/whoami", "/v1/device/renew", "/v1/crl"] {
        let response = client
            .get(h.enrolment_url(path))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 404, "{path}");
        assert_eq!(
            api_error(&response.text().await.expect("body")).code,
            "not_found"
        );
    }
    let health = client
        .get(h.enrolment_url("/v1/health"))
        .send()
        .await
        .expect("health");
    assert_eq!(health.status(), 200);
}

async fn tls_1_2_is_refused_on_both_listeners<S: Storage>(h: Harness<S>) {
    let device = h.enrolled_device().await;
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls::pki_types::pem::PemObject::pem_slice_iter(h.ca_pem().as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA");
    }
    let chain: Vec<rustls::pki_types::CertificateDer<'static>> =
        rustls::pki_types::pem::PemObject::pem_slice_iter(
            device.certificate.certificate_chain_pem.as_bytes(),
        )
        .collect::<Result<_, _>>()
        .expect("chain");
    let key =
        rustls::pki_types::pem::PemObject::from_pem_slice(device.key_pem.as_bytes()).expect("key");
    let tls12_only = std::sync::Arc::new(
        rustls::ClientConfig::builder_with_provider(std::sync::Arc::new(
            rustls::crypto::ring::default_provider(),
        ))
        .with_protocol_versions(&[&rustls::version::TLS12])
        .expect("TLS 1.2")
        .with_root_certificates(roots)
        .with_client_auth_cert(chain, key)
        .expect("client certificate"),
    );
    for addr in [h.service.api_addr, h.service.enrolment_addr] {
        let error = RawConnection::connect(addr, std::sync::Arc::clone(&tls12_only))
            .await
            .err()
            .unwrap_or_else(|| panic!("TLS 1.2 accepted on {addr}"));
        assert_eq!(
            received_alert(&error),
            Some(AlertDescription::ProtocolVersion),
            "{error:?}"
        );
    }
}

async fn idle_connections_are_closed<S: Storage>(h: Harness<S>) {
    // Anyone can complete a handshake on the enrolment listener: a silent connection must not
    // stay open for ever.
    let mut connection =
        RawConnection::connect(h.service.enrolment_addr, client_config(h.ca_pem(), None))
            .await
            .expect("connect");
    assert_eq!(
        connection.get("/v1/health").await.expect("health").status,
        200
    );
    tokio::time::sleep(common::IDLE_TIMEOUT + std::time::Duration::from_millis(500)).await;
    assert!(
        connection.get("/v1/health").await.is_err(),
        "the idle connection was still open"
    );
}
