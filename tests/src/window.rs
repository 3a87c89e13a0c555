//! The app's real window: Xvfb, tauri-driver (which runs WebKitWebDriver, which runs the app),
//! and a WebDriver session through fantoccini.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;

use crate::{binary, free_port, screenshot_dir, wait_for_port};

/// `tauri-driver` on the PATH or in cargo's bin folder.
pub(crate) fn tauri_driver_path() -> Option<PathBuf> {
    let mut candidates: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| {
            std::env::split_paths(&path)
                .map(|d| d.join("tauri-driver"))
                .collect()
        })
        .unwrap_or_default();
    if let Some(home) = std::env::var_os("HOME") {
        candidates.push(Path::new(&home).join(".cargo/bin/tauri-driver"));
    }
    candidates.into_iter().find(|p| p.exists())
}

/// An X display: the caller's `DISPLAY` if set, else a private Xvfb stopped on drop.
#[derive(Debug)]
pub struct Display {
    name: String,
    xvfb: Option<Child>,
}

impl Display {
    /// The display to use.
    pub fn open() -> Display {
        if let Some(name) = std::env::var_os("DISPLAY") {
            return Display {
                name: name.to_string_lossy().into_owned(),
                xvfb: None,
            };
        }
        // Xvfb picks a free display number and writes it on the given descriptor (stdout).
        let mut xvfb = Command::new("/usr/bin/Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1200x800x24",
                "-nolisten",
                "tcp",
            ])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("Xvfb: {err}"));
        let mut line = String::new();
        if let Some(out) = xvfb.stdout.take() {
            let _ = BufReader::new(out).read_line(&mut line);
        }
        let number = line.trim();
        assert!(!number.is_empty(), "Xvfb did not report its display");
        Display {
            name: format!(":{number}"),
            xvfb: Some(xvfb),
        }
    }
}

impl Drop for Display {
    fn drop(&mut self) {
        if let Some(mut xvfb) = self.xvfb.take() {
            let _ = xvfb.kill();
            let _ = xvfb.wait();
        }
    }
}

/// One launch of the app in its window, with its data folder and keychain entries.
#[derive(Debug)]
pub struct AppWindow {
    client: Client,
    driver: Child,
    display: String,
    name: String,
    shots: u32,
}

/// Sets a field's value (input or select) as typing would, with the events Svelte listens to.
const SET_VALUE: &str = "const [el, v] = arguments; el.value = v; \
    el.dispatchEvent(new Event('input', { bubbles: true })); \
    el.dispatchEvent(new Event('change', { bubbles: true }));";

/// How long to wait for something to appear on screen.
const PATIENCE: Duration = Duration::from_secs(30);

impl AppWindow {
    /// Launches the app on `display`, its data in `data_dir`, its secrets under `keychain`;
    /// waits for its first screen (enrolment or home).
    pub async fn launch(
        display: &Display,
        data_dir: &Path,
        keychain: &str,
        name: &str,
    ) -> AppWindow {
        let env = [
            ("PLACEFORTE_DESK_DATA_DIR", data_dir.as_os_str()),
            (
                "PLACEFORTE_KEYCHAIN_SERVICE",
                std::ffi::OsStr::new(keychain),
            ),
        ];
        let window = AppWindow::launch_binary(display, &binary("placeforte-app"), &env, name).await;
        window
            .wait_css("[data-testid=nav-home],[data-testid=invitation]")
            .await;
        window
    }

