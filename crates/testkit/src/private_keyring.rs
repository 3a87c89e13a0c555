//! A Secret Service of one test's own, on a D-Bus session bus of its own: a real
//! gnome-keyring that the test may lock, unlock, stop and start again without disturbing the
//! shared test keyring the other tests use at the same time.
//!
//! The process's `DBUS_SESSION_BUS_ADDRESS` (and the XDG folders gnome-keyring uses) point at it
//! while the [`PrivateKeyring`] lives: keyring and the Secret Service client read it at every
//! call. Tests that use one hold a process-wide lock, so under `cargo test` (threads in one
//! process) they take turns; under nextest each test has its process anyway.

use std::io::{BufRead as _, BufReader, Write as _};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use dbus::arg::{RefArg, Variant};
use dbus::blocking::Connection;

/// The password of the private keyring's "login" collection.
const PASSWORD: &str = "placeforte-private";
const LOGIN: &str = "/org/freedesktop/secrets/collection/login";
const SECRETS: &str = "org.freedesktop.secrets";

static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

/// The private bus and its keyring daemon; everything stops and is deleted on drop.
pub struct PrivateKeyring {
    dir: tempfile::TempDir,
    bus: Child,
    address: String,
    daemon: Option<Child>,
    /// The environment it replaced, put back on drop.
    replaced: Vec<(&'static str, Option<std::ffi::OsString>)>,
    _turn: MutexGuard<'static, ()>,
}

const POINTED: [&str; 3] = [
    "DBUS_SESSION_BUS_ADDRESS",
    "XDG_DATA_HOME",
    "XDG_RUNTIME_DIR",
];

impl std::fmt::Debug for PrivateKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateKeyring")
            .field("address", &self.address)
            .field("daemon", &self.daemon.as_ref().map(Child::id))
            .finish_non_exhaustive()
    }
}

