//! The harness: a fresh database per test (a temp SQLite file, or a fresh PostgreSQL schema),
//! the service on 127.0.0.1:0 with real TLS, a manual clock, and clients.
#![allow(dead_code, unreachable_pub)]

pub mod referral_pool;
pub mod tamper;

pub use placeforte_testkit::raw_http;

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use base64::Engine as _;
use chrono::{DateTime, Utc};
use placeforte_central::ca::{DeviceCa, GeneratedKeyAndCertificate};
use placeforte_central::enrolment_limits::EnrolmentRateLimits;
use placeforte_central::operator::{self, Operator};
use placeforte_central::store::Storage;
use placeforte_central::webhook::WebhookSettings;
use placeforte_central::{
    start_with, AppState, ConnectionLimits, Lifetimes, ListenSettings, ManualClock, PostgresStore,
    RunningService, ServerIdentity, SqliteStore,
};
use placeforte_protocol::device::{DeviceCertificate, EnrolRequest};
use placeforte_protocol::{ApiError, DaycareId};
use placeforte_translog::checkpoint::LogSigner;
use raw_http::{client_config, RawConnection};
use rcgen::{CertificateParams, KeyPair};
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;

pub const POSTGRES_URL_VAR: &str = "PLACEFORTE_TEST_POSTGRES_URL";
/// Short, so the idle-connection test is quick; long enough for any request in the suite.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(2);
/// Short, so the header-dribbling tests are quick.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(2);

/// Runs each listed test body (an `async fn name<S: Storage>(h: Harness<S>)` in the parent
/// module) once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let harness = $crate::common::Harness::sqlite().await;
                    super::$name(harness).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(harness) = $crate::common::Harness::postgres().await else {
                        eprintln!(
                            "skipped on PostgreSQL: {} is not set (scripts/test.sh sets it)",
                            $crate::common::POSTGRES_URL_VAR
                        );
                        return;
                    };
                    super::$name(harness).await;
                }
            )*
        }
    };
}

/// A device's key and certificate, as the desktop app would keep them.
#[derive(Debug, Clone)]
pub struct DeviceKeys {
    pub key_pem: String,
    pub certificate: DeviceCertificate,
}

pub struct Harness<S> {
    pub store: S,
    pub clock: ManualClock,
    pub ca_files: GeneratedKeyAndCertificate,
    /// The CA the service signs with (its signature counter).
    pub ca: Arc<DeviceCa>,
    pub service: RunningService,
    pub state: AppState<S>,
    pub operator: Operator,
    /// The audit log key the store appends with.
    pub log: Arc<LogSigner>,
    limits: ConnectionLimits,
    server: GeneratedKeyAndCertificate,
    /// Where the store's database is, to open a second store on it (another instance).
    database: Database,
    _dir: tempfile::TempDir,
}

/// The database a harness's store is on.
#[derive(Debug, Clone)]
enum Database {
    Sqlite(String),
    Postgres(Box<PgConnectOptions>),
}

/// A store type a second service instance can open on the harness's database.
pub trait OpensAgain: Storage + Sized {
    /// Another store (its own pool, the same audit log key) on `h`'s database.
    fn open_again(h: &Harness<Self>) -> impl std::future::Future<Output = Self> + Send;
}

impl OpensAgain for SqliteStore {
    async fn open_again(h: &Harness<SqliteStore>) -> SqliteStore {
        let Database::Sqlite(url) = &h.database else {
            panic!("a SQLite harness on another database")
        };
        SqliteStore::open(url)
            .await
            .expect("second SQLite store")
            .with_log_signer(Arc::clone(&h.log))
    }
}

impl OpensAgain for PostgresStore {
    async fn open_again(h: &Harness<PostgresStore>) -> PostgresStore {
        let Database::Postgres(options) = &h.database else {
            panic!("a PostgreSQL harness on another database")
        };
        PostgresStore::connect_with((**options).clone())
            .await
            .expect("second PostgreSQL store")
            .with_log_signer(Arc::clone(&h.log))
    }
}

/// The harness's connection limits: short timeouts so that the tests that wait for them are
/// quick, long enough for any request in the suite; the production caps.
pub fn test_connection_limits() -> ConnectionLimits {
    ConnectionLimits {
        handshake: Duration::from_secs(5),
        header_read: HEADER_READ_TIMEOUT,
        idle: IDLE_TIMEOUT,
        ..ConnectionLimits::default()
    }
}

/// The harness's lifetimes: the defaults, but enrolment attempts that the suite's many
/// enrolments from 127.0.0.1 never exhaust (the attack tests restart with the real ones).
pub fn test_lifetimes() -> Lifetimes {
    Lifetimes {
        enrolment_attempts: EnrolmentRateLimits {
            per_peer_burst: 10_000,
            overall_burst: 10_000,
            ..EnrolmentRateLimits::default()
        },
        ..Lifetimes::default()
    }
}

