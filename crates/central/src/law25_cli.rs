//! The operator's Law 25 commands: the confidentiality-incident register (`incident …`) and
//! the family's access report as a PDF, found by the registration's public number
//! (`access-report …`). The work is in the library (`incidents`, `access_document`); this is
//! argument parsing and printing.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, Utc};
use clap::{Args, Subcommand};
use placeforte_central::access_document::{self, Language, PublicNumber};
use placeforte_central::audit::{self, access_report};
use placeforte_central::config::Config;
use placeforte_central::incidents::{self, IncidentChanges, IncidentDetails, Period};
use placeforte_central::incidents_csv;
use placeforte_central::operator::Operator;
use placeforte_central::store::{AuditEvent, IncidentStorage};

/// `incident …`
#[derive(Debug, Subcommand)]
pub(crate) enum IncidentCommand {
    /// Enter an incident in the register (every field of, r. 3.1, s. 7).
    Add(Box<IncidentFields>),
    /// Raise an incident from an alert: prefilled from it and linked to it; complete it with
    /// `incident update`.
    FromAlert {
        /// The alert's id (first column of `admin alerts`).
        alert: i64,
        /// What is already known, on top of what the alert says.
        #[command(flatten)]
        fields: Box<IncidentFields>,
    },
    /// The register, one line per incident.
    List,
    /// Every field of one incident.
    Show {
        /// The incident's number.
        id: i64,
    },
    /// Change an incident (keep the register up to date: notices sent, measures taken).
    Update {
        /// The incident's number.
        id: i64,
        #[command(flatten)]
        fields: Box<IncidentFields>,
    },
    /// Write the whole register as CSV (the copy the Commission may ask for).
    ExportCsv {
        /// Where to write it (must not exist); `-` for standard output.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
}

/// The register's fields as options; numbers refer to the paragraphs of s. 7.
#[derive(Debug, Args)]
pub(crate) struct IncidentFields {
    /// 1° The personal information concerned.
    #[arg(long, conflicts_with = "information_unknown_because")]
    information: Option<String>,
    /// 1° When it is not known: why it cannot be described.
    #[arg(long)]
    information_unknown_because: Option<String>,
    /// 2° A brief description of the circumstances.
    #[arg(long)]
    circumstances: Option<String>,
    /// 3° When it occurred: YYYY-MM-DD or YYYY-MM-DD/YYYY-MM-DD.
    #[arg(long, value_name = "DAY[/DAY]")]
    occurred: Option<Period>,
    /// 3° Whether that date is an approximation.
    #[arg(long, value_name = "yes|no", value_parser = yes_no)]
    occurred_approximate: Option<bool>,
    /// 4° When the body became aware of it: YYYY-MM-DD or a period.
    #[arg(long, value_name = "DAY[/DAY]")]
    aware: Option<Period>,
    /// 5° How many persons are concerned.
    #[arg(long)]
    persons: Option<i64>,
    /// 5° Whether that number is an approximation.
    #[arg(long, value_name = "yes|no", value_parser = yes_no)]
    persons_approximate: Option<bool>,
    /// 6° The elements that led to the conclusion on the risk of serious injury.
    #[arg(long)]
    risk_assessment: Option<String>,
    /// 6° The conclusion: a risk of serious injury?
    #[arg(long, value_name = "yes|no", value_parser = yes_no)]
    serious_risk: Option<bool>,
    /// 7° The day the Commission d'accès à l'information was notified (`none` clears it).
    #[arg(long, value_name = "YYYY-MM-DD|none", value_parser = day_or_none)]
    commission_notified: Option<Clearable<NaiveDate>>,
    /// 7° The day the persons concerned were notified (`none` clears it).
    #[arg(long, value_name = "YYYY-MM-DD|none", value_parser = day_or_none)]
    persons_notified: Option<Clearable<NaiveDate>>,
    /// 7° Public notices given, and why (`none` clears it).
    #[arg(long, value_name = "REASON|none", value_parser = text_or_none)]
    public_notice: Option<Clearable<String>>,
    /// 8° The measures taken to reduce the risk of injury.
    #[arg(long)]
    measures: Option<String>,
}

fn yes_no(text: &str) -> Result<bool, String> {
    match text {
        "yes" | "oui" => Ok(true),
        "no" | "non" => Ok(false),
        _ => Err("yes or no".to_owned()),
    }
}

/// An optional field's new value, or `none` to clear it.
#[derive(Debug, Clone)]
struct Clearable<T>(Option<T>);

fn day_or_none(text: &str) -> Result<Clearable<NaiveDate>, String> {
    if text == "none" {
        return Ok(Clearable(None));
    }
    NaiveDate::parse_from_str(text, "%Y-%m-%d")
        .map(|day| Clearable(Some(day)))
        .map_err(|_| "a day (YYYY-MM-DD) or none".to_owned())
}

fn text_or_none(text: &str) -> Result<Clearable<String>, String> {
    Ok(Clearable((text != "none").then(|| text.to_owned())))
}

impl IncidentFields {
    fn changes(&self) -> IncidentChanges {
        let (described, information) = match (&self.information, &self.information_unknown_because)
        {
            (Some(text), _) => (Some(true), Some(text.clone())),
            (None, Some(reason)) => (Some(false), Some(reason.clone())),
            (None, None) => (None, None),
        };
        IncidentChanges {
            information_described: described,
            information,
            circumstances: self.circumstances.clone(),
            occurred: self.occurred,
            occurred_approximate: self.occurred_approximate,
            aware: self.aware,
            persons_concerned: self.persons,
            persons_approximate: self.persons_approximate,
            risk_assessment: self.risk_assessment.clone(),
            serious_risk: self.serious_risk,
            commission_notified_on: self.commission_notified.clone().map(|c| c.0),
            persons_notified_on: self.persons_notified.clone().map(|c| c.0),
            public_notice_reason: self.public_notice.clone().map(|c| c.0),
            measures: self.measures.clone(),
        }
    }

