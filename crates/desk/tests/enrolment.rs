//! Enrolment, renewal and revocation of a workstation against the real central service
//! (in-process, real mutual TLS on 127.0.0.1), with a real Secret Service; and certificates
//! the service refuses at the TLS handshake (another CA, expired).
#![allow(clippy::unwrap_used)]

use std::path::Path;

use chrono::{Duration, Utc};
use placeforte_central::ca::DeviceCa;
use placeforte_central::operator;
use placeforte_central::Clock as _;
use placeforte_desk::cache::VacancyDeclaration;
use placeforte_desk::device::{self, load_record, DeviceRecord, EnrolledDevice};
use placeforte_desk::sync::{flush, sync};
use placeforte_desk::{DeskError, LocalData, OsKeychain, SecretName, SecretStore as _};
use placeforte_domain::AgeClass;
use placeforte_testkit::{
    keyring_session, local, own_service, secret_tool_lookup, Central, Workstation,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_enrolled_workstation_calls_the_api_with_a_key_that_never_left_it() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    let invite = central.invite(daycare).await;
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("enrol");
    let data = local(dir.path(), &service);

    let record = device::enrol(&data, dir.path(), &invite).await.unwrap();
    assert_eq!(record.daycare_id, daycare);
    assert_eq!(load_record(dir.path()).unwrap(), Some(record.clone()));

    // Key and certificate are one secret in the real keychain; no key in the data folder.
    let secret =
        String::from_utf8(secret_tool_lookup(&service, "device-credentials").unwrap()).unwrap();
    assert!(secret.contains("BEGIN PRIVATE KEY") && secret.contains("BEGIN CERTIFICATE"));
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        assert!(!String::from_utf8_lossy(&bytes).contains("PRIVATE KEY"));
    }

    let device = EnrolledDevice::load(&data, dir.path()).unwrap();
    let me = device.whoami().await.unwrap();
    assert_eq!((me.device_id, me.daycare_id), (record.device_id, daycare));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_used_code_is_refused_and_nothing_is_kept() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    let invite = central.invite(daycare).await;
    let first = tempfile::tempdir().unwrap();
    device::enrol(
        &local(first.path(), &own_service("used-a")),
        first.path(),
        &invite,
    )
    .await
    .unwrap();

    let second = tempfile::tempdir().unwrap();
    let service = own_service("used-b");
    let err = device::enrol(&local(second.path(), &service), second.path(), &invite)
        .await
        .unwrap_err();
    assert!(matches!(err, DeskError::EnrolmentRefused), "{err:?}");
    assert_eq!(err.code(), "enrolment_refused");
    assert_eq!(load_record(second.path()).unwrap(), None);
    assert_eq!(secret_tool_lookup(&service, "device-credentials"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_without_the_pinned_ca_never_receives_the_code() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    let mut invite = central.invite(daycare).await;
    let genuine_pin = invite.ca_sha256;
    invite.ca_sha256[0] ^= 0xff;
    let dir = tempfile::tempdir().unwrap();
    let data = local(dir.path(), &own_service("pin"));
    let err = device::enrol(&data, dir.path(), &invite).await.unwrap_err();
    assert!(matches!(err, DeskError::ServerNotTrusted), "{err:?}");

    // The code was not sent, so it still works with the right pin.
    invite.ca_sha256 = genuine_pin;
    device::enrol(&data, dir.path(), &invite).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_service_is_reported_as_such() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    let mut invite = central.invite(daycare).await;
    // A port nothing listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    invite.enrolment_address = closed.local_addr().unwrap().to_string();
    drop(closed);
    let dir = tempfile::tempdir().unwrap();
    let err = device::enrol(
        &local(dir.path(), &own_service("unreachable")),
        dir.path(),
        &invite,
    )
    .await
    .unwrap_err();
    assert!(matches!(err, DeskError::ServerUnreachable(_)), "{err:?}");
    assert_eq!(err.code(), "server_unreachable");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_certificate_is_renewed_past_two_thirds_of_its_life_with_a_new_key() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    // Enrol five days ago (by the service's clock), so that today the certificate is past two
    // thirds of its seven days, and the renewed one is valid today for the TLS layer too.
    let today = central.clock.now();
    central.clock.set(today - Duration::days(5));
    let daycare = central.daycare().await;
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("renew");
    let data = local(dir.path(), &service);
    let record = device::enrol(&data, dir.path(), &central.invite(daycare).await)
        .await
        .unwrap();
    let mut device = EnrolledDevice::load(&data, dir.path()).unwrap();
    let old_secret = secret_tool_lookup(&service, "device-credentials").unwrap();

    // Not yet due: nothing is sent.
    assert!(!device
        .renew_if_due(&data, dir.path(), central.clock.now(), false)
        .await
        .unwrap());

    central.clock.set(today);
    let now = today;
    assert!(now > record.renew_after);
    assert!(device
        .renew_if_due(&data, dir.path(), now, false)
        .await
        .unwrap());

    let renewed = load_record(dir.path()).unwrap().unwrap();
    assert!(renewed.not_after > record.not_after);
    assert_eq!(renewed.device_id, record.device_id);
    let new_secret = secret_tool_lookup(&service, "device-credentials").unwrap();
    assert_ne!(new_secret, old_secret, "a new key and certificate");
    // The same device uses its new certificate at once: the service revoked the old one with
    // the renewal, so a client still presenting it would be refused.
    let me = device.whoami().await.unwrap();
    assert_eq!(me.certificate_not_after, renewed.not_after);
    // The renewed identity works, also when loaded afresh.
    let me = EnrolledDevice::load(&data, dir.path())
        .unwrap()
        .whoami()
        .await
        .unwrap();
    assert_eq!(me.device_id, record.device_id);
    assert_eq!(me.certificate_not_after, renewed.not_after);
}

/// The operator revokes the workstation of `record`.
async fn revoke(central: &Central, record: &DeviceRecord) {
    operator::revoke_device(
        &central.store,
        &central.operator,
        central.clock.now(),
        record.device_id,
    )
    .await
    .unwrap();
}

/// The cache file, the record and both keychain secrets are gone.
fn assert_everything_wiped(data: &LocalData<OsKeychain>, dir: &Path, service: &str) {
    assert!(!data.file().exists(), "cache wiped");
    assert_eq!(load_record(dir).unwrap(), None, "record removed");
    assert_eq!(secret_tool_lookup(service, "device-credentials"), None);
    assert_eq!(secret_tool_lookup(service, "cache-key"), None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_revoked_workstation_is_refused_and_wipes_everything_local() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("revoked");
    let data = local(dir.path(), &service);
    let record = device::enrol(&data, dir.path(), &central.invite(daycare).await)
        .await
        .unwrap();
    data.open(Utc::now()).await.unwrap().cache.close().await;
    let device = EnrolledDevice::load(&data, dir.path()).unwrap();
    device.whoami().await.unwrap();

    revoke(&central, &record).await;
    // The device wipes by itself: the caller has nothing to remember.
    let err = device.whoami().await.unwrap_err();
    assert!(matches!(err, DeskError::Revoked), "{err:?}");
    assert_everything_wiped(&data, dir.path(), &service);
    assert!(matches!(
        EnrolledDevice::load(&data, dir.path()),
        Err(DeskError::NotEnrolled)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sync_that_meets_a_revocation_closes_the_open_cache_and_wipes_everything() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let ws = central.enrolled_workstation("revoked-sync", 3).await;
    let (data, device) = (&ws.data, &ws.device);
    let cache = data.open(Utc::now()).await.unwrap().cache;
    sync(device, &cache, Utc::now(), |_| {}).await.unwrap();
    assert_eq!(data.online(), Some(true));
    revoke(&central, &ws.record).await;

    // Only the sync is called, as every caller did before it had to remember the wipe.
    let err = sync(device, &cache, Utc::now(), |_| {}).await.unwrap_err();
    assert!(matches!(err, DeskError::Revoked), "{err:?}");
    assert!(
        cache.is_closed(),
        "the open cache is closed before its file is deleted"
    );
    assert_everything_wiped(data, ws.dir.path(), &ws.service);
    assert!(data.take_revocation(), "the revocation is reported");
    assert!(!data.take_revocation(), "once");
    assert_eq!(data.online(), Some(true), "the service answered");
}

fn desk_cli(dir: &std::path::Path, service: &str, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_placeforte-desk"))
        .arg("--data-dir")
        .arg(dir)
        .args(["--keychain-service", service])
        .args(args)
        .output()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_enrols_from_the_pasted_invitation_and_reports_a_bad_one() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let daycare = central.daycare().await;
    let invite = central.invite(daycare).await.to_string();
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("cli-enrol");

    let garbled = desk_cli(dir.path(), &service, &["enrol", "https://example.com"]);
    assert_eq!(garbled.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&garbled.stderr).contains("[invite_not_an_invite]"));

    let enrolled = desk_cli(dir.path(), &service, &["enrol", &format!(" {invite}\n")]);
    assert!(
        enrolled.status.success(),
        "{}",
        String::from_utf8_lossy(&enrolled.stderr)
    );
    assert!(String::from_utf8_lossy(&enrolled.stdout).contains(&daycare.to_string()));

    let whoami = desk_cli(dir.path(), &service, &["whoami"]);
    assert!(
        whoami.status.success(),
        "{}",
        String::from_utf8_lossy(&whoami.stderr)
    );
    assert!(String::from_utf8_lossy(&whoami.stdout).contains(&daycare.to_string()));

    let not_due = desk_cli(dir.path(), &service, &["renew"]);
    assert!(String::from_utf8_lossy(&not_due.stdout).contains("not due"));

    let again = desk_cli(dir.path(), &service, &["enrol", &invite]);
    assert!(String::from_utf8_lossy(&again.stderr).contains("[enrolment_refused]"));

    let wiped = desk_cli(dir.path(), &service, &["wipe", "--yes"]);
    assert!(wiped.status.success());
    let after = desk_cli(dir.path(), &service, &["whoami"]);
    assert!(String::from_utf8_lossy(&after.stderr).contains("[not_enrolled]"));
}

/// Key and certificate chain as the keychain holds them, for a certificate `ca` issues to
/// this workstation's ids, valid from `not_before` to `not_after`.
fn credentials_from(
    ca: &DeviceCa,
    record: &placeforte_desk::device::DeviceRecord,
    not_before: chrono::DateTime<Utc>,
    not_after: chrono::DateTime<Utc>,
) -> String {
    let key = rcgen::KeyPair::generate().unwrap();
    let csr = rcgen::CertificateParams::new(Vec::<String>::new())
        .unwrap()
        .serialize_request(&key)
        .unwrap()
        .pem()
        .unwrap();
    let issued = ca
        .issue_device_certificate(
            &csr,
            record.daycare_id,
            record.device_id,
            not_before,
            not_after,
        )
        .unwrap();
    format!("{}{}", key.serialize_pem(), issued.pem)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_refused_at_the_handshake_is_reported_and_wipes_nothing() {
    if !keyring_session() {
        return;
    }
    let central = Central::start().await;
    let Workstation {
        dir,
        service,
        data,
        record,
        device: genuine,
    } = central.enrolled_workstation("cert-refused", 6).await;
    let cache = data.open(Utc::now()).await.unwrap().cache;
    cache
        .queue_vacancy(
            VacancyDeclaration {
                age_class: AgeClass::From18MonthsTo4Years,
                places: 1,
                start_date: central.clock.now().date_naive() + Duration::days(30),
                group_label: None,
            },
            Utc::now(),
        )
        .await
        .unwrap();
    flush(&genuine, &cache).await.unwrap();
    sync(&genuine, &cache, Utc::now(), |_| {}).await.unwrap();
    let cached = cache.referrals().await.unwrap();
    assert_eq!(cached.len(), 3);
    cache.close().await;
    let issued_credentials = data
        .secrets()
        .get(SecretName::DeviceCredentials)
        .unwrap()
        .expect("the enrolled credentials");

    let now = Utc::now();
    let (other_ca, _) = DeviceCa::generate(now).unwrap();
    let cases = [
        (
            "a certificate from another CA",
            credentials_from(&other_ca, &record, now, now + Duration::days(7)),
        ),
        (
            "an expired certificate from the service's own CA",
            credentials_from(
                central.device_ca(),
                &record,
                now - Duration::days(10),
                now - Duration::days(3),
            ),
        ),
    ];
    for (what, credentials) in cases {
        data.secrets()
            .set(SecretName::DeviceCredentials, credentials.as_bytes())
            .unwrap();
        let device = EnrolledDevice::load(&data, dir.path()).unwrap();
        let err = device.whoami().await.unwrap_err();
        assert!(
            matches!(err, DeskError::CertificateRefused),
            "{what}: {err:?}"
        );
        assert_eq!(err.code(), "certificate_refused");
        // The support tool says the same, with the code.
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_placeforte-desk"))
            .arg("--data-dir")
            .arg(dir.path())
            .args(["--keychain-service", &service, "sync"])
            .output()
            .unwrap();
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("[certificate_refused]"), "{what}: {stderr}");
        // Nothing wiped: not a revocation, so the record and the cache stay.
        assert_eq!(
            load_record(dir.path()).unwrap(),
            Some(record.clone()),
            "{what}"
        );
        let opened = data.open(Utc::now()).await.unwrap();
        assert_eq!(opened.wiped, None, "{what}");
        assert_eq!(opened.cache.referrals().await.unwrap(), cached, "{what}");
        opened.cache.close().await;
    }

    // The genuine credentials back (the certificate the service issued: one minted with its CA
    // key but never issued is refused too): the same workstation works again.
    data.secrets()
        .set(SecretName::DeviceCredentials, &issued_credentials)
        .unwrap();
    let me = EnrolledDevice::load(&data, dir.path())
        .unwrap()
        .whoami()
        .await
        .unwrap();
    assert_eq!(me.device_id, record.device_id);
}
