//! A bare HTTP/1.1 client on one TLS connection: tests and benchmarks need to know that two
//! requests went over the same connection, and to see the exact TLS alert of a refusal.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use rustls::{ClientConfig, RootCertStore};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;
use tokio_rustls::TlsConnector;

/// TLS 1.3 client config trusting `ca_pem`, presenting `identity` = (chain PEM, key PEM) if given.
/// Session resumption is off so every connection is a full handshake.
pub fn client_config(ca_pem: &str, identity: Option<(&str, &str)>) -> Arc<ClientConfig> {
    let mut roots = RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(ca_pem.as_bytes()) {
        roots.add(cert.expect("CA PEM")).expect("CA certificate");
    }
    let builder =
        ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_protocol_versions(&[&rustls::version::TLS13])
            .expect("TLS 1.3")
            .with_root_certificates(roots);
    let mut config = match identity {
        Some((chain_pem, key_pem)) => {
            let chain = CertificateDer::pem_slice_iter(chain_pem.as_bytes())
                .collect::<Result<Vec<_>, _>>()
                .expect("chain PEM");
            let key = PrivateKeyDer::from_pem_slice(key_pem.as_bytes()).expect("key PEM");
            builder
                .with_client_auth_cert(chain, key)
                .expect("client certificate")
        }
        None => builder.with_no_client_auth(),
    };
    config.resumption = rustls::client::Resumption::disabled();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Arc::new(config)
}

/// One kept-alive HTTP/1.1 connection over TLS.
#[derive(Debug)]
pub struct RawConnection {
    stream: BufReader<TlsStream<TcpStream>>,
}

/// A response: status and body.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub body: Vec<u8>,
}

impl RawResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

impl RawConnection {
    pub async fn connect(addr: SocketAddr, config: Arc<ClientConfig>) -> io::Result<RawConnection> {
        let tcp = TcpStream::connect(addr).await?;
        tcp.set_nodelay(true)?;
        let name = ServerName::IpAddress(addr.ip().into());
        let tls = TlsConnector::from(config).connect(name, tcp).await?;
        Ok(RawConnection {
            stream: BufReader::new(tls),
        })
    }

    pub async fn get(&mut self, path: &str) -> io::Result<RawResponse> {
        self.send("GET", path, None).await
    }

    pub async fn post_json(&mut self, path: &str, body: &str) -> io::Result<RawResponse> {
        self.send("POST", path, Some(body)).await
    }

    async fn send(
        &mut self,
        method: &str,
        path: &str,
        body: Option<&str>,
    ) -> io::Result<RawResponse> {
        let mut request = format!("{method} {path} HTTP/1.1\r\nHost: placeforte\r\n");
        if let Some(body) = body {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        } else {
            request.push_str("\r\n");
        }
        let stream = self.stream.get_mut();
        stream.write_all(request.as_bytes()).await?;
        stream.flush().await?;
        let mut status_line = String::new();
        if self.stream.read_line(&mut status_line).await? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "connection closed",
            ));
        }
        let status = status_line
            .split_whitespace()
            .nth(1)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidData, status_line.clone()))?;
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if self.stream.read_line(&mut line).await? == 0 {
                return Err(io::Error::new(io::ErrorKind::UnexpectedEof, "headers cut"));
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    length = value.trim().parse().unwrap_or(0);
                }
            }
        }
        let mut body = vec![0; length];
        self.stream.read_exact(&mut body).await?;
        Ok(RawResponse { status, body })
    }
}

/// The TLS alert the server sent, if `error` is one.
pub fn received_alert(error: &io::Error) -> Option<rustls::AlertDescription> {
    match error.get_ref()?.downcast_ref::<rustls::Error>()? {
        rustls::Error::AlertReceived(alert) => Some(*alert),
        _ => None,
    }
}
