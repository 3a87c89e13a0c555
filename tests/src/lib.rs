//! Harness for the end-to-end tests: a real central service (child process, SQLite), the real
//! app under Xvfb driven through tauri-driver and WebKitWebDriver, a real keychain (the Secret
//! Service of the test script's throwaway D-Bus session).
//!
//! The window tests need `tauri-driver`, `WebKitWebDriver` and `Xvfb`; without them they say
//! so and pass, unless `PLACEFORTE_E2E_REQUIRED=1` (set by `scripts/test.sh`) makes that a
//! failure.
#![forbid(unsafe_code)]

mod accessibility;
mod central;
mod director;
pub mod memory;
mod window;

pub use central::Central;
pub use window::{AppWindow, Display};

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The workspace's folder.
pub fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from(".."))
}

/// Where cargo put the binaries (`CARGO_TARGET_DIR` or the workspace's `target`): the debug
/// ones, or those of the profile named by `PLACEFORTE_BIN_PROFILE` (the benchmarks use release).
pub fn binary(name: &str) -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace().join("target"));
    let profile = std::env::var_os("PLACEFORTE_BIN_PROFILE").unwrap_or_else(|| "debug".into());
    target.join(profile).join(name)
}

/// Where screenshots go: `target/e2e-screenshots/` in the workspace.
pub fn screenshot_dir() -> PathBuf {
    workspace().join("target").join("e2e-screenshots")
}

/// A port nothing listens on right now.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|err| panic!("no free port: {err}"))
}

/// Waits until something accepts connections on `port`.
pub fn wait_for_port(port: u16, within: Duration) -> bool {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

/// Whether the window tests can run here; if not, why (and a failure when required).
pub fn window_tests_can_run() -> bool {
    let missing: Vec<&str> = [
        ("tauri-driver", window::tauri_driver_path().is_some()),
        (
            "WebKitWebDriver",
            Path::new("/usr/bin/WebKitWebDriver").exists(),
        ),
        ("Xvfb", Path::new("/usr/bin/Xvfb").exists()),
        (
            "ImageMagick's import (screenshots)",
            Path::new("/usr/bin/import").exists(),
        ),
        ("the app binary", binary("placeforte-app").exists()),
        ("the central binary", binary("placeforte-central").exists()),
        (
            "a D-Bus session (keychain)",
            std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        ),
    ]
    .into_iter()
    .filter(|(_, present)| !present)
    .map(|(name, _)| name)
    .collect();
    if missing.is_empty() {
        return true;
    }
    let message = format!("window tests skipped: missing {}", missing.join(", "));
    if std::env::var_os("PLACEFORTE_E2E_REQUIRED").is_some() {
        panic!("{message}");
    }
    eprintln!("{message}");
    false
}
