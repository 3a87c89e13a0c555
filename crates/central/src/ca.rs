//! The device certificate authority: made by `init`, signs device certificates from CSRs and
//! the service's own TLS certificate, and publishes a CRL.
//!
//! A CSR only proves possession of a key. Everything else in it (subject, names, usages,
//! validity, CA flag) is discarded and replaced by what the service decides.

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, Duration, Utc};
use placeforte_protocol::{DaycareId, DeviceId};
use rcgen::{
    BasicConstraints, CertificateParams, CertificateRevocationListParams,
    CertificateSigningRequestParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose, PublicKeyData, RevokedCertParams, SanType, SerialNumber,
};
use ring::rand::{SecureRandom, SystemRandom};
use rustls::pki_types::CertificateDer;

use crate::identity::san_uri;
use crate::secret::Secret;
use crate::store::RevokedCertificate;

/// Validity of the device CA made by `init`.
const CA_LIFETIME: Duration = Duration::days(3650);
/// Validity of the service's TLS certificate made by `init`.
const SERVER_CERT_LIFETIME: Duration = Duration::days(397);
/// How long a CRL is valid for (clients refetch sooner).
const CRL_LIFETIME: Duration = Duration::hours(1);

/// A failure of the CA. Messages name the file and say what to do.
#[derive(Debug, thiserror::Error)]
pub enum CaError {
    /// A file could not be read.
    #[error("cannot read the {what} at {}: {source}; run `placeforte-central init` first, or set its path in the configuration", path.display())]
    Read {
        /// Which file.
        what: &'static str,
        /// The file's path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// A file was read but is not what it should be.
    #[error("the {what} at {} is not valid: {reason}", path.display())]
    Invalid {
        /// Which file.
        what: &'static str,
        /// The file's path.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// The CSR does not parse, uses an unsupported extension, or its signature is wrong.
    #[error("invalid certificate signing request: {0}")]
    Csr(rcgen::Error),
    /// Signing failed.
    #[error("signing failed: {0}")]
    Signing(#[from] rcgen::Error),
    /// A time could not be represented in a certificate.
    #[error("time out of range for a certificate")]
    TimeOutOfRange,
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
    /// A stored serial number is not hexadecimal.
    #[error("stored serial number {0:?} is not hexadecimal")]
    StoredSerial(String),
}

/// A certificate the CA just issued.
#[derive(Debug, Clone)]
pub struct DeviceCertificatePem {
    /// The certificate, PEM.
    pub pem: String,
    /// Its serial number, lowercase hex.
    pub serial_hex: String,
    /// Start of validity (whole seconds, as in the certificate).
    pub not_before: DateTime<Utc>,
    /// End of validity (whole seconds, as in the certificate).
    pub not_after: DateTime<Utc>,
}

/// A key pair and certificate made for the service, both PEM.
#[derive(Debug)]
pub struct GeneratedKeyAndCertificate {
    /// Certificate, PEM.
    pub certificate_pem: String,
    /// Private key, PKCS#8 PEM.
    pub key_pem: Secret,
}

/// The device CA, loaded.
pub struct DeviceCa {
    issuer: Issuer<'static, KeyPair>,
    certificate_pem: String,
    certificate_der: CertificateDer<'static>,
    /// Device certificates signed since start: lets the attack tests prove that a refused
    /// enrolment signed nothing.
    device_certificates_signed: AtomicU64,
}

impl fmt::Debug for DeviceCa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceCa")
            .field("key", &"<redacted>")
            .finish_non_exhaustive()
    }
}

impl DeviceCa {
    /// Makes a new CA valid from `now`. Returns the CA and its files' contents.
    pub fn generate(now: DateTime<Utc>) -> Result<(DeviceCa, GeneratedKeyAndCertificate), CaError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "PlaceForte");
        name.push(DnType::CommonName, "PlaceForte device CA");
        params.distinguished_name = name;
        params.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        params.not_before = to_time(now - Duration::minutes(5))?;
        params.not_after = to_time(now + CA_LIFETIME)?;
        params.serial_number = Some(random_serial()?.0);
        let certificate = params.self_signed(&key)?;
        let files = GeneratedKeyAndCertificate {
            certificate_pem: certificate.pem(),
            key_pem: Secret::new(key.serialize_pem()),
        };
        let ca = DeviceCa {
            issuer: Issuer::new(params, key),
            certificate_pem: certificate.pem(),
            certificate_der: certificate.der().clone(),
            device_certificates_signed: AtomicU64::new(0),
        };
        Ok((ca, files))
    }

    /// Loads the CA from its two PEM files, with a message naming the file on failure.
    pub fn load(certificate_path: &Path, key_path: &Path) -> Result<DeviceCa, CaError> {
        let certificate_pem = read_text("device CA certificate", certificate_path)?;
        let key_pem = Secret::new(read_text("device CA private key", key_path)?);
        warn_if_readable_by_others(key_path);
        DeviceCa::from_pem(&certificate_pem, &key_pem).map_err(|(what, reason)| {
            let path = if what == "device CA private key" {
                key_path
            } else {
                certificate_path
            };
            CaError::Invalid {
                what,
                path: path.to_path_buf(),
                reason,
            }
        })
    }

    fn from_pem(
        certificate_pem: &str,
        key_pem: &Secret,
    ) -> Result<DeviceCa, (&'static str, String)> {
        let key = KeyPair::from_pem(key_pem.expose())
            .map_err(|e| ("device CA private key", e.to_string()))?;
        let der = first_certificate_der(certificate_pem).ok_or((
            "device CA certificate",
            "no PEM certificate in it".to_owned(),
        ))?;
        let certificate_der = CertificateDer::from(der);
        let (_, parsed) = x509_parser::parse_x509_certificate(&certificate_der)
            .map_err(|e| ("device CA certificate", e.to_string()))?;
        if parsed.public_key().subject_public_key.data.as_ref() != key.der_bytes() {
            return Err((
                "device CA private key",
                "it does not match the device CA certificate".to_owned(),
            ));
        }
        let issuer = Issuer::from_ca_cert_der(&certificate_der, key)
            .map_err(|e| ("device CA certificate", e.to_string()))?;
        Ok(DeviceCa {
            issuer,
            certificate_pem: certificate_pem.to_owned(),
            certificate_der,
            device_certificates_signed: AtomicU64::new(0),
        })
    }

    /// The CA certificate, PEM.
    pub fn certificate_pem(&self) -> &str {
        &self.certificate_pem
    }

    /// The CA certificate, DER.
    pub fn certificate_der(&self) -> &CertificateDer<'static> {
        &self.certificate_der
    }

    /// Device certificates this CA has signed since it was loaded.
    pub fn device_certificates_signed(&self) -> u64 {
        self.device_certificates_signed.load(Ordering::Relaxed)
    }

    /// Checks that `csr_pem` parses, uses nothing unsupported and that its signature verifies
    /// (it proves possession of its key), without signing anything: enrolment checks the CSR
    /// before the code, and the code before signing.
    pub fn check_csr(&self, csr_pem: &str) -> Result<(), CaError> {
        CertificateSigningRequestParams::from_pem(csr_pem)
            .map(drop)
            .map_err(CaError::Csr)
    }

    /// Issues a device certificate for the key in `csr_pem`, valid `[not_before, not_after)`.
    /// Subject, SAN, usages (clientAuth only) and validity are ours, whatever the CSR asked.
    pub fn issue_device_certificate(
        &self,
        csr_pem: &str,
        daycare: DaycareId,
        device: DeviceId,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<DeviceCertificatePem, CaError> {
        let mut csr = CertificateSigningRequestParams::from_pem(csr_pem).map_err(CaError::Csr)?;
        let (serial, serial_hex) = random_serial()?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "PlaceForte");
        name.push(DnType::CommonName, format!("PlaceForte device {device}"));
        params.distinguished_name = name;
        params.subject_alt_names = vec![SanType::URI(
            san_uri(daycare, device)
                .try_into()
                .map_err(CaError::Signing)?,
        )];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(serial);
        let not_before = whole_seconds(not_before)?;
        let not_after = whole_seconds(not_after)?;
        params.not_before = to_time(not_before)?;
        params.not_after = to_time(not_after)?;
        csr.params = params;
        let certificate = csr.signed_by(&self.issuer)?;
        self.device_certificates_signed
            .fetch_add(1, Ordering::Relaxed);
        Ok(DeviceCertificatePem {
            pem: certificate.pem(),
            serial_hex,
            not_before,
            not_after,
        })
    }

    /// Issues an intake client's certificate for the key in `csr_pem`, valid `[not_before,
    /// not_after)`: clientAuth only and the one SAN `urn:placeforte:intake:<client>`, so it
    /// names no daycare and no device. Subject and validity are ours, whatever the CSR asked.
    pub fn issue_intake_certificate(
        &self,
        csr_pem: &str,
        client: uuid::Uuid,
        not_before: DateTime<Utc>,
        not_after: DateTime<Utc>,
    ) -> Result<DeviceCertificatePem, CaError> {
        let mut csr = CertificateSigningRequestParams::from_pem(csr_pem).map_err(CaError::Csr)?;
        let (serial, serial_hex) = random_serial()?;
        let mut params = CertificateParams::default();
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "PlaceForte");
        name.push(DnType::OrganizationalUnitName, "intake");
        name.push(DnType::CommonName, format!("PlaceForte intake {client}"));
        params.distinguished_name = name;
        params.subject_alt_names = vec![SanType::URI(
            crate::intake::identity::san_uri(client)
                .try_into()
                .map_err(CaError::Signing)?,
        )];
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(serial);
        let not_before = whole_seconds(not_before)?;
        let not_after = whole_seconds(not_after)?;
        params.not_before = to_time(not_before)?;
        params.not_after = to_time(not_after)?;
        csr.params = params;
        let certificate = csr.signed_by(&self.issuer)?;
        Ok(DeviceCertificatePem {
            pem: certificate.pem(),
            serial_hex,
            not_before,
            not_after,
        })
    }

    /// Issues the service's TLS certificate (serverAuth) for `names` (DNS names or IPs), with a
    /// fresh key.
    pub fn issue_server_certificate(
        &self,
        names: &[String],
        now: DateTime<Utc>,
    ) -> Result<GeneratedKeyAndCertificate, CaError> {
        let key = KeyPair::generate()?;
        let mut params = CertificateParams::new(names.to_vec())?;
        let mut name = DistinguishedName::new();
        name.push(DnType::OrganizationName, "PlaceForte");
        name.push(DnType::CommonName, "PlaceForte central service");
        params.distinguished_name = name;
        params.is_ca = IsCa::ExplicitNoCa;
        params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.use_authority_key_identifier_extension = true;
        params.serial_number = Some(random_serial()?.0);
        params.not_before = to_time(now - Duration::minutes(5))?;
        params.not_after = to_time(now + SERVER_CERT_LIFETIME)?;
        let certificate = params.signed_by(&key, &self.issuer)?;
        Ok(GeneratedKeyAndCertificate {
            certificate_pem: format!("{}{}", certificate.pem(), self.certificate_pem),
            key_pem: Secret::new(key.serialize_pem()),
        })
    }

    /// A CRL (DER) listing `revoked` certificates that have not yet expired at `now`.
    pub fn crl_der(
        &self,
        revoked: &[RevokedCertificate],
        now: DateTime<Utc>,
    ) -> Result<Vec<u8>, CaError> {
        let revoked_certs = revoked
            .iter()
            .filter(|c| c.not_after > now)
            .map(|c| {
                Ok(RevokedCertParams {
                    serial_number: SerialNumber::from_slice(&from_hex(&c.serial_hex)?),
                    revocation_time: to_time(c.revoked_at)?,
                    reason_code: None,
                    invalidity_date: None,
                })
            })
            .collect::<Result<Vec<_>, CaError>>()?;
        let params = CertificateRevocationListParams {
            this_update: to_time(now)?,
            next_update: to_time(now + CRL_LIFETIME)?,
            // Seconds since the epoch: increases with every CRL, as RFC 5280 asks.
            crl_number: SerialNumber::from_slice(&now.timestamp().to_be_bytes()),
            issuing_distribution_point: None,
            revoked_certs,
            key_identifier_method: rcgen::KeyIdMethod::Sha256,
        };
        Ok(params.signed_by(&self.issuer)?.der().to_vec())
    }
}

