//! The keychain and the local data against a real Secret Service (gnome-keyring on a private
//! D-Bus session, started by `scripts/test.sh` through `scripts/lib/keyring.sh`) and a real
//! SQLCipher file.
//!
//! Run by hand: `sh -c '. scripts/lib/deps.sh; . scripts/lib/keyring.sh; start_test_keyring;
//! cargo test -p placeforte-desk --test keychain'`. Without that session the tests say so and
//! pass without checking anything; the test script always provides it.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

use chrono::Utc;
use placeforte_desk::{LocalData, OsKeychain, SecretName, SecretStore, WipeReason};
use placeforte_testkit::{keyring_session, local, own_service, secret_tool_lookup};

/// Local data in a fresh folder under the test's own keychain service, opened once and
/// marked as synced, then closed.
async fn synced_local(test: &str) -> (tempfile::TempDir, String, LocalData<OsKeychain>) {
    let dir = tempfile::tempdir().unwrap();
    let service = own_service(test);
    let data = local(dir.path(), &service);
    let first = data.open(Utc::now()).await.unwrap();
    first
        .cache
        .record_successful_sync(Utc::now())
        .await
        .unwrap();
    first.cache.close().await;
    (dir, service, data)
}

#[test]
fn secrets_round_trip_through_the_real_secret_service() {
    if !keyring_session() {
        return;
    }
    let service = own_service("round-trip");
    let keychain = OsKeychain::with_service(&service);
    assert_eq!(keychain.get(SecretName::DeviceCredentials).unwrap(), None);
    keychain
        .set(
            SecretName::DeviceCredentials,
            b"-----BEGIN PRIVATE KEY-----",
        )
        .unwrap();
    assert_eq!(
        keychain
            .get(SecretName::DeviceCredentials)
            .unwrap()
            .as_deref(),
        Some(&b"-----BEGIN PRIVATE KEY-----"[..])
    );
    assert_eq!(
        secret_tool_lookup(&service, "device-credentials").as_deref(),
        Some(&b"-----BEGIN PRIVATE KEY-----"[..]),
        "the secret must be visible to other Secret Service clients"
    );
    keychain.delete(SecretName::DeviceCredentials).unwrap();
    assert_eq!(keychain.get(SecretName::DeviceCredentials).unwrap(), None);
    assert_eq!(secret_tool_lookup(&service, "device-credentials"), None);
    keychain.delete(SecretName::DeviceCredentials).unwrap();
}

#[tokio::test]
async fn the_cache_key_lives_in_the_keychain_and_reopens_the_cache() {
    if !keyring_session() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("reopen");
    let data = local(dir.path(), &service);
    let first = data.open(Utc::now()).await.unwrap();
    assert_eq!(first.wiped, None);
    let synced_at = Utc::now();
    first.cache.record_successful_sync(synced_at).await.unwrap();
    first.cache.close().await;

    let key = secret_tool_lookup(&service, "cache-key").expect("cache key in the keychain");
    assert_eq!(key.len(), 32);

    let again = local(dir.path(), &service).open(Utc::now()).await.unwrap();
    assert_eq!(again.wiped, None);
    let last = again.cache.last_successful_sync().await.unwrap().unwrap();
    assert_eq!(last.timestamp_micros(), synced_at.timestamp_micros());
}

#[tokio::test]
async fn a_key_removed_from_the_keychain_wipes_the_cache() {
    if !keyring_session() {
        return;
    }
    let (_dir, service, data) = synced_local("key-removed").await;

    let cleared = Command::new("secret-tool")
        .args(["clear", "service", &service, "username", "cache-key"])
        .status()
        .unwrap();
    assert!(cleared.success());

    let reopened = data.open(Utc::now()).await.unwrap();
    assert_eq!(reopened.wiped, Some(WipeReason::KeyMissing));
    assert_eq!(reopened.cache.last_successful_sync().await.unwrap(), None);
    assert!(
        secret_tool_lookup(&service, "cache-key").is_some(),
        "a fresh key"
    );
}

#[tokio::test]
async fn another_key_in_the_keychain_cannot_open_the_cache_which_is_wiped() {
    if !keyring_session() {
        return;
    }
    let (_dir, _service, data) = synced_local("other-key").await;
    data.secrets()
        .set(SecretName::CacheKey, &[7u8; 32])
        .unwrap();

    let reopened = data.open(Utc::now()).await.unwrap();
    assert_eq!(reopened.wiped, Some(WipeReason::Unreadable));
    assert_eq!(reopened.cache.last_successful_sync().await.unwrap(), None);
}

#[tokio::test]
async fn wiping_on_request_removes_the_file_and_every_secret() {
    if !keyring_session() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("wipe");
    let data = local(dir.path(), &service);
    data.open(Utc::now()).await.unwrap().cache.close().await;
    data.secrets()
        .set(SecretName::DeviceCredentials, b"device key")
        .unwrap();

    data.wipe(WipeReason::Requested).unwrap();
    assert!(!data.file().exists());
    assert_eq!(secret_tool_lookup(&service, "cache-key"), None);
    assert_eq!(secret_tool_lookup(&service, "device-credentials"), None);
}

fn desk_cli(dir: &Path, service: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_placeforte-desk"));
    cmd.arg("--data-dir")
        .arg(dir)
        .arg("--keychain-service")
        .arg(service);
    cmd
}