impl Harness<SqliteStore> {
    pub async fn sqlite() -> Harness<SqliteStore> {
        let dir = tempfile::tempdir().expect("tempdir");
        let url = format!("sqlite:{}", dir.path().join("central.db").display());
        let log = test_log_signer();
        let store = SqliteStore::open(&url)
            .await
            .expect("SQLite store")
            .with_log_signer(Arc::clone(&log));
        Harness::start(store, log, Database::Sqlite(url), dir).await
    }
}

impl Harness<PostgresStore> {
    /// A fresh schema in the throwaway cluster, or `None` when no cluster is configured.
    pub async fn postgres() -> Option<Harness<PostgresStore>> {
        let url = std::env::var(POSTGRES_URL_VAR)
            .ok()
            .filter(|u| !u.is_empty())?;
        let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = sqlx::PgConnection::connect(&url)
            .await
            .expect("connect to the test PostgreSQL");
        sqlx::query(&format!("CREATE SCHEMA {schema}"))
            .execute(&mut admin)
            .await
            .expect("create schema");
        admin.close().await.expect("close");
        let options = PgConnectOptions::from_str(&url)
            .expect("URL")
            .options([("search_path", schema.as_str())]);
        let log = test_log_signer();
        let store = PostgresStore::connect_with(options.clone())
            .await
            .expect("PostgreSQL store")
            .with_log_signer(Arc::clone(&log));
        Some(
            Harness::start(
                store,
                log,
                Database::Postgres(Box::new(options)),
                tempfile::tempdir().expect("tempdir"),
            )
            .await,
        )
    }
}

/// A fresh audit log key for a test's store.
pub fn test_log_signer() -> Arc<LogSigner> {
    Arc::new(
        placeforte_central::audit::ephemeral_log_signer("placeforte.test/audit").expect("log key"),
    )
}

pub fn new_csr() -> (KeyPair, String) {
    let key = KeyPair::generate().expect("key");
    let csr = CertificateParams::new(Vec::<String>::new())
        .expect("params")
        .serialize_request(&key)
        .expect("CSR")
        .pem()
        .expect("PEM");
    (key, csr)
}

pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).expect("ascii"));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

impl<S: Storage> Harness<S> {
    async fn start(
        store: S,
        log: Arc<LogSigner>,
        database: Database,
        dir: tempfile::TempDir,
    ) -> Harness<S> {
        let clock = ManualClock::new(Utc::now());
        let (ca, ca_files) = DeviceCa::generate(Utc::now()).expect("CA");
        let server = ca
            .issue_server_certificate(&["127.0.0.1".to_owned()], Utc::now())
            .expect("server certificate");
        let ca = Arc::new(ca);
        let state = AppState {
            store: store.clone(),
            ca: Arc::clone(&ca),
            clock: Arc::new(clock.clone()),
            lifetimes: test_lifetimes(),
        };
        let service = run(&state, &server, test_connection_limits(), None).await;
        Harness {
            store,
            clock,
            ca_files,
            ca,
            service,
            state,
            limits: test_connection_limits(),
            operator: Operator("test-operator".to_owned()),
            log,
            server,
            database,
            _dir: dir,
        }
    }

    /// Stops the service and starts it again on the same store, CA and clock (new ports), with
    /// this alert webhook (or none).
    pub async fn restart(&mut self, webhook: Option<WebhookSettings>) {
        let limits = self.limits;
        self.restart_on(limits, webhook).await;
    }

    /// Stops the service and starts it again on the same store and CA (new ports) with these
    /// limits and lifetimes.
    pub async fn restart_with(&mut self, limits: ConnectionLimits, lifetimes: Lifetimes) {
        self.state.lifetimes = lifetimes;
        self.restart_on(limits, None).await;
    }

    /// Restarts the service with device certificates that outlast an offer's deadline (the
    /// end of the seventh day in Québec, past a 7-day certificate), for the tests that move the
    /// clock there; devices must be enrolled after this.
    pub async fn with_certificates_outlasting_offers(&mut self) {
        let limits = self.limits;
        let lifetimes = Lifetimes {
            device_certificate: chrono::Duration::days(30),
            ..test_lifetimes()
        };
        self.restart_with(limits, lifetimes).await;
    }

    async fn restart_on(&mut self, limits: ConnectionLimits, webhook: Option<WebhookSettings>) {
        self.limits = limits;
        let service = run(&self.state, &self.server, limits, webhook).await;
        let old = std::mem::replace(&mut self.service, service);
        old.shutdown().await.expect("shutdown");
    }

