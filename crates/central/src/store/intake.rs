//! The intake side of the store: intake clients and their certificates, the registrations the
//! province's front end creates, changes and withdraws (each under its idempotency key, in one
//! transaction with its audit entry), the family's confirmation of a daycare's report, the bulk
//! import, and the operator's daycare edits and deactivations.
//!
//! Declared as its own trait, [`IntakeStorage`], which [`super::Storage`] requires, so these
//! statements stay in one file for both backends like every other concern.

use std::future::Future;

use chrono::{DateTime, Utc};
use placeforte_domain::{RegistrationState, RegistrationStatus};
use placeforte_protocol::{DaycareId, ReferralId, RegistrationId, VacancyId};

use super::audit::{insert_event, lock_audit_head};
use super::backend::Backend;
use super::db::{insert_rows, query, Db, Tx};
use super::outcome_reports::{close_referrals, confirm_report_in, write_registration_state};
use super::outcomes::{stored_registration_state, top_up};
use super::seed::SEED_ROWS_PER_STATEMENT;
use super::vacancies::{insert_referrals, within_referral_bound};
use super::{AuditEvent, ConfirmResult, OutcomeReportRecord, RegistrationRecord, StoreError};

/// An intake client (the province's registration front end), as the operator created it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeClientRecord {
    /// Its id (in its certificate's SAN).
    pub id: uuid::Uuid,
    /// The operator's name for it.
    pub name: String,
    /// When the operator created it.
    pub created_at: DateTime<Utc>,
}

/// A certificate issued to an intake client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeCertificateRecord {
    /// Serial number, lowercase hex.
    pub serial_hex: String,
    /// The client.
    pub client_id: uuid::Uuid,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// What the store says of an intake connection's certificate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntakeStanding {
    /// Issued to that client, which is not revoked.
    Current,
    /// The client is revoked.
    Revoked,
    /// This service never issued that serial to that client.
    NotIssued,
}

/// One intake write: who sends it, under which key, and the canonical JSON of what it asks
/// (the operation, its path and its body), which a retry must repeat exactly.
#[derive(Debug, Clone, Copy)]
pub struct IntakeWrite<'a> {
    /// The intake client.
    pub client: uuid::Uuid,
    /// The client's idempotency key.
    pub key: uuid::Uuid,
    /// Canonical JSON of the request.
    pub request: &'a str,
    /// The service's clock.
    pub now: DateTime<Utc>,
}

/// What the store did with an intake write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IntakeOutcome<T> {
    /// Done now.
    Done(T),
    /// The key was used before for this very request: its stored answer (JSON).
    Replayed(String),
    /// The key was used before for another request: nothing done.
    KeyReused,
    /// No registration (or report of it) has that id: nothing done.
    NotFound,
    /// The registration is placed or withdrawn: nothing done.
    RegistrationClosed,
    /// A chosen daycare does not exist or is deactivated: nothing done.
    InactiveChoice(DaycareId),
    /// The report is no longer pending (confirmed or reverted): nothing done.
    ReportNotPending,
}

/// What a withdrawal or a confirmation changed, for the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntakeEffect {
    /// The registration's status after it.
    pub status: RegistrationStatus,
    /// Open referrals closed.
    pub closed: usize,
    /// Further referrals made for the places those freed.
    pub further: usize,
}

/// What a deactivation did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeactivationResult {
    /// Deactivated: devices revoked and open referrals closed.
    Deactivated {
        /// Devices revoked.
        devices: u64,
        /// Open referrals closed.
        referrals: usize,
    },
    /// It was already deactivated: nothing changed.
    AlreadyInactive,
    /// No daycare has that id.
    Unknown,
}

