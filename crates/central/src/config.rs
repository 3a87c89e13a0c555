//! Configuration: an optional TOML file, then environment variables, then defaults.
//!
//! | key (TOML)                        | environment                          | default                         |
//! |-----------------------------------|--------------------------------------|---------------------------------|
//! | `api_listen`                      | `PLACEFORTE_API_LISTEN`              | `127.0.0.1:8443`                |
//! | `enrolment_listen`                | `PLACEFORTE_ENROLMENT_LISTEN`        | `127.0.0.1:8444`                |
//! | `data_dir`                        | `PLACEFORTE_DATA_DIR`                | `./placeforte-data`             |
//! | `database_url`                    | `DATABASE_URL`                       | `sqlite:<data_dir>/central.db`  |
//! | `ca_certificate`                  | `PLACEFORTE_CA_CERTIFICATE`          | `<data_dir>/device-ca.pem`      |
//! | `ca_key`                          | `PLACEFORTE_CA_KEY`                  | `<data_dir>/device-ca.key`      |
//! | `server_certificate`              | `PLACEFORTE_SERVER_CERTIFICATE`      | `<data_dir>/server.pem`         |
//! | `server_key`                      | `PLACEFORTE_SERVER_KEY`              | `<data_dir>/server.key`         |
//! | `audit_log_key`                   | `PLACEFORTE_AUDIT_LOG_KEY`           | `<data_dir>/audit-log.key`      |
//! | `audit_log_verifier_key`          | `PLACEFORTE_AUDIT_LOG_VERIFIER_KEY`  | `<data_dir>/audit-log.vkey`     |
//! | `audit_log_previous_verifier_keys` (list) | `PLACEFORTE_AUDIT_LOG_PREVIOUS_VERIFIER_KEYS` (commas) | none |
//! | `audit_log_origin` (for `init`)   | `PLACEFORTE_AUDIT_LOG_ORIGIN`        | `placeforte.invalid/audit`      |
//! | `audit_witnesses` (list of `{url, verifier_key}`) | `PLACEFORTE_AUDIT_WITNESS_URL` + `PLACEFORTE_AUDIT_WITNESS_KEY` (one) | none |
//! | `audit_max_cosigned_age_minutes`  | `PLACEFORTE_AUDIT_MAX_COSIGNED_AGE_MINUTES` | `60`                     |
//! | `audit_signing_key` (former chain) | `PLACEFORTE_AUDIT_SIGNING_KEY`      | `<data_dir>/audit-signing.key`  |
//! | `audit_public_key` (former chain) | `PLACEFORTE_AUDIT_PUBLIC_KEY`        | `<data_dir>/audit-signing.pub`  |
//! | `audit_checkpoint_every_entries`  | `PLACEFORTE_AUDIT_CHECKPOINT_EVERY_ENTRIES` | `1000`                   |
//! | `audit_checkpoint_every_minutes`  | `PLACEFORTE_AUDIT_CHECKPOINT_EVERY_MINUTES` | `5`                      |
//! | `reveals_per_device_per_day`      | `PLACEFORTE_REVEALS_PER_DEVICE_PER_DAY` | `60`                         |
//! | `server_names`                    | `PLACEFORTE_SERVER_NAMES` (commas)   | `localhost,127.0.0.1`           |
//! | `certificate_lifetime_days`       | `PLACEFORTE_CERTIFICATE_LIFETIME_DAYS` | `7`                           |
//! | `enrolment_code_lifetime_minutes` | `PLACEFORTE_ENROLMENT_CODE_LIFETIME_MINUTES` | `15`                    |
//! | `offline_period_days` (1–30)      | `PLACEFORTE_OFFLINE_PERIOD_DAYS`     | `7`                             |
//! | `handshake_timeout_seconds`       | `PLACEFORTE_HANDSHAKE_TIMEOUT_SECONDS` | `10`                          |
//! | `idle_timeout_seconds`            | `PLACEFORTE_IDLE_TIMEOUT_SECONDS`    | `60`                            |
//! | `header_read_timeout_seconds`     | `PLACEFORTE_HEADER_READ_TIMEOUT_SECONDS` | `10`                        |
//! | `max_connections`                 | `PLACEFORTE_MAX_CONNECTIONS`         | `2048`                          |
//! | `max_connections_per_peer`        | `PLACEFORTE_MAX_CONNECTIONS_PER_PEER` | `64`                           |
//! | `max_handshakes`                  | `PLACEFORTE_MAX_HANDSHAKES`          | `256`                           |
//! | `public_enrolment_address`        | `PLACEFORTE_PUBLIC_ENROLMENT_ADDRESS` | `enrolment_listen`             |
//! | `public_api_address`              | `PLACEFORTE_PUBLIC_API_ADDRESS`      | `api_listen`                    |
//! | `metrics_listen`                  | `PLACEFORTE_METRICS_LISTEN`          | none (no metrics listener)      |
//! | `alert_webhook_url`               | `PLACEFORTE_ALERT_WEBHOOK_URL`       | none (alerts logged and stored) |
//! | `alert_webhook_secret_file`       | `PLACEFORTE_ALERT_WEBHOOK_SECRET_FILE` | none                          |
//! | `alert_webhook_secret_env`        | `PLACEFORTE_ALERT_WEBHOOK_SECRET_ENV` | none                           |
//! | `alert_webhook_poll_seconds`      | `PLACEFORTE_ALERT_WEBHOOK_POLL_SECONDS` | `2`                          |
//!
//! The audit log key signs the tree head at every append and the checkpoints; witnesses (their
//! submission URL and the verifier key file `placeforte-witness init` wrote) cosign them, and
//! `audit verify` requires a cosignature of each no older than `audit_max_cosigned_age_minutes`.
//! The former chain's key is read only by `audit migrate-chain`.
//!
//! `metrics_listen` is plain HTTP (`GET /metrics`, Prometheus text format): bind it to
//! 127.0.0.1 or the operator's network, never a public address. A webhook needs its HMAC
//! secret from a file (`alert_webhook_secret_file`, 0600) or from the environment variable
//! that `alert_webhook_secret_env` names; see [`crate::webhook`] for the request and how a
//! receiver verifies it.
//!
//! The public addresses (`host:port` as workstations reach the service, behind a load balancer
//! for instance) go into the enrolment invitation that `enrolment-code issue` prints.
//!
//! The environment wins over the file, so a deployment can keep secrets (the database URL) out
//! of the file.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::audit::CheckpointPolicy;
use crate::secret::Secret;
use crate::state::{Lifetimes, DEFAULT_OFFLINE_PERIOD_DAYS, OFFLINE_PERIOD_DAYS};
use crate::webhook::WebhookSettings;
use crate::ListenSettings;

