//! The device identity a verified client certificate carries, and the extractor handlers take.
//!
//! Identity lives in one URI subject alternative name,
//! `urn:placeforte:daycare:<daycare-uuid>:device:<device-uuid>`, written by our own CA (the CSR's
//! names are discarded). The subject's common name is informative only.

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use chrono::{DateTime, Utc};
use placeforte_protocol::{DaycareId, DeviceId};
use x509_parser::prelude::{FromDer, GeneralName, X509Certificate};

use crate::error::ApiFailure;
use crate::state::AppState;
use crate::store::{CertificateStanding, Storage};
use crate::tls::TlsPeer;

const SAN_PREFIX: &str = "urn:placeforte:daycare:";
const SAN_DEVICE: &str = ":device:";

/// The SAN URI naming `device` of `daycare`.
pub(crate) fn san_uri(daycare: DaycareId, device: DeviceId) -> String {
    format!("{SAN_PREFIX}{daycare}{SAN_DEVICE}{device}")
}

fn parse_san_uri(uri: &str) -> Option<(DaycareId, DeviceId)> {
    let rest = uri.strip_prefix(SAN_PREFIX)?;
    let (daycare, device) = rest.split_once(SAN_DEVICE)?;
    Some((daycare.parse().ok()?, device.parse().ok()?))
}

/// Why a certificate, already verified against the CA, is still no device certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CertificateShapeError {
    /// The DER does not parse.
    #[error("certificate does not parse")]
    Unparsable,
    /// No extended key usage extension, or one without clientAuth.
    #[error("certificate is not for client authentication")]
    NotForClientAuth,
    /// No single PlaceForte device SAN.
    #[error("certificate names no PlaceForte device")]
    NoDeviceName,
}

/// What a device certificate says, once the TLS layer has verified it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertifiedDevice {
    /// The device.
    pub device_id: DeviceId,
    /// Its daycare.
    pub daycare_id: DaycareId,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// Serial number, lowercase hex.
    pub serial_hex: String,
}

impl CertifiedDevice {
    /// Reads a device certificate. Requires an explicit clientAuth extended key usage (webpki
    /// accepts a certificate with no EKU at all; we do not) and exactly one device SAN.
    pub fn from_der(der: &[u8]) -> Result<CertifiedDevice, CertificateShapeError> {
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
        let mut names = san
            .value
            .general_names
            .iter()
            .filter_map(|name| match name {
                GeneralName::URI(uri) => parse_san_uri(uri),
                _ => None,
            });
        let (daycare_id, device_id) = names.next().ok_or(CertificateShapeError::NoDeviceName)?;
        if names.next().is_some() {
            return Err(CertificateShapeError::NoDeviceName);
        }
        let validity = cert.validity();
        let instant =
            |t: i64| DateTime::<Utc>::from_timestamp(t, 0).ok_or(CertificateShapeError::Unparsable);
        Ok(CertifiedDevice {
            device_id,
            daycare_id,
            not_before: instant(validity.not_before.timestamp())?,
            not_after: instant(validity.not_after.timestamp())?,
            serial_hex: hex::encode(cert.raw_serial()),
        })
    }
}

/// The calling device, verified: its certificate passed the TLS layer, has not expired by the
/// service's clock, and the store says this service issued that serial to that device, neither
/// replaced by a renewal nor revoked — checked on **every request**, so a revocation or a
/// renewal cuts off connections that were already open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceIdentity {
    /// What the certificate of this connection says.
    pub certificate: CertifiedDevice,
}

impl<S: Storage> FromRequestParts<AppState<S>> for DeviceIdentity {
    type Rejection = ApiFailure;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState<S>,
    ) -> Result<Self, Self::Rejection> {
        let certificate = parts
            .extensions
            .get::<ConnectInfo<TlsPeer>>()
            .and_then(|ConnectInfo(peer)| peer.device.clone())
            .ok_or(ApiFailure::Unauthenticated)?;
        if state.clock.now() >= certificate.not_after {
            return Err(ApiFailure::CertificateExpired);
        }
        let standing = state
            .store
            .certificate_standing(&certificate.serial_hex, certificate.device_id)
            .await?;
        match standing {
            CertificateStanding::Current(daycare) if daycare == certificate.daycare_id => {
                Ok(DeviceIdentity { certificate })
            }
            CertificateStanding::Replaced => {
                tracing::warn!(device = %certificate.device_id, serial = %certificate.serial_hex, "request with a replaced certificate");
                Err(ApiFailure::CertificateReplaced)
            }
            CertificateStanding::NotIssued => {
                // Signed with the CA's key, but not by this service: the key has leaked or
                // someone holds a copy of the CA.
                tracing::error!(device = %certificate.device_id, serial = %certificate.serial_hex, "request with a certificate this service never issued");
                Err(ApiFailure::Unauthenticated)
            }
            CertificateStanding::Current(_) | CertificateStanding::DeviceRevoked => {
                tracing::warn!(device = %certificate.device_id, "request from a revoked or unknown device");
                Err(ApiFailure::DeviceRevoked)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn san_round_trips_and_refuses_lookalikes() {
        let daycare = DaycareId::random();
        let device = DeviceId::random();
        assert_eq!(
            parse_san_uri(&san_uri(daycare, device)),
            Some((daycare, device))
        );
        assert_eq!(parse_san_uri("urn:placeforte:daycare:x:device:y"), None);
        assert_eq!(parse_san_uri("https://example.invalid/"), None);
    }
}
