//! Cosignatures (c2sp.org/tlog-cosignature, Ed25519 "cosignature/v1", signature type 0x04).
//!
//! The signature is `u64 timestamp (big-endian) || Ed25519(key, message)` where the message is
//! `cosignature/v1\ntime <timestamp>\n` followed by the checkpoint's note body; the key id is
//! `SHA-256(name || "\n" || 0x04 || public key)[:4]`. `signed_note` 0.2 only knows signature
//! type 0x01, so this module implements its `Signer`/`Verifier` traits for type 0x04 and lets
//! `signed_note` format and parse the note lines.

use ed25519_dalek::{Signer as _, Verifier as _};
use signed_note::{Note, Signature, VerifierList};

use crate::keys::{self, KeyError, ParsedPrivate, ParsedVerifier, ALG_COSIGNATURE_V1};

/// Length of a cosignature: timestamp and Ed25519 signature.
const COSIGNATURE_LEN: usize = 8 + 64;

/// A cosignature could not be made or does not check.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CosignatureError {
    /// The note or the signature lines are malformed.
    #[error("malformed cosigned note")]
    Malformed,
    /// No valid cosignature from this witness key.
    #[error("no valid cosignature from the witness key {0}")]
    NotCosigned(String),
    /// Signing failed.
    #[error("signing failed")]
    Signing,
}

/// The message a cosignature signs.
pub fn cosigned_message(timestamp: u64, body: &[u8]) -> Vec<u8> {
    let mut message = format!("cosignature/v1\ntime {timestamp}\n").into_bytes();
    message.extend_from_slice(body);
    message
}

/// A witness's cosigning key. `Debug` shows only the verifier key.
pub struct WitnessSigner {
    key: ParsedPrivate,
    verifier_key: String,
}

impl std::fmt::Debug for WitnessSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessSigner")
            .field("verifier_key", &self.verifier_key)
            .finish_non_exhaustive()
    }
}

impl WitnessSigner {
    /// A new cosigning key pair for the witness `name`, from a 32-byte random seed.
    pub fn generate(name: &str, seed: &[u8; 32]) -> Result<keys::KeyPairText, KeyError> {
        keys::key_pair_text(ALG_COSIGNATURE_V1, name, seed)
    }

    /// The signer for a private key text made by [`WitnessSigner::generate`].
    pub fn from_private_key(text: &str) -> Result<WitnessSigner, KeyError> {
        let key = keys::parse_private(text, ALG_COSIGNATURE_V1)?;
        let seed = key.key.to_bytes();
        let verifier_key = keys::key_pair_text(ALG_COSIGNATURE_V1, &key.name, &seed)?.verifier;
        Ok(WitnessSigner { key, verifier_key })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// The verifier key text logs and verifiers are given.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// The cosignature line (`— <name> <base64>\n`) over the checkpoint `body` at `timestamp`
    /// (seconds since the epoch).
    pub fn cosign(&self, body: &str, timestamp: u64) -> Result<String, CosignatureError> {
        let mut note = Note::new(body.as_bytes(), &[]).map_err(|_| CosignatureError::Malformed)?;
        let signer = TimestampedSigner {
            key: &self.key,
            timestamp,
        };
        note.add_sigs(&[&signer])
            .map_err(|_| CosignatureError::Signing)?;
        let signed = String::from_utf8(note.to_bytes()).map_err(|_| CosignatureError::Malformed)?;
        // The note is the body, a blank line, then the one signature line.
        signed
            .get(body.len() + 1..)
            .map(str::to_owned)
            .ok_or(CosignatureError::Malformed)
    }
}

struct TimestampedSigner<'a> {
    key: &'a ParsedPrivate,
    timestamp: u64,
}

impl signed_note::Signer for TimestampedSigner<'_> {
    fn name(&self) -> &str {
        &self.key.name
    }

    fn key_id(&self) -> u32 {
        self.key.id
    }

    fn sign(&self, msg: &[u8]) -> Result<Vec<u8>, ed25519_dalek::SignatureError> {
        let signature = self
            .key
            .key
            .try_sign(&cosigned_message(self.timestamp, msg))?;
        let mut out = self.timestamp.to_be_bytes().to_vec();
        out.extend_from_slice(&signature.to_bytes());
        Ok(out)
    }
}

/// A verified cosignature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cosignature {
    /// When the witness cosigned (seconds since the epoch).
    pub timestamp: u64,
    /// The signature line, as it goes into a note.
    pub line: String,
}

/// Checks one witness's cosignatures.
#[derive(Clone)]
pub struct WitnessVerifier {
    key: ParsedVerifier,
    verifier_key: String,
}

impl std::fmt::Debug for WitnessVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WitnessVerifier")
            .field("verifier_key", &self.verifier_key)
            .finish()
    }
}

impl WitnessVerifier {
    /// The verifier for a witness's verifier key text.
    pub fn from_verifier_key(text: &str) -> Result<WitnessVerifier, KeyError> {
        Ok(WitnessVerifier {
            key: keys::parse_verifier(text, ALG_COSIGNATURE_V1)?,
            verifier_key: text.trim().to_owned(),
        })
    }

    /// The witness's name.
    pub fn name(&self) -> &str {
        &self.key.name
    }

