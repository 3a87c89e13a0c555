//! Load benchmark of the central service (issue 4): `cargo bench -p placeforte-central --bench
//! sync_load`, or `scripts/bench.sh` to include PostgreSQL. Prints figures; not run by the test
//! command.
//!
//! 3,000 enrolled devices (300 daycares with referrals, 10 workstations each; set
//! `PLACEFORTE_BENCH_DEVICES` to change) each keep one mutual-TLS connection alive and do
//! delta syncs that bring nothing new (`GET /v1/referrals?since=<their cursor>`), from a load
//! generator in another process (this binary re-executed with `client`). On each backend:
//!
//! 1. **Capacity**: every device sends its next request as soon as the previous one is answered
//!    (closed loop, 3,000 requests in flight): requests per second. The same for the trivial
//!    authenticated endpoint of part 1 (`GET /v1/device/whoami`), interleaved round by round,
//!    and the ratio of the two rates within each round (its median is reported).
//! 2. **Latency at a sustained load**: the devices send at a fixed total rate (open loop, each
//!    device on its own schedule, evenly staggered), at 25 %, 50 % and 80 % of the measured
//!    sync capacity; latency counts from the moment a request was due, so a backlog shows in
//!    the figures instead of silently lowering the rate (coordinated omission). p50 and p99.
//!
//! Client and service share the machine's cores, so the capacity is the machine's, not the
//! service's alone.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use placeforte_central::ca::DeviceCa;
use placeforte_central::seed::{self, SeedOptions};
use placeforte_central::store::AuditEvent;
use placeforte_central::{ConnectionLimits, PostgresStore, ServerIdentity, SqliteStore, Storage};
use placeforte_domain::AgeClass;
use placeforte_protocol::referrals::{DeclareVacancy, ReferralPage};
use placeforte_testkit::bench_service as service;
use placeforte_testkit::raw_http::{client_config, RawConnection};
use rustls::ClientConfig;
use sqlx::Connection as _;