impl PrivateKeyring {
    /// A private bus with an unlocked keyring on it, the process pointed at it. `None` (with a
    /// note) where the tools are missing: the test then checks nothing, as the other keychain
    /// tests do without their session.
    pub fn start() -> Option<PrivateKeyring> {
        if !crate::keychain::keyring_session() {
            return None;
        }
        let turn = ONE_AT_A_TIME
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let dir = tempfile::tempdir().unwrap();
        for sub in ["data", "run"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let run = dir.path().join("run");
        std::fs::set_permissions(&run, std::os::unix::fs::PermissionsExt::from_mode(0o700))
            .unwrap();
        let config = dir.path().join("bus.conf");
        std::fs::write(
            &config,
            format!(
                "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" \
                 \"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n<busconfig>\
                 <type>session</type><listen>unix:path={}/bus</listen><auth>EXTERNAL</auth>\
                 <policy context=\"default\"><allow send_destination=\"*\" eavesdrop=\"true\"/>\
                 <allow eavesdrop=\"true\"/><allow own=\"*\"/></policy></busconfig>",
                run.display()
            ),
        )
        .unwrap();
        let mut bus = Command::new("dbus-daemon")
            .arg(format!("--config-file={}", config.display()))
            .args(["--nofork", "--print-address=1"])
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut address = String::new();
        BufReader::new(bus.stdout.take().unwrap())
            .read_line(&mut address)
            .unwrap();
        let address = address.trim().to_owned();
        let replaced = POINTED.map(|name| (name, std::env::var_os(name))).to_vec();
        std::env::set_var("DBUS_SESSION_BUS_ADDRESS", &address);
        std::env::set_var("XDG_DATA_HOME", dir.path().join("data"));
        std::env::set_var("XDG_RUNTIME_DIR", &run);
        let mut keyring = PrivateKeyring {
            dir,
            bus,
            address,
            daemon: None,
            replaced,
            _turn: turn,
        };
        keyring.start_daemon();
        Some(keyring)
    }

    /// Starts the keyring daemon (again), unlocking the login collection with its password, as
    /// a login does; waits until it answers.
    pub fn start_daemon(&mut self) {
        assert!(self.daemon.is_none(), "the daemon runs already");
        let mut daemon = Command::new("gnome-keyring-daemon")
            .args(["--foreground", "--unlock", "--components=secrets"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdin = daemon.stdin.take().unwrap();
        stdin.write_all(PASSWORD.as_bytes()).unwrap();
        drop(stdin);
        self.daemon = Some(daemon);
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.collection_answers() {
            assert!(
                Instant::now() < deadline,
                "the private keyring did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Stops the daemon: the bus stays, with no Secret Service on it (as before a slow daemon
    /// has started after login).
    pub fn stop_daemon(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            daemon.kill().unwrap();
            daemon.wait().unwrap();
        }
        // A socket left by the dead daemon would make the next one think it still runs.
        let _ = std::fs::remove_dir_all(self.dir.path().join("run/keyring"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while self.name_has_owner() {
            assert!(
                Instant::now() < deadline,
                "the Secret Service name stayed on the bus"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Locks the login collection, as a screen lock or a timeout does (no prompt needed).
    pub fn lock(&self) {
        let connection = self.connect();
        let service = connection.with_proxy(SECRETS, "/org/freedesktop/secrets", TIMEOUT);
        let (_locked, _prompt): (Vec<dbus::Path<'static>>, dbus::Path<'static>) = service
            .method_call(
                "org.freedesktop.Secret.Service",
                "Lock",
                (vec![dbus::Path::from(LOGIN)],),
            )
            .unwrap();
        assert!(self.is_locked(), "the collection did not lock");
    }

    /// Unlocks the login collection with its password, as the director typing it in the
    /// keyring's own window does (gnome-keyring's interface for the login manager).
    pub fn unlock(&self) {
        let connection = self.connect();
        let service = connection.with_proxy(SECRETS, "/org/freedesktop/secrets", TIMEOUT);
        let (_output, session): (Variant<Box<dyn RefArg>>, dbus::Path<'static>) = service
            .method_call(
                "org.freedesktop.Secret.Service",
                "OpenSession",
                ("plain", Variant("")),
            )
            .unwrap();
        let secret = (
            session,
            Vec::<u8>::new(),
            PASSWORD.as_bytes().to_vec(),
            "text/plain",
        );
        let () = service
            .method_call(
                "org.gnome.keyring.InternalUnsupportedGuiltRiddenInterface",
                "UnlockWithMasterPassword",
                (dbus::Path::from(LOGIN), secret),
            )
            .unwrap();
        assert!(!self.is_locked(), "the collection did not unlock");
    }

    /// Whether the login collection is locked.
    pub fn is_locked(&self) -> bool {
        use dbus::blocking::stdintf::org_freedesktop_dbus::Properties as _;
        let connection = self.connect();
        let collection = connection.with_proxy(SECRETS, LOGIN, TIMEOUT);
        collection
            .get("org.freedesktop.Secret.Collection", "Locked")
            .unwrap()
    }

    /// The bus address (for a child process's environment).
    pub fn address(&self) -> &str {
        &self.address
    }

    fn connect(&self) -> Connection {
        let mut channel = dbus::channel::Channel::open_private(&self.address).unwrap();
        channel.register().unwrap();
        Connection::from(channel)
    }

    fn name_has_owner(&self) -> bool {
        let connection = self.connect();
        let bus = connection.with_proxy("org.freedesktop.DBus", "/org/freedesktop/DBus", TIMEOUT);
        let (owned,): (bool,) = bus
            .method_call("org.freedesktop.DBus", "NameHasOwner", (SECRETS,))
            .unwrap();
        owned
    }

    fn collection_answers(&self) -> bool {
        use dbus::blocking::stdintf::org_freedesktop_dbus::Properties as _;
        if !self.name_has_owner() {
            return false;
        }
        let connection = self.connect();
        let collection = connection.with_proxy(SECRETS, LOGIN, TIMEOUT);
        let locked: Result<bool, _> = collection.get("org.freedesktop.Secret.Collection", "Locked");
        matches!(locked, Ok(false))
    }
}

const TIMEOUT: Duration = Duration::from_secs(10);

impl Drop for PrivateKeyring {
    fn drop(&mut self) {
        if let Some(mut daemon) = self.daemon.take() {
            let _ = daemon.kill();
            let _ = daemon.wait();
        }
        let _ = self.bus.kill();
        let _ = self.bus.wait();
        for (name, value) in &self.replaced {
            match value {
                Some(value) => std::env::set_var(name, value),
                None => std::env::remove_var(name),
            }
        }
    }
}
