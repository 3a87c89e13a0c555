//! The HTTP client to one listener of the central service, over a given TLS configuration,
//! with the service's `{code, message}` refusals turned into [`DeskError`]s.

use std::sync::Arc;
use std::time::Duration;

use placeforte_protocol::ApiError;
use rustls::pki_types::ServerName;
use rustls::ClientConfig;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::io::AsyncReadExt;

use crate::error::DeskError;

/// How long a request may take before the service counts as unreachable.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long the handshake probe waits for the service to say why it dropped a request.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest answer read from the service: a sync page of the largest size is well under it.
const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// A client for `https://<address>`.
#[derive(Debug, Clone)]
pub(crate) struct ServiceClient {
    http: reqwest::Client,
    base: String,
    tls: Arc<ClientConfig>,
}

impl ServiceClient {
    /// A client for the listener at `address` (`host:port`) with `tls`.
    pub(crate) fn new(address: &str, tls: ClientConfig) -> Result<ServiceClient, DeskError> {
        let http = reqwest::Client::builder()
            .use_preconfigured_tls(tls.clone())
            .timeout(REQUEST_TIMEOUT)
            .connect_timeout(CONNECT_TIMEOUT)
            .https_only(true)
            .build()
            .map_err(|e| DeskError::Tls(e.to_string()))?;
        Ok(ServiceClient {
            http,
            base: format!("https://{address}"),
            tls: Arc::new(tls),
        })
    }

    /// `GET path`.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, DeskError> {
        self.get_with_query(path, &[]).await
    }

    /// `GET path?query`, the query encoded by the client.
    pub(crate) async fn get_with_query<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, DeskError> {
        let request = self.http.get(format!("{}{path}", self.base)).query(query);
        decode(self.send(request).await?).await
    }

    /// `POST path` with a JSON body.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, DeskError> {
        let request = self.http.post(format!("{}{path}", self.base)).json(body);
        decode(self.send(request).await?).await
    }

    /// Sends `request`; a failure is told apart as the service's refusal or an outage.
    ///
    /// With TLS 1.3 the client has finished its handshake before the service judges its
    /// certificate, and when the service's alert arrives before the request is sent, hyper
    /// drops the request as "connection was not ready" and the alert with it (about one
    /// refusal in 20 on loopback). So a request that failed after connecting, for no reason
    /// found in its error, is followed by a fresh handshake read until the service speaks:
    /// its alert, if any, is the answer.
    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, DeskError> {
        let err = match request.send().await {
            Ok(response) => return Ok(response),
            Err(err) => err,
        };
        if err.is_request() && find_tls_error(&err).is_none() {
            if let Some(refusal) = self.handshake_refusal().await {
                return Err(refusal);
            }
        }
        Err(transport(err))
    }

    /// The TLS refusal a fresh handshake with the service meets, if any.
    async fn handshake_refusal(&self) -> Option<DeskError> {
        let url = reqwest::Url::parse(&self.base).ok()?;
        let host = url
            .host_str()?
            .trim_start_matches('[')
            .trim_end_matches(']');
        let port = url.port_or_known_default()?;
        let name = ServerName::try_from(host.to_owned()).ok()?;
        let connector = tokio_rustls::TlsConnector::from(Arc::clone(&self.tls));
        let probe = async {
            let tcp = tokio::net::TcpStream::connect((host, port)).await?;
            let mut tls = connector.connect(name, tcp).await?;
            tls.read(&mut [0u8; 1]).await.map(drop)
        };
        let err = tokio::time::timeout(PROBE_TIMEOUT, probe)
            .await
            .ok()?
            .err()?;
        tls_refusal(&err)
    }
}

async fn decode<T: DeserializeOwned>(mut response: reqwest::Response) -> Result<T, DeskError> {
    let status = response.status();
    // A broken or hostile server cannot make the app read without bound.
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(transport)? {
        if bytes.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(DeskError::Protocol(format!(
                "the answer is larger than {MAX_RESPONSE_BYTES} bytes"
            )));
        }
        bytes.extend_from_slice(&chunk);
    }
    if status.is_success() {
        return serde_json::from_slice(&bytes)
            .map_err(|e| DeskError::Protocol(format!("unexpected answer: {e}")));
    }
    let refusal: ApiError = serde_json::from_slice(&bytes).map_err(|_| {
        DeskError::Protocol(format!(
            "the service answered {status} without an explanation"
        ))
    })?;
    Err(match refusal.code.as_str() {
        "enrolment_refused" => DeskError::EnrolmentRefused,
        "device_revoked" => DeskError::Revoked,
        "certificate_expired" => DeskError::CertificateExpired,
        "certificate_replaced" => DeskError::CertificateReplaced,
        "too_many_attempts" => DeskError::TooManyAttempts,
        "deadline_not_reached" => DeskError::DeadlineNotReached,
        "vacancy_filled" => DeskError::VacancyFilled,
        _ => DeskError::Refused {
            status: status.as_u16(),
            code: refusal.code,
        },
    })
}

/// A request that did not get an HTTP answer: an untrusted server, or no server at all.
fn transport(err: reqwest::Error) -> DeskError {
    tls_refusal(&err).unwrap_or_else(|| DeskError::ServerUnreachable(without_url(&err)))
}

/// The TLS failure somewhere in `err`'s chain, as the director's error.
fn tls_refusal(err: &(dyn std::error::Error + 'static)) -> Option<DeskError> {
    Some(match find_tls_error(err)? {
        rustls::Error::InvalidCertificate(_) => DeskError::ServerNotTrusted,
        // With TLS 1.3 the service's refusal of our certificate arrives as an alert.
        rustls::Error::AlertReceived(_) => DeskError::CertificateRefused,
        other => DeskError::Tls(other.to_string()),
    })
}

/// The rustls error somewhere in the chain. An io::Error's `source()` skips the error it
/// wraps (and hyper nests io::Errors), so wrapped errors are looked into explicitly.
fn find_tls_error<'a>(err: &'a (dyn std::error::Error + 'static)) -> Option<&'a rustls::Error> {
    if let Some(tls) = err.downcast_ref::<rustls::Error>() {
        return Some(tls);
    }
    let wrapped = err
        .downcast_ref::<std::io::Error>()
        .and_then(|io| io.get_ref())
        .and_then(|inner| find_tls_error(inner));
    wrapped.or_else(|| err.source().and_then(find_tls_error))
}

/// The error text without the URL (which holds no secret, but is noise for the director).
fn without_url(err: &reqwest::Error) -> String {
    let mut text = err.to_string();
    if let Some(url) = err.url() {
        text = text.replace(url.as_str(), "the service");
    }
    text
}
