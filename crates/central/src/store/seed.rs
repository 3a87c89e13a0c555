//! Synthetic data sets, written in bulk.

use super::audit::insert_event;
use super::db::{insert_rows, query, Db};
use super::identity::insert_daycares;
use super::{AuditEvent, SeedBatch, StoreError};

/// Rows per multi-row INSERT when seeding (18 columns: well under both backends' bind limits).
pub(super) const SEED_ROWS_PER_STATEMENT: usize = 1_000;

pub(super) async fn insert_seed(
    db: Db<'_>,
    batch: &SeedBatch,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    for chunk in batch.daycares.chunks(SEED_ROWS_PER_STATEMENT) {
        insert_daycares(&mut tx, chunk).await?;
    }
    for chunk in batch.registrations.chunks(SEED_ROWS_PER_STATEMENT) {
        let mut insert = insert_rows(
            concat!(
                "INSERT INTO registrations (id, child_given_name, child_family_name,",
                " birth_date, desired_entry_date, registered_on, region, address_key,",
                " parent_given_name, parent_family_name, parent_phone, parent_email,",
                " staff_member_child, same_address_as_admitted_child,",
                " already_in_subsidized_care, special_needs, socio_economic_precarity,",
                " parent_in_education)"
            ),
            chunk.len(),
            18,
        );
        for r in chunk {
            insert.push(r.id.as_uuid());
            insert.push(r.child_given_name.as_str());
            insert.push(r.child_family_name.as_str());
            insert.push(r.birth_date);
            insert.push(r.desired_entry_date);
            insert.push(r.registered_on);
            insert.push(r.region.as_str());
            insert.push(r.address_key.as_str());
            insert.push(r.parent_given_name.as_str());
            insert.push(r.parent_family_name.as_str());
            insert.push(r.parent_phone.as_str());
            insert.push(r.parent_email.as_str());
            insert.push(r.facts.staff_member_child);
            insert.push(r.facts.same_address_as_admitted_child);
            insert.push(r.facts.already_in_subsidized_care);
            insert.push(r.priority.special_needs);
            insert.push(r.priority.socio_economic_precarity);
            insert.push(r.priority.parent_in_education);
        }
        insert.execute(&mut tx).await?;
    }
    // Three columns: more rows per statement keep the round trips down.
    for chunk in batch.choices.chunks(SEED_ROWS_PER_STATEMENT * 5) {
        let mut insert = insert_rows(
            "INSERT INTO registration_choices (registration_id, daycare_id, preference)",
            chunk.len(),
            3,
        );
        for c in chunk {
            insert.push(c.registration_id.as_uuid());
            insert.push(c.daycare_id.as_uuid());
            insert.push(c.preference);
        }
        insert.execute(&mut tx).await?;
    }
    for chunk in batch.honeytokens.chunks(SEED_ROWS_PER_STATEMENT) {
        let mut insert = insert_rows(
            "INSERT INTO honeytoken_registrations (registration_id)",
            chunk.len(),
            1,
        );
        for id in chunk {
            insert.push(id.as_uuid());
        }
        insert.execute(&mut tx).await?;
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn registration_count(db: Db<'_>) -> Result<i64, StoreError> {
    Ok(query("SELECT COUNT(*) FROM registrations")
        .fetch_scalar(db)
        .await?)
}
