//! Alerts for the operator, their delivery outbox, and the honeytoken registrations that raise
//! some of them.

use super::audit::insert_event;
use super::db::{query, Db, Row};
use super::{
    AcknowledgeResult, AlertDelivery, AlertRecord, AuditEvent, DeliveryLease, NewAlert, StoreError,
};

const ALERT_COLUMNS: &str = concat!(
    "SELECT a.id, a.raised_at, a.kind, a.device_id, a.daycare_id, a.detail, a.window_start,",
    " a.acknowledged_at, a.acknowledged_by, a.acknowledgement_note,",
    " d.state AS delivery_state, d.attempts AS delivery_attempts",
    " FROM alerts a LEFT JOIN alert_deliveries d ON d.alert_id = a.id"
);

/// Inserts the alert unless its deduplication key is already taken, and its outbox row in the
/// same transaction: an alert is never stored without something to deliver it.
pub(super) async fn raise_alert(db: Db<'_>, alert: &NewAlert) -> Result<Option<i64>, StoreError> {
    let mut tx = db.begin().await?;
    let id: Option<i64> = query(concat!(
        "INSERT INTO alerts (raised_at, kind, device_id, daycare_id, detail, dedup_key,",
        " window_start) VALUES ($1, $2, $3, $4, $5, $6, $7)",
        " ON CONFLICT (dedup_key) DO NOTHING RETURNING id"
    ))
    .bind(alert.raised_at.as_str())
    .bind(alert.kind.as_str())
    .bind(alert.device_id.as_str())
    .bind(alert.daycare_id.as_str())
    .bind(alert.detail.as_str())
    .bind(alert.dedup_key.as_str())
    .bind(alert.window_start.as_str())
    .fetch_optional(&mut tx)
    .await?
    .map(|row| row.try_get("id"))
    .transpose()?;
    let Some(id) = id else {
        tx.rollback().await?;
        return Ok(None);
    };
    query("INSERT INTO alert_deliveries (alert_id, next_attempt_at) VALUES ($1, $2)")
        .bind(id)
        .bind(alert.raised_at.as_str())
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
    Ok(Some(id))
}

pub(super) async fn alerts(db: Db<'_>) -> Result<Vec<AlertRecord>, StoreError> {
    let sql = format!("{ALERT_COLUMNS} ORDER BY a.id DESC");
    let rows = query(&sql).fetch_all(db).await?;
    rows.iter().map(alert_from_row).collect()
}

fn alert_from_row(row: &Row) -> Result<AlertRecord, StoreError> {
    let state: Option<String> = row.try_get("delivery_state")?;
    let attempts: Option<i64> = row.try_get("delivery_attempts")?;
    Ok(AlertRecord {
        id: row.try_get("id")?,
        raised_at: row.try_get("raised_at")?,
        kind: row.try_get("kind")?,
        device_id: row.try_get("device_id")?,
        daycare_id: row.try_get("daycare_id")?,
        detail: row.try_get("detail")?,
        window_start: row.try_get("window_start")?,
        acknowledged_at: row.try_get("acknowledged_at")?,
        acknowledged_by: row.try_get("acknowledged_by")?,
        acknowledgement_note: row.try_get("acknowledgement_note")?,
        delivery: match state.as_deref() {
            None => AlertDelivery::None,
            Some("delivered") => AlertDelivery::Delivered,
            Some(_) => AlertDelivery::Pending {
                attempts: attempts.unwrap_or(0),
            },
        },
    })
}

pub(super) async fn acknowledge_alert(
    db: Db<'_>,
    id: i64,
    operator: &str,
    note: &str,
    event: &AuditEvent,
) -> Result<AcknowledgeResult, StoreError> {
    let mut tx = db.begin().await?;
    let changed = query(concat!(
        "UPDATE alerts SET acknowledged_at = $1, acknowledged_by = $2, acknowledgement_note = $3",
        " WHERE id = $4 AND acknowledged_at IS NULL"
    ))
    .bind(crate::audit::instant_text(event.occurred_at))
    .bind(operator)
    .bind(note)
    .bind(id)
    .execute(&mut tx)
    .await?;
    if changed == 0 {
        let exists: i64 = query("SELECT COUNT(*) FROM alerts WHERE id = $1")
            .bind(id)
            .fetch_scalar(&mut tx)
            .await?;
        tx.rollback().await?;
        return Ok(if exists == 0 {
            AcknowledgeResult::NotFound
        } else {
            AcknowledgeResult::AlreadyAcknowledged
        });
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(AcknowledgeResult::Acknowledged)
}

/// Claims up to `limit` due rows for `lease.owner`. Each row is taken by its own conditional
/// UPDATE on its primary key, re-checking that its lease is expired: on PostgreSQL a second
/// sender's UPDATE waits for the first and then re-evaluates that condition on the new row
/// (false: the row is held), on SQLite writers are serialized; so two senders never hold the
/// same row at once. (An UPDATE over an `IN (SELECT … LIMIT)` join is not re-checked as
/// reliably: the attack test caught both senders taking the same rows.)
pub(super) async fn claim_deliveries(
    db: Db<'_>,
    lease: &DeliveryLease,
    limit: i64,
) -> Result<Vec<(AlertRecord, i64)>, StoreError> {
    let due = query(concat!(
        "SELECT alert_id FROM alert_deliveries WHERE state = 'pending'",
        " AND next_attempt_at <= $1 AND lease_until <= $1 ORDER BY alert_id LIMIT $2"
    ))
    .bind(lease.now.as_str())
    .bind(limit)
    .fetch_all(db)
    .await?;
    let mut claimed = Vec::new();
    for row in &due {
        let id: i64 = row.try_get("alert_id")?;
        let taken = query(concat!(
            "UPDATE alert_deliveries SET lease_until = $1, lease_owner = $2",
            " WHERE alert_id = $3 AND state = 'pending' AND lease_until <= $4"
        ))
        .bind(lease.until.as_str())
        .bind(lease.owner.as_str())
        .bind(id)
        .bind(lease.now.as_str())
        .execute(db)
        .await?;
        if taken == 1 {
            let sql = format!("{ALERT_COLUMNS} WHERE a.id = $1");
            let row = query(&sql).bind(id).fetch_one(db).await?;
            claimed.push((alert_from_row(&row)?, row.try_get("delivery_attempts")?));
        }
    }
    Ok(claimed)
}

pub(super) async fn delivery_succeeded(
    db: Db<'_>,
    alert_id: i64,
    lease: &DeliveryLease,
) -> Result<(), StoreError> {
    query(concat!(
        "UPDATE alert_deliveries SET state = 'delivered', delivered_at = $1,",
        " attempts = attempts + 1, lease_until = '', last_error = ''",
        " WHERE alert_id = $2 AND lease_owner = $3"
    ))
    .bind(lease.now.as_str())
    .bind(alert_id)
    .bind(lease.owner.as_str())
    .execute(db)
    .await?;
    Ok(())
}

pub(super) async fn delivery_failed(
    db: Db<'_>,
    alert_id: i64,
    lease: &DeliveryLease,
    next_attempt_at: &str,
    error: &str,
) -> Result<(), StoreError> {
    query(concat!(
        "UPDATE alert_deliveries SET attempts = attempts + 1, next_attempt_at = $1,",
        " last_error = $2, lease_until = ''",
        " WHERE alert_id = $3 AND lease_owner = $4 AND state = 'pending'"
    ))
    .bind(next_attempt_at)
    .bind(error)
    .bind(alert_id)
    .bind(lease.owner.as_str())
    .execute(db)
    .await?;
    Ok(())
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