/// SHA-256 of the device CA certificate (DER) in the PEM file at `path`: the fingerprint an
/// enrolment invitation carries, so the app trusts only this CA. Reads no private key.
pub fn certificate_fingerprint(path: &Path) -> Result<[u8; 32], CaError> {
    let pem = read_text("device CA certificate", path)?;
    let der = first_certificate_der(&pem).ok_or_else(|| CaError::Invalid {
        what: "device CA certificate",
        path: path.to_path_buf(),
        reason: "no PEM certificate in it".to_owned(),
    })?;
    let mut fingerprint = [0u8; 32];
    fingerprint.copy_from_slice(ring::digest::digest(&ring::digest::SHA256, &der).as_ref());
    Ok(fingerprint)
}

/// A random positive 128-bit serial number and its hex form.
fn random_serial() -> Result<(SerialNumber, String), CaError> {
    let mut bytes = [0u8; 16];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| CaError::Random)?;
    bytes[0] &= 0x7f; // positive
    bytes[0] |= 0x01; // no leading zero byte, so the DER and our hex agree
    Ok((SerialNumber::from_slice(&bytes), hex::encode(bytes)))
}

fn from_hex(text: &str) -> Result<Vec<u8>, CaError> {
    hex::decode(text).map_err(|_| CaError::StoredSerial(text.to_owned()))
}

