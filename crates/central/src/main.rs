//! `placeforte-central`: the operator's command line and the service itself.
#![forbid(unsafe_code)]

mod intake_cli;
mod law25_cli;
mod ops_cli;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use placeforte_central::audit::{self, CheckpointPolicy};
use placeforte_central::ca::{self, DeviceCa};
use placeforte_central::config::Config;
use placeforte_central::logging::{self, LogFormat};
use placeforte_central::operator::{self, Operator};
use placeforte_central::seed::{self, SeedOptions};
use placeforte_central::store::{AlertDelivery, AnyStore, AuditEvent, Schema, Storage};
use placeforte_central::{init, start_with, AppState, ServerIdentity, SystemClock};
use placeforte_protocol::invite::EnrolmentInvite;
use placeforte_protocol::{DaycareId, DeviceId, RegistrationId};

/// PlaceForte central service and operator tools.
///
/// Configuration comes from --config (TOML), then environment variables (DATABASE_URL,
/// PLACEFORTE_*), then defaults; see the crate documentation for every key.
#[derive(Debug, Parser)]
#[command(name = "placeforte-central", version)]
struct Cli {
    /// TOML configuration file.
    #[arg(long, global = true, env = "PLACEFORTE_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create the device CA, the service's TLS certificate (keys 0600) and the database.
    Init,
    /// Apply the database migrations, as a role that may change the schema; optionally let the
    /// service's own PostgreSQL role use the tables (append-only on the audit log).
    Migrate {
        /// PostgreSQL role the service runs as (created beforehand by the operator).
        #[arg(long)]
        grant_service_role: Option<String>,
    },
    /// Run the enrolment and API listeners until Ctrl-C or SIGTERM.
    Serve {
        /// Serve Prometheus metrics on this address (plain HTTP; 127.0.0.1 or the operator's
        /// network only). Overrides `metrics_listen`.
        #[arg(long, value_name = "ADDRESS")]
        metrics: Option<std::net::SocketAddr>,
        /// Do not migrate: refuse to start unless the schema is current. For a database role
        /// that cannot run DDL (run `migrate` first as the schema owner).
        #[arg(long, env = "PLACEFORTE_REQUIRE_CURRENT_SCHEMA")]
        require_current_schema: bool,
        /// Seconds between sweeps of the offer clock (offers past their deadline expired;
        /// answers, syncs and reveals also expire what is due themselves).
        #[arg(long, env = "PLACEFORTE_OFFER_EXPIRY_EVERY_SECONDS", default_value_t = placeforte_central::expiry::DEFAULT_SWEEP_EVERY.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
        offer_expiry_every_seconds: u64,
        /// Seconds between retention sweeps (personal data purged once its period is over).
        #[arg(long, env = "PLACEFORTE_RETENTION_EVERY_SECONDS", default_value_t = placeforte_central::retention::DEFAULT_SWEEP_EVERY.as_secs(), value_parser = clap::value_parser!(u64).range(1..))]
        retention_every_seconds: u64,
        /// Log lines as text or as one JSON object per line.
        #[arg(long, value_enum, env = "PLACEFORTE_LOG_FORMAT", default_value_t = LogFormat::Text)]
        log_format: LogFormat,
    },
    /// Back up into a new folder: a consistent snapshot of the SQLite database taken while the
    /// service runs (PostgreSQL: pg_dump, docs/operations.md) and the keys, encrypted with a
    /// passphrase (--passphrase-file, or PLACEFORTE_BACKUP_PASSPHRASE).
    Backup {
        /// The new backup folder.
        #[arg(long)]
        to: PathBuf,
        /// A file whose first line is the passphrase.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Restore a backup into a fresh data folder (refuses one holding any of its files).
    Restore {
        /// The backup folder.
        #[arg(long)]
        from: PathBuf,
        /// The new data folder.
        #[arg(long)]
        to: PathBuf,
        /// A file whose first line is the passphrase.
        #[arg(long)]
        passphrase_file: Option<PathBuf>,
    },
    /// Purge now the personal data whose retention period is over (serve does it hourly).
    Purge,
    /// Manage daycares.
    #[command(subcommand)]
    Daycare(DaycareCommand),
    /// Registrations from the province's registration front end, in bulk.
    #[command(subcommand)]
    Registrations(intake_cli::RegistrationsCommand),
    /// The registration front end's client identity (its certificate, revocation).
    #[command(subcommand, name = "intake-client")]
    IntakeClient(intake_cli::IntakeClientCommand),
    /// Manage one-time enrolment codes.
    #[command(subcommand, name = "enrolment-code")]
    EnrolmentCode(EnrolmentCodeCommand),
    /// Manage enrolled devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// The device CA.
    #[command(subcommand)]
    Ca(CaCommand),
    /// Daycares' answers: reports of wider effects to confirm, and reverts.
    #[command(subcommand)]
    Outcome(OutcomeCommand),
    /// Operator reports: alerts, who looked at a registration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check or sign the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// The confidentiality-incident register (Law 25): add, raise from an alert, list, show,
    /// update, export as CSV.
    #[command(subcommand)]
    Incident(law25_cli::IncidentCommand),
    /// A family's access report as a PDF (French or English), found by the registration's
    /// public number.
    AccessReport(law25_cli::AccessReportArgs),
    /// Fill an empty database with a deterministic synthetic province (no real person in it).
    Seed {
        /// Registrations to create (honeytokens included).
        #[arg(long, default_value_t = 88_000)]
        registrations: usize,
        /// Daycares to create.
        #[arg(long, default_value_t = 3_000)]
        daycares: usize,
        /// Honeytoken registrations among them.
        #[arg(long, default_value_t = 7)]
        honeytokens: usize,
        /// Random seed: the same seed and --as-of give the same data.
        #[arg(long, default_value_t = 42)]
        seed: u64,
        /// "Today" for generated dates (YYYY-MM-DD; default: today).
        #[arg(long)]
        as_of: Option<NaiveDate>,
    },
}

#[derive(Debug, Subcommand)]
enum DaycareCommand {
    /// Add a daycare with its permit.
    Add {
        /// Public name.
        #[arg(long)]
        name: String,
        /// Administrative region.
        #[arg(long)]
        region: String,
        /// Permit places per age class, youngest first: under 18 months, 18 months to 4 years,
        /// 4 years, 5 years and over (for example 10,30,15,0).
        #[arg(long, value_delimiter = ',', required = true, value_name = "N,N,N,N")]
        places: Vec<u32>,
    },
    /// Change a daycare's permit (audited); refused over the installation maximum.
    SetPermit {
        /// The daycare's id.
        daycare: DaycareId,
        /// Permit places per age class, youngest first: under 18 months, 18 months to 4 years,
        /// 4 years, 5 years and over (for example 10,30,15,0).
        #[arg(long, value_delimiter = ',', required = true, value_name = "N,N,N,N")]
        places: Vec<u32>,
    },
    /// List daycares.
    List,
    #[command(flatten)]
    Intake(intake_cli::DaycareIntakeCommand),
}

#[derive(Debug, Subcommand)]
enum EnrolmentCodeCommand {
    /// Issue a one-time code for a daycare's workstation. The code is printed once, never stored.
    Issue {
        /// The daycare's id.
        daycare: DaycareId,
    },
}

#[derive(Debug, Subcommand)]
enum AdminCommand {
    /// List alerts, newest first (quota breaches, honeytoken touches, repeated foreign ids),
    /// with their acknowledgement and webhook delivery state; or acknowledge one.
    Alerts {
        /// `ack <alert-id> --note "…"`; without it, the list.
        #[command(subcommand)]
        action: Option<AlertsCommand>,
    },
    /// Put a suspended registration back on the list (waiting, its missed deadlines kept, so
    /// the next miss withdraws it), audited; refused for any registration not suspended.
    Reactivate {
        /// The registration's id.
        registration: RegistrationId,
        /// Why (the family's request, for the audit log).
        #[arg(long)]
        reason: String,
    },
    /// Every daycare that saw or revealed this registration: when, what and why.
    AccessReport {
        /// The registration's id.
        registration: RegistrationId,
        /// Also write the report with an inclusion proof for every line to this file (JSON),
        /// for the family to check with `audit verify-report`.
        #[arg(long, value_name = "FILE")]
        proofs: Option<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum AlertsCommand {
    /// Acknowledge an alert (audited; an alert is acknowledged once).
    Ack {
        /// The alert's id (first column of `admin alerts`).
        alert: i64,
        /// What was checked or done.
        #[arg(long)]
        note: String,
    },
}

#[derive(Debug, Subcommand)]
enum OutcomeCommand {
    /// List daycares' reports of wider effects (placing, suspending or withdrawing a family)
    /// waiting for confirmation, oldest first.
    Reports,
    /// Apply a report's effect to the family's registration (audited).
    Confirm {
        /// The report's id (from `outcome reports`).
        report: uuid::Uuid,
    },
    /// Reverse a daycare's outcome and restore the family's standing exactly (audited).
    Revert {
        /// The outcome's id, or its referral's (then its latest outcome).
        id: uuid::Uuid,
        /// Why, for the audit log.
        #[arg(long)]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuditCommand {
    /// Recompute the tree and check it against every checkpoint, the signed head, the cadence
    /// and each configured witness's cosignatures (fetched from the witness too); lists every
    /// finding and fails if there is one.
    Verify {
        /// Do not ask the witnesses for their latest heads (check the stored cosignatures only).
        #[arg(long)]
        offline: bool,
        /// Also trust this witness verifier key (obtained from the witness's operator), beside
        /// the configured witnesses; repeatable. Its stored cosignatures are checked and one
        /// must be recent.
        #[arg(long = "witness-key")]
        witness_keys: Vec<PathBuf>,
    },
    /// Keep a checkpoint of the tree now and submit it to the witnesses (serve does both on its
    /// own at the cadence).
    Checkpoint,
    /// Verify the former hash chain with its checkpoint key and seal it into the tree (once,
    /// after upgrading a database that holds such a chain).
    MigrateChain,
    /// Hand the log over to a new key (same origin), with the service stopped: writes the new
    /// key files, logs the hand-over, checkpoints it with the current key and re-signs the head
    /// with the new one. Then configure the new key (docs/keys.md).
    RotateLogKey {
        /// Where to write the new private key (0600; must not exist).
        #[arg(long)]
        new_key: PathBuf,
        /// Where to write its verifier key (must not exist).
        #[arg(long)]
        new_verifier_key: PathBuf,
    },
    /// Check an access report offline: every line's inclusion proof against its checkpoint,
    /// the log's signature and a trusted witness's cosignature. Needs no database.
    VerifyReport {
        /// The report (JSON, from `admin access-report --proofs`).
        report: PathBuf,
        /// The log's verifier key file (repeat for its former keys after a rotation).
        #[arg(long = "log-key", required = true)]
        log_keys: Vec<PathBuf>,
        /// A trusted witness's verifier key file (repeat for several; one must have cosigned).
        #[arg(long = "witness-key", required = true)]
        witness_keys: Vec<PathBuf>,
    },
}

#[derive(Debug, Subcommand)]
enum CaCommand {
    /// Replace the device CA and the server certificate, with the service stopped: the old
    /// files are kept as `*.retired-<time>`, every device is revoked and must enrol again with
    /// a new code (docs/keys.md).
    Rotate,
}

#[derive(Debug, Subcommand)]
enum DeviceCommand {
    /// List enrolled devices.
    List,
    /// Revoke a device: its next request is refused, even on an open connection.
    Revoke {
        /// The device's id.
        device: DeviceId,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    logging::init(match cli.command {
        Command::Serve { log_format, .. } => log_format,
        _ => LogFormat::Text,
    });
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    if let Command::Audit(AuditCommand::VerifyReport {
        report,
        log_keys,
        witness_keys,
    }) = &cli.command
    {
        return verify_report(report, log_keys, witness_keys);
    }
    if let Command::Restore {
        from,
        to,
        passphrase_file,
    } = &cli.command
    {
        return ops_cli::restore(from, to, passphrase_file.as_deref());
    }
    let config = Config::load(cli.config.as_deref()).map_err(|e| e.to_string())?;
    if let Command::Init = cli.command {
        let report = init::initialize(&config, Utc::now()).map_err(|e| e.to_string())?;
        for path in report.written {
            println!("wrote {}", path.display());
        }
        // Creating the store runs the migrations (and creates the SQLite file).
        open(&config, Schema::Migrate).await?;
        println!("database ready");
        return Ok(());
    }
    let schema = match cli.command {
        Command::Serve {
            require_current_schema: true,
            ..
        } => Schema::RequireCurrent,
        _ => Schema::Migrate,
    };
    let mut store = open(&config, schema).await?;
    // The log key signs every append; without it, commands that only read still work.
    if config.audit_log_key.exists() {
        let log = audit::load_log_signer(&config.audit_log_key).map_err(|e| e.to_string())?;
        store = store.with_log_signer(Arc::new(log));
    }
    if let Command::Migrate { grant_service_role } = &cli.command {
        println!("database migrated");
        if let Some(role) = grant_service_role {
            let AnyStore::Postgres(store) = &store else {
                return Err("--grant-service-role needs PostgreSQL (SQLite has no roles)".into());
            };
            store
                .grant_service_role(role)
                .await
                .map_err(|e| format!("cannot grant the service role {role}: {e}"))?;
            println!("granted the tables to {role}; the audit log is append-only for it");
        }
        return Ok(());
    }
    if let Command::Backup {
        to,
        passphrase_file,
    } = &cli.command
    {
        return ops_cli::back_up(&config, &store, to, passphrase_file.as_deref()).await;
    }
    match (store, cli.command) {
        (AnyStore::Sqlite(store), Command::Incident(c)) => law25_cli::incident(store, c).await,
        (AnyStore::Postgres(store), Command::Incident(c)) => law25_cli::incident(store, c).await,
        (AnyStore::Sqlite(store), Command::AccessReport(args)) => {
            law25_cli::access_report_document(store, &config, args).await
        }
        (AnyStore::Postgres(store), Command::AccessReport(args)) => {
            law25_cli::access_report_document(store, &config, args).await
        }
        (AnyStore::Sqlite(store), command_) => command(store, &config, command_).await,
        (AnyStore::Postgres(store), command_) => command(store, &config, command_).await,
    }
}

async fn open(config: &Config, schema: Schema) -> Result<AnyStore, String> {
    if let Some(path) = config.database_url.expose().strip_prefix("sqlite:") {
        let path = PathBuf::from(path.trim_start_matches("//"));
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    AnyStore::open(config.database_url.expose(), schema)
        .await
        .map_err(|e| format!("cannot open the database: {e}"))
}

async fn command<S: Storage>(store: S, config: &Config, command: Command) -> Result<(), String> {
    let operator = Operator::from_environment();
    let now = Utc::now();
    match command {
        Command::Init
        | Command::Migrate { .. }
        | Command::Incident(_)
        | Command::AccessReport(_)
        | Command::Backup { .. }
        | Command::Restore { .. } => Ok(()),
        Command::Purge => ops_cli::purge(&store).await,
        Command::Serve {
            metrics,
            offer_expiry_every_seconds,
            retention_every_seconds,
            ..
        } => {
            let sweeps = Sweeps {
                offers: std::time::Duration::from_secs(offer_expiry_every_seconds),
                retention: std::time::Duration::from_secs(retention_every_seconds),
            };
            serve(store, config, metrics, sweeps).await
        }
        Command::Daycare(DaycareCommand::Add {
            name,
            region,
            places,
        }) => {
            let places: [u32; 4] = places
                .try_into()
                .map_err(|_| "--places takes exactly four numbers".to_owned())?;
            let daycare = operator::add_daycare(&store, &operator, now, &name, &region, places)
                .await
                .map_err(|e| e.to_string())?;
            println!("{}", daycare.id);
            Ok(())
        }
        Command::Daycare(DaycareCommand::SetPermit { daycare, places }) => {
            let places: [u32; 4] = places
                .try_into()
                .map_err(|_| "--places takes exactly four numbers".to_owned())?;
            let daycare = operator::set_permit(&store, &operator, now, daycare, places)
                .await
                .map_err(|e| e.to_string())?;
            let places: Vec<String> = daycare.places.iter().map(u32::to_string).collect();
            println!("{}\t{}", daycare.id, places.join(","));
            Ok(())
        }
        Command::Daycare(DaycareCommand::Intake(command)) => {
            intake_cli::daycare(&store, &operator, now, command).await
        }
        Command::Registrations(command) => {
            intake_cli::registrations(&store, &operator, now, command).await
        }
        Command::IntakeClient(command) => {
            intake_cli::intake_client(&store, config, &operator, now, command).await
        }
        Command::Daycare(DaycareCommand::List) => {
            operator::record_listing(&store, &operator, now, "daycares")
                .await
                .map_err(|e| e.to_string())?;
            let daycares = store.daycares().await.map_err(|e| e.to_string())?;
            print_table(
                "id\tregion\tplaces\tname",
                daycares.iter().map(|d| {
                    let places: Vec<String> = d.places.iter().map(u32::to_string).collect();
                    format!("{}\t{}\t{}\t{}", d.id, d.region, places.join(","), d.name)
                }),
            )
        }
        Command::EnrolmentCode(EnrolmentCodeCommand::Issue { daycare }) => {
            let issued = operator::issue_enrolment_code(
                &store,
                &operator,
                now,
                daycare,
                config.lifetimes.enrolment_code,
            )
            .await
            .map_err(|e| e.to_string())?;
            let invitation = EnrolmentInvite {
                daycare_id: daycare,
                code: issued.code.expose().to_owned(),
                enrolment_address: config.public_enrolment_address.clone(),
                api_address: config.public_api_address.clone(),
                ca_sha256: ca::certificate_fingerprint(&config.ca_certificate)
                    .map_err(|e| e.to_string())?,
            };
            println!("daycare:    {daycare}");
            println!("code:       {}", issued.code.expose());
            println!("invitation: {invitation}");
            println!(
                "expires:    {} (single use; it is not stored and cannot be shown again)",
                issued.expires_at.to_rfc3339()
            );
            Ok(())
        }
        Command::Device(DeviceCommand::List) => {
            operator::record_listing(&store, &operator, now, "devices")
                .await
                .map_err(|e| e.to_string())?;
            let devices = store.devices().await.map_err(|e| e.to_string())?;
            print_table(
                "id\tdaycare\tenrolled\tstatus",
                devices.iter().map(|d| {
                    let status = match d.revoked_at {
                        Some(at) => format!("revoked {}", at.to_rfc3339()),
                        None => "active".to_owned(),
                    };
                    format!(
                        "{}\t{}\t{}\t{status}",
                        d.id,
                        d.daycare_id,
                        d.enrolled_at.to_rfc3339()
                    )
                }),
            )
        }
        Command::Ca(CaCommand::Rotate) => {
            let rotation = init::rotate_ca(config, now).map_err(|e| e.to_string())?;
            for (retired, new) in &rotation.moved {
                println!("moved {} to {}", new.display(), retired.display());
            }
            let fingerprint = hex::encode(rotation.fingerprint);
            store
                .record_event(&AuditEvent::new(
                    now,
                    format!("operator:{}", operator.0),
                    "device_ca.rotated",
                    format!("ca:{fingerprint}"),
                ))
                .await
                .map_err(|e| e.to_string())?;
            let mut revoked = 0;
            for device in store.devices().await.map_err(|e| e.to_string())? {
                if device.revoked_at.is_none() {
                    operator::revoke_device(&store, &operator, now, device.id)
                        .await
                        .map_err(|e| e.to_string())?;
                    revoked += 1;
                }
            }
            println!(
                "new device CA (SHA-256 {fingerprint}); {revoked} devices revoked: issue each daycare a new enrolment code (enrolment-code issue), then start the service"
            );
            Ok(())
        }
        Command::Device(DeviceCommand::Revoke { device }) => {
            operator::revoke_device(&store, &operator, now, device)
                .await
                .map_err(|e| e.to_string())?;
            println!("revoked {device}: its next request will be refused");
            Ok(())
        }
        Command::Outcome(OutcomeCommand::Reports) => {
            let reports = operator::outcome_reports(&store, &operator, now)
                .await
                .map_err(|e| e.to_string())?;
            print_table(
                "id\treported\tkind\tdaycare\tdevice\treferral\tregistration",
                reports.iter().map(|r| {
                    format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        r.id,
                        r.reported_at.to_rfc3339(),
                        r.kind,
                        r.daycare_id,
                        r.device_id,
                        r.referral_id,
                        r.registration_id
                    )
                }),
            )
        }
        Command::Outcome(OutcomeCommand::Confirm { report }) => {
            let (closed, further) =
                operator::confirm_outcome_report(&store, &operator, now, report)
                    .await
                    .map_err(|e| e.to_string())?;
            println!(
                "confirmed {report}: {closed} other referrals closed, {further} further referrals made"
            );
            Ok(())
        }
        Command::Outcome(OutcomeCommand::Revert { id, reason }) => {
            let (outcome, status, reopened) =
                operator::revert_outcome(&store, &operator, now, id, &reason)
                    .await
                    .map_err(|e| e.to_string())?;
            println!(
                "reverted outcome {outcome}: the referral is {status}, {reopened} other referrals reopened"
            );
            Ok(())
        }
        Command::Admin(AdminCommand::Reactivate {
            registration,
            reason,
        }) => {
            let missed =
                operator::reactivate_registration(&store, &operator, now, registration, &reason)
                    .await
                    .map_err(|e| e.to_string())?;
            println!("reactivated {registration}: waiting again, {missed} missed deadline(s) kept");
            Ok(())
        }
        Command::Admin(AdminCommand::Alerts {
            action: Some(AlertsCommand::Ack { alert, note }),
        }) => {
            operator::acknowledge_alert(&store, &operator, now, alert, &note)
                .await
                .map_err(|e| e.to_string())?;
            println!("alert {alert} acknowledged");
            Ok(())
        }
        Command::Admin(AdminCommand::Alerts { action: None }) => {
            operator::record_listing(&store, &operator, now, "alerts")
                .await
                .map_err(|e| e.to_string())?;
            let alerts = store.alerts().await.map_err(|e| e.to_string())?;
            print_table(
                "id\traised\tkind\tdevice\tdaycare\tstate\tdelivery\tdetail",
                alerts.iter().map(|a| {
                    let state = match (&a.acknowledged_at, &a.acknowledged_by) {
                        (Some(at), Some(by)) => format!(
                            "acknowledged {at} by {by}: {}",
                            a.acknowledgement_note.as_deref().unwrap_or("")
                        ),
                        _ => "new".to_owned(),
                    };
                    let delivery = match a.delivery {
                        AlertDelivery::None => "none".to_owned(),
                        AlertDelivery::Pending { attempts } => {
                            format!("pending ({attempts} attempts)")
                        }
                        AlertDelivery::Delivered => "delivered".to_owned(),
                    };
                    format!(
                        "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                        a.id,
                        a.raised_at,
                        a.kind,
                        a.device_id,
                        a.daycare_id,
                        state,
                        delivery,
                        a.detail
                    )
                }),
            )
        }
        Command::Admin(AdminCommand::AccessReport {
            registration,
            proofs,
        }) => {
            store
                .record_event(&AuditEvent::new(
                    now,
                    format!("operator:{}", operator.0),
                    "access_report.read",
                    format!("registration:{registration}"),
                ))
                .await
                .map_err(|e| e.to_string())?;
            let lines = store
                .access_report(registration)
                .await
                .map_err(|e| e.to_string())?;
            print_table(
                "when\tdaycare\twhat\twhy",
                lines.iter().map(|line| {
                    format!(
                        "{}\t{}\t{}\t{}",
                        line.occurred_at, line.daycare_name, line.action, line.reason
                    )
                }),
            )?;
            if let Some(path) = proofs {
                write_access_report(&store, config, registration, &path).await?;
            }
            Ok(())
        }
        Command::Audit(AuditCommand::Verify {
            offline,
            witness_keys,
        }) => audit_verify(&store, config, &operator, offline, &witness_keys).await,
        Command::Audit(AuditCommand::Checkpoint) => {
            let log = audit::load_log_signer(&config.audit_log_key).map_err(|e| e.to_string())?;
            match audit::checkpoint_if_due(&store, &log, config.audit_checkpoints, now, true)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(head) => println!("kept checkpoint of {} entries", head.size),
                None => println!("nothing to keep: the latest checkpoint covers every entry"),
            }
            let http = reqwest::Client::new();
            for witness in witness_endpoints(config)? {
                match audit::witnessing::submit_latest(&store, &http, &witness, now).await {
                    Ok(outcome) => println!("{}: {outcome:?}", witness.verifier.name()),
                    Err(error) => eprintln!("{}: {error}", witness.verifier.name()),
                }
            }
            Ok(())
        }
        Command::Audit(AuditCommand::MigrateChain) => {
            let state = store.audit_head_state().await.map_err(|e| e.to_string())?;
            if state.legacy_entries <= state.tree_size {
                println!("no former chain to seal");
                return Ok(());
            }
            let log = audit::load_log_signer(&config.audit_log_key).map_err(|e| e.to_string())?;
            let legacy = audit::legacy::load_public_key(&config.audit_public_key)
                .map_err(|e| format!("{e} (the former chain's public key)"))?;
            let sealed = audit::seal_legacy_chain(&store, &legacy, &log, now)
                .await
                .map_err(|e| e.to_string())?;
            if sealed == 0 {
                println!("no former chain to seal");
            } else {
                println!("the former chain verified; {sealed} entries sealed into the tree");
                operator::record_listing(&store, &operator, now, "audit_chain_sealed")
                    .await
                    .map_err(|e| e.to_string())?;
            }
            Ok(())
        }
        Command::Audit(AuditCommand::RotateLogKey {
            new_key,
            new_verifier_key,
        }) => {
            let old = audit::load_log_signer(&config.audit_log_key).map_err(|e| e.to_string())?;
            audit::generate_log_key(old.origin(), &new_key, &new_verifier_key)
                .map_err(|e| e.to_string())?;
            let new = audit::load_log_signer(&new_key).map_err(|e| e.to_string())?;
            let size = audit::rotate_log_key(&store, &old, &new, now)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "the log is handed over to the new key at {size} entries; now set audit_log_key = {}, audit_log_verifier_key = {}, add {} to audit_log_previous_verifier_keys, give every witness the new verifier key, and start the service (docs/keys.md)",
                new_key.display(),
                new_verifier_key.display(),
                config.audit_log_verifier_key.display()
            );
            Ok(())
        }
        Command::Audit(AuditCommand::VerifyReport { .. }) => Ok(()),
        Command::Seed {
            registrations,
            daycares,
            honeytokens,
            seed,
            as_of,
        } => {
            let options = SeedOptions {
                registrations,
                daycares,
                honeytokens,
                seed,
                as_of: as_of.unwrap_or_else(|| now.date_naive()),
            };
            let started = std::time::Instant::now();
            let event = AuditEvent::new(
                now,
                format!("operator:{}", operator.0),
                "synthetic_data.seeded",
                format!("seed:{seed}"),
            );
            let summary = seed::seed(&store, event, &options)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "seeded {} daycares, {} registrations ({} honeytokens), {} chosen daycares in {:.2} s",
                summary.daycares,
                summary.registrations,
                summary.honeytokens,
                summary.choices,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
    }
}

/// The configured witnesses, with their verifier keys read.
fn witness_endpoints(config: &Config) -> Result<Vec<audit::witnessing::WitnessEndpoint>, String> {
    config
        .audit_witnesses
        .iter()
        .map(|w| {
            Ok(audit::witnessing::WitnessEndpoint {
                url: w.url.clone(),
                verifier: audit::load_witness_verifier(&w.verifier_key)
                    .map_err(|e| e.to_string())?,
            })
        })
        .collect()
}

/// Verifies the audit log; any finding is an error (non-zero exit) listing them all.
async fn audit_verify<S: Storage>(
    store: &S,
    config: &Config,
    operator: &Operator,
    offline: bool,
    extra_witnesses: &[PathBuf],
) -> Result<(), String> {
    let log =
        audit::load_log_verifier(&config.audit_log_verifier_key).map_err(|e| e.to_string())?;
    let previous = config
        .audit_log_previous_verifier_keys
        .iter()
        .map(|path| audit::load_log_verifier(path).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let endpoints = witness_endpoints(config)?;
    let mut witnesses: Vec<_> = endpoints.iter().map(|w| w.verifier.clone()).collect();
    for path in extra_witnesses {
        let verifier = audit::load_witness_verifier(path).map_err(|e| e.to_string())?;
        if !witnesses
            .iter()
            .any(|w| w.verifier_key() == verifier.verifier_key())
        {
            witnesses.push(verifier);
        }
    }
    let mut heads = Vec::new();
    if !offline {
        let http = reqwest::Client::new();
        for endpoint in &endpoints {
            match audit::witnessing::fetch_witness_head(&http, endpoint, log.origin()).await {
                Ok(Some(note)) => heads.push(audit::WitnessHead {
                    witness: endpoint.verifier.name().to_owned(),
                    note,
                }),
                Ok(None) => {}
                Err(error) => eprintln!("warning: {error}"),
            }
        }
    }
    let options = audit::VerifyOptions {
        log: &log,
        previous_logs: &previous,
        policy: config.audit_checkpoints,
        witnesses: &witnesses,
        max_cosigned_age: config.audit_max_cosigned_age,
        witness_heads: &heads,
        now: Utc::now(),
    };
    let report = audit::verify(store, &options)
        .await
        .map_err(|e| e.to_string())?;
    if !report.intact() {
        let findings: Vec<String> = report.findings.iter().map(|f| format!("  - {f}")).collect();
        return Err(format!(
            "audit log FAILED verification ({} entries read):\n{}",
            report.entries,
            findings.join("\n")
        ));
    }
    println!(
        "audit log intact: {} entries, {} checkpoints, {} cosignatures from {} witnesses, {} entries after the last checkpoint",
        report.entries,
        report.checkpoints,
        report.cosignatures,
        witnesses.len(),
        report.unsigned_tail
    );
    // Recorded after the check, so the verification itself is in the log it verified.
    operator::record_listing(store, operator, Utc::now(), "audit_log")
        .await
        .map_err(|e| e.to_string())
}

/// Writes the access report with proofs to `path` (refusing to replace a file).
async fn write_access_report<S: Storage>(
    store: &S,
    config: &Config,
    registration: RegistrationId,
    path: &std::path::Path,
) -> Result<(), String> {
    let log =
        audit::load_log_verifier(&config.audit_log_verifier_key).map_err(|e| e.to_string())?;
    let witnesses: Vec<_> = witness_endpoints(config)?
        .into_iter()
        .map(|w| w.verifier)
        .collect();
    let report =
        audit::access_report::access_report(store, registration, &log, &witnesses, Utc::now())
            .await
            .map_err(|e| e.to_string())?;
    let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, json.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    println!(
        "wrote {}: {} lines with proofs, {} not yet covered by a cosigned checkpoint",
        path.display(),
        report.entries.len(),
        report.pending.len()
    );
    Ok(())
}

/// `audit verify-report`: offline, with only the keys.
fn verify_report(
    report: &std::path::Path,
    log_keys: &[PathBuf],
    witness_keys: &[PathBuf],
) -> Result<(), String> {
    let text = std::fs::read_to_string(report)
        .map_err(|e| format!("cannot read {}: {e}", report.display()))?;
    let parsed: placeforte_translog::report::AccessReport = serde_json::from_str(&text)
        .map_err(|e| format!("{} is not an access report: {e}", report.display()))?;
    let logs = log_keys
        .iter()
        .map(|path| audit::load_log_verifier(path).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let witnesses = witness_keys
        .iter()
        .map(|path| audit::load_witness_verifier(path).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let verified = placeforte_translog::report::verify_report(&parsed, &logs, &witnesses)
        .map_err(|e| format!("the report does NOT verify: {e}"))?;
    let cosigners: Vec<String> = verified
        .cosigned_by
        .iter()
        .map(|(name, at)| {
            let when = chrono::DateTime::from_timestamp(i64::try_from(*at).unwrap_or(0), 0)
                .map(|t| t.to_rfc3339())
                .unwrap_or_default();
            format!("{name} at {when}")
        })
        .collect();
    println!(
        "the report verifies: {} lines proven in the log of {} entries cosigned by {}; {} newer lines listed without proof",
        verified.proven,
        verified.head.size,
        cosigners.join(", "),
        verified.pending
    );
    Ok(())
}

/// How often `serve` runs its clocks.
struct Sweeps {
    offers: std::time::Duration,
    retention: std::time::Duration,
}

async fn serve<S: Storage>(
    store: S,
    config: &Config,
    metrics: Option<std::net::SocketAddr>,
    sweeps: Sweeps,
) -> Result<(), String> {
    let ca = DeviceCa::load(&config.ca_certificate, &config.ca_key).map_err(|e| e.to_string())?;
    let identity = ServerIdentity::load(&config.server_certificate, &config.server_key)
        .map_err(|e| e.to_string())?;
    let log = audit::load_log_signer(&config.audit_log_key)
        .map_err(|e| format!("{e} (placeforte-central init creates it)"))?;
    let state = store.audit_head_state().await.map_err(|e| e.to_string())?;
    if state.legacy_entries > state.tree_size {
        return Err(placeforte_central::store::StoreError::LegacyChainNotSealed(
            state.legacy_entries,
        )
        .to_string());
    }
    spawn_checkpoints(
        store.clone(),
        log,
        witness_endpoints(config)?,
        config.audit_checkpoints,
    );
    let sweeper_store = store.clone();
    let state = AppState {
        store,
        ca: Arc::new(ca),
        clock: Arc::new(SystemClock),
        lifetimes: config.lifetimes,
    };
    let mut settings = config.listen_settings();
    settings.metrics = metrics.or(settings.metrics);
    let running = start_with(state, &identity, settings, config.alert_webhook.clone())
        .await
        .map_err(|e| e.to_string())?;
    if let Some(addr) = running.metrics_addr {
        println!("metrics (plain HTTP) on http://{addr}/metrics");
    }
    println!(
        "listening: API (client certificate required) on {}, enrolment on {}",
        running.api_addr, running.enrolment_addr
    );
    // The offer clock: several instances may sweep at once, each offer expires once.
    tokio::spawn(placeforte_central::expiry::run(
        sweeper_store.clone(),
        Arc::new(SystemClock),
        sweeps.offers,
        running.stopper().subscribe(),
    ));
    // The retention clock: purges are idempotent and taken under the audit lock.
    tokio::spawn(placeforte_central::retention::run(
        sweeper_store,
        Arc::new(SystemClock),
        sweeps.retention,
        running.stopper().subscribe(),
    ));
    let stop = running.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    });
    running.wait().await.map_err(|e| e.to_string())
}

/// Keeps a checkpoint whenever the policy says so and submits it to the witnesses; looks every
/// second. A log found written outside the service is never checkpointed (an error each time).
fn spawn_checkpoints<S: Storage>(
    store: S,
    log: placeforte_translog::checkpoint::LogSigner,
    witnesses: Vec<audit::witnessing::WitnessEndpoint>,
    policy: CheckpointPolicy,
) {
    tokio::spawn(async move {
        let http = reqwest::Client::new();
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            match audit::checkpoint_if_due(&store, &log, policy, Utc::now(), false).await {
                Ok(Some(head)) => tracing::info!(size = head.size, "audit checkpoint kept"),
                Ok(None) => {}
                Err(error) => {
                    tracing::error!(%error, "audit checkpoint refused");
                    continue;
                }
            }
            let outcomes =
                audit::witnessing::submit_to_all(&store, &http, &witnesses, Utc::now()).await;
            for (witness, outcome) in witnesses.iter().zip(outcomes) {
                match outcome {
                    Ok(audit::witnessing::WitnessOutcome::Cosigned(size)) => {
                        tracing::info!(witness = witness.verifier.name(), size, "cosigned")
                    }
                    Ok(_) => {}
                    Err(error) => tracing::error!(%error, "witness submission failed"),
                }
            }
        }
    });
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
}

/// Prints a listing (a header, then one line per row). A reader that stops early, as
/// `| head` does, ends the listing quietly instead of a panic on the broken pipe.
fn print_table(header: &str, rows: impl Iterator<Item = String>) -> Result<(), String> {
    use std::io::Write as _;
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let result = std::iter::once(header.to_owned())
        .chain(rows)
        .try_for_each(|line| writeln!(out, "{line}"))
        .and_then(|()| out.flush());
    match result {
        Err(error) if error.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(format!("cannot write the listing: {error}"))
        }
        _ => Ok(()),
    }
}
