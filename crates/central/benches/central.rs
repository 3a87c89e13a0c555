//! Benchmarks of the central service (issue 3): `cargo bench -p placeforte-central`, or
//! `scripts/bench.sh` to include PostgreSQL. Not run by the test command.
//!
//! 1. TLS: new connections per second (full TLS 1.3 handshakes, no resumption, one request
//!    each) and requests per second on kept-alive connections, against the same router served
//!    with mutual TLS (the API listener) and with plain server-authenticated TLS. The client
//!    runs in another process (this binary re-executed with `client`), so client and server
//!    do not share a runtime; on a 2-core machine they do share the cores.
//! 2. Seeding: the real `placeforte-central seed --registrations 88000 --daycares 3000`, into a
//!    fresh SQLite file and, when `PLACEFORTE_TEST_POSTGRES_URL` is set, a fresh PostgreSQL
//!    database.
//!
//! Each figure is the median of several timed runs.

use std::net::SocketAddr;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::Utc;
use placeforte_central::ca::DeviceCa;
use placeforte_central::{
    app, operator, serve, tls, ConnectionLimits, ServerIdentity, SqliteStore, TlsListener,
};
use placeforte_testkit::bench_service as service;
use placeforte_testkit::raw_http::{client_config, RawConnection};

/// Timed runs per figure (the median is reported).
const RUNS: usize = 7;
/// Length of one timed run.
const RUN_SECONDS: f64 = 2.0;
/// Concurrent client loops (connections) in the client process.
const CLIENT_LOOPS: usize = 4;
/// Seeding runs per backend.
const SEED_RUNS: usize = 3;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.get(1).map(String::as_str) == Some("client") {
        client_main(&args[2..]);
        return;
    }
    let only = std::env::var("PLACEFORTE_BENCH_ONLY").unwrap_or_default();
    if only.is_empty() || only == "tls" {
        tls_benchmarks();
    }
    if only.is_empty() || only == "seed" {
        seed_benchmarks();
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

// ---------------------------------------------------------------------------------------------
// TLS

fn tls_benchmarks() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let dir = tempfile::tempdir().expect("tempdir");
    let (api_addr, plain_addr) = runtime.block_on(start_servers(dir.path()));
    println!("# TLS: median of {RUNS} interleaved runs of {RUN_SECONDS} s, {CLIENT_LOOPS} concurrent client loops in a separate process");
    println!("| setup | endpoint | new connections/s | requests/s (kept alive) |");
    println!("|---|---|---:|---:|");
    let scenarios = [
        ("mutual TLS (API listener)", api_addr, true, "/v1/health"),
        (
            "plain TLS (no client cert)",
            plain_addr,
            false,
            "/v1/health",
        ),
        (
            "mutual TLS (API listener)",
            api_addr,
            true,
            "/v1/device/whoami",
        ),
    ];
    // One untimed round: warm caches, connection pools and the SQLite page cache.
    for (_, addr, with_cert, path) in scenarios {
        run_client(dir.path(), "connections", addr, with_cert, path);
        run_client(dir.path(), "requests", addr, with_cert, path);
    }
    // Rounds interleave the scenarios, so a slow spell of the machine hits all of them alike;
    // ratios are taken within each round, then their median.
    let mut figures = vec![(Vec::new(), Vec::new()); scenarios.len()];
    for _ in 0..RUNS {
        for (i, (_, addr, with_cert, path)) in scenarios.iter().enumerate() {
            figures[i].0.push(run_client(
                dir.path(),
                "connections",
                *addr,
                *with_cert,
                path,
            ));
            figures[i]
                .1
                .push(run_client(dir.path(), "requests", *addr, *with_cert, path));
        }
    }
    for ((label, _, _, path), (connections, requests)) in scenarios.iter().zip(&figures) {
        println!(
            "| {label} | `GET {path}` | {:.0} | {:.0} |",
            median(connections.clone()),
            median(requests.clone())
        );
    }
    let ratio = |a: &[f64], b: &[f64]| median(a.iter().zip(b).map(|(x, y)| x / y).collect());
    println!();
    println!(
        "median ratio mutual/plain on the same endpoint (/v1/health): new connections {:.2}, kept-alive requests {:.2}",
        ratio(&figures[0].0, &figures[1].0),
        ratio(&figures[0].1, &figures[1].1)
    );
    println!(
        "median ratio authenticated whoami (per-request revocation lookup) / plain health: new connections {:.2}, kept-alive requests {:.2}",
        ratio(&figures[2].0, &figures[1].0),
        ratio(&figures[2].1, &figures[1].1)
    );
    println!();
    runtime.shutdown_timeout(Duration::from_secs(1));
}

