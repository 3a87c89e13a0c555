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
