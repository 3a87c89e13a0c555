//! A cached referral as the referral screens show it: the data inventory's minimal fields,
//! with the rank explanation flattened, the age class on the desired entry date, and the
//! outcome recorded here and not yet acknowledged.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{
    age_class, end_of_quebec_day, quebec_rules_on, AgeClass, BirthDate, OfferOutcome,
};
use placeforte_protocol::referrals::{RankStanding, ReferralStatus, ReferralSyncItem};
use placeforte_protocol::{ReferralId, VacancyId};
use serde::Serialize;

use crate::cache::{Cache, Outgoing};
use crate::DeskError;

/// One referral: the data inventory's minimal fields, nothing more (never the rule set or the
/// registration's dates), with what the screens compute from them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReferralView {
    /// Opaque id.
    pub referral_id: ReferralId,
    /// The vacancy it fills.
    pub vacancy_id: VacancyId,
    /// Where it stands on the service (as of the last sync).
    pub status: ReferralStatus,
    /// The family must answer by this date.
    pub answer_by: NaiveDate,
    /// The instant the offer expires: midnight in Québec ending `answer_by`, when the service
    /// stops taking an answer (the screens count down to it).
    pub answer_deadline: DateTime<Utc>,
    /// Given name + family initial.
    pub label: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Desired entry date.
    pub desired_entry_date: NaiveDate,
    /// Age class on the desired entry date.
    pub age_class: Option<AgeClass>,
    /// Referral category, 1 (first served) to 5.
    pub category: u8,
    /// A priority referral (the basis is never cached).
    pub priority: bool,
    /// A sibling's referral.
    pub sibling_referral_id: Option<ReferralId>,
    /// 1-based rank among the vacancy's candidates.
    pub rank: u32,
    /// Rank on the category order alone.
    pub category_order_rank: u32,
    /// Days from the desired entry date to the ranking day.
    pub days_waiting: i32,
    /// Standing relative to the places.
    pub standing: RankStanding,
    /// An outcome recorded here and not yet acknowledged by the service.
    pub pending_outcome: Option<OfferOutcome>,
}

impl ReferralView {
    /// The view of a cached referral, with its pending outcome if any.
    pub fn new(item: ReferralSyncItem, pending: Option<OfferOutcome>) -> Self {
        let entry = item.desired_entry_date;
        let class = BirthDate::new(item.birth_date, entry)
            .ok()
            .and_then(|birth| age_class(birth, entry, quebec_rules_on(entry)).ok());
        ReferralView {
            referral_id: item.referral_id,
            vacancy_id: item.vacancy_id,
            status: item.status,
            answer_by: item.answer_by,
            answer_deadline: end_of_quebec_day(item.answer_by),
            label: item.label,
            birth_date: item.birth_date,
            desired_entry_date: entry,
            age_class: class,
            category: item.category,
            priority: item.priority,
            sibling_referral_id: item.sibling_referral_id,
            rank: item.rank_reason.rank,
            category_order_rank: item.rank_reason.category_order_rank,
            days_waiting: i32::try_from(item.rank_reason.days_since_desired_entry)
                .unwrap_or(i32::MAX),
            standing: item.rank_reason.standing,
            pending_outcome: pending,
        }
    }
}

impl Cache {
    /// Every cached referral as the screens show it, with the outcome recorded here and not
    /// yet acknowledged.
    pub async fn referral_views(&self) -> Result<Vec<ReferralView>, DeskError> {
        let pending: HashMap<ReferralId, OfferOutcome> = self
            .pending_outbox()
            .await?
            .into_iter()
            .filter_map(|entry| match entry {
                Outgoing::Outcome(entry) => Some((entry.referral_id, entry.outcome)),
                Outgoing::Vacancy(_) => None,
            })
            .collect();
        Ok(self
            .referrals()
            .await?
            .into_iter()
            .map(|r| {
                let outcome = pending.get(&r.referral_id).copied();
                ReferralView::new(r, outcome)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use placeforte_domain::RefusalReason;
    use placeforte_protocol::referrals::RankExplanation;

    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    fn item(birth: NaiveDate, entry: NaiveDate, days: i64) -> ReferralSyncItem {
        ReferralSyncItem {
            referral_id: ReferralId::random(),
            vacancy_id: VacancyId::random(),
            status: ReferralStatus::Open,
            answer_by: d(2026, 6, 15),
            label: "Léa T.".into(),
            birth_date: birth,
            desired_entry_date: entry,
            category: 2,
            priority: true,
            sibling_referral_id: None,
            rank_reason: RankExplanation {
                rank: 3,
                category_order_rank: 4,
                days_since_desired_entry: days,
                standing: RankStanding::PriorityQuota { seat: 1, seats: 2 },
                rule_set: "qc-2025".into(),
            },
        }
    }

    #[test]
    fn the_age_class_is_the_one_on_the_desired_entry_date() {
        // Seventeen months on 2026-08-01, eighteen on 2026-09-01.
        let birth = d(2025, 3, 1);
        let early = ReferralView::new(item(birth, d(2026, 8, 1), 10), None);
        assert_eq!(early.age_class, Some(AgeClass::Under18Months));
        let later = ReferralView::new(item(birth, d(2026, 9, 1), 10), None);
        assert_eq!(later.age_class, Some(AgeClass::From18MonthsTo4Years));
        // Born after the desired entry date: no class rather than a wrong one.
        let unborn = ReferralView::new(item(d(2026, 10, 1), d(2026, 9, 1), 0), None);
        assert_eq!(unborn.age_class, None);
    }

    #[test]
    fn the_rank_is_flattened_and_the_pending_outcome_attached() {
        let outcome = OfferOutcome::Refused {
            reason: RefusalReason::ChildHealth,
        };
        let cached = item(d(2024, 1, 1), d(2026, 9, 1), i64::MAX);
        let id = cached.referral_id;
        let view = ReferralView::new(cached, Some(outcome));
        assert_eq!((view.rank, view.category_order_rank), (3, 4));
        assert_eq!(view.days_waiting, i32::MAX);
        let json = serde_json::to_value(&view).unwrap();
        assert_eq!(json["referral_id"], id.to_string());
        assert_eq!(json["answer_by"], "2026-06-15");
        // June: Québec is on daylight time (UTC−4), so its midnight is 04:00 UTC.
        assert_eq!(json["answer_deadline"], "2026-06-16T04:00:00Z");
        assert_eq!(
            json["standing"],
            serde_json::json!({ "kind": "priority_quota", "seat": 1, "seats": 2 })
        );
        assert_eq!(
            json["pending_outcome"],
            serde_json::json!({ "kind": "refused", "reason": "child_health" })
        );
        assert!(json.get("rule_set").is_none() && json.get("rank_reason").is_none());
    }
}
