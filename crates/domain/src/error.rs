//! Why a value was refused.
//!
//! Messages are English, for logs and developers. Screens show the translation of
//! [`DomainError::code`] (French first), so the code of a variant never changes once released.

use chrono::NaiveDate;

/// A value that the rules refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DomainError {
    /// A birth date after today: only children already born are registered.
    #[error("birth date {birth} is in the future (today is {today}); only children already born can be registered")]
    BirthDateInFuture {
        /// The date given.
        birth: NaiveDate,
        /// The day it was checked against.
        today: NaiveDate,
    },
    /// A desired entry date before the child's birth.
    #[error("desired entry date {desired} is before the birth date {birth}")]
    DesiredEntryBeforeBirth {
        /// The child's birth date.
        birth: NaiveDate,
        /// The desired entry date given.
        desired: NaiveDate,
    },
    /// A registration dated before the child's birth or after today.
    #[error(
        "registration date {registered} must be between the birth date {birth} and today {today}"
    )]
    RegistrationDateOutOfRange {
        /// The child's birth date.
        birth: NaiveDate,
        /// The registration date given.
        registered: NaiveDate,
        /// The day it was checked against.
        today: NaiveDate,
    },
    /// An age asked for a day before the child was born.
    #[error("the child born on {birth} is not yet born on {on}")]
    NotYetBorn {
        /// The child's birth date.
        birth: NaiveDate,
        /// The day asked about.
        on: NaiveDate,
    },
    /// A capacity below zero.
    #[error("a capacity cannot be negative (got {0})")]
    NegativeCapacity(i64),
    /// A capacity too large to be a number of places.
    #[error("a capacity of {0} places is not plausible")]
    CapacityTooLarge(i64),
    /// A permit whose places exceed the installation cap.
    #[error("the permit totals {total} places, more than the {cap} an installation may hold")]
    PermitOverInstallationCap {
        /// Places in the permit.
        total: u64,
        /// The cap in force.
        cap: u32,
    },
    /// An age-class code that does not exist.
    #[error("unknown age class code {0:?}")]
    UnknownAgeClass(String),
    /// The same candidate key twice in one ranking.
    #[error("the same candidate appears twice in one ranking")]
    DuplicateCandidate,
}

impl DomainError {
    /// Stable machine code, used as the i18n key of the message shown to users.
    pub fn code(&self) -> &'static str {
        match self {
            DomainError::BirthDateInFuture { .. } => "birth_date_in_future",
            DomainError::DesiredEntryBeforeBirth { .. } => "desired_entry_before_birth",
            DomainError::RegistrationDateOutOfRange { .. } => "registration_date_out_of_range",
            DomainError::NotYetBorn { .. } => "not_yet_born",
            DomainError::NegativeCapacity(_) => "negative_capacity",
            DomainError::CapacityTooLarge(_) => "capacity_too_large",
            DomainError::PermitOverInstallationCap { .. } => "permit_over_installation_cap",
            DomainError::UnknownAgeClass(_) => "unknown_age_class",
            DomainError::DuplicateCandidate => "duplicate_candidate",
        }
    }
}
