//! The audit tree, its head, checkpoints and cosignatures, and the reports and counts read
//! from it.

use std::collections::HashSet;

use placeforte_protocol::RegistrationId;

use placeforte_translog::tree::{self, Frontier, StoredHashes};
use placeforte_translog::Hash;

use super::db::{insert_rows, query, Db, Exec, Pool, Row, Tx};
use super::{
    postgres, sqlite, AccessRecord, AuditEvent, AuditHeadState, CosignatureRecord, StoreError,
    TreeCheckpointRecord,
};
use crate::audit::legacy::Checkpoint;
use crate::audit::AuditEntry;

/// Takes the audit head's lock for the rest of `tx`. Declarations, outcomes, syncs and reveals
/// take it first, so they run one at a time and what they read is still true when they write.
pub(super) async fn lock_audit_head(tx: &mut Tx) -> Result<(), StoreError> {
    query("UPDATE audit_head SET appends = appends WHERE id = 1")
        .execute(tx)
        .await?;
    Ok(())
}

/// Appends `event` to the audit tree inside `tx`: the work and its entry commit or fail
/// together. Taking the head row first orders concurrent appends; the head read back must be
/// the one the log key signed over the stored tree, or nothing is appended (see
/// [`StoreError::AuditHeadTampered`]). Then the entry, the tree's new stored hashes and the new
/// signed head are written.
pub(super) async fn insert_event(tx: &mut Tx, event: &AuditEvent) -> Result<i64, StoreError> {
    let log = tx.log.clone().ok_or(StoreError::NoLogKey)?;
    let head = query(concat!(
        "UPDATE audit_head SET appends = appends + 1 WHERE id = 1",
        " RETURNING tree_size, signed_head, legacy_entries"
    ))
    .fetch_one(&mut *tx)
    .await?;
    let size: i64 = head.try_get("tree_size")?;
    let signed_head: String = head.try_get("signed_head")?;
    let legacy: i64 = head.try_get("legacy_entries")?;
    if legacy > size {
        return Err(StoreError::LegacyChainNotSealed(legacy));
    }
    let size_u = u64::try_from(size).map_err(|_| StoreError::Corrupt("tree size".to_owned()))?;
    let stored = read_tree_hashes(&mut *tx, &tree::frontier_indexes(size_u)).await?;
    let mut frontier = Frontier::from_hashes(size_u, &stored)
        .map_err(|e| StoreError::AuditHeadTampered(format!("the stored tree: {e}")))?;
    if size > 0 {
        let signed = log
            .verifier()
            .open(&signed_head)
            .map_err(|e| StoreError::AuditHeadTampered(format!("the signed head: {e}")))?;
        if signed.head != frontier.head() {
            return Err(StoreError::AuditHeadTampered(
                "the signed head is not the stored tree's".to_owned(),
            ));
        }
    }
    let entry = AuditEntry::for_event(event, size + 1);
    let hashes = frontier.append(entry.leaf.hash());
    let leaf = &entry.leaf;
    query(concat!(
        "INSERT INTO audit_log (seq, occurred_at, actor, daycare_id, action, subject,",
        " referral_ids, reason, prev_hash, entry_hash)",
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)"
    ))
    .bind(leaf.seq)
    .bind(leaf.occurred_at.as_str())
    .bind(leaf.actor.as_str())
    .bind(leaf.daycare_id.as_str())
    .bind(leaf.action.as_str())
    .bind(leaf.subject.as_str())
    .bind(leaf.referral_ids.as_str())
    .bind(leaf.reason.as_str())
    .bind(entry.prev_hash.as_slice())
    .bind(entry.entry_hash.as_slice())
    .execute(&mut *tx)
    .await?;
    insert_tree_hashes(&mut *tx, &hashes).await?;
    let note = log
        .sign(frontier.head())
        .map_err(|e| StoreError::Corrupt(format!("signing the tree head: {e}")))?;
    query("UPDATE audit_head SET tree_size = $1, signed_head = $2 WHERE id = 1")
        .bind(leaf.seq)
        .bind(note)
        .execute(tx)
        .await?;
    Ok(leaf.seq)
}

/// The stored hashes at `indexes` (those present).
async fn read_tree_hashes(
    exec: impl Into<Exec<'_>>,
    indexes: &[u64],
) -> Result<StoredHashes, StoreError> {
    if indexes.is_empty() {
        return Ok(StoredHashes::new());
    }
    let placeholders: Vec<String> = (1..=indexes.len()).map(|i| format!("${i}")).collect();
    let sql = format!(
        "SELECT idx, hash FROM audit_tree_hashes WHERE idx IN ({})",
        placeholders.join(", ")
    );
    let mut select = query(&sql);
    for &index in indexes {
        select = select.bind(i64::try_from(index).unwrap_or(i64::MAX));
    }
    let rows = select.fetch_all(exec).await?;
    let mut out = StoredHashes::new();
    for row in rows {
        let index: i64 = row.try_get(0)?;
        let hash: Vec<u8> = row.try_get(1)?;
        let hash: [u8; 32] = hash
            .try_into()
            .map_err(|_| StoreError::Corrupt("tree hash length".to_owned()))?;
        out.insert(
            u64::try_from(index).map_err(|_| StoreError::Corrupt("tree index".to_owned()))?,
            Hash(hash),
        );
    }
    Ok(out)
}

