//! The referral engine: which registrations a vacancy is referred, in the regulated order.
//!
//! The rules are `crates/domain`'s, never re-implemented here: `referable_to_vacancy` decides
//! who qualifies for the vacancy's age class and start date, `rank_candidates` orders them (with
//! the priority quota) and explains each rank. The engine keeps the first
//! [`REFERRALS_PER_PLACE`] candidates per place, so a daycare never sees more of the list than
//! it needs to fill its places.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{
    rank_candidates, referable_to_vacancy, Candidate, CandidateInput, Capacity, OfferOutcome,
    RegistrationStatus, RuleSet,
};
use placeforte_protocol::checks::check_vacancy;
use placeforte_protocol::referrals::{
    DeclareVacancy, RankExplanation, RankStanding, ReferralStatus, ReferralSyncItem,
};
use placeforte_protocol::{ReferralId, VacancyId};

use crate::error::ApiFailure;
use crate::identity::DeviceIdentity;
use crate::store::{
    AuditEvent, CandidateRecord, ReferralRecord, ReferralSyncRow, StoreError, VacancyRecord,
};

/// Candidates referred per place: enough to fill a place when some families refuse, few
/// enough that a daycare never holds much of the list.
pub const REFERRALS_PER_PLACE: u32 = 3;

/// Checks a declaration and makes the vacancy it describes.
pub fn vacancy_from_request(
    request: DeclareVacancy,
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
    rules: &RuleSet,
) -> Result<VacancyRecord, ApiFailure> {
    check_vacancy(
        request.places,
        request.start_date,
        request.group_label.as_deref(),
        now,
        rules,
    )?;
    Ok(VacancyRecord {
        id: VacancyId::random(),
        daycare_id: identity.certificate.daycare_id,
        age_class: request.age_class,
        places: request.places,
        start_date: request.start_date,
        group_label: request.group_label,
        declared_at: now,
        declared_by: identity.certificate.device_id,
    })
}

/// The referrals for `vacancy` among `candidates`, best first, each with its rank reason.
pub fn plan_referrals(
    vacancy: &VacancyRecord,
    candidates: Vec<CandidateRecord>,
    now: DateTime<Utc>,
    rules: &RuleSet,
) -> Result<Vec<ReferralRecord>, serde_json::Error> {
    let today = now.date_naive();
    let qualified: Vec<Candidate<placeforte_protocol::RegistrationId>> = candidates
        .into_iter()
        .filter_map(|c| {
            let id = c.registration_id;
            let candidate = Candidate::parse(
                CandidateInput {
                    key: id,
                    birth_date: c.birth_date,
                    desired_entry: c.desired_entry_date,
                    registered_on: c.registered_on,
                    facts: c.facts,
                    priority: c.priority,
                },
                today,
            );
            match candidate {
                Ok(candidate) => Some(candidate),
                Err(error) => {
                    // Only the id: the registration's dates are personal data.
                    tracing::warn!(registration = %id, code = ?error, "stored registration skipped: inconsistent dates");
                    None
                }
            }
        })
        .filter(|c| {
            referable_to_vacancy(
                c.birth(),
                c.desired_entry(),
                vacancy.age_class,
                vacancy.start_date,
                rules,
            )
            .is_ok()
        })
        .collect();
    let ranked = match rank_candidates(&qualified, Capacity::from(vacancy.places), today, rules) {
        Ok(ranked) => ranked,
        Err(error) => {
            // Keys are unique registration ids, so this cannot happen; refer no one rather
            // than out of order.
            tracing::error!(?error, "ranking failed");
            return Ok(Vec::new());
        }
    };
    // The family's deadline is a Québec date: from the evening there, UTC is already
    // tomorrow, and the deadline would be a day late.
    let answer_by = answer_by(placeforte_domain::quebec_today(now), rules);
    let limit =
        usize::try_from(vacancy.places.saturating_mul(REFERRALS_PER_PLACE)).unwrap_or(usize::MAX);
    ranked
        .into_iter()
        .take(limit)
        .map(|ranked| {
            Ok(ReferralRecord {
                id: ReferralId::random(),
                vacancy_id: vacancy.id,
                daycare_id: vacancy.daycare_id,
                registration_id: ranked.key,
                status: ReferralStatus::Open.code().to_owned(),
                rank: ranked.rank,
                rank_reason: serde_json::to_string(&ranked.reason)?,
                answer_by,
                referred_at: now,
            })
        })
        .collect()
}

/// The day a family referred on `today` (a Québec date) must answer by: the offer expires at the
/// end of that day in Québec ([`crate::expiry::is_expired`]).
pub fn answer_by(today: NaiveDate, rules: &RuleSet) -> NaiveDate {
    today + chrono::Duration::days(i64::from(rules.offers.answer_within_days.value))
}

