//! The intake client's identity: a certificate from the service's own CA whose one URI name is
//! `urn:placeforte:intake:<client-uuid>`, never a daycare's `urn:placeforte:daycare:…`. A
//! workstation's certificate carries no such name, and an intake certificate no device name,
//! so neither extractor accepts the other's caller.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use super::error::IntakeFailure;
use crate::identity::CertificateShapeError;
use crate::state::AppState;
use crate::store::{IntakeStanding, Storage};
use crate::tls::TlsPeer;

const SAN_PREFIX: &str = "urn:placeforte:intake:";

/// The SAN URI naming intake client `client`.
pub(crate) fn san_uri(client: uuid::Uuid) -> String {
    format!("{SAN_PREFIX}{client}")
}

fn parse_san_uri(uri: &str) -> Option<uuid::Uuid> {
    uri.strip_prefix(SAN_PREFIX)?.parse().ok()
}

/// What an intake certificate says, once the TLS layer has verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedIntakeClient {
    /// The client.
    pub client_id: uuid::Uuid,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Serial number, lowercase hex.
    pub serial_hex: String,
}

impl CertifiedIntakeClient {
    /// Reads an intake certificate: an explicit clientAuth usage and exactly one intake SAN
    /// (and no other PlaceForte name).
    pub fn from_der(der: &[u8]) -> Result<CertifiedIntakeClient, CertificateShapeError> {
        let (_, cert) =
            X509Certificate::from_der(der).map_err(|_| CertificateShapeError::Unparsable)?;
        let client_auth = cert
            .extended_key_usage()
            .map_err(|_| CertificateShapeError::Unparsable)?
            .is_some_and(|eku| eku.value.client_auth);
        if !client_auth {
            return Err(CertificateShapeError::NotForClientAuth);
        }
        let san = cert
            .subject_alternative_name()
            .map_err(|_| CertificateShapeError::Unparsable)?
            .ok_or(CertificateShapeError::NoDeviceName)?;
        let uris: Vec<&str> = san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => Some(*uri),
                _ => None,
            })
            .filter(|uri| uri.starts_with("urn:placeforte:"))
            .collect();
        let [uri] = uris.as_slice() else {
            return Err(CertificateShapeError::NoDeviceName);
        };
        let client_id = parse_san_uri(uri).ok_or(CertificateShapeError::NoDeviceName)?;
        let not_after = DateTime::<Utc>::from_timestamp(cert.validity().not_after.timestamp(), 0)
            .ok_or(CertificateShapeError::Unparsable)?;
        Ok(CertifiedIntakeClient {
            client_id,
            not_after,
            serial_hex: hex::encode(cert.raw_serial()),
        })
    }
}

/// The calling intake client, verified on every request: its certificate is unexpired by the
/// service's clock, was issued by this service to this client, and the client is not revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeIdentity {
    /// What the certificate of this connection says.
    pub certificate: CertifiedIntakeClient,
}

impl IntakeIdentity {
    /// The audit log's name for this client.
    pub fn actor(&self) -> String {
        format!("intake:{}", self.certificate.client_id)
    }
}

impl<S: Storage> FromRequestParts<AppState<S>> for IntakeIdentity {
    type Rejection = IntakeFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<TlsPeer>>()
            .map(|ConnectInfo(peer)| peer)
            .ok_or(IntakeFailure::Unauthenticated)?;
        let Some(certificate) = peer.intake.clone() else {
            // A daycare workstation (or anything else): the intake interface is not its own.
            return Err(IntakeFailure::NotIntakeClient);
        };
        if state.clock.now() >= certificate.not_after {
            return Err(IntakeFailure::CertificateExpired);
        }
        match state
            .store
            .intake_standing(&certificate.serial_hex, certificate.client_id)
            .await?
        {
            IntakeStanding::Current => Ok(IntakeIdentity { certificate }),
            IntakeStanding::Revoked => Err(IntakeFailure::ClientRevoked),
            IntakeStanding::NotIssued => {
                tracing::error!(client = %certificate.client_id, serial = %certificate.serial_hex, "intake request with a certificate this service never issued");
                Err(IntakeFailure::Unauthenticated)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn san_round_trips_and_refuses_a_device_name() {
        let client = uuid::Uuid::new_v4();
        assert_eq!(parse_san_uri(&san_uri(client)), Some(client));
        assert_eq!(
            parse_san_uri(&format!("urn:placeforte:daycare:{client}:device:{client}")),
            None
        );
        assert_eq!(parse_san_uri("urn:placeforte:intake:not-a-uuid"), None);
    }
}