/// Daycares seeded; devices are spread over them round-robin.
const DAYCARES: usize = 300;
/// Registrations seeded.
const REGISTRATIONS: usize = 30_000;
/// Length of one timed run.
const RUN_SECONDS: f64 = 5.0;
/// Capacity rounds (the median is reported).
const ROUNDS: usize = 3;
/// The open-loop rates, as fractions of the measured sync capacity.
const LOAD_FRACTIONS: [f64; 3] = [0.25, 0.5, 0.8];
/// Handshakes in flight while the client connects its devices.
const CONNECT_CONCURRENCY: usize = 64;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("client") {
        client_main(&args[2..]);
        return;
    }
    let devices: usize = std::env::var("PLACEFORTE_BENCH_DEVICES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3_000);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let url = format!("sqlite:{}", dir.path().join("load.db").display());
    let store = runtime
        .block_on(SqliteStore::open(&url))
        .expect("SQLite")
        .with_log_signer(bench_log_key());
    let addr = runtime.block_on(prepare(store, dir.path(), devices));
    run_client("SQLite", addr, dir.path());

    if let Some(url) = std::env::var("PLACEFORTE_TEST_POSTGRES_URL")
        .ok()
        .filter(|u| !u.is_empty())
    {
        let dir = tempfile::tempdir().expect("tempdir");
        let store = runtime.block_on(fresh_postgres(&url));
        let addr = runtime.block_on(prepare(store, dir.path(), devices));
        run_client("PostgreSQL", addr, dir.path());
    }
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// A store in a fresh schema of the cluster at `url`.
async fn fresh_postgres(url: &str) -> PostgresStore {
    let schema = format!("load_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(url).await.expect("PostgreSQL");
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&mut admin)
        .await
        .expect("schema");
    admin.close().await.expect("close");
    let options = sqlx::postgres::PgConnectOptions::from_str(url)
        .expect("URL")
        .options([("search_path", schema.as_str())]);
    PostgresStore::connect_with(options)
        .await
        .expect("PostgreSQL store")
        .with_log_signer(bench_log_key())
}

/// The audit log key the bench's stores append with.
fn bench_log_key() -> std::sync::Arc<placeforte_translog::checkpoint::LogSigner> {
    std::sync::Arc::new(
        placeforte_central::audit::ephemeral_log_signer("placeforte.bench/audit").expect("log key"),
    )
}

/// Seeds the store, enrols the devices, writes their files into `dir` for the client and
/// starts the service; returns the API listener's address (it serves until the process ends).
async fn prepare<S: Storage>(store: S, dir: &Path, devices: usize) -> SocketAddr {
    let now = Utc::now();
    let started = Instant::now();
    seed::seed(
        &store,
        AuditEvent::new(
            now,
            "operator:bench".to_owned(),
            "synthetic_data.seeded",
            "seed:7".to_owned(),
        ),
        &SeedOptions {
            registrations: REGISTRATIONS,
            daycares: DAYCARES,
            honeytokens: 0,
            seed: 7,
            as_of: now.date_naive(),
        },
    )
    .await
    .expect("seed");
    let daycares = store.daycares().await.expect("daycares");
    let (ca, ca_files) = DeviceCa::generate(now).expect("CA");
    let server = ca
        .issue_server_certificate(&["127.0.0.1".to_owned()], now)
        .expect("server certificate");
    let identity = ServerIdentity::from_pem(&server.certificate_pem, server.key_pem.expose())
        .expect("identity");
    let mut files = Vec::with_capacity(devices);
    for i in 0..devices {
        let daycare = daycares[i % daycares.len()].id;
        let device =
            service::enrol_device(&store, &ca, &ca_files.certificate_pem, daycare, now).await;
        files.push(serde_json::json!({
            "daycare": daycare.to_string(),
            "chain": device.chain_pem,
            "key": device.key_pem,
        }));
    }
    std::fs::write(dir.join("ca.pem"), &ca_files.certificate_pem).expect("write");
    std::fs::write(
        dir.join("devices.json"),
        serde_json::to_vec(&files).expect("JSON"),
    )
    .expect("write");
    eprintln!(
        "seeded {REGISTRATIONS} registrations and {DAYCARES} daycares, enrolled {devices} devices in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    service::start_api(
        service::state(store, ca),
        &identity,
        ConnectionLimits {
            handshake: Duration::from_secs(30),
            idle: Duration::from_secs(120),
            // hyper's header-read timer also runs while a kept-alive connection waits for its
            // next request; the devices wait their turn through the first syncs far longer.
            header_read: Duration::from_secs(120),
            // The load benchmark opens thousands of connections from one address on purpose.
            max_connections: 100_000,
            max_connections_per_peer: 100_000,
            max_handshakes: 100_000,
        },
    )
    .await
}

/// Runs the load generator in a child process; it prints its own tables.
fn run_client(backend: &str, addr: SocketAddr, dir: &Path) {
    let exe = std::env::current_exe().expect("current exe");
    let status = Command::new(exe)
        .arg("client")
        .arg(backend)
        .arg(addr.to_string())
        .arg(dir)
        .status()
        .expect("client process");
    assert!(status.success(), "the load generator failed");
}

// ---------------------------------------------------------------------------------------------
// The load generator (child process)

/// One device of the load generator.
struct Device {
    daycare: String,
    config: Arc<ClientConfig>,
    connection: Option<RawConnection>,
    cursor: String,
}

/// What one timed run measured.
struct Run {
    per_second: f64,
    p50_ms: f64,
    p99_ms: f64,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Sync,
    WhoAmI,
}

impl Endpoint {
    fn path(self, cursor: &str) -> String {
        match self {
            Endpoint::Sync => format!("/v1/referrals?since={cursor}"),
            Endpoint::WhoAmI => "/v1/device/whoami".to_owned(),
        }
    }

    fn label(self) -> &'static str {
        match self {
            Endpoint::Sync => "no-change delta sync `GET /v1/referrals?since=…`",
            Endpoint::WhoAmI => "trivial authenticated `GET /v1/device/whoami`",
        }
    }
}

fn client_main(args: &[String]) {
    let [backend, addr, dir] = args else {
        panic!("usage: client BACKEND ADDR DIR");
    };
    let addr: SocketAddr = addr.parse().expect("addr");
    let dir = Path::new(dir);
    let ca = std::fs::read_to_string(dir.join("ca.pem")).expect("ca");
    let files: Vec<serde_json::Value> =
        serde_json::from_slice(&std::fs::read(dir.join("devices.json")).expect("devices"))
            .expect("devices JSON");
    let devices: Vec<Device> = files
        .iter()
        .map(|file| {
            let text = |name: &str| file[name].as_str().expect("field").to_owned();
            Device {
                daycare: text("daycare"),
                config: client_config(&ca, Some((&text("chain"), &text("key")))),
                connection: None,
                cursor: String::new(),
            }
        })
        .collect();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(load(backend, addr, devices));
}