/// The intake statements, for both backends.
pub trait IntakeStorage: Clone + Send + Sync + 'static {
    /// Creates an intake client with its first certificate and appends `event`.
    fn add_intake_client(
        &self,
        client: &IntakeClientRecord,
        certificate: &IntakeCertificateRecord,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Revokes an intake client; `false` if unknown or already revoked.
    fn revoke_intake_client(
        &self,
        client: uuid::Uuid,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Whether this serial was issued to `client` and the client is not revoked: checked on
    /// every intake request.
    fn intake_standing(
        &self,
        serial_hex: &str,
        client: uuid::Uuid,
    ) -> impl Future<Output = Result<IntakeStanding, StoreError>> + Send;

    /// In one transaction: answers a known key, checks every choice exists and is active,
    /// inserts the registration and its choices (preference in list order), stores the
    /// answer `response` under the key and appends `event`.
    fn intake_create(
        &self,
        write: IntakeWrite<'_>,
        registration: &RegistrationRecord,
        choices: &[DaycareId],
        response: &str,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<IntakeOutcome<()>, StoreError>> + Send;

    /// In one transaction: answers a known key, refuses an unknown, placed or withdrawn
    /// registration and an inactive choice, replaces the registration's details and choices
    /// (a choice kept keeps nothing but its new preference; open referrals stay), stores the
    /// answer `answer` writes from the registration's status, and appends `event`.
    fn intake_update<F>(
        &self,
        write: IntakeWrite<'_>,
        registration: &RegistrationRecord,
        choices: &[DaycareId],
        answer: F,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<IntakeOutcome<String>, StoreError>> + Send
    where
        F: FnOnce(RegistrationStatus) -> Result<String, StoreError> + Send;

    /// In one transaction: answers a known key, refuses an unknown, placed or withdrawn
    /// registration, withdraws it (missed deadlines kept), closes its open referrals and
    /// refers the next families to the places they leave (within each daycare's bound),
    /// lets `answer` write the response from what changed, stores it and appends `event`.
    fn intake_withdraw<F>(
        &self,
        write: IntakeWrite<'_>,
        registration: RegistrationId,
        answer: F,
    ) -> impl Future<Output = Result<IntakeOutcome<String>, StoreError>> + Send
    where
        F: FnOnce(IntakeEffect, &[ReferralId]) -> Result<(String, AuditEvent), StoreError> + Send;

    /// The family's word on a daycare's report, in one transaction: answers a known key,
    /// refuses a report of another registration (as not found) or no longer pending, then
    /// confirms it as the operator's `outcome confirm` does, by `actor`, and stores the
    /// answer `answer` writes.
    fn intake_confirm<F>(
        &self,
        write: IntakeWrite<'_>,
        registration: RegistrationId,
        report: uuid::Uuid,
        actor: &str,
        answer: F,
    ) -> impl Future<Output = Result<IntakeOutcome<String>, StoreError>> + Send
    where
        F: FnOnce(IntakeEffect) -> Result<String, StoreError> + Send;

    /// The pending reports of one registration, oldest first; `None` for an unknown one.
    fn pending_reports_of(
        &self,
        registration: RegistrationId,
    ) -> impl Future<Output = Result<Option<Vec<OutcomeReportRecord>>, StoreError>> + Send;

    /// Writes every registration and its choices in one transaction with `event`, after
    /// checking every choice is an active daycare: the first inactive one found is returned
    /// and nothing is written.
    fn import_registrations(
        &self,
        registrations: &[(RegistrationRecord, Vec<DaycareId>)],
        event: &AuditEvent,
    ) -> impl Future<Output = Result<Option<DaycareId>, StoreError>> + Send;

    /// Changes a daycare's name and region; `false`, writing nothing, for an unknown one.
    fn edit_daycare(
        &self,
        daycare: DaycareId,
        name: &str,
        region: &str,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Deactivates a daycare in one transaction: no new choices of it, its devices revoked,
    /// its unused enrolment codes expired, its open referrals closed (their families wait on
    /// their other choices), `event` appended.
    fn deactivate_daycare(
        &self,
        daycare: DaycareId,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<DeactivationResult, StoreError>> + Send;

    /// Every daycare that exists and is not deactivated.
    fn active_daycare_ids(&self)
        -> impl Future<Output = Result<Vec<DaycareId>, StoreError>> + Send;

    /// When the daycare was deactivated (`None`: active, or unknown: callers check existence
    /// with `daycare`).
    fn daycare_deactivated_at(
        &self,
        daycare: DaycareId,
    ) -> impl Future<Output = Result<Option<DateTime<Utc>>, StoreError>> + Send;
}

impl<S: Backend> IntakeStorage for S {
    async fn add_intake_client(
        &self,
        client: &IntakeClientRecord,
        certificate: &IntakeCertificateRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        add_client(self.db(), client, certificate, event).await
    }

    async fn revoke_intake_client(
        &self,
        client: uuid::Uuid,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        revoke_client(self.db(), client, event).await
    }

    async fn intake_standing(
        &self,
        serial_hex: &str,
        client: uuid::Uuid,
    ) -> Result<IntakeStanding, StoreError> {
        standing(self.db(), serial_hex, client).await
    }

    async fn intake_create(
        &self,
        write: IntakeWrite<'_>,
        registration: &RegistrationRecord,
        choices: &[DaycareId],
        response: &str,
        event: &AuditEvent,
    ) -> Result<IntakeOutcome<()>, StoreError> {
        create(self.db(), write, registration, choices, response, event).await
    }

    async fn intake_update<F>(
        &self,
        write: IntakeWrite<'_>,
        registration: &RegistrationRecord,
        choices: &[DaycareId],
        answer: F,
        event: &AuditEvent,
    ) -> Result<IntakeOutcome<String>, StoreError>
    where
        F: FnOnce(RegistrationStatus) -> Result<String, StoreError> + Send,
    {
        update(self.db(), write, registration, choices, answer, event).await
    }

    async fn intake_withdraw<F>(
        &self,
        write: IntakeWrite<'_>,
        registration: RegistrationId,
        answer: F,
    ) -> Result<IntakeOutcome<String>, StoreError>
    where
        F: FnOnce(IntakeEffect, &[ReferralId]) -> Result<(String, AuditEvent), StoreError> + Send,
    {
        withdraw(self.db(), write, registration, answer).await
    }

    async fn intake_confirm<F>(
        &self,
        write: IntakeWrite<'_>,
        registration: RegistrationId,
        report: uuid::Uuid,
        actor: &str,
        answer: F,
    ) -> Result<IntakeOutcome<String>, StoreError>
    where
        F: FnOnce(IntakeEffect) -> Result<String, StoreError> + Send,
    {
        confirm(self.db(), write, registration, report, actor, answer).await
    }

    async fn pending_reports_of(
        &self,
        registration: RegistrationId,
    ) -> Result<Option<Vec<OutcomeReportRecord>>, StoreError> {
        pending_reports(self.db(), registration).await
    }

    async fn import_registrations(
        &self,
        registrations: &[(RegistrationRecord, Vec<DaycareId>)],
        event: &AuditEvent,
    ) -> Result<Option<DaycareId>, StoreError> {
        import(self.db(), registrations, event).await
    }

    async fn edit_daycare(
        &self,
        daycare: DaycareId,
        name: &str,
        region: &str,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        edit(self.db(), daycare, name, region, event).await
    }

    async fn deactivate_daycare(
        &self,
        daycare: DaycareId,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<DeactivationResult, StoreError> {
        deactivate(self.db(), daycare, now, event).await
    }

    async fn active_daycare_ids(&self) -> Result<Vec<DaycareId>, StoreError> {
        query("SELECT id FROM daycares WHERE deactivated_at IS NULL")
            .fetch_all(self.db())
            .await?
            .iter()
            .map(|row| Ok(DaycareId::from_uuid(row.try_get("id")?)))
            .collect()
    }

    async fn daycare_deactivated_at(
        &self,
        daycare: DaycareId,
    ) -> Result<Option<DateTime<Utc>>, StoreError> {
        Ok(query("SELECT deactivated_at FROM daycares WHERE id = $1")
            .bind(daycare.as_uuid())
            .fetch_optional(self.db())
            .await?
            .map(|row| row.try_get::<Option<DateTime<Utc>>, _>(0))
            .transpose()?
            .flatten())
    }
}

async fn add_client(
    db: Db<'_>,
    client: &IntakeClientRecord,
    certificate: &IntakeCertificateRecord,
    event: &AuditEvent,
) -> Result<(), StoreError> {
    let mut tx = db.begin().await?;
    query("INSERT INTO intake_clients (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(client.id)
        .bind(client.name.as_str())
        .bind(client.created_at)
        .execute(&mut tx)
        .await?;
    query(concat!(
        "INSERT INTO intake_certificates (serial_hex, client_id, not_before, not_after,",
        " issued_at) VALUES ($1, $2, $3, $4, $5)"
    ))
    .bind(certificate.serial_hex.as_str())
    .bind(certificate.client_id)
    .bind(certificate.not_before)
    .bind(certificate.not_after)
    .bind(certificate.issued_at)
    .execute(&mut tx)
    .await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(())
}

async fn revoke_client(
    db: Db<'_>,
    client: uuid::Uuid,
    event: &AuditEvent,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let revoked =
        query("UPDATE intake_clients SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
            .bind(event.occurred_at)
            .bind(client)
            .execute(&mut tx)
            .await?;
    if revoked == 0 {
        tx.rollback().await?;
        return Ok(false);
    }
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(true)
}

async fn standing(
    db: Db<'_>,
    serial_hex: &str,
    client: uuid::Uuid,
) -> Result<IntakeStanding, StoreError> {
    let row = query(concat!(
        "SELECT c.revoked_at FROM intake_certificates t JOIN intake_clients c",
        " ON c.id = t.client_id WHERE t.serial_hex = $1 AND t.client_id = $2"
    ))
    .bind(serial_hex)
    .bind(client)
    .fetch_optional(db)
    .await?;
    Ok(match row {
        None => IntakeStanding::NotIssued,
        Some(row) if row.try_get::<Option<DateTime<Utc>>, _>(0)?.is_some() => {
            IntakeStanding::Revoked
        }
        Some(_) => IntakeStanding::Current,
    })
}

/// The stored answer under the write's key: `Some(Replayed)` or `Some(KeyReused)`; `None`
/// for a new key.
async fn known<T>(
    tx: &mut Tx,
    write: IntakeWrite<'_>,
) -> Result<Option<IntakeOutcome<T>>, StoreError> {
    let row = query(concat!(
        "SELECT request, response FROM intake_requests",
        " WHERE client_id = $1 AND idempotency_key = $2"
    ))
    .bind(write.client)
    .bind(write.key)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let request: String = row.try_get("request")?;
    if request != write.request {
        return Ok(Some(IntakeOutcome::KeyReused));
    }
    Ok(Some(IntakeOutcome::Replayed(row.try_get("response")?)))
}

async fn remember(
    tx: &mut Tx,
    write: IntakeWrite<'_>,
    registration: RegistrationId,
    response: &str,
) -> Result<(), StoreError> {
    query(concat!(
        "INSERT INTO intake_requests (client_id, idempotency_key, registration_id, request,",
        " response, recorded_at) VALUES ($1, $2, $3, $4, $5, $6)"
    ))
    .bind(write.client)
    .bind(write.key)
    .bind(registration.as_uuid())
    .bind(write.request)
    .bind(response)
    .bind(write.now)
    .execute(&mut *tx)
    .await?;
    Ok(())
}

/// The first of `choices` that is not an active daycare, read inside the write's transaction
/// (a deactivation commits before or after it, never in between).
async fn inactive_choice(
    tx: &mut Tx,
    choices: &[DaycareId],
) -> Result<Option<DaycareId>, StoreError> {
    for daycare in choices {
        let active = query("SELECT 1 FROM daycares WHERE id = $1 AND deactivated_at IS NULL")
            .bind(daycare.as_uuid())
            .fetch_optional(&mut *tx)
            .await?
            .is_some();
        if !active {
            return Ok(Some(*daycare));
        }
    }
    Ok(None)
}

async fn insert_registrations(
    tx: &mut Tx,
    registrations: &[(RegistrationRecord, Vec<DaycareId>)],
) -> Result<(), StoreError> {
    for chunk in registrations.chunks(SEED_ROWS_PER_STATEMENT) {
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
        for (r, _) in chunk {
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
        insert.execute(&mut *tx).await?;
    }
    for (registration, choices) in registrations {
        insert_choices(tx, registration.id, choices).await?;
    }
    Ok(())
}

async fn insert_choices(
    tx: &mut Tx,
    registration: RegistrationId,
    choices: &[DaycareId],
) -> Result<(), StoreError> {
    if choices.is_empty() {
        return Ok(());
    }
    let mut insert = insert_rows(
        "INSERT INTO registration_choices (registration_id, daycare_id, preference)",
        choices.len(),
        3,
    );
    for (daycare, preference) in choices.iter().zip(1i32..) {
        insert.push(registration.as_uuid());
        insert.push(daycare.as_uuid());
        insert.push(preference);
    }
    insert.execute(&mut *tx).await?;
    Ok(())
}

async fn create(
    db: Db<'_>,
    write: IntakeWrite<'_>,
    registration: &RegistrationRecord,
    choices: &[DaycareId],
    response: &str,
    event: &AuditEvent,
) -> Result<IntakeOutcome<()>, StoreError> {
    let mut tx = db.begin().await?;
    // Intake writes run one at a time with every other audited write, so a key is checked
    // and stored under the same lock.
    lock_audit_head(&mut tx).await?;
    if let Some(known) = known(&mut tx, write).await? {
        tx.rollback().await?;
        return Ok(known);
    }
    if let Some(daycare) = inactive_choice(&mut tx, choices).await? {
        tx.rollback().await?;
        return Ok(IntakeOutcome::InactiveChoice(daycare));
    }
    insert_registrations(&mut tx, &[(registration.clone(), choices.to_vec())]).await?;
    remember(&mut tx, write, registration.id, response).await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(IntakeOutcome::Done(()))
}

/// The registration's state under the lock: `Err(outcome)` when it is unknown or closed.
async fn open_state<T>(
    tx: &mut Tx,
    registration: RegistrationId,
) -> Result<Result<RegistrationState, IntakeOutcome<T>>, StoreError> {
    let exists = query("SELECT 1 FROM registrations WHERE id = $1")
        .bind(registration.as_uuid())
        .fetch_optional(&mut *tx)
        .await?
        .is_some();
    if !exists {
        return Ok(Err(IntakeOutcome::NotFound));
    }
    let state = stored_registration_state(tx, registration)
        .await?
        .unwrap_or(RegistrationState::NEW);
    Ok(match state.status {
        RegistrationStatus::Placed | RegistrationStatus::Withdrawn => {
            Err(IntakeOutcome::RegistrationClosed)
        }
        RegistrationStatus::Waiting | RegistrationStatus::Suspended => Ok(state),
    })
}

async fn update<F>(
    db: Db<'_>,
    write: IntakeWrite<'_>,
    registration: &RegistrationRecord,
    choices: &[DaycareId],
    answer: F,
    event: &AuditEvent,
) -> Result<IntakeOutcome<String>, StoreError>
where
    F: FnOnce(RegistrationStatus) -> Result<String, StoreError>,
{
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    if let Some(known) = known(&mut tx, write).await? {
        tx.rollback().await?;
        return Ok(known);
    }
    let state = match open_state(&mut tx, registration.id).await? {
        Ok(state) => state,
        Err(refusal) => {
            tx.rollback().await?;
            return Ok(refusal);
        }
    };
    if let Some(daycare) = inactive_choice(&mut tx, choices).await? {
        tx.rollback().await?;
        return Ok(IntakeOutcome::InactiveChoice(daycare));
    }
    let r = registration;
    // The registration day is the family's place in time: an update never moves it.
    query(concat!(
        "UPDATE registrations SET child_given_name = $1, child_family_name = $2,",
        " birth_date = $3, desired_entry_date = $4, region = $5, address_key = $6,",
        " parent_given_name = $7, parent_family_name = $8, parent_phone = $9,",
        " parent_email = $10, staff_member_child = $11, same_address_as_admitted_child = $12,",
        " already_in_subsidized_care = $13, special_needs = $14,",
        " socio_economic_precarity = $15, parent_in_education = $16 WHERE id = $17"
    ))
    .bind(r.child_given_name.as_str())
    .bind(r.child_family_name.as_str())
    .bind(r.birth_date)
    .bind(r.desired_entry_date)
    .bind(r.region.as_str())
    .bind(r.address_key.as_str())
    .bind(r.parent_given_name.as_str())
    .bind(r.parent_family_name.as_str())
    .bind(r.parent_phone.as_str())
    .bind(r.parent_email.as_str())
    .bind(r.facts.staff_member_child)
    .bind(r.facts.same_address_as_admitted_child)
    .bind(r.facts.already_in_subsidized_care)
    .bind(r.priority.special_needs)
    .bind(r.priority.socio_economic_precarity)
    .bind(r.priority.parent_in_education)
    .bind(r.id.as_uuid())
    .execute(&mut tx)
    .await?;
    query("DELETE FROM registration_choices WHERE registration_id = $1")
        .bind(r.id.as_uuid())
        .execute(&mut tx)
        .await?;
    insert_choices(&mut tx, r.id, choices).await?;
    let response = answer(state.status)?;
    remember(&mut tx, write, r.id, &response).await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(IntakeOutcome::Done(response))
}

async fn withdraw<F>(
    db: Db<'_>,
    write: IntakeWrite<'_>,
    registration: RegistrationId,
    answer: F,
) -> Result<IntakeOutcome<String>, StoreError>
where
    F: FnOnce(IntakeEffect, &[ReferralId]) -> Result<(String, AuditEvent), StoreError>,
{
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    if let Some(known) = known(&mut tx, write).await? {
        tx.rollback().await?;
        return Ok(known);
    }
    let state = match open_state(&mut tx, registration).await? {
        Ok(state) => state,
        Err(refusal) => {
            tx.rollback().await?;
            return Ok(refusal);
        }
    };
    let mut closed = Vec::new();
    let mut vacancies: Vec<VacancyId> = Vec::new();
    for row in
        query("SELECT id, vacancy_id FROM referrals WHERE registration_id = $1 AND status = 'open'")
            .bind(registration.as_uuid())
            .fetch_all(&mut tx)
            .await?
    {
        closed.push(ReferralId::from_uuid(row.try_get("id")?));
        let vacancy = VacancyId::from_uuid(row.try_get("vacancy_id")?);
        if !vacancies.contains(&vacancy) {
            vacancies.push(vacancy);
        }
    }
    let mut further = Vec::new();
    for vacancy in vacancies {
        further.extend(top_up(&mut tx, vacancy, registration, &closed, write.now).await?);
    }
    let further = within_referral_bound(&mut tx, further, write.now).await?;
    let after = RegistrationState {
        status: RegistrationStatus::Withdrawn,
        missed_deadlines: state.missed_deadlines,
    };
    let effect = IntakeEffect {
        status: after.status,
        closed: closed.len(),
        further: further.len(),
    };
    let named: Vec<ReferralId> = closed
        .iter()
        .copied()
        .chain(further.iter().map(|r| r.id))
        .collect();
    let (response, event) = answer(effect, &named)?;
    let change_seq = insert_event(&mut tx, &event).await?;
    close_referrals(&mut tx, &closed, change_seq).await?;
    write_registration_state(&mut tx, registration, Some(after)).await?;
    insert_referrals(&mut tx, &further, change_seq).await?;
    remember(&mut tx, write, registration, &response).await?;
    tx.commit().await?;
    Ok(IntakeOutcome::Done(response))
}

async fn confirm<F>(
    db: Db<'_>,
    write: IntakeWrite<'_>,
    registration: RegistrationId,
    report: uuid::Uuid,
    actor: &str,
    answer: F,
) -> Result<IntakeOutcome<String>, StoreError>
where
    F: FnOnce(IntakeEffect) -> Result<String, StoreError>,
{
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    if let Some(known) = known(&mut tx, write).await? {
        tx.rollback().await?;
        return Ok(known);
    }
    // A report of another registration answers as a missing one: the front end acts for the
    // family of the registration in the path only.
    let of_registration =
        query("SELECT 1 FROM outcome_reports WHERE id = $1 AND registration_id = $2")
            .bind(report)
            .bind(registration.as_uuid())
            .fetch_optional(&mut tx)
            .await?
            .is_some();
    if !of_registration {
        tx.rollback().await?;
        return Ok(IntakeOutcome::NotFound);
    }
    let result = confirm_report_in(&mut tx, report, actor, write.now).await?;
    let (closed, further) = match result {
        ConfirmResult::Confirmed { closed, further } => (closed, further),
        ConfirmResult::NotPending => {
            tx.rollback().await?;
            return Ok(IntakeOutcome::ReportNotPending);
        }
        ConfirmResult::RegistrationClosed => {
            tx.rollback().await?;
            return Ok(IntakeOutcome::RegistrationClosed);
        }
    };
    let status = stored_registration_state(&mut tx, registration)
        .await?
        .unwrap_or(RegistrationState::NEW)
        .status;
    let response = answer(IntakeEffect {
        status,
        closed,
        further,
    })?;
    remember(&mut tx, write, registration, &response).await?;
    tx.commit().await?;
    Ok(IntakeOutcome::Done(response))
}

async fn pending_reports(
    db: Db<'_>,
    registration: RegistrationId,
) -> Result<Option<Vec<OutcomeReportRecord>>, StoreError> {
    let exists = query("SELECT 1 FROM registrations WHERE id = $1")
        .bind(registration.as_uuid())
        .fetch_optional(db)
        .await?
        .is_some();
    if !exists {
        return Ok(None);
    }
    let rows = query(concat!(
        "SELECT id, outcome_id, kind, referral_id, daycare_id, device_id, reported_at",
        " FROM outcome_reports WHERE registration_id = $1 AND status = 'pending'",
        " ORDER BY reported_at, id"
    ))
    .bind(registration.as_uuid())
    .fetch_all(db)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(OutcomeReportRecord {
                id: row.try_get("id")?,
                outcome_id: row.try_get("outcome_id")?,
                kind: row.try_get("kind")?,
                referral_id: ReferralId::from_uuid(row.try_get("referral_id")?),
                registration_id: registration,
                daycare_id: DaycareId::from_uuid(row.try_get("daycare_id")?),
                device_id: placeforte_protocol::DeviceId::from_uuid(row.try_get("device_id")?),
                reported_at: row.try_get("reported_at")?,
            })
        })
        .collect::<Result<Vec<_>, StoreError>>()
        .map(Some)
}

async fn import(
    db: Db<'_>,
    registrations: &[(RegistrationRecord, Vec<DaycareId>)],
    event: &AuditEvent,
) -> Result<Option<DaycareId>, StoreError> {
    let mut tx = db.begin().await?;
    lock_audit_head(&mut tx).await?;
    let mut checked: Vec<DaycareId> = Vec::new();
    for (_, choices) in registrations {
        for daycare in choices {
            if checked.contains(daycare) {
                continue;
            }
            if let Some(inactive) = inactive_choice(&mut tx, std::slice::from_ref(daycare)).await? {
                tx.rollback().await?;
                return Ok(Some(inactive));
            }
            checked.push(*daycare);
        }
    }
    insert_registrations(&mut tx, registrations).await?;
    insert_event(&mut tx, event).await?;
    tx.commit().await?;
    Ok(None)
}

async fn edit(
    db: Db<'_>,
    daycare: DaycareId,
    name: &str,
    region: &str,
    event: &AuditEvent,
) -> Result<bool, StoreError> {
    let mut tx = db.begin().await?;
    let updated = query("UPDATE daycares SET name = $1, region = $2 WHERE id = $3")
        .bind(name)
        .bind(region)
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

async fn deactivate(
    db: Db<'_>,
    daycare: DaycareId,
    now: DateTime<Utc>,
    event: &AuditEvent,
) -> Result<DeactivationResult, StoreError> {
    let mut tx = db.begin().await?;
    // Under the lock every declaration, answer and top-up takes: none of them sees the daycare
    // half deactivated.
    lock_audit_head(&mut tx).await?;
    let row = query("SELECT deactivated_at FROM daycares WHERE id = $1")
        .bind(daycare.as_uuid())
        .fetch_optional(&mut tx)
        .await?;
    let Some(row) = row else {
        tx.rollback().await?;
        return Ok(DeactivationResult::Unknown);
    };
    if row.try_get::<Option<DateTime<Utc>>, _>(0)?.is_some() {
        tx.rollback().await?;
        return Ok(DeactivationResult::AlreadyInactive);
    }
    query("UPDATE daycares SET deactivated_at = $1 WHERE id = $2")
        .bind(now)
        .bind(daycare.as_uuid())
        .execute(&mut tx)
        .await?;
    let devices =
        query("UPDATE devices SET revoked_at = $1 WHERE daycare_id = $2 AND revoked_at IS NULL")
            .bind(now)
            .bind(daycare.as_uuid())
            .execute(&mut tx)
            .await?;
    query(concat!(
        "UPDATE enrolment_codes SET expires_at = $1",
        " WHERE daycare_id = $2 AND used_at IS NULL AND expires_at > $1"
    ))
    .bind(now)
    .bind(daycare.as_uuid())
    .execute(&mut tx)
    .await?;
    let open: Vec<ReferralId> =
        query("SELECT id FROM referrals WHERE daycare_id = $1 AND status = 'open'")
            .bind(daycare.as_uuid())
            .fetch_all(&mut tx)
            .await?
            .iter()
            .map(|row| Ok(ReferralId::from_uuid(row.try_get("id")?)))
            .collect::<Result<_, StoreError>>()?;
    let mut event = event.clone();
    event.referral_ids = open.clone();
    event.reason = Some(format!("devices_revoked:{devices}"));
    let change_seq = insert_event(&mut tx, &event).await?;
    close_referrals(&mut tx, &open, change_seq).await?;
    tx.commit().await?;
    Ok(DeactivationResult::Deactivated {
        devices,
        referrals: open.len(),
    })
}
