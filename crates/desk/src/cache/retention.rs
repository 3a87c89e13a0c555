//! Personal data leaves the workstation on time (Law 25: s. 73, P-39.1 s. 23; the
//! periods are rule-set data, `placeforte_domain::RetentionRules`).
//!
//! - A decided referral (accepted, refused, no answer, closed) leaves the cache
//!   `desk_decided_referral_days` after its answer-by day — the day by which it was decided —
//!   with the planning pins, sibling wishes and shown notices that name it. One with an answer
//!   still waiting in the outbox stays until the answer is sent: unsent answers are never lost.
//!   The service keeps the record; a reopened referral comes back with the next sync.
//! - The children imported for group planning serve the school year they were imported to
//!   plan (the year after the import's, as the planning screen plans it); when it has ended,
//!   they leave, with their pins and sibling wishes.
//!
//! [`Cache::apply_retention`] runs when the cache is opened (`LocalData::open`) and after each
//! sync, with the caller's clock.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use placeforte_domain::{quebec_rules_on, quebec_today, school_year_end};
use placeforte_protocol::referrals::ReferralStatus;

use super::Cache;
use crate::planning::{next_school_year_start, PlanChildKey};
use crate::DeskError;

/// What one retention pass removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CacheRetention {
    /// Decided referrals removed.
    pub referrals: u64,
    /// Imported children removed (their school year ended).
    pub enrolled_children: u64,
}

/// Decided referrals whose answer-by day is before this one have had their period at `today`.
pub(crate) fn decided_referrals_kept_from(today: NaiveDate) -> NaiveDate {
    let days = quebec_rules_on(today)
        .retention
        .desk_decided_referral_days
        .value;
    today - Duration::days(i64::from(days))
}

/// The first day the children imported to plan the year starting `planned_year_start` are no
/// longer needed: the day after that school year ends.
pub(crate) fn imported_children_leave_on(planned_year_start: NaiveDate) -> NaiveDate {
    let end = school_year_end(planned_year_start, quebec_rules_on(planned_year_start));
    end.succ_opt().unwrap_or(end)
}

impl Cache {
    /// Removes what has outlived its period at `now` (see the module), in one transaction.
    pub async fn apply_retention(&self, now: DateTime<Utc>) -> Result<CacheRetention, DeskError> {
        let today = quebec_today(now);
        let mut tx = self.pool.begin().await?;
        let due: Vec<String> = sqlx::query_scalar(
            "SELECT referral_id FROM referral WHERE status <> ? AND answer_by < ? \
             AND NOT EXISTS (SELECT 1 FROM outbox WHERE outbox.referral_id = referral.referral_id \
             AND outbox.state = 'pending')",
        )
        .bind(ReferralStatus::Open.code())
        .bind(decided_referrals_kept_from(today))
        .fetch_all(&mut *tx)
        .await?;
        for id in &due {
            let key = format!("r:{id}");
            sqlx::query("DELETE FROM planning_pin WHERE child_key = ?")
                .bind(&key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM planning_sibling WHERE child_a = ?1 OR child_b = ?1")
                .bind(&key)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM notice_shown WHERE referral_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
            sqlx::query(
                "UPDATE referral SET sibling_referral_id = NULL WHERE sibling_referral_id = ?",
            )
            .bind(id)
            .execute(&mut *tx)
            .await?;
            sqlx::query("DELETE FROM referral WHERE referral_id = ?")
                .bind(id)
                .execute(&mut *tx)
                .await?;
        }
        // The import the children came with: noted the first time they are seen.
        sqlx::query(
            "INSERT INTO enrolled_child_import (id, planned_year_start) \
             SELECT 1, ? WHERE EXISTS (SELECT 1 FROM enrolled_child) \
             AND NOT EXISTS (SELECT 1 FROM enrolled_child_import)",
        )
        .bind(next_school_year_start(today))
        .execute(&mut *tx)
        .await?;
        let planned: Option<NaiveDate> =
            sqlx::query_scalar("SELECT planned_year_start FROM enrolled_child_import WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?;
        let mut enrolled_children = 0;
        if planned.is_some_and(|start| today >= imported_children_leave_on(start)) {
            enrolled_children = sqlx::query("DELETE FROM enrolled_child")
                .execute(&mut *tx)
                .await?
                .rows_affected();
            sqlx::query("DELETE FROM planning_pin WHERE child_key LIKE ?")
                .bind(PlanChildKey::ENTERED_LIKE)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM planning_sibling WHERE child_a LIKE ?1 OR child_b LIKE ?1")
                .bind(PlanChildKey::ENTERED_LIKE)
                .execute(&mut *tx)
                .await?;
            sqlx::query("DELETE FROM enrolled_child_import")
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(CacheRetention {
            referrals: u64::try_from(due.len()).unwrap_or(u64::MAX),
            enrolled_children,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
    }

    #[test]
    fn children_imported_in_june_serve_the_next_school_year_then_leave() {
        let planned = next_school_year_start(day(2026, 6, 10));
        assert_eq!(planned, day(2026, 9, 1));
        assert_eq!(imported_children_leave_on(planned), day(2027, 9, 1));
    }

    #[test]
    fn decided_referrals_are_kept_the_rule_sets_days() {
        let today = day(2026, 12, 1);
        let days = quebec_rules_on(today)
            .retention
            .desk_decided_referral_days
            .value;
        assert_eq!(
            decided_referrals_kept_from(today),
            today - Duration::days(i64::from(days))
        );
    }
}
