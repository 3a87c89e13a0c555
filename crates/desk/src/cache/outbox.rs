//! The offline outbox: outcomes and vacancy declarations waiting to be sent, in the order the
//! director made them, each with the idempotency key that goes with every attempt.
//!
//! An entry is never deleted: `sent` keeps the service's answer, `conflict` keeps the service's
//! refusal code for the director to see.

use chrono::{DateTime, Utc};
use placeforte_domain::OfferOutcome;
use placeforte_protocol::referrals::ReferralStatus;
use placeforte_protocol::ReferralId;
use serde::Serialize;

use super::{Cache, LocalVacancy};
use crate::error::DeskError;

/// Where an outbox entry stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "snake_case")]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub enum OutboxState {
    /// Not yet acknowledged by the service.
    Pending,
    /// Applied by the service (a retry under the same key gets the same answer).
    Sent,
    /// Refused because things changed meanwhile; `code` is the service's reason.
    Conflict {
        /// The service's stable refusal code (e.g. `referral_closed`).
        code: String,
    },
}

impl OutboxState {
    /// The state as stored (`state`, `conflict_code` columns).
    pub(super) fn from_columns(state: &str, code: Option<String>) -> OutboxState {
        match state {
            "pending" => OutboxState::Pending,
            "sent" => OutboxState::Sent,
            _ => OutboxState::Conflict {
                code: code.unwrap_or_default(),
            },
        }
    }
}

/// One outcome in the outbox.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxEntry {
    /// Order of recording (shared with declarations).
    pub seq: i64,
    /// Sent with every attempt: the service applies the outcome once.
    pub idempotency_key: uuid::Uuid,
    /// The referral answered.
    pub referral_id: ReferralId,
    /// The family's answer.
    pub outcome: OfferOutcome,
    /// When the director recorded it.
    pub created_at: DateTime<Utc>,
    /// Where it stands.
    pub state: OutboxState,
}

/// Something waiting in the outbox, of either kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Outgoing {
    /// A family's answer.
    Outcome(OutboxEntry),
    /// A vacancy declaration.
    Vacancy(LocalVacancy),
}

impl Outgoing {
    /// Its place in the outbox's order.
    pub fn seq(&self) -> i64 {
        match self {
            Outgoing::Outcome(entry) => entry.seq,
            Outgoing::Vacancy(vacancy) => vacancy.seq,
        }
    }
}

impl Cache {
    /// Stores an outcome to send, with a fresh idempotency key.
    pub async fn queue_outcome(
        &self,
        referral: ReferralId,
        outcome: OfferOutcome,
        now: DateTime<Utc>,
    ) -> Result<OutboxEntry, DeskError> {
        let key = uuid::Uuid::new_v4();
        let json =
            serde_json::to_string(&outcome).map_err(|e| DeskError::Protocol(e.to_string()))?;
        let seq: i64 = sqlx::query_scalar(
            "INSERT INTO outbox (idempotency_key, kind, referral_id, outcome, created_at, state) \
             VALUES (?, 'outcome', ?, ?, ?, 'pending') RETURNING seq",
        )
        .bind(key.to_string())
        .bind(referral.to_string())
        .bind(json)
        .bind(now)
        .fetch_one(&self.pool)
        .await?;
        Ok(OutboxEntry {
            seq,
            idempotency_key: key,
            referral_id: referral,
            outcome,
            created_at: now,
            state: OutboxState::Pending,
        })
    }

    /// Every outcome in the outbox, oldest first (declarations: [`Cache::vacancies`]).
    pub async fn outbox(&self) -> Result<Vec<OutboxEntry>, DeskError> {
        self.outcomes_where("1 = 1").await
    }

    /// Everything still to send, outcomes and declarations, in the order they were made.
    pub async fn pending_outbox(&self) -> Result<Vec<Outgoing>, DeskError> {
        let mut pending: Vec<Outgoing> = self
            .outcomes_where("state = 'pending'")
            .await?
            .into_iter()
            .map(Outgoing::Outcome)
            .chain(
                self.vacancies_where("o.state = 'pending'")
                    .await?
                    .into_iter()
                    .map(Outgoing::Vacancy),
            )
            .collect();
        pending.sort_by_key(Outgoing::seq);
        Ok(pending)
    }

