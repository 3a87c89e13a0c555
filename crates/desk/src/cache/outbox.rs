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
pub enum OutboxState {
    /// Not yet acknowledged by the service.
    Pending,
    /// Acknowledged.
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

    /// Puts a sent entry back to pending: what a crash between the service's answer and
    /// marking it sent leaves. For crash tests only.
    #[doc(hidden)]
    pub async fn mark_pending_for_tests(&self, seq: i64) -> Result<(), DeskError> {
        sqlx::query("UPDATE outbox SET state = 'pending' WHERE seq = ?")
            .bind(seq)
            .execute(&self.pool)
            .await?;
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