async fn load(backend: &str, addr: SocketAddr, mut devices: Vec<Device>) {
    let started = Instant::now();
    devices = connect_all(addr, devices).await;
    let connected = started.elapsed();
    let referrals = declare_vacancies(&mut devices).await;
    let synced = first_syncs(&mut devices).await;
    println!();
    println!(
        "## {backend}: {} devices of {DAYCARES} daycares, kept-alive mutual-TLS connections",
        devices.len()
    );
    println!();
    println!(
        "{} handshakes in {:.1} s; {referrals} referrals made to the daycares; first full syncs read {synced} referrals",
        devices.len(),
        connected.as_secs_f64()
    );
    println!();

    let mut sync_runs = Vec::new();
    let mut whoami_runs = Vec::new();
    for _ in 0..ROUNDS {
        let (back, run) = closed_loop(devices, Endpoint::Sync).await;
        sync_runs.push(run);
        let (back, run) = closed_loop(back, Endpoint::WhoAmI).await;
        whoami_runs.push(run);
        devices = back;
    }
    let capacity = median(sync_runs.iter().map(|r| r.per_second).collect());
    println!("Capacity (closed loop: every device sends again as soon as answered), median of {ROUNDS} runs of {RUN_SECONDS} s:");
    println!();
    println!("| endpoint | requests/s | p50 | p99 |");
    println!("|---|---:|---:|---:|");
    for (endpoint, runs) in [
        (Endpoint::Sync, &sync_runs),
        (Endpoint::WhoAmI, &whoami_runs),
    ] {
        println!(
            "| {} | {:.0} | {:.1} ms | {:.1} ms |",
            endpoint.label(),
            median(runs.iter().map(|r| r.per_second).collect()),
            median(runs.iter().map(|r| r.p50_ms).collect()),
            median(runs.iter().map(|r| r.p99_ms).collect()),
        );
    }
    let ratios = sync_runs
        .iter()
        .zip(&whoami_runs)
        .map(|(s, w)| s.per_second / w.per_second)
        .collect();
    println!();
    println!(
        "median ratio of the delta-sync rate to the whoami rate, within each round: {:.2}",
        median(ratios)
    );
    println!();
    println!("Latency at a fixed total rate (open loop, each device on its own evenly staggered schedule, latency from when the request was due), one run of {RUN_SECONDS} s each:");
    println!();
    println!("| endpoint | offered load | served requests/s | p50 | p99 |");
    println!("|---|---:|---:|---:|---:|");
    for fraction in LOAD_FRACTIONS {
        let rate = capacity * fraction;
        for endpoint in [Endpoint::Sync, Endpoint::WhoAmI] {
            let (back, run) = open_loop(devices, endpoint, rate).await;
            devices = back;
            println!(
                "| {} | {rate:.0} req/s ({:.0} % of sync capacity) | {:.0} | {:.1} ms | {:.1} ms |",
                endpoint.label(),
                fraction * 100.0,
                run.per_second,
                run.p50_ms,
                run.p99_ms
            );
        }
    }
}

/// Opens every device's connection, a bounded number of handshakes at a time.
async fn connect_all(addr: SocketAddr, devices: Vec<Device>) -> Vec<Device> {
    let permits = Arc::new(tokio::sync::Semaphore::new(CONNECT_CONCURRENCY));
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|mut device| {
            let permits = Arc::clone(&permits);
            tokio::spawn(async move {
                let _permit = permits.acquire().await.expect("semaphore");
                device.connection = Some(
                    RawConnection::connect(addr, Arc::clone(&device.config))
                        .await
                        .expect("connect"),
                );
                device
            })
        })
        .collect();
    let mut connected = Vec::with_capacity(tasks.len());
    for task in tasks {
        connected.push(task.await.expect("connect task"));
    }
    connected
}

/// One vacancy of five toddler places per daycare, declared by its first device; returns the
/// referrals made.
async fn declare_vacancies(devices: &mut [Device]) -> u64 {
    // One key for every daycare: keys are scoped to the daycare, so each declares its own.
    let body = serde_json::to_string(&DeclareVacancy {
        idempotency_key: uuid::Uuid::new_v4(),
        age_class: AgeClass::From18MonthsTo4Years,
        places: 5,
        start_date: Utc::now().date_naive() + chrono::Duration::days(60),
        group_label: None,
    })
    .expect("JSON");
    let mut seen = std::collections::HashSet::new();
    let mut referrals = 0;
    for device in devices.iter_mut() {
        if !seen.insert(device.daycare.clone()) {
            continue;
        }
        let connection = device.connection.as_mut().expect("connected");
        let response = connection
            .post_json("/v1/vacancies", &body)
            .await
            .expect("declare");
        assert_eq!(response.status, 201, "{}", response.text());
        let declared: serde_json::Value = serde_json::from_slice(&response.body).expect("JSON");
        referrals += declared["referrals"].as_u64().expect("referrals");
    }
    referrals
}

