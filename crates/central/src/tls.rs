//! TLS for both listeners: TLS 1.3 only, ring provider; the API listener requires a client
//! certificate from the device CA, with clientAuth usage and a device name.
//!
//! The handshake runs in its own task with a timeout, so a slow or silent client cannot stall
//! the accept loop; only completed handshakes reach the HTTP layer. Connections over the caps
//! (overall, per peer address, handshakes in progress) are closed as soon as accepted, before
//! the handshake costs anything.

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use rustls::client::danger::HandshakeSignatureValid;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::server::WebPkiClientVerifier;
use rustls::{
    CertificateError, DigitallySignedStruct, DistinguishedName, RootCertStore, ServerConfig,
    SignatureScheme,
};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinHandle;
use tokio_rustls::server::TlsStream;
use tokio_rustls::TlsAcceptor;

use crate::identity::{CertificateShapeError, CertifiedDevice};
use crate::idle::IdleTimeout;

/// TLS set-up failed; the message names the file.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    /// A PEM file could not be read or holds nothing usable.
    #[error("cannot load the {what} from {path}: {reason}")]
    Pem {
        /// Which file.
        what: &'static str,
        /// The file's path.
        path: String,
        /// What is wrong with it.
        reason: String,
    },
    /// rustls refused the configuration.
    #[error("TLS configuration refused: {0}")]
    Rustls(#[from] rustls::Error),
    /// The client verifier could not be built.
    #[error("client certificate verifier: {0}")]
    Verifier(#[from] rustls::server::VerifierBuilderError),
}

/// The service's own certificate chain and key.
pub struct ServerIdentity {
    chain: Vec<CertificateDer<'static>>,
    key: PrivateKeyDer<'static>,
}

impl fmt::Debug for ServerIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ServerIdentity")
            .field("chain_len", &self.chain.len())
            .field("key", &"<redacted>")
            .finish()
    }
}

impl ServerIdentity {
    /// From PEM text: a chain (leaf first) and a private key.
    pub fn from_pem(chain_pem: &str, key_pem: &str) -> Result<ServerIdentity, TlsSetupError> {
        ServerIdentity::parse(
            chain_pem.as_bytes(),
            key_pem.as_bytes(),
            "<memory>",
            "<memory>",
        )
    }

    /// From two PEM files.
    pub fn load(chain_path: &Path, key_path: &Path) -> Result<ServerIdentity, TlsSetupError> {
        let read = |what, path: &Path| {
            std::fs::read(path).map_err(|e| TlsSetupError::Pem {
                what,
                path: path.display().to_string(),
                reason: e.to_string(),
            })
        };
        let chain = read("server certificate", chain_path)?;
        let key = read("server private key", key_path)?;
        ServerIdentity::parse(
            &chain,
            &key,
            &chain_path.display().to_string(),
            &key_path.display().to_string(),
        )
    }

    fn parse(
        chain: &[u8],
        key: &[u8],
        chain_path: &str,
        key_path: &str,
    ) -> Result<ServerIdentity, TlsSetupError> {
        let chain = CertificateDer::pem_slice_iter(chain)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| TlsSetupError::Pem {
                what: "server certificate",
                path: chain_path.to_owned(),
                reason: e.to_string(),
            })?;
        if chain.is_empty() {
            return Err(TlsSetupError::Pem {
                what: "server certificate",
                path: chain_path.to_owned(),
                reason: "no certificate in it".to_owned(),
            });
        }
        let key = PrivateKeyDer::from_pem_slice(key).map_err(|e| TlsSetupError::Pem {
            what: "server private key",
            path: key_path.to_owned(),
            reason: e.to_string(),
        })?;
        Ok(ServerIdentity { chain, key })
    }
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Server config of the API listener: a device certificate is required.
pub fn mutual_tls_config(
    device_ca: &CertificateDer<'static>,
    identity: &ServerIdentity,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let mut roots = RootCertStore::empty();
    roots.add(device_ca.clone())?;
    let webpki =
        WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider()).build()?;
    let verifier = Arc::new(DeviceCertVerifier { webpki });
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_client_cert_verifier(verifier)
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
    Ok(finish(config))
}

