//! Device identity lifecycle: enrolment with a one-time code, certificate renewal.
//!
//! The device makes its key pair itself; only a certificate signing request (CSR, PEM) leaves
//! it. The service ignores whatever the CSR asks for (subject, names, usages, validity) and
//! writes its own: the CSR only proves possession of the key.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::{DaycareId, DeviceId};

/// Path of the enrolment endpoint (enrolment listener, server-authenticated TLS only).
pub const ENROL_PATH: &str = "/v1/enrol";
/// Path of the renewal endpoint (API listener, client certificate required).
pub const RENEW_PATH: &str = "/v1/device/renew";
/// Path answering who the calling device is (API listener): the trivial authenticated call.
pub const WHOAMI_PATH: &str = "/v1/device/whoami";
/// Path of the device CA's certificate revocation list (DER), on the API listener.
pub const CRL_PATH: &str = "/v1/crl";
/// Path of the health check, on both listeners.
pub const HEALTH_PATH: &str = "/v1/health";

/// `POST /v1/enrol`: a one-time code from the operator and the device's CSR.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnrolRequest {
    /// The daycare the operator issued the code for.
    pub daycare_id: DaycareId,
    /// The one-time code, as printed for the operator (case and dashes do not matter).
    pub enrolment_code: String,
    /// PKCS#10 certificate signing request, PEM.
    pub csr_pem: String,
}

impl std::fmt::Debug for EnrolRequest {
    // The code is a bearer secret until used: never in logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolRequest")
            .field("daycare_id", &self.daycare_id)
            .field("enrolment_code", &"<redacted>")
            .field("csr_pem", &format_args!("<{} bytes>", self.csr_pem.len()))
            .finish()
    }
}

/// `POST /v1/device/renew`: a new CSR from an enrolled device, on the API listener.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RenewRequest {
    /// PKCS#10 certificate signing request, PEM (a new key pair is recommended).
    pub csr_pem: String,
}

/// The answer to enrolment and renewal: the device's new certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeviceCertificate {
    /// The device this certificate identifies.
    pub device_id: DeviceId,
    /// The daycare the device belongs to.
    pub daycare_id: DaycareId,
    /// The device certificate followed by the device CA certificate, PEM.
    pub certificate_chain_pem: String,
    /// The device CA certificate alone, PEM: the root the device should pin.
    pub ca_certificate_pem: String,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity: the API refuses the certificate from then on.
    pub not_after: DateTime<Utc>,
    /// From then on `POST /v1/device/renew` is accepted (two thirds of the lifetime).
    pub renew_after: DateTime<Utc>,
}

/// `GET /v1/device/whoami`: the identity the service verified for the caller.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WhoAmIResponse {
    /// The calling device.
    pub device_id: DeviceId,
    /// Its daycare.
    pub daycare_id: DaycareId,
    /// End of validity of the certificate presented on this connection.
    pub certificate_not_after: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enrol_request_refuses_unknown_fields_and_hides_the_code() {
        let json = r#"{"daycare_id":"5f0c5a58-5b8e-4d41-9d0b-1f6f3c2a9b10","enrolment_code":"ABCD","csr_pem":"x","extra":1}"#;
        assert!(serde_json::from_str::<EnrolRequest>(json).is_err());
        let ok = r#"{"daycare_id":"5f0c5a58-5b8e-4d41-9d0b-1f6f3c2a9b10","enrolment_code":"SECRETCODE","csr_pem":"x"}"#;
        let request: EnrolRequest = serde_json::from_str(ok).expect("valid request");
        assert!(!format!("{request:?}").contains("SECRETCODE"));
    }
}
