//! What the June group formation commands take and give where `crates/desk` has no type of
//! that shape: the file to import, its preview, the setup's problems, the reviewed places and
//! the declarations made from the plan. The plan itself is `placeforte_desk::planning::PlanView`.

use placeforte_desk::cache::{LocalVacancy, OutboxState};
use placeforte_desk::import::text::TextEncoding;
use placeforte_desk::import::{ImportPreview, ImportedChild, RejectReason};
use placeforte_desk::planning::{ReviewedVacancy, SetupProblem};
use placeforte_domain::AgeClass;
use serde::{Deserialize, Serialize};

use crate::error::{AppError, ErrorCode};

fn count(n: impl TryInto<u32>) -> u32 {
    n.try_into().unwrap_or(u32::MAX)
}

/// A file to import: its bytes (read by the window from a file input) or a path on this
/// computer. Either way the desktop core reads and judges it.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ImportFile {
    /// The file's content.
    Bytes {
        /// Every byte, undecoded.
        bytes: Vec<u8>,
    },
    /// A file on this computer.
    Path {
        /// Its path.
        path: String,
    },
}

/// Why a line was rejected: the desk's [`RejectReason`] without its figures, which the flat
/// line carries beside it (the window reads `{line, code, expected, found}`).
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RejectCode {
    /// Another number of fields than the header.
    WrongFieldCount,
    /// The line cannot be read.
    Unreadable,
    /// A quote never closed.
    UnclosedQuote,
    /// No given name.
    MissingName,
    /// Birth date missing or malformed.
    BadBirthDate,
    /// Birth date in the future.
    BirthDateInFuture,
    /// Departure date malformed.
    BadDepartureDate,
    /// Departure before birth.
    DepartureBeforeBirth,
    /// Support factor not from 1 to 5.
    BadSupportFactor,
}

/// A rejected line.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct RejectedLineView {
    /// Its line number in the file (1 is the header).
    pub line: u32,
    /// Why the line was rejected.
    pub code: RejectCode,
    /// Fields expected (header), for a wrong field count.
    pub expected: Option<u32>,
    /// Fields found, for a wrong field count.
    pub found: Option<u32>,
}

/// What the file would import; nothing is saved yet. The desk's [`ImportPreview`] with its
/// counts as numbers the window can hold and each rejected line flat: the reason's code and,
/// for a wrong field count, its two figures (`null` otherwise).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ImportPreviewView {
    /// How it was read.
    pub encoding: TextEncoding,
    /// The separator.
    pub delimiter: String,
    /// Header cells ignored (never stored).
    pub ignored_columns: Vec<String>,
    /// Records in the file.
    pub rows: u32,
    /// The children that would be stored.
    pub children: Vec<ImportedChild>,
    /// Every rejected line: one is enough to save nothing.
    pub rejected: Vec<RejectedLineView>,
}

impl From<ImportPreview> for ImportPreviewView {
    fn from(preview: ImportPreview) -> Self {
        let rejected = preview
            .rejected
            .into_iter()
            .map(|r| {
                let (code, expected, found) = match r.reason {
                    RejectReason::WrongFieldCount { expected, found } => (
                        RejectCode::WrongFieldCount,
                        Some(count(expected)),
                        Some(count(found)),
                    ),
                    RejectReason::Unreadable => (RejectCode::Unreadable, None, None),
                    RejectReason::UnclosedQuote => (RejectCode::UnclosedQuote, None, None),
                    RejectReason::MissingName => (RejectCode::MissingName, None, None),
                    RejectReason::BadBirthDate => (RejectCode::BadBirthDate, None, None),
                    RejectReason::BirthDateInFuture => (RejectCode::BirthDateInFuture, None, None),
                    RejectReason::BadDepartureDate => (RejectCode::BadDepartureDate, None, None),
                    RejectReason::DepartureBeforeBirth => {
                        (RejectCode::DepartureBeforeBirth, None, None)
                    }
                    RejectReason::BadSupportFactor => (RejectCode::BadSupportFactor, None, None),
                };
                RejectedLineView {
                    line: count(r.line),
                    code,
                    expected,
                    found,
                }
            })
            .collect();
        ImportPreviewView {
            encoding: preview.encoding,
            delimiter: preview.delimiter.to_string(),
            ignored_columns: preview.ignored_columns,
            rows: count(preview.rows),
            children: preview.children,
            rejected,
        }
    }
}

/// The answer to saving the setup: saved, or every problem and nothing saved.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct SetupSaved {
    /// Whether it was saved.
    pub saved: bool,
    /// Every problem (empty when saved).
    pub problems: Vec<SetupProblem>,
}

/// A line of the places left as the director reviewed it, sent back from the screen: its date
/// is read here so that a malformed one is `invalid_input`, as on the vacancy form.
#[derive(Debug, Clone, Deserialize, specta::Type)]
#[serde(deny_unknown_fields)]
pub struct ReviewedPlanVacancy {
    /// The class.
    pub age_class: AgeClass,
    /// First day (`YYYY-MM-DD`).
    pub start_date: String,
    /// How many places to declare, as the director reviewed them (never above what is left).
    pub places: u32,
}

impl ReviewedPlanVacancy {
    /// The reviewed line; a malformed date is refused.
    pub fn into_reviewed(self) -> Result<ReviewedVacancy, AppError> {
        Ok(ReviewedVacancy {
            age_class: self.age_class,
            start_date: self.start_date.parse().map_err(|_| {
                AppError::new(ErrorCode::InvalidInput, "the start date is not a date")
            })?,
            places: self.places,
            group_label: None,
        })
    }
}

/// The director's wish for two siblings, as the groups screen sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum SiblingChoice {
    /// In one group.
    Together,
    /// In different groups.
    Apart,
}

impl SiblingChoice {
    /// Whether the composer should put them together.
    pub fn together(self) -> bool {
        self == SiblingChoice::Together
    }
}

/// Where the group lists were written.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ExportView {
    /// The file's full path.
    pub path: String,
    /// Children listed.
    pub children: u32,
}

/// A declaration of the plan's places, and where it stands: what the plan's card shows of a
/// [`LocalVacancy`] (the vacancy screen's `VacancyView` has the rest).
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct PlanDeclaredView {
    /// The class.
    pub age_class: AgeClass,
    /// First day.
    pub start_date: String,
    /// How many places were declared.
    pub places: u32,
    /// Pending (in the outbox, offline), sent, or refused.
    pub state: OutboxState,
    /// Referrals the service made, once sent.
    pub referrals: Option<u32>,
}

impl From<LocalVacancy> for PlanDeclaredView {
    fn from(v: LocalVacancy) -> Self {
        PlanDeclaredView {
            age_class: v.declaration.age_class,
            start_date: v.declaration.start_date.to_string(),
            places: v.declaration.places,
            state: v.state,
            referrals: v.referrals,
        }
    }
}
