//! What the window receives when a command fails: `{code, message}`, the code from a closed
//! set (the UI's i18n key, French first), the message in English for logs. Internal details
//! (paths, SQL, TLS alerts) stay in the log, never in the message.

use placeforte_desk::import::ImportError;
use placeforte_desk::DeskError;
use serde::Serialize;

/// A command's failure as the window sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[error("{code:?}: {message}")]
pub struct AppError {
    /// What went wrong, for the screen.
    pub code: ErrorCode,
    /// In English, for logs and support.
    pub message: String,
}

/// Every failure a screen has a message for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// The OS keychain is not there (yet); nothing was wiped, the app tries again.
    KeychainUnavailable,
    /// The OS keychain is locked; nothing was wiped, it can be unlocked.
    KeychainLocked,
    /// The local data (cache, device record) could not be used.
    LocalData,
    /// The pasted text is not an invitation.
    InvalidInvitation,
    /// This computer is not enrolled.
    NotEnrolled,
    /// The central service cannot be reached (offline).
    ServerUnreachable,
    /// The server is not the one of the invitation.
    ServerNotTrusted,
    /// The enrolment code was used, expired, or is for another daycare.
    EnrolmentRefused,
    /// The operator revoked this computer; its data was wiped.
    DeviceRevoked,
    /// The certificate expired or was refused: enrol again.
    CertificateExpired,
    /// A renewal replaced the certificate this computer still presents: enrol again.
    CertificateReplaced,
    /// Too many enrolment attempts lately: wait and retry.
    TooManyAttempts,
    /// The referral is not in the cache.
    UnknownReferral,
    /// A form value was refused (a date that is not a date, no places).
    InvalidInput,
    /// The service refused the request.
    Refused,
    /// Contact details are shown only online (they are never cached).
    RevealNeedsNetwork,
    /// This computer used its contact reveals for today.
    RevealQuotaExceeded,
    /// The daycare's computers together used its contact reveals for the day or the week.
    RevealBudgetExceeded,
    /// This family's contact details were already revealed the most times allowed.
    RevealLimitReached,
    /// Anything else (protocol, TLS set-up): see the log.
    Unexpected,
    /// The file to import is larger than the import accepts.
    ImportTooLarge,
    /// The file to import is empty.
    ImportEmpty,
    /// The file to import lacks a required column (given name, birth date).
    ImportMissingColumns,
    /// The file to import has two columns for one thing.
    ImportDuplicateColumn,
    /// Lines were rejected: nothing was imported.
    ImportHasRejectedLines,
    /// The file to import could not be read.
    ImportUnreadable,
    /// No groups are saved for next year.
    PlanWithoutGroups,
    /// The child is not in the plan.
    UnknownPlanChild,
    /// The group is not in the plan.
    UnknownPlanGroup,
    /// The plan was refused by the rules.
    PlanRefused,
    /// The group lists could not be written to that file.
    ExportFailed,
    /// A reviewed vacancy is not what the plan leaves (more places, another class or day).
    PlanVacancyRefused,
    /// A missed deadline was recorded before the referral's answer-by day.
    DeadlineNotReached,
    /// Every place of the vacancy is already accepted.
    VacancyFilled,
}

impl ErrorCode {
    /// Every code, in declaration order: exported to the UI (`ERROR_CODES`), whose tests check
    /// that each has a French and an English text.
    pub const ALL: &'static [ErrorCode] = &[
        ErrorCode::KeychainUnavailable,
        ErrorCode::KeychainLocked,
        ErrorCode::LocalData,
        ErrorCode::InvalidInvitation,
        ErrorCode::NotEnrolled,
        ErrorCode::ServerUnreachable,
        ErrorCode::ServerNotTrusted,
        ErrorCode::EnrolmentRefused,
        ErrorCode::DeviceRevoked,
        ErrorCode::CertificateExpired,
        ErrorCode::CertificateReplaced,
        ErrorCode::TooManyAttempts,
        ErrorCode::UnknownReferral,
        ErrorCode::InvalidInput,
        ErrorCode::Refused,
        ErrorCode::RevealNeedsNetwork,
        ErrorCode::RevealQuotaExceeded,
        ErrorCode::RevealBudgetExceeded,
        ErrorCode::RevealLimitReached,
        ErrorCode::Unexpected,
        ErrorCode::ImportTooLarge,
        ErrorCode::ImportEmpty,
        ErrorCode::ImportMissingColumns,
        ErrorCode::ImportDuplicateColumn,
        ErrorCode::ImportHasRejectedLines,
        ErrorCode::ImportUnreadable,
        ErrorCode::PlanWithoutGroups,
        ErrorCode::UnknownPlanChild,
        ErrorCode::UnknownPlanGroup,
        ErrorCode::PlanRefused,
        ErrorCode::ExportFailed,
        ErrorCode::PlanVacancyRefused,
        ErrorCode::DeadlineNotReached,
        ErrorCode::VacancyFilled,
    ];
}

impl AppError {
    /// An error with this code.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError {
            code,
            message: message.into(),
        }
    }
}

