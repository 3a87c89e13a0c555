//! Key text in the signed-note formats, made from a caller's random seed (this crate does no
//! IO, so the caller brings the system random source).

use base64::prelude::*;

/// Signature type of a log's Ed25519 note signature (c2sp.org/signed-note).
pub const ALG_ED25519: u8 = 0x01;
/// Signature type of an Ed25519 cosignature/v1 (c2sp.org/tlog-cosignature).
pub const ALG_COSIGNATURE_V1: u8 = 0x04;

/// A key's text is not in the expected format.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not `PRIVATE+KEY+name+id+base64` / `name+id+base64`, or a bad name.
    #[error("malformed key text")]
    Format,
    /// Another signature type than the one expected here.
    #[error("a key of another signature type (expected 0x{expected:02x})")]
    WrongType {
        /// The type this use needs.
        expected: u8,
    },
    /// The key id does not match the name and public key.
    #[error("the key id does not match the key")]
    Id,
}

/// A generated key pair: the private key text (keep secret) and the verifier key text.
#[derive(Clone, PartialEq, Eq)]
pub struct KeyPairText {
    /// `PRIVATE+KEY+<name>+<id>+<base64(type || seed)>`.
    pub private: String,
    /// `<name>+<id>+<base64(type || public key)>`.
    pub verifier: String,
}

impl std::fmt::Debug for KeyPairText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyPairText")
            .field("verifier", &self.verifier)
            .finish_non_exhaustive()
    }
}

/// Whether `name` may name a key (c2sp.org/signed-note: non-empty, no spaces, no `+`).
pub fn is_valid_name(name: &str) -> bool {
    signed_note::is_key_name_valid(name)
}

/// The key pair of signature type `alg` named `name` with Ed25519 seed `seed`.
pub fn key_pair_text(alg: u8, name: &str, seed: &[u8; 32]) -> Result<KeyPairText, KeyError> {
    if !is_valid_name(name) {
        return Err(KeyError::Format);
    }
    let signing = ed25519_dalek::SigningKey::from_bytes(seed);
    let public = [&[alg], signing.verifying_key().as_bytes().as_slice()].concat();
    let id = signed_note::key_id(name, &public);
    let private = [&[alg], seed.as_slice()].concat();
    Ok(KeyPairText {
        private: format!(
            "PRIVATE+KEY+{name}+{id:08x}+{}",
            BASE64_STANDARD.encode(private)
        ),
        verifier: format!("{name}+{id:08x}+{}", BASE64_STANDARD.encode(public)),
    })
}

/// A parsed private key: its name, id and Ed25519 key.
pub(crate) struct ParsedPrivate {
    pub(crate) name: String,
    pub(crate) id: u32,
    pub(crate) key: ed25519_dalek::SigningKey,
}

/// A parsed verifier key: its name, id and Ed25519 key.
#[derive(Clone)]
pub(crate) struct ParsedVerifier {
    pub(crate) name: String,
    pub(crate) id: u32,
    pub(crate) key: ed25519_dalek::VerifyingKey,
}

pub(crate) fn parse_private(text: &str, alg: u8) -> Result<ParsedPrivate, KeyError> {
    let rest = text
        .trim()
        .strip_prefix("PRIVATE+KEY+")
        .ok_or(KeyError::Format)?;
    let (name, id, material) = split_key(rest)?;
    let (&kind, seed) = material.split_first().ok_or(KeyError::Format)?;
    if kind != alg {
        return Err(KeyError::WrongType { expected: alg });
    }
    let seed: [u8; 32] = seed.try_into().map_err(|_| KeyError::Format)?;
    let key = ed25519_dalek::SigningKey::from_bytes(&seed);
    let public = [&[alg], key.verifying_key().as_bytes().as_slice()].concat();
    if signed_note::key_id(&name, &public) != id {
        return Err(KeyError::Id);
    }
    Ok(ParsedPrivate { name, id, key })
}

pub(crate) fn parse_verifier(text: &str, alg: u8) -> Result<ParsedVerifier, KeyError> {
    let (name, id, material) = split_key(text.trim())?;
    let (&kind, public) = material.split_first().ok_or(KeyError::Format)?;
    if kind != alg {
        return Err(KeyError::WrongType { expected: alg });
    }
    if signed_note::key_id(&name, &material) != id {
        return Err(KeyError::Id);
    }
    let public: [u8; 32] = public.try_into().map_err(|_| KeyError::Format)?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&public).map_err(|_| KeyError::Format)?;
    Ok(ParsedVerifier { name, id, key })
}

/// `name+id+base64` → its parts.
fn split_key(text: &str) -> Result<(String, u32, Vec<u8>), KeyError> {
    let (name, rest) = text.split_once('+').ok_or(KeyError::Format)?;
    let (id_hex, material) = rest.split_once('+').ok_or(KeyError::Format)?;
    if id_hex.len() != 8 || !is_valid_name(name) {
        return Err(KeyError::Format);
    }
    let id = u32::from_str_radix(id_hex, 16).map_err(|_| KeyError::Format)?;
    let material = BASE64_STANDARD
        .decode(material)
        .map_err(|_| KeyError::Format)?;
    Ok((name.to_owned(), id, material))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_keys_parse_back_only_as_their_type() {
        let pair = key_pair_text(ALG_COSIGNATURE_V1, "witness.example/w1", &[7; 32]).expect("pair");
        let private = parse_private(&pair.private, ALG_COSIGNATURE_V1).expect("private");
        let verifier = parse_verifier(&pair.verifier, ALG_COSIGNATURE_V1).expect("verifier");
        assert_eq!(private.id, verifier.id);
        assert_eq!(private.key.verifying_key(), verifier.key);
        assert_eq!(
            parse_verifier(&pair.verifier, ALG_ED25519).err(),
            Some(KeyError::WrongType {
                expected: ALG_ED25519
            })
        );
        // Another name with the same key material: the id no longer matches.
        let renamed = pair.verifier.replacen("witness.example/w1", "other", 1);
        assert_eq!(
            parse_verifier(&renamed, ALG_COSIGNATURE_V1).err(),
            Some(KeyError::Id)
        );
        assert_eq!(
            key_pair_text(ALG_ED25519, "bad name", &[7; 32]).err(),
            Some(KeyError::Format)
        );
        assert!(!format!("{pair:?}").contains("PRIVATE"));
    }
}