/// Every device's full first sync, which leaves it holding its current cursor.
async fn first_syncs(devices: &mut [Device]) -> u64 {
    let mut read = 0;
    for device in devices.iter_mut() {
        let connection = device.connection.as_mut().expect("connected");
        loop {
            let mut path = "/v1/referrals?limit=500".to_owned();
            if !device.cursor.is_empty() {
                path.push_str(&format!("&since={}", device.cursor));
            }
            let response = connection.get(&path).await.expect("sync");
            assert_eq!(response.status, 200, "{}", response.text());
            let page: ReferralPage = serde_json::from_slice(&response.body).expect("page");
            read += page.referrals.len() as u64;
            device.cursor = page.cursor;
            if !page.more {
                break;
            }
        }
    }
    read
}

/// Every device sends again as soon as it is answered, for one run.
async fn closed_loop(devices: Vec<Device>, endpoint: Endpoint) -> (Vec<Device>, Run) {
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(RUN_SECONDS);
    let tasks: Vec<_> = devices
        .into_iter()
        .map(|mut device| {
            tokio::spawn(async move {
                let path = endpoint.path(&device.cursor);
                let connection = device.connection.as_mut().expect("connected");
                let mut latencies = Vec::new();
                while Instant::now() < deadline {
                    let sent = Instant::now();
                    request(connection, &path, endpoint).await;
                    latencies.push(sent.elapsed());
                }
                (device, latencies)
            })
        })
        .collect();
    collect(tasks, started).await
}

/// The devices send at `rate` requests per second in all, each on its own schedule.
async fn open_loop(devices: Vec<Device>, endpoint: Endpoint, rate: f64) -> (Vec<Device>, Run) {
    let count = devices.len();
    let interval = Duration::from_secs_f64(count as f64 / rate);
    let started = Instant::now();
    let deadline = started + Duration::from_secs_f64(RUN_SECONDS);
    let tasks: Vec<_> = devices
        .into_iter()
        .enumerate()
        .map(|(i, mut device)| {
            let first = started + interval.mul_f64(i as f64 / count as f64);
            tokio::spawn(async move {
                let path = endpoint.path(&device.cursor);
                let connection = device.connection.as_mut().expect("connected");
                let mut latencies = Vec::new();
                let mut due = first;
                while due < deadline {
                    tokio::time::sleep_until(due.into()).await;
                    request(connection, &path, endpoint).await;
                    latencies.push(due.elapsed());
                    due += interval;
                }
                (device, latencies)
            })
        })
        .collect();
    collect(tasks, started).await
}

/// One request, checked: a sync that brings anything would not be a no-change sync.
async fn request(connection: &mut RawConnection, path: &str, endpoint: Endpoint) {
    let response = connection.get(path).await.expect("request");
    assert_eq!(response.status, 200, "{}", response.text());
    if endpoint == Endpoint::Sync {
        let page: ReferralPage = serde_json::from_slice(&response.body).expect("page");
        assert!(
            page.referrals.is_empty() && !page.more,
            "the sync brought changes"
        );
    }
}

async fn collect(
    tasks: Vec<tokio::task::JoinHandle<(Device, Vec<Duration>)>>,
    started: Instant,
) -> (Vec<Device>, Run) {
    let mut devices = Vec::with_capacity(tasks.len());
    let mut latencies = Vec::new();
    for task in tasks {
        let (device, mut own) = task.await.expect("device task");
        devices.push(device);
        latencies.append(&mut own);
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let percentile = |p: f64| {
        latencies
            .get(((latencies.len() as f64 * p) as usize).min(latencies.len().saturating_sub(1)))
            .map_or(f64::NAN, |d| d.as_secs_f64() * 1e3)
    };
    let run = Run {
        per_second: latencies.len() as f64 / elapsed,
        p50_ms: percentile(0.50),
        p99_ms: percentile(0.99),
    };
    (devices, run)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}
