//! The operator's side of daycares' answers: the reports of wider effects waiting for
//! confirmation, their confirmation (the effect applied as the daycare's word alone once did),
//! and the revert of any answer, which restores the family's standing exactly.

use chrono::{DateTime, Utc};
use placeforte_domain::{OfferOutcome, RegistrationState};
use placeforte_protocol::{DaycareId, DeviceId, ReferralId, RegistrationId, VacancyId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{query, Db, Tx};
use super::outcomes::{registration_state, stored_registration_state, top_up};
use super::vacancies::{insert_referrals, within_referral_bound};
use super::{ConfirmResult, OutcomeReportRecord, RevertResult, StoreError};
use crate::outcomes;
use crate::referrals::{registration_status_code, registration_status_from_code};

pub(super) async fn pending_reports(db: Db<'_>) -> Result<Vec<OutcomeReportRecord>, StoreError> {
    let rows = query(concat!(
        "SELECT id, outcome_id, kind, referral_id, registration_id, daycare_id, device_id,",
        " reported_at FROM outcome_reports WHERE status = 'pending' ORDER BY reported_at, id"
    ))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutcomeReportRecord {
                id: row.try_get("id")?,
                outcome_id: row.try_get("outcome_id")?,
                kind: row.try_get("kind")?,
                referral_id: ReferralId::from_uuid(row.try_get("referral_id")?),
                registration_id: RegistrationId::from_uuid(row.try_get("registration_id")?),
                daycare_id: DaycareId::from_uuid(row.try_get("daycare_id")?),
                device_id: DeviceId::from_uuid(row.try_get("device_id")?),
                reported_at: row.try_get("reported_at")?,
            })
        })
        .collect()
}

pub(super) async fn confirm_report(
    db: Db<'_>,
    report: uuid::Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConfirmResult, StoreError> {
    let mut tx = db.begin().await?;
    let result = confirm_report_in(&mut tx, report, actor, now).await?;
    match result {
        ConfirmResult::Confirmed { .. } => tx.commit().await?,
        ConfirmResult::NotPending | ConfirmResult::RegistrationClosed => tx.rollback().await?,
    }
    Ok(result)
}

/// [`confirm_report`] inside `tx` (the family's confirmation through intake also stores its
/// idempotent answer in the same transaction). Writes nothing unless it confirms.
pub(super) async fn confirm_report_in(
    tx: &mut Tx,
    report: uuid::Uuid,
    actor: &str,
    now: DateTime<Utc>,
) -> Result<ConfirmResult, StoreError> {
    lock_audit_head(tx).await?;
    let row = query(concat!(
        "SELECT p.kind, p.referral_id, p.registration_id, o.outcome",
        " FROM outcome_reports p JOIN referral_outcomes o ON o.id = p.outcome_id",
        " WHERE p.id = $1 AND p.status = 'pending'"
    ))
    .bind(report)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(ConfirmResult::NotPending);
    };
    let kind: String = row.try_get("kind")?;
    let answered = ReferralId::from_uuid(row.try_get("referral_id")?);
    let registration = RegistrationId::from_uuid(row.try_get("registration_id")?);
    let outcome: OfferOutcome = serde_json::from_str(&row.try_get::<String, _>("outcome")?)
        .map_err(|_| StoreError::Corrupt("stored outcome".to_owned()))?;
    let prior = stored_registration_state(&mut *tx, registration).await?;
    let Some((after, closes)) =
        outcomes::confirmed_effect(prior.unwrap_or(RegistrationState::NEW), outcome, now)
    else {
        return Ok(ConfirmResult::RegistrationClosed);
    };
    let mut closed = Vec::new();
    let mut vacancies: Vec<VacancyId> = Vec::new();
    if closes {
        for row in query(concat!(
            "SELECT id, vacancy_id FROM referrals",
            " WHERE registration_id = $1 AND status = 'open' AND id <> $2"
        ))
        .bind(registration.as_uuid())
        .bind(answered.as_uuid())
        .fetch_all(&mut *tx)
        .await?
        {
            closed.push(ReferralId::from_uuid(row.try_get("id")?));
            let vacancy = VacancyId::from_uuid(row.try_get("vacancy_id")?);
            if !vacancies.contains(&vacancy) {
                vacancies.push(vacancy);
            }
        }
    }
    let mut further = Vec::new();
    for vacancy in vacancies {
        further.extend(top_up(&mut *tx, vacancy, registration, &closed, now).await?);
    }
    // The places a confirmation frees are refilled within each daycare's referral bound.
    let further = within_referral_bound(&mut *tx, further, now).await?;
    let event =
        outcomes::confirmation_event(actor, report, &kind, answered, &closed, &further, now);
    let change_seq = insert_event(&mut *tx, &event).await?;
    close_referrals(&mut *tx, &closed, change_seq).await?;
    write_registration_state(&mut *tx, registration, Some(after)).await?;
    insert_referrals(&mut *tx, &further, change_seq).await?;
    query(concat!(
        "UPDATE outcome_reports SET status = 'confirmed', settled_at = $1, settled_by = $2,",
        " prior_status = $3, prior_missed_deadlines = $4, closed_referrals = $5 WHERE id = $6"
    ))
    .bind(now)
    .bind(actor)
    .bind(prior.map(|p| registration_status_code(p.status).to_owned()))
    .bind(prior.map(|p| i32::try_from(p.missed_deadlines).unwrap_or(i32::MAX)))
    .bind(serde_json::to_string(&closed)?)
    .bind(report)
    .execute(&mut *tx)
    .await?;
    Ok(ConfirmResult::Confirmed {
        closed: closed.len(),
        further: further.len(),
    })
}