/// Starts the service (mutual TLS) and the same router on plain TLS; writes the client's files.
async fn start_servers(dir: &Path) -> (SocketAddr, SocketAddr) {
    let now = Utc::now();
    let store = SqliteStore::open(&format!("sqlite:{}", dir.join("bench.db").display()))
        .await
        .expect("store")
        .with_log_signer(std::sync::Arc::new(
            placeforte_central::audit::ephemeral_log_signer("placeforte.bench/audit")
                .expect("log key"),
        ));
    let (ca, ca_files) = DeviceCa::generate(now).expect("CA");
    let server = ca
        .issue_server_certificate(&["127.0.0.1".to_owned()], now)
        .expect("server certificate");
    let identity = ServerIdentity::from_pem(&server.certificate_pem, server.key_pem.expose())
        .expect("identity");

    // One enrolled device, enrolled the way the endpoint does it.
    let operator = operator::Operator("bench".to_owned());
    let daycare = operator::add_daycare(
        &store,
        &operator,
        now,
        "CPE Banc d'essai",
        "Laval",
        [10, 30, 15, 0],
    )
    .await
    .expect("daycare");
    let device =
        service::enrol_device(&store, &ca, &ca_files.certificate_pem, daycare.id, now).await;
    std::fs::write(dir.join("ca.pem"), &ca_files.certificate_pem).expect("write");
    std::fs::write(dir.join("device.pem"), &device.chain_pem).expect("write");
    std::fs::write(dir.join("device.key"), &device.key_pem).expect("write");

    let state = service::state(store, ca);
    let limits = ConnectionLimits {
        handshake: Duration::from_secs(10),
        idle: Duration::from_secs(60),
        ..ConnectionLimits::default()
    };
    let api_addr = service::start_api(state.clone(), &identity, limits).await;

    let plain_tcp = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let plain = TlsListener::new(
        plain_tcp,
        tls::server_only_tls_config(&identity).expect("plain TLS config"),
        ConnectionLimits {
            handshake: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            ..ConnectionLimits::default()
        },
    )
    .expect("listener");
    let plain_addr = axum::serve::Listener::local_addr(&plain).expect("addr");
    tokio::spawn(serve(plain, app(state), std::future::pending()));
    (api_addr, plain_addr)
}

