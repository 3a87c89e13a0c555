//! Contact reveals: a family's details, read one referral at a time, under a per-device daily
//! quota and the daycare's budgets of [`crate::reveal_budgets`].

use chrono::{DateTime, Utc};
use placeforte_domain::{CategoryFacts, PriorityBasis};
use placeforte_protocol::{DaycareId, RegistrationId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{query, Db, Exec, Tx};
use super::{AuditEvent, RegistrationRecord, RevealRequest, RevealResult, StoreError};
use crate::reveal_budgets::{self, RevealCounts};

pub(super) async fn reveal_contact(
    db: Db<'_>,
    request: &RevealRequest,
) -> Result<RevealResult, StoreError> {
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    let referral =
        query("SELECT registration_id, status FROM referrals WHERE id = $1 AND daycare_id = $2")
            .bind(request.referral_id.as_uuid())
            .bind(request.daycare_id.as_uuid())
            .fetch_optional(&mut tx)
            .await?;
    let Some(referral) = referral else {
        tx.rollback().await?;
        return Ok(RevealResult::NotFound);
    };
    let status: String = referral.try_get("status")?;
    if status != "open" {
        tx.rollback().await?;
        return Ok(RevealResult::Closed);
    }
    let registration: uuid::Uuid = referral.try_get("registration_id")?;
    let day_start = request
        .now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|t| t.and_utc())
        .unwrap_or(request.now);
    let today: i64 =
        query("SELECT COUNT(*) FROM contact_reveals WHERE device_id = $1 AND revealed_at >= $2")
            .bind(request.device_id.as_uuid())
            .bind(day_start)
            .fetch_scalar(&mut tx)
            .await?;
    let mut event = AuditEvent::new(
        request.now,
        format!("device:{}", request.device_id),
        "contact.revealed",
        format!("referral:{}", request.referral_id),
    )
    .for_daycare(request.daycare_id);
    event.referral_ids = vec![request.referral_id];
    event.reason = Some(request.reason.clone());
    if today >= i64::from(request.daily_quota) {
        event.action = "contact.refused_over_quota".to_owned();
        insert_event(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(RevealResult::OverQuota);
    }
    // Counted under the audit head's lock, so parallel reveals from the daycare's devices
    // cannot all pass the last unit of a budget.
    let counts = reveal_counts(&mut tx, request).await?;
    if let Some(limit) = reveal_budgets::reveal_limit(counts) {
        event.action = limit.refusal_action().to_owned();
        insert_event(&mut tx, &event).await?;
        tx.commit().await?;
        return Ok(RevealResult::OverDaycareLimit(limit));
    }
    let row = query(concat!(
        "SELECT id, child_given_name, child_family_name, birth_date, desired_entry_date,",
        " registered_on, region, address_key, parent_given_name, parent_family_name,",
        " parent_phone, parent_email, staff_member_child, same_address_as_admitted_child,",
        " already_in_subsidized_care, special_needs, socio_economic_precarity,",
        " parent_in_education FROM registrations WHERE id = $1"
    ))
    .bind(registration)
    .fetch_one(&mut tx)
    .await?;
    let record = RegistrationRecord {
        id: RegistrationId::from_uuid(row.try_get("id")?),
        child_given_name: row.try_get("child_given_name")?,
        child_family_name: row.try_get("child_family_name")?,
        birth_date: row.try_get("birth_date")?,
        desired_entry_date: row.try_get("desired_entry_date")?,
        registered_on: row.try_get("registered_on")?,
        region: row.try_get("region")?,
        address_key: row.try_get("address_key")?,
        parent_given_name: row.try_get("parent_given_name")?,
        parent_family_name: row.try_get("parent_family_name")?,
        parent_phone: row.try_get("parent_phone")?,
        parent_email: row.try_get("parent_email")?,
        facts: CategoryFacts {
            staff_member_child: row.try_get("staff_member_child")?,
            same_address_as_admitted_child: row.try_get("same_address_as_admitted_child")?,
            already_in_subsidized_care: row.try_get("already_in_subsidized_care")?,
        },
        priority: PriorityBasis {
            special_needs: row.try_get("special_needs")?,
            socio_economic_precarity: row.try_get("socio_economic_precarity")?,
            parent_in_education: row.try_get("parent_in_education")?,
            // The store has columns for the first three of the six criteria only.
            ..PriorityBasis::NONE
        },
    };
    query(concat!(
        "INSERT INTO contact_reveals (device_id, daycare_id, referral_id,",
        " registration_id, reason, note, revealed_at) VALUES ($1, $2, $3, $4, $5, $6, $7)"
    ))
    .bind(request.device_id.as_uuid())
    .bind(request.daycare_id.as_uuid())
    .bind(request.referral_id.as_uuid())
    .bind(registration)
    .bind(request.reason.as_str())
    .bind(request.note.as_deref())
    .bind(request.now)
    .execute(&mut tx)
    .await?;
    insert_event(&mut tx, &event).await?;
    tx.commit().await?;
    Ok(RevealResult::Revealed(Box::new(record)))
}

/// What [`reveal_budgets::reveal_limit`] decides on, for the caller's daycare at `request.now`.
async fn reveal_counts(tx: &mut Tx, request: &RevealRequest) -> Result<RevealCounts, StoreError> {
    let daycare = request.daycare_id.as_uuid();
    let open_referrals = open_referral_count(&mut *tx, request.daycare_id).await?;
    let of_this_referral: i64 =
        query("SELECT COUNT(*) FROM contact_reveals WHERE referral_id = $1")
            .bind(request.referral_id.as_uuid())
            .fetch_scalar(&mut *tx)
            .await?;
    let since = |window: chrono::Duration| request.now - window;
    let count_since =
        "SELECT COUNT(*) FROM contact_reveals WHERE daycare_id = $1 AND revealed_at >= $2";
    let last_day: i64 = query(count_since)
        .bind(daycare)
        .bind(since(reveal_budgets::daily_window()))
        .fetch_scalar(&mut *tx)
        .await?;
    let last_week: i64 = query(count_since)
        .bind(daycare)
        .bind(since(reveal_budgets::weekly_window()))
        .fetch_scalar(&mut *tx)
        .await?;
    Ok(RevealCounts {
        open_referrals,
        of_this_referral,
        last_day,
        last_week,
    })
}

/// The daycare's open referrals, in a transaction or on its own.
pub(super) async fn open_referral_count(
    exec: impl Into<Exec<'_>>,
    daycare: DaycareId,
) -> Result<i64, StoreError> {
    Ok(
        query("SELECT COUNT(*) FROM referrals WHERE daycare_id = $1 AND status = 'open'")
            .bind(daycare.as_uuid())
            .fetch_scalar(exec)
            .await?,
    )
}

pub(super) async fn daycare_revealed_referrals(
    db: Db<'_>,
    daycare: DaycareId,
    since: DateTime<Utc>,
) -> Result<i64, StoreError> {
    Ok(query(concat!(
        "SELECT COUNT(DISTINCT referral_id) FROM contact_reveals",
        " WHERE daycare_id = $1 AND revealed_at >= $2"
    ))
    .bind(daycare.as_uuid())
    .bind(since)
    .fetch_scalar(db)
    .await?)
}
