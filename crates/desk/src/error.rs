//! What can go wrong in the desktop core, as a closed set with stable codes.
//!
//! Screens translate [`DeskError::code`] (French first); the English `Display` is for logs and
//! never contains personal data or secrets.

use placeforte_domain::PlanError;

use crate::import::ImportError;
use crate::planning::{GroupListError, SetupProblem};

/// An error of the desktop core. Closed: the shell maps every variant.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The OS keychain could not be reached (not started yet, or gone). Nothing local was
    /// touched: the app waits and tries again.
    #[error("the operating system's keychain is unavailable: {0}")]
    KeychainUnavailable(String),
    /// The OS keychain is there but locked (or its unlock prompt was dismissed). Nothing local
    /// was touched: once it is unlocked everything is as it was.
    #[error("the operating system's keychain is locked: {0}")]
    KeychainLocked(String),
    /// A keychain entry exists but does not hold what we stored.
    #[error("a keychain entry of PlaceForte is damaged")]
    KeychainEntryCorrupt,
    /// The operating system's random source failed.
    #[error("the operating system's random source failed")]
    RandomSourceFailed,
    /// No data folder could be found for this user.
    #[error("no data folder is available for this user")]
    NoDataDir,
    /// The cache file could not be opened with its key (wrong key or damaged file). It was
    /// wiped and will be rebuilt by the next sync.
    #[error("the local cache could not be decrypted and was wiped")]
    CacheUnreadable,
    /// A file-system operation on the cache failed.
    #[error("the local cache could not be written: {0}")]
    CacheIo(#[from] std::io::Error),
    /// The cache database failed.
    #[error("the local cache failed: {0}")]
    CacheDatabase(#[from] sqlx::Error),
    /// A cache migration failed.
    #[error("the local cache could not be upgraded: {0}")]
    CacheMigration(#[from] sqlx::migrate::MigrateError),
    /// The pasted text is not a usable enrolment invitation.
    #[error("{0}")]
    InvalidInvite(#[from] placeforte_protocol::invite::InviteError),
    /// This computer is not enrolled (or its enrolment was forgotten).
    #[error("this computer is not enrolled")]
    NotEnrolled,
    /// The device record file does not hold what we wrote.
    #[error("the device record of this computer is damaged")]
    DeviceRecordCorrupt,
    /// The central service could not be reached.
    #[error("the central service cannot be reached: {0}")]
    ServerUnreachable(String),
    /// The server is not the one of the invitation (its certificate does not chain to the
    /// pinned CA, or names another server).
    #[error("the server is not the PlaceForte service of the invitation")]
    ServerNotTrusted,
    /// The service refused this computer's certificate during the TLS handshake.
    #[error("the central service refused this computer's certificate")]
    CertificateRefused,
    /// The enrolment code is unknown, already used, expired, or for another daycare.
    #[error("the enrolment code is not valid (used, expired, or for another daycare)")]
    EnrolmentRefused,
    /// The operator revoked this device; everything local was wiped.
    #[error("this computer's access was revoked; its local data was wiped")]
    Revoked,
    /// The certificate expired before it could be renewed: enrol again.
    #[error("this computer's certificate has expired; enrol it again")]
    CertificateExpired,
    /// A renewal replaced the certificate this computer presented (a renewal interrupted
    /// before the new certificate was kept): the old one is revoked; enrol again.
    #[error(
        "this computer's certificate was replaced by a renewal it did not keep; enrol it again"
    )]
    CertificateReplaced,
    /// Too many enrolment attempts from this address (or overall) lately: wait and retry.
    #[error("too many enrolment attempts; wait a minute and try again")]
    TooManyAttempts,
    /// Any other refusal by the service.
    #[error("the central service refused the request ({status} {code})")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The service's stable code.
        code: String,
    },
    /// The service answered something this version does not understand.
    #[error("unexpected answer from the central service: {0}")]
    Protocol(String),
    /// A file to import was refused as a whole.
    #[error("the file cannot be imported ({})", .0.code())]
    Import(#[from] ImportError),
    /// A vacancy declaration the service would refuse (checked before it is queued).
    #[error("invalid vacancy: {0}")]
    InvalidVacancy(#[from] placeforte_protocol::checks::VacancyError),
    /// A reveal's note the service would refuse (checked before it is sent).
    #[error("invalid reveal: {0}")]
    InvalidReveal(#[from] placeforte_protocol::checks::RevealNoteError),
    /// A reviewed vacancy names an age class and start day the plan has no places for.
    #[error("the plan has no places for this age class and start date")]
    VacancyNotInPlan,
    /// The review lists the same age class and start day twice.
    #[error("the same age class and start date are reviewed twice")]
    VacancyReviewedTwice,
    /// A reviewed vacancy has more places than the plan leaves.
    #[error("more places than the plan leaves ({left})")]
    VacancyAbovePlacesLeft {
        /// What the plan leaves for that class and day.
        left: u32,
    },
    /// Group formation was asked for before any group was saved.
    #[error("no groups are saved for next year")]
    PlanWithoutGroups,
    /// The plan names a child it does not have.
    #[error("the plan has no such child")]
    UnknownPlanChild,
    /// The plan names a group it does not have.
    #[error("the plan has no such group")]
    UnknownPlanGroup,
    /// The domain refused the plan or its export.
    #[error("the plan was refused ({})", .0.code())]
    Plan(#[from] PlanRefusal),
    /// Contact details were asked for without a connection to the service.
    #[error("contact details are only shown online, and every reveal is audited: connect to the central service and try again")]
    RevealNeedsNetwork,
    /// This workstation used its contact reveals for today.
    #[error("this workstation has used its contact reveals for today")]
    RevealQuotaExceeded,
    /// The daycare's workstations together used its contact reveals for the day or the week.
    #[error("this daycare has used its contact reveals for now")]
    RevealBudgetExceeded,
    /// This family's contact details were already revealed the most times allowed.
    #[error("this family's contact details were already revealed the most times allowed")]
    RevealLimitReached,
    /// A missed deadline was sent before the referral's answer-by day: the family may still
    /// answer.
    #[error("the referral's answer-by day has not come; the family may still answer")]
    DeadlineNotReached,
    /// An acceptance was sent for a vacancy whose places are all accepted already.
    #[error("every place of this vacancy is already accepted")]
    VacancyFilled,
    /// TLS could not be set up.
    #[error("secure connection setup failed: {0}")]
    Tls(String),
}

impl DeskError {
    /// Stable machine code, the i18n key of the message shown to the director.
    pub fn code(&self) -> &'static str {
        match self {
            DeskError::KeychainUnavailable(_) => "keychain_unavailable",
            DeskError::KeychainLocked(_) => "keychain_locked",
            DeskError::KeychainEntryCorrupt => "keychain_entry_corrupt",
            DeskError::RandomSourceFailed => "random_source_failed",
            DeskError::NoDataDir => "no_data_dir",
            DeskError::CacheUnreadable => "cache_unreadable",
            DeskError::CacheIo(_) => "cache_io",
            DeskError::CacheDatabase(_) => "cache_database",
            DeskError::CacheMigration(_) => "cache_migration",
            DeskError::InvalidInvite(err) => err.code(),
            DeskError::NotEnrolled => "not_enrolled",
            DeskError::DeviceRecordCorrupt => "device_record_corrupt",
            DeskError::ServerUnreachable(_) => "server_unreachable",
            DeskError::ServerNotTrusted => "server_not_trusted",
            DeskError::CertificateRefused => "certificate_refused",
            DeskError::EnrolmentRefused => "enrolment_refused",
            DeskError::Revoked => "device_revoked",
            DeskError::CertificateExpired => "certificate_expired",
            DeskError::CertificateReplaced => "certificate_replaced",
            DeskError::TooManyAttempts => "too_many_attempts",
            DeskError::Refused { .. } => "refused",
            DeskError::Protocol(_) => "protocol",
            DeskError::Import(err) => err.code(),
            DeskError::InvalidVacancy(_) => "invalid_vacancy",
            DeskError::InvalidReveal(_) => "invalid_reveal",
            DeskError::VacancyNotInPlan => "vacancy_not_in_plan",
            DeskError::VacancyReviewedTwice => "vacancy_reviewed_twice",
            DeskError::VacancyAbovePlacesLeft { .. } => "vacancy_above_places_left",
            DeskError::PlanWithoutGroups => "plan_without_groups",
            DeskError::UnknownPlanChild => "unknown_plan_child",
            DeskError::UnknownPlanGroup => "unknown_plan_group",
            DeskError::Plan(refusal) => refusal.code(),
            DeskError::RevealNeedsNetwork => "reveal_needs_network",
            DeskError::RevealQuotaExceeded => "reveal_quota_exceeded",
            DeskError::RevealBudgetExceeded => "reveal_budget_exceeded",
            DeskError::RevealLimitReached => "reveal_limit_reached",
            DeskError::DeadlineNotReached => "deadline_not_reached",
            DeskError::VacancyFilled => "vacancy_filled",
            DeskError::Tls(_) => "tls",
        }
    }
}

/// Why the domain refused the plan read from the cache, or its export.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum PlanRefusal {
    /// The saved groups break the permit or the rules (every problem, first one first).
    #[error("the saved groups are refused")]
    Setup(Vec<SetupProblem>),
    /// The composer or the simulator refused the plan.
    #[error(transparent)]
    Rules(#[from] PlanError),
    /// The group lists could not be written.
    #[error(transparent)]
    GroupList(#[from] GroupListError),
}

impl PlanRefusal {
    /// Stable machine code: the domain's.
    pub fn code(&self) -> &'static str {
        match self {
            PlanRefusal::Setup(problems) => problems.first().map_or("plan", |p| p.code.code()),
            PlanRefusal::Rules(err) => err.code(),
            PlanRefusal::GroupList(err) => err.code(),
        }
    }
}

impl From<PlanError> for DeskError {
    fn from(err: PlanError) -> Self {
        DeskError::Plan(err.into())
    }
}

impl From<GroupListError> for DeskError {
    fn from(err: GroupListError) -> Self {
        DeskError::Plan(err.into())
    }
}
