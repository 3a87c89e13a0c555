//! Checkpoints (c2sp.org/tlog-checkpoint) signed by the log key as signed notes.
//!
//! The log key's name is the log's origin, the checkpoint's first line, as the C2SP examples
//! do: a verifier key names the one log it speaks for.

use signed_note::{Note, VerifierList};

use crate::keys::{self, KeyError, ALG_ED25519};
use crate::Hash;

/// A checkpoint note could not be made or does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CheckpointError {
    /// Not a signed note holding a checkpoint.
    #[error("malformed checkpoint note")]
    Malformed,
    /// Signed for another origin than this log's.
    #[error("the checkpoint is for another log ({0})")]
    WrongOrigin(String),
    /// No signature by the log key, or one that does not verify.
    #[error("the checkpoint is not signed by the log key")]
    NotSigned,
    /// Signing failed.
    #[error("signing failed")]
    Signing,
}

/// A tree head: size and root hash.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TreeHead {
    /// Number of entries.
    pub size: u64,
    /// RFC 6962 root hash.
    pub root: Hash,
}

/// The log's signing key. `Debug` shows only the verifier key.
pub struct LogSigner {
    signer: signed_note::StandardSigner,
    verifier: LogVerifier,
}

impl std::fmt::Debug for LogSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogSigner")
            .field("verifier_key", &self.verifier.verifier_key)
            .finish_non_exhaustive()
    }
}

impl LogSigner {
    /// A new key pair for the log `origin`, from a 32-byte random seed.
    pub fn generate(origin: &str, seed: &[u8; 32]) -> Result<keys::KeyPairText, KeyError> {
        keys::key_pair_text(ALG_ED25519, origin, seed)
    }

    /// The signer for a private key text made by [`LogSigner::generate`].
    pub fn from_private_key(text: &str) -> Result<LogSigner, KeyError> {
        let parsed = keys::parse_private(text, ALG_ED25519)?;
        let signer = signed_note::StandardSigner::new(text.trim()).map_err(|_| KeyError::Format)?;
        let verifier = LogVerifier::from_verifier_key(&signed_note::new_ed25519_verifier_key(
            &parsed.name,
            &parsed.key.verifying_key(),
        ))?;
        Ok(LogSigner { signer, verifier })
    }

    /// The log's origin line (the key's name).
    pub fn origin(&self) -> &str {
        &self.verifier.origin
    }

    /// The verifier key text verifiers are given.
    pub fn verifier_key(&self) -> &str {
        &self.verifier.verifier_key
    }

    /// The verifier for this key.
    pub fn verifier(&self) -> &LogVerifier {
        &self.verifier
    }

    /// The signed checkpoint note for `head`.
    pub fn sign(&self, head: TreeHead) -> Result<String, CheckpointError> {
        let body = checkpoint_body(self.origin(), head);
        let mut note = Note::new(body.as_bytes(), &[]).map_err(|_| CheckpointError::Malformed)?;
        note.add_sigs(&[&self.signer])
            .map_err(|_| CheckpointError::Signing)?;
        String::from_utf8(note.to_bytes()).map_err(|_| CheckpointError::Malformed)
    }
}

/// A signed note's two parts: its text (ending with its newline) and its signature lines
/// (each `— name base64\n`), split at the blank line between them; `None` without one.
pub fn split_note(note: &str) -> Option<(&str, &str)> {
    let end = note.find("\n\n")?;
    Some((&note[..=end], &note[end + 2..]))
}

/// The text of a checkpoint: origin, size, base64 root, each on its own line.
pub fn checkpoint_body(origin: &str, head: TreeHead) -> String {
    format!("{origin}\n{}\n{}\n", head.size, head.root)
}

/// A checkpoint whose log signature verified.
#[derive(Debug, Clone, PartialEq)]
pub struct SignedCheckpoint {
    /// Its tree head.
    pub head: TreeHead,
    /// The note body (the three checkpoint lines), as cosigners sign it.
    pub body: String,
}

/// Checks checkpoints of one log.
#[derive(Clone)]
pub struct LogVerifier {
    verifier: signed_note::StandardVerifier,
    origin: String,
    key_id: u32,
    verifier_key: String,
}

impl std::fmt::Debug for LogVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogVerifier")
            .field("verifier_key", &self.verifier_key)
            .finish()
    }
}

impl LogVerifier {
    /// The verifier for a verifier key text.
    pub fn from_verifier_key(text: &str) -> Result<LogVerifier, KeyError> {
        let parsed = keys::parse_verifier(text, ALG_ED25519)?;
        let verifier =
            signed_note::StandardVerifier::new(text.trim()).map_err(|_| KeyError::Format)?;
        Ok(LogVerifier {
            verifier,
            origin: parsed.name,
            key_id: parsed.id,
            verifier_key: text.trim().to_owned(),
        })
    }

    /// The log's origin.
    pub fn origin(&self) -> &str {
        &self.origin
    }

    /// The key's id (its note signature lines carry it).
    pub fn key_id(&self) -> u32 {
        self.key_id
    }

    /// The verifier key text.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// Opens a signed checkpoint note: its log signature must verify; other signatures (a
    /// witness's) are ignored here.
    pub fn open(&self, note_text: &str) -> Result<SignedCheckpoint, CheckpointError> {
        let note =
            Note::from_bytes(note_text.as_bytes()).map_err(|_| CheckpointError::Malformed)?;
        let known = VerifierList::new(vec![Box::new(self.verifier.clone())]);
        note.verify(&known)
            .map_err(|_| CheckpointError::NotSigned)?;
        let parsed = tlog_tiles::Checkpoint::from_bytes(note.text())
            .map_err(|_| CheckpointError::Malformed)?;
        if parsed.origin() != self.origin {
            return Err(CheckpointError::WrongOrigin(parsed.origin().to_owned()));
        }
        if !parsed.extension().is_empty() {
            return Err(CheckpointError::Malformed);
        }
        let head = TreeHead {
            size: parsed.size(),
            root: *parsed.hash(),
        };
        Ok(SignedCheckpoint {
            head,
            body: checkpoint_body(&self.origin, head),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signer(origin: &str, seed: u8) -> LogSigner {
        let pair = LogSigner::generate(origin, &[seed; 32]).expect("pair");
        LogSigner::from_private_key(&pair.private).expect("signer")
    }

    #[test]
    fn a_signed_checkpoint_opens_only_with_its_key_and_unchanged() {
        let log = signer("placeforte.example/audit", 1);
        let head = TreeHead {
            size: 20_852_163,
            root: Hash([9; 32]),
        };
        let note = log.sign(head).expect("sign");
        assert!(note.starts_with("placeforte.example/audit\n20852163\n"));
        let opened = log.verifier().open(&note).expect("opens");
        assert_eq!(opened.head, head);

        let other = signer("placeforte.example/audit", 2);
        assert_eq!(
            other.verifier().open(&note),
            Err(CheckpointError::NotSigned)
        );
        let edited = note.replacen("20852163", "20852164", 1);
        assert_eq!(
            log.verifier().open(&edited),
            Err(CheckpointError::NotSigned)
        );
        assert_eq!(
            log.verifier().open("not a note"),
            Err(CheckpointError::Malformed)
        );
        let (body, signatures) = split_note(&note).expect("parts");
        assert_eq!(body, opened.body);
        assert!(
            signatures.starts_with("— placeforte.example/audit "),
            "{signatures}"
        );
        assert_eq!(format!("{body}\n{signatures}"), note);
        assert_eq!(split_note("no blank line\n"), None);
        assert!(!format!("{log:?}").contains("PRIVATE"));
    }
}
