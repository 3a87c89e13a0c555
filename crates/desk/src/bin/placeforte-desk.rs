//! `placeforte-desk`: the desktop core from a terminal, for support staff and tests.
//!
//! It works on the same data as the app (the same folder, the same keychain entries).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, Utc};
use clap::{Parser, Subcommand};
use placeforte_desk::cache::OutboxState;
use placeforte_desk::device::{self, EnrolledDevice};
use placeforte_desk::import;
use placeforte_desk::keychain::DEFAULT_SERVICE;
use placeforte_desk::paths::{cache_path, data_dir, DATA_DIR_ENV};
use placeforte_desk::sync;
use placeforte_desk::{
    CacheFile, DeskError, LocalData, OsKeychain, WipeReason, DEFAULT_RETENTION_DAYS,
};
use placeforte_domain::{OfferOutcome, RefusalReason};
use placeforte_protocol::invite::EnrolmentInvite;
use placeforte_protocol::ReferralId;

#[derive(Debug, Parser)]
#[command(
    name = "placeforte-desk",
    version,
    about = "PlaceForte desktop core (support tool)"
)]
struct Cli {
    /// Data folder (default: the platform's per-user data folder).
    #[arg(long, env = DATA_DIR_ENV)]
    data_dir: Option<PathBuf>,
    /// Keychain service name the secrets are stored under.
    #[arg(long, env = "PLACEFORTE_KEYCHAIN_SERVICE", default_value = DEFAULT_SERVICE)]
    keychain_service: String,
    /// Days without a successful sync after which the cache is wiped.
    #[arg(long, default_value_t = DEFAULT_RETENTION_DAYS)]
    retention_days: i64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Open the local cache (wiping it if the rules require) and say what it holds.
    Status,
    /// Enrol this computer with the invitation the operator gave (one pasted string).
    Enrol {
        /// The invitation, `placeforte:enrol?v=1&…`.
        invitation: String,
    },
    /// Ask the central service who this computer is (checks the certificate end to end).
    Whoami,
    /// Renew this computer's certificate if it is due (or now, with --force).
    Renew {
        /// Renew even if not yet due.
        #[arg(long)]
        force: bool,
    },
    /// Pull the referrals changed since the last sync into the encrypted cache.
    Sync {
        /// Referrals per page.
        #[arg(long, default_value_t = placeforte_protocol::referrals::DEFAULT_SYNC_PAGE)]
        page_size: u32,
    },
    /// Record a family's answer in the outbox (works offline); `flush` sends it.
    Outcome {
        /// The referral.
        referral: ReferralId,
        /// `accepted`, `no-answer`, or `refused:<reason>` (e.g. `refused:no_longer_needed`).
        outcome: OutcomeArg,
    },
    /// Send the outcomes waiting in the outbox, in order.
    Flush,
    /// Preview the import of enrolled children from a CSV file; with --save, keep them.
    Import {
        /// The CSV file (`;` or `,`, UTF-8 or Windows-1252).
        file: PathBuf,
        /// Store the children in the encrypted cache (only if no line was rejected).
        #[arg(long)]
        save: bool,
    },
    /// Delete this computer's PlaceForte data: the cache, the enrolment, every keychain secret.
    Wipe {
        /// Confirm; without it nothing is deleted.
        #[arg(long)]
        yes: bool,
    },
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error [{}]: {err}", err.code());
            ExitCode::from(2)
        }
    }
}

