//! This workstation's identity: enrolment with the operator's invitation, the certificate,
//! renewal, and what a revocation does.
//!
//! The key pair is made here; only a CSR leaves the computer. The private key and the
//! certificate chain are stored **together as one keychain secret**, so they can never get out
//! of step (a crash during renewal leaves either the old pair or the new one). The file
//! `device.json` in the data folder holds only what is not secret and not personal: ids,
//! addresses, the CA certificate, the validity dates.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use placeforte_protocol::device::{
    DeviceCertificate, EnrolRequest, RenewRequest, WhoAmIResponse, ENROL_PATH, RENEW_PATH,
    WHOAMI_PATH,
};
use placeforte_protocol::invite::EnrolmentInvite;
use placeforte_protocol::{DaycareId, DeviceId};
use rcgen::{CertificateParams, KeyPair};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::CertificateDer;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::error::DeskError;
use crate::http::ServiceClient;
use crate::keychain::{SecretName, SecretStore};
use crate::local::{LocalData, ServiceCalls};
use crate::tls::{device_config, enrolment_config, fingerprint};

/// What the workstation knows about its enrolment (nothing secret, nothing personal).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceRecord {
    /// This device.
    pub device_id: DeviceId,
    /// Its daycare.
    pub daycare_id: DaycareId,
    /// `host:port` of the service's API listener.
    pub api_address: String,
    /// The service's CA certificate, PEM: the only root trusted.
    pub ca_certificate_pem: String,
    /// End of the current certificate's validity.
    pub not_after: DateTime<Utc>,
    /// From then on the certificate should be renewed.
    pub renew_after: DateTime<Utc>,
}

/// The file that holds the [`DeviceRecord`] in `dir`.
pub fn record_path(dir: &Path) -> PathBuf {
    dir.join("device.json")
}

/// The device's record, or `None` if this computer is not enrolled.
pub fn load_record(dir: &Path) -> Result<Option<DeviceRecord>, DeskError> {
    match std::fs::read(record_path(dir)) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|_| DeskError::DeviceRecordCorrupt),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err.into()),
    }
}

fn save_record(dir: &Path, record: &DeviceRecord) -> Result<(), DeskError> {
    std::fs::create_dir_all(dir)?;
    let json = serde_json::to_vec_pretty(record).map_err(|_| DeskError::DeviceRecordCorrupt)?;
    // Write then rename: a crash leaves the old record or the new one, never half of one.
    let temporary = dir.join("device.json.new");
    std::fs::write(&temporary, json)?;
    std::fs::rename(&temporary, record_path(dir))?;
    Ok(())
}

fn remove_record(dir: &Path) -> Result<(), DeskError> {
    match std::fs::remove_file(record_path(dir)) {
        Ok(()) => Ok(()),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(err) => Err(err.into()),
    }
}

/// A new key pair (ECDSA P-256) and a CSR proving possession of it.
fn key_and_csr() -> Result<(Zeroizing<String>, String), DeskError> {
    let key = KeyPair::generate().map_err(|e| DeskError::Tls(e.to_string()))?;
    let csr = CertificateParams::new(Vec::<String>::new())
        .and_then(|params| params.serialize_request(&key))
        .and_then(|csr| csr.pem())
        .map_err(|e| DeskError::Tls(e.to_string()))?;
    Ok((Zeroizing::new(key.serialize_pem()), csr))
}

/// The keychain secret: the private key followed by the certificate chain, PEM.
fn credentials(key_pem: &str, chain_pem: &str) -> Zeroizing<String> {
    Zeroizing::new(format!("{key_pem}{chain_pem}"))
}

/// Keeps a new identity: checks that key and chain make a working TLS configuration, stores
/// them as one keychain secret, then the record. Returns the configuration.
fn keep_identity<S: SecretStore>(
    local: &LocalData<S>,
    dir: &Path,
    record: &DeviceRecord,
    key_pem: &str,
    chain_pem: &str,
) -> Result<rustls::ClientConfig, DeskError> {
    let config = device_config(&record.ca_certificate_pem, chain_pem, key_pem)?;
    local.secrets().set(
        SecretName::DeviceCredentials,
        credentials(key_pem, chain_pem).as_bytes(),
    )?;
    save_record(dir, record)?;
    Ok(config)
}

/// The first certificate of a chain, to check what the service sent.
fn leaf(chain_pem: &str) -> Result<CertificateDer<'static>, DeskError> {
    CertificateDer::pem_slice_iter(chain_pem.as_bytes())
        .next()
        .and_then(Result::ok)
        .ok_or_else(|| DeskError::Protocol("the service sent no certificate".into()))
}