    /// A complete new entry: every field the regulation requires must be given.
    fn details(&self) -> Result<IncidentDetails, String> {
        let missing = |name: &str| format!("--{name} is required for a new incident");
        let changes = self.changes();
        Ok(IncidentDetails {
            information_described: changes
                .information_described
                .ok_or_else(|| missing("information (or --information-unknown-because)"))?,
            information: changes.information.unwrap_or_default(),
            circumstances: changes
                .circumstances
                .ok_or_else(|| missing("circumstances"))?,
            occurred: changes.occurred.ok_or_else(|| missing("occurred"))?,
            occurred_approximate: changes.occurred_approximate.unwrap_or(false),
            aware: changes.aware.ok_or_else(|| missing("aware"))?,
            persons_concerned: changes
                .persons_concerned
                .ok_or_else(|| missing("persons"))?,
            persons_approximate: changes.persons_approximate.unwrap_or(false),
            risk_assessment: changes
                .risk_assessment
                .ok_or_else(|| missing("risk-assessment"))?,
            serious_risk: changes
                .serious_risk
                .ok_or_else(|| missing("serious-risk"))?,
            commission_notified_on: changes.commission_notified_on.flatten(),
            persons_notified_on: changes.persons_notified_on.flatten(),
            public_notice_reason: changes.public_notice_reason.flatten(),
            measures: changes.measures.ok_or_else(|| missing("measures"))?,
        })
    }
}

/// Runs an `incident` command.
pub(crate) async fn incident<S: IncidentStorage>(
    store: S,
    command: IncidentCommand,
) -> Result<(), String> {
    let operator = Operator::from_environment();
    let actor = format!("operator:{}", operator.0);
    let now = Utc::now();
    match command {
        IncidentCommand::Add(fields) => {
            let details = fields.details()?;
            let id = incidents::record(&store, &operator, now, &details)
                .await
                .map_err(|e| e.to_string())?;
            println!("incident {id} entered in the register");
            if details.notices_due() {
                println!("serious risk: notify the Commission and the persons concerned promptly, then record the dates (incident update {id} --commission-notified … --persons-notified …)");
            }
            Ok(())
        }
        IncidentCommand::FromAlert { alert, fields } => {
            let id = incidents::raise_from_alert(&store, &operator, now, alert, fields.changes())
                .await
                .map_err(|e| e.to_string())?;
            println!("incident {id} entered from alert {alert}; complete it with `incident update {id}` (information, persons, risk assessment, measures)");
            Ok(())
        }
        IncidentCommand::Update { id, fields } => {
            let updated = incidents::update(&store, &operator, now, id, fields.changes())
                .await
                .map_err(|e| e.to_string())?;
            println!("incident {id} updated");
            print_incident(&updated);
            Ok(())
        }
        IncidentCommand::Show { id } => {
            let incident = store
                .incident(id, &actor, now)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| incidents::IncidentError::UnknownIncident(id).to_string())?;
            print_incident(&incident);
            Ok(())
        }
        IncidentCommand::List => {
            let register = store
                .incidents("incidents.listed", &actor, now)
                .await
                .map_err(|e| e.to_string())?;
            println!("id\toccurred\taware\tpersons\tserious\tnotices due\talert\tcircumstances");
            for i in &register {
                let d = &i.details;
                let first_line: String = d
                    .circumstances
                    .lines()
                    .next()
                    .unwrap_or("")
                    .chars()
                    .take(60)
                    .collect();
                println!(
                    "{}\t{}\t{}\t{}{}\t{}\t{}\t{}\t{first_line}",
                    i.id,
                    d.occurred,
                    d.aware,
                    if d.persons_approximate { "~" } else { "" },
                    d.persons_concerned,
                    if d.serious_risk { "yes" } else { "no" },
                    if d.notices_due() { "YES" } else { "no" },
                    i.alert_id.map(|a| a.to_string()).unwrap_or_default(),
                );
            }
            Ok(())
        }
        IncidentCommand::ExportCsv { out } => {
            let register = store
                .incidents(incidents::EXPORTED, &actor, now)
                .await
                .map_err(|e| e.to_string())?;
            let csv = incidents_csv::register_csv(&register).map_err(|e| e.to_string())?;
            if out.as_os_str() == "-" {
                print!("{csv}");
                return Ok(());
            }
            write_new(&out, csv.as_bytes())?;
            println!("wrote {}: {} incidents", out.display(), register.len());
            Ok(())
        }
    }
}

