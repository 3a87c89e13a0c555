//! `placeforte-desk`: the desktop core from a terminal, for support staff and tests.
//!
//! It works on the same data as the app (the same folder, the same keychain entries).
#![forbid(unsafe_code)]

use std::path::PathBuf;
use std::process::ExitCode;

use chrono::{Duration, NaiveDate, Utc};
use clap::{Parser, Subcommand};
use placeforte_desk::cache::{LocalVacancy, OutboxState, VacancyDeclaration};
use placeforte_desk::device::{self, EnrolledDevice};
use placeforte_desk::import;
use placeforte_desk::keychain::DEFAULT_SERVICE;
use placeforte_desk::paths::{cache_path, data_dir, DATA_DIR_ENV};
use placeforte_desk::sync;
use placeforte_desk::{
    CacheFile, DeskError, LocalData, OsKeychain, WipeReason, DEFAULT_RETENTION_DAYS,
};
use placeforte_domain::{AgeClass, OfferOutcome, RefusalReason};
use placeforte_protocol::invite::EnrolmentInvite;
use placeforte_protocol::referrals::RevealReason;
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
    /// Send the outcomes and declarations waiting in the outbox, in order.
    Flush,
    /// Declare vacant places: kept in the outbox (works offline) and sent at once when online.
    Vacancy {
        /// `under_18_months`, `from_18_months_to_4_years`, `four_years` or `five_years_and_over`.
        #[arg(long, value_parser = parse_age_class)]
        age_class: AgeClass,
        /// How many places.
        #[arg(long)]
        places: u32,
        /// First day of the places, YYYY-MM-DD.
        #[arg(long)]
        start: NaiveDate,
        /// The daycare's own name for the group.
        #[arg(long)]
        label: Option<String>,
    },
    /// Show a referred family's contact details (online only; audited, counted against the
    /// workstation's daily quota; never stored).
    Reveal {
        /// The referral.
        referral: ReferralId,
        /// `offer_call`, `follow_up`, `admission_paperwork` or `other` (with --note).
        #[arg(long, value_parser = parse_reveal_reason)]
        reason: RevealReason,
        /// Why, in a few words (required with `other`).
        #[arg(long)]
        note: Option<String>,
    },
    /// Show how many children wait for this daycare, by age class and start month.
    Demand,
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
    // First, before anything could touch OpenSSL (see the module's reasons).
    placeforte_desk::exit_safety::keep_openssl_until_exit();
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
            println!("referrals cached: {}", opened.cache.referral_count().await?);
            let vacancies = opened.cache.vacancies().await?;
            let pending = pending
                + vacancies
                    .iter()
                    .filter(|v| v.state == OutboxState::Pending)
                    .count();
            let conflicts = conflicts
                + vacancies
                    .iter()
                    .filter(|v| matches!(v.state, OutboxState::Conflict { .. }))
                    .count();
            println!("vacancies declared here: {}", vacancies.len());
            println!("outbox: {pending} pending, {conflicts} conflicts");
            opened.cache.close().await;
        }
        Command::Sync { page_size } => {
            let mut enrolled = EnrolledDevice::load(&local, &dir)?;
            // The certificate renews itself past two thirds of its life.
            if enrolled
                .renew_if_due(&local, &dir, Utc::now(), false)
                .await?
            {
                println!("certificate renewed");
            }
            let opened = local.open(Utc::now()).await?;
            let done =
                sync::sync_with_page_size(&enrolled, &opened.cache, Utc::now(), page_size, |p| {
                    println!("page {}: {} of {} referrals", p.pages, p.referrals, p.total);
                })
                .await?;
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
            let pending = opened.cache.pending_outbox().await?.len();
            println!("to send: {pending}");
            let report = sync::flush(&enrolled, &opened.cache).await?;
            println!("sent {}, conflicts {}", report.sent, report.conflicts);
            opened.cache.close().await;
        }
        Command::Vacancy {
            age_class,
            places,
            start,
            label,
        } => {
            let opened = local.open(Utc::now()).await?;
            let declaration = VacancyDeclaration {
                age_class,
                places,
                start_date: start,
                group_label: label,
            };
            let queued = opened.cache.queue_vacancy(declaration, Utc::now()).await?;
            println!("recorded in the outbox: {}", queued.idempotency_key);
            let enrolled = EnrolledDevice::load(&local, &dir)?;
            match sync::flush(&enrolled, &opened.cache).await {
                Ok(report) => {
                    println!("sent {}, conflicts {}", report.sent, report.conflicts);
                }
                Err(DeskError::ServerUnreachable(_)) => {
                    println!("offline: it will be sent by the next flush");
                }
                Err(err) => {
                    opened.cache.close().await;
                    return Err(err);
                }
            }
            for vacancy in opened.cache.vacancies().await? {
                if vacancy.local_id == queued.local_id {
                    print_vacancy(&vacancy);
                }
            }
            opened.cache.close().await;
        }
        Command::Reveal {
            referral,
            reason,
            note,
        } => {
            let enrolled = EnrolledDevice::load(&local, &dir)?;
            let contact = enrolled.reveal_contact(referral, reason, note).await?;
            println!(
                "child: {} {}",
                contact.child_given_name, contact.child_family_name
            );
            println!(
                "parent: {} {}",
                contact.parent_given_name, contact.parent_family_name
            );
            println!("phone: {}", contact.parent_phone);
            println!("e-mail: {}", contact.parent_email);
        }
        Command::Demand => {
            let enrolled = EnrolledDevice::load(&local, &dir)?;
            let report = enrolled.demand().await?;
            println!("as of {}", report.as_of);
            for cell in &report.cells {
                println!(
                    "{} {}: {}",
                    cell.start_month,
                    cell.age_class.code(),
                    cell.children
                );
            }
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
            let me = enrolled.whoami().await?;
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
                .await?;
            let until = enrolled.record().not_after.to_rfc3339();
            if renewed {
                println!("renewed: certificate valid until {until}");
            } else {
                println!("not due: certificate valid until {until}");
            }
        }
        Command::Import { file, save } => {
            let reader = std::fs::File::open(&file)?;
            let preview =
                import::preview_reader(reader, Utc::now().date_naive()).map_err(DeskError::from)?;
            println!(
                "{} rows, {} children, {} rejected ({:?}, separator {:?})",
                preview.rows,
                preview.children.len(),
                preview.rejected.len(),
                preview.encoding,
                preview.delimiter
            );
            for rejected in &preview.rejected {
                // A derived, tagged enum of plain fields: serializing it cannot fail.
                let reason = serde_json::to_value(&rejected.reason)
                    .expect("a reject reason always serializes to JSON");
                println!(
                    "line {}: {}",
                    rejected.line,
                    reason["code"].as_str().unwrap_or("?")
                );
            }
            if save {
                let accepted = preview.accept().map_err(DeskError::from)?;
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

fn parse_age_class(text: &str) -> Result<AgeClass, String> {
    AgeClass::from_code(text).map_err(|_| format!("unknown age class {text:?}"))
}

fn parse_reveal_reason(text: &str) -> Result<RevealReason, String> {
    RevealReason::ALL
        .into_iter()
        .find(|r| r.code() == text)
        .ok_or_else(|| format!("unknown reason {text:?}"))
}

fn print_vacancy(vacancy: &LocalVacancy) {
    // A derived, tagged enum of strings: serializing it cannot fail.
    let state =
        serde_json::to_value(&vacancy.state).expect("an outbox state always serializes to JSON");
    print!(
        "vacancy {}: {}",
        vacancy.local_id,
        state["state"].as_str().unwrap_or("?")
    );
    if let Some(code) = state["code"].as_str() {
        print!(" ({code})");
    }
    if let (Some(id), Some(referrals), Some(answer_by)) =
        (vacancy.vacancy_id, vacancy.referrals, vacancy.answer_by)
    {
        print!(", service id {id}, {referrals} referrals, answers by {answer_by}");
    }
    println!();
}

fn wipe_code(reason: WipeReason) -> String {
    // Unit variants in snake_case: always a JSON string.
    match serde_json::to_value(reason).expect("a wipe reason always serializes to JSON") {
        serde_json::Value::String(code) => code,
        other => panic!("a wipe reason serialized as {other}"),
    }
}
