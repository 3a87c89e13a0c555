//! The real central service in-process on 127.0.0.1:0, for the desk's and the app's tests,
//! and workstations enrolled with it.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, Utc};
use placeforte_central::ca::DeviceCa;
use placeforte_central::operator::{self, Operator};
use placeforte_central::store::{
    AuditEvent, RegistrationChoice, RegistrationRecord, SeedBatch, Storage as _,
};
use placeforte_central::{
    start, AppState, Clock as _, ConnectionLimits, Lifetimes, ListenSettings, ManualClock,
    RunningService, ServerIdentity, SqliteStore,
};
use placeforte_desk::device::{self, DeviceRecord, EnrolledDevice};
use placeforte_desk::tls::fingerprint;
use placeforte_desk::{LocalData, OsKeychain};
use placeforte_domain::{CategoryFacts, PriorityBasis};
use placeforte_protocol::invite::EnrolmentInvite;
use placeforte_protocol::{DaycareId, RegistrationId};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;

use crate::keychain::{local, own_service};

/// A workstation enrolled with the real service, its data in a folder of its own.
#[derive(Debug)]
pub struct Workstation {
    pub dir: tempfile::TempDir,
    /// Its keychain service name.
    pub service: String,
    pub data: LocalData<OsKeychain>,
    pub record: DeviceRecord,
    pub device: EnrolledDevice,
}

#[derive(Debug)]
struct CentralParts {
    store: SqliteStore,
    clock: ManualClock,
    operator: Operator,
    ca_sha256: [u8; 32],
    state: AppState<SqliteStore>,
    server_pem: (String, String),
    dir: tempfile::TempDir,
}

/// The central service, stopped, keeping its database and its addresses.
#[derive(Debug)]
pub struct StoppedCentral {
    central: CentralParts,
    addresses: (std::net::SocketAddr, std::net::SocketAddr),
}

impl StoppedCentral {
    /// Starts the service again on the same addresses with the same database.
    pub async fn restart(self) -> Central {
        let c = self.central;
        let identity = ServerIdentity::from_pem(&c.server_pem.0, &c.server_pem.1).unwrap();
        let settings = ListenSettings {
            api: self.addresses.0,
            enrolment: self.addresses.1,
            limits: ConnectionLimits {
                handshake: StdDuration::from_secs(5),
                idle: StdDuration::from_secs(30),
                ..ConnectionLimits::default()
            },
            metrics: None,
        };
        // The old ports may be held for a moment by another test process's connection (its
        // ephemeral source port): try again for a few seconds before giving up.
        let mut tries = 0;
        let service = loop {
            match start(c.state.clone(), &identity, settings).await {
                Ok(service) => break service,
                Err(err) if tries < 50 => {
                    tries += 1;
                    eprintln!("restart: {err}; trying again");
                    tokio::time::sleep(StdDuration::from_millis(100)).await;
                }
                Err(err) => panic!("restart: {err}"),
            }
        };
        Central {
            store: c.store,
            clock: c.clock,
            service,
            operator: c.operator,
            ca_sha256: c.ca_sha256,
            state: c.state,
            server_pem: c.server_pem,
            _dir: c.dir,
        }
    }
}

/// The central service, running on 127.0.0.1 with a fresh SQLite database and a manual clock.
#[derive(Debug)]
pub struct Central {
    pub store: SqliteStore,
    pub clock: ManualClock,
    pub service: RunningService,
    pub operator: Operator,
    pub ca_sha256: [u8; 32],
    state: AppState<SqliteStore>,
    server_pem: (String, String),
    _dir: tempfile::TempDir,
}

impl Central {
    pub async fn start() -> Central {
        Central::start_with(Lifetimes::default()).await
    }

