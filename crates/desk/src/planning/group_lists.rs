//! Next year's group lists as CSV, to print or open in a spreadsheet.
//!
//! The columns are the fewest a director needs to hand a list to an educator, and nothing the
//! cache does not already hold (DESIGN.md §5): the group, the child's display label (given name
//! and family initial, never the full name), the birth date, the age class on the child's
//! first day in the group, that first day, and the expected last day. No contact details,
//! support factor or referral facts: a printed list travels, so it carries less than the
//! screen. Dates are ISO (`AAAA-MM-JJ`), which every spreadsheet reads as a date.
//!
//! A cell that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, tab or
//! carriage return) is written with a leading `'`, so a label typed as `=HYPERLINK(…)` in the
//! daycare's own records stays text (OWASP "CSV injection").

use chrono::NaiveDate;
use placeforte_domain::{age_class, AgeClass, Composition, Installation};
use serde::{Deserialize, Serialize};

/// The spreadsheet the file is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum GroupListFormat {
    /// `;`-separated UTF-8 with a byte-order mark: what Excel in French opens correctly by
    /// double-click (without the mark it reads Windows-1252 and breaks accents).
    FrenchExcel,
    /// `,`-separated UTF-8 without a mark (LibreOffice, Numbers, Google Sheets, English Excel).
    Comma,
}

/// The language of the headers and age classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum Language {
    /// French (fr-CA), the default of the app.
    French,
    /// English.
    English,
}

/// Why a list cannot be written. Codes are stable (the screens translate them).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum GroupListError {
    /// A placement names a group the installation does not have.
    #[error("a child is placed in group {0}, which the installation does not have")]
    UnknownGroup(usize),
    /// No label was given for a placed child.
    #[error("a placed child has no label")]
    MissingLabel,
    /// The age class of a child could not be computed (it is not born on its first day).
    #[error("a child's age class could not be computed")]
    NoAgeClass,
    /// Writing the CSV failed.
    #[error("the list could not be written")]
    Write,
}

impl GroupListError {
    /// Stable machine code, the i18n key of the message shown to the director.
    pub fn code(&self) -> &'static str {
        match self {
            GroupListError::UnknownGroup(_) => "group_list_unknown_group",
            GroupListError::MissingLabel => "group_list_missing_label",
            GroupListError::NoAgeClass => "group_list_no_age_class",
            GroupListError::Write => "group_list_write",
        }
    }
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// The group lists of `composition` over `installation` for the year starting `start`, one
/// line per placed child, ordered by group (installation order) then label. `label_of`
/// gives a child's display label from its key (the cache's label for an enrolled child or a
/// referral).
pub fn export_group_lists<K>(
    composition: &Composition<K>,
    installation: &Installation,
    start: NaiveDate,
    label_of: impl Fn(&K) -> Option<String>,
    format: GroupListFormat,
    language: Language,
) -> Result<Vec<u8>, GroupListError> {
    let mut rows = Vec::with_capacity(composition.placed.len());
    for placed in &composition.placed {
        let group = installation
            .groups()
            .get(placed.group)
            .ok_or(GroupListError::UnknownGroup(placed.group))?;
        let child = &placed.child;
        let label = label_of(child.key()).ok_or(GroupListError::MissingLabel)?;
        let first_day = start.max(child.arrival());
        let class = age_class(child.birth(), first_day, installation.rules())
            .map_err(|_| GroupListError::NoAgeClass)?;
        rows.push((
            placed.group,
            [
                group.name().to_owned(),
                label,
                child.birth().date().to_string(),
                class_name(class, language).to_owned(),
                first_day.to_string(),
                child.departure().map(|d| d.to_string()).unwrap_or_default(),
            ],
        ));
    }
    rows.sort_by(|(a_group, a), (b_group, b)| a_group.cmp(b_group).then_with(|| a[1].cmp(&b[1])));

    let (delimiter, bom) = match format {
        GroupListFormat::FrenchExcel => (b';', UTF8_BOM),
        GroupListFormat::Comma => (b',', &[][..]),
    };
    let mut writer = csv::WriterBuilder::new()
        .delimiter(delimiter)
        .terminator(csv::Terminator::CRLF)
        .from_writer(bom.to_vec());
    let write = |writer: &mut csv::Writer<Vec<u8>>, cells: &[String]| {
        writer
            .write_record(cells.iter().map(|c| neutralise_formula(c)))
            .map_err(|_| GroupListError::Write)
    };
    let header: Vec<String> = headers(language).iter().map(|h| (*h).to_owned()).collect();
    write(&mut writer, &header)?;
    for (_, cells) in &rows {
        write(&mut writer, cells)?;
    }
    writer.into_inner().map_err(|_| GroupListError::Write)
}

/// The cell with a leading `'` if a spreadsheet would read it as a formula.
fn neutralise_formula(cell: &str) -> String {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}"),
        _ => cell.to_owned(),
    }
}

/// Headers our own import recognises where the columns overlap (group, child, birth date,
/// expected departure), so an exported list can be read back.
fn headers(language: Language) -> [&'static str; 6] {
    match language {
        Language::French => [
            "Groupe",
            "Enfant",
            "Date de naissance",
            "Classe d'âge",
            "Arrivée",
            "Départ prévu",
        ],
        Language::English => [
            "Group",
            "Child",
            "Birth date",
            "Age class",
            "Arrival",
            "Expected departure",
        ],
    }
}

fn class_name(class: AgeClass, language: Language) -> &'static str {
    match (language, class) {
        (Language::French, AgeClass::Under18Months) => "moins de 18 mois",
        (Language::French, AgeClass::From18MonthsTo4Years) => "18 mois à moins de 4 ans",
        (Language::French, AgeClass::FourYears) => "4 ans",
        (Language::French, AgeClass::FiveAndOver) => "5 ans et plus",
        (Language::English, AgeClass::Under18Months) => "under 18 months",
        (Language::English, AgeClass::From18MonthsTo4Years) => "18 months to under 4 years",
        (Language::English, AgeClass::FourYears) => "4 years",
        (Language::English, AgeClass::FiveAndOver) => "5 years and over",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_a_spreadsheet_would_run_get_a_leading_quote_and_others_are_untouched() {
        for risky in [
            "=1+1",
            "+33",
            "-2",
            "@SUM(A1)",
            "\tx",
            "\rx",
            "=HYPERLINK(\"x\")",
        ] {
            assert_eq!(neutralise_formula(risky), format!("'{risky}"));
        }
        for safe in ["Éloïse C.", "2024-02-29", "", "'déjà", "a=b", " =x"] {
            assert_eq!(neutralise_formula(safe), safe);
        }
    }
}
