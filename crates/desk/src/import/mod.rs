//! Import of the children already enrolled, from the daycare's own records as CSV, for June
//! group planning.
//!
//! Read what French-language office software really writes ([`text`]): `;` or `,`, UTF-8 with
//! or without BOM, or Windows-1252; dates as `AAAA-MM-JJ` or `JJ/MM/AAAA`; quoted fields with
//! accents, apostrophes and line breaks. Columns are found by their header, in French or
//! English ([`columns`]). Only the minimal fields are kept: a label (given name and family
//! initial, never the full name), the birth date, the expected departure date, the current
//! group and a support-need factor. Everything else in the file is ignored and never stored.
//!
//! The import is all or nothing: [`preview`] reads the whole file and reports the row count
//! and **every** rejected line with its number and reason; only a preview without a rejected
//! line can be [`ImportPreview::accept`]ed into an [`AcceptedImport`], the one thing the cache
//! stores. Files over [`MAX_IMPORT_BYTES`] are refused before they are read in full.

pub mod columns;
pub mod text;

use std::io::Read;

use chrono::NaiveDate;
use placeforte_domain::BirthDate;
use serde::Serialize;

use crate::import::columns::{kind_of, ColumnKind};
use crate::import::text::{decode, sniff_delimiter, TextEncoding};

/// Largest file accepted: far more than any daycare's list (a 100-child installation's file
/// is a few kilobytes), small enough to preview instantly.
pub const MAX_IMPORT_BYTES: usize = 5 * 1024 * 1024;

/// A support-need factor: how many places a child counts for, in hundredths (1.00 to 5.00).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SupportFactor(u16);

impl SupportFactor {
    /// The factor in hundredths (`150` for 1.5).
    pub fn hundredths(self) -> u16 {
        self.0
    }

    /// From hundredths, refusing values outside 1.00 to 5.00.
    pub fn from_hundredths(value: i64) -> Option<SupportFactor> {
        u16::try_from(value)
            .ok()
            .filter(|v| (100..=500).contains(v))
            .map(SupportFactor)
    }

    /// From text with a decimal comma or point (`1,5`, `2`, `1.25`).
    fn parse(text: &str) -> Option<SupportFactor> {
        let text = text.trim().replace(',', ".");
        let (whole, fraction) = text.split_once('.').unwrap_or((&text, ""));
        if whole.is_empty() || fraction.len() > 2 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let whole: i64 = whole.parse().ok()?;
        let fraction: i64 = format!("{fraction:0<2}").parse().ok()?;
        SupportFactor::from_hundredths(whole.checked_mul(100)?.checked_add(fraction)?)
    }
}

/// One enrolled child, as kept in the encrypted cache.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ImportedChild {
    /// Given name and family initial, e.g. `Éloïse C.`.
    pub label: String,
    /// Birth date.
    pub birth_date: BirthDate,
    /// When the child is expected to leave, if known.
    pub expected_departure: Option<NaiveDate>,
    /// The child's current group, as the daycare names it.
    pub current_group: Option<String>,
    /// Support-need factor, if any.
    pub support_factor: Option<SupportFactor>,
}

/// Why a line was rejected. Codes are stable (the screens translate them).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum RejectReason {
    /// The line has another number of fields than the header.
    WrongFieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields on the line.
        found: usize,
    },
    /// The line cannot be read.
    Unreadable,
    /// A quote opened on this line is never closed: the rest of the file is inside it.
    UnclosedQuote,
    /// No given name.
    MissingName,
    /// The birth date is missing or not `AAAA-MM-JJ` / `JJ/MM/AAAA`.
    BadBirthDate,
    /// The birth date is after today.
    BirthDateInFuture,
    /// The departure date is not `AAAA-MM-JJ` / `JJ/MM/AAAA`.
    BadDepartureDate,
    /// The departure date is before the birth date.
    DepartureBeforeBirth,
    /// The support-need factor is not a number from 1 to 5.
    BadSupportFactor,
}

/// A rejected line: its number in the file (1 is the header) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RejectedLine {
    /// Line number in the file where the record starts.
    pub line: u64,
    /// Why it was rejected.
    pub reason: RejectReason,
}