pub(super) async fn revert_outcome(
    db: Db<'_>,
    id: uuid::Uuid,
    actor: &str,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<RevertResult, StoreError> {
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    // An outcome id, or a referral's: then its latest outcome.
    let row = query(concat!(
        "SELECT o.id, o.referral_id, o.daycare_id, o.ended_choice_preference, o.reverted_at,",
        " f.registration_id FROM referral_outcomes o JOIN referrals f ON f.id = o.referral_id",
        " WHERE o.id = $1 OR o.referral_id = $1 ORDER BY o.recorded_at DESC LIMIT 1"
    ))
    .bind(id)
    .fetch_optional(&mut tx)
    .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(RevertResult::NotFound);
    };
    if row
        .try_get::<Option<DateTime<Utc>>, _>("reverted_at")?
        .is_some()
    {
        tx.rollback().await?;
        return Ok(RevertResult::AlreadyReverted);
    }
    let outcome_id: uuid::Uuid = row.try_get("id")?;
    let answered = ReferralId::from_uuid(row.try_get("referral_id")?);
    let daycare: uuid::Uuid = row.try_get("daycare_id")?;
    let registration = RegistrationId::from_uuid(row.try_get("registration_id")?);
    let preference: Option<i32> = row.try_get("ended_choice_preference")?;
    let report = query(concat!(
        "SELECT id, status, prior_status, prior_missed_deadlines, closed_referrals",
        " FROM outcome_reports WHERE outcome_id = $1"
    ))
    .bind(outcome_id)
    .fetch_optional(&mut tx)
    .await?;
    let mut reopened: Vec<ReferralId> = Vec::new();
    if let Some(report) = report {
        let status: String = report.try_get("status")?;
        if status == "confirmed" {
            let prior = match report.try_get::<Option<String>, _>("prior_status")? {
                Some(code) => Some(RegistrationState {
                    status: registration_status_from_code(&code)
                        .ok_or_else(|| StoreError::Corrupt("registration status".to_owned()))?,
                    missed_deadlines: u32::try_from(
                        report
                            .try_get::<Option<i32>, _>("prior_missed_deadlines")?
                            .unwrap_or(0),
                    )
                    .unwrap_or(0),
                }),
                None => None,
            };
            write_registration_state(&mut tx, registration, prior).await?;
            let closed: Option<String> = report.try_get("closed_referrals")?;
            reopened = serde_json::from_str(closed.as_deref().unwrap_or("[]"))
                .map_err(|_| StoreError::Corrupt("closed referrals".to_owned()))?;
        }
        query("UPDATE outcome_reports SET status = 'reverted', settled_at = $1, settled_by = $2 WHERE id = $3")
            .bind(now)
            .bind(actor)
            .bind(report.try_get::<uuid::Uuid, _>("id")?)
            .execute(&mut tx)
            .await?;
    }
    let status =
        outcomes::reverted_referral_status(registration_state(&mut tx, registration).await?);
    let event = outcomes::revert_event(actor, outcome_id, reason, answered, &reopened, now);
    let change_seq = insert_event(&mut tx, &event).await?;
    query("UPDATE referrals SET status = $1, change_seq = $2 WHERE id = $3")
        .bind(status.code())
        .bind(change_seq)
        .bind(answered.as_uuid())
        .execute(&mut tx)
        .await?;
    for referral in &reopened {
        query("UPDATE referrals SET status = 'open', change_seq = $1 WHERE id = $2 AND status = 'closed'")
            .bind(change_seq)
            .bind(referral.as_uuid())
            .execute(&mut tx)
            .await?;
    }
    if let Some(preference) = preference {
        query(concat!(
            "INSERT INTO registration_choices (registration_id, daycare_id, preference)",
            " VALUES ($1, $2, $3) ON CONFLICT (registration_id, daycare_id) DO NOTHING"
        ))
        .bind(registration.as_uuid())
        .bind(daycare)
        .bind(preference)
        .execute(&mut tx)
        .await?;
    }
    query("UPDATE referral_outcomes SET reverted_at = $1, reverted_by = $2, revert_reason = $3 WHERE id = $4")
        .bind(now)
        .bind(actor)
        .bind(reason)
        .bind(outcome_id)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(RevertResult::Reverted {
        outcome_id,
        referral_status: status.code().to_owned(),
        reopened: reopened.len(),
    })
}

