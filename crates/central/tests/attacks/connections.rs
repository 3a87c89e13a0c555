//! Finding 5 of the insider review: exhaustion. Hostile connections (silent TCP, TLS
//! handshakes dribbled a byte at a time, requests dribbled after the handshake) must neither
//! lock an enrolled workstation out nor stay open past the limits.
//!
//! The hostile connections come from other loopback addresses (127.0.0.2 and up: all of
//! 127.0.0.0/8 reaches the service) so that the per-address cap applies to them and not to
//! the workstation on 127.0.0.1, as it would to an attacker on another network.

use crate::alerts::{sample, scrape};
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use placeforte_central::store::Storage;
use placeforte_central::ConnectionLimits;
use rustls::pki_types::ServerName;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpSocket, TcpStream};
use tokio::task::JoinSet;
use tokio_rustls::TlsConnector;

use crate::common::raw_http::client_config;
use crate::common::{test_connection_limits, test_lifetimes, Harness, HEADER_READ_TIMEOUT};
use crate::on_both_backends;

on_both_backends!(
    a_workstation_is_served_while_500_hostile_connections_are_open,
    dribbled_headers_are_cut_at_the_header_read_timeout,
    a_dribbled_body_gets_no_more_time_than_silence,
    connections_over_the_per_peer_cap_are_closed_at_once,
    connections_over_the_overall_cap_are_closed_at_once,
);

/// How long the hostile side waits between two dribbled bytes: well under every timeout, so
/// that only a limit that dribbling cannot extend closes the connection.
const DRIBBLE: Duration = Duration::from_millis(200);
/// Slack for scheduling on a loaded machine (two cores shared by the whole team).
const SLACK: Duration = Duration::from_secs(3);

/// A TCP connection to `to` from the loopback address `127.0.0.<host>`.
async fn tcp_from(host: u8, to: SocketAddr) -> io::Result<TcpStream> {
    let socket = TcpSocket::new_v4()?;
    socket.bind(SocketAddr::new(
        IpAddr::V4(Ipv4Addr::new(127, 0, 0, host)),
        0,
    ))?;
    socket.connect(to).await
}

/// Sends `prefix`, then one byte of `dribble` every [`DRIBBLE`], until the service closes the
/// connection; returns how long it stayed open, or `None` if it was still open at `give_up`.
async fn dribble_until_closed<T: AsyncRead + AsyncWrite + Unpin>(
    mut stream: T,
    prefix: &[u8],
    dribble: u8,
    give_up: Duration,
) -> Option<Duration> {
    let start = Instant::now();
    let closed = async {
        if stream.write_all(prefix).await.is_err() {
            return;
        }
        let _ = stream.flush().await;
        let mut buf = [0u8; 512];
        loop {
            tokio::select! {
                read = stream.read(&mut buf) => match read {
                    Ok(0) | Err(_) => return,
                    // An answer (a 408, say) before closing: keep reading until the close.
                    Ok(_) => continue,
                },
                () = tokio::time::sleep(DRIBBLE) => {
                    if stream.write_all(&[dribble]).await.is_err() || stream.flush().await.is_err() {
                        return;
                    }
                }
            }
        }
    };
    tokio::time::timeout(give_up, closed)
        .await
        .ok()
        .map(|()| start.elapsed())
}

/// Waits until the service closes a connection on which nothing is sent.
async fn silent_until_closed(stream: TcpStream, give_up: Duration) -> Option<Duration> {
    let start = Instant::now();
    let mut stream = stream;
    let mut buf = [0u8; 64];
    let closed = async {
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(_) => continue,
            }
        }
    };
    tokio::time::timeout(give_up, closed)
        .await
        .ok()
        .map(|()| start.elapsed())
}

/// A TLS session to the enrolment listener from `127.0.0.<host>`.
async fn enrolment_tls<S: Storage>(
    h: &Harness<S>,
    host: u8,
) -> io::Result<tokio_rustls::client::TlsStream<TcpStream>> {
    let addr = h.service.enrolment_addr;
    let tcp = tcp_from(host, addr).await?;
    TlsConnector::from(client_config(h.ca_pem(), None))
        .connect(ServerName::IpAddress(addr.ip().into()), tcp)
        .await
}

