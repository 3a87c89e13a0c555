//! The operator's intake commands: `registrations import`, `daycare edit|deactivate`,
//! `intake-client issue|revoke`. Their variants are flattened into `main.rs`'s command enums;
//! the work is in the library (`placeforte_central::intake`).

use std::path::PathBuf;

use chrono::{DateTime, Utc};
use clap::Subcommand;
use placeforte_central::ca::DeviceCa;
use placeforte_central::config::Config;
use placeforte_central::intake::{import, operator as intake_operator};
use placeforte_central::operator::Operator;
use placeforte_central::store::Storage;
use placeforte_protocol::DaycareId;

/// `placeforte-central registrations …`
#[derive(Debug, Subcommand)]
pub(crate) enum RegistrationsCommand {
    /// Load registrations from a JSON-lines file (one registration per line, with its
    /// `registered_on` day), all or nothing: every bad line is reported with its number and
    /// nothing is written if any line is bad.
    Import {
        /// The file (UTF-8, one JSON object per line).
        file: PathBuf,
    },
}

/// `placeforte-central daycare edit|deactivate` (beside `add`, `set-permit`, `list`).
#[derive(Debug, Subcommand)]
pub(crate) enum DaycareIntakeCommand {
    /// Change a daycare's name or region (audited).
    Edit {
        /// The daycare's id.
        daycare: DaycareId,
        /// New public name.
        #[arg(long)]
        name: Option<String>,
        /// New administrative region.
        #[arg(long)]
        region: Option<String>,
    },
    /// Deactivate a daycare: no new choices or referrals, its workstations revoked, its open
    /// referrals closed, its unused enrolment codes expired (audited).
    Deactivate {
        /// The daycare's id.
        daycare: DaycareId,
    },
}

/// `placeforte-central intake-client …`
#[derive(Debug, Subcommand)]
pub(crate) enum IntakeClientCommand {
    /// Create an intake client for the registration front end and sign its key: the CSR is
    /// made on the front end, whose private key never leaves it. Prints the client's id.
    Issue {
        /// The operator's name for the client (e.g. the front end's host).
        #[arg(long)]
        name: String,
        /// The front end's certificate signing request (PEM).
        #[arg(long)]
        csr: PathBuf,
        /// Where to write its certificate chain (PEM; must not exist).
        #[arg(long)]
        out: PathBuf,
    },
    /// Revoke an intake client: its next request is refused.
    Revoke {
        /// The client's id.
        client: uuid::Uuid,
    },
}

pub(crate) async fn registrations<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    command: RegistrationsCommand,
) -> Result<(), String> {
    match command {
        RegistrationsCommand::Import { file } => {
            let count = import::import_file(store, operator, now, &file)
                .await
                .map_err(|e| e.to_string())?;
            println!("imported {count} registrations");
            Ok(())
        }
    }
}

pub(crate) async fn daycare<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    command: DaycareIntakeCommand,
) -> Result<(), String> {
    match command {
        DaycareIntakeCommand::Edit {
            daycare,
            name,
            region,
        } => {
            let daycare = intake_operator::edit_daycare(
                store,
                operator,
                now,
                daycare,
                name.as_deref(),
                region.as_deref(),
            )
            .await
            .map_err(|e| e.to_string())?;
            println!("{}\t{}\t{}", daycare.id, daycare.region, daycare.name);
            Ok(())
        }
        DaycareIntakeCommand::Deactivate { daycare } => {
            let done = intake_operator::deactivate_daycare(store, operator, now, daycare)
                .await
                .map_err(|e| e.to_string())?;
            println!(
                "deactivated {daycare}: {} workstations revoked, {} open referrals closed",
                done.devices, done.referrals
            );
            Ok(())
        }
    }
}

pub(crate) async fn intake_client<S: Storage>(
    store: &S,
    config: &Config,
    operator: &Operator,
    now: DateTime<Utc>,
    command: IntakeClientCommand,
) -> Result<(), String> {
    match command {
        IntakeClientCommand::Issue { name, csr, out } => {
            let csr_pem = std::fs::read_to_string(&csr)
                .map_err(|e| format!("cannot read {}: {e}", csr.display()))?;
            let ca = DeviceCa::load(&config.ca_certificate, &config.ca_key)
                .map_err(|e| e.to_string())?;
            // Refuse to overwrite before anything is issued.
            let mut file = std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&out)
                .map_err(|e| format!("cannot create {}: {e}", out.display()))?;
            let issued =
                intake_operator::issue_intake_client(store, &ca, operator, now, &name, &csr_pem)
                    .await
                    .map_err(|e| e.to_string())?;
            std::io::Write::write_all(&mut file, issued.certificate_chain_pem.as_bytes())
                .map_err(|e| format!("cannot write {}: {e}", out.display()))?;
            println!(
                "{}\tvalid until {}",
                issued.id,
                issued.not_after.to_rfc3339()
            );
            Ok(())
        }
        IntakeClientCommand::Revoke { client } => {
            intake_operator::revoke_intake_client(store, operator, now, client)
                .await
                .map_err(|e| e.to_string())?;
            println!("revoked intake client {client}");
            Ok(())
        }
    }
}