/// Enrols this computer with `invite` and keeps the identity: the credentials in the
/// keychain, the record in `dir`.
pub async fn enrol<S: SecretStore>(
    local: &LocalData<S>,
    dir: &Path,
    invite: &EnrolmentInvite,
) -> Result<DeviceRecord, DeskError> {
    let (key_pem, csr_pem) = key_and_csr()?;
    let client = ServiceClient::new(
        &invite.enrolment_address,
        enrolment_config(invite.ca_sha256)?,
    )?;
    let request = EnrolRequest {
        daycare_id: invite.daycare_id,
        enrolment_code: invite.code.clone(),
        csr_pem,
    };
    let issued: Result<DeviceCertificate, DeskError> = client.post(ENROL_PATH, &request).await;
    local.note_call(!matches!(issued, Err(DeskError::ServerUnreachable(_))));
    let issued = issued?;

    // The service must answer for the daycare of the invitation, with the pinned CA.
    let ca = leaf(&issued.ca_certificate_pem)?;
    if issued.daycare_id != invite.daycare_id || fingerprint(&ca) != invite.ca_sha256 {
        return Err(DeskError::Protocol(
            "the service's answer does not match the invitation".into(),
        ));
    }
    leaf(&issued.certificate_chain_pem)?;
    let record = DeviceRecord {
        device_id: issued.device_id,
        daycare_id: issued.daycare_id,
        api_address: invite.api_address.clone(),
        ca_certificate_pem: issued.ca_certificate_pem.clone(),
        not_after: issued.not_after,
        renew_after: issued.renew_after,
    };
    keep_identity(local, dir, &record, &key_pem, &issued.certificate_chain_pem)?;
    Ok(record)
}

/// The enrolled device, ready to call the API over mutual TLS.
///
/// Every call goes through it, and it acts on what the answer says about this computer: it
/// notes whether the service was reached, and when the service says this device is revoked
/// it closes the open cache and wipes everything local (cache, keys, record) before the
/// error goes up, so no caller can forget to.
pub struct EnrolledDevice {
    record: DeviceRecord,
    client: ServiceClient,
    local: Arc<dyn ServiceCalls>,
    dir: PathBuf,
}

impl std::fmt::Debug for EnrolledDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnrolledDevice")
            .field("record", &self.record)
            .field("dir", &self.dir)
            .finish_non_exhaustive()
    }
}

impl EnrolledDevice {
    /// The device of this computer: its record and its credentials from the keychain.
    pub fn load<S: SecretStore + 'static>(
        local: &LocalData<S>,
        dir: &Path,
    ) -> Result<EnrolledDevice, DeskError> {
        let record = load_record(dir)?.ok_or(DeskError::NotEnrolled)?;
        let secret = local
            .secrets()
            .get(SecretName::DeviceCredentials)?
            .ok_or(DeskError::NotEnrolled)?;
        let pem =
            Zeroizing::new(String::from_utf8(secret).map_err(|_| DeskError::KeychainEntryCorrupt)?);
        let config = device_config(&record.ca_certificate_pem, &pem, &pem)?;
        let client = ServiceClient::new(&record.api_address, config)?;
        Ok(EnrolledDevice {
            record,
            client,
            local: local.as_service_calls(),
            dir: dir.to_owned(),
        })
    }

    /// The device's record.
    pub fn record(&self) -> &DeviceRecord {
        &self.record
    }

    /// `GET path` on the API listener.
    pub(crate) async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, DeskError> {
        self.answered(self.client.get(path).await).await
    }

    /// `GET path?query` on the API listener.
    pub(crate) async fn get_with_query<T: DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<T, DeskError> {
        self.answered(self.client.get_with_query(path, query).await)
            .await
    }

    /// `POST path` on the API listener.
    pub(crate) async fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, DeskError> {
        self.answered(self.client.post(path, body).await).await
    }

    /// What an answer means for this computer: connectivity, and a revocation wipes
    /// everything local.
    async fn answered<T>(&self, result: Result<T, DeskError>) -> Result<T, DeskError> {
        self.local
            .note_call(!matches!(result, Err(DeskError::ServerUnreachable(_))));
        if matches!(result, Err(DeskError::Revoked)) {
            if let Some(cache) = self.local.take_open_cache() {
                cache.close().await;
            }
            let wiped = self
                .local
                .wipe_revoked()
                .and_then(|()| remove_record(&self.dir));
            if let Err(wipe_err) = wiped {
                tracing::error!(code = wipe_err.code(), "wipe after revocation failed");
            }
        }
        result
    }

    /// Asks the service who this device is (the simplest authenticated call).
    pub async fn whoami(&self) -> Result<WhoAmIResponse, DeskError> {
        self.get(WHOAMI_PATH).await
    }

    /// Renews the certificate with a new key pair when `now` is past its renewal time (or
    /// `force`); returns whether it renewed.
    pub async fn renew_if_due<S: SecretStore>(
        &mut self,
        local: &LocalData<S>,
        dir: &Path,
        now: DateTime<Utc>,
        force: bool,
    ) -> Result<bool, DeskError> {
        if !force && now < self.record.renew_after {
            return Ok(false);
        }
        let (key_pem, csr_pem) = key_and_csr()?;
        let issued: DeviceCertificate = self.post(RENEW_PATH, &RenewRequest { csr_pem }).await?;
        if issued.device_id != self.record.device_id || issued.daycare_id != self.record.daycare_id
        {
            return Err(DeskError::Protocol(
                "the renewed certificate is for another device".into(),
            ));
        }
        self.record.not_after = issued.not_after;
        self.record.renew_after = issued.renew_after;
        let config = keep_identity(
            local,
            dir,
            &self.record,
            &key_pem,
            &issued.certificate_chain_pem,
        )?;
        self.client = ServiceClient::new(&self.record.api_address, config)?;
        Ok(true)
    }
}

/// Forgets the enrolment (record file and credentials), e.g. with a full wipe.
pub fn forget<S: SecretStore>(local: &LocalData<S>, dir: &Path) -> Result<(), DeskError> {
    local.secrets().delete(SecretName::DeviceCredentials)?;
    remove_record(dir)
}