#[test]
fn without_a_keychain_the_cli_says_so_and_wipes_nothing() {
    if !keyring_session() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("cli-no-keychain");
    let status = desk_cli(dir.path(), &service)
        .arg("status")
        .output()
        .unwrap();
    assert!(
        status.status.success(),
        "{}",
        String::from_utf8_lossy(&status.stderr)
    );
    let out = String::from_utf8_lossy(&status.stdout);
    assert!(out.contains("last successful sync: never"), "{out}");
    assert!(dir.path().join("cache.sqlite").exists());

    // The same computer with the Secret Service gone.
    let broken = desk_cli(dir.path(), &service)
        .arg("status")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/placeforte-bus",
        )
        .output()
        .unwrap();
    assert_eq!(broken.status.code(), Some(2));
    let err = String::from_utf8_lossy(&broken.stderr);
    assert!(err.contains("[keychain_unavailable]"), "{err}");
    let cache = dir.path().join("cache.sqlite");
    assert!(cache.exists(), "a keychain not there now costs nothing");
    let before = std::fs::read(&cache).unwrap();

    // Back with the keychain: the same cache, untouched meanwhile.
    let back = desk_cli(dir.path(), &service)
        .arg("status")
        .output()
        .unwrap();
    assert!(back.status.success());
    let out = String::from_utf8_lossy(&back.stdout);
    assert!(!out.contains("wiped"), "{out}");
    assert!(!before.is_empty());
}

#[test]
fn the_cli_wipes_only_with_confirmation() {
    if !keyring_session() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("cli-wipe");
    assert!(desk_cli(dir.path(), &service)
        .arg("status")
        .status()
        .unwrap()
        .success());
    let unconfirmed = desk_cli(dir.path(), &service).arg("wipe").output().unwrap();
    assert!(unconfirmed.status.success());
    assert!(String::from_utf8_lossy(&unconfirmed.stdout).contains("nothing deleted"));
    assert!(dir.path().join("cache.sqlite").exists());
    assert!(secret_tool_lookup(&service, "cache-key").is_some());

    let confirmed = desk_cli(dir.path(), &service)
        .args(["wipe", "--yes"])
        .output()
        .unwrap();
    assert!(confirmed.status.success());
    assert!(!dir.path().join("cache.sqlite").exists());
    assert_eq!(secret_tool_lookup(&service, "cache-key"), None);
}

#[test]
fn the_cli_previews_an_import_and_saves_only_a_clean_one() {
    if !keyring_session() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let service = own_service("cli-import");
    let bad = dir.path().join("bad.csv");
    std::fs::write(
        &bad,
        "Prénom;Date de naissance\nLéa;2024-01-01\nLéo;2024-13-01\n",
    )
    .unwrap();
    let good = dir.path().join("good.csv");
    std::fs::write(
        &good,
        "Prénom;Date de naissance\nLéa;2024-01-01\nLéo;2024-12-01\n",
    )
    .unwrap();

    let preview = desk_cli(dir.path(), &service)
        .args(["import", bad.to_str().unwrap(), "--save"])
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&preview.stdout);
    assert!(out.contains("2 rows, 1 children, 1 rejected"), "{out}");
    assert!(out.contains("line 3: bad_birth_date"), "{out}");
    assert_eq!(preview.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&preview.stderr).contains("[import_has_rejected_lines]"));

    let saved = desk_cli(dir.path(), &service)
        .args(["import", good.to_str().unwrap(), "--save"])
        .output()
        .unwrap();
    assert!(
        saved.status.success(),
        "{}",
        String::from_utf8_lossy(&saved.stderr)
    );
    assert!(String::from_utf8_lossy(&saved.stdout).contains("saved 2 children"));
}

/// The process that owns `org.freedesktop.secrets` on the test session's bus.
fn secret_service_pid() -> u32 {
    let out = Command::new("dbus-send")
        .args([
            "--session",
            "--print-reply",
            "--dest=org.freedesktop.DBus",
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus.GetConnectionUnixProcessID",
            "string:org.freedesktop.secrets",
        ])
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    text.split_whitespace()
        .last()
        .and_then(|pid| pid.parse().ok())
        .unwrap_or_else(|| panic!("no Secret Service owner: {text}"))
}

/// gnome-keyring 42 can abort mid-call (see scripts/lib/keyring.sh). The daemon of the test
/// session is killed for real here; the supervisor restarts it, and the next call, which finds
/// no daemon at first, gets through by retrying instead of reporting a keychain failure (which
/// would wipe the cache and the outbox's unsent answers).
#[test]
fn a_secret_service_that_dies_and_comes_back_costs_nothing() {
    if !keyring_session() {
        return;
    }
    let service = own_service("daemon-restart");
    let keychain = OsKeychain::with_service(&service);
    keychain.set(SecretName::CacheKey, b"still here").unwrap();
    let pid = secret_service_pid();
    let killed = Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    assert_eq!(
        keychain.get(SecretName::CacheKey).unwrap().as_deref(),
        Some(&b"still here"[..])
    );
    assert_ne!(secret_service_pid(), pid, "a new daemon answered");
    keychain.delete(SecretName::CacheKey).unwrap();
}
