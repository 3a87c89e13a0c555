//! Outcomes of referrals: the store's half of [`crate::outcomes`], which decides what each
//! outcome does while this module reads and writes within the outcome's transaction. A
//! daycare's answer changes its own referral and the family's choice of it; a wider effect is
//! stored as its report (see `outcome_reports.rs`).

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{OfferOutcome, RegistrationState};
use placeforte_protocol::referrals::ReferralStatus;
use placeforte_protocol::{ReferralId, RegistrationId, VacancyId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{query, Db, Tx};
use super::expiry::{end_choice, expire_referral, was_expired, DueReferral};
use super::vacancies::{
    existing_referrals, insert_referrals, load_candidates, vacancy, within_referral_bound,
};
use super::{OutcomeRequest, OutcomeResult, ReferralRecord, StoreError};
use crate::expiry;
use crate::outcomes::{self, BulkOutcomes, Refusal, Transition};
use crate::referrals::registration_status_from_code;

pub(super) async fn record_outcome(
    db: Db<'_>,
    request: &OutcomeRequest,
) -> Result<OutcomeResult, StoreError> {
    let mut tx = db.begin().await?;
    // Taken first: answers run one at a time, so the places check and the bulk count below
    // see every answer committed before this one.
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
        "SELECT vacancy_id, registration_id, status, answer_by FROM referrals",
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
    let vacancy_id = VacancyId::from_uuid(referral.try_get("vacancy_id")?);
    let registration = RegistrationId::from_uuid(referral.try_get("registration_id")?);
    let status: String = referral.try_get("status")?;
    let answer_by: NaiveDate = referral.try_get("answer_by")?;
    if status == ReferralStatus::Open.code() && expiry::is_expired(answer_by, request.now) {
        // The service's clock is the authority: the answer's own transaction expires the
        // offer (no sweep has yet), so it expires once whichever of the two comes first.
        let due = DueReferral {
            id: request.referral_id,
            vacancy: vacancy_id,
            daycare: request.daycare_id,
            registration,
            answer_by,
        };
        expire_referral(&mut tx, due, request.now).await?;
        return after_expiry(tx, request).await;
    }
    if status == ReferralStatus::NoAnswer.code()
        && was_expired(&mut tx, request.referral_id).await?
    {
        return after_expiry(tx, request).await;
    }
    if status != ReferralStatus::Open.code() {
        tx.rollback().await?;
        return Ok(OutcomeResult::Closed);
    }
    let state = registration_state(&mut tx, registration).await?;
    let transition = match Transition::of(state, answer_by, request) {
        Ok(transition) => transition,
        Err(refusal) => {
            tx.rollback().await?;
            return Ok(match refusal {
                Refusal::RegistrationClosed => OutcomeResult::Closed,
                Refusal::DeadlineNotReached => OutcomeResult::DeadlineNotReached,
            });
        }
    };
    let accepted =
        (transition.referral_status == ReferralStatus::Accepted).then_some(request.referral_id);
    let vacancy = vacancy(&mut tx, vacancy_id).await?;
    let existing = existing_referrals(&mut tx, vacancy_id).await?;
    if accepted.is_some() && outcomes::is_filled(vacancy.places, &existing) {
        tx.rollback().await?;
        return Ok(OutcomeResult::VacancyFilled);
    }
    let further =
        match outcomes::top_up(vacancy.places, &existing, &[request.referral_id], accepted) {
            Some(top_up) => {
                let candidates = load_candidates(&mut tx, vacancy.daycare_id, vacancy.id).await?;
                outcomes::further_referrals(
                    &vacancy,
                    candidates,
                    top_up,
                    registration,
                    request.now,
                )?
            }
            None => Vec::new(),
        };
    // Top-ups count against each daycare's referral bound like declarations do: refusing
    // families one after another must not read the list either.
    let further = within_referral_bound(&mut tx, further, request.now).await?;
    let event = outcomes::outcome_event(request, &transition, &further);
    let change_seq = insert_event(&mut tx, &event).await?;
    query("UPDATE referrals SET status = $1, change_seq = $2 WHERE id = $3")
        .bind(transition.referral_status.code())
        .bind(change_seq)
        .bind(request.referral_id.as_uuid())
        .execute(&mut tx)
        .await?;
    let ended_choice = if transition.ends_choice {
        end_choice(&mut tx, registration, request.daycare_id).await?
    } else {
        None
    };
    insert_referrals(&mut tx, &further, change_seq).await?;
    let outcome_id = uuid::Uuid::new_v4();
    query(concat!(
        "INSERT INTO referral_outcomes (id, referral_id, daycare_id, device_id, outcome,",
        " referral_status, ended_choice_preference, recorded_at)",
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(outcome_id)
    .bind(request.referral_id.as_uuid())
    .bind(request.daycare_id.as_uuid())
    .bind(request.device_id.as_uuid())
    .bind(serde_json::to_string(&request.outcome)?)
    .bind(transition.referral_status.code())
    .bind(ended_choice)
    .bind(request.now)
    .execute(&mut tx)
    .await?;
    if let Some(effect) = transition.reported_effect {
        query(concat!(
            "INSERT INTO outcome_reports (id, outcome_id, kind, referral_id, registration_id,",
            " daycare_id, device_id, reported_at, status)",
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending')"
        ))
        .bind(uuid::Uuid::new_v4())
        .bind(outcome_id)
        .bind(effect.code())
        .bind(request.referral_id.as_uuid())
        .bind(registration.as_uuid())
        .bind(request.daycare_id.as_uuid())
        .bind(request.device_id.as_uuid())
        .bind(request.now)
        .execute(&mut tx)
        .await?;
    }
    let bulk = if transition.is_negative() {
        bulk_outcomes(&mut tx, request).await?
    } else {
        None
    };
    let response = outcomes::outcome_response(request, &transition, &further)?;
    remember_response(&mut tx, request, &response).await?;
    tx.commit().await?;
    Ok(OutcomeResult::Recorded { response, bulk })
}

/// Keeps `response` under the request's idempotency key, so a retry gets the same answer.
async fn remember_response(
    tx: &mut Tx,
    request: &OutcomeRequest,
    response: &str,
) -> Result<(), StoreError> {
    query(concat!(
        "INSERT INTO outcome_requests (daycare_id, idempotency_key, referral_id,",
        " response, recorded_at) VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(request.daycare_id.as_uuid())
    .bind(request.idempotency_key)
    .bind(request.referral_id.as_uuid())
    .bind(response)
    .bind(request.now)
    .execute(tx)
    .await?;
    Ok(())
}

/// The answer to `request` on an offer the clock expired (committing an expiry made in `tx`):
/// a daycare's own `no_answer_by_deadline` (queued offline, say) agrees with the clock and is
/// acknowledged under its key, nothing applied twice; any other answer is refused.
async fn after_expiry(mut tx: Tx, request: &OutcomeRequest) -> Result<OutcomeResult, StoreError> {
    if request.outcome != OfferOutcome::NoAnswerByDeadline {
        tx.commit().await?;
        return Ok(OutcomeResult::OfferExpired);
    }
    insert_event(&mut tx, &expiry::late_no_answer_event(request)).await?;
    let response = expiry::late_no_answer_response(request)?;
    remember_response(&mut tx, request, &response).await?;
    tx.commit().await?;
    Ok(OutcomeResult::Recorded {
        response,
        bulk: None,
    })
}

/// The daycare's negative answers in the window, this one included, and whether this one takes
/// it over the bound.
async fn bulk_outcomes(
    tx: &mut Tx,
    request: &OutcomeRequest,
) -> Result<Option<BulkOutcomes>, StoreError> {
    let since = request.now - chrono::Duration::hours(outcomes::BULK_OUTCOME_WINDOW_HOURS);
    let filed: i64 = query(concat!(
        "SELECT COUNT(*) FROM referral_outcomes WHERE daycare_id = $1 AND recorded_at > $2",
        " AND referral_status <> 'accepted' AND reverted_at IS NULL"
    ))
    .bind(request.daycare_id.as_uuid())
    .bind(since)
    .fetch_scalar(&mut *tx)
    .await?;
    let open: i64 =
        query("SELECT COUNT(*) FROM referrals WHERE daycare_id = $1 AND status = 'open'")
            .bind(request.daycare_id.as_uuid())
            .fetch_scalar(tx)
            .await?;
    Ok(outcomes::crosses_bulk_bound(filed, open))
}

/// A registration's state; one never answered has no row yet.
pub(super) async fn registration_state(
    tx: &mut Tx,
    registration: RegistrationId,
) -> Result<RegistrationState, StoreError> {
    Ok(stored_registration_state(tx, registration)
        .await?
        .unwrap_or(RegistrationState::NEW))
}

/// A registration's stored state row, `None` when it has none.
pub(super) async fn stored_registration_state(
    tx: &mut Tx,
    registration: RegistrationId,
) -> Result<Option<RegistrationState>, StoreError> {
    let row = query(
        "SELECT status, missed_deadlines FROM registration_states WHERE registration_id = $1",
    )
    .bind(registration.as_uuid())
    .fetch_optional(tx)
    .await?;
    let Some(row) = row else {
        return Ok(None);
    };
    let code: String = row.try_get("status")?;
    let missed: i32 = row.try_get("missed_deadlines")?;
    Ok(Some(RegistrationState {
        status: registration_status_from_code(&code)
            .ok_or_else(|| StoreError::Corrupt("registration status".to_owned()))?,
        missed_deadlines: u32::try_from(missed).unwrap_or(0),
    }))
}

/// The further referrals [`outcomes::top_up`] asks for `vacancy_id`, skipping `exclude`.
pub(super) async fn top_up(
    tx: &mut Tx,
    vacancy_id: VacancyId,
    exclude: RegistrationId,
    closing: &[ReferralId],
    now: DateTime<Utc>,
) -> Result<Vec<ReferralRecord>, StoreError> {
    let vacancy = vacancy(tx, vacancy_id).await?;
    let existing = existing_referrals(tx, vacancy_id).await?;
    let Some(top_up) = outcomes::top_up(vacancy.places, &existing, closing, None) else {
        return Ok(Vec::new());
    };
    let candidates = load_candidates(tx, vacancy.daycare_id, vacancy.id).await?;
    Ok(outcomes::further_referrals(
        &vacancy, candidates, top_up, exclude, now,
    )?)
}
