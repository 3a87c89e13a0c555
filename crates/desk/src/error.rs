//! What can go wrong in the desktop core, as a closed set with stable codes.
//!
//! Screens translate [`DeskError::code`] (French first); the English `Display` is for logs and
//! never contains personal data or secrets.

/// An error of the desktop core.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DeskError {
    /// The OS keychain could not be reached or refused access. The local cache was wiped (it
    /// cannot be opened without its key, and is never opened unencrypted).
    #[error("the operating system's keychain is unavailable: {0}")]
    KeychainUnavailable(String),
    /// A keychain entry exists but does not hold what we stored.
    #[error("a keychain entry of PlaceForte is damaged")]
    KeychainEntryCorrupt,
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    RandomSourceFailed,
    /// No data folder could be found for this user.
    #[error("no data folder is available for this user")]
    NoDataDir,
    /// The cache file could not be opened with its key (wrong key or damaged file). It was
    /// wiped and will be rebuilt by the next sync.
    #[error("the local cache could not be decrypted and was wiped")]
    CacheUnreadable,
    /// A file-system operation on the cache failed.
    #[error("the local cache could not be written: {0}")]
    CacheIo(#[from] std::io::Error),
    /// The cache database failed.
    #[error("the local cache failed: {0}")]
    CacheDatabase(#[from] sqlx::Error),
    /// A cache migration failed.
    #[error("the local cache could not be upgraded: {0}")]
    CacheMigration(#[from] sqlx::migrate::MigrateError),
}

impl DeskError {
    /// Stable machine code, the i18n key of the message shown to the director.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::KeychainUnavailable(_) => "keychain_unavailable",
            DeskError::KeychainEntryCorrupt => "keychain_entry_corrupt",
            DeskError::RandomSourceFailed => "random_source_failed",
            DeskError::NoDataDir => "no_data_dir",
            DeskError::CacheUnreadable => "cache_unreadable",
            DeskError::CacheIo(_) => "cache_io",
            DeskError::CacheDatabase(_) => "cache_database",
            DeskError::CacheMigration(_) => "cache_migration",
        }
    }
}
