//! The test Secret Service check and per-test keychain services.

use std::path::Path;
use std::process::Command;

use chrono::Duration;
use placeforte_desk::{CacheFile, LocalData, OsKeychain, DEFAULT_RETENTION_DAYS};

/// Whether the test Secret Service of `scripts/test.sh` is there; says so when it is not.
pub fn keyring_session() -> bool {
    if std::env::var("PLACEFORTE_TEST_KEYRING").as_deref() == Ok("1") {
        return true;
    }
    eprintln!("SKIPPED: no test Secret Service (run through scripts/test.sh)");
    false
}

/// A keychain service name of this test's own, so tests never see each other's entries.
pub fn own_service(test: &str) -> String {
    format!("ca.placeforte.test.{test}.{}", std::process::id())
}

/// Looks the entry up with `secret-tool`, outside our process and outside `keyring`: proof
/// that the secret is in the real Secret Service, not in a mock.
pub fn secret_tool_lookup(service: &str, account: &str) -> Option<Vec<u8>> {
    let out = Command::new("secret-tool")
        .args(["lookup", "service", service, "username", account])
        .output()
        .unwrap();
    (out.status.success() && !out.stdout.is_empty()).then_some(out.stdout)
}

pub fn local(dir: &Path, service: &str) -> LocalData<OsKeychain> {
    LocalData::new(
        OsKeychain::with_service(service),
        CacheFile::new(dir.join("cache.sqlite")),
        Duration::days(DEFAULT_RETENTION_DAYS),
    )
}
