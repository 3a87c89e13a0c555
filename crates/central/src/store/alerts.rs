//! Alerts for the operator, and the honeytoken registrations that raise some of them.

use super::db::{query, Db};
use super::{AlertRecord, StoreError};

pub(super) async fn add_alert(db: Db<'_>, alert: &AlertRecord) -> Result<(), StoreError> {
    query(concat!(
        "INSERT INTO alerts (raised_at, kind, device_id, daycare_id, detail)",
        " VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(alert.raised_at.as_str())
    .bind(alert.kind.as_str())
    .bind(alert.device_id.as_str())
    .bind(alert.daycare_id.as_str())
    .bind(alert.detail.as_str())
    .execute(db)
    .await?;
    Ok(())
}

pub(super) async fn alerts(db: Db<'_>) -> Result<Vec<AlertRecord>, StoreError> {
    let rows =
        query("SELECT raised_at, kind, device_id, daycare_id, detail FROM alerts ORDER BY id DESC")
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|row| {
            Ok(AlertRecord {
                raised_at: row.try_get("raised_at")?,
                kind: row.try_get("kind")?,
                device_id: row.try_get("device_id")?,
                daycare_id: row.try_get("daycare_id")?,
                detail: row.try_get("detail")?,
            })
        })
        .collect()
}

pub(super) async fn is_honeytoken(db: Db<'_>, id: uuid::Uuid) -> Result<bool, StoreError> {
    let count: i64 =
        query("SELECT COUNT(*) FROM honeytoken_registrations WHERE registration_id = $1")
            .bind(id)
            .fetch_scalar(db)
            .await?;
    Ok(count > 0)
}

pub(super) async fn honeytoken_count(db: Db<'_>) -> Result<i64, StoreError> {
    Ok(query("SELECT COUNT(*) FROM honeytoken_registrations")
        .fetch_scalar(db)
        .await?)
}