/// What the file would import, before anything is saved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportPreview {
    /// How the file was read.
    pub encoding: TextEncoding,
    /// The separator found (`;` or `,`).
    pub delimiter: char,
    /// Header cells that were not recognised and will not be stored.
    pub ignored_columns: Vec<String>,
    /// Records in the file (not counting the header and blank lines).
    pub rows: usize,
    /// The children that would be imported.
    pub children: Vec<ImportedChild>,
    /// Every rejected line.
    pub rejected: Vec<RejectedLine>,
}

/// A preview with no rejected line: the only thing the cache accepts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptedImport {
    children: Vec<ImportedChild>,
}

impl AcceptedImport {
    /// The children to store.
    pub fn children(&self) -> &[ImportedChild] {
        &self.children
    }
}

/// Why a file cannot be imported at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    /// Over [`MAX_IMPORT_BYTES`].
    #[error("the file is larger than {max} bytes")]
    TooLarge {
        /// The limit.
        max: usize,
    },
    /// No header line.
    #[error("the file is empty")]
    Empty,
    /// Required columns are not in the header.
    #[error("the file has no column for: {0:?}")]
    MissingColumns(Vec<&'static str>),
    /// The same kind of column twice.
    #[error("the file has two columns for {0:?}")]
    DuplicateColumn(ColumnKind),
    /// Accepting a preview that has rejected lines.
    #[error("{0} lines were rejected; correct them and import the file again")]
    HasRejectedLines(usize),
    /// The file could not be read.
    #[error("the file could not be read: {0}")]
    Io(String),
}

impl ImportError {
    /// Stable machine code, the i18n key of the message shown to the director.
    pub fn code(&self) -> &'static str {
        match self {
            ImportError::TooLarge { .. } => "import_too_large",
            ImportError::Empty => "import_empty",
            ImportError::MissingColumns(_) => "import_missing_columns",
            ImportError::DuplicateColumn(_) => "import_duplicate_column",
            ImportError::HasRejectedLines(_) => "import_has_rejected_lines",
            ImportError::Io(_) => "import_io",
        }
    }
}

impl ImportPreview {
    /// The import, if no line was rejected (all or nothing).
    pub fn accept(self) -> Result<AcceptedImport, ImportError> {
        if self.rejected.is_empty() {
            Ok(AcceptedImport {
                children: self.children,
            })
        } else {
            Err(ImportError::HasRejectedLines(self.rejected.len()))
        }
    }
}

/// Previews a file read from `reader`, reading at most [`MAX_IMPORT_BYTES`] + 1 bytes.
pub fn preview_reader(reader: impl Read, today: NaiveDate) -> Result<ImportPreview, ImportError> {
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_IMPORT_BYTES)
        .unwrap_or(u64::MAX)
        .saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut bytes)
        .map_err(|e| ImportError::Io(e.kind().to_string()))?;
    preview(&bytes, today)
}

/// Previews the file's bytes: every line checked, nothing saved.
pub fn preview(bytes: &[u8], today: NaiveDate) -> Result<ImportPreview, ImportError> {
    if bytes.len() > MAX_IMPORT_BYTES {
        return Err(ImportError::TooLarge {
            max: MAX_IMPORT_BYTES,
        });
    }
    let (text, encoding) = decode(bytes);
    if text.trim().is_empty() {
        return Err(ImportError::Empty);
    }
    let delimiter = sniff_delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(true)
        .flexible(true)
        .from_reader(text.as_bytes());

    let header = reader.headers().map_err(|_| ImportError::Empty)?.clone();
    let layout = Layout::from_header(&header)?;

    let mut preview = ImportPreview {
        encoding,
        delimiter: char::from(delimiter),
        ignored_columns: layout.ignored.clone(),
        rows: 0,
        children: Vec::new(),
        rejected: Vec::new(),
    };
    let mut record = csv::StringRecord::new();
    let mut lines = LineNumbers {
        text: text.as_bytes(),
        counted_to: 0,
        line: 1,
    };
    loop {
        let before = reader.position().clone();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                if record.iter().all(|field| field.trim().is_empty()) {
                    continue;
                }
                preview.rows += 1;
                let line = lines.of(record.position().unwrap_or(&before));
                match layout.child(&record, today) {
                    Ok(child) => preview.children.push(child),
                    Err(reason) => preview.rejected.push(RejectedLine { line, reason }),
                }
            }
            Err(err) => {
                preview.rows += 1;
                let line = lines.of(err.position().unwrap_or(&before));
                preview.rejected.push(RejectedLine {
                    line,
                    reason: RejectReason::Unreadable,
                });
                // An unreadable record (e.g. a quote never closed) swallows the rest.
                break;
            }
        }
    }
    Ok(preview)
}

