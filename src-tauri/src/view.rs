//! What the screens receive: the cache's minimal fields, flattened, with codes the UI
//! translates. Dates are ISO 8601 strings (`YYYY-MM-DD`, RFC 3339 for instants); the UI formats
//! them for the locale.

use placeforte_desk::cache::{OutboxEntry, OutboxState};
use placeforte_desk::sync::{FlushReport, SyncProgress};
use placeforte_desk::WipeReason;
use placeforte_domain::{age_class, quebec_rules_on, AgeClass, BirthDate, OfferOutcome};
use placeforte_protocol::referrals::{RankStanding, ReferralStatus, ReferralSyncItem};
use serde::{Deserialize, Serialize};

/// The home screen's summary.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppStatus {
    /// This computer's enrolment, if any.
    pub enrolment: Option<Enrolment>,
    /// RFC 3339 time of the last complete sync.
    pub last_sync: Option<String>,
    /// Referrals in the encrypted cache.
    pub referrals_cached: u32,
    /// Outcomes waiting to be sent.
    pub outbox_pending: u32,
    /// Outcomes the service refused (to look at).
    pub outbox_conflicts: u32,
    /// Vacancy declarations waiting to be sent.
    pub vacancies_pending: u32,
    /// Vacancy declarations made from this computer (sent or not).
    pub vacancies_declared: u32,
    /// Whether the last call to the service got through (`null`: not tried yet).
    pub online: Option<bool>,
    /// A wipe the director has not been told about (reported once).
    pub wiped: Option<WipeCode>,
    /// Days without a successful sync after which the cache is wiped.
    pub retention_days: u32,
}

/// This computer's enrolment.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Enrolment {
    /// The device id.
    pub device_id: String,
    /// The daycare id.
    pub daycare_id: String,
    /// RFC 3339 end of the certificate's validity.
    pub certificate_not_after: String,
    /// RFC 3339 time from which it renews itself.
    pub certificate_renew_after: String,
}

/// Why local data was wiped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum WipeCode {
    /// On request.
    Requested,
    /// The operator revoked this computer.
    Revoked,
    /// No successful sync within the retention period.
    RetentionExpired,
    /// The keychain failed.
    KeychainFailure,
    /// The cache key was gone.
    KeyMissing,
    /// The cache could not be decrypted.
    Unreadable,
}

impl From<WipeReason> for WipeCode {
    fn from(reason: WipeReason) -> Self {
        match reason {
            WipeReason::Requested => WipeCode::Requested,
            WipeReason::Revoked => WipeCode::Revoked,
            WipeReason::RetentionExpired => WipeCode::RetentionExpired,
            WipeReason::KeychainFailure => WipeCode::KeychainFailure,
            WipeReason::KeyMissing => WipeCode::KeyMissing,
            WipeReason::Unreadable => WipeCode::Unreadable,
        }
    }
}

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum StatusCode {
    /// Waiting for the family's answer.
    Open,
    /// Accepted.
    Accepted,
    /// Refused.
    Refused,
    /// No answer by the deadline.
    NoAnswer,
    /// Closed by something else.
    Closed,
}

impl From<ReferralStatus> for StatusCode {
    fn from(status: ReferralStatus) -> Self {
        match status {
            ReferralStatus::Open => StatusCode::Open,
            ReferralStatus::Accepted => StatusCode::Accepted,
            ReferralStatus::Refused => StatusCode::Refused,
            ReferralStatus::NoAnswer => StatusCode::NoAnswer,
            ReferralStatus::Closed => StatusCode::Closed,
        }
    }
}

/// An age class (RSGEE art. 7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum AgeClassCode {
    /// Under 18 months.
    #[serde(rename = "under_18_months")]
    Under18Months,
    /// 18 months to under 4 years.
    #[serde(rename = "from_18_months_to_4_years")]
    From18MonthsTo4Years,
    /// 4 years on September 30.
    FourYears,
    /// 5 years and over on September 30.
    FiveAndOver,
}

impl From<AgeClassCode> for AgeClass {
    fn from(code: AgeClassCode) -> Self {
        match code {
            AgeClassCode::Under18Months => AgeClass::Under18Months,
            AgeClassCode::From18MonthsTo4Years => AgeClass::From18MonthsTo4Years,
            AgeClassCode::FourYears => AgeClass::FourYears,
            AgeClassCode::FiveAndOver => AgeClass::FiveAndOver,
        }
    }
}