pub(super) async fn close_referrals(
    tx: &mut Tx,
    referrals: &[ReferralId],
    change_seq: i64,
) -> Result<(), StoreError> {
    for id in referrals {
        query("UPDATE referrals SET status = 'closed', change_seq = $1 WHERE id = $2")
            .bind(change_seq)
            .bind(id.as_uuid())
            .execute(&mut *tx)
            .await?;
    }
    Ok(())
}

/// Writes a registration's state; `None` removes its row (never answered: waiting, none
/// missed), as it was before any confirmed effect.
pub(super) async fn write_registration_state(
    tx: &mut Tx,
    registration: RegistrationId,
    state: Option<RegistrationState>,
) -> Result<(), StoreError> {
    match state {
        Some(state) => {
            query(concat!(
                "INSERT INTO registration_states (registration_id, status, missed_deadlines)",
                " VALUES ($1, $2, $3) ON CONFLICT (registration_id) DO UPDATE",
                " SET status = excluded.status, missed_deadlines = excluded.missed_deadlines"
            ))
            .bind(registration.as_uuid())
            .bind(registration_status_code(state.status))
            .bind(i32::try_from(state.missed_deadlines).unwrap_or(i32::MAX))
            .execute(tx)
            .await?;
        }
        None => {
            query("DELETE FROM registration_states WHERE registration_id = $1")
                .bind(registration.as_uuid())
                .execute(tx)
                .await?;
        }
    }
    Ok(())
}

/// A registration's state row as stored (`None`: no row), for the operator and the tests.
pub(super) async fn registration_state_row(
    db: Db<'_>,
    registration: RegistrationId,
) -> Result<Option<RegistrationState>, StoreError> {
    let mut tx = db.begin().await?;
    let state = stored_registration_state(&mut tx, registration).await?;
    tx.rollback().await?;
    Ok(state)
}

/// The daycares a registration chose, with their preferences, by daycare id.
pub(super) async fn registration_choices(
    db: Db<'_>,
    registration: RegistrationId,
) -> Result<Vec<(DaycareId, i32)>, StoreError> {
    let rows = query(concat!(
        "SELECT daycare_id, preference FROM registration_choices",
        " WHERE registration_id = $1 ORDER BY daycare_id"
    ))
    .bind(registration.as_uuid())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok((
                DaycareId::from_uuid(row.try_get("daycare_id")?),
                row.try_get("preference")?,
            ))
        })
        .collect()
}