/// The configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error("cannot read the configuration file {}: {source}", path.display())]
    Read {
        /// The configuration file's path.
        path: PathBuf,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is not valid TOML for this service.
    #[error("the configuration file {} is not valid: {message}", path.display())]
    Parse {
        /// The configuration file's path.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// An environment variable has an invalid value.
    #[error("the environment variable {name} is not valid: {message}")]
    Env {
        /// Which variable.
        name: &'static str,
        /// What is wrong.
        message: String,
    },
    /// A value is out of range.
    #[error("{0}")]
    Invalid(String),
}

/// The file, every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    api_listen: Option<SocketAddr>,
    enrolment_listen: Option<SocketAddr>,
    data_dir: Option<PathBuf>,
    database_url: Option<String>,
    ca_certificate: Option<PathBuf>,
    ca_key: Option<PathBuf>,
    server_certificate: Option<PathBuf>,
    server_key: Option<PathBuf>,
    audit_signing_key: Option<PathBuf>,
    audit_public_key: Option<PathBuf>,
    audit_log_key: Option<PathBuf>,
    audit_log_verifier_key: Option<PathBuf>,
    audit_log_origin: Option<String>,
    audit_log_previous_verifier_keys: Option<Vec<PathBuf>>,
    audit_witnesses: Option<Vec<WitnessFileEntry>>,
    audit_max_cosigned_age_minutes: Option<u32>,
    audit_checkpoint_every_entries: Option<u32>,
    reveals_per_device_per_day: Option<u32>,
    audit_checkpoint_every_minutes: Option<u32>,
    server_names: Option<Vec<String>>,
    certificate_lifetime_days: Option<u32>,
    enrolment_code_lifetime_minutes: Option<u32>,
    offline_period_days: Option<u32>,
    handshake_timeout_seconds: Option<u64>,
    idle_timeout_seconds: Option<u64>,
    header_read_timeout_seconds: Option<u64>,
    max_connections: Option<usize>,
    max_connections_per_peer: Option<usize>,
    max_handshakes: Option<usize>,
    public_enrolment_address: Option<String>,
    public_api_address: Option<String>,
    metrics_listen: Option<SocketAddr>,
    alert_webhook_url: Option<String>,
    alert_webhook_secret_file: Option<PathBuf>,
    alert_webhook_secret_env: Option<String>,
    alert_webhook_poll_seconds: Option<u64>,
}

