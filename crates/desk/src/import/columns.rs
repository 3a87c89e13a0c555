//! Which column is which, from the header, in French or English, whatever the case, accents,
//! spacing or punctuation.

use serde::Serialize;

/// A column the import uses. Everything else in the file is ignored and never stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Given name.
    GivenName,
    /// Family name (only its initial is kept).
    FamilyName,
    /// Given and family name in one column (only the given name and the family initial are
    /// kept).
    FullName,
    /// Birth date.
    BirthDate,
    /// Expected departure date.
    ExpectedDeparture,
    /// Current group.
    CurrentGroup,
    /// Support-need factor.
    SupportFactor,
}

/// Header names recognised, already normalised (see [`normalise`]).
const NAMES: &[(ColumnKind, &[&str])] = &[
    (
        ColumnKind::GivenName,
        &[
            "prenom",
            "prenom de lenfant",
            "given name",
            "first name",
            "firstname",
        ],
    ),
    (
        ColumnKind::FamilyName,
        &[
            "nom",
            "nom de famille",
            "family name",
            "last name",
            "lastname",
            "surname",
        ],
    ),
    (
        ColumnKind::FullName,
        &[
            "nom complet",
            "enfant",
            "nom de lenfant",
            "full name",
            "child",
            "child name",
            "name",
        ],
    ),
    (
        ColumnKind::BirthDate,
        &[
            "date de naissance",
            "naissance",
            "ddn",
            "ne le",
            "nee le",
            "birth date",
            "date of birth",
            "birthdate",
            "dob",
        ],
    ),
    (
        ColumnKind::ExpectedDeparture,
        &[
            "date de depart",
            "depart prevu",
            "date de depart prevue",
            "date de sortie",
            "sortie prevue",
            "departure date",
            "expected departure",
            "leaving date",
            "end date",
        ],
    ),
    (
        ColumnKind::CurrentGroup,
        &[
            "groupe",
            "groupe actuel",
            "local",
            "group",
            "current group",
            "classroom",
        ],
    ),
    (
        ColumnKind::SupportFactor,
        &[
            "facteur de soutien",
            "besoin particulier",
            "besoins particuliers",
            "soutien",
            "support factor",
            "support need",
            "special needs",
        ],
    ),
];

/// Lower case, accents removed, punctuation as spaces, spaces collapsed:
/// `"Date de naissance (AAAA-MM-JJ)"` → `"date de naissance aaaa mm jj"`.
pub(crate) fn normalise(header: &str) -> String {
    // Transliterated to ASCII first, so every accent folds (and `’` becomes `'`).
    let folded: String = deunicode::deunicode(header)
        .to_ascii_lowercase()
        .chars()
        .filter(|&c| c != '\'')
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    folded.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The kind of a header cell, if it is one we use. A trailing format hint in parentheses
/// (`Date de naissance (JJ/MM/AAAA)`) is ignored.
pub(crate) fn kind_of(header: &str) -> Option<ColumnKind> {
    let without_hint = header.split('(').next().unwrap_or(header);
    let name = normalise(without_hint);
    NAMES
        .iter()
        .find(|(_, names)| names.contains(&name.as_str()))
        .map(|(kind, _)| *kind)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn french_and_english_headers_are_recognised_whatever_their_form() {
        assert_eq!(kind_of("Prénom"), Some(ColumnKind::GivenName));
        assert_eq!(kind_of("  PRENOM "), Some(ColumnKind::GivenName));
        assert_eq!(kind_of("Prénom de l'enfant"), Some(ColumnKind::GivenName));
        assert_eq!(kind_of("Nom de famille"), Some(ColumnKind::FamilyName));
        assert_eq!(
            kind_of("Date de naissance (AAAA-MM-JJ)"),
            Some(ColumnKind::BirthDate)
        );
        assert_eq!(kind_of("Date of birth"), Some(ColumnKind::BirthDate));
        assert_eq!(kind_of("Départ prévu"), Some(ColumnKind::ExpectedDeparture));
        assert_eq!(kind_of("Groupe"), Some(ColumnKind::CurrentGroup));
        assert_eq!(
            kind_of("Besoins particuliers"),
            Some(ColumnKind::SupportFactor)
        );
        // Decomposed accents (as some Mac exports write them) and typographic apostrophes.
        assert_eq!(kind_of("Pre\u{301}nom"), Some(ColumnKind::GivenName));
        assert_eq!(kind_of("Prénom de l’enfant"), Some(ColumnKind::GivenName));
        assert_eq!(kind_of("Téléphone du parent"), None);
        assert_eq!(kind_of("NAS"), None);
    }
}