/// The line a record starts on, from its byte offset, counting the text once front to back.
///
/// The csv reader's own line count is one short for Windows files (CRLF): it ends a record at
/// the `\r` and starts the next at the `\n`, before counting it.
struct LineNumbers<'a> {
    text: &'a [u8],
    counted_to: usize,
    line: u64,
}

impl LineNumbers<'_> {
    fn of(&mut self, position: &csv::Position) -> u64 {
        let byte = usize::try_from(position.byte())
            .unwrap_or(usize::MAX)
            .min(self.text.len());
        if byte > self.counted_to {
            let newlines = self.text[self.counted_to..byte]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            self.line += u64::try_from(newlines).unwrap_or(u64::MAX);
            self.counted_to = byte;
        }
        // A record "starting" on the `\n` of the line before starts on the next line.
        self.line + u64::from(self.text.get(byte) == Some(&b'\n'))
    }
}

/// Where each used column is.
struct Layout {
    fields: usize,
    given: Option<usize>,
    family: Option<usize>,
    full: Option<usize>,
    birth: usize,
    departure: Option<usize>,
    group: Option<usize>,
    support: Option<usize>,
    ignored: Vec<String>,
}

impl Layout {
    fn from_header(header: &csv::StringRecord) -> Result<Layout, ImportError> {
        let mut found: Vec<(ColumnKind, usize)> = Vec::new();
        let mut ignored = Vec::new();
        for (index, cell) in header.iter().enumerate() {
            match kind_of(cell) {
                Some(kind) if found.iter().any(|(k, _)| *k == kind) => {
                    return Err(ImportError::DuplicateColumn(kind))
                }
                Some(kind) => found.push((kind, index)),
                None if cell.trim().is_empty() => {}
                None => ignored.push(cell.trim().chars().take(80).collect()),
            }
        }
        let at = |kind| found.iter().find(|(k, _)| *k == kind).map(|(_, i)| *i);
        let (given, family, full) = (
            at(ColumnKind::GivenName),
            at(ColumnKind::FamilyName),
            at(ColumnKind::FullName),
        );
        let mut missing = Vec::new();
        if given.is_none() && full.is_none() {
            missing.push("given_name");
        }
        let birth = at(ColumnKind::BirthDate);
        if birth.is_none() {
            missing.push("birth_date");
        }
        let Some(birth) = birth.filter(|_| missing.is_empty()) else {
            return Err(ImportError::MissingColumns(missing));
        };
        Ok(Layout {
            fields: header.len(),
            given,
            family,
            full,
            birth,
            departure: at(ColumnKind::ExpectedDeparture),
            group: at(ColumnKind::CurrentGroup),
            support: at(ColumnKind::SupportFactor),
            ignored,
        })
    }

    fn child(
        &self,
        record: &csv::StringRecord,
        today: NaiveDate,
    ) -> Result<ImportedChild, RejectReason> {
        // Office software writes every cell, empty or not: another count means a shifted line.
        if record.len() != self.fields {
            // A cell running over lines with too few cells is a quote left open.
            let runs_over_lines = record.iter().next_back().is_some_and(|c| c.contains('\n'));
            if record.len() < self.fields && runs_over_lines {
                return Err(RejectReason::UnclosedQuote);
            }
            return Err(RejectReason::WrongFieldCount {
                expected: self.fields,
                found: record.len(),
            });
        }
        let cell = |index: Option<usize>| {
            index
                .and_then(|i| record.get(i))
                .map(str::trim)
                .filter(|s| !s.is_empty())
        };
        let label = match (cell(self.given), cell(self.family), cell(self.full)) {
            (Some(given), family, _) => label(given, family),
            (None, _, Some(full)) => {
                let mut words: Vec<&str> = full.split_whitespace().collect();
                let family = (words.len() > 1).then(|| words.pop()).flatten();
                label(&words.join(" "), family)
            }
            (None, _, None) => return Err(RejectReason::MissingName),
        };
        let birth = cell(Some(self.birth))
            .and_then(parse_date)
            .ok_or(RejectReason::BadBirthDate)?;
        let birth_date =
            BirthDate::new(birth, today).map_err(|_| RejectReason::BirthDateInFuture)?;
        let expected_departure = match cell(self.departure) {
            None => None,
            Some(text) => {
                let date = parse_date(text).ok_or(RejectReason::BadDepartureDate)?;
                if date < birth {
                    return Err(RejectReason::DepartureBeforeBirth);
                }
                Some(date)
            }
        };
        let support_factor = match cell(self.support) {
            None => None,
            Some(text) => Some(SupportFactor::parse(text).ok_or(RejectReason::BadSupportFactor)?),
        };
        Ok(ImportedChild {
            label,
            birth_date,
            expected_departure,
            current_group: cell(self.group).map(|g| g.chars().take(60).collect()),
            support_factor,
        })
    }
}

