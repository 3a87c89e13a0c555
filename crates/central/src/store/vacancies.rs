//! Vacancies and the referrals made to them.

use chrono::{DateTime, Utc};
use placeforte_domain::{AgeClass, CategoryFacts, PriorityBasis};
use placeforte_protocol::{DaycareId, DeviceId, ReferralId, RegistrationId, VacancyId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{insert_rows, query, Db, Tx};
use super::{
    CandidateRecord, DeclarationPlan, DeclarationResult, ReferralRecord, StoreError, VacancyRecord,
    SEED_ROWS_PER_STATEMENT,
};
use crate::outcomes::ExistingReferral;
use crate::permits::{self, ReferralRoom};

pub(super) async fn declare_vacancy<F>(
    db: Db<'_>,
    vacancy: &VacancyRecord,
    key: uuid::Uuid,
    request: &str,
    plan: F,
) -> Result<DeclarationResult, StoreError>
where
    F: FnOnce(Vec<CandidateRecord>, ReferralRoom) -> Result<DeclarationPlan, StoreError> + Send,
{
    let mut tx = db.begin().await?;
    // The audit head's lock first: declarations and outcomes run one at a time, so the
    // candidates read here are still free when the referrals are written, and two retries of
    // one declaration cannot both miss its key.
    lock_audit_head(&mut tx).await?;
    let known = query(concat!(
        "SELECT request, response FROM vacancy_requests",
        " WHERE daycare_id = $1 AND idempotency_key = $2"
    ))
    .bind(vacancy.daycare_id.as_uuid())
    .bind(key)
    .fetch_optional(&mut tx)
    .await?;
    if let Some(known) = known {
        let stored: String = known.try_get("request")?;
        tx.rollback().await?;
        return Ok(if stored == request {
            DeclarationResult::Replayed(known.try_get("response")?)
        } else {
            DeclarationResult::KeyReused
        });
    }
    // Under the same lock: two declarations cannot both fit the permit's last places, nor both
    // spend the window's last referrals.
    let permit = daycare_permit(&mut tx, vacancy.daycare_id).await?;
    let open_declared =
        open_declared_places(&mut tx, vacancy.daycare_id, vacancy.age_class).await?;
    if !permits::declaration_fits_permit(
        permit[vacancy.age_class.index()],
        open_declared,
        vacancy.places,
    ) {
        tx.rollback().await?;
        return Ok(DeclarationResult::OverPermit);
    }
    let room = ReferralRoom {
        issued_in_window: referrals_since(
            &mut tx,
            vacancy.daycare_id,
            vacancy.declared_at - permits::referral_window(),
        )
        .await?,
        bound: permits::referral_bound(permit.iter().sum()),
    };
    let candidates = load_candidates(&mut tx, vacancy.daycare_id, vacancy.id).await?;
    let DeclarationPlan {
        referrals,
        event,
        response,
    } = plan(candidates, room)?;
    if referrals.len() > room.remaining() {
        // The plan must honour the room it was given; refusing here keeps the bound a
        // property of the store, whatever the caller does.
        return Err(StoreError::Corrupt(
            "a declaration's plan exceeds the daycare's referral bound".to_owned(),
        ));
    }
    let places = i32::try_from(vacancy.places)
        .map_err(|_| StoreError::Corrupt("places out of range".to_owned()))?;
    query(concat!(
        "INSERT INTO vacancies (id, daycare_id, age_class, places, start_date,",
        " group_label, declared_at, declared_by_device)",
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    ))
    .bind(vacancy.id.as_uuid())
    .bind(vacancy.daycare_id.as_uuid())
    .bind(vacancy.age_class.code())
    .bind(places)
    .bind(vacancy.start_date)
    .bind(vacancy.group_label.as_deref())
    .bind(vacancy.declared_at)
    .bind(vacancy.declared_by.as_uuid())
    .execute(&mut tx)
    .await?;
    let change_seq = insert_event(&mut tx, &event).await?;
    insert_referrals(&mut tx, &referrals, change_seq).await?;
    query(concat!(
        "INSERT INTO vacancy_requests (daycare_id, idempotency_key, vacancy_id,",
        " request, response, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(vacancy.daycare_id.as_uuid())
    .bind(key)
    .bind(vacancy.id.as_uuid())
    .bind(request)
    .bind(response.as_str())
    .bind(vacancy.declared_at)
    .execute(&mut tx)
    .await?;
    tx.commit().await?;
    Ok(DeclarationResult::Declared(response))
}

/// A daycare's permit places per age class, in [`AgeClass::ALL`] order (none for an unknown
/// daycare: it can declare nothing).
async fn daycare_permit(tx: &mut Tx, daycare: DaycareId) -> Result<[u32; 4], StoreError> {
    let row = query(concat!(
        "SELECT places_under_18_months, places_18_months_to_4_years, places_four_years,",
        " places_five_and_over FROM daycares WHERE id = $1"
    ))
    .bind(daycare.as_uuid())
    .fetch_optional(tx)
    .await?;
    let mut places = [0u32; 4];
    if let Some(row) = row {
        for (index, slot) in places.iter_mut().enumerate() {
            let value: i32 = row.try_get(index)?;
            *slot = u32::try_from(value)
                .map_err(|_| StoreError::Corrupt("negative permit places".to_owned()))?;
        }
    }
    Ok(places)
}

/// The places of `daycare`'s vacancies of `class` that no accepted referral fills yet.
async fn open_declared_places(
    tx: &mut Tx,
    daycare: DaycareId,
    class: AgeClass,
) -> Result<u64, StoreError> {
    let rows = query(concat!(
        "SELECT v.places, (SELECT COUNT(*) FROM referrals r",
        "   WHERE r.vacancy_id = v.id AND r.status = 'accepted') AS filled",
        " FROM vacancies v WHERE v.daycare_id = $1 AND v.age_class = $2"
    ))
    .bind(daycare.as_uuid())
    .bind(class.code())
    .fetch_all(tx)
    .await?;
    let mut open = 0u64;
    for row in &rows {
        let places: i32 = row.try_get("places")?;
        let filled: i64 = row.try_get("filled")?;
        let left = i64::from(places).saturating_sub(filled).max(0);
        open = open.saturating_add(u64::try_from(left).unwrap_or(0));
    }
    Ok(open)
}

/// The first of `referrals` each daycare still has room for within its referral bound
/// ([`permits::referral_bound`] over [`permits::referral_window`] before `now`).
pub(super) async fn within_referral_bound(
    tx: &mut Tx,
    referrals: Vec<ReferralRecord>,
    now: DateTime<Utc>,
) -> Result<Vec<ReferralRecord>, StoreError> {
    let mut room: Vec<(DaycareId, usize)> = Vec::new();
    let mut kept = Vec::with_capacity(referrals.len());
    for referral in referrals {
        let index = match room.iter().position(|(d, _)| *d == referral.daycare_id) {
            Some(index) => index,
            None => {
                let permit = daycare_permit(tx, referral.daycare_id).await?;
                let left = ReferralRoom {
                    issued_in_window: referrals_since(
                        tx,
                        referral.daycare_id,
                        now - permits::referral_window(),
                    )
                    .await?,
                    bound: permits::referral_bound(permit.iter().sum()),
                }
                .remaining();
                room.push((referral.daycare_id, left));
                room.len() - 1
            }
        };
        if room[index].1 > 0 {
            room[index].1 -= 1;
            kept.push(referral);
        }
    }
    Ok(kept)
}

/// Referrals issued to `daycare` at or after `since` (declarations and top-ups alike).
async fn referrals_since(
    tx: &mut Tx,
    daycare: DaycareId,
    since: DateTime<Utc>,
) -> Result<u64, StoreError> {
    let count: i64 =
        query("SELECT COUNT(*) FROM referrals WHERE daycare_id = $1 AND referred_at >= $2")
            .bind(daycare.as_uuid())
            .bind(since)
            .fetch_scalar(tx)
            .await?;
    Ok(u64::try_from(count).unwrap_or(0))
}

pub(super) async fn known_declaration(
    db: Db<'_>,
    daycare: DaycareId,
    key: uuid::Uuid,
) -> Result<Option<(String, String)>, StoreError> {
    let row = query(concat!(
        "SELECT request, response FROM vacancy_requests",
        " WHERE daycare_id = $1 AND idempotency_key = $2"
    ))
    .bind(daycare.as_uuid())
    .bind(key)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
        None => None,
    })
}

pub(super) async fn vacancy_referrals(
    db: Db<'_>,
    vacancy: VacancyId,
) -> Result<Vec<ReferralRecord>, StoreError> {
    let rows = query(concat!(
        "SELECT id, vacancy_id, daycare_id, registration_id, status, rank, rank_reason,",
        " answer_by, referred_at FROM referrals WHERE vacancy_id = $1 ORDER BY rank"
    ))
    .bind(vacancy.as_uuid())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            let rank: i32 = row.try_get("rank")?;
            Ok(ReferralRecord {
                id: ReferralId::from_uuid(row.try_get("id")?),
                vacancy_id: VacancyId::from_uuid(row.try_get("vacancy_id")?),
                daycare_id: DaycareId::from_uuid(row.try_get("daycare_id")?),
                registration_id: RegistrationId::from_uuid(row.try_get("registration_id")?),
                status: row.try_get("status")?,
                rank: u32::try_from(rank)
                    .map_err(|_| StoreError::Corrupt("negative rank".to_owned()))?,
                rank_reason: row.try_get("rank_reason")?,
                answer_by: row.try_get("answer_by")?,
                referred_at: row.try_get("referred_at")?,
            })
        })
        .collect()
}