/// Rows per multi-row INSERT of tree hashes.
const HASHES_PER_STATEMENT: usize = 2_000;

async fn insert_tree_hashes(tx: &mut Tx, hashes: &[(u64, Hash)]) -> Result<(), StoreError> {
    for chunk in hashes.chunks(HASHES_PER_STATEMENT) {
        let mut insert = insert_rows("INSERT INTO audit_tree_hashes (idx, hash)", chunk.len(), 2);
        for (index, hash) in chunk {
            insert.push(i64::try_from(*index).unwrap_or(i64::MAX));
            insert.push(hash.0.to_vec());
        }
        insert.execute(&mut *tx).await?;
    }
    Ok(())
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

pub(super) async fn head_state(db: Db<'_>) -> Result<AuditHeadState, StoreError> {
    let row = query("SELECT tree_size, signed_head, legacy_entries FROM audit_head WHERE id = 1")
        .fetch_one(db)
        .await?;
    Ok(AuditHeadState {
        tree_size: row.try_get(0)?,
        signed_head: row.try_get(1)?,
        legacy_entries: row.try_get(2)?,
    })
}

pub(super) async fn entries(
    db: Db<'_>,
    after_seq: i64,
    limit: i64,
) -> Result<Vec<AuditEntry>, StoreError> {
    // Each backend reads the log its fastest way (see `audit_page` there).
    match db.pool {
        Pool::Sqlite(pool) => sqlite::audit_page(pool, after_seq, limit).await,
        Pool::Postgres(pool) => postgres::audit_page(pool, after_seq, limit).await,
    }
}

pub(super) async fn tree_hashes(db: Db<'_>, indexes: &[u64]) -> Result<StoredHashes, StoreError> {
    read_tree_hashes(db, indexes).await
}

pub(super) async fn tree_checkpoints(db: Db<'_>) -> Result<Vec<TreeCheckpointRecord>, StoreError> {
    let rows = query("SELECT size, signed_at, note FROM audit_tree_checkpoints ORDER BY size")
        .fetch_all(db)
        .await?;
    rows.iter().map(tree_checkpoint_from_row).collect()
}

pub(super) async fn last_tree_checkpoint(
    db: Db<'_>,
) -> Result<Option<TreeCheckpointRecord>, StoreError> {
    let row = query(concat!(
        "SELECT size, signed_at, note FROM audit_tree_checkpoints",
        " ORDER BY size DESC LIMIT 1"
    ))
    .fetch_optional(db)
    .await?;
    row.as_ref().map(tree_checkpoint_from_row).transpose()
}

pub(super) async fn add_tree_checkpoint(
    db: Db<'_>,
    checkpoint: &TreeCheckpointRecord,
) -> Result<(), StoreError> {
    // Two instances may keep the same head: the second changes nothing.
    query(concat!(
        "INSERT INTO audit_tree_checkpoints (size, signed_at, note) VALUES ($1, $2, $3)",
        " ON CONFLICT (size) DO NOTHING"
    ))
    .bind(checkpoint.size)
    .bind(checkpoint.signed_at.as_str())
    .bind(checkpoint.note.as_str())
    .execute(db)
    .await?;
    Ok(())
}

pub(super) async fn cosignatures(db: Db<'_>) -> Result<Vec<CosignatureRecord>, StoreError> {
    let rows = query(
        "SELECT witness, size, cosigned_at, note FROM audit_cosignatures ORDER BY witness, size",
    )
    .fetch_all(db)
    .await?;
    rows.iter().map(cosignature_from_row).collect()
}

pub(super) async fn last_cosignature(
    db: Db<'_>,
    witness: &str,
) -> Result<Option<CosignatureRecord>, StoreError> {
    // The primary key (witness, size) serves this: one index step, however many are kept.
    let row = query(concat!(
        "SELECT witness, size, cosigned_at, note FROM audit_cosignatures",
        " WHERE witness = $1 ORDER BY size DESC LIMIT 1"
    ))
    .bind(witness)
    .fetch_optional(db)
    .await?;
    row.as_ref().map(cosignature_from_row).transpose()
}

fn cosignature_from_row(row: &Row) -> Result<CosignatureRecord, StoreError> {
    Ok(CosignatureRecord {
        witness: row.try_get(0)?,
        size: row.try_get(1)?,
        cosigned_at: row.try_get(2)?,
        note: row.try_get(3)?,
    })
}

pub(super) async fn add_cosignature(
    db: Db<'_>,
    cosignature: &CosignatureRecord,
) -> Result<(), StoreError> {
    query(concat!(
        "INSERT INTO audit_cosignatures (witness, size, cosigned_at, note)",
        " VALUES ($1, $2, $3, $4) ON CONFLICT (witness, size) DO NOTHING"
    ))
    .bind(cosignature.witness.as_str())
    .bind(cosignature.size)
    .bind(cosignature.cosigned_at.as_str())
    .bind(cosignature.note.as_str())
    .execute(db)
    .await?;
    Ok(())
}

pub(super) async fn replace_head_signature(
    db: Db<'_>,
    current: &str,
    replacement: &str,
) -> Result<bool, StoreError> {
    let changed = query("UPDATE audit_head SET signed_head = $1 WHERE id = 1 AND signed_head = $2")
        .bind(replacement)
        .bind(current)
        .execute(db)
        .await?;
    Ok(changed == 1)
}

pub(super) async fn legacy_checkpoints(db: Db<'_>) -> Result<Vec<Checkpoint>, StoreError> {
    let rows =
        query("SELECT seq, entry_hash, signed_at, signature FROM audit_checkpoints ORDER BY seq")
            .fetch_all(db)
            .await?;
    rows.iter().map(checkpoint_from_row).collect()
}

pub(super) async fn seal_legacy_chain(
    db: Db<'_>,
    entries: i64,
    hashes: &[(u64, Hash)],
    signed_head: &str,
    signed_at: &str,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    let head = query(concat!(
        "UPDATE audit_head SET appends = appends WHERE id = 1",
        " RETURNING tree_size, legacy_entries"
    ))
    .fetch_one(&mut tx)
    .await?;
    let size: i64 = head.try_get(0)?;
    let legacy: i64 = head.try_get(1)?;
    if size != 0 || legacy != entries {
        return Err(StoreError::Corrupt(format!(
            "sealing {entries} former entries into a tree of {size} (former chain: {legacy})"
        )));
    }
    insert_tree_hashes(&mut tx, hashes).await?;
    query("UPDATE audit_head SET tree_size = $1, signed_head = $2 WHERE id = 1")
        .bind(entries)
        .bind(signed_head)
        .execute(&mut tx)
        .await?;
    query("INSERT INTO audit_tree_checkpoints (size, signed_at, note) VALUES ($1, $2, $3)")
        .bind(entries)
        .bind(signed_at)
        .bind(signed_head)
        .execute(&mut tx)
        .await?;
    tx.commit().await?;
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
    Ok(access_entries(db, registration)
        .await?
        .into_iter()
        .map(|(entry, daycare_name)| AccessRecord {
            occurred_at: entry.leaf.occurred_at,
            daycare_name,
            action: entry.leaf.action,
            reason: entry.leaf.reason,
        })
        .collect())
}

pub(super) async fn access_entries(
    db: Db<'_>,
    registration: RegistrationId,
) -> Result<Vec<(AuditEntry, String)>, StoreError> {
    let referrals = query(concat!(
        "SELECT f.id, d.name FROM referrals f JOIN daycares d ON d.id = f.daycare_id",
        " WHERE f.registration_id = $1"
    ))
    .bind(registration.as_uuid())
    .fetch_all(db)
    .await?;
    let mut out: Vec<(AuditEntry, String)> = Vec::new();
    let mut seen = HashSet::new();
    for referral in referrals {
        let id: uuid::Uuid = referral.try_get(0)?;
        let daycare: String = referral.try_get(1)?;
        // Entries list referral ids comma-separated; ids are fixed-length UUIDs, so a
        // substring match is exact.
        let rows = query(concat!(
            "SELECT seq, occurred_at, actor, daycare_id, action, subject, referral_ids, reason,",
            " prev_hash, entry_hash FROM audit_log WHERE referral_ids LIKE $1 ORDER BY seq"
        ))
        .bind(format!("%{}%", id.hyphenated()))
        .fetch_all(db)
        .await?;
        for row in rows {
            let seq: i64 = row.try_get(0)?;
            if seen.insert(seq) {
                out.push((
                    AuditEntry {
                        leaf: placeforte_translog::leaf::AuditLeaf {
                            seq,
                            occurred_at: row.try_get(1)?,
                            actor: row.try_get(2)?,
                            daycare_id: row.try_get(3)?,
                            action: row.try_get(4)?,
                            subject: row.try_get(5)?,
                            referral_ids: row.try_get(6)?,
                            reason: row.try_get(7)?,
                        },
                        prev_hash: row.try_get(8)?,
                        entry_hash: row.try_get(9)?,
                    },
                    daycare.clone(),
                ));
            }
        }
    }
    out.sort_by_key(|(entry, _)| entry.leaf.seq);
    Ok(out)
}

fn tree_checkpoint_from_row(row: &Row) -> Result<TreeCheckpointRecord, StoreError> {
    Ok(TreeCheckpointRecord {
        size: row.try_get(0)?,
        signed_at: row.try_get(1)?,
        note: row.try_get(2)?,
    })
}

fn checkpoint_from_row(row: &Row) -> Result<Checkpoint, StoreError> {
    Ok(Checkpoint {
        seq: row.try_get("seq")?,
        entry_hash: row.try_get("entry_hash")?,
        signed_at: row.try_get("signed_at")?,
        signature: row.try_get("signature")?,
    })
}