async fn run(cli: Cli) -> Result<(), DeskError> {
    let dir = match cli.data_dir {
        Some(dir) => dir,
        None => data_dir()?,
    };
    let local = LocalData::new(
        OsKeychain::with_service(cli.keychain_service),
        CacheFile::new(cache_path(&dir)),
        Duration::days(cli.retention_days),
    );
    match cli.command {
        Command::Status => {
            let opened = local.open(Utc::now()).await?;
            println!("cache: {}", local.file().path().display());
            if let Some(reason) = opened.wiped {
                println!("wiped: {}", wipe_code(reason));
            }
            match opened.cache.last_successful_sync().await? {
                Some(at) => println!("last successful sync: {}", at.to_rfc3339()),
                None => println!("last successful sync: never"),
            }
            let outbox = opened.cache.outbox().await?;
            let pending = outbox
                .iter()
                .filter(|e| e.state == OutboxState::Pending)
                .count();
            let conflicts = outbox
                .iter()
                .filter(|e| matches!(e.state, OutboxState::Conflict { .. }))
                .count();
            println!(
                "referrals cached: {}",
                opened.cache.referrals().await?.len()
            );
            println!("outbox: {pending} pending, {conflicts} conflicts");
            opened.cache.close().await;
        }
        Command::Sync { page_size } => {
            let mut enrolled = EnrolledDevice::load(&local, &dir)?;
            // The certificate renews itself past two thirds of its life.
            if enrolled
                .renew_if_due(&local, &dir, Utc::now(), false)
                .await
                .map_err(|err| device::handle_refusal(&local, &dir, err))?
            {
                println!("certificate renewed");
            }
            let opened = local.open(Utc::now()).await?;
            let done =
                sync::sync_with_page_size(&enrolled, &opened.cache, Utc::now(), page_size, |p| {
                    println!("page {}: {} referrals so far", p.pages, p.referrals);
                })
                .await
                .map_err(|err| device::handle_refusal(&local, &dir, err))?;
            println!(
                "synced: {} referrals in {} pages",
                done.referrals, done.pages
            );
            opened.cache.close().await;
        }
        Command::Outcome { referral, outcome } => {
            let opened = local.open(Utc::now()).await?;
            let entry = opened
                .cache
                .queue_outcome(referral, outcome.0, Utc::now())
                .await?;
            println!("recorded in the outbox: {}", entry.idempotency_key);
            opened.cache.close().await;
        }
        Command::Flush => {
            let enrolled = EnrolledDevice::load(&local, &dir)?;
            let opened = local.open(Utc::now()).await?;
            let report = sync::flush(&enrolled, &opened.cache)
                .await
                .map_err(|err| device::handle_refusal(&local, &dir, err))?;
            println!("sent {}, conflicts {}", report.sent, report.conflicts);
            opened.cache.close().await;
        }
        Command::Wipe { yes: false } => {
            println!("nothing deleted: add --yes to delete this computer's PlaceForte data");
        }
        Command::Enrol { invitation } => {
            let invite: EnrolmentInvite = invitation.parse()?;
            let record = device::enrol(&local, &dir, &invite).await?;
            println!(
                "enrolled: device {} of daycare {}",
                record.device_id, record.daycare_id
            );
            println!("certificate valid until {}", record.not_after.to_rfc3339());
        }
        Command::Whoami => {
            let enrolled = EnrolledDevice::load(&local, &dir)?;
            let me = enrolled
                .whoami()
                .await
                .map_err(|err| device::handle_refusal(&local, &dir, err))?;
            println!("device {} of daycare {}", me.device_id, me.daycare_id);
            println!(
                "certificate valid until {}",
                me.certificate_not_after.to_rfc3339()
            );
        }
        Command::Renew { force } => {
            let mut enrolled = EnrolledDevice::load(&local, &dir)?;
            let renewed = enrolled
                .renew_if_due(&local, &dir, Utc::now(), force)
                .await
                .map_err(|err| device::handle_refusal(&local, &dir, err))?;
            let until = enrolled.record().not_after.to_rfc3339();
            if renewed {
                println!("renewed: certificate valid until {until}");
            } else {
                println!("not due: certificate valid until {until}");
            }
        }
        Command::Import { file, save } => {
            let reader = std::fs::File::open(&file)?;
            let preview = import::preview_reader(reader, Utc::now().date_naive())
                .map_err(|err| DeskError::Import(err.code()))?;
            println!(
                "{} rows, {} children, {} rejected ({:?}, separator {:?})",
                preview.rows,
                preview.children.len(),
                preview.rejected.len(),
                preview.encoding,
                preview.delimiter
            );
            for rejected in &preview.rejected {
                let reason = serde_json::to_value(&rejected.reason).unwrap_or_default();
                println!(
                    "line {}: {}",
                    rejected.line,
                    reason["code"].as_str().unwrap_or("?")
                );
            }
            if save {
                let accepted = preview
                    .accept()
                    .map_err(|err| DeskError::Import(err.code()))?;
                let opened = local.open(Utc::now()).await?;
                let stored = opened.cache.replace_enrolled_children(&accepted).await?;
                opened.cache.close().await;
                println!("saved {stored} children");
            }
        }
        Command::Wipe { yes: true } => {
            local.wipe(WipeReason::Requested)?;
            device::forget(&local, &dir)?;
            println!("wiped: {}", dir.display());
        }
    }
    Ok(())
}

/// An outcome on the command line.
#[derive(Debug, Clone)]
struct OutcomeArg(OfferOutcome);

impl std::str::FromStr for OutcomeArg {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let outcome = match text.split_once(':') {
            None if text == "accepted" => OfferOutcome::Accepted,
            None if text == "no-answer" => OfferOutcome::NoAnswerByDeadline,
            Some(("refused", code)) => OfferOutcome::Refused {
                reason: RefusalReason::ALL
                    .into_iter()
                    .find(|r| r.code() == code)
                    .ok_or_else(|| format!("unknown refusal reason {code:?}"))?,
            },
            _ => return Err("expected accepted, no-answer or refused:<reason>".into()),
        };
        Ok(OutcomeArg(outcome))
    }
}

fn wipe_code(reason: WipeReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{reason:?}"))
}
