//! Outcomes of referrals: the store's half of [`crate::outcomes`], which decides what each
//! outcome does while this module reads and writes within the outcome's transaction.

use chrono::{DateTime, Utc};
use placeforte_domain::RegistrationState;
use placeforte_protocol::referrals::ReferralStatus;
use placeforte_protocol::{ReferralId, RegistrationId, VacancyId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{query, Db, Tx};
use super::vacancies::{
    existing_referrals, insert_referrals, load_candidates, vacancy, within_referral_bound,
};
use super::{OutcomeRequest, OutcomeResult, ReferralRecord, StoreError};
use crate::outcomes::{self, Transition};
use crate::referrals::{registration_status_code, registration_status_from_code};

pub(super) async fn record_outcome(
    db: Db<'_>,
    request: &OutcomeRequest,
) -> Result<OutcomeResult, StoreError> {
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    let known = query(concat!(
        "SELECT referral_id, response FROM outcome_requests",
        " WHERE daycare_id = $1 AND idempotency_key = $2"
    ))
    .bind(request.daycare_id.as_uuid())
    .bind(request.idempotency_key)
    .fetch_optional(&mut tx)
    .await?;
    if let Some(known) = known {
        let referral: uuid::Uuid = known.try_get("referral_id")?;
        tx.rollback().await?;
        return Ok(if referral == request.referral_id.as_uuid() {
            OutcomeResult::Replayed(known.try_get("response")?)
        } else {
            OutcomeResult::KeyReused
        });
    }
    let referral = query(concat!(
        "SELECT vacancy_id, registration_id, status FROM referrals",
        " WHERE id = $1 AND daycare_id = $2"
    ))
    .bind(request.referral_id.as_uuid())
    .bind(request.daycare_id.as_uuid())
    .fetch_optional(&mut tx)
    .await?;
    let Some(referral) = referral else {
        tx.rollback().await?;
        return Ok(OutcomeResult::NotFound);
    };
    let vacancy = VacancyId::from_uuid(referral.try_get("vacancy_id")?);
    let registration = RegistrationId::from_uuid(referral.try_get("registration_id")?);
    let status: String = referral.try_get("status")?;
    if status != ReferralStatus::Open.code() {
        tx.rollback().await?;
        return Ok(OutcomeResult::Closed);
    }
    let state = registration_state(&mut tx, registration).await?;
    let Some(transition) = Transition::of(state, request) else {
        tx.rollback().await?;
        return Ok(OutcomeResult::Closed);
    };
    let mut closing = Vec::new();
    let mut vacancies = vec![vacancy];
    if transition.closes_other_referrals() {
        for row in query(concat!(
            "SELECT id, vacancy_id FROM referrals",
            " WHERE registration_id = $1 AND status = 'open' AND id <> $2"
        ))
        .bind(registration.as_uuid())
        .bind(request.referral_id.as_uuid())
        .fetch_all(&mut tx)
        .await?
        {
            closing.push(ReferralId::from_uuid(row.try_get("id")?));
            let other = VacancyId::from_uuid(row.try_get("vacancy_id")?);
            if !vacancies.contains(&other) {
                vacancies.push(other);
            }
        }
    }
    let mut this_and_closing = closing.clone();
    this_and_closing.push(request.referral_id);
    // Further referrals for places left open here and where the child was closed out.
    let accepted =
        (transition.referral_status == ReferralStatus::Accepted).then_some(request.referral_id);
    let mut further = Vec::new();
    for v in vacancies {
        further.extend(
            top_up(
                &mut tx,
                v,
                registration,
                &this_and_closing,
                accepted,
                request.now,
            )
            .await?,
        );
    }
    // Top-ups count against each daycare's referral bound like declarations do: refusing
    // families one after another must not read the list either.
    let further = within_referral_bound(&mut tx, further, request.now).await?;
    let event = outcomes::outcome_event(request, &closing, &further);
    let change_seq = insert_event(&mut tx, &event).await?;
    query("UPDATE referrals SET status = $1, change_seq = $2 WHERE id = $3")
        .bind(transition.referral_status.code())
        .bind(change_seq)
        .bind(request.referral_id.as_uuid())
        .execute(&mut tx)
        .await?;
    for id in &closing {
        query("UPDATE referrals SET status = 'closed', change_seq = $1 WHERE id = $2")
            .bind(change_seq)
            .bind(id.as_uuid())
            .execute(&mut tx)
            .await?;
    }
    query(concat!(
        "INSERT INTO registration_states (registration_id, status, missed_deadlines)",
        " VALUES ($1, $2, $3) ON CONFLICT (registration_id) DO UPDATE",
        " SET status = excluded.status, missed_deadlines = excluded.missed_deadlines"
    ))
    .bind(registration.as_uuid())
    .bind(registration_status_code(transition.registration.status))
    .bind(i32::try_from(transition.registration.missed_deadlines).unwrap_or(i32::MAX))
    .execute(&mut tx)
    .await?;
    insert_referrals(&mut tx, &further, change_seq).await?;
    let response = outcomes::outcome_response(request, &transition, &further)?;
    query(concat!(
        "INSERT INTO outcome_requests (daycare_id, idempotency_key, referral_id,",
        " response, recorded_at) VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(request.daycare_id.as_uuid())
    .bind(request.idempotency_key)
    .bind(request.referral_id.as_uuid())
    .bind(response.as_str())
    .bind(request.now)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(OutcomeResult::Recorded(response))
}

/// A registration's state; one never answered has no row yet.
async fn registration_state(
    tx: &mut Tx,
    registration: RegistrationId,
) -> Result<RegistrationState, StoreError> {
    let row = query(
        "SELECT status, missed_deadlines FROM registration_states WHERE registration_id = $1",
    )
    .bind(registration.as_uuid())
    .fetch_optional(tx)
    .await?;
    let Some(row) = row else {
        return Ok(RegistrationState::NEW);
    };
    let code: String = row.try_get("status")?;
    let missed: i32 = row.try_get("missed_deadlines")?;
    Ok(RegistrationState {
        status: registration_status_from_code(&code)
            .ok_or_else(|| StoreError::Corrupt("registration status".to_owned()))?,
        missed_deadlines: u32::try_from(missed).unwrap_or(0),
    })
}

/// The further referrals [`outcomes::top_up`] asks for `vacancy_id`, skipping `exclude`.
async fn top_up(
    tx: &mut Tx,
    vacancy_id: VacancyId,
    exclude: RegistrationId,
    closing: &[ReferralId],
    accepted_now: Option<ReferralId>,
    now: DateTime<Utc>,
) -> Result<Vec<ReferralRecord>, StoreError> {
    let vacancy = vacancy(tx, vacancy_id).await?;
    let existing = existing_referrals(tx, vacancy_id).await?;
    let Some(top_up) = outcomes::top_up(vacancy.places, &existing, closing, accepted_now) else {
        return Ok(Vec::new());
    };
    let candidates = load_candidates(tx, vacancy.daycare_id, vacancy.id).await?;
    Ok(outcomes::further_referrals(
        &vacancy, candidates, top_up, exclude, now,
    )?)
}