/// The audit event of a declaration: the vacancy and every referral made.
pub fn declaration_event(
    vacancy: &VacancyRecord,
    referrals: &[ReferralRecord],
    identity: &DeviceIdentity,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        vacancy.declared_at,
        format!("device:{}", identity.certificate.device_id),
        "vacancy.declared",
        format!("vacancy:{}", vacancy.id),
    )
    .for_daycare(vacancy.daycare_id);
    event.referral_ids = referrals.iter().map(|r| r.id).collect();
    event
}

/// A delta-sync cursor: the change sequence and id of the last referral sent. Opaque to the
/// client; only this module reads or writes its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    /// Change sequence of the last referral sent.
    pub change_seq: i64,
    /// Its id (orders referrals sharing one change).
    pub id: uuid::Uuid,
}

impl Cursor {
    /// Before every change.
    pub const START: Cursor = Cursor {
        change_seq: -1,
        id: uuid::Uuid::nil(),
    };

    /// Parses a cursor this service wrote; anything else is `None`.
    pub fn parse(text: &str) -> Option<Cursor> {
        let (seq, id) = text.split_once('.')?;
        if seq.is_empty() || !seq.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        Some(Cursor {
            change_seq: seq.parse().ok()?,
            id: uuid::Uuid::try_parse(id).ok()?,
        })
    }
}

impl std::fmt::Display for Cursor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}", self.change_seq.max(0), self.id.simple())
    }
}

/// The parts of the stored rank reason a sync item carries.
#[derive(Debug, serde::Deserialize)]
struct StoredRankReason {
    category: placeforte_domain::Category,
    days_since_desired_entry: i64,
    priority: bool,
    category_order_rank: u32,
    standing: RankStanding,
    rule_set: String,
}

/// The cache's view of a referral: label = given name and family initial, nothing more.
pub fn sync_item(row: &ReferralSyncRow) -> Result<ReferralSyncItem, StoreError> {
    let reason: StoredRankReason = serde_json::from_str(&row.rank_reason)
        .map_err(|_| StoreError::Corrupt(format!("rank reason of referral {}", row.id)))?;
    let status = ReferralStatus::from_code(&row.status)
        .ok_or_else(|| StoreError::Corrupt(format!("status of referral {}", row.id)))?;
    let label = match row.child_family_name.chars().next() {
        Some(initial) => format!("{} {initial}.", row.child_given_name),
        None => row.child_given_name.clone(),
    };
    Ok(ReferralSyncItem {
        referral_id: row.id,
        vacancy_id: row.vacancy_id,
        status,
        answer_by: row.answer_by,
        label,
        birth_date: row.birth_date,
        desired_entry_date: row.desired_entry_date,
        category: reason.category.number(),
        priority: reason.priority,
        sibling_referral_id: row.sibling,
        rank_reason: RankExplanation {
            rank: row.rank,
            category_order_rank: reason.category_order_rank,
            days_since_desired_entry: reason.days_since_desired_entry,
            standing: reason.standing,
            rule_set: reason.rule_set,
        },
    })
}

/// Audit action of a delta-sync page; its subject is `referrals:<count>`.
pub const SYNC_ACTION: &str = "referrals.synced";

/// The audit event of a sync page: every referral whose personal fields were sent.
pub fn sync_event(
    rows: &[ReferralSyncRow],
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
) -> AuditEvent {
    let mut event = AuditEvent::new(
        now,
        format!("device:{}", identity.certificate.device_id),
        SYNC_ACTION,
        format!("referrals:{}", rows.len()),
    )
    .for_daycare(identity.certificate.daycare_id);
    event.referral_ids = rows.iter().map(|r| r.id).collect();
    event
}

/// Stable code of a registration status (storage).
pub fn registration_status_code(status: RegistrationStatus) -> &'static str {
    match status {
        RegistrationStatus::Waiting => "waiting",
        RegistrationStatus::Suspended => "suspended",
        RegistrationStatus::Withdrawn => "withdrawn",
        RegistrationStatus::Placed => "placed",
    }
}

/// The registration status with this code.
pub fn registration_status_from_code(code: &str) -> Option<RegistrationStatus> {
    [
        RegistrationStatus::Waiting,
        RegistrationStatus::Suspended,
        RegistrationStatus::Withdrawn,
        RegistrationStatus::Placed,
    ]
    .into_iter()
    .find(|s| registration_status_code(*s) == code)
}

/// The audit reason code of an outcome (`refused:<reason>` carries the regulated reason).
pub fn outcome_code(outcome: OfferOutcome) -> String {
    match outcome {
        OfferOutcome::Accepted => "accepted".to_owned(),
        OfferOutcome::Refused { reason } => format!("refused:{}", reason.code()),
        OfferOutcome::NoAnswerByDeadline => "no_answer_by_deadline".to_owned(),
    }
}
