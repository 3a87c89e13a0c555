//! The confidentiality-incident register and the registrations' public numbers, on both
//! backends. Every read and write of the register appends its audit entry (the incident's
//! number only) in the same transaction.

use std::future::Future;

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_protocol::RegistrationId;

use super::audit::insert_event;
use super::backend::Backend;
use super::db::{query, Row, Tx};
use super::{Storage, StoreError};
use crate::audit::instant_text;
use crate::incidents::{self, Incident, IncidentDetails, Period};

const INCIDENT_COLUMNS: &str = concat!(
    "SELECT id, recorded_at, recorded_by, updated_at, information_described, information,",
    " circumstances, occurred_from, occurred_to, occurred_approximate, aware_from, aware_to,",
    " persons_concerned, persons_approximate, risk_assessment, serious_risk,",
    " commission_notified_on, persons_notified_on, public_notice_reason, measures, alert_id",
    " FROM confidentiality_incidents"
);

/// The register and the public numbers: an extension of [`Storage`], implemented for both
/// stores.
pub trait IncidentStorage: Storage {
    /// Enters an incident (raised from `alert_id`, if given) and appends `incident.recorded`
    /// by `actor`, in one transaction; its number in the register.
    fn add_incident(
        &self,
        details: &IncidentDetails,
        alert_id: Option<i64>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Replaces incident `id`'s contents and appends `incident.updated`; `false`, writing
    /// nothing, for an unknown number.
    fn update_incident(
        &self,
        id: i64,
        details: &IncidentDetails,
        actor: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Incident `id`, its read audited as `incident.read` (nothing appended when unknown).
    fn incident(
        &self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Option<Incident>, StoreError>> + Send;

    /// The whole register by number, its read audited as `action` (`incidents.listed` or
    /// `incidents.exported`).
    fn incidents(
        &self,
        action: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<Vec<Incident>, StoreError>> + Send;

    /// The registration that has this public number.
    fn registration_by_public_number(
        &self,
        number: i64,
    ) -> impl Future<Output = Result<Option<RegistrationId>, StoreError>> + Send;

    /// A registration's public number.
    fn registration_public_number(
        &self,
        registration: RegistrationId,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;
}

impl<S: Backend> IncidentStorage for S {
    async fn add_incident(
        &self,
        details: &IncidentDetails,
        alert_id: Option<i64>,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        let at = instant_text(now);
        let mut tx = self.db().begin().await?;
        let id: i64 = bind_details(
            query(concat!(
                "INSERT INTO confidentiality_incidents (information_described, information,",
                " circumstances, occurred_from, occurred_to, occurred_approximate, aware_from,",
                " aware_to, persons_concerned, persons_approximate, risk_assessment,",
                " serious_risk, commission_notified_on, persons_notified_on,",
                " public_notice_reason, measures, recorded_at, recorded_by, updated_at, alert_id)",
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,",
                " $17, $18, $19, $20) RETURNING id"
            )),
            details,
        )
        .bind(at.clone())
        .bind(actor.to_owned())
        .bind(at)
        .bind(alert_id)
        .fetch_one(&mut tx)
        .await?
        .try_get(0)?;
        audit(&mut tx, now, actor, incidents::RECORDED, id).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn update_incident(
        &self,
        id: i64,
        details: &IncidentDetails,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.db().begin().await?;
        let changed = bind_details(
            query(concat!(
                "UPDATE confidentiality_incidents SET information_described = $1,",
                " information = $2, circumstances = $3, occurred_from = $4, occurred_to = $5,",
                " occurred_approximate = $6, aware_from = $7, aware_to = $8,",
                " persons_concerned = $9, persons_approximate = $10, risk_assessment = $11,",
                " serious_risk = $12, commission_notified_on = $13, persons_notified_on = $14,",
                " public_notice_reason = $15, measures = $16, updated_at = $17 WHERE id = $18"
            )),
            details,
        )
        .bind(instant_text(now))
        .bind(id)
        .execute(&mut tx)
        .await?;
        if changed == 0 {
            tx.rollback().await?;
            return Ok(false);
        }
        audit(&mut tx, now, actor, incidents::UPDATED, id).await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn incident(
        &self,
        id: i64,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Incident>, StoreError> {
        let mut tx = self.db().begin().await?;
        let sql = format!("{INCIDENT_COLUMNS} WHERE id = $1");
        let Some(row) = query(&sql).bind(id).fetch_optional(&mut tx).await? else {
            tx.rollback().await?;
            return Ok(None);
        };
        let incident = incident_from_row(&row)?;
        audit(&mut tx, now, actor, incidents::READ, id).await?;
        tx.commit().await?;
        Ok(Some(incident))
    }

    async fn incidents(
        &self,
        action: &str,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<Incident>, StoreError> {
        let mut tx = self.db().begin().await?;
        let sql = format!("{INCIDENT_COLUMNS} ORDER BY id");
        let rows = query(&sql).fetch_all(&mut tx).await?;
        let register = rows
            .iter()
            .map(incident_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        let event = crate::store::AuditEvent::new(
            now,
            actor.to_owned(),
            action,
            format!("incidents:{}", register.len()),
        );
        insert_event(&mut tx, &event).await?;
        tx.commit().await?;
        Ok(register)
    }

    async fn registration_by_public_number(
        &self,
        number: i64,
    ) -> Result<Option<RegistrationId>, StoreError> {
        let row = query("SELECT id FROM registrations WHERE public_number = $1")
            .bind(number)
            .fetch_optional(self.db())
            .await?;
        row.map(|row| {
            row.try_get::<uuid::Uuid, _>(0)
                .map(RegistrationId::from_uuid)
        })
        .transpose()
        .map_err(StoreError::from)
    }

    async fn registration_public_number(
        &self,
        registration: RegistrationId,
    ) -> Result<Option<i64>, StoreError> {
        let row = query("SELECT public_number FROM registrations WHERE id = $1")
            .bind(registration.as_uuid())
            .fetch_optional(self.db())
            .await?;
        Ok(row.map(|row| row.try_get(0)).transpose()?)
    }
}

async fn audit(
    tx: &mut Tx,
    now: DateTime<Utc>,
    actor: &str,
    action: &str,
    id: i64,
) -> Result<(), StoreError> {
    insert_event(tx, &incidents::incident_event(now, actor, action, id)).await?;
    Ok(())
}

/// Binds the sixteen contents, in the column order both statements use.
fn bind_details<'q>(
    statement: super::db::Query<'q>,
    details: &IncidentDetails,
) -> super::db::Query<'q> {
    let day = |d: Option<NaiveDate>| d.map(|d| d.to_string());
    statement
        .bind(details.information_described)
        .bind(details.information.clone())
        .bind(details.circumstances.clone())
        .bind(details.occurred.from.to_string())
        .bind(day(details.occurred.to))
        .bind(details.occurred_approximate)
        .bind(details.aware.from.to_string())
        .bind(day(details.aware.to))
        .bind(details.persons_concerned)
        .bind(details.persons_approximate)
        .bind(details.risk_assessment.clone())
        .bind(details.serious_risk)
        .bind(day(details.commission_notified_on))
        .bind(day(details.persons_notified_on))
        .bind(details.public_notice_reason.clone())
        .bind(details.measures.clone())
}

fn incident_from_row(row: &Row) -> Result<Incident, StoreError> {
    let day = |column: &str| -> Result<Option<NaiveDate>, StoreError> {
        let text: Option<String> = row.try_get(column)?;
        text.map(|t| {
            NaiveDate::parse_from_str(&t, "%Y-%m-%d")
                .map_err(|_| StoreError::Corrupt(format!("confidentiality_incidents.{column}")))
        })
        .transpose()
    };
    let required = |column: &str| -> Result<NaiveDate, StoreError> {
        day(column)?
            .ok_or_else(|| StoreError::Corrupt(format!("confidentiality_incidents.{column}")))
    };
    Ok(Incident {
        id: row.try_get("id")?,
        recorded_at: row.try_get("recorded_at")?,
        recorded_by: row.try_get("recorded_by")?,
        updated_at: row.try_get("updated_at")?,
        details: IncidentDetails {
            information_described: row.try_get("information_described")?,
            information: row.try_get("information")?,
            circumstances: row.try_get("circumstances")?,
            occurred: Period {
                from: required("occurred_from")?,
                to: day("occurred_to")?,
            },
            occurred_approximate: row.try_get("occurred_approximate")?,
            aware: Period {
                from: required("aware_from")?,
                to: day("aware_to")?,
            },
            persons_concerned: row.try_get("persons_concerned")?,
            persons_approximate: row.try_get("persons_approximate")?,
            risk_assessment: row.try_get("risk_assessment")?,
            serious_risk: row.try_get("serious_risk")?,
            commission_notified_on: day("commission_notified_on")?,
            persons_notified_on: day("persons_notified_on")?,
            public_notice_reason: row.try_get("public_notice_reason")?,
            measures: row.try_get("measures")?,
        },
        alert_id: row.try_get("alert_id")?,
    })
}