    /// Launches any Tauri binary through tauri-driver on `display`, with `env`.
    pub async fn launch_binary(
        display: &Display,
        application: &Path,
        env: &[(&str, &std::ffi::OsStr)],
        name: &str,
    ) -> AppWindow {
        let driver_path = tauri_driver_path().unwrap_or_else(|| panic!("tauri-driver not found"));
        let (port, native_port) = (free_port(), free_port());
        remove_screenshots(name);
        let log_dir = crate::workspace().join("target").join("e2e-logs");
        std::fs::create_dir_all(&log_dir)
            .unwrap_or_else(|err| panic!("{}: {err}", log_dir.display()));
        let log_path = log_dir.join(format!("{name}-tauri-driver.log"));
        let log = std::fs::File::create(&log_path)
            .unwrap_or_else(|err| panic!("{}: {err}", log_path.display()));
        let mut command = Command::new(driver_path);
        command
            .args([
                "--port",
                &port.to_string(),
                "--native-port",
                &native_port.to_string(),
            ])
            .env("DISPLAY", &display.name)
            .env("WEBKIT_DISABLE_DMABUF_RENDERER", "1")
            .stdout(Stdio::from(
                log.try_clone().unwrap_or_else(|err| panic!("{err}")),
            ))
            .stderr(Stdio::from(log));
        for (key, value) in env {
            command.env(key, value);
        }
        let driver = command
            .spawn()
            .unwrap_or_else(|err| panic!("tauri-driver: {err}"));
        // Off the runtime's threads: the wait sleeps between attempts. tauri-driver forwards
        // the session request to WebKitWebDriver, which it starts itself and which can take
        // seconds to listen on a busy machine: wait for both.
        let started = tokio::task::spawn_blocking(move || {
            wait_for_port(port, Duration::from_secs(30))
                && wait_for_port(native_port, Duration::from_secs(30))
        })
        .await
        .unwrap_or(false);
        assert!(started, "tauri-driver or WebKitWebDriver did not start");
        let capabilities = serde_json::json!({
            "browserName": "wry",
            "tauri:options": { "application": application },
        });
        let serde_json::Value::Object(capabilities) = capabilities else {
            unreachable!("a JSON object literal")
        };
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .unwrap_or_else(|err| panic!("WebDriver session: {err}"));
        AppWindow {
            client,
            driver,
            display: display.name.clone(),
            name: name.to_owned(),
            shots: 0,
        }
    }

    /// The element with `data-testid`, waiting for it to appear.
    pub async fn wait(&self, testid: &str) -> Element {
        self.wait_css(&format!("[data-testid={testid}]")).await
    }

