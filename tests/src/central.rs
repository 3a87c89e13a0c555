//! The central service as a child process on its embedded SQLite, with synthetic data.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::{binary, free_port, wait_for_port};

/// A running central service in its own throwaway folder.
#[derive(Debug)]
pub struct Central {
    dir: tempfile::TempDir,
    api_port: u16,
    enrolment_port: u16,
    server: Option<Child>,
    /// Settings of this service's own (`PLACEFORTE_…` variables), for every command.
    settings: Vec<(String, String)>,
}

impl Central {
    /// Initialises a service, seeds a small synthetic province and starts it.
    pub fn start_seeded() -> Central {
        Central::start_seeded_with(&[])
    }

    /// The same with settings of its own, e.g. `("PLACEFORTE_OFFLINE_PERIOD_DAYS", "1")`.
    pub fn start_seeded_with(settings: &[(&str, &str)]) -> Central {
        let mut central = Central {
            dir: tempfile::tempdir().unwrap_or_else(|err| panic!("temp dir: {err}")),
            api_port: free_port(),
            enrolment_port: free_port(),
            server: None,
            settings: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        central.run(&["init"]);
        central.run(&[
            "seed",
            "--registrations",
            "3000",
            "--daycares",
            "4",
            "--seed",
            "7",
        ]);
        central.serve();
        central
    }

    /// The data folder.
    pub fn dir(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    fn command(&self) -> Command {
        let mut command = Command::new(binary("placeforte-central"));
        command
            .env("PLACEFORTE_DATA_DIR", self.dir.path())
            .env(
                "PLACEFORTE_API_LISTEN",
                format!("127.0.0.1:{}", self.api_port),
            )
            .env(
                "PLACEFORTE_ENROLMENT_LISTEN",
                format!("127.0.0.1:{}", self.enrolment_port),
            )
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .envs(self.settings.iter().map(|(k, v)| (k, v)));
        command
    }

    /// Runs an operator command and returns what it printed; panics if it fails.
    pub fn run(&self, args: &[&str]) -> String {
        let output = self
            .command()
            .args(args)
            .output()
            .unwrap_or_else(|err| panic!("placeforte-central {args:?}: {err}"));
        assert!(
            output.status.success(),
            "placeforte-central {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }

    /// Starts (or restarts) the listeners and waits until they accept connections.
    pub fn serve(&mut self) {
        let child = self
            .command()
            .arg("serve")
            .stdout(Stdio::null())
            .spawn()
            .unwrap_or_else(|err| panic!("placeforte-central serve: {err}"));
        self.server = Some(child);
        assert!(
            wait_for_port(self.api_port, Duration::from_secs(30))
                && wait_for_port(self.enrolment_port, Duration::from_secs(5)),
            "the central service did not start"
        );
    }

    /// Stops the listeners (the app is then offline); the data stays.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.server.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// The first seeded daycare's id, its permit set by the operator to the installation
    /// maximum (30 babies, 40 toddlers, 30 four-year-olds), so that the demo and the window
    /// tests can declare what they show: the service refuses declarations beyond the permit.
    pub fn a_daycare(&self) -> String {
        let list = self.run(&["daycare", "list"]);
        let daycare = list
            .lines()
            .nth(1)
            .and_then(|line| line.split('\t').next())
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no daycare in {list}"));
        self.run(&["daycare", "set-permit", &daycare, "--places", "30,40,30,0"]);
        daycare
    }

    /// A fresh one-time invitation for `daycare`.
    pub fn invitation(&self, daycare: &str) -> String {
        let printed = self.run(&["enrolment-code", "issue", daycare]);
        printed
            .lines()
            .find_map(|line| line.strip_prefix("invitation: "))
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|| panic!("no invitation in {printed}"))
    }

    /// The ids of the enrolled devices.
    pub fn devices(&self) -> Vec<String> {
        self.run(&["device", "list"])
            .lines()
            .skip(1)
            .filter_map(|line| line.split('\t').next().map(str::to_owned))
            .collect()
    }

    /// Reads the service's SQLite database with one SQL query (rows tab-separated).
    pub fn query(&self, sql: &str) -> String {
        let output = Command::new("sqlite3")
            .arg(self.dir.path().join("central.db"))
            .arg(sql)
            .output()
            .unwrap_or_else(|err| panic!("sqlite3: {err}"));
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for Central {
    fn drop(&mut self) {
        self.stop();
    }
}
