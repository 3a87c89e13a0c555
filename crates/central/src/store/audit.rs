//! The audit chain, its checkpoints, and the reports and counts read from it.

use std::collections::HashSet;

use placeforte_protocol::RegistrationId;

use super::db::{query, Db, Row, Tx};
use super::{postgres, sqlite, AccessRecord, AuditEvent, StoreError};
use crate::audit::{AuditEntry, Checkpoint, GENESIS_HASH};

/// Takes the audit head's lock for the rest of `tx`. Declarations, outcomes, syncs and reveals
/// take it first, so they run one at a time and what they read is still true when they write.
pub(super) async fn lock_audit_head(tx: &mut Tx) -> Result<(), StoreError> {
    query("UPDATE audit_head SET appends = appends WHERE id = 1")
        .execute(tx)
        .await?;
    Ok(())
}

/// Appends `event` to the audit chain inside `tx`: the work and its entry commit or fail
/// together. Taking the head row first orders concurrent appends.
pub(super) async fn insert_event(tx: &mut Tx, event: &AuditEvent) -> Result<i64, StoreError> {
    query("UPDATE audit_head SET appends = appends + 1 WHERE id = 1")
        .execute(&mut *tx)
        .await?;
    let tip = query("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *tx)
        .await?;
    let (prev_seq, prev_hash): (i64, Vec<u8>) = match tip {
        Some(row) => (row.try_get("seq")?, row.try_get("entry_hash")?),
        None => (0, GENESIS_HASH.to_vec()),
    };
    let entry = AuditEntry::chain(event, prev_seq, &prev_hash);
    query(concat!(
        "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
        " referral_ids, reason, prev_hash, entry_hash)",
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(entry.seq)
    .bind(entry.occurred_at.as_str())
    .bind(entry.actor.as_str())
    .bind(entry.daycare_id.as_str())
    .bind(entry.action.as_str())
    .bind(entry.subject.as_str())
    .bind(entry.referral_ids.as_str())
    .bind(entry.reason.as_str())
    .bind(entry.prev_hash.as_slice())
    .bind(entry.entry_hash.as_slice())
    .execute(tx)
    .await?;
    Ok(entry.seq)
}

pub(super) async fn record_event(db: Db<'_>, event: &AuditEvent) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn entry_count(db: Db<'_>) -> Result<i64, StoreError> {
    Ok(query("SELECT COUNT(*) FROM audit_log")
        .fetch_scalar(db)
        .await?)
}

pub(super) async fn tip(db: Db<'_>) -> Result<Option<(i64, Vec<u8>)>, StoreError> {
    let row = query("SELECT seq, entry_hash FROM audit_log ORDER BY seq DESC LIMIT 1")
        .fetch_optional(db)
        .await?;
    Ok(match row {
        Some(row) => Some((row.try_get(0)?, row.try_get(1)?)),
        None => None,
    })
}

pub(super) async fn entries(
    db: Db<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    // Each backend reads the chain its fastest way (see `audit_page` there).
    match db {
        Db::Sqlite(pool) => sqlite::audit_page(pool, after_seq, limit).await,
        Db::Postgres(pool) => postgres::audit_page(pool, after_seq, limit).await,
    }
}

pub(super) async fn checkpoints(db: Db<'_>) -> Result<Vec<Checkpoint>, StoreError> {
    let rows =
        query("SELECT seq, entry_hash, signed_at, signature FROM audit_checkpoints ORDER BY seq")
            .fetch_all(db)
            .await?;
    rows.iter().map(checkpoint_from_row).collect()
}

pub(super) async fn last_checkpoint(db: Db<'_>) -> Result<Option<Checkpoint>, StoreError> {
    let row = query(concat!(
        "SELECT seq, entry_hash, signed_at, signature FROM audit_checkpoints",
        " ORDER BY seq DESC LIMIT 1"
    ))
    .fetch_optional(db)
    .await?;
    row.as_ref().map(checkpoint_from_row).transpose()
}

pub(super) async fn add_checkpoint(db: Db<'_>, checkpoint: &Checkpoint) -> Result<(), StoreError> {
    query(concat!(
        "INSERT INTO audit_checkpoints (seq, entry_hash, signed_at, signature)",
        " VALUES ($1, $2, $3, $4)"
    ))
    .bind(checkpoint.seq)
    .bind(checkpoint.entry_hash.as_slice())
    .bind(checkpoint.signed_at.as_str())
    .bind(checkpoint.signature.as_slice())
    .execute(db)
    .await?;
    Ok(())
}

pub(super) async fn recent_actions(
    db: Db<'_>,
    actor: &str,
    action: &str,
    since: &str,
) -> Result<i64, StoreError> {
    Ok(query(
        "SELECT COUNT(*) FROM audit_log WHERE actor = $1 AND action = $2 AND occurred_at >= $3",
    )
    .bind(actor)
    .bind(action)
    .bind(since)
    .fetch_scalar(db)
    .await?)
}

pub(super) async fn synced_referrals(
    db: Db<'_>,
    actor: &str,
    since: &str,
) -> Result<i64, StoreError> {
    // The subject of a sync entry is `referrals:<count>` (referrals::sync_event); SUBSTR from
    // the 11th character is the count. The outer CAST because PostgreSQL sums BIGINTs as
    // NUMERIC.
    Ok(query(concat!(
        "SELECT CAST(COALESCE(SUM(CAST(SUBSTR(subject, 11) AS BIGINT)), 0) AS BIGINT)",
        " FROM audit_log WHERE actor = $1 AND action = $2 AND occurred_at >= $3"
    ))
    .bind(actor)
    .bind(crate::referrals::SYNC_ACTION)
    .bind(since)
    .fetch_scalar(db)
    .await?)
}

pub(super) async fn access_report(
    db: Db<'_>,
    registration: RegistrationId,
) -> Result<Vec<AccessRecord>, StoreError> {
    let referrals = query("SELECT id FROM referrals WHERE registration_id = $1")
        .bind(registration.as_uuid())
        .fetch_all(db)
        .await?;
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for referral in referrals {
        let referral: uuid::Uuid = referral.try_get(0)?;
        // Entries list referral ids comma-separated; ids are fixed-length UUIDs, so a
        // substring match is exact.
        let rows = query(concat!(
            "SELECT a.seq, a.occurred_at, a.action, a.reason, d.name FROM audit_log a",
            " JOIN referrals f ON f.id = $1 JOIN daycares d ON d.id = f.daycare_id",
            " WHERE a.referral_ids LIKE $2 ORDER BY a.seq"
        ))
        .bind(referral)
        .bind(format!("%{}%", referral.hyphenated()))
        .fetch_all(db)
        .await?;
        for row in rows {
            let seq: i64 = row.try_get("seq")?;
            if seen.insert(seq) {
                out.push((
                    seq,
                    AccessRecord {
                        occurred_at: row.try_get("occurred_at")?,
                        daycare_name: row.try_get("name")?,
                        action: row.try_get("action")?,
                        reason: row.try_get("reason")?,
                    },
                ));
            }
        }
    }
    out.sort_by_key(|(seq, _)| *seq);
    Ok(out.into_iter().map(|(_, r)| r).collect())
}

fn checkpoint_from_row(row: &Row) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        seq: row.try_get("seq")?,
        entry_hash: row.try_get("entry_hash")?,
        signed_at: row.try_get("signed_at")?,
        signature: row.try_get("signature")?,
    })
}