fn print_incident(incident: &incidents::Incident) {
    for (header, value) in incidents_csv::HEADERS
        .iter()
        .zip(incidents_csv::row(incident))
    {
        println!("{header}: {value}");
    }
}

/// `access-report` arguments.
#[derive(Debug, Args)]
pub(crate) struct AccessReportArgs {
    /// The registration's public number (PF-00000042), as the family quotes it.
    number: PublicNumber,
    /// The document's language: fr (default) or en.
    #[arg(long, default_value = "fr")]
    lang: Language,
    /// Where to write the PDF (must not exist).
    #[arg(long, value_name = "FILE.pdf")]
    out: PathBuf,
    /// Also write the same report with its proofs as JSON (for `audit verify-report`).
    #[arg(long, value_name = "FILE.json")]
    proofs: Option<PathBuf>,
}

/// Writes the family's access report as a PDF (audited `access_report.read`).
pub(crate) async fn access_report_document<S: IncidentStorage>(
    store: S,
    config: &Config,
    args: AccessReportArgs,
) -> Result<(), String> {
    let operator = Operator::from_environment();
    let now = Utc::now();
    let log =
        audit::load_log_verifier(&config.audit_log_verifier_key).map_err(|e| e.to_string())?;
    let witnesses = config
        .audit_witnesses
        .iter()
        .map(|w| audit::load_witness_verifier(&w.verifier_key).map_err(|e| e.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let (registration, report) =
        access_report::access_report_by_public_number(&store, args.number.0, &log, &witnesses, now)
            .await
            .map_err(|e| e.to_string())?
            .ok_or_else(|| format!("no registration has the public number {}", args.number))?;
    store
        .record_event(&AuditEvent::new(
            now,
            format!("operator:{}", operator.0),
            "access_report.read",
            format!("registration:{registration}"),
        ))
        .await
        .map_err(|e| e.to_string())?;
    let pdf = access_document::access_report_pdf(&report, args.number, args.lang, now);
    write_new(&args.out, &pdf)?;
    println!(
        "wrote {}: {} lines with proofs, {} not yet covered by a cosigned checkpoint",
        args.out.display(),
        report.entries.len(),
        report.pending.len()
    );
    if let Some(path) = args.proofs {
        let json = serde_json::to_string_pretty(&report).map_err(|e| e.to_string())?;
        write_new(&path, json.as_bytes())?;
        println!("wrote {}", path.display());
    }
    Ok(())
}

/// Writes a new file, refusing to replace one.
fn write_new(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(|e| format!("cannot create {}: {e}", path.display()))?;
    std::io::Write::write_all(&mut file, bytes)
        .map_err(|e| format!("cannot write {}: {e}", path.display()))
}