    pub fn ca_pem(&self) -> &str {
        &self.ca_files.certificate_pem
    }

    pub fn now(&self) -> DateTime<Utc> {
        use placeforte_central::Clock as _;
        self.clock.now()
    }

    pub async fn daycare(&self) -> DaycareId {
        operator::add_daycare(
            &self.store,
            &self.operator,
            self.now(),
            "CPE Les Mésanges",
            "Capitale-Nationale",
            [10, 30, 15, 0],
        )
        .await
        .expect("daycare")
        .id
    }

    pub async fn code(&self, daycare: DaycareId) -> String {
        operator::issue_enrolment_code(
            &self.store,
            &self.operator,
            self.now(),
            daycare,
            Lifetimes::default().enrolment_code,
        )
        .await
        .expect("code")
        .code
        .expose()
        .to_owned()
    }

    /// A reqwest client that trusts the service and presents no certificate.
    pub fn anonymous_client(&self) -> reqwest::Client {
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.ca_pem().as_bytes()).expect("CA"),
            )
            .build()
            .expect("client")
    }

    /// A reqwest client presenting the device's certificate.
    pub fn device_client(&self, device: &DeviceKeys) -> reqwest::Client {
        let identity = format!(
            "{}{}",
            device.key_pem, device.certificate.certificate_chain_pem
        );
        reqwest::Client::builder()
            .use_rustls_tls()
            .tls_built_in_root_certs(false)
            .add_root_certificate(
                reqwest::Certificate::from_pem(self.ca_pem().as_bytes()).expect("CA"),
            )
            .identity(reqwest::Identity::from_pem(identity.as_bytes()).expect("identity"))
            .build()
            .expect("client")
    }

    pub fn enrolment_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.service.enrolment_addr)
    }

    pub fn api_url(&self, path: &str) -> String {
        format!("https://{}{path}", self.service.api_addr)
    }

    /// POSTs an enrolment request; returns the status and body.
    pub async fn enrol_raw(&self, body: String) -> (u16, String) {
        let response = self
            .anonymous_client()
            .post(self.enrolment_url("/v1/enrol"))
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .expect("enrolment request");
        let status = response.status().as_u16();
        (status, response.text().await.expect("body"))
    }

    pub async fn enrol(&self, daycare: DaycareId, code: &str, csr_pem: &str) -> (u16, String) {
        let request = EnrolRequest {
            daycare_id: daycare,
            enrolment_code: code.to_owned(),
            csr_pem: csr_pem.to_owned(),
        };
        self.enrol_raw(serde_json::to_string(&request).expect("json"))
            .await
    }

    /// Enrols a new device of a new daycare (by the service's clock).
    pub async fn enrolled_device(&self) -> DeviceKeys {
        let daycare = self.daycare().await;
        let code = self.code(daycare).await;
        let (key, csr) = new_csr();
        let (status, body) = self.enrol(daycare, &code, &csr).await;
        assert_eq!(status, 200, "enrolment failed: {body}");
        DeviceKeys {
            key_pem: key.serialize_pem(),
            certificate: serde_json::from_str(&body).expect("DeviceCertificate"),
        }
    }

    /// A kept-alive raw connection to the API listener presenting `device`'s certificate.
    pub async fn api_connection(&self, device: &DeviceKeys) -> std::io::Result<RawConnection> {
        RawConnection::connect(
            self.service.api_addr,
            client_config(
                self.ca_pem(),
                Some((&device.certificate.certificate_chain_pem, &device.key_pem)),
            ),
        )
        .await
    }

    pub async fn device_count(&self) -> usize {
        self.store.devices().await.expect("devices").len()
    }

    pub async fn event_count(&self) -> i64 {
        self.store.audit_entry_count().await.expect("events")
    }
}

async fn run<S: Storage>(
    state: &AppState<S>,
    server: &GeneratedKeyAndCertificate,
    limits: ConnectionLimits,
    webhook: Option<WebhookSettings>,
) -> RunningService {
    let identity = ServerIdentity::from_pem(&server.certificate_pem, server.key_pem.expose())
        .expect("server identity");
    let settings = ListenSettings {
        api: "127.0.0.1:0".parse().expect("addr"),
        enrolment: "127.0.0.1:0".parse().expect("addr"),
        limits,
        // Every harness has its metrics listener: the alert tests scrape it.
        metrics: Some("127.0.0.1:0".parse().expect("addr")),
    };
    start_with(state.clone(), &identity, settings, webhook)
        .await
        .expect("service")
}

pub fn api_error(body: &str) -> ApiError {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("not an ApiError ({e}): {body}"))
}
