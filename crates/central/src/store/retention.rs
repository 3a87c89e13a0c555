//! The retention sweep's half in the store: notes the day each referral is found decided and
//! each registration closed, and purges those whose period has passed, one audit entry each, in
//! one transaction under the audit head's lock (so two instances never purge one subject
//! twice). [`crate::retention`] decides; this module reads and writes.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::RegistrationStatus;
use placeforte_protocol::referrals::ReferralStatus;
use placeforte_protocol::{ReferralId, RegistrationId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{query, Db, Tx};
use super::StoreError;
use crate::referrals::registration_status_code;
use crate::retention::{self, PurgePlan, Purged, PURGE_BATCH};

/// What replaces a revert reason once erased: the row keeps saying it was reverted.
const ERASED_NOTE: &str = "[erased: retention period over]";

pub(super) async fn purge_personal_data(
    db: Db<'_>,
    plan: PurgePlan,
    now: DateTime<Utc>,
) -> Result<Purged, StoreError> {
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    note_closures(&mut tx, plan.today).await?;
    let mut purged = Purged::default();
    for referral in due_referrals(&mut tx, plan.referrals_closed_by).await? {
        purge_referral(&mut tx, referral, plan.today, now).await?;
        purged.referrals += 1;
    }
    for registration in due_registrations(&mut tx, plan.registrations_closed_by).await? {
        purge_registration(&mut tx, registration, plan.today, now).await?;
        purged.registrations += 1;
    }
    tx.commit().await?;
    Ok(purged)
}

/// Starts the clock of every referral decided and every registration closed since the last
/// sweep, and stops it for those reopened before their purge (an operator's revert).
async fn note_closures(tx: &mut Tx, today: NaiveDate) -> Result<(), StoreError> {
    let open = ReferralStatus::Open.code();
    query(concat!(
        "DELETE FROM referral_retention WHERE purged_on IS NULL AND referral_id IN",
        " (SELECT id FROM referrals WHERE status = $1)"
    ))
    .bind(open)
    .execute(&mut *tx)
    .await?;
    query(concat!(
        "INSERT INTO referral_retention (referral_id, closed_on)",
        " SELECT f.id, $1 FROM referrals f WHERE f.status <> $2 AND NOT EXISTS",
        " (SELECT 1 FROM referral_retention r WHERE r.referral_id = f.id)"
    ))
    .bind(today)
    .bind(open)
    .execute(&mut *tx)
    .await?;
    let withdrawn = registration_status_code(RegistrationStatus::Withdrawn);
    let placed = registration_status_code(RegistrationStatus::Placed);
    query(concat!(
        "DELETE FROM registration_retention WHERE purged_on IS NULL AND registration_id NOT IN",
        " (SELECT registration_id FROM registration_states WHERE status IN ($1, $2))"
    ))
    .bind(withdrawn)
    .bind(placed)
    .execute(&mut *tx)
    .await?;
    query(concat!(
        "INSERT INTO registration_retention (registration_id, closed_on)",
        " SELECT s.registration_id, $1 FROM registration_states s",
        " WHERE s.status IN ($2, $3) AND NOT EXISTS",
        " (SELECT 1 FROM registration_retention r WHERE r.registration_id = s.registration_id)"
    ))
    .bind(today)
    .bind(withdrawn)
    .bind(placed)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

async fn due_referrals(tx: &mut Tx, closed_by: NaiveDate) -> Result<Vec<ReferralId>, StoreError> {
    let rows = query(concat!(
        "SELECT referral_id FROM referral_retention WHERE purged_on IS NULL AND closed_on <= $1",
        " ORDER BY closed_on, referral_id LIMIT $2"
    ))
    .bind(closed_by)
    .bind(PURGE_BATCH)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|row| Ok(ReferralId::from_uuid(row.try_get("referral_id")?)))
        .collect()
}

async fn due_registrations(
    tx: &mut Tx,
    closed_by: NaiveDate,
) -> Result<Vec<RegistrationId>, StoreError> {
    let rows = query(concat!(
        "SELECT registration_id FROM registration_retention",
        " WHERE purged_on IS NULL AND closed_on <= $1",
        " ORDER BY closed_on, registration_id LIMIT $2"
    ))
    .bind(closed_by)
    .bind(PURGE_BATCH)
    .fetch_all(&mut *tx)
    .await?;
    rows.iter()
        .map(|row| Ok(RegistrationId::from_uuid(row.try_get("registration_id")?)))
        .collect()
}

/// Erases a decided referral's free text: the reveal notes and revert reasons written about it.
async fn purge_referral(
    tx: &mut Tx,
    referral: ReferralId,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert_event(tx, &retention::referral_purged_event(referral, now)).await?;
    query("UPDATE contact_reveals SET note = NULL WHERE referral_id = $1")
        .bind(referral.as_uuid())
        .execute(&mut *tx)
        .await?;
    query(concat!(
        "UPDATE referral_outcomes SET revert_reason = $1",
        " WHERE referral_id = $2 AND revert_reason IS NOT NULL"
    ))
    .bind(ERASED_NOTE)
    .bind(referral.as_uuid())
    .execute(&mut *tx)
    .await?;
    query("UPDATE referral_retention SET purged_on = $1 WHERE referral_id = $2")
        .bind(today)
        .bind(referral.as_uuid())
        .execute(&mut *tx)
        .await?;
    Ok(())
}

/// Destroys a closed registration's identifying data. The address key becomes one no other row
/// has, so the purged rows never look like siblings at one address.
async fn purge_registration(
    tx: &mut Tx,
    registration: RegistrationId,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    insert_event(tx, &retention::registration_purged_event(registration, now)).await?;
    let birth: NaiveDate = query("SELECT birth_date FROM registrations WHERE id = $1")
        .bind(registration.as_uuid())
        .fetch_scalar(&mut *tx)
        .await?;
    query(concat!(
        "UPDATE registrations SET child_given_name = '', child_family_name = '',",
        " parent_given_name = '', parent_family_name = '', parent_phone = '', parent_email = '',",
        " address_key = $1, birth_date = $2, staff_member_child = $3,",
        " same_address_as_admitted_child = $3, already_in_subsidized_care = $3,",
        " special_needs = $3, socio_economic_precarity = $3, parent_in_education = $3",
        " WHERE id = $4"
    ))
    .bind(format!("purged:{registration}"))
    .bind(retention::coarse_birth_date(birth))
    .bind(false)
    .bind(registration.as_uuid())
    .execute(&mut *tx)
    .await?;
    query("DELETE FROM registration_choices WHERE registration_id = $1")
        .bind(registration.as_uuid())
        .execute(&mut *tx)
        .await?;
    query("UPDATE contact_reveals SET note = NULL WHERE registration_id = $1")
        .bind(registration.as_uuid())
        .execute(&mut *tx)
        .await?;
    query("UPDATE registration_retention SET purged_on = $1 WHERE registration_id = $2")
        .bind(today)
        .bind(registration.as_uuid())
        .execute(&mut *tx)
        .await?;
    Ok(())
}
