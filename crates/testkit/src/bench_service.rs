//! The service as the benchmarks run it: started in the bench process on 127.0.0.1, and
//! enrolled devices made the way the enrolment endpoint makes them (a key pair and CSR on the
//! "device", a certificate from the service's CA, the same storage call) without a round trip
//! per device: the load benchmark needs thousands.

use std::net::SocketAddr;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use placeforte_central::ca::DeviceCa;
use placeforte_central::enrolment_code;
use placeforte_central::store::{
    AuditEvent, DeviceRecord, EnrolmentCodeRecord, IssuedCertificate, Storage,
};
use placeforte_central::{
    start, AppState, ConnectionLimits, Lifetimes, ListenSettings, ServerIdentity, SystemClock,
};
use placeforte_protocol::{DaycareId, DeviceId};

/// The service's state on the system clock with default lifetimes.
pub fn state<S: Storage>(store: S, ca: DeviceCa) -> AppState<S> {
    AppState {
        store,
        ca: Arc::new(ca),
        clock: Arc::new(SystemClock),
        lifetimes: Lifetimes::default(),
    }
}

/// Starts the service's listeners on free ports; they serve until the process ends. Returns
/// the API listener's address.
pub async fn start_api<S: Storage>(
    state: AppState<S>,
    identity: &ServerIdentity,
    limits: ConnectionLimits,
) -> SocketAddr {
    let settings = ListenSettings {
        api: "127.0.0.1:0".parse().expect("addr"),
        enrolment: "127.0.0.1:0".parse().expect("addr"),
        limits,
        metrics: None,
    };
    let running = start(state, identity, settings).await.expect("start");
    let addr = running.api_addr;
    std::mem::forget(running);
    addr
}

/// What a device keeps: its certificate chain (with the CA) and its private key, in PEM.
#[derive(Debug)]
pub struct DeviceFiles {
    pub chain_pem: String,
    pub key_pem: String,
}

/// Issues a one-time code for `daycare` and enrols a new device with it.
pub async fn enrol_device<S: Storage>(
    store: &S,
    ca: &DeviceCa,
    ca_pem: &str,
    daycare: DaycareId,
    now: DateTime<Utc>,
) -> DeviceFiles {
    let code = enrolment_code::generate().expect("code");
    let code_hash = enrolment_code::hash(code.expose());
    store
        .add_enrolment_code(
            &EnrolmentCodeRecord {
                code_sha256: code_hash.clone(),
                daycare_id: daycare,
                issued_at: now,
                expires_at: now + chrono::Duration::minutes(15),
            },
            &AuditEvent::new(
                now,
                "operator:bench".to_owned(),
                "enrolment_code.issued",
                daycare.to_string(),
            ),
        )
        .await
        .expect("code");
    let device_key = rcgen::KeyPair::generate().expect("key");
    let csr = rcgen::CertificateParams::new(Vec::<String>::new())
        .expect("params")
        .serialize_request(&device_key)
        .expect("csr")
        .pem()
        .expect("pem");
    let device_id = DeviceId::random();
    let issued = ca
        .issue_device_certificate(
            &csr,
            daycare,
            device_id,
            now,
            now + chrono::Duration::days(7),
        )
        .expect("device certificate");
    let enrolled = store
        .enrol_device(
            &code_hash,
            now,
            &DeviceRecord {
                id: device_id,
                daycare_id: daycare,
                enrolled_at: now,
                revoked_at: None,
            },
            || {
                Ok(IssuedCertificate {
                    serial_hex: issued.serial_hex.clone(),
                    device_id,
                    not_before: issued.not_before,
                    not_after: issued.not_after,
                    issued_at: now,
                })
            },
            &AuditEvent::new(
                now,
                format!("device:{device_id}"),
                "device.enrolled",
                daycare.to_string(),
            ),
        )
        .await
        .expect("enrol");
    assert!(enrolled, "the fresh code was refused");
    DeviceFiles {
        chain_pem: format!("{}{ca_pem}", issued.pem),
        key_pem: device_key.serialize_pem(),
    }
}