/// Runs one timed client run in a child process; returns operations per second.
fn run_client(dir: &Path, mode: &str, addr: SocketAddr, with_cert: bool, path: &str) -> f64 {
    let exe = std::env::current_exe().expect("current exe");
    let output = Command::new(exe)
        .arg("client")
        .arg(mode)
        .arg(addr.to_string())
        .arg(dir)
        .arg(if with_cert { "cert" } else { "nocert" })
        .arg(path)
        .output()
        .expect("client process");
    assert!(
        output.status.success(),
        "client failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .expect("client result")
}

fn client_main(args: &[String]) {
    let [mode, addr, dir, cert, path] = args else {
        panic!("usage: client connections|requests ADDR DIR cert|nocert PATH");
    };
    let addr: SocketAddr = addr.parse().expect("addr");
    let dir = Path::new(dir);
    let ca = std::fs::read_to_string(dir.join("ca.pem")).expect("ca");
    let chain = std::fs::read_to_string(dir.join("device.pem")).expect("chain");
    let key = std::fs::read_to_string(dir.join("device.key")).expect("key");
    let config = client_config(
        &ca,
        (cert == "cert").then_some((chain.as_str(), key.as_str())),
    );
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime");
    let per_second = runtime.block_on(async move {
        let done = Arc::new(AtomicU64::new(0));
        let deadline = Instant::now() + Duration::from_secs_f64(RUN_SECONDS);
        let started = Instant::now();
        let mut loops = Vec::new();
        for _ in 0..CLIENT_LOOPS {
            let config = Arc::clone(&config);
            let done = Arc::clone(&done);
            let path = path.clone();
            let fresh_connections = mode == "connections";
            loops.push(tokio::spawn(async move {
                let mut connection = RawConnection::connect(addr, Arc::clone(&config))
                    .await
                    .expect("connect");
                while Instant::now() < deadline {
                    if fresh_connections {
                        connection = RawConnection::connect(addr, Arc::clone(&config))
                            .await
                            .expect("connect");
                    }
                    let response = connection.get(&path).await.expect("request");
                    assert_eq!(response.status, 200, "{}", response.text());
                    done.fetch_add(1, Ordering::Relaxed);
                }
            }));
        }
        for handle in loops {
            handle.await.expect("client loop");
        }
        done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64()
    });
    println!("{per_second}");
}

// ---------------------------------------------------------------------------------------------
// Seeding

fn seed_benchmarks() {
    println!("# seed --registrations 88000 --daycares 3000 --seed 42 (the CLI, wall clock, median of {SEED_RUNS})");
    println!("| backend | median s | runs s |");
    println!("|---|---:|---|");
    let sqlite_runs: Vec<f64> = (0..SEED_RUNS)
        .map(|_| {
            let dir = tempfile::tempdir().expect("tempdir");
            let url = format!("sqlite:{}", dir.path().join("central.db").display());
            time_seed(dir.path(), &url)
        })
        .collect();
    report("SQLite (file, WAL)", sqlite_runs);
    match std::env::var("PLACEFORTE_TEST_POSTGRES_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            let runs: Vec<f64> = (0..SEED_RUNS)
                .map(|run| {
                    let name = format!("seed_bench_{}_{run}", std::process::id());
                    runtime.block_on(async {
                        use sqlx::Connection as _;
                        let mut admin = sqlx::PgConnection::connect(&admin_url).await.expect("connect");
                        sqlx::query(&format!("CREATE DATABASE {name}"))
                            .execute(&mut admin)
                            .await
                            .expect("create database");
                    });
                    let base = admin_url.rsplit_once('/').map_or(admin_url.as_str(), |(b, _)| b);
                    let dir = tempfile::tempdir().expect("tempdir");
                    time_seed(dir.path(), &format!("{base}/{name}"))
                })
                .collect();
            report("PostgreSQL 15 (local, fsync off)", runs);
        }
        _ => println!("| PostgreSQL | skipped: PLACEFORTE_TEST_POSTGRES_URL not set (use scripts/bench.sh) | |"),
    }
}

fn time_seed(data_dir: &Path, database_url: &str) -> f64 {
    // Seeding is audited: the CLI needs the log key `init` would make.
    let key = data_dir.join("audit-log.key");
    if !key.exists() {
        placeforte_central::audit::generate_log_key(
            "placeforte.bench/audit",
            &key,
            &data_dir.join("audit-log.vkey"),
        )
        .expect("log key");
    }
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_placeforte-central"))
        .args([
            "seed",
            "--registrations",
            "88000",
            "--daycares",
            "3000",
            "--seed",
            "42",
        ])
        .env("PLACEFORTE_DATA_DIR", data_dir)
        .env("DATABASE_URL", database_url)
        .env("RUST_LOG", "warn")
        .output()
        .expect("seed");
    let elapsed = started.elapsed().as_secs_f64();
    assert!(
        output.status.success(),
        "seed failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    elapsed
}

fn report(backend: &str, runs: Vec<f64>) {
    let shown: Vec<String> = runs.iter().map(|s| format!("{s:.2}")).collect();
    println!(
        "| {backend} | {:.2} | {} |",
        median(runs.clone()),
        shown.join(", ")
    );
}
