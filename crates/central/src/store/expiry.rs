//! The offer clock's half in the store: open referrals past their answer-by day are expired in
//! one transaction each sweep, under the audit head's lock, so that two instances (or a sweep
//! and a late answer) never apply one expiry twice. [`crate::expiry`] decides; this module
//! reads and writes.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{RegistrationState, RegistrationStatus};
use placeforte_protocol::referrals::ReferralStatus;
use placeforte_protocol::{DaycareId, ReferralId, RegistrationId, VacancyId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{query, Db, Exec, Tx};
use super::outcome_reports::{close_referrals, write_registration_state};
use super::outcomes::{stored_registration_state, top_up};
use super::vacancies::{insert_referrals, within_referral_bound};
use super::{AuditEvent, ExpiredOffer, ExpiryScope, ReactivationResult, StoreError};
use crate::expiry;
use crate::referrals::registration_status_code;

/// An open referral whose answer-by day has ended.
#[derive(Debug, Clone, Copy)]
pub(super) struct DueReferral {
    pub(super) id: ReferralId,
    pub(super) vacancy: VacancyId,
    pub(super) daycare: DaycareId,
    pub(super) registration: RegistrationId,
    pub(super) answer_by: NaiveDate,
}

pub(super) async fn expire_offers(
    db: Db<'_>,
    now: DateTime<Utc>,
    scope: ExpiryScope,
) -> Result<Vec<ExpiredOffer>, StoreError> {
    // Most sweeps and syncs find nothing due: they look without taking the audit lock.
    if due_referrals(db, now, scope, 1).await?.is_empty() {
        return Ok(Vec::new());
    }
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    // Read again under the lock: another instance may have expired them meanwhile.
    let due = due_referrals(&mut tx, now, scope, expiry::SWEEP_BATCH).await?;
    let mut expired = Vec::with_capacity(due.len());
    for referral in due {
        expired.push(expire_referral(&mut tx, referral, now).await?);
    }
    tx.commit().await?;
    Ok(expired)
}

/// The open referrals of `scope` whose answer-by day ended before `now`, oldest deadline first.
async fn due_referrals<'e>(
    exec: impl Into<Exec<'e>>,
    now: DateTime<Utc>,
    scope: ExpiryScope,
    limit: i64,
) -> Result<Vec<DueReferral>, StoreError> {
    let due_before = expiry::due_before(now);
    let statement = match scope {
        ExpiryScope::All => query(concat!(
            "SELECT id, vacancy_id, daycare_id, registration_id, answer_by FROM referrals",
            " WHERE status = 'open' AND answer_by < $1",
            " ORDER BY answer_by, referred_at, id LIMIT $2"
        ))
        .bind(due_before)
        .bind(limit),
        ExpiryScope::Daycare(daycare) => query(concat!(
            "SELECT id, vacancy_id, daycare_id, registration_id, answer_by FROM referrals",
            " WHERE status = 'open' AND answer_by < $1 AND daycare_id = $3",
            " ORDER BY answer_by, referred_at, id LIMIT $2"
        ))
        .bind(due_before)
        .bind(limit)
        .bind(daycare.as_uuid()),
    };
    let rows = statement.fetch_all(exec).await?;
    rows.iter()
        .map(|row| {
            Ok(DueReferral {
                id: ReferralId::from_uuid(row.try_get("id")?),
                vacancy: VacancyId::from_uuid(row.try_get("vacancy_id")?),
                daycare: DaycareId::from_uuid(row.try_get("daycare_id")?),
                registration: RegistrationId::from_uuid(row.try_get("registration_id")?),
                answer_by: row.try_get("answer_by")?,
            })
        })
        .collect()
}