/// A witness as the file lists it.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct WitnessFileEntry {
    url: String,
    verifier_key: PathBuf,
}

/// A witness the service submits checkpoints to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WitnessSetting {
    /// Its submission prefix (`http(s)://host:port`).
    pub url: String,
    /// The file holding its verifier key.
    pub verifier_key: PathBuf,
}

/// The effective configuration. `Debug` hides the database URL (it may hold a password).
#[derive(Debug, Clone)]
pub struct Config {
    /// API listener (client certificate required).
    pub api_listen: SocketAddr,
    /// Enrolment listener (server TLS only).
    pub enrolment_listen: SocketAddr,
    /// Where `init` writes keys and the default SQLite file lives.
    pub data_dir: PathBuf,
    /// `sqlite:…` or `postgres://…`.
    pub database_url: Secret,
    /// Device CA certificate, PEM.
    pub ca_certificate: PathBuf,
    /// Device CA private key, PEM (0600).
    pub ca_key: PathBuf,
    /// The service's TLS certificate chain, PEM.
    pub server_certificate: PathBuf,
    /// The service's TLS private key, PEM (0600).
    pub server_key: PathBuf,
    /// The former chain's checkpoint key (read by nothing since the tree; kept for reference).
    pub audit_signing_key: PathBuf,
    /// Its public key, which `audit migrate-chain` verifies the former chain with.
    pub audit_public_key: PathBuf,
    /// The audit log key (signed-note private key text, 0600; not the CA's key).
    pub audit_log_key: PathBuf,
    /// Its verifier key, which `audit verify` checks the tree with (keep a copy elsewhere).
    pub audit_log_verifier_key: PathBuf,
    /// The log's former verifier keys, after a key rotation (docs/keys.md).
    pub audit_log_previous_verifier_keys: Vec<PathBuf>,
    /// The log's origin line, for the key `init` makes.
    pub audit_log_origin: String,
    /// The witnesses.
    pub audit_witnesses: Vec<WitnessSetting>,
    /// How old each witness's newest cosignature may be for `audit verify`.
    pub audit_max_cosigned_age: chrono::Duration,
    /// When `serve` signs an audit checkpoint.
    pub audit_checkpoints: CheckpointPolicy,
    /// Names `init` puts in the server certificate.
    pub server_names: Vec<String>,
    /// Certificate and code lifetimes.
    pub lifetimes: Lifetimes,
    /// Longest a TLS handshake may take.
    pub handshake_timeout: Duration,
    /// A connection that sends no complete request for this long after an answer is closed.
    pub idle_timeout: Duration,
    /// Longest a request's headers may take to arrive.
    pub header_read_timeout: Duration,
    /// Connections open at once, overall, per peer address, and handshaking (each at least 1).
    pub connection_caps: ConnectionCaps,
    /// `host:port` of the enrolment listener as workstations reach it.
    pub public_enrolment_address: String,
    /// `host:port` of the API listener as workstations reach it.
    pub public_api_address: String,
    /// The plain-HTTP metrics listener, if any.
    pub metrics_listen: Option<SocketAddr>,
    /// Where alerts are delivered, if anywhere.
    pub alert_webhook: Option<WebhookSettings>,
}

impl Config {
    /// Loads `file` (if given), then the process environment.
    pub fn load(file: Option<&Path>) -> Result<Config, ConfigError> {
        Config::load_with(file, |name| std::env::var(name).ok())
    }

    /// Loads `file` (if given), then variables from `env` (tests pass their own).
    pub fn load_with(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Config, ConfigError> {
        let parsed = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str::<ConfigFile>(&text).map_err(|e| ConfigError::Parse {
                    path: path.to_path_buf(),
                    message: e.message().to_owned(),
                })?
            }
            None => ConfigFile::default(),
        };
        let var = |name: &str| env(name).filter(|v| !v.is_empty());
        fn parsed_var<T: std::str::FromStr>(
            name: &'static str,
            value: Option<String>,
        ) -> Result<Option<T>, ConfigError>
        where
            T::Err: std::fmt::Display,
        {
            value
                .map(|v| {
                    v.parse::<T>().map_err(|e| ConfigError::Env {
                        name,
                        message: e.to_string(),
                    })
                })
                .transpose()
        }
        let path_var = |name: &'static str| var(name).map(PathBuf::from);

