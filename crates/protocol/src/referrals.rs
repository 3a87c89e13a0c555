//! Vacancies and the referrals the service makes for them.
//!
//! A daycare declares vacancies; the service refers candidates in the regulated order. What a
//! referral carries is exactly the desktop cache's inventory (DESIGN.md section 5): never a full
//! name, an address, contact details or a priority basis.

use placeforte_domain::{AgeClass, OfferOutcome, RefusalReason};
use serde::{Deserialize, Serialize};

use crate::{Date, ReferralId, VacancyId};

/// Path of the vacancy declaration endpoint (API listener).
pub const VACANCIES_PATH: &str = "/v1/vacancies";

/// Longest group label accepted, in characters.
pub const MAX_GROUP_LABEL_CHARS: usize = 60;

/// `POST /v1/vacancies`: places of one age class free from a start date.
///
/// The key is made once per declaration by the sender (the desktop's outbox) and sent again
/// with every retry: the service declares the vacancy once and answers every retry the same
/// way; the same key with a different declaration is refused (`idempotency_key_reused`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeclareVacancy {
    /// Idempotency key (a random UUID per declaration).
    pub idempotency_key: uuid::Uuid,
    /// The age class of the places.
    pub age_class: AgeClass,
    /// How many places (1 to the installation's cap).
    pub places: u32,
    /// The first day of the places.
    pub start_date: Date,
    /// The daycare's own name for the group, if any (no personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_label: Option<String>,
}

/// The answer to a declaration: the vacancy and how many referrals it got (the same for every
/// retry with its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct VacancyDeclared {
    /// The new vacancy.
    pub vacancy_id: VacancyId,
    /// Referrals made now (fewer than asked for when fewer candidates qualify).
    pub referrals: u32,
    /// The day by which the referred families must answer (a Québec date): the offers expire
    /// at the end of that day in Québec, and the service's clock applies the missed deadline.
    pub answer_by: Date,
}

/// Path of the delta sync of the caller's referrals (API listener): `GET` with `since` (the
/// cursor of the last page, absent the first time) and `limit`.
pub const REFERRALS_PATH: &str = "/v1/referrals";

/// Referrals per sync page when the caller does not say.
pub const DEFAULT_SYNC_PAGE: u32 = 200;

/// Most referrals per sync page; a larger `limit` is refused (`page_too_large`).
pub const MAX_SYNC_PAGE: u32 = 500;

/// Where a referral stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum ReferralStatus {
    /// Waiting for the family's answer.
    Open,
    /// The family accepted the place.
    Accepted,
    /// The family refused.
    Refused,
    /// The family did not answer by the deadline.
    NoAnswer,
    /// Closed by something else: the child was placed elsewhere or the request withdrawn.
    Closed,
}

impl ReferralStatus {
    /// Stable code (storage and wire).
    pub fn code(self) -> &'static str {
        match self {
            ReferralStatus::Open => "open",
            ReferralStatus::Accepted => "accepted",
            ReferralStatus::Refused => "refused",
            ReferralStatus::NoAnswer => "no_answer",
            ReferralStatus::Closed => "closed",
        }
    }

    /// The status with this code.
    pub fn from_code(code: &str) -> Option<ReferralStatus> {
        [
            ReferralStatus::Open,
            ReferralStatus::Accepted,
            ReferralStatus::Refused,
            ReferralStatus::NoAnswer,
            ReferralStatus::Closed,
        ]
        .into_iter()
        .find(|s| s.code() == code)
    }
}

/// Where the candidate stood relative to the vacancy's places when ranked: the domain's own
/// type, so the stored, sent and shown standings cannot drift apart.
pub use placeforte_domain::Standing as RankStanding;

/// Why a referral has its rank: the domain's rank reason without the dates the cache does not
/// keep (the registration date) and never the priority basis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankExplanation {
    /// 1-based rank among the vacancy's candidates.
    pub rank: u32,
    /// 1-based position on the category order alone, before the quota.
    pub category_order_rank: u32,
    /// Days from the desired entry date to the ranking day.
    pub days_since_desired_entry: i64,
    /// Where it stood relative to the places.
    pub standing: RankStanding,
    /// The rule set that ranked it.
    pub rule_set: String,
}

