//! Daycares, enrolment codes, devices and their certificates.

use chrono::{DateTime, Utc};
use placeforte_protocol::{DaycareId, DeviceId};

use super::audit::{insert_event, lock_audit_head};
use super::db::{insert_rows, query, Db, Row, Tx};
use super::{
    AuditEvent, CertificateStanding, DaycareRecord, DeviceRecord, EnrolmentCodeRecord,
    IssuedCertificate, RevokedCertificate, StoreError,
};

const DAYCARE_COLUMNS: &str = concat!(
    "SELECT id, name, region, places_under_18_months, places_18_months_to_4_years,",
    " places_four_years, places_five_and_over, created_at FROM daycares"
);

pub(super) async fn add_daycare(
    db: Db<'_>,
    daycare: &DaycareRecord,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    insert_daycares(&mut tx, std::slice::from_ref(daycare)).await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn set_daycare_permit(
    db: Db<'_>,
    daycare: DaycareId,
    places: [u32; 4],
    event: &AuditEvent,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    // Serialized with declarations, which read the permit under the same lock.
    lock_audit_head(&mut tx).await?;
    let mut columns = [0i32; 4];
    for (column, places) in columns.iter_mut().zip(places) {
        *column = i32::try_from(places).map_err(|_| {
            StoreError::Corrupt("a permit capacity does not fit the schema".to_owned())
        })?;
    }
    let updated = query(concat!(
        "UPDATE daycares SET places_under_18_months = $1, places_18_months_to_4_years = $2,",
        " places_four_years = $3, places_five_and_over = $4 WHERE id = $5"
    ))
    .bind(columns[0])
    .bind(columns[1])
    .bind(columns[2])
    .bind(columns[3])
    .bind(daycare.as_uuid())
    .execute(&mut tx)
    .await?;
    if updated == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn daycares(db: Db<'_>) -> Result<Vec<DaycareRecord>, StoreError> {
    let sql = format!("{DAYCARE_COLUMNS} ORDER BY name, id");
    let rows = query(&sql).fetch_all(db).await?;
    rows.iter().map(daycare_from_row).collect()
}

pub(super) async fn daycare(
    db: Db<'_>,
    id: DaycareId,
) -> Result<Option<DaycareRecord>, StoreError> {
    let sql = format!("{DAYCARE_COLUMNS} WHERE id = $1");
    let row = query(&sql).bind(id.as_uuid()).fetch_optional(db).await?;
    row.as_ref().map(daycare_from_row).transpose()
}

pub(super) async fn add_enrolment_code(
    db: Db<'_>,
    code: &EnrolmentCodeRecord,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    query(concat!(
        "INSERT INTO enrolment_codes (code_sha256, daycare_id, issued_at, expires_at)",
        " VALUES ($1, $2, $3, $4)"
    ))
    .bind(code.code_sha256.as_slice())
    .bind(code.daycare_id.as_uuid())
    .bind(code.issued_at)
    .bind(code.expires_at)
    .execute(&mut tx)
    .await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn enrol_device<F>(
    db: Db<'_>,
    code_sha256: &[u8],
    now: DateTime<Utc>,
    device: &DeviceRecord,
    sign: F,
    event: &AuditEvent,
) -> Result<bool, StoreError>
where
    F: FnOnce() -> Result<IssuedCertificate, StoreError>,
{
    let mut tx = db.begin().await?;
    // Claiming the code first takes the row (PostgreSQL) or the write lock (SQLite), so two
    // concurrent enrolments with one code cannot both pass.
    let claimed = query(concat!(
        "UPDATE enrolment_codes SET used_at = $1 WHERE code_sha256 = $2 AND used_at IS NULL",
        " RETURNING daycare_id, expires_at"
    ))
    .bind(now)
    .bind(code_sha256)
    .fetch_optional(&mut tx)
    .await?;
    let Some(claimed) = claimed else {
        tx.rollback().await?;
        return Ok(false);
    };
    let code_daycare: uuid::Uuid = claimed.try_get("daycare_id")?;
    let expires_at: DateTime<Utc> = claimed.try_get("expires_at")?;
    if code_daycare != device.daycare_id.as_uuid() || now >= expires_at {
        // Rolled back: a refused attempt neither consumes the code nor writes.
        tx.rollback().await?;
        return Ok(false);
    }
    // Only now, with the code claimed in this transaction, is anything signed: a wrong code
    // never makes the CA sign. A signing failure rolls the claim back.
    let certificate = match sign() {
        Ok(certificate) => certificate,
        Err(error) => {
            tx.rollback().await?;
            return Err(error);
        }
    };
    query(concat!(
        "INSERT INTO devices (id, daycare_id, enrolled_at, revoked_at)",
        " VALUES ($1, $2, $3, NULL)"
    ))
    .bind(device.id.as_uuid())
    .bind(device.daycare_id.as_uuid())
    .bind(device.enrolled_at)
    .execute(&mut tx)
    .await?;
    query("UPDATE enrolment_codes SET used_by_device = $1 WHERE code_sha256 = $2")
        .bind(device.id.as_uuid())
        .bind(code_sha256)
        .execute(&mut tx)
        .await?;
    insert_certificate(&mut tx, &certificate).await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn certificate_standing(
    db: Db<'_>,
    serial_hex: &str,
    device: DeviceId,
) -> Result<CertificateStanding, StoreError> {
    // One primary-key lookup answers both questions: was this serial issued to this device,
    // and is it (and its device) still unrevoked.
    let row = query(concat!(
        "SELECT d.daycare_id, d.revoked_at AS device_revoked_at,",
        " c.revoked_at AS certificate_revoked_at FROM device_certificates c",
        " JOIN devices d ON d.id = c.device_id WHERE c.serial_hex = $1 AND c.device_id = $2"
    ))
    .bind(serial_hex)
    .bind(device.as_uuid())
    .fetch_optional(db)
    .await?;
    let Some(row) = row else {
        return Ok(CertificateStanding::NotIssued);
    };
    let device_revoked: Option<DateTime<Utc>> = row.try_get("device_revoked_at")?;
    let certificate_revoked: Option<DateTime<Utc>> = row.try_get("certificate_revoked_at")?;
    Ok(match (device_revoked, certificate_revoked) {
        (Some(_), _) => CertificateStanding::DeviceRevoked,
        (None, Some(_)) => CertificateStanding::Replaced,
        (None, None) => {
            CertificateStanding::Current(DaycareId::from_uuid(row.try_get("daycare_id")?))
        }
    })
}

pub(super) async fn device(db: Db<'_>, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
    let row = query("SELECT id, daycare_id, enrolled_at, revoked_at FROM devices WHERE id = $1")
        .bind(id.as_uuid())
        .fetch_optional(db)
        .await?;
    row.as_ref().map(device_from_row).transpose()
}

pub(super) async fn devices(db: Db<'_>) -> Result<Vec<DeviceRecord>, StoreError> {
    let rows = query(
        "SELECT id, daycare_id, enrolled_at, revoked_at FROM devices ORDER BY enrolled_at, id",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(device_from_row).collect()
}

pub(super) async fn revoke_device(
    db: Db<'_>,
    id: DeviceId,
    now: DateTime<Utc>,
    event: &AuditEvent,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let updated = query("UPDATE devices SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(id.as_uuid())
        .execute(&mut tx)
        .await?;
    if updated == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn add_renewed_certificate(
    db: Db<'_>,
    certificate: &IssuedCertificate,
    replaced_serial: &str,
    events: &[AuditEvent],
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    // Touching the device row first serializes renewal against revocation.
    let active =
        query("UPDATE devices SET enrolled_at = enrolled_at WHERE id = $1 AND revoked_at IS NULL")
            .bind(certificate.device_id.as_uuid())
            .execute(&mut tx)
            .await?;
    if active == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    // The replaced certificate is revoked in the same transaction, and only if it still was
    // current: of two renewals from one certificate, one wins.
    let replaced = query(concat!(
        "UPDATE device_certificates SET revoked_at = $1",
        " WHERE serial_hex = $2 AND device_id = $3 AND revoked_at IS NULL"
    ))
    .bind(certificate.issued_at)
    .bind(replaced_serial)
    .bind(certificate.device_id.as_uuid())
    .execute(&mut tx)
    .await?;
    if replaced == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_certificate(&mut tx, certificate).await?;
    for event in events {
        insert_event(&mut tx, event).await?;
    }
    tx.commit().await?;
    Ok(true)
}

pub(super) async fn revoked_certificates(
    db: Db<'_>,
) -> Result<Vec<RevokedCertificate>, StoreError> {
    let rows = query(concat!(
        "SELECT c.serial_hex, COALESCE(c.revoked_at, d.revoked_at) AS revoked_at, c.not_after",
        " FROM device_certificates c JOIN devices d ON d.id = c.device_id",
        " WHERE d.revoked_at IS NOT NULL OR c.revoked_at IS NOT NULL ORDER BY c.serial_hex"
    ))
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(RevokedCertificate {
                serial_hex: row.try_get("serial_hex")?,
                revoked_at: row.try_get("revoked_at")?,
                not_after: row.try_get("not_after")?,
            })
        })
        .collect()
}

pub(super) async fn insert_daycares(
    tx: &mut Tx,
    daycares: &[DaycareRecord],
) -> Result<(), StoreError> {
    let mut insert = insert_rows(
        concat!(
            "INSERT INTO daycares (id, name, region, places_under_18_months,",
            " places_18_months_to_4_years, places_four_years, places_five_and_over, created_at)"
        ),
        daycares.len(),
        8,
    );
    for d in daycares {
        insert.push(d.id.as_uuid());
        insert.push(d.name.as_str());
        insert.push(d.region.as_str());
        for places in d.places {
            let places = i32::try_from(places).map_err(|_| {
                StoreError::Corrupt("a permit capacity does not fit the schema".to_owned())
            })?;
            insert.push(places);
        }
        insert.push(d.created_at);
    }
    insert.execute(tx).await?;
    Ok(())
}

async fn insert_certificate(
    tx: &mut Tx,
    certificate: &IssuedCertificate,
) -> Result<(), StoreError> {
    query(concat!(
        "INSERT INTO device_certificates (serial_hex, device_id, not_before, not_after, issued_at)",
        " VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(certificate.serial_hex.as_str())
    .bind(certificate.device_id.as_uuid())
    .bind(certificate.not_before)
    .bind(certificate.not_after)
    .bind(certificate.issued_at)
    .execute(tx)
    .await?;
    Ok(())
}

fn daycare_from_row(row: &Row) -> Result<DaycareRecord, StoreError> {
    let mut places = [0u32; 4];
    for (slot, column) in places.iter_mut().zip([
        "places_under_18_months",
        "places_18_months_to_4_years",
        "places_four_years",
        "places_five_and_over",
    ]) {
        let value: i32 = row.try_get(column)?;
        *slot =
            u32::try_from(value).map_err(|_| StoreError::Corrupt(format!("negative {column}")))?;
    }
    Ok(DaycareRecord {
        id: DaycareId::from_uuid(row.try_get("id")?),
        name: row.try_get("name")?,
        region: row.try_get("region")?,
        places,
        created_at: row.try_get("created_at")?,
    })
}

fn device_from_row(row: &Row) -> Result<DeviceRecord, StoreError> {
    Ok(DeviceRecord {
        id: DeviceId::from_uuid(row.try_get("id")?),
        daycare_id: DaycareId::from_uuid(row.try_get("daycare_id")?),
        enrolled_at: row.try_get("enrolled_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}