    /// The first element matching the CSS selector, waiting for it to appear.
    pub async fn wait_css(&self, selector: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(selector))
            .await
            .unwrap_or_else(|err| panic!("{}: nothing matches {selector}: {err}", self.name))
    }

    /// The process id of tauri-driver (the app and WebKit's processes run under it).
    pub fn driver_pid(&self) -> u32 {
        self.driver.id()
    }

    /// Every element with `data-testid` now.
    pub async fn all(&self, testid: &str) -> Vec<Element> {
        self.client
            .find_all(Locator::Css(&format!("[data-testid={testid}]")))
            .await
            .unwrap_or_default()
    }

    /// How many elements match the CSS selector now.
    pub async fn count_css(&self, selector: &str) -> usize {
        self.client
            .find_all(Locator::Css(selector))
            .await
            .map(|found| found.len())
            .unwrap_or(0)
    }

    /// Clicks the element with `data-testid`.
    ///
    /// Through the page, not WebDriver's pointer: under Xvfb (no window manager, so no focus)
    /// WebKitWebDriver's synthesized input events are never acknowledged and the command hangs.
    pub async fn click(&self, testid: &str) {
        let element = self.wait(testid).await;
        self.on_element(&element, "arguments[0].click();", serde_json::Value::Null)
            .await
            .unwrap_or_else(|err| panic!("{}: click {testid}: {err}", self.name));
    }

    /// Types `text` into the field with `data-testid` (replacing what was there).
    ///
    /// Sets the value and fires `input` (what Svelte's `bind:value` listens to) instead of
    /// WebDriver's Element Send Keys, which hangs under Xvfb (see [`AppWindow::click`]).
    pub async fn fill(&self, testid: &str, text: &str) {
        let field = self.wait(testid).await;
        self.on_element(&field, SET_VALUE, serde_json::Value::from(text))
            .await
            .unwrap_or_else(|err| panic!("{}: type into {testid}: {err}", self.name));
    }

    /// Chooses the option with `value` in the select with `data-testid`.
    pub async fn select(&self, testid: &str, value: &str) {
        let field = self.wait(testid).await;
        self.on_element(&field, SET_VALUE, serde_json::Value::from(value))
            .await
            .unwrap_or_else(|err| panic!("{}: select {value} in {testid}: {err}", self.name));
    }

    /// Runs `js` with the element as `arguments[0]` and `value` as `arguments[1]`.
    async fn on_element(
        &self,
        element: &Element,
        js: &str,
        value: serde_json::Value,
    ) -> Result<serde_json::Value, fantoccini::error::CmdError> {
        let element = serde_json::to_value(element)?;
        self.client.execute(js, vec![element, value]).await
    }

    /// The visible text of the element with `data-testid`.
    pub async fn text(&self, testid: &str) -> String {
        self.wait(testid).await.text().await.unwrap_or_default()
    }

    /// Waits until the element's text satisfies `check`; returns it.
    pub async fn wait_text(&self, testid: &str, check: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + PATIENCE;
        loop {
            let text = match self.all(testid).await.first() {
                Some(element) => element.text().await.unwrap_or_default(),
                None => String::new(),
            };
            if check(&text) {
                return text;
            }
            if std::time::Instant::now() >= deadline {
                let shot = self.capture(&format!("failed-{testid}")).await;
                panic!(
                    "{}: {testid} never matched; last text: {text:?}; screen: {}",
                    self.name,
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Waits until no element has `testid` (a banner that goes by itself).
    pub async fn wait_gone(&self, testid: &str) {
        let deadline = std::time::Instant::now() + PATIENCE;
        while !self.all(testid).await.is_empty() {
            if std::time::Instant::now() >= deadline {
                let shot = self.capture(&format!("failed-gone-{testid}")).await;
                panic!(
                    "{}: {testid} never went; screen: {}",
                    self.name,
                    shot.display()
                );
            }
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }

    /// Runs a script in the page and returns its result.
    pub async fn script(&self, js: &str) -> serde_json::Value {
        self.client
            .execute_async(js, vec![])
            .await
            .unwrap_or_else(|err| panic!("{}: script failed: {err}", self.name))
    }

    /// Saves a screenshot of the display as `target/e2e-screenshots/<test>-<n>-<what>.png`; returns its path.
    pub async fn screenshot(&mut self, what: &str) -> PathBuf {
        // Let the last DOM change paint.
        tokio::time::sleep(Duration::from_millis(500)).await;
        self.shots += 1;
        self.capture(&format!("{:02}-{what}", self.shots)).await
    }

    /// Saves the display as `target/e2e-screenshots/<test>-<what>.png`; returns its path.
    async fn capture(&self, what: &str) -> PathBuf {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap_or_else(|err| panic!("{}: {err}", dir.display()));
        let path = dir.join(format!("{}-{what}.png", self.name));
        // The X display's pixels through ImageMagick: WebKitWebDriver's Take Screenshot waits
        // for a paint that never comes under Xvfb and hangs.
        let status = tokio::process::Command::new("/usr/bin/import")
            .args(["-display", &self.display, "-window", "root"])
            .arg(&path)
            .status()
            .await
            .unwrap_or_else(|err| panic!("{}: import: {err}", self.name));
        assert!(status.success(), "{}: import failed: {status}", self.name);
        path
    }

    /// Closes the window and the driver.
    pub async fn close(self) {
        let _ = self.client.clone().close().await;
    }
}

/// A failed test unwinds without `close`: the driver (and the app under it) must not outlive it.
impl Drop for AppWindow {
    fn drop(&mut self) {
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

/// Deletes the screenshots of an earlier run under `name`, so the folder shows this run only.
fn remove_screenshots(name: &str) {
    let prefix = format!("{name}-");
    for entry in std::fs::read_dir(screenshot_dir())
        .into_iter()
        .flatten()
        .flatten()
    {
        let file = entry.file_name();
        let file = file.to_string_lossy();
        if file.starts_with(&prefix) && file.ends_with(".png") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}