/// A TLS record header announcing a ClientHello far longer than what will ever be sent.
const HANDSHAKE_RECORD_START: [u8; 5] = [0x16, 0x03, 0x01, 0x3f, 0xff];
/// Headers that never end.
const ENDLESS_HEADERS: &[u8] = b"POST /v1/enrol HTTP/1.1\r\nHost: placeforte\r\nX-Padding: ";

async fn a_workstation_is_served_while_500_hostile_connections_are_open<S: Storage>(h: Harness<S>) {
    let test_start = Instant::now();
    let device = h.enrolled_device().await;
    let limits = test_connection_limits();
    // Every hostile connection must be closed by a limit: the handshake timeout for those
    // that never finish a handshake, the header-read or idle timeout for the others. The
    // margin is wide: 500 connections on both backends at once on two shared cores.
    let give_up = limits.handshake + 3 * SLACK;
    let mut hostile = JoinSet::new();
    let mut opened = 0;
    // 150 silent TCP connections and 100 dribbled handshakes on the API listener, 100 silent
    // TCP connections and 150 TLS sessions dribbling headers on the enrolment listener: 250
    // handshakes at most on each, under the handshake cap with room for the workstation's; 50
    // per address, under the per-address cap.
    let plan: [(usize, &str); 4] = [
        (150, "api-silent"),
        (100, "api-handshake-dribble"),
        (100, "enrolment-silent"),
        (150, "enrolment-header-dribble"),
    ];
    assert!(250 < limits.max_handshakes);
    let mut host = 2u8;
    for (count, kind) in plan {
        for n in 0..count {
            if n % 50 == 0 && n > 0 {
                host += 1;
            }
            let (api, enrolment) = (h.service.api_addr, h.service.enrolment_addr);
            let tls = TlsConnector::from(client_config(h.ca_pem(), None));
            // Opened concurrently, so that all 500 are open at once.
            hostile.spawn(async move {
                let open_for = match kind {
                    "api-silent" => silent_until_closed(tcp_from(host, api).await?, give_up).await,
                    "enrolment-silent" => {
                        silent_until_closed(tcp_from(host, enrolment).await?, give_up).await
                    }
                    "api-handshake-dribble" => {
                        let stream = tcp_from(host, api).await?;
                        dribble_until_closed(stream, &HANDSHAKE_RECORD_START, 0, give_up).await
                    }
                    _ => {
                        let tcp = tcp_from(host, enrolment).await?;
                        let name = ServerName::IpAddress(enrolment.ip().into());
                        let stream = tls.connect(name, tcp).await?;
                        dribble_until_closed(stream, ENDLESS_HEADERS, b'a', give_up).await
                    }
                };
                Ok::<_, io::Error>((kind, open_for))
            });
            opened += 1;
        }
        host += 1;
    }
    assert_eq!(opened, 500);

    // The workstation, meanwhile: new connections and kept-alive ones are served at once.
    for _ in 0..3 {
        let started = Instant::now();
        let mut connection = tokio::time::timeout(SLACK, h.api_connection(&device))
            .await
            .expect("the workstation's handshake waited")
            .expect("the workstation could not connect");
        for _ in 0..3 {
            let response = tokio::time::timeout(SLACK, connection.get("/v1/device/whoami"))
                .await
                .expect("the workstation's request waited")
                .expect("whoami");
            assert_eq!(response.status, 200, "{}", response.text());
        }
        assert!(
            started.elapsed() < SLACK,
            "served in {:?}",
            started.elapsed()
        );
        let enrolment = h.anonymous_client();
        let health =
            tokio::time::timeout(SLACK, enrolment.get(h.enrolment_url("/v1/health")).send())
                .await
                .expect("the enrolment listener's answer waited")
                .expect("health");
        assert_eq!(health.status(), 200);
    }

    // Every hostile connection was closed by a limit, in bounded time.
    let mut longest = Duration::ZERO;
    while let Some(joined) = hostile.join_next().await {
        let (kind, open_for) = joined
            .expect("hostile task")
            .expect("a hostile connection could not be opened");
        let open_for = open_for.unwrap_or_else(|| panic!("a {kind} connection is still open"));
        longest = longest.max(open_for);
    }
    assert!(longest <= give_up, "{longest:?}");
    eprintln!("hostile connections closed within {longest:?}");
    assert!(
        test_start.elapsed() < Duration::from_secs(30),
        "the test itself took {:?}",
        test_start.elapsed()
    );
}