    /// The verifier key text.
    pub fn verifier_key(&self) -> &str {
        &self.verifier_key
    }

    /// Finds this witness's cosignature among `signature_lines` (each `— name base64\n`) over
    /// the checkpoint `body`, and checks it. Lines from other keys are ignored.
    pub fn verify(
        &self,
        body: &str,
        signature_lines: &str,
    ) -> Result<Cosignature, CosignatureError> {
        let note_text = format!("{body}\n{signature_lines}");
        let note =
            Note::from_bytes(note_text.as_bytes()).map_err(|_| CosignatureError::Malformed)?;
        let known = VerifierList::new(vec![Box::new(OwnedVerifier(self.key.clone()))]);
        let not_cosigned = || CosignatureError::NotCosigned(self.verifier_key.clone());
        let (verified, _) = note.verify(&known).map_err(|_| not_cosigned())?;
        let signature: &Signature = verified.first().ok_or_else(not_cosigned)?;
        let timestamp = timestamp_of(signature.signature()).ok_or_else(not_cosigned)?;
        let line =
            String::from_utf8(signature.to_bytes()).map_err(|_| CosignatureError::Malformed)?;
        Ok(Cosignature { timestamp, line })
    }
}

fn timestamp_of(signature: &[u8]) -> Option<u64> {
    if signature.len() != COSIGNATURE_LEN {
        return None;
    }
    let timestamp = u64::from_be_bytes(signature[..8].try_into().ok()?);
    (timestamp <= i64::MAX as u64).then_some(timestamp)
}

/// A copy of the key for `VerifierList`, which takes `'static` boxes.
struct OwnedVerifier(ParsedVerifier);

impl signed_note::Verifier for OwnedVerifier {
    fn name(&self) -> &str {
        &self.0.name
    }

    fn key_id(&self) -> u32 {
        self.0.id
    }

    fn verify(&self, msg: &[u8], sig: &[u8]) -> bool {
        let Some(timestamp) = timestamp_of(sig) else {
            return false;
        };
        let Ok(signature) = ed25519_dalek::Signature::from_slice(&sig[8..]) else {
            return false;
        };
        self.0
            .key
            .verify(&cosigned_message(timestamp, msg), &signature)
            .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checkpoint::{LogSigner, TreeHead};
    use crate::Hash;

    fn witness(name: &str, seed: u8) -> WitnessSigner {
        let pair = WitnessSigner::generate(name, &[seed; 32]).expect("pair");
        WitnessSigner::from_private_key(&pair.private).expect("signer")
    }

    #[test]
    fn a_cosignature_verifies_with_its_key_only_and_carries_its_time() {
        let pair = LogSigner::generate("placeforte.example/audit", &[1; 32]).expect("pair");
        let log = LogSigner::from_private_key(&pair.private).expect("log");
        let note = log
            .sign(TreeHead {
                size: 3,
                root: Hash([4; 32]),
            })
            .expect("sign");
        let body = log.verifier().open(&note).expect("open").body;
        let w1 = witness("witness.example/w1", 2);
        let line = w1.cosign(&body, 1_679_315_147).expect("cosign");
        assert!(line.starts_with("— witness.example/w1 "), "{line}");
        assert!(line.ends_with('\n'));

        let verifier = WitnessVerifier::from_verifier_key(w1.verifier_key()).expect("vkey");
        // Beside the log's own signature line, as a cosigned checkpoint carries it.
        let (_, log_line) = crate::checkpoint::split_note(&note).expect("parts");
        let lines = format!("{log_line}{line}");
        let checked = verifier.verify(&body, &lines).expect("verifies");
        assert_eq!(checked.timestamp, 1_679_315_147);
        assert_eq!(checked.line, line);

        // Another witness's key, an edited body, an edited timestamp: refused.
        let w2 =
            WitnessVerifier::from_verifier_key(witness("witness.example/w2", 3).verifier_key())
                .expect("vkey");
        assert!(w2.verify(&body, &lines).is_err());
        let edited = body.replacen("\n3\n", "\n4\n", 1);
        assert!(verifier.verify(&edited, &lines).is_err());
        // The same signature with its timestamp moved by a second.
        use base64::prelude::*;
        let (prefix, encoded) = line.trim_end().rsplit_once(' ').expect("line");
        let mut bytes = BASE64_STANDARD.decode(encoded).expect("base64");
        bytes[11] ^= 1;
        let moved = format!("{prefix} {}\n", BASE64_STANDARD.encode(bytes));
        assert!(verifier.verify(&body, &moved).is_err());
    }

    #[test]
    fn the_key_id_follows_the_specification() {
        let w = witness("witness.example/w1", 2);
        let verifier = WitnessVerifier::from_verifier_key(w.verifier_key()).expect("vkey");
        let mut material = vec![ALG_COSIGNATURE_V1];
        material.extend_from_slice(verifier.key.key.as_bytes());
        assert_eq!(
            verifier.key.id,
            signed_note::key_id("witness.example/w1", &material)
        );
        use sha2::Digest as _;
        let digest = sha2::Sha256::new()
            .chain_update(b"witness.example/w1\n")
            .chain_update(&material)
            .finalize();
        assert_eq!(verifier.key.id.to_be_bytes(), digest[..4]);
    }
}