/// One referral as the desktop cache keeps it: exactly DESIGN.md section 5's fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferralSyncItem {
    /// Opaque referral id.
    pub referral_id: ReferralId,
    /// The vacancy it fills.
    pub vacancy_id: VacancyId,
    /// Where it stands.
    pub status: ReferralStatus,
    /// The day the family must answer by (a Québec date). The offer expires at the end of that
    /// day in Québec (`placeforte_domain::end_of_quebec_day`); an answer reaching the service
    /// from then on is refused with `offer_expired` (409), and the service's clock makes the
    /// referral `no_answer` itself.
    pub answer_by: Date,
    /// Given name and family initial ("Léa T."), for the screen.
    pub label: String,
    /// Birth date.
    pub birth_date: Date,
    /// Desired entry date.
    pub desired_entry_date: Date,
    /// Referral category, 1 to 5.
    pub category: u8,
    /// Whether it is a priority referral (never the basis).
    pub priority: bool,
    /// Another referral to this daycare of a child at the same address.
    pub sibling_referral_id: Option<ReferralId>,
    /// Why it has its rank.
    pub rank_reason: RankExplanation,
}

/// The offline periods an operator may set (days): at least a day (a workstation must survive
/// a night without the network), at most a month (a lost computer must not keep families' data
/// for a season). A page with another value is refused by the workstation.
pub const OFFLINE_PERIOD_DAYS: std::ops::RangeInclusive<u32> = 1..=30;

/// One page of the delta sync.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ReferralPage {
    /// Referrals changed since the cursor, oldest change first.
    pub referrals: Vec<ReferralSyncItem>,
    /// Pass as `since` next time (opaque). Unchanged when the page is empty.
    pub cursor: String,
    /// Whether more changes wait: ask again at once with the new cursor.
    pub more: bool,
    /// How many changes still wait after this page (for a progress bar: what a sync has
    /// received plus this is its total). Zero exactly when `more` is false.
    pub remaining: u64,
    /// The operator's offline period: days the workstation may keep its cache without a
    /// successful sync before it wipes it (families' data; its unsent answers are kept).
    pub offline_period_days: u32,
}

/// Path of the de-identified demand figures (API listener).
pub const DEMAND_PATH: &str = "/v1/demand";

/// Counts under this are shown as [`SUPPRESSED_COUNT`], so a figure never points at a family.
pub const SMALLEST_SHOWN_COUNT: u32 = 5;

/// How a suppressed count reads.
pub const SUPPRESSED_COUNT: &str = "<5";

/// `GET /v1/demand`: children waiting for the caller's daycare, by age class and month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DemandReport {
    /// The day the figures were computed.
    pub as_of: Date,
    /// One cell per age class and start month that has any child; no empty cells.
    pub cells: Vec<DemandCell>,
}

/// Children waiting in one age class for one start month.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DemandCell {
    /// The age class the children will be in on the first day of the month.
    pub age_class: AgeClass,
    /// `YYYY-MM`: the desired entry month (this month for dates already past).
    pub start_month: String,
    /// The count in decimal, or `"<5"` for 1 to 4 children.
    pub children: String,
}

/// Path of the outcome endpoint (API listener); `{id}` is a referral id.
pub const OUTCOME_PATH: &str = "/v1/referrals/{id}/outcome";

