//! `placeforte-central`: the operator's command line and the service itself.
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use chrono::{NaiveDate, Utc};
use clap::{Parser, Subcommand};
use placeforte_central::audit::{self, CheckpointPolicy, CheckpointSigner};
use placeforte_central::ca::{self, DeviceCa};
use placeforte_central::config::Config;
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
    },
    /// Manage daycares.
    #[command(subcommand)]
    Daycare(DaycareCommand),
    /// Manage one-time enrolment codes.
    #[command(subcommand, name = "enrolment-code")]
    EnrolmentCode(EnrolmentCodeCommand),
    /// Manage enrolled devices.
    #[command(subcommand)]
    Device(DeviceCommand),
    /// Daycares' answers: reports of wider effects to confirm, and reverts.
    #[command(subcommand)]
    Outcome(OutcomeCommand),
    /// Operator reports: alerts, who looked at a registration.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Check or sign the audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
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
    /// Every daycare that saw or revealed this registration: when, what and why.
    AccessReport {
        /// The registration's id.
        registration: RegistrationId,
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
    /// Check the hash chain and every signed checkpoint; names the first bad entry.
    Verify,
    /// Sign the chain's tip now (serve does it on its own every N entries or minutes).
    Checkpoint,
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
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
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
    let store = open(&config, schema).await?;
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
    match store {
        AnyStore::Sqlite(store) => command(store, &config, cli.command).await,
        AnyStore::Postgres(store) => command(store, &config, cli.command).await,
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
        Command::Init | Command::Migrate { .. } => Ok(()),
        Command::Serve { metrics, .. } => serve(store, config, metrics).await,
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
        Command::Admin(AdminCommand::AccessReport { registration }) => {
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
            )
        }
        Command::Audit(AuditCommand::Verify) => audit_verify(&store, config, &operator).await,
        Command::Audit(AuditCommand::Checkpoint) => {
            let signer =
                CheckpointSigner::load(&config.audit_signing_key).map_err(|e| e.to_string())?;
            match audit::checkpoint_if_due(&store, &signer, config.audit_checkpoints, now, true)
                .await
                .map_err(|e| e.to_string())?
            {
                Some(checkpoint) => println!("signed entry {}", checkpoint.seq),
                None => println!("nothing to sign: the tip is already signed"),
            }
            Ok(())
        }
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

/// Verifies the audit log; a bad entry is an error (non-zero exit) naming it.
async fn audit_verify<S: Storage>(
    store: &S,
    config: &Config,
    operator: &Operator,
) -> Result<(), String> {
    let public_key = audit::load_public_key(&config.audit_public_key).map_err(|e| e.to_string())?;
    let report = audit::verify(store, &public_key)
        .await
        .map_err(|e| e.to_string())?;
    if let Some(bad) = report.first_bad {
        return Err(format!(
            "audit log FAILED verification at entry {}: {} ({} entries before it are intact)",
            bad.seq, bad.problem, report.entries
        ));
    }
    println!(
        "audit log intact: {} entries, {} signed checkpoints, {} entries after the last checkpoint",
        report.entries, report.checkpoints, report.unsigned_tail
    );
    // Recorded after the check, so the verification itself is in the log it verified.
    operator::record_listing(store, operator, Utc::now(), "audit_log")
        .await
        .map_err(|e| e.to_string())
}

async fn serve<S: Storage>(
    store: S,
    config: &Config,
    metrics: Option<std::net::SocketAddr>,
) -> Result<(), String> {
    let ca = DeviceCa::load(&config.ca_certificate, &config.ca_key).map_err(|e| e.to_string())?;
    let identity = ServerIdentity::load(&config.server_certificate, &config.server_key)
        .map_err(|e| e.to_string())?;
    let signer = CheckpointSigner::load(&config.audit_signing_key)
        .map_err(|e| format!("{e} (placeforte-central init creates it)"))?;
    spawn_checkpoints(store.clone(), signer, config.audit_checkpoints);
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
    let stop = running.stopper();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down");
        let _ = stop.send(true);
    });
    running.wait().await.map_err(|e| e.to_string())
}

/// Signs the audit chain's tip whenever the policy says so; checked every few seconds.
fn spawn_checkpoints<S: Storage>(store: S, signer: CheckpointSigner, policy: CheckpointPolicy) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(std::time::Duration::from_secs(5));
        loop {
            tick.tick().await;
            match audit::checkpoint_if_due(&store, &signer, policy, Utc::now(), false).await {
                Ok(Some(checkpoint)) => {
                    tracing::info!(seq = checkpoint.seq, "audit checkpoint signed")
                }
                Ok(None) => {}
                Err(error) => tracing::error!(%error, "audit checkpoint failed"),
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
