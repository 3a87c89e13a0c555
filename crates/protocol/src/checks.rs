//! The checks a request must pass, written once: the service runs them on what it receives,
//! the desktop core on what it is about to send, so a declaration or a reveal the service
//! would refuse is refused at once (offline too) and the two can never drift apart.

use chrono::{DateTime, Utc};
use placeforte_domain::calendar::quebec_today;
use placeforte_domain::RuleSet;

use crate::referrals::{RevealReason, MAX_GROUP_LABEL_CHARS, MAX_REVEAL_NOTE_CHARS};
use crate::Date;

/// Why a vacancy declaration is refused (`invalid_vacancy`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum VacancyError {
    /// No places, or more than an installation may hold.
    #[error("places must be between 1 and the installation's cap")]
    PlacesOutOfRange,
    /// The first day is before today in Québec.
    #[error("the start date is in the past")]
    StartDateInPast,
    /// The label is over [`MAX_GROUP_LABEL_CHARS`] or holds control characters.
    #[error("the group label is too long or holds control characters")]
    InvalidGroupLabel,
}

/// Checks the places, first day and group label of a declaration made at `now` under `rules`.
pub fn check_vacancy(
    places: u32,
    start_date: Date,
    group_label: Option<&str>,
    now: DateTime<Utc>,
    rules: &RuleSet,
) -> Result<(), VacancyError> {
    if places == 0 || places > rules.installation_max_children.value {
        return Err(VacancyError::PlacesOutOfRange);
    }
    // A Québec date: on a Québec evening the UTC date is already tomorrow.
    if start_date < quebec_today(now) {
        return Err(VacancyError::StartDateInPast);
    }
    if let Some(label) = group_label {
        if label.chars().count() > MAX_GROUP_LABEL_CHARS || label.chars().any(char::is_control) {
            return Err(VacancyError::InvalidGroupLabel);
        }
    }
    Ok(())
}

/// Why the note of a contact reveal is refused (`invalid_reveal`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RevealNoteError {
    /// The reason `other` without a note.
    #[error("the reason other needs a note")]
    NoteMissing,
    /// Over [`MAX_REVEAL_NOTE_CHARS`] characters.
    #[error("the note is too long")]
    NoteTooLong,
    /// Control characters have no place in an audit log.
    #[error("the note holds control characters")]
    ControlCharacters,
}

/// The note of a reveal as it is kept: trimmed, blank meaning none. `other` needs one; at most
/// [`MAX_REVEAL_NOTE_CHARS`] characters, without control characters.
pub fn reveal_note(
    reason: RevealReason,
    note: Option<String>,
) -> Result<Option<String>, RevealNoteError> {
    let note = note
        .map(|text| text.trim().to_owned())
        .filter(|text| !text.is_empty());
    match &note {
        None if reason == RevealReason::Other => Err(RevealNoteError::NoteMissing),
        Some(text) if text.chars().count() > MAX_REVEAL_NOTE_CHARS => {
            Err(RevealNoteError::NoteTooLong)
        }
        Some(text) if text.chars().any(char::is_control) => Err(RevealNoteError::ControlCharacters),
        _ => Ok(note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use placeforte_domain::quebec_rules_on;

    #[test]
    fn a_vacancy_is_checked_for_places_start_date_and_label() {
        let now = NaiveDate::from_ymd_opt(2026, 6, 1)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
            .and_utc();
        let rules = quebec_rules_on(now.date_naive());
        let today = now.date_naive();
        let check =
            |places, start, label: Option<&str>| check_vacancy(places, start, label, now, rules);
        assert_eq!(check(3, today, Some("Les Poussins")), Ok(()));
        assert_eq!(check(100, today, None), Ok(()));
        assert_eq!(check(0, today, None), Err(VacancyError::PlacesOutOfRange));
        assert_eq!(check(101, today, None), Err(VacancyError::PlacesOutOfRange));
        assert_eq!(
            check(3, today.pred_opt().unwrap(), None),
            Err(VacancyError::StartDateInPast)
        );
        let long = "x".repeat(MAX_GROUP_LABEL_CHARS + 1);
        for label in [long.as_str(), "a\u{7}b"] {
            assert_eq!(
                check(3, today, Some(label)),
                Err(VacancyError::InvalidGroupLabel)
            );
        }
        // At 02:00 UTC on June 2 it is 22:00 on June 1 in Québec: June 1 is still today.
        let quebec_evening = now + chrono::Duration::hours(17);
        assert_eq!(check_vacancy(3, today, None, quebec_evening, rules), Ok(()));
    }

    #[test]
    fn a_note_is_trimmed_and_checked() {
        use RevealReason::{OfferCall, Other};
        assert_eq!(reveal_note(OfferCall, None), Ok(None));
        assert_eq!(reveal_note(OfferCall, Some("  ".into())), Ok(None));
        assert_eq!(
            reveal_note(Other, Some(" rappel du CPE ".into())),
            Ok(Some("rappel du CPE".into()))
        );
        let too_long = "é".repeat(MAX_REVEAL_NOTE_CHARS + 1);
        let at_most = "é".repeat(MAX_REVEAL_NOTE_CHARS);
        assert_eq!(
            reveal_note(OfferCall, Some(at_most.clone())),
            Ok(Some(at_most))
        );
        for (reason, note, refusal) in [
            (Other, None, RevealNoteError::NoteMissing),
            (Other, Some(" \t".to_owned()), RevealNoteError::NoteMissing),
            (OfferCall, Some(too_long), RevealNoteError::NoteTooLong),
            (
                OfferCall,
                Some("a\u{1b}[2Jb".to_owned()),
                RevealNoteError::ControlCharacters,
            ),
        ] {
            assert_eq!(reveal_note(reason, note.clone()), Err(refusal), "{note:?}");
        }
    }
}