        let data_dir = path_var("PLACEFORTE_DATA_DIR")
            .or(parsed.data_dir)
            .unwrap_or_else(|| PathBuf::from("placeforte-data"));
        let in_data = |file: &str| data_dir.join(file);
        let database_url = var("DATABASE_URL")
            .or(parsed.database_url)
            .unwrap_or_else(|| format!("sqlite:{}", in_data("central.db").display()));
        let days = parsed_var::<u32>(
            "PLACEFORTE_CERTIFICATE_LIFETIME_DAYS",
            var("PLACEFORTE_CERTIFICATE_LIFETIME_DAYS"),
        )?
        .or(parsed.certificate_lifetime_days)
        .unwrap_or(7);
        let minutes = parsed_var::<u32>(
            "PLACEFORTE_ENROLMENT_CODE_LIFETIME_MINUTES",
            var("PLACEFORTE_ENROLMENT_CODE_LIFETIME_MINUTES"),
        )?
        .or(parsed.enrolment_code_lifetime_minutes)
        .unwrap_or(15);
        if !(1..=90).contains(&days) {
            return Err(ConfigError::Invalid(
                "certificate_lifetime_days must be between 1 and 90: certificates are short-lived"
                    .to_owned(),
            ));
        }
        let offline_days = parsed_var::<u32>(
            "PLACEFORTE_OFFLINE_PERIOD_DAYS",
            var("PLACEFORTE_OFFLINE_PERIOD_DAYS"),
        )?
        .or(parsed.offline_period_days)
        .unwrap_or(DEFAULT_OFFLINE_PERIOD_DAYS);
        if !OFFLINE_PERIOD_DAYS.contains(&offline_days) {
            return Err(ConfigError::Invalid(format!(
                "offline_period_days must be between {} and {}: a workstation keeps families' \
                 data that long without a successful sync",
                OFFLINE_PERIOD_DAYS.start(),
                OFFLINE_PERIOD_DAYS.end()
            )));
        }
        if !(1..=24 * 60).contains(&minutes) {
            return Err(ConfigError::Invalid(
                "enrolment_code_lifetime_minutes must be between 1 and 1440".to_owned(),
            ));
        }
        let handshake = parsed_var::<u64>(
            "PLACEFORTE_HANDSHAKE_TIMEOUT_SECONDS",
            var("PLACEFORTE_HANDSHAKE_TIMEOUT_SECONDS"),
        )?
        .or(parsed.handshake_timeout_seconds)
        .unwrap_or(10);
        let idle = parsed_var::<u64>(
            "PLACEFORTE_IDLE_TIMEOUT_SECONDS",
            var("PLACEFORTE_IDLE_TIMEOUT_SECONDS"),
        )?
        .or(parsed.idle_timeout_seconds)
        .unwrap_or(60);
        let header_read = parsed_var::<u64>(
            "PLACEFORTE_HEADER_READ_TIMEOUT_SECONDS",
            var("PLACEFORTE_HEADER_READ_TIMEOUT_SECONDS"),
        )?
        .or(parsed.header_read_timeout_seconds)
        .map_or(crate::tls::DEFAULT_HEADER_READ_TIMEOUT, Duration::from_secs);
        let defaults = crate::tls::ConnectionLimits::default();
        let connection_caps = ConnectionCaps {
            overall: parsed_var::<usize>(
                "PLACEFORTE_MAX_CONNECTIONS",
                var("PLACEFORTE_MAX_CONNECTIONS"),
            )?
            .or(parsed.max_connections)
            .unwrap_or(defaults.max_connections)
            .max(1),
            per_peer: parsed_var::<usize>(
                "PLACEFORTE_MAX_CONNECTIONS_PER_PEER",
                var("PLACEFORTE_MAX_CONNECTIONS_PER_PEER"),
            )?
            .or(parsed.max_connections_per_peer)
            .unwrap_or(defaults.max_connections_per_peer)
            .max(1),
            handshakes: parsed_var::<usize>(
                "PLACEFORTE_MAX_HANDSHAKES",
                var("PLACEFORTE_MAX_HANDSHAKES"),
            )?
            .or(parsed.max_handshakes)
            .unwrap_or(defaults.max_handshakes)
            .max(1),
        };
        let reveals = parsed_var::<u32>(
            "PLACEFORTE_REVEALS_PER_DEVICE_PER_DAY",
            var("PLACEFORTE_REVEALS_PER_DEVICE_PER_DAY"),
        )?
        .or(parsed.reveals_per_device_per_day)
        .unwrap_or(60);
        let checkpoint_entries = parsed_var::<u32>(
            "PLACEFORTE_AUDIT_CHECKPOINT_EVERY_ENTRIES",
            var("PLACEFORTE_AUDIT_CHECKPOINT_EVERY_ENTRIES"),
        )?
        .or(parsed.audit_checkpoint_every_entries)
        .unwrap_or(1_000);
        let checkpoint_minutes = parsed_var::<u32>(
            "PLACEFORTE_AUDIT_CHECKPOINT_EVERY_MINUTES",
            var("PLACEFORTE_AUDIT_CHECKPOINT_EVERY_MINUTES"),
        )?
        .or(parsed.audit_checkpoint_every_minutes)
        .unwrap_or(5);
        if checkpoint_entries == 0 || checkpoint_minutes == 0 {
            return Err(ConfigError::Invalid(
                "audit checkpoints need at least 1 entry and 1 minute between them".to_owned(),
            ));
        }
        let audit_log_origin = var("PLACEFORTE_AUDIT_LOG_ORIGIN")
            .or(parsed.audit_log_origin)
            .unwrap_or_else(|| "placeforte.invalid/audit".to_owned());
        if !placeforte_translog::keys::is_valid_name(&audit_log_origin) {
            return Err(ConfigError::Invalid(
                "audit_log_origin must be a name without spaces or '+' (a schema-less URL)"
                    .to_owned(),
            ));
        }
        let audit_witnesses = match (
            var("PLACEFORTE_AUDIT_WITNESS_URL"),
            path_var("PLACEFORTE_AUDIT_WITNESS_KEY"),
        ) {
            (Some(url), Some(verifier_key)) => vec![WitnessSetting { url, verifier_key }],
            (None, None) => parsed
                .audit_witnesses
                .unwrap_or_default()
                .into_iter()
                .map(|w| WitnessSetting {
                    url: w.url,
                    verifier_key: w.verifier_key,
                })
                .collect(),
            _ => {
                return Err(ConfigError::Invalid(
                    "PLACEFORTE_AUDIT_WITNESS_URL and PLACEFORTE_AUDIT_WITNESS_KEY go together"
                        .to_owned(),
                ))
            }
        };
        if let Some(bad) = audit_witnesses
            .iter()
            .find(|w| !(w.url.starts_with("https://") || w.url.starts_with("http://")))
        {
            return Err(ConfigError::Invalid(format!(
                "witness URL {:?} must be http:// or https://",
                bad.url
            )));
        }
        let max_cosigned_age = parsed_var::<u32>(
            "PLACEFORTE_AUDIT_MAX_COSIGNED_AGE_MINUTES",
            var("PLACEFORTE_AUDIT_MAX_COSIGNED_AGE_MINUTES"),
        )?
        .or(parsed.audit_max_cosigned_age_minutes)
        .unwrap_or(60)
        .max(1);
        let api_listen = parsed_var("PLACEFORTE_API_LISTEN", var("PLACEFORTE_API_LISTEN"))?
            .or(parsed.api_listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8443)));
        let enrolment_listen = parsed_var(
            "PLACEFORTE_ENROLMENT_LISTEN",
            var("PLACEFORTE_ENROLMENT_LISTEN"),
        )?
        .or(parsed.enrolment_listen)
        .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8444)));
        let metrics_listen = parsed_var(
            "PLACEFORTE_METRICS_LISTEN",
            var("PLACEFORTE_METRICS_LISTEN"),
        )?
        .or(parsed.metrics_listen);
        let poll_seconds = parsed_var::<u64>(
            "PLACEFORTE_ALERT_WEBHOOK_POLL_SECONDS",
            var("PLACEFORTE_ALERT_WEBHOOK_POLL_SECONDS"),
        )?
        .or(parsed.alert_webhook_poll_seconds)
        .unwrap_or(2);
        let alert_webhook = match var("PLACEFORTE_ALERT_WEBHOOK_URL").or(parsed.alert_webhook_url) {
            None => None,
            Some(url) => Some(WebhookSettings {
                secret: webhook_secret(
                    path_var("PLACEFORTE_ALERT_WEBHOOK_SECRET_FILE")
                        .or(parsed.alert_webhook_secret_file),
                    var("PLACEFORTE_ALERT_WEBHOOK_SECRET_ENV").or(parsed.alert_webhook_secret_env),
                    &var,
                )?,
                url: webhook_url(url)?,
                poll_interval: Duration::from_secs(poll_seconds.max(1)),
            }),
        };
        Ok(Config {
            metrics_listen,
            alert_webhook,
            api_listen,
            enrolment_listen,
            public_enrolment_address: var("PLACEFORTE_PUBLIC_ENROLMENT_ADDRESS")
                .or(parsed.public_enrolment_address)
                .unwrap_or_else(|| enrolment_listen.to_string()),
            public_api_address: var("PLACEFORTE_PUBLIC_API_ADDRESS")
                .or(parsed.public_api_address)
                .unwrap_or_else(|| api_listen.to_string()),
            database_url: Secret::new(database_url),
            ca_certificate: path_var("PLACEFORTE_CA_CERTIFICATE")
                .or(parsed.ca_certificate)
                .unwrap_or_else(|| in_data("device-ca.pem")),
            ca_key: path_var("PLACEFORTE_CA_KEY")
                .or(parsed.ca_key)
                .unwrap_or_else(|| in_data("device-ca.key")),
            server_certificate: path_var("PLACEFORTE_SERVER_CERTIFICATE")
                .or(parsed.server_certificate)
                .unwrap_or_else(|| in_data("server.pem")),
            server_key: path_var("PLACEFORTE_SERVER_KEY")
                .or(parsed.server_key)
                .unwrap_or_else(|| in_data("server.key")),
            audit_signing_key: path_var("PLACEFORTE_AUDIT_SIGNING_KEY")
                .or(parsed.audit_signing_key)
                .unwrap_or_else(|| in_data("audit-signing.key")),
            audit_public_key: path_var("PLACEFORTE_AUDIT_PUBLIC_KEY")
                .or(parsed.audit_public_key)
                .unwrap_or_else(|| in_data("audit-signing.pub")),
            audit_log_key: path_var("PLACEFORTE_AUDIT_LOG_KEY")
                .or(parsed.audit_log_key)
                .unwrap_or_else(|| in_data("audit-log.key")),
            audit_log_verifier_key: path_var("PLACEFORTE_AUDIT_LOG_VERIFIER_KEY")
                .or(parsed.audit_log_verifier_key)
                .unwrap_or_else(|| in_data("audit-log.vkey")),
            audit_log_origin,
            audit_log_previous_verifier_keys: var("PLACEFORTE_AUDIT_LOG_PREVIOUS_VERIFIER_KEYS")
                .map(|v| {
                    v.split(',')
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(PathBuf::from)
                        .collect()
                })
                .or(parsed.audit_log_previous_verifier_keys)
                .unwrap_or_default(),
            audit_witnesses,
            audit_max_cosigned_age: chrono::Duration::minutes(i64::from(max_cosigned_age)),
            audit_checkpoints: CheckpointPolicy {
                every_entries: i64::from(checkpoint_entries),
                every: chrono::Duration::minutes(i64::from(checkpoint_minutes)),
            },
            server_names: var("PLACEFORTE_SERVER_NAMES")
                .map(|v| v.split(',').map(|s| s.trim().to_owned()).collect())
                .or(parsed.server_names)
                .unwrap_or_else(|| vec!["localhost".to_owned(), "127.0.0.1".to_owned()]),
            lifetimes: Lifetimes {
                device_certificate: chrono::Duration::days(i64::from(days)),
                enrolment_code: chrono::Duration::minutes(i64::from(minutes)),
                reveals_per_device_per_day: reveals,
                offline_period_days: offline_days,
                ..Lifetimes::default()
            },
            handshake_timeout: Duration::from_secs(handshake.max(1)),
            idle_timeout: Duration::from_secs(idle.max(1)),
            header_read_timeout: header_read.max(Duration::from_secs(1)),
            connection_caps,
            data_dir,
        })
    }

    /// The listener settings.
    pub fn listen_settings(&self) -> ListenSettings {
        ListenSettings {
            api: self.api_listen,
            enrolment: self.enrolment_listen,
            limits: crate::tls::ConnectionLimits {
                handshake: self.handshake_timeout,
                header_read: self.header_read_timeout,
                idle: self.idle_timeout,
                max_connections: self.connection_caps.overall,
                max_connections_per_peer: self.connection_caps.per_peer,
                max_handshakes: self.connection_caps.handshakes,
            },
            metrics: self.metrics_listen,
        }
    }
}