async fn dribbled_headers_are_cut_at_the_header_read_timeout<S: Storage>(h: Harness<S>) {
    let stream = enrolment_tls(&h, 1).await.expect("TLS");
    let open_for = dribble_until_closed(stream, ENDLESS_HEADERS, b'a', HEADER_READ_TIMEOUT * 4)
        .await
        .expect("dribbled headers kept the connection open");
    assert!(open_for <= HEADER_READ_TIMEOUT + SLACK, "{open_for:?}");
}

async fn a_dribbled_body_gets_no_more_time_than_silence<S: Storage>(h: Harness<S>) {
    let idle = test_connection_limits().idle;
    let stream = enrolment_tls(&h, 1).await.expect("TLS");
    let headers = b"POST /v1/enrol HTTP/1.1\r\nHost: placeforte\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{";
    let open_for = dribble_until_closed(stream, headers, b' ', idle * 4)
        .await
        .expect("a dribbled body kept the connection open");
    assert!(open_for <= idle + SLACK, "{open_for:?}");
}

/// The limits of the cap tests: small caps, and a handshake timeout long enough that only a
/// cap can explain a connection closed at once.
fn small_caps(per_peer: usize, overall: usize) -> ConnectionLimits {
    ConnectionLimits {
        handshake: Duration::from_secs(20),
        max_connections_per_peer: per_peer,
        max_connections: overall,
        ..test_connection_limits()
    }
}

/// Whether the service closed `stream` within a second (it sends nothing first).
async fn closed_at_once(stream: TcpStream) -> bool {
    silent_until_closed(stream, Duration::from_secs(1))
        .await
        .is_some()
}

async fn connections_over_the_per_peer_cap_are_closed_at_once<S: Storage>(mut h: Harness<S>) {
    let device = h.enrolled_device().await;
    h.restart_with(small_caps(4, 100), test_lifetimes()).await;
    let api = h.service.api_addr;
    let metrics = h.service.metrics_addr.expect("metrics listener");
    let series = "placeforte_connection_refusals_total{reason=\"too_many_open\"}";
    let refused_before = sample(&scrape(metrics).await, series);
    let mut held = Vec::new();
    for _ in 0..4 {
        held.push(tcp_from(2, api).await.expect("connect"));
    }
    // Give the accept loop time to count them.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let extra = tcp_from(2, api).await.expect("the kernel accepts");
    assert!(
        closed_at_once(extra).await,
        "a fifth connection from one address was kept"
    );
    // The operator sees it (other tests of this process count too: at least ours).
    assert!(sample(&scrape(metrics).await, series) >= refused_before + 1.0);
    // Another address is not affected.
    let mut connection = h.api_connection(&device).await.expect("connect");
    assert_eq!(
        connection
            .get("/v1/device/whoami")
            .await
            .expect("whoami")
            .status,
        200
    );
    // The held ones are not closed by the cap (only by the handshake timeout, later).
    let still_open = tcp_from(3, api).await.expect("connect");
    assert!(!closed_at_once(still_open).await);
    drop(held);
}

async fn connections_over_the_overall_cap_are_closed_at_once<S: Storage>(mut h: Harness<S>) {
    let device = h.enrolled_device().await;
    h.restart_with(small_caps(100, 6), test_lifetimes()).await;
    let api = h.service.api_addr;
    let mut held = Vec::new();
    for host in 2..8u8 {
        held.push(tcp_from(host, api).await.expect("connect"));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let extra = tcp_from(9, api).await.expect("the kernel accepts");
    assert!(closed_at_once(extra).await, "a seventh connection was kept");
    // Once hostile ones are gone, the places are given back.
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut connection = h.api_connection(&device).await.expect("connect");
    assert_eq!(
        connection
            .get("/v1/device/whoami")
            .await
            .expect("whoami")
            .status,
        200
    );
}