impl From<AgeClass> for AgeClassCode {
    fn from(class: AgeClass) -> Self {
        match class {
            AgeClass::Under18Months => AgeClassCode::Under18Months,
            AgeClass::From18MonthsTo4Years => AgeClassCode::From18MonthsTo4Years,
            AgeClass::FourYears => AgeClassCode::FourYears,
            AgeClass::FiveAndOver => AgeClassCode::FiveAndOver,
        }
    }
}

/// Where the candidate stood relative to the vacancy's places when ranked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StandingView {
    /// Within the places on the category order.
    WithinPlaces,
    /// Within the places through the priority quota.
    PriorityQuota {
        /// Seat taken.
        seat: u32,
        /// Seats in the quota.
        seats: u32,
    },
    /// Displaced by a priority candidate.
    DisplacedByPriorityQuota,
    /// After the places.
    Waiting,
}

impl From<RankStanding> for StandingView {
    fn from(standing: RankStanding) -> Self {
        match standing {
            RankStanding::WithinPlaces => StandingView::WithinPlaces,
            RankStanding::PriorityQuota { seat, seats } => {
                StandingView::PriorityQuota { seat, seats }
            }
            RankStanding::DisplacedByPriorityQuota => StandingView::DisplacedByPriorityQuota,
            RankStanding::Waiting => StandingView::Waiting,
        }
    }
}

/// One referral: the data inventory's minimal fields, nothing more.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct ReferralView {
    /// Opaque id.
    pub referral_id: String,
    /// The vacancy it fills.
    pub vacancy_id: String,
    /// Where it stands on the service (as of the last sync).
    pub status: StatusCode,
    /// The family must answer by this date.
    pub answer_by: String,
    /// Given name + family initial.
    pub label: String,
    /// Birth date.
    pub birth_date: String,
    /// Desired entry date.
    pub desired_entry_date: String,
    /// Age class on the desired entry date.
    pub age_class: Option<AgeClassCode>,
    /// Referral category, 1 (first served) to 5.
    pub category: u8,
    /// A priority referral (the basis is never cached).
    pub priority: bool,
    /// A sibling's referral.
    pub sibling_referral_id: Option<String>,
    /// 1-based rank among the vacancy's candidates.
    pub rank: u32,
    /// Rank on the category order alone.
    pub category_order_rank: u32,
    /// Days from the desired entry date to the ranking day.
    pub days_waiting: i32,
    /// Standing relative to the places.
    pub standing: StandingView,
    /// An outcome recorded here and not yet acknowledged by the service.
    pub pending_outcome: Option<OutcomeChoice>,
}

impl ReferralView {
    /// The view of a cached referral, with its pending outcome if any.
    pub fn new(item: ReferralSyncItem, pending: Option<OfferOutcome>) -> Self {
        let entry = item.desired_entry_date;
        let class = BirthDate::new(item.birth_date, entry)
            .ok()
            .and_then(|birth| age_class(birth, entry, quebec_rules_on(entry)).ok())
            .map(AgeClassCode::from);
        ReferralView {
            referral_id: item.referral_id.to_string(),
            vacancy_id: item.vacancy_id.to_string(),
            status: item.status.into(),
            answer_by: item.answer_by.to_string(),
            label: item.label,
            birth_date: item.birth_date.to_string(),
            desired_entry_date: entry.to_string(),
            age_class: class,
            category: item.category,
            priority: item.priority,
            sibling_referral_id: item.sibling_referral_id.map(|id| id.to_string()),
            rank: item.rank_reason.rank,
            category_order_rank: item.rank_reason.category_order_rank,
            days_waiting: i32::try_from(item.rank_reason.days_since_desired_entry)
                .unwrap_or(i32::MAX),
            standing: item.rank_reason.standing.into(),
            pending_outcome: pending.map(OutcomeChoice::from),
        }
    }
}

/// A regulated refusal reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum RefusalCode {
    /// No longer needed.
    NoLongerNeeded,
    /// Accepted elsewhere.
    AcceptedElsewhere,
    /// Schedule or distance.
    ScheduleOrDistance,
    /// Start earlier than wanted.
    StartEarlierThanWanted,
    /// The child's health.
    ChildHealth,
    /// Other.
    Other,
}

/// The family's answer, as the director records it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum OutcomeChoice {
    /// Accepted the place.
    Accepted,
    /// Refused, for a reason.
    Refused {
        /// The reason.
        reason: RefusalCode,
    },
    /// No answer by the deadline.
    NoAnswer,
}