/// `POST /v1/referrals/{id}/outcome`: what the family answered.
///
/// The key is made once per outcome by the sender (the desktop's outbox) and sent again with
/// every retry: the service applies an outcome once and answers every retry the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RecordOutcome {
    /// Idempotency key (a random UUID per outcome).
    pub idempotency_key: uuid::Uuid,
    /// The outcome: `{"kind":"accepted"}`, `{"kind":"refused","reason":"…"}` or
    /// `{"kind":"no_answer_by_deadline"}`. The service reads it as [`Outcome`], which refuses
    /// unknown fields; the JSON is the same. `no_answer_by_deadline` is refused before the
    /// offer expires (`deadline_not_reached`); from then on the service's clock has applied it
    /// and the daycare's word is only acknowledged.
    #[cfg_attr(feature = "openapi", schema(value_type = Outcome))]
    pub outcome: OfferOutcome,
}

/// An offer's outcome on the wire: the domain's `OfferOutcome`, same JSON, refusing unknown
/// fields (the domain type, not being a wire type, does not). The variants without data are
/// empty struct variants because serde ignores `deny_unknown_fields` on unit variants of an
/// internally tagged enum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum Outcome {
    /// The family accepted the place.
    Accepted {},
    /// The family refused, for a regulated reason.
    Refused {
        /// The reason given.
        reason: RefusalReason,
    },
    /// The family did not answer by the deadline.
    NoAnswerByDeadline {},
}

impl From<Outcome> for OfferOutcome {
    fn from(outcome: Outcome) -> OfferOutcome {
        match outcome {
            Outcome::Accepted {} => OfferOutcome::Accepted,
            Outcome::Refused { reason } => OfferOutcome::Refused { reason },
            Outcome::NoAnswerByDeadline {} => OfferOutcome::NoAnswerByDeadline,
        }
    }
}

/// The answer to an outcome (the same for every retry with its key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OutcomeRecorded {
    /// The referral.
    pub referral_id: ReferralId,
    /// Its status now.
    pub status: ReferralStatus,
    /// Referrals made to fill places this outcome left open, at this daycare or others.
    pub further_referrals: u32,
    /// Whether the answer reaches beyond this referral (placing, suspending or withdrawing the
    /// family) and waits for the family's or the operator's confirmation. Absent from older
    /// services' answers: then `false`.
    #[serde(default)]
    pub pending_confirmation: bool,
}

/// Path of the contact reveal (API listener); `{id}` is a referral id.
pub const CONTACT_PATH: &str = "/v1/referrals/{id}/contact";

/// Longest free-text note on a reveal, in characters.
pub const MAX_REVEAL_NOTE_CHARS: usize = 200;

/// Why a director needs a family's contact details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum RevealReason {
    /// To call the family about the offered place.
    OfferCall,
    /// To follow up on an earlier call.
    FollowUp,
    /// To prepare the admission once the place is accepted.
    AdmissionPaperwork,
    /// Anything else (the note says what).
    Other,
}

impl RevealReason {
    /// Every reason, in the order a screen lists them.
    pub const ALL: [RevealReason; 4] = [
        RevealReason::OfferCall,
        RevealReason::FollowUp,
        RevealReason::AdmissionPaperwork,
        RevealReason::Other,
    ];

    /// Stable code (audit log, i18n key).
    pub fn code(self) -> &'static str {
        match self {
            RevealReason::OfferCall => "offer_call",
            RevealReason::FollowUp => "follow_up",
            RevealReason::AdmissionPaperwork => "admission_paperwork",
            RevealReason::Other => "other",
        }
    }
}

/// `POST /v1/referrals/{id}/contact`: the reason for the reveal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealContact {
    /// From the list.
    pub reason: RevealReason,
    /// Free text, at most [`MAX_REVEAL_NOTE_CHARS`] characters; required with `other`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// The answer to a reveal: held in memory by the app, never cached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContactDetails {
    /// The referral.
    pub referral_id: ReferralId,
    /// The child's given name.
    pub child_given_name: String,
    /// The child's family name.
    pub child_family_name: String,
    /// A parent's given name.
    pub parent_given_name: String,
    /// A parent's family name.
    pub parent_family_name: String,
    /// A parent's phone number.
    pub parent_phone: String,
    /// A parent's e-mail address.
    pub parent_email: String,
    /// The priority basis (shown only here).
    pub priority_basis: placeforte_domain::PriorityBasis,
}
