//! The witness's directory: its private key (`witness.key`, mode 0600), its verifier key
//! (`witness.vkey`, given to the service and to verifiers) and its store (`witness.db`).

use std::fs::{self, OpenOptions};
use std::io::{self, Write as _};
use std::path::{Path, PathBuf};

use placeforte_translog::checkpoint::LogVerifier;
use placeforte_translog::cosignature::WitnessSigner;
use placeforte_translog::keys::{self, KeyError};
use ring::rand::{SecureRandom as _, SystemRandom};

/// The private key's file name.
pub const KEY_FILE: &str = "witness.key";
/// The verifier key's file name.
pub const VERIFIER_KEY_FILE: &str = "witness.vkey";

/// Setting up or loading the witness's keys failed.
#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    /// The name is not a valid key name.
    #[error(
        "invalid witness name {0:?}: a key name must be non-empty, without spaces or '+' \
         (for example witness.example.qc.ca/w1)"
    )]
    InvalidName(String),
    /// `init` would overwrite a key.
    #[error("{} already exists; refusing to overwrite a witness key (init another directory to make a new key)", .0.display())]
    Exists(PathBuf),
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
    /// A key text is not what it should be.
    #[error("{}: {source}", .path.display())]
    BadKey {
        /// The file.
        path: PathBuf,
        /// Why.
        source: KeyError,
    },
    /// Reading or writing a file failed.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
}

fn io_error(path: &Path) -> impl FnOnce(io::Error) -> KeyFileError + '_ {
    move |source| KeyFileError::Io {
        path: path.to_owned(),
        source,
    }
}

/// Makes `dir` if needed and writes a new key pair named `name` in it, refusing to overwrite
/// either file; returns the verifier key text.
pub fn init(dir: &Path, name: &str) -> Result<String, KeyFileError> {
    if !keys::is_valid_name(name) {
        return Err(KeyFileError::InvalidName(name.to_owned()));
    }
    let key_path = dir.join(KEY_FILE);
    let vkey_path = dir.join(VERIFIER_KEY_FILE);
    for path in [&key_path, &vkey_path] {
        if path.exists() {
            return Err(KeyFileError::Exists(path.clone()));
        }
    }
    fs::create_dir_all(dir).map_err(io_error(dir))?;
    let mut seed = [0_u8; 32];
    SystemRandom::new()
        .fill(&mut seed)
        .map_err(|_| KeyFileError::Random)?;
    let pair = WitnessSigner::generate(name, &seed).map_err(|source| KeyFileError::BadKey {
        path: key_path.clone(),
        source,
    })?;
    seed.fill(0);
    write_new(&key_path, &format!("{}\n", pair.private), 0o600)?;
    write_new(&vkey_path, &format!("{}\n", pair.verifier), 0o644)?;
    Ok(pair.verifier)
}

/// Creates `path` with `mode` (on Unix), failing if it exists (also against a concurrent
/// `init`: the existence check above only gives the clearer message).
fn write_new(path: &Path, text: &str, mode: u32) -> Result<(), KeyFileError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(mode);
    }
    #[cfg(not(unix))]
    let _ = mode;
    let mut file = options.open(path).map_err(|source| {
        if source.kind() == io::ErrorKind::AlreadyExists {
            KeyFileError::Exists(path.to_owned())
        } else {
            KeyFileError::Io {
                path: path.to_owned(),
                source,
            }
        }
    })?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.sync_all())
        .map_err(io_error(path))
}

/// The witness's signer from `dir/witness.key`.
pub fn load_signer(dir: &Path) -> Result<WitnessSigner, KeyFileError> {
    let path = dir.join(KEY_FILE);
    let text = fs::read_to_string(&path).map_err(io_error(&path))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        if let Ok(metadata) = fs::metadata(&path) {
            if metadata.permissions().mode() & 0o077 != 0 {
                tracing::warn!(path = %path.display(), "the witness key is readable by others than its owner (chmod 600)");
            }
        }
    }
    WitnessSigner::from_private_key(&text).map_err(|source| KeyFileError::BadKey { path, source })
}

/// A log's verifier key from a file holding its text.
pub fn load_log_key(path: &Path) -> Result<LogVerifier, KeyFileError> {
    let text = fs::read_to_string(path).map_err(io_error(path))?;
    LogVerifier::from_verifier_key(&text).map_err(|source| KeyFileError::BadKey {
        path: path.to_owned(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use placeforte_translog::cosignature::WitnessVerifier;

    #[test]
    fn init_writes_a_private_key_for_its_owner_only_and_never_twice() {
        let dir = tempfile::tempdir().expect("tempdir");
        let witness_dir = dir.path().join("w");
        let vkey = init(&witness_dir, "witness.example/w1").expect("init");
        let signer = load_signer(&witness_dir).expect("signer");
        assert_eq!(signer.verifier_key(), vkey);
        let written = fs::read_to_string(witness_dir.join(VERIFIER_KEY_FILE)).expect("vkey");
        assert_eq!(written, format!("{vkey}\n"));
        WitnessVerifier::from_verifier_key(&written).expect("a witness verifier key");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt as _;
            let mode = fs::metadata(witness_dir.join(KEY_FILE))
                .expect("metadata")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(matches!(
            init(&witness_dir, "witness.example/w2"),
            Err(KeyFileError::Exists(_))
        ));
        assert_eq!(
            load_signer(&witness_dir).expect("signer").name(),
            "witness.example/w1"
        );
        assert!(matches!(
            init(&dir.path().join("x"), "bad name"),
            Err(KeyFileError::InvalidName(_))
        ));
    }
}
