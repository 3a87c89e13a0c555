//! The referral engine: which registrations a vacancy is referred, in the regulated order.
//!
//! The rules are `crates/domain`'s, never re-implemented here: `referable_to_vacancy` decides
//! who qualifies for the vacancy's age class and start date, `rank_candidates` orders them (with
//! the priority quota) and explains each rank. The engine keeps the first
//! [`REFERRALS_PER_PLACE`] candidates per place, so a daycare never sees more of the list than
//! it needs to fill its places.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{
    rank_candidates, referable_to_vacancy, Candidate, CandidateInput, Capacity, RuleSet,
};
use placeforte_protocol::referrals::{DeclareVacancy, MAX_GROUP_LABEL_CHARS};
use placeforte_protocol::{ReferralId, VacancyId};

use crate::error::ApiFailure;
use crate::identity::DeviceIdentity;
use crate::store::{AuditEvent, CandidateRecord, ReferralRecord, VacancyRecord};

/// Candidates referred per place: enough to fill a place when some families refuse, few
/// enough that a daycare never holds much of the list.
pub const REFERRALS_PER_PLACE: u32 = 3;

/// Status of a referral no outcome has closed yet.
pub const OPEN: &str = "open";

/// Checks a declaration and makes the vacancy it describes.
pub fn vacancy_from_request(
    request: DeclareVacancy,
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
    rules: &RuleSet,
) -> Result<VacancyRecord, ApiFailure> {
    let max_places = rules.installation_max_children.value;
    if request.places == 0 || request.places > max_places {
        return Err(ApiFailure::InvalidVacancy(
            "places must be between 1 and the installation's cap",
        ));
    }
    if request.start_date < now.date_naive() {
        return Err(ApiFailure::InvalidVacancy("the start date is in the past"));
    }
    if let Some(label) = &request.group_label {
        if label.chars().count() > MAX_GROUP_LABEL_CHARS || label.chars().any(char::is_control) {
            return Err(ApiFailure::InvalidVacancy(
                "the group label is too long or holds control characters",
            ));
        }
    }
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
) -> Vec<ReferralRecord> {
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
            return Vec::new();
        }
    };
    let answer_by = answer_by(today, rules);
    let limit =
        usize::try_from(vacancy.places.saturating_mul(REFERRALS_PER_PLACE)).unwrap_or(usize::MAX);
    ranked
        .into_iter()
        .take(limit)
        .map(|ranked| ReferralRecord {
            id: ReferralId::random(),
            vacancy_id: vacancy.id,
            daycare_id: vacancy.daycare_id,
            registration_id: ranked.key,
            status: OPEN.to_owned(),
            rank: ranked.rank,
            rank_reason: serde_json::to_string(&ranked.reason).unwrap_or_default(),
            answer_by,
            referred_at: now,
        })
        .collect()
}

/// The day a family referred on `today` must answer by.
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
