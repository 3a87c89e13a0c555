//! One-time enrolment codes: 100 random bits, printed once, stored only as a SHA-256.
//!
//! A hash without salt is enough here: the code is random and short-lived, so there is nothing
//! to look up in a dictionary, and the hash lets the store find the row directly.

use ring::digest::{digest, SHA256};
use ring::rand::{SecureRandom, SystemRandom};

use crate::secret::Secret;

/// Crockford's base32: no I, L, O or U, so a code read aloud or copied by hand survives.
const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
/// 20 symbols of 5 bits.
const SYMBOLS: usize = 20;

/// A fresh code, formatted `XXXXX-XXXXX-XXXXX-XXXXX`.
pub fn generate() -> Result<Secret, ring::error::Unspecified> {
    let mut bytes = [0u8; SYMBOLS];
    SystemRandom::new().fill(&mut bytes)?;
    let mut code = String::with_capacity(SYMBOLS + 3);
    for (i, byte) in bytes.iter().enumerate() {
        if i > 0 && i % 5 == 0 {
            code.push('-');
        }
        code.push(char::from(ALPHABET[usize::from(byte & 31)]));
    }
    Ok(Secret::new(code))
}

/// The hash stored for `code`, after normalizing what a person may type differently: case,
/// dashes, spaces, and the letters Crockford maps to digits.
pub fn hash(code: &str) -> Vec<u8> {
    let normalized: String = code
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect();
    digest(&SHA256, normalized.as_bytes()).as_ref().to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_differ_and_normalize() {
        let a = generate().expect("random");
        let b = generate().expect("random");
        assert_ne!(a, b);
        assert_eq!(a.expose().len(), 23);
        let typed = a.expose().to_lowercase().replace('-', " ");
        assert_eq!(hash(&typed), hash(a.expose()));
        assert_ne!(hash(a.expose()), hash(b.expose()));
    }
}
