//! Backups that restore: a consistent online snapshot of the SQLite database, and the
//! service's keys sealed apart with an operator passphrase.
//!
//! - The database: SQLite's `VACUUM INTO` writes a new, compacted file from one read
//!   transaction, so it is consistent while the service keeps answering (readers never block
//!   it and it blocks no writer for longer than a read). PostgreSQL is dumped with `pg_dump`
//!   instead (docs/operations.md); `backup` then seals only the keys.
//! - The keys (device CA, server TLS, audit log key, their certificates and verifier keys): one
//!   bundle encrypted with age's scrypt passphrase recipient ([`KEYS_FILE`]). They are kept
//!   apart from the database so that a copy of the database alone cannot sign a certificate or
//!   a log head; the passphrase is the operator's, never stored.
//! - A manifest ([`MANIFEST_FILE`]) names each file with its SHA-256, so a restore refuses a
//!   truncated or swapped copy before it writes anything.
//!
//! [`restore`] writes both into a fresh data folder, under the file names the configuration's
//! defaults use there, so `PLACEFORTE_DATA_DIR=<folder> placeforte-central serve` starts on it.

use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};

use age::secrecy::SecretString;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::config::Config;
use crate::store::SqliteStore;

/// The database snapshot's file name in a backup folder.
pub const DATABASE_FILE: &str = "central.db";
/// The sealed keys' file name in a backup folder.
pub const KEYS_FILE: &str = "keys.age";
/// The manifest's file name in a backup folder.
pub const MANIFEST_FILE: &str = "backup.json";
/// Shortest passphrase accepted: scrypt slows guessing, it does not make a short one safe.
pub const MIN_PASSPHRASE_CHARS: usize = 12;

const BUNDLE_FORMAT: &str = "placeforte-keys/1";