pub(super) async fn daycare_referral_count(
    db: Db<'_>,
    daycare: DaycareId,
) -> Result<i64, StoreError> {
    Ok(
        query("SELECT COUNT(*) FROM referrals WHERE daycare_id = $1")
            .bind(daycare.as_uuid())
            .fetch_scalar(db)
            .await?,
    )
}

/// A stored vacancy.
pub(super) async fn vacancy(tx: &mut Tx, id: VacancyId) -> Result<VacancyRecord, StoreError> {
    let row = query(concat!(
        "SELECT id, daycare_id, age_class, places, start_date, group_label, declared_at,",
        " declared_by_device FROM vacancies WHERE id = $1"
    ))
    .bind(id.as_uuid())
    .fetch_one(tx)
    .await?;
    let places: i32 = row.try_get("places")?;
    let class: String = row.try_get("age_class")?;
    Ok(VacancyRecord {
        id,
        daycare_id: DaycareId::from_uuid(row.try_get("daycare_id")?),
        age_class: AgeClass::from_code(&class)
            .map_err(|_| StoreError::Corrupt("age class".to_owned()))?,
        places: u32::try_from(places).unwrap_or(0),
        start_date: row.try_get("start_date")?,
        group_label: row.try_get("group_label")?,
        declared_at: row.try_get("declared_at")?,
        declared_by: DeviceId::from_uuid(row.try_get("declared_by_device")?),
    })
}