fn whole_seconds(t: DateTime<Utc>) -> Result<DateTime<Utc>, CaError> {
    DateTime::from_timestamp(t.timestamp(), 0).ok_or(CaError::TimeOutOfRange)
}

fn to_time(t: DateTime<Utc>) -> Result<time::OffsetDateTime, CaError> {
    time::OffsetDateTime::from_unix_timestamp(t.timestamp()).map_err(|_| CaError::TimeOutOfRange)
}

fn read_text(what: &'static str, path: &Path) -> Result<String, CaError> {
    std::fs::read_to_string(path).map_err(|source| CaError::Read {
        what,
        path: path.to_path_buf(),
        source,
    })
}

/// The first certificate in PEM `text`, DER.
pub(crate) fn first_certificate_der(text: &str) -> Option<Vec<u8>> {
    use rustls::pki_types::pem::PemObject;
    CertificateDer::pem_slice_iter(text.as_bytes())
        .next()?
        .ok()
        .map(|der| der.to_vec())
}

#[cfg(unix)]
fn warn_if_readable_by_others(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if let Ok(meta) = std::fs::metadata(path) {
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "the device CA private key is readable by other users; chmod 600 it");
        }
    }
}

#[cfg(not(unix))]
fn warn_if_readable_by_others(_path: &Path) {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::CertifiedDevice;

    #[test]
    fn device_certificate_ignores_what_the_csr_asks_for() {
        let now = Utc::now();
        let (ca, _) = DeviceCa::generate(now).expect("CA");
        let key = KeyPair::generate().expect("key");
        let mut wish = CertificateParams::new(vec!["evil.example".to_owned()]).expect("params");
        wish.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        wish.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        let csr = wish
            .serialize_request(&key)
            .expect("csr")
            .pem()
            .expect("pem");
        let daycare = DaycareId::random();
        let device = DeviceId::random();
        let issued = ca
            .issue_device_certificate(&csr, daycare, device, now, now + Duration::days(7))
            .expect("issued");
        let der = first_certificate_der(&issued.pem).expect("pem");
        let certified = CertifiedDevice::from_der(&der).expect("device certificate");
        assert_eq!(certified.device_id, device);
        assert_eq!(certified.daycare_id, daycare);
        assert_eq!(certified.serial_hex, issued.serial_hex);
        let (_, parsed) = x509_parser::parse_x509_certificate(&der).expect("parse");
        assert!(!parsed.is_ca());
        let eku = parsed.extended_key_usage().expect("eku").expect("present");
        assert!(eku.value.client_auth && !eku.value.server_auth);
        assert!(!format!("{:?}", parsed.subject_alternative_name()).contains("evil.example"));
    }

    #[test]
    fn ca_round_trips_through_its_files_and_key_mismatch_is_refused() {
        let now = Utc::now();
        let (_, files) = DeviceCa::generate(now).expect("CA");
        DeviceCa::from_pem(&files.certificate_pem, &files.key_pem).expect("reload");
        let (_, other) = DeviceCa::generate(now).expect("CA");
        let err = DeviceCa::from_pem(&files.certificate_pem, &other.key_pem).expect_err("mismatch");
        assert_eq!(err.0, "device CA private key");
    }
}