/// Expires one open referral inside `tx` (the audit head already locked): the missed-deadline
/// rule on its registration, the family's choice of the daycare ended, the referrals a
/// withdrawal closes, the places refilled in the regulated order, one audit entry by the
/// service's clock, and the expiry's row.
pub(super) async fn expire_referral(
    tx: &mut Tx,
    referral: DueReferral,
    now: DateTime<Utc>,
) -> Result<ExpiredOffer, StoreError> {
    let prior = stored_registration_state(tx, referral.registration).await?;
    let missed =
        expiry::missed_deadline(prior.unwrap_or(RegistrationState::NEW), referral.answer_by);
    let mut closing = Vec::new();
    let mut vacancies = vec![referral.vacancy];
    if let Some((after, _)) = missed {
        if after.status == RegistrationStatus::Withdrawn {
            for row in query(concat!(
                "SELECT id, vacancy_id FROM referrals",
                " WHERE registration_id = $1 AND status = 'open' AND id <> $2"
            ))
            .bind(referral.registration.as_uuid())
            .bind(referral.id.as_uuid())
            .fetch_all(&mut *tx)
            .await?
            {
                closing.push(ReferralId::from_uuid(row.try_get("id")?));
                let vacancy = VacancyId::from_uuid(row.try_get("vacancy_id")?);
                if !vacancies.contains(&vacancy) {
                    vacancies.push(vacancy);
                }
            }
        }
        write_registration_state(tx, referral.registration, Some(after)).await?;
    }
    let ended_choice = end_choice(tx, referral.registration, referral.daycare).await?;
    // The places are offered to the next families: the candidates are read after the state
    // and the choice changed, so the family that missed its offer is never among them.
    let mut leaving = closing.clone();
    leaving.push(referral.id);
    let mut further = Vec::new();
    for vacancy in vacancies {
        further.extend(top_up(tx, vacancy, referral.registration, &leaving, now).await?);
    }
    let further = within_referral_bound(tx, further, now).await?;
    let effect = missed.map(|(_, effect)| effect);
    let event = expiry::expiry_event(
        referral.id,
        referral.daycare,
        effect,
        &closing,
        &further,
        now,
    );
    let change_seq = insert_event(tx, &event).await?;
    query("UPDATE referrals SET status = $1, change_seq = $2 WHERE id = $3 AND status = 'open'")
        .bind(ReferralStatus::NoAnswer.code())
        .bind(change_seq)
        .bind(referral.id.as_uuid())
        .execute(&mut *tx)
        .await?;
    close_referrals(tx, &closing, change_seq).await?;
    insert_referrals(tx, &further, change_seq).await?;
    // The primary key on the referral is the last guard against a double expiry: a second
    // insert fails the transaction instead of applying the miss twice.
    query(concat!(
        "INSERT INTO offer_expiries (referral_id, registration_id, expired_at, effect,",
        " prior_status, prior_missed_deadlines, closed_referrals, ended_choice_preference)",
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(referral.id.as_uuid())
    .bind(referral.registration.as_uuid())
    .bind(now)
    .bind(expiry::effect_code(effect))
    .bind(prior.map(|p| registration_status_code(p.status).to_owned()))
    .bind(prior.map(|p| i32::try_from(p.missed_deadlines).unwrap_or(i32::MAX)))
    .bind(serde_json::to_string(&closing)?)
    .bind(ended_choice)
    .execute(&mut *tx)
    .await?;
    Ok(ExpiredOffer {
        referral_id: referral.id,
        registration_id: referral.registration,
        effect: expiry::effect_code(effect),
        closed: closing.len(),
        further: further.len(),
    })
}

/// Ends the family's choice of `daycare` (whose offer it answered or left unanswered),
/// returning its preference, kept for a revert; `None` when there was no such choice.
pub(super) async fn end_choice(
    tx: &mut Tx,
    registration: RegistrationId,
    daycare: DaycareId,
) -> Result<Option<i32>, StoreError> {
    let preference = query(
        "SELECT preference FROM registration_choices WHERE registration_id = $1 AND daycare_id = $2",
    )
    .bind(registration.as_uuid())
    .bind(daycare.as_uuid())
    .fetch_optional(&mut *tx)
    .await?
    .map(|row| row.try_get::<i32, _>("preference"))
    .transpose()?;
    query("DELETE FROM registration_choices WHERE registration_id = $1 AND daycare_id = $2")
        .bind(registration.as_uuid())
        .bind(daycare.as_uuid())
        .execute(tx)
        .await?;
    Ok(preference)
}

/// Whether the service's clock expired `referral`.
pub(super) async fn was_expired(tx: &mut Tx, referral: ReferralId) -> Result<bool, StoreError> {
    let found: i64 = query("SELECT COUNT(*) FROM offer_expiries WHERE referral_id = $1")
        .bind(referral.as_uuid())
        .fetch_scalar(tx)
        .await?;
    Ok(found > 0)
}

pub(super) async fn reactivate_registration(
    db: Db<'_>,
    registration: RegistrationId,
    event: &AuditEvent,
) -> Result<ReactivationResult, StoreError> {
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    let known: i64 = query("SELECT COUNT(*) FROM registrations WHERE id = $1")
        .bind(registration.as_uuid())
        .fetch_scalar(&mut tx)
        .await?;
    if known == 0 {
        tx.rollback().await?;
        return Ok(ReactivationResult::UnknownRegistration);
    }
    let state = stored_registration_state(&mut tx, registration)
        .await?
        .unwrap_or(RegistrationState::NEW);
    let after = match expiry::reactivation(state, event.occurred_at) {
        Ok(after) => after,
        Err(refusal) => {
            tx.rollback().await?;
            return Ok(ReactivationResult::Refused(refusal));
        }
    };
    insert_event(&mut tx, event).await?;
    write_registration_state(&mut tx, registration, Some(after)).await?;
    tx.commit().await?;
    Ok(ReactivationResult::Reactivated {
        missed_deadlines: after.missed_deadlines,
    })
}