impl From<DeskError> for AppError {
    fn from(err: DeskError) -> Self {
        let code = match &err {
            DeskError::KeychainUnavailable(_) => ErrorCode::KeychainUnavailable,
            DeskError::KeychainLocked(_) => ErrorCode::KeychainLocked,
            DeskError::KeychainEntryCorrupt
            | DeskError::RandomSourceFailed
            | DeskError::NoDataDir
            | DeskError::CacheUnreadable
            | DeskError::CacheIo(_)
            | DeskError::CacheDatabase(_)
            | DeskError::CacheMigration(_)
            | DeskError::DeviceRecordCorrupt => ErrorCode::LocalData,
            DeskError::InvalidInvite(_) => ErrorCode::InvalidInvitation,
            DeskError::NotEnrolled => ErrorCode::NotEnrolled,
            DeskError::ServerUnreachable(_) => ErrorCode::ServerUnreachable,
            DeskError::ServerNotTrusted => ErrorCode::ServerNotTrusted,
            DeskError::EnrolmentRefused => ErrorCode::EnrolmentRefused,
            DeskError::Revoked => ErrorCode::DeviceRevoked,
            DeskError::CertificateExpired | DeskError::CertificateRefused => {
                ErrorCode::CertificateExpired
            }
            DeskError::CertificateReplaced => ErrorCode::CertificateReplaced,
            DeskError::TooManyAttempts => ErrorCode::TooManyAttempts,
            DeskError::Refused { .. } => ErrorCode::Refused,
            DeskError::Import(err) => match err {
                ImportError::TooLarge { .. } => ErrorCode::ImportTooLarge,
                ImportError::Empty => ErrorCode::ImportEmpty,
                ImportError::MissingColumns(_) => ErrorCode::ImportMissingColumns,
                ImportError::DuplicateColumn(_) => ErrorCode::ImportDuplicateColumn,
                ImportError::HasRejectedLines(_) => ErrorCode::ImportHasRejectedLines,
                ImportError::Io(_) => ErrorCode::ImportUnreadable,
            },
            DeskError::PlanWithoutGroups => ErrorCode::PlanWithoutGroups,
            DeskError::UnknownPlanChild => ErrorCode::UnknownPlanChild,
            DeskError::UnknownPlanGroup => ErrorCode::UnknownPlanGroup,
            DeskError::Plan(_) => ErrorCode::PlanRefused,
            DeskError::VacancyAbovePlacesLeft { .. }
            | DeskError::VacancyNotInPlan
            | DeskError::VacancyReviewedTwice => ErrorCode::PlanVacancyRefused,
            DeskError::InvalidVacancy(_) | DeskError::InvalidReveal(_) => ErrorCode::InvalidInput,
            DeskError::RevealNeedsNetwork => ErrorCode::RevealNeedsNetwork,
            DeskError::RevealQuotaExceeded => ErrorCode::RevealQuotaExceeded,
            DeskError::RevealBudgetExceeded => ErrorCode::RevealBudgetExceeded,
            DeskError::RevealLimitReached => ErrorCode::RevealLimitReached,
            DeskError::DeadlineNotReached => ErrorCode::DeadlineNotReached,
            DeskError::VacancyFilled => ErrorCode::VacancyFilled,
            DeskError::Protocol(_) | DeskError::Tls(_) => ErrorCode::Unexpected,
        };
        tracing::warn!(code = err.code(), "command failed: {err}");
        // Messages that could carry a path or a peer's text keep only the stable code.
        let message = match &err {
            DeskError::CacheIo(_) | DeskError::CacheDatabase(_) | DeskError::CacheMigration(_) => {
                format!("local data error ({})", err.code())
            }
            _ => err.to_string(),
        };
        AppError { code, message }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use placeforte_protocol::checks::{RevealNoteError, VacancyError};

    #[test]
    fn the_json_the_window_receives_is_pinned() {
        let err = AppError::from(DeskError::EnrolmentRefused);
        assert_eq!(
            serde_json::to_value(&err).unwrap(),
            serde_json::json!({
                "code": "enrolment_refused",
                "message": "the enrolment code is not valid (used, expired, or for another daycare)"
            })
        );
        let offline = AppError::from(DeskError::ServerUnreachable("connection refused".into()));
        assert_eq!(
            serde_json::to_value(&offline).unwrap()["code"],
            "server_unreachable"
        );
        assert_eq!(
            serde_json::to_value(AppError::from(DeskError::Revoked)).unwrap()["code"],
            "device_revoked"
        );
        for (err, code) in [
            (DeskError::RevealNeedsNetwork, "reveal_needs_network"),
            (DeskError::RevealQuotaExceeded, "reveal_quota_exceeded"),
            (DeskError::CertificateReplaced, "certificate_replaced"),
            (DeskError::TooManyAttempts, "too_many_attempts"),
            (DeskError::RevealBudgetExceeded, "reveal_budget_exceeded"),
            (DeskError::RevealLimitReached, "reveal_limit_reached"),
            (DeskError::DeadlineNotReached, "deadline_not_reached"),
            (DeskError::VacancyFilled, "vacancy_filled"),
            (
                DeskError::InvalidVacancy(VacancyError::PlacesOutOfRange),
                "invalid_input",
            ),
            (
                DeskError::InvalidReveal(RevealNoteError::ControlCharacters),
                "invalid_input",
            ),
        ] {
            assert_eq!(
                serde_json::to_value(AppError::from(err)).unwrap()["code"],
                code
            );
        }
    }

    #[test]
    fn every_code_is_listed_once_for_the_ui() {
        use specta::Type as _;
        let specta::DataType::Enum(codes) = ErrorCode::inline(
            &mut specta::TypeCollection::default(),
            specta::Generics::Definition,
        ) else {
            panic!("ErrorCode is an enum");
        };
        let listed: std::collections::BTreeSet<_> = ErrorCode::ALL.iter().collect();
        assert_eq!(listed.len(), ErrorCode::ALL.len(), "no code twice");
        assert_eq!(listed.len(), codes.variants().len(), "every code listed");
    }

    #[test]
    fn io_details_do_not_reach_the_window() {
        let err = AppError::from(DeskError::CacheIo(std::io::Error::other(
            "/home/director/.local/share/placeforte/cache.sqlite: denied",
        )));
        assert_eq!(err.code, ErrorCode::LocalData);
        assert!(!err.message.contains("/home"), "{}", err.message);
    }
}
