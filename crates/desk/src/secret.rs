//! The cache key: 256 random bits that live only in the OS keychain and in memory.

use std::fmt;

use ring::rand::{SecureRandom, SystemRandom};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::DeskError;

/// Length of the cache key in bytes (a raw SQLCipher key: no passphrase derivation).
pub const CACHE_KEY_LEN: usize = 32;

/// The raw 256-bit key of the encrypted cache. Wiped from memory when dropped; its `Debug`
/// never shows it.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct CacheKey([u8; CACHE_KEY_LEN]);

impl CacheKey {
    /// A fresh key from the operating system's random source.
    pub fn generate() -> Result<CacheKey, DeskError> {
        let mut bytes = [0u8; CACHE_KEY_LEN];
        SystemRandom::new()
            .fill(&mut bytes)
            .map_err(|_| DeskError::RandomSourceFailed)?;
        Ok(CacheKey(bytes))
    }

    /// The key from its stored bytes; anything but exactly 32 bytes is refused.
    pub fn from_bytes(bytes: &[u8]) -> Result<CacheKey, DeskError> {
        let array: [u8; CACHE_KEY_LEN] = bytes
            .try_into()
            .map_err(|_| DeskError::KeychainEntryCorrupt)?;
        Ok(CacheKey(array))
    }

    /// The bytes to store in the keychain.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The value of SQLCipher's `key` pragma for this raw key: `"x'<64 hex digits>'"`.
    pub fn sqlcipher_pragma_value(&self) -> String {
        format!("\"x'{}'\"", hex::encode(self.0))
    }
}

impl fmt::Debug for CacheKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("CacheKey(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_key() {
        let key = CacheKey::from_bytes(&[0xab; 32]).unwrap();
        assert_eq!(format!("{key:?}"), "CacheKey(<redacted>)");
        assert!(!format!("{key:?}").contains("ab"));
    }

    #[test]
    fn generated_keys_differ_and_have_the_right_length() {
        let a = CacheKey::generate().unwrap();
        let b = CacheKey::generate().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.as_bytes().len(), CACHE_KEY_LEN);
    }

    #[test]
    fn a_stored_key_of_the_wrong_length_is_refused() {
        assert!(matches!(
            CacheKey::from_bytes(&[1; 31]),
            Err(DeskError::KeychainEntryCorrupt)
        ));
        assert!(CacheKey::from_bytes(&[1; 33]).is_err());
    }

    #[test]
    fn the_pragma_is_a_quoted_raw_hex_key() {
        let key = CacheKey::from_bytes(&[0x0f; 32]).unwrap();
        let pragma = key.sqlcipher_pragma_value();
        assert_eq!(pragma, format!("\"x'{}'\"", "0f".repeat(32)));
    }
}