/// Server config of the enrolment listener (and of the plain-TLS benchmark): server
/// authentication only.
pub fn server_only_tls_config(
    identity: &ServerIdentity,
) -> Result<Arc<ServerConfig>, TlsSetupError> {
    let config = ServerConfig::builder_with_provider(provider())
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(identity.chain.clone(), identity.key.clone_key())?;
    Ok(finish(config))
}

fn finish(mut config: ServerConfig) -> Arc<ServerConfig> {
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// webpki's verification, then ours: an explicit clientAuth usage and a device name. webpki
/// alone accepts a certificate that carries no extended key usage at all.
#[derive(Debug)]
struct DeviceCertVerifier {
    webpki: Arc<dyn ClientCertVerifier>,
}

impl ClientCertVerifier for DeviceCertVerifier {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        self.webpki.root_hint_subjects()
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        let verified = self
            .webpki
            .verify_client_cert(end_entity, intermediates, now)?;
        // A daycare's device, or the province's intake client: each extractor then accepts
        // only its own kind.
        if crate::intake::identity::CertifiedIntakeClient::from_der(end_entity).is_ok() {
            return Ok(verified);
        }
        match CertifiedDevice::from_der(end_entity) {
            Ok(_) => Ok(verified),
            Err(CertificateShapeError::NotForClientAuth) => Err(rustls::Error::InvalidCertificate(
                CertificateError::InvalidPurpose,
            )),
            Err(_) => Err(rustls::Error::InvalidCertificate(
                CertificateError::ApplicationVerificationFailure,
            )),
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.webpki.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.webpki.supported_verify_schemes()
    }
}

/// Limits on every accepted connection: how long each stage may take and how many may be open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionLimits {
    /// Longest a TLS handshake may take.
    pub handshake: Duration,
    /// Longest a request's headers may take to arrive, from their first byte (hyper's
    /// header-read timeout: bytes dribbled one at a time do not extend it).
    pub header_read: Duration,
    /// A connection gets this long after its handshake, and after each answer written, to
    /// send its next request in full; reading does not extend it, so dribbling a request
    /// cannot keep a connection open.
    pub idle: Duration,
    /// Connections open at once (handshaking or established), all peers together.
    pub max_connections: usize,
    /// Connections open at once from one peer address.
    pub max_connections_per_peer: usize,
    /// TLS handshakes in progress at once, all peers together.
    pub max_handshakes: usize,
}

/// A TLS handshake is a round trip or two; 10 s covers a slow mobile link, not a dribbler.
pub const DEFAULT_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Request headers are a few hundred bytes sent at once; 10 s covers any real client.
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);
/// A workstation syncs every few minutes at most; a minute keeps its connection warm between
/// a burst of calls without holding idle sockets for long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);
/// About 100 KiB of TLS and HTTP buffers each: 2048 connections stay under a few hundred MiB,
/// well above the province's few thousand workstations' actual concurrency.
pub const DEFAULT_MAX_CONNECTIONS: usize = 2048;
/// A daycare site's workstations may share one address behind NAT: a dozen workstations with a
/// few connections each; one peer cannot take more than a thirtieth of the overall cap.
pub const DEFAULT_MAX_CONNECTIONS_PER_PEER: usize = 64;
/// A handshake costs a signature and a certificate verification: 256 at once keeps two cores
/// busy without queueing established connections' requests behind them.
pub const DEFAULT_MAX_HANDSHAKES: usize = 256;

impl Default for ConnectionLimits {
    fn default() -> Self {
        ConnectionLimits {
            handshake: DEFAULT_HANDSHAKE_TIMEOUT,
            header_read: DEFAULT_HEADER_READ_TIMEOUT,
            idle: DEFAULT_IDLE_TIMEOUT,
            max_connections: DEFAULT_MAX_CONNECTIONS,
            max_connections_per_peer: DEFAULT_MAX_CONNECTIONS_PER_PEER,
            max_handshakes: DEFAULT_MAX_HANDSHAKES,
        }
    }
}

/// An established connection: TLS over TCP, closed when it does not send a request in time,
/// holding its place in the connection counts until dropped.
#[derive(Debug)]
pub struct Connection {
    stream: IdleTimeout<TlsStream<TcpStream>>,
    _slot: ConnectionSlot,
}