    /// The service with its own lifetimes and quotas.
    pub async fn start_with(lifetimes: Lifetimes) -> Central {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}", dir.path().join("central.db").display());
        let log = placeforte_central::audit::ephemeral_log_signer("placeforte.test/audit").unwrap();
        let store = SqliteStore::open(&url)
            .await
            .unwrap()
            .with_log_signer(Arc::new(log));
        let clock = ManualClock::new(Utc::now());
        let (ca, ca_files) = DeviceCa::generate(Utc::now()).unwrap();
        let server = ca
            .issue_server_certificate(&["127.0.0.1".to_owned()], Utc::now())
            .unwrap();
        let identity =
            ServerIdentity::from_pem(&server.certificate_pem, server.key_pem.expose()).unwrap();
        let ca_der = CertificateDer::from_pem_slice(ca_files.certificate_pem.as_bytes()).unwrap();
        let state = AppState {
            store: store.clone(),
            ca: Arc::new(ca),
            clock: Arc::new(clock.clone()),
            lifetimes,
        };
        let settings = ListenSettings {
            api: "127.0.0.1:0".parse().unwrap(),
            enrolment: "127.0.0.1:0".parse().unwrap(),
            limits: ConnectionLimits {
                handshake: StdDuration::from_secs(5),
                idle: StdDuration::from_secs(30),
                ..ConnectionLimits::default()
            },
            metrics: None,
        };
        let service = start(state.clone(), &identity, settings).await.unwrap();
        Central {
            store,
            clock,
            service,
            operator: Operator("test-operator".to_owned()),
            ca_sha256: fingerprint(&ca_der),
            state,
            server_pem: (
                server.certificate_pem.clone(),
                server.key_pem.expose().to_owned(),
            ),
            _dir: dir,
        }
    }

    /// The service's device CA (to issue certificates the service would not, in tests).
    pub fn device_ca(&self) -> &DeviceCa {
        &self.state.ca
    }

    /// The service's certificate chain and key, PEM (to stand up an impostor in tests).
    pub fn server_pem(&self) -> (&str, &str) {
        (&self.server_pem.0, &self.server_pem.1)
    }

    /// Stops both listeners: the service is unreachable until [`Central::restart`].
    pub async fn stop(self) -> StoppedCentral {
        let addresses = (self.service.api_addr, self.service.enrolment_addr);
        self.service.shutdown().await.unwrap();
        StoppedCentral {
            central: CentralParts {
                store: self.store,
                clock: self.clock,
                operator: self.operator,
                ca_sha256: self.ca_sha256,
                state: self.state,
                server_pem: self.server_pem,
                dir: self._dir,
            },
            addresses,
        }
    }

    /// Registrations of toddlers who all chose `daycare`: eligible for a toddler vacancy
    /// starting in 30 days.
    pub async fn toddlers_choosing(&self, daycare: DaycareId, count: usize) {
        let today = self.clock.now().date_naive();
        let mut batch = SeedBatch::default();
        for n in 0..count {
            // Between about 20 months and 3½ years old: toddlers for the whole test.
            let birth = today - Duration::days(600 + (7 * n as i64) % 700);
            let id = RegistrationId::random();
            batch.registrations.push(RegistrationRecord {
                id,
                child_given_name: format!("Enfant{n}"),
                child_family_name: "Synthétique".to_owned(),
                birth_date: birth,
                desired_entry_date: today - Duration::days(n as i64 % 300),
                registered_on: birth + Duration::days(10),
                region: "Estrie".to_owned(),
                address_key: format!("address-{n}"),
                parent_given_name: "Parent".to_owned(),
                parent_family_name: "Synthétique".to_owned(),
                parent_phone: "555-0100".to_owned(),
                parent_email: "parent@example.invalid".to_owned(),
                facts: CategoryFacts::default(),
                priority: PriorityBasis::NONE,
            });
            batch.choices.push(RegistrationChoice {
                registration_id: id,
                daycare_id: daycare,
                preference: 1,
            });
        }
        let event = AuditEvent::new(
            self.clock.now(),
            "operator:test".to_owned(),
            "synthetic_data.seeded",
            "test".to_owned(),
        );
        self.store.insert_seed(&batch, &event).await.unwrap();
    }

    pub async fn daycare(&self) -> DaycareId {
        operator::add_daycare(
            &self.store,
            &self.operator,
            self.clock.now(),
            "CPE Les Mésanges",
            "Capitale-Nationale",
            [10, 30, 15, 0],
        )
        .await
        .unwrap()
        .id
    }

    /// A new daycare that `toddlers` waiting toddlers chose, and a workstation enrolled there
    /// with a keychain service of `test`'s own.
    pub async fn enrolled_workstation(&self, test: &str, toddlers: usize) -> Workstation {
        let daycare = self.daycare().await;
        self.toddlers_choosing(daycare, toddlers).await;
        let dir = tempfile::tempdir().unwrap();
        let service = own_service(test);
        let data = local(dir.path(), &service);
        let record = device::enrol(&data, dir.path(), &self.invite(daycare).await)
            .await
            .unwrap();
        let device = EnrolledDevice::load(&data, dir.path()).unwrap();
        Workstation {
            dir,
            service,
            data,
            record,
            device,
        }
    }

    /// An invitation as the operator would hand it over, with a fresh code.
    pub async fn invite(&self, daycare: DaycareId) -> EnrolmentInvite {
        let issued = operator::issue_enrolment_code(
            &self.store,
            &self.operator,
            self.clock.now(),
            daycare,
            Lifetimes::default().enrolment_code,
        )
        .await
        .unwrap();
        EnrolmentInvite {
            daycare_id: daycare,
            code: issued.code.expose().to_owned(),
            enrolment_address: self.service.enrolment_addr.to_string(),
            api_address: self.service.api_addr.to_string(),
            ca_sha256: self.ca_sha256,
        }
    }
}