/// The referrals made to a vacancy, as a top-up counts them.
pub(super) async fn existing_referrals(
    tx: &mut Tx,
    vacancy: VacancyId,
) -> Result<Vec<ExistingReferral>, StoreError> {
    let rows = query("SELECT id, status, rank FROM referrals WHERE vacancy_id = $1")
        .bind(vacancy.as_uuid())
        .fetch_all(tx)
        .await?;
    rows.iter()
        .map(|row| {
            Ok(ExistingReferral {
                id: ReferralId::from_uuid(row.try_get("id")?),
                status: row.try_get("status")?,
                rank: row.try_get("rank")?,
            })
        })
        .collect()
}

/// Registrations that chose `daycare` and may be referred to `vacancy`: waiting, not a
/// honeytoken, no open referral to this daycare, never referred to this vacancy.
pub(super) async fn load_candidates(
    tx: &mut Tx,
    daycare: DaycareId,
    vacancy: VacancyId,
) -> Result<Vec<CandidateRecord>, StoreError> {
    let rows = query(concat!(
        "SELECT r.id, r.birth_date, r.desired_entry_date, r.registered_on,",
        " r.staff_member_child, r.same_address_as_admitted_child,",
        " r.already_in_subsidized_care, r.special_needs, r.socio_economic_precarity,",
        " r.parent_in_education",
        " FROM registration_choices c JOIN registrations r ON r.id = c.registration_id",
        " LEFT JOIN registration_states s ON s.registration_id = r.id",
        " WHERE c.daycare_id = $1 AND (s.status IS NULL OR s.status = 'waiting')",
        " AND NOT EXISTS (SELECT 1 FROM honeytoken_registrations h",
        "   WHERE h.registration_id = r.id)",
        " AND NOT EXISTS (SELECT 1 FROM referrals f WHERE f.registration_id = r.id",
        "   AND ((f.daycare_id = $1 AND f.status = 'open') OR f.vacancy_id = $2))"
    ))
    .bind(daycare.as_uuid())
    .bind(vacancy.as_uuid())
    .fetch_all(tx)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(CandidateRecord {
                registration_id: RegistrationId::from_uuid(row.try_get("id")?),
                birth_date: row.try_get("birth_date")?,
                desired_entry_date: row.try_get("desired_entry_date")?,
                registered_on: row.try_get("registered_on")?,
                facts: CategoryFacts {
                    staff_member_child: row.try_get("staff_member_child")?,
                    same_address_as_admitted_child: row
                        .try_get("same_address_as_admitted_child")?,
                    already_in_subsidized_care: row.try_get("already_in_subsidized_care")?,
                },
                priority: PriorityBasis {
                    special_needs: row.try_get("special_needs")?,
                    socio_economic_precarity: row.try_get("socio_economic_precarity")?,
                    parent_in_education: row.try_get("parent_in_education")?,
                    // The store has columns for the first three of the six criteria only.
                    ..PriorityBasis::NONE
                },
            })
        })
        .collect()
}

pub(super) async fn insert_referrals(
    tx: &mut Tx,
    referrals: &[ReferralRecord],
    change_seq: i64,
) -> Result<(), StoreError> {
    for chunk in referrals.chunks(SEED_ROWS_PER_STATEMENT) {
        let mut insert = insert_rows(
            concat!(
                "INSERT INTO referrals (id, vacancy_id, daycare_id, registration_id,",
                " status, rank, rank_reason, answer_by, referred_at, change_seq)"
            ),
            chunk.len(),
            10,
        );
        for r in chunk {
            insert.push(r.id.as_uuid());
            insert.push(r.vacancy_id.as_uuid());
            insert.push(r.daycare_id.as_uuid());
            insert.push(r.registration_id.as_uuid());
            insert.push(r.status.as_str());
            insert.push(i32::try_from(r.rank).unwrap_or(i32::MAX));
            insert.push(r.rank_reason.as_str());
            insert.push(r.answer_by);
            insert.push(r.referred_at);
            insert.push(change_seq);
        }
        insert.execute(&mut *tx).await?;
    }
    Ok(())
}