/// `Given F.`: the given name and the family name's initial, never the full name.
fn label(given: &str, family: Option<&str>) -> String {
    let given: String = given.split_whitespace().collect::<Vec<_>>().join(" ");
    let given: String = given.chars().take(40).collect();
    match family.and_then(|f| f.chars().find(|c| c.is_alphabetic())) {
        Some(initial) => format!("{given} {}.", initial.to_uppercase()),
        None => given,
    }
}

/// `AAAA-MM-JJ` or `JJ/MM/AAAA`, digits exactly where they belong (no sign, no short year).
fn parse_date(text: &str) -> Option<NaiveDate> {
    let text = text.trim();
    let shaped = |pattern: &str| {
        text.len() == pattern.len()
            && text.bytes().zip(pattern.bytes()).all(|(c, p)| match p {
                b'9' => c.is_ascii_digit(),
                other => c == other,
            })
    };
    if shaped("9999-99-99") {
        NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
    } else if shaped("99/99/9999") {
        NaiveDate::parse_from_str(text, "%d/%m/%Y").ok()
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_keep_the_given_name_and_the_family_initial_only() {
        assert_eq!(label("Éloïse", Some("Côté")), "Éloïse C.");
        assert_eq!(label("Marie-Ève", Some("Tremblay-Roy")), "Marie-Ève T.");
        assert_eq!(
            label("Jean  Philippe", Some("'Ouellet")),
            "Jean Philippe O."
        );
        assert_eq!(label("Léa", Some("d'Amours")), "Léa D.");
        assert_eq!(label("Noah", None), "Noah");
    }

    #[test]
    fn dates_are_read_in_both_forms_and_nothing_else() {
        let d = NaiveDate::from_ymd_opt(2024, 2, 29);
        assert_eq!(parse_date("2024-02-29"), d);
        assert_eq!(parse_date(" 29/02/2024 "), d);
        assert_eq!(parse_date("2023-02-29"), None);
        assert_eq!(parse_date("02/29/2024"), None);
        assert_eq!(parse_date("29-02-2024"), None);
        assert_eq!(parse_date("2024-2-29"), None);
        assert_eq!(parse_date("+2024-02-2"), None);
    }

    #[test]
    fn line_numbers_are_the_same_with_windows_line_ends() {
        let today = NaiveDate::from_ymd_opt(2026, 6, 1).unwrap();
        let lf = "Prénom;Date de naissance\nA;2024-01-01\nB;bad\n\"C\nD\";2024-01-01\nE;bad\n";
        let crlf = lf.replace('\n', "\r\n");
        for text in [lf.to_owned(), crlf] {
            let lines: Vec<u64> = preview(text.as_bytes(), today)
                .unwrap()
                .rejected
                .iter()
                .map(|r| r.line)
                .collect();
            assert_eq!(lines, [3, 6], "{text:?}");
        }
    }

    #[test]
    fn support_factors_take_a_decimal_comma_or_point_from_1_to_5() {
        assert_eq!(
            SupportFactor::parse("1,5").map(SupportFactor::hundredths),
            Some(150)
        );
        assert_eq!(
            SupportFactor::parse("2").map(SupportFactor::hundredths),
            Some(200)
        );
        assert_eq!(
            SupportFactor::parse("1.25").map(SupportFactor::hundredths),
            Some(125)
        );
        assert_eq!(SupportFactor::parse("0,5"), None);
        assert_eq!(SupportFactor::parse("6"), None);
        assert_eq!(SupportFactor::parse("1,255"), None);
        assert_eq!(SupportFactor::parse("oui"), None);
        assert_eq!(SupportFactor::parse("-1"), None);
    }
}
