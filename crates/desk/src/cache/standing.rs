//! What the cache keeps about itself rather than about families: the offline period the
//! service set, the daycare it belongs to, and the unsent work carried through a wipe that did
//! not have to destroy it.

use chrono::Duration;
use placeforte_protocol::DaycareId;

use super::Cache;
use crate::error::DeskError;

/// The outbox entries not yet acknowledged (pending, or refused and kept for the director)
/// and the vacancy declarations they send, as stored, taken out of a cache about to be wiped.
///
/// The data inventory allows it (docs/data-inventory.md): these rows hold opaque ids, outcome
/// codes, idempotency keys, and vacancies' age class, places, dates and group label — no
/// personal data, nothing of a family but the referral's opaque id.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UnsentWork {
    outbox: Vec<OutboxRow>,
    vacancies: Vec<VacancyRow>,
}

type OutboxRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
);

type VacancyRow = (
    String,
    String,
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
);

impl UnsentWork {
    /// How many outbox entries (answers and declarations) it holds.
    pub fn len(&self) -> usize {
        self.outbox.len()
    }

    /// Whether there is nothing to carry.
    pub fn is_empty(&self) -> bool {
        self.outbox.is_empty()
    }
}

impl Cache {
    /// The offline period the service set at the last sync that carried one.
    pub async fn offline_period(&self) -> Result<Option<Duration>, DeskError> {
        let days: Option<i64> =
            sqlx::query_scalar("SELECT offline_period_days FROM sync_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        Ok(days.map(Duration::days))
    }

    /// Keeps the offline period the service sent with a sync.
    pub async fn record_offline_period(&self, days: u32) -> Result<(), DeskError> {
        sqlx::query("UPDATE sync_state SET offline_period_days = ? WHERE id = 1")
            .bind(i64::from(days))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The daycare this cache holds data of, if it was told.
    pub async fn daycare(&self) -> Result<Option<DaycareId>, DeskError> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT daycare_id FROM sync_state WHERE id = 1")
                .fetch_one(&self.pool)
                .await?;
        id.map(|id| id.parse().map_err(|_| DeskError::CacheUnreadable))
            .transpose()
    }

    /// Records the daycare this cache holds data of.
    pub async fn record_daycare(&self, daycare: DaycareId) -> Result<(), DeskError> {
        sqlx::query("UPDATE sync_state SET daycare_id = ? WHERE id = 1")
            .bind(daycare.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The unsent work, to carry into the cache that replaces this one.
    pub async fn unsent_work(&self) -> Result<UnsentWork, DeskError> {
        let outbox: Vec<OutboxRow> = sqlx::query_as(
            "SELECT seq, idempotency_key, kind, referral_id, outcome, vacancy_local_id, \
             created_at, state, conflict_code FROM outbox WHERE state <> 'sent' ORDER BY seq",
        )
        .fetch_all(&self.pool)
        .await?;
        let vacancies: Vec<VacancyRow> = sqlx::query_as(
            "SELECT v.local_id, v.age_class, v.places, v.start_date, v.group_label, \
             v.created_at, v.vacancy_id, v.referrals, v.answer_by \
             FROM vacancy v JOIN outbox o ON o.vacancy_local_id = v.local_id \
             WHERE o.state <> 'sent' ORDER BY o.seq",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(UnsentWork { outbox, vacancies })
    }

    /// Puts carried unsent work into this (fresh) cache, in one transaction, keeping each
    /// entry's order and idempotency key: what the service already applied under a key it
    /// answers again without applying twice.
    pub async fn restore_unsent_work(&self, work: &UnsentWork) -> Result<(), DeskError> {
        let mut tx = self.pool.begin().await?;
        for v in &work.vacancies {
            sqlx::query(
                "INSERT INTO vacancy (local_id, age_class, places, start_date, group_label, \
                 created_at, vacancy_id, referrals, answer_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(&v.0)
            .bind(&v.1)
            .bind(v.2)
            .bind(&v.3)
            .bind(&v.4)
            .bind(&v.5)
            .bind(&v.6)
            .bind(v.7)
            .bind(&v.8)
            .execute(&mut *tx)
            .await?;
        }
        for o in &work.outbox {
            sqlx::query(
                "INSERT INTO outbox (seq, idempotency_key, kind, referral_id, outcome, \
                 vacancy_local_id, created_at, state, conflict_code) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            )
            .bind(o.0)
            .bind(&o.1)
            .bind(&o.2)
            .bind(&o.3)
            .bind(&o.4)
            .bind(&o.5)
            .bind(&o.6)
            .bind(&o.7)
            .bind(&o.8)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
