//! `placeforte-central init`: the device CA, the service's TLS certificate, the database.

use std::io::Write;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use crate::audit::{generate_log_key, AuditKeyError};
use crate::ca::{CaError, DeviceCa};
use crate::config::Config;

/// `init` failed.
#[derive(Debug, thiserror::Error)]
pub enum InitError {
    /// A file already exists: `init` never overwrites keys.
    #[error("{} already exists; init never overwrites keys (remove it first if you mean to replace the CA, which cuts off every enrolled device)", .0.display())]
    Exists(PathBuf),
    /// A file could not be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file that could not be written.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// Key or certificate generation failed.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// The audit signing key could not be made.
    #[error(transparent)]
    AuditKey(#[from] AuditKeyError),
}

/// What `init` wrote.
#[derive(Debug)]
pub struct InitReport {
    /// The files, in the order written.
    pub written: Vec<PathBuf>,
}

/// Creates the data directory, the device CA, the server certificate and the audit log key
/// (keys 0600).
pub fn initialize(config: &Config, now: DateTime<Utc>) -> Result<InitReport, InitError> {
    let targets = [
        &config.ca_certificate,
        &config.ca_key,
        &config.server_certificate,
        &config.server_key,
        &config.audit_log_key,
        &config.audit_log_verifier_key,
    ];
    if let Some(existing) = targets.iter().find(|path| path.exists()) {
        return Err(InitError::Exists((*existing).clone()));
    }
    for path in targets {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(|source| InitError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
    }
    let (ca, ca_files) = DeviceCa::generate(now)?;
    let server = ca.issue_server_certificate(&config.server_names, now)?;
    write_new(&config.ca_key, ca_files.key_pem.expose())?;
    write_new(&config.ca_certificate, &ca_files.certificate_pem)?;
    write_new(&config.server_key, server.key_pem.expose())?;
    write_new(&config.server_certificate, &server.certificate_pem)?;
    // Its own key, not the CA's: whoever can issue device certificates cannot sign the log.
    generate_log_key(
        &config.audit_log_origin,
        &config.audit_log_key,
        &config.audit_log_verifier_key,
    )?;
    Ok(InitReport {
        written: targets.iter().map(|p| (*p).clone()).collect(),
    })
}

/// Writes a new file readable by its owner only; refuses to replace one.
fn write_new(path: &Path, contents: &str) -> Result<(), InitError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let write_error = |source| InitError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut file = options.open(path).map_err(write_error)?;
    file.write_all(contents.as_bytes()).map_err(write_error)?;
    file.sync_all().map_err(write_error)
}

/// What `ca rotate` did: each file moved aside, and the new CA's fingerprint.
#[derive(Debug)]
pub struct CaRotation {
    /// (retired copy, new file), for the CA certificate and key and the server's.
    pub moved: Vec<(PathBuf, PathBuf)>,
    /// SHA-256 of the new CA certificate (DER), as enrolment invitations pin it.
    pub fingerprint: [u8; 32],
}

/// Replaces the device CA and the server certificate it issued: the current files are moved
/// to `<file>.retired-<time>` (kept, never deleted), a new CA and server certificate are
/// written in their place. Every certificate the old CA issued stops verifying: workstations
/// enrol again (docs/keys.md). The new keys are made before anything is moved, so a failure
/// leaves the old files in place.
pub fn rotate_ca(config: &Config, now: DateTime<Utc>) -> Result<CaRotation, InitError> {
    let (ca, ca_files) = DeviceCa::generate(now)?;
    let server = ca.issue_server_certificate(&config.server_names, now)?;
    let stamp = now.format("%Y%m%dT%H%M%SZ");
    let files = [
        (&config.ca_key, ca_files.key_pem.expose().to_owned()),
        (&config.ca_certificate, ca_files.certificate_pem.clone()),
        (&config.server_key, server.key_pem.expose().to_owned()),
        (&config.server_certificate, server.certificate_pem.clone()),
    ];
    let mut moved = Vec::new();
    for (path, _) in &files {
        let retired = PathBuf::from(format!("{}.retired-{stamp}", path.display()));
        if retired.exists() {
            return Err(InitError::Exists(retired));
        }
        std::fs::rename(path, &retired).map_err(|source| InitError::Write {
            path: (*path).clone(),
            source,
        })?;
        moved.push((retired, (*path).clone()));
    }
    for (path, contents) in &files {
        write_new(path, contents)?;
    }
    let fingerprint = crate::ca::certificate_fingerprint(&config.ca_certificate)?;
    Ok(CaRotation { moved, fingerprint })
}
