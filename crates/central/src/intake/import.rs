//! `placeforte-central registrations import FILE`: registrations made before this service, as
//! JSON lines ([`ImportedRegistration`] each), loaded all or nothing. Every line is read and
//! checked before anything is written, and every bad line is reported with its number; one bad
//! line and nothing is written. The good file is written in one transaction.

use std::collections::HashSet;
use std::path::Path;

use chrono::{DateTime, Utc};
use placeforte_domain::{quebec_rules_on, quebec_today};
use placeforte_protocol::intake::ImportedRegistration;
use placeforte_protocol::{DaycareId, RegistrationId};
use sha2::{Digest, Sha256};

use super::validate::{check_registration, RegistrationProblem};
use crate::operator::Operator;
use crate::store::{AuditEvent, RegistrationRecord, Storage, StoreError};

/// Largest file accepted: the province's 88,000 registrations are about 60 MB as JSON lines;
/// four times that is an operator's mistake, refused before it is read.
pub const MAX_IMPORT_BYTES: u64 = 256 * 1024 * 1024;

/// What is wrong with one line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LineProblem {
    /// Not an [`ImportedRegistration`] (JSON syntax, a wrong type, a missing or unknown field):
    /// the parser's message.
    Malformed(String),
    /// Well-formed but breaks the rules: every problem's code.
    Invalid(Vec<RegistrationProblem>),
}

/// One bad line: its number (the first line is 1) and what is wrong.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadLine {
    /// Line number, from 1.
    pub line: usize,
    /// What is wrong.
    pub problem: LineProblem,
}

impl std::fmt::Display for BadLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.problem {
            LineProblem::Malformed(message) => {
                write!(f, "line {}: malformed: {message}", self.line)
            }
            LineProblem::Invalid(problems) => {
                let codes: Vec<&str> = problems.iter().map(|p| p.code()).collect();
                write!(f, "line {}: invalid: {}", self.line, codes.join(", "))
            }
        }
    }
}

/// Why an import wrote nothing.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// The OS error.
        source: std::io::Error,
    },
    /// The file is over [`MAX_IMPORT_BYTES`].
    #[error("the file is over {MAX_IMPORT_BYTES} bytes; split it")]
    TooLarge,
    /// The file holds no registration.
    #[error("the file holds no registration")]
    Empty,
    /// Some lines are bad: each, in file order. Nothing was written.
    #[error("{} bad line(s), nothing imported:\n{}", .0.len(), .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))]
    BadLines(Vec<BadLine>),
    /// A daycare was deactivated while the file was being imported. Nothing was written.
    #[error("daycare {0} was deactivated during the import; nothing imported, run it again")]
    ChoiceDeactivated(DaycareId),
    /// Storage failed. Nothing was written.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Reads, checks every line of `text`, and returns the registrations to write, or every bad
/// line. `active` is the set of daycares a line may choose.
pub fn parse_lines(
    text: &str,
    today: chrono::NaiveDate,
    active: &HashSet<DaycareId>,
) -> Result<Vec<(RegistrationRecord, Vec<DaycareId>)>, ImportError> {
    let rules = quebec_rules_on(today);
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let number = index + 1;
        let line = line.trim_start_matches('\u{feff}').trim();
        if line.is_empty() {
            continue;
        }
        let imported: ImportedRegistration = match serde_json::from_str(line) {
            Ok(imported) => imported,
            Err(error) => {
                bad.push(BadLine {
                    line: number,
                    problem: LineProblem::Malformed(error.to_string()),
                });
                continue;
            }
        };
        let checked = check_registration(
            RegistrationId::random(),
            &imported.registration,
            imported.registered_on,
            today,
            rules,
        );
        let mut problems = match &checked {
            Ok(_) => Vec::new(),
            Err(problems) => problems.clone(),
        };
        if imported
            .registration
            .choices
            .iter()
            .any(|d| !active.contains(d))
        {
            problems.push(RegistrationProblem::ChoiceInactive);
        }
        match checked {
            Ok(checked) if problems.is_empty() => good.push((checked.record, checked.choices)),
            _ => bad.push(BadLine {
                line: number,
                problem: LineProblem::Invalid(problems),
            }),
        }
    }
    if !bad.is_empty() {
        return Err(ImportError::BadLines(bad));
    }
    if good.is_empty() {
        return Err(ImportError::Empty);
    }
    Ok(good)
}

/// Imports `path` all or nothing, audited as one `registrations.imported` entry naming the
/// count and the file's SHA-256 (no personal data). Returns how many were imported.
pub async fn import_file<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    path: &Path,
) -> Result<usize, ImportError> {
    let read_error = |source| ImportError::Read {
        path: path.display().to_string(),
        source,
    };
    let size = std::fs::metadata(path).map_err(read_error)?.len();
    if size > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge);
    }
    let text = std::fs::read_to_string(path).map_err(read_error)?;
    let active: HashSet<DaycareId> = store.active_daycare_ids().await?.into_iter().collect();
    let registrations = parse_lines(&text, quebec_today(now), &active)?;
    let mut event = AuditEvent::new(
        now,
        format!("operator:{}", operator.0),
        "registrations.imported",
        format!("registrations:{}", registrations.len()),
    );
    event.reason = Some(format!(
        "file_sha256:{}",
        hex::encode(Sha256::digest(text.as_bytes()))
    ));
    if let Some(daycare) = store.import_registrations(&registrations, &event).await? {
        return Err(ImportError::ChoiceDeactivated(daycare));
    }
    Ok(registrations.len())
}