impl From<OutcomeChoice> for OfferOutcome {
    fn from(choice: OutcomeChoice) -> Self {
        use placeforte_domain::RefusalReason as R;
        match choice {
            OutcomeChoice::Accepted => OfferOutcome::Accepted,
            OutcomeChoice::NoAnswer => OfferOutcome::NoAnswerByDeadline,
            OutcomeChoice::Refused { reason } => OfferOutcome::Refused {
                reason: match reason {
                    RefusalCode::NoLongerNeeded => R::NoLongerNeeded,
                    RefusalCode::AcceptedElsewhere => R::AcceptedElsewhere,
                    RefusalCode::ScheduleOrDistance => R::ScheduleOrDistance,
                    RefusalCode::StartEarlierThanWanted => R::StartEarlierThanWanted,
                    RefusalCode::ChildHealth => R::ChildHealth,
                    RefusalCode::Other => R::Other,
                },
            },
        }
    }
}

impl From<OfferOutcome> for OutcomeChoice {
    fn from(outcome: OfferOutcome) -> Self {
        use placeforte_domain::RefusalReason as R;
        match outcome {
            OfferOutcome::Accepted => OutcomeChoice::Accepted,
            OfferOutcome::NoAnswerByDeadline => OutcomeChoice::NoAnswer,
            OfferOutcome::Refused { reason } => OutcomeChoice::Refused {
                reason: match reason {
                    R::NoLongerNeeded => RefusalCode::NoLongerNeeded,
                    R::AcceptedElsewhere => RefusalCode::AcceptedElsewhere,
                    R::ScheduleOrDistance => RefusalCode::ScheduleOrDistance,
                    R::StartEarlierThanWanted => RefusalCode::StartEarlierThanWanted,
                    R::ChildHealth => RefusalCode::ChildHealth,
                    R::Other => RefusalCode::Other,
                },
            },
        }
    }
}

/// Where an outbox entry stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, specta::Type)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum OutboxStateView {
    /// Waiting to be sent.
    Pending,
    /// Acknowledged by the service.
    Sent,
    /// Refused because things changed; `code` is the service's reason.
    Conflict {
        /// The service's code (e.g. `referral_closed`).
        code: String,
    },
}

/// One recorded outcome.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct OutboxView {
    /// The referral answered.
    pub referral_id: String,
    /// The answer.
    pub outcome: OutcomeChoice,
    /// RFC 3339 time it was recorded.
    pub recorded_at: String,
    /// Where it stands.
    pub state: OutboxStateView,
}

impl From<OutboxEntry> for OutboxView {
    fn from(entry: OutboxEntry) -> Self {
        OutboxView {
            referral_id: entry.referral_id.to_string(),
            outcome: entry.outcome.into(),
            recorded_at: entry.created_at.to_rfc3339(),
            state: entry.state.into(),
        }
    }
}

impl From<OutboxState> for OutboxStateView {
    fn from(state: OutboxState) -> Self {
        match state {
            OutboxState::Pending => OutboxStateView::Pending,
            OutboxState::Sent => OutboxStateView::Sent,
            OutboxState::Conflict { code } => OutboxStateView::Conflict { code },
        }
    }
}

/// A finished sync: outcomes sent first, then referrals pulled.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
pub struct SyncSummary {
    /// Referrals received.
    pub referrals: u32,
    /// Pages applied.
    pub pages: u32,
    /// Outcomes sent.
    pub sent: u32,
    /// Outcomes refused as conflicts.
    pub conflicts: u32,
}

impl SyncSummary {
    /// The summary of a flush then a sync.
    pub fn new(flushed: FlushReport, synced: SyncProgress) -> Self {
        SyncSummary {
            referrals: u32::try_from(synced.referrals).unwrap_or(u32::MAX),
            pages: synced.pages,
            sent: flushed.sent,
            conflicts: flushed.conflicts,
        }
    }
}

/// What a flush did.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
pub struct FlushView {
    /// Outcomes the service acknowledged.
    pub sent: u32,
    /// Outcomes refused as conflicts.
    pub conflicts: u32,
}

impl From<FlushReport> for FlushView {
    fn from(report: FlushReport) -> Self {
        FlushView {
            sent: report.sent,
            conflicts: report.conflicts,
        }
    }
}