/// A backup or restore failure, in words for the operator.
#[derive(Debug, thiserror::Error)]
pub enum BackupError {
    /// The passphrase is too short.
    #[error("the backup passphrase must have at least {MIN_PASSPHRASE_CHARS} characters")]
    WeakPassphrase,
    /// The backup folder already holds a backup, or the restore target is not fresh.
    #[error("{0} already exists; back up into (or restore to) a new folder")]
    NotFresh(PathBuf),
    /// A file could not be read or written.
    #[error("{path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The snapshot failed.
    #[error("the database snapshot failed: {0}")]
    Snapshot(#[from] sqlx::Error),
    /// The keys could not be sealed.
    #[error("the keys could not be encrypted: {0}")]
    Seal(String),
    /// Wrong passphrase, or not a key bundle.
    #[error("the keys could not be decrypted (wrong passphrase, or not a PlaceForte key backup)")]
    Unseal,
    /// A file's digest is not the manifest's.
    #[error("{0} does not match the backup's manifest: the copy is damaged or was replaced")]
    Mismatch(String),
    /// The manifest or the bundle is not what a backup writes.
    #[error("not a PlaceForte backup: {0}")]
    Malformed(String),
}

/// One key or certificate file of the service, as sealed.
#[derive(Debug, Serialize, Deserialize)]
struct SealedFile {
    /// The file's name in the data folder.
    name: String,
    /// Whether it is a private key (restored 0600).
    private: bool,
    /// Its bytes, hex.
    contents_hex: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct KeyBundle {
    format: String,
    files: Vec<SealedFile>,
}

/// What a backup folder holds, written beside it.
#[derive(Debug, Serialize, Deserialize)]
pub struct Manifest {
    /// When the backup was taken.
    pub taken_at: DateTime<Utc>,
    /// SHA-256 (hex) of the database snapshot, when the backup holds one (SQLite).
    pub database_sha256: Option<String>,
    /// SHA-256 (hex) of the sealed keys.
    pub keys_sha256: String,
    /// The key files sealed, by name (not their contents).
    pub key_files: Vec<String>,
}

/// The service's key and certificate files a restore needs: (path, is it a private key). The
/// former chain's keys are included when they exist.
pub fn key_files(config: &Config) -> Vec<(PathBuf, bool)> {
    let mut files = vec![
        (config.ca_certificate.clone(), false),
        (config.ca_key.clone(), true),
        (config.server_certificate.clone(), false),
        (config.server_key.clone(), true),
        (config.audit_log_key.clone(), true),
        (config.audit_log_verifier_key.clone(), false),
    ];
    files.extend(
        config
            .audit_log_previous_verifier_keys
            .iter()
            .map(|p| (p.clone(), false)),
    );
    for (path, private) in [
        (&config.audit_signing_key, true),
        (&config.audit_public_key, false),
    ] {
        if path.exists() {
            files.push((path.clone(), private));
        }
    }
    files
}

/// The operator's passphrase, refused when too short.
pub fn passphrase(text: String) -> Result<SecretString, BackupError> {
    if text.chars().count() < MIN_PASSPHRASE_CHARS {
        return Err(BackupError::WeakPassphrase);
    }
    Ok(SecretString::from(text))
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> BackupError + '_ {
    move |source| BackupError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Takes a backup into the new folder `to`: the SQLite snapshot when `store` is given, the
/// sealed keys, and the manifest. Writes nothing over an existing file.
pub async fn back_up(
    config: &Config,
    store: Option<&SqliteStore>,
    passphrase: SecretString,
    to: &Path,
    now: DateTime<Utc>,
) -> Result<Manifest, BackupError> {
    std::fs::create_dir_all(to).map_err(io_error(to))?;
    let manifest_path = to.join(MANIFEST_FILE);
    for name in [DATABASE_FILE, KEYS_FILE, MANIFEST_FILE] {
        if to.join(name).exists() {
            return Err(BackupError::NotFresh(to.join(name)));
        }
    }
    let database_sha256 = match store {
        Some(store) => {
            let snapshot = to.join(DATABASE_FILE);
            snapshot_sqlite(store, &snapshot).await?;
            let bytes = std::fs::read(&snapshot).map_err(io_error(&snapshot))?;
            Some(sha256_hex(&bytes))
        }
        None => None,
    };
    let (sealed, key_files) = seal_keys(&key_files(config), passphrase)?;
    let keys_path = to.join(KEYS_FILE);
    write_new(&keys_path, &sealed, true)?;
    let manifest = Manifest {
        taken_at: now,
        database_sha256,
        keys_sha256: sha256_hex(&sealed),
        key_files,
    };
    let text =
        serde_json::to_vec_pretty(&manifest).map_err(|e| BackupError::Malformed(e.to_string()))?;
    write_new(&manifest_path, &text, false)?;
    Ok(manifest)
}

/// A consistent copy of the live database at `to`, taken inside one read transaction by
/// SQLite itself; the service keeps serving meanwhile.
pub async fn snapshot_sqlite(store: &SqliteStore, to: &Path) -> Result<(), BackupError> {
    let target = to
        .to_str()
        .ok_or_else(|| BackupError::Malformed(format!("{} is not UTF-8", to.display())))?;
    sqlx::query("VACUUM INTO $1")
        .bind(target)
        .execute(store.pool())
        .await?;
    Ok(())
}

/// The files, read and encrypted to the passphrase; and their names.
fn seal_keys(
    files: &[(PathBuf, bool)],
    passphrase: SecretString,
) -> Result<(Vec<u8>, Vec<String>), BackupError> {
    let mut bundle = KeyBundle {
        format: BUNDLE_FORMAT.to_owned(),
        files: Vec::with_capacity(files.len()),
    };
    for (path, private) in files {
        let bytes = std::fs::read(path).map_err(io_error(path))?;
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| BackupError::Malformed(format!("{} has no file name", path.display())))?
            .to_owned();
        bundle.files.push(SealedFile {
            name,
            private: *private,
            contents_hex: hex::encode(bytes),
        });
    }
    let names = bundle.files.iter().map(|f| f.name.clone()).collect();
    let plain = serde_json::to_vec(&bundle).map_err(|e| BackupError::Seal(e.to_string()))?;
    let recipient = age::scrypt::Recipient::new(passphrase);
    let sealed = age::encrypt(&recipient, &plain).map_err(|e| BackupError::Seal(e.to_string()))?;
    Ok((sealed, names))
}

fn unseal_keys(sealed: &[u8], passphrase: SecretString) -> Result<KeyBundle, BackupError> {
    let identity = age::scrypt::Identity::new(passphrase);
    let plain = age::decrypt(&identity, sealed).map_err(|_| BackupError::Unseal)?;
    let bundle: KeyBundle = serde_json::from_slice(&plain).map_err(|_| BackupError::Unseal)?;
    if bundle.format != BUNDLE_FORMAT {
        return Err(BackupError::Malformed(format!(
            "key bundle format {}",
            bundle.format
        )));
    }
    Ok(bundle)
}

/// What a restore wrote.
#[derive(Debug)]
pub struct Restored {
    /// Every file written, the database first when there is one.
    pub written: Vec<PathBuf>,
}

/// Restores the backup in `from` into the fresh folder `data_dir`: checks every digest, opens
/// the keys with the passphrase, then writes the keys (private ones 0600) and the database.
/// Refuses before writing anything if a file is damaged, the passphrase is wrong, or the folder
/// already holds a file of the same name.
pub fn restore(
    from: &Path,
    data_dir: &Path,
    passphrase: SecretString,
) -> Result<Restored, BackupError> {
    let manifest_path = from.join(MANIFEST_FILE);
    let manifest: Manifest =
        serde_json::from_slice(&std::fs::read(&manifest_path).map_err(io_error(&manifest_path))?)
            .map_err(|e| BackupError::Malformed(format!("{MANIFEST_FILE}: {e}")))?;
    let keys_path = from.join(KEYS_FILE);
    let sealed = std::fs::read(&keys_path).map_err(io_error(&keys_path))?;
    if sha256_hex(&sealed) != manifest.keys_sha256 {
        return Err(BackupError::Mismatch(KEYS_FILE.to_owned()));
    }
    let database = match &manifest.database_sha256 {
        Some(digest) => {
            let path = from.join(DATABASE_FILE);
            let bytes = std::fs::read(&path).map_err(io_error(&path))?;
            if sha256_hex(&bytes) != *digest {
                return Err(BackupError::Mismatch(DATABASE_FILE.to_owned()));
            }
            Some(bytes)
        }
        None => None,
    };
    let bundle = unseal_keys(&sealed, passphrase)?;
    let mut targets: Vec<(PathBuf, Vec<u8>, bool)> = Vec::new();
    if let Some(bytes) = database {
        targets.push((data_dir.join(DATABASE_FILE), bytes, false));
    }
    for file in bundle.files {
        // A name is a plain file name: a bundle cannot write outside the folder.
        if Path::new(&file.name).file_name().and_then(|n| n.to_str()) != Some(file.name.as_str()) {
            return Err(BackupError::Malformed(format!("file name {}", file.name)));
        }
        let bytes = hex::decode(&file.contents_hex)
            .map_err(|_| BackupError::Malformed(format!("contents of {}", file.name)))?;
        targets.push((data_dir.join(&file.name), bytes, file.private));
    }
    std::fs::create_dir_all(data_dir).map_err(io_error(data_dir))?;
    if let Some((existing, _, _)) = targets.iter().find(|(path, _, _)| path.exists()) {
        return Err(BackupError::NotFresh(existing.clone()));
    }
    for (path, bytes, private) in &targets {
        write_new(path, bytes, *private)?;
    }
    Ok(Restored {
        written: targets.into_iter().map(|(path, _, _)| path).collect(),
    })
}

/// Writes a new file (0600 when `private`); refuses to replace one.
fn write_new(path: &Path, bytes: &[u8], private: bool) -> Result<(), BackupError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::AlreadyExists {
            BackupError::NotFresh(path.to_path_buf())
        } else {
            BackupError::Io {
                path: path.to_path_buf(),
                source,
            }
        }
    })?;
    file.write_all(bytes).map_err(io_error(path))?;
    file.sync_all().map_err(io_error(path))
}

/// Reads the passphrase from `file` (its first line) or, without one, from the environment
/// variable `PLACEFORTE_BACKUP_PASSPHRASE`.
pub fn read_passphrase(file: Option<&Path>) -> Result<SecretString, BackupError> {
    let text = match file {
        Some(path) => {
            let mut text = String::new();
            std::fs::File::open(path)
                .and_then(|mut f| f.read_to_string(&mut text))
                .map_err(io_error(path))?;
            text.lines().next().unwrap_or_default().to_owned()
        }
        None => std::env::var(PASSPHRASE_ENV).unwrap_or_default(),
    };
    passphrase(text)
}

/// The environment variable `backup` and `restore` read the passphrase from.
pub const PASSPHRASE_ENV: &str = "PLACEFORTE_BACKUP_PASSPHRASE";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_short_passphrase_is_refused() {
        assert!(matches!(
            passphrase("short".to_owned()),
            Err(BackupError::WeakPassphrase)
        ));
        assert!(passphrase("correct horse battery".to_owned()).is_ok());
    }
}