/// The webhook's URL, if it is one the sender can use.
fn webhook_url(url: String) -> Result<String, ConfigError> {
    if url.starts_with("https://") || url.starts_with("http://") {
        Ok(url)
    } else {
        Err(ConfigError::Invalid(
            "alert_webhook_url must be an http:// or https:// URL".to_owned(),
        ))
    }
}

/// The webhook's HMAC secret: from the file, or the environment variable named; one of them
/// is required, and it may not be empty (an empty key signs nothing).
fn webhook_secret(
    file: Option<PathBuf>,
    env_name: Option<String>,
    var: &impl Fn(&str) -> Option<String>,
) -> Result<Secret, ConfigError> {
    let secret = match (file, env_name) {
        (Some(path), _) => std::fs::read_to_string(&path)
            .map_err(|source| ConfigError::Read { path, source })?
            .trim()
            .to_owned(),
        (None, Some(name)) => var(&name).unwrap_or_default(),
        (None, None) => String::new(),
    };
    if secret.is_empty() {
        return Err(ConfigError::Invalid(
            "alert_webhook_url needs a non-empty secret: alert_webhook_secret_file or \
             alert_webhook_secret_env"
                .to_owned(),
        ));
    }
    Ok(Secret::new(secret))
}

/// How many connections each listener holds at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConnectionCaps {
    /// All peers together.
    pub overall: usize,
    /// From one peer address.
    pub per_peer: usize,
    /// TLS handshakes in progress.
    pub handshakes: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_overrides_file_and_debug_hides_the_database_url() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("central.toml");
        std::fs::write(
            &file,
            "database_url = \"postgres://svc:hunter2@db/pf\"\ncertificate_lifetime_days = 5\napi_listen = \"0.0.0.0:9443\"\n",
        )
        .expect("write");
        let config = Config::load_with(Some(&file), |name| {
            (name == "PLACEFORTE_ENROLMENT_CODE_LIFETIME_MINUTES").then(|| "10".to_owned())
        })
        .expect("config");
        assert_eq!(
            config.lifetimes.device_certificate,
            chrono::Duration::days(5)
        );
        assert_eq!(
            config.lifetimes.enrolment_code,
            chrono::Duration::minutes(10)
        );
        assert_eq!(config.api_listen.port(), 9443);
        assert!(!format!("{config:?}").contains("hunter2"));
    }

    #[test]
    fn the_example_file_is_valid() {
        let example = Path::new(env!("CARGO_MANIFEST_DIR")).join("placeforte-central.example.toml");
        let config = Config::load_with(Some(&example), |_| None).expect("example config");
        assert_eq!(
            config.ca_key,
            PathBuf::from("/var/lib/placeforte/device-ca.key")
        );
        assert_eq!(config.lifetimes, Lifetimes::default());
    }

    #[test]
    fn witnesses_come_from_the_file_or_the_environment_and_bad_ones_are_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("central.toml");
        std::fs::write(
            &file,
            concat!(
                "audit_max_cosigned_age_minutes = 30\n",
                "audit_log_previous_verifier_keys = [\"/k/old.vkey\"]\n",
                "audit_witnesses = [{ url = \"https://w1.example\", verifier_key = \"/k/w1.vkey\" },",
                " { url = \"http://w2.example:8080\", verifier_key = \"/k/w2.vkey\" }]\n"
            ),
        )
        .expect("write");
        let config = Config::load_with(Some(&file), |_| None).expect("config");
        assert_eq!(config.audit_witnesses.len(), 2);
        assert_eq!(config.audit_witnesses[1].url, "http://w2.example:8080");
        assert_eq!(config.audit_max_cosigned_age, chrono::Duration::minutes(30));
        assert_eq!(
            config.audit_log_previous_verifier_keys,
            [PathBuf::from("/k/old.vkey")]
        );
        let env = |name: &str| match name {
            "PLACEFORTE_AUDIT_WITNESS_URL" => Some("https://w3.example".to_owned()),
            "PLACEFORTE_AUDIT_WITNESS_KEY" => Some("/k/w3.vkey".to_owned()),
            _ => None,
        };
        let config = Config::load_with(Some(&file), env).expect("config");
        assert_eq!(
            config.audit_witnesses,
            [WitnessSetting {
                url: "https://w3.example".to_owned(),
                verifier_key: PathBuf::from("/k/w3.vkey")
            }]
        );
        let err = Config::load_with(None, |name| {
            (name == "PLACEFORTE_AUDIT_WITNESS_URL").then(|| "https://w3.example".to_owned())
        })
        .expect_err("a URL without its key");
        assert!(err.to_string().contains("go together"), "{err}");
        std::fs::write(
            &file,
            "audit_witnesses = [{ url = \"ftp://w1\", verifier_key = \"/k\" }]\n",
        )
        .expect("write");
        let err = Config::load_with(Some(&file), |_| None).expect_err("bad URL");
        assert!(err.to_string().contains("http:// or https://"), "{err}");
        let err = Config::load_with(None, |name| {
            (name == "PLACEFORTE_AUDIT_LOG_ORIGIN").then(|| "bad origin".to_owned())
        })
        .expect_err("bad origin");
        assert!(err.to_string().contains("audit_log_origin"), "{err}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_refused_in_plain_words() {
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("central.toml");
        std::fs::write(&file, "api_lisen = \"127.0.0.1:1\"\n").expect("write");
        let err = Config::load_with(Some(&file), |_| None).expect_err("typo");
        assert!(err.to_string().contains("api_lisen"), "{err}");
        let err = Config::load_with(None, |name| {
            (name == "PLACEFORTE_CERTIFICATE_LIFETIME_DAYS").then(|| "365".to_owned())
        })
        .expect_err("too long");
        assert!(err.to_string().contains("between 1 and 90"), "{err}");
    }

    #[test]
    fn the_offline_period_is_the_operator_s_within_bounds() {
        assert_eq!(
            Config::load_with(None, |_| None)
                .expect("defaults")
                .lifetimes
                .offline_period_days,
            7
        );
        let dir = tempfile::tempdir().expect("tempdir");
        let file = dir.path().join("central.toml");
        std::fs::write(&file, "offline_period_days = 3\n").expect("write");
        let config = Config::load_with(Some(&file), |_| None).expect("config");
        assert_eq!(config.lifetimes.offline_period_days, 3);
        for refused in ["0", "31"] {
            let err = Config::load_with(None, |name| {
                (name == "PLACEFORTE_OFFLINE_PERIOD_DAYS").then(|| refused.to_owned())
            })
            .expect_err("out of bounds");
            assert!(err.to_string().contains("between 1 and 30"), "{err}");
        }
    }

    #[test]
    fn a_webhook_needs_a_secret_and_metrics_are_off_unless_set() {
        let config = Config::load_with(None, |_| None).expect("defaults");
        assert!(config.alert_webhook.is_none() && config.metrics_listen.is_none());
        let env = |name: &str| match name {
            "PLACEFORTE_ALERT_WEBHOOK_URL" => Some("https://hooks.example/alerts".to_owned()),
            "PLACEFORTE_ALERT_WEBHOOK_SECRET_ENV" => Some("HOOK_KEY".to_owned()),
            "HOOK_KEY" => Some("s3cret".to_owned()),
            "PLACEFORTE_METRICS_LISTEN" => Some("127.0.0.1:9464".to_owned()),
            _ => None,
        };
        let config = Config::load_with(None, env).expect("webhook config");
        assert_eq!(
            config.listen_settings().metrics.map(|a| a.port()),
            Some(9464)
        );
        let webhook = config.alert_webhook.expect("a webhook");
        assert_eq!(webhook.secret.expose(), "s3cret");
        assert!(!format!("{webhook:?}").contains("s3cret"));
        let err = Config::load_with(None, |name| {
            (name == "PLACEFORTE_ALERT_WEBHOOK_URL").then(|| "https://hooks.example/".to_owned())
        })
        .expect_err("no secret");
        assert!(err.to_string().contains("non-empty secret"), "{err}");
    }
}