    async fn outcomes_where(&self, condition: &'static str) -> Result<Vec<OutboxEntry>, DeskError> {
        type Row = (
            i64,
            String,
            String,
            String,
            DateTime<Utc>,
            String,
            Option<String>,
        );
        let rows: Vec<Row> = sqlx::query_as(&format!(
            "SELECT seq, idempotency_key, referral_id, outcome, created_at, state, conflict_code \
             FROM outbox WHERE kind = 'outcome' AND {condition} ORDER BY seq"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.into_iter()
            .map(|(seq, key, referral, outcome, created_at, state, code)| {
                Ok(OutboxEntry {
                    seq,
                    idempotency_key: key.parse().map_err(|_| DeskError::CacheUnreadable)?,
                    referral_id: referral.parse().map_err(|_| DeskError::CacheUnreadable)?,
                    outcome: serde_json::from_str(&outcome)
                        .map_err(|_| DeskError::CacheUnreadable)?,
                    created_at,
                    state: OutboxState::from_columns(&state, code),
                })
            })
            .collect()
    }

    /// Marks an outcome acknowledged and updates its referral's status, in one transaction.
    pub async fn mark_sent(&self, seq: i64, status: ReferralStatus) -> Result<(), DeskError> {
        let mut tx = self.pool.begin().await?;
        set_sent(&mut tx, seq).await?;
        sqlx::query(
            "UPDATE referral SET status = ? WHERE referral_id = \
             (SELECT referral_id FROM outbox WHERE seq = ?)",
        )
        .bind(status.code())
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Marks an entry (of either kind) refused by the service, keeping the service's code.
    pub async fn mark_conflict(&self, seq: i64, code: &str) -> Result<(), DeskError> {
        sqlx::query("UPDATE outbox SET state = 'conflict', conflict_code = ? WHERE seq = ?")
            .bind(code)
            .bind(seq)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}

/// Marks an entry sent, inside the transaction that also keeps what the service answered.
pub(super) async fn set_sent(
    tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    seq: i64,
) -> Result<(), DeskError> {
    sqlx::query("UPDATE outbox SET state = 'sent' WHERE seq = ?")
        .bind(seq)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::str::FromStr;

    use chrono::NaiveDate;
    use placeforte_domain::{AgeClass, RefusalReason};
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::*;
    use crate::cache::{CacheFile, VacancyDeclaration};
    use crate::secret::CacheKey;

    fn at(day: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 6, day)
            .and_then(|d| d.and_hms_opt(9, 0, 0))
            .unwrap()
            .and_utc()
    }

    /// An outcome left in the outbox by the version before declarations (migrations 1 to 3
    /// only) is still there, pending, with its number, after the upgrade; and what is queued
    /// next comes after it, of either kind.
    #[tokio::test]
    async fn the_upgrade_keeps_pending_outcomes_and_their_order() {
        let dir = tempfile::tempdir().unwrap();
        let file = CacheFile::new(dir.path().join("cache.sqlite"));
        let key = CacheKey::generate().unwrap();
        crate::exit_safety::keep_openssl_until_exit();
        let options = SqliteConnectOptions::from_str("sqlite:")
            .unwrap()
            .filename(file.path())
            .create_if_missing(true)
            .pragma("key", key.sqlcipher_pragma_value());
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .unwrap();
        let mut before = sqlx::migrate!("../../migrations/cache");
        before.migrations = before.migrations[..3].to_vec().into();
        before.run(&pool).await.unwrap();
        let referral = ReferralId::random();
        let key_before = uuid::Uuid::new_v4();
        sqlx::query(
            "INSERT INTO outbox (seq, idempotency_key, referral_id, outcome, created_at, state) \
             VALUES (7, ?, ?, '{\"kind\":\"accepted\"}', ?, 'pending')",
        )
        .bind(key_before.to_string())
        .bind(referral.to_string())
        .bind(at(1))
        .execute(&pool)
        .await
        .unwrap();
        pool.close().await;

        let cache = file.open(&key).await.unwrap();
        let kept = OutboxEntry {
            seq: 7,
            idempotency_key: key_before,
            referral_id: referral,
            outcome: OfferOutcome::Accepted,
            created_at: at(1),
            state: OutboxState::Pending,
        };
        assert_eq!(cache.outbox().await.unwrap(), vec![kept.clone()]);
        let declaration = VacancyDeclaration {
            age_class: AgeClass::FourYears,
            places: 2,
            start_date: NaiveDate::from_ymd_opt(2026, 9, 1).unwrap(),
            group_label: Some("Les Hiboux".into()),
        };
        let vacancy = cache.queue_vacancy(declaration, at(2)).await.unwrap();
        let refused = OfferOutcome::Refused {
            reason: RefusalReason::NoLongerNeeded,
        };
        let outcome = cache.queue_outcome(referral, refused, at(3)).await.unwrap();
        let pending = cache.pending_outbox().await.unwrap();
        assert_eq!(
            pending,
            vec![
                Outgoing::Outcome(kept),
                Outgoing::Vacancy(vacancy.clone()),
                Outgoing::Outcome(outcome)
            ]
        );
        assert!(pending.windows(2).all(|w| w[0].seq() < w[1].seq()));

        // A conflict leaves the pending list and is kept, with its code, for the director.
        cache
            .mark_conflict(vacancy.seq, "invalid_vacancy")
            .await
            .unwrap();
        assert_eq!(cache.pending_outbox().await.unwrap().len(), 2);
        assert_eq!(
            cache.vacancies().await.unwrap()[0].state,
            OutboxState::Conflict {
                code: "invalid_vacancy".into()
            }
        );
    }

    /// The table itself refuses an entry of one kind with the other kind's fields.
    #[tokio::test]
    async fn an_entry_of_mixed_kinds_is_refused_by_the_cache() {
        let dir = tempfile::tempdir().unwrap();
        let cache = CacheFile::new(dir.path().join("cache.sqlite"))
            .open(&CacheKey::generate().unwrap())
            .await
            .unwrap();
        for (kind, referral, outcome) in [
            ("vacancy", Some("r"), Some("{}")),
            ("outcome", None, None),
            ("outcome", Some("r"), None),
        ] {
            let inserted = sqlx::query(
                "INSERT INTO outbox (idempotency_key, kind, referral_id, outcome, created_at, \
                 state) VALUES (?, ?, ?, ?, '2026-06-01', 'pending')",
            )
            .bind(uuid::Uuid::new_v4().to_string())
            .bind(kind)
            .bind(referral)
            .bind(outcome)
            .execute(cache.pool())
            .await;
            assert!(inserted.is_err(), "{kind} {referral:?} {outcome:?}");
        }
    }
}