impl Connection {
    /// The TLS session (for the peer's certificate).
    pub fn tls(&self) -> &TlsStream<TcpStream> {
        self.stream.get_ref()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// How many connections are open, overall and per peer address.
#[derive(Debug, Default)]
struct OpenConnections {
    overall: usize,
    per_peer: HashMap<IpAddr, usize>,
}

/// One open connection's place in [`OpenConnections`], given back when dropped.
#[derive(Debug)]
struct ConnectionSlot {
    open: Arc<Mutex<OpenConnections>>,
    peer: IpAddr,
}

impl ConnectionSlot {
    /// A place for a new connection from `peer`, or `None` when a cap is reached.
    fn claim(
        open: &Arc<Mutex<OpenConnections>>,
        peer: IpAddr,
        limits: &ConnectionLimits,
    ) -> Option<ConnectionSlot> {
        let mut counts = lock(open);
        if counts.overall >= limits.max_connections {
            return None;
        }
        let from_peer = counts.per_peer.entry(peer).or_insert(0);
        if *from_peer >= limits.max_connections_per_peer {
            return None;
        }
        *from_peer += 1;
        counts.overall += 1;
        Some(ConnectionSlot {
            open: Arc::clone(open),
            peer,
        })
    }
}

impl Drop for ConnectionSlot {
    fn drop(&mut self) {
        let mut counts = lock(&self.open);
        counts.overall = counts.overall.saturating_sub(1);
        if let Some(from_peer) = counts.per_peer.get_mut(&self.peer) {
            *from_peer = from_peer.saturating_sub(1);
            if *from_peer == 0 {
                counts.per_peer.remove(&self.peer);
            }
        }
    }
}

/// The counts stay consistent even if a holder panicked: each update is one statement.
fn lock(open: &Mutex<OpenConnections>) -> std::sync::MutexGuard<'_, OpenConnections> {
    open.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A TCP listener that yields only connections whose TLS handshake completed, within the
/// caps of its [`ConnectionLimits`].
#[derive(Debug)]
pub struct TlsListener {
    local_addr: SocketAddr,
    limits: ConnectionLimits,
    established: mpsc::Receiver<(Connection, SocketAddr)>,
    accept_loop: JoinHandle<()>,
}

impl TlsListener {
    /// Wraps `tcp`: handshakes with `config` within `limits`.
    pub fn new(
        tcp: TcpListener,
        config: Arc<ServerConfig>,
        limits: ConnectionLimits,
    ) -> io::Result<TlsListener> {
        let local_addr = tcp.local_addr()?;
        let (sender, established) = mpsc::channel(64);
        let acceptor = TlsAcceptor::from(config);
        let open = Arc::new(Mutex::new(OpenConnections::default()));
        let handshakes = Arc::new(Semaphore::new(limits.max_handshakes));
        let accept_loop = tokio::spawn(async move {
            loop {
                let (stream, remote) = tokio::select! {
                    () = sender.closed() => return,
                    accepted = tcp.accept() => match accepted {
                        Ok(accepted) => accepted,
                        Err(error) => {
                            // Typically out of file descriptors: back off instead of spinning.
                            tracing::warn!(%error, "accept failed");
                            tokio::time::sleep(Duration::from_millis(50)).await;
                            continue;
                        }
                    },
                };
                // Refused before anything is read or computed: dropping the socket closes it.
                let Some(slot) = ConnectionSlot::claim(&open, remote.ip(), &limits) else {
                    tracing::info!(%remote, "connection refused: too many open");
                    crate::metrics::connection_refused("too_many_open");
                    continue;
                };
                let Ok(handshaking) = Arc::clone(&handshakes).try_acquire_owned() else {
                    tracing::info!(%remote, "connection refused: too many handshakes");
                    crate::metrics::connection_refused("too_many_handshakes");
                    continue;
                };
                // Small requests and answers: do not wait for Nagle.
                let _ = stream.set_nodelay(true);
                let acceptor = acceptor.clone();
                let sender = sender.clone();
                tokio::spawn(async move {
                    let handshake = acceptor.accept(stream).into_fallible();
                    let outcome = tokio::time::timeout(limits.handshake, handshake).await;
                    drop(handshaking);
                    match outcome {
                        Ok(Ok(tls)) => {
                            let connection = Connection {
                                stream: IdleTimeout::new(tls, limits.idle),
                                _slot: slot,
                            };
                            let _ = sender.send((connection, remote)).await;
                        }
                        Ok(Err((error, tcp))) => {
                            tracing::info!(%remote, %error, "TLS handshake refused");
                            crate::metrics::handshake_refused();
                            close_after_alert(tcp).await;
                        }
                        Err(_) => {
                            tracing::info!(%remote, "TLS handshake timed out");
                            crate::metrics::handshake_refused();
                        }
                    }
                });
            }
        });
        Ok(TlsListener {
            local_addr,
            limits,
            established,
            accept_loop,
        })
    }

    /// The limits this listener was made with.
    pub fn limits(&self) -> ConnectionLimits {
        self.limits
    }

    /// The next established connection and its peer.
    pub async fn next(&mut self) -> (Connection, SocketAddr) {
        match self.established.recv().await {
            Some(connection) => connection,
            // The accept loop only ends when this listener is dropped, so this cannot be
            // reached while `next` is being awaited; never resolve rather than panic.
            None => std::future::pending().await,
        }
    }
}

/// How long a refused connection is kept open for its peer to read our alert, at most.
const ALERT_LINGER: Duration = Duration::from_secs(2);
/// How much of what a refused peer had already sent is read and discarded, at most.
const ALERT_LINGER_BYTES: usize = 64 * 1024;

/// Closes a connection whose handshake was refused so that the peer reads the alert saying why.
///
/// A TLS 1.3 client sends its request as soon as it has sent its certificate, before the server
/// has judged it. Dropping the socket with that request unread makes the kernel answer with a
/// reset, which can reach the client before it has read the alert: the workstation would see a
/// reset connection instead of a refused certificate. So the write side is closed first,
/// after the alert, and what the peer sent is read and discarded until it closes too, bounded
/// in time and bytes (a peer without a certificate holds a task no longer than this).
async fn close_after_alert(mut tcp: TcpStream) {
    let _ = tcp.shutdown().await;
    let _ = tokio::time::timeout(ALERT_LINGER, async {
        let mut discard = [0u8; 4096];
        let mut read = 0;
        while read < ALERT_LINGER_BYTES {
            match tcp.read(&mut discard).await {
                Ok(0) | Err(_) => break,
                Ok(n) => read += n,
            }
        }
    })
    .await;
}

impl Drop for TlsListener {
    fn drop(&mut self) {
        self.accept_loop.abort();
    }
}

impl Listener for TlsListener {
    type Io = Connection;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        self.next().await
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        Ok(self.local_addr)
    }
}

/// What axum learns about a connection: who is at the other end.
#[derive(Debug, Clone)]
pub struct TlsPeer {
    /// Remote socket address.
    pub remote_addr: SocketAddr,
    /// The device certificate, if the connection presented one (API listener only).
    pub(crate) device: Option<CertifiedDevice>,
    /// The intake client certificate, if the connection presented one (API listener only).
    pub(crate) intake: Option<crate::intake::identity::CertifiedIntakeClient>,
}

impl TlsPeer {
    /// Who is at the other end of `connection`.
    pub fn of(connection: &Connection, remote_addr: SocketAddr) -> TlsPeer {
        let (_, session) = connection.tls().get_ref();
        let leaf = session.peer_certificates().and_then(|chain| chain.first());
        let device = leaf.and_then(|leaf| CertifiedDevice::from_der(leaf).ok());
        let intake = leaf
            .and_then(|leaf| crate::intake::identity::CertifiedIntakeClient::from_der(leaf).ok());
        TlsPeer {
            remote_addr,
            device,
            intake,
        }
    }
}

impl Connected<IncomingStream<'_, TlsListener>> for TlsPeer {
    fn connect_info(stream: IncomingStream<'_, TlsListener>) -> Self {
        TlsPeer::of(stream.io(), *stream.remote_addr())
    }
}
