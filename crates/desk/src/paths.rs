//! Where the desktop keeps its one file: the platform's per-user data folder.

use std::path::PathBuf;

use directories::ProjectDirs;

use crate::error::DeskError;

/// Environment variable that overrides the data folder (support staff, tests, a second
/// profile). The cache in it is still encrypted with a key from the keychain.
pub const DATA_DIR_ENV: &str = "PLACEFORTE_DESK_DATA_DIR";

/// The data folder: `$PLACEFORTE_DESK_DATA_DIR` if set, else the platform's (e.g.
/// `~/.local/share/placeforte` on Linux, `%APPDATA%\PlaceForte\PlaceForte\data` on Windows).
pub fn data_dir() -> Result<PathBuf, DeskError> {
    if let Some(dir) = std::env::var_os(DATA_DIR_ENV) {
        return Ok(PathBuf::from(dir));
    }
    ProjectDirs::from("ca", "PlaceForte", "PlaceForte")
        .map(|dirs| dirs.data_dir().to_path_buf())
        .ok_or(DeskError::NoDataDir)
}

/// The cache file's path in `dir`.
pub fn cache_path(dir: &std::path::Path) -> PathBuf {
    dir.join("cache.sqlite")
}
