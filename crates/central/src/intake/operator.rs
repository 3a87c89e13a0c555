//! The operator's side of intake: intake clients (the registration front end's identity) and
//! the daycares registrations choose (edit, deactivate). Each action appends its audit entry
//! in the same transaction as its write.

use chrono::{DateTime, Duration, Utc};
use placeforte_protocol::DaycareId;

use crate::ca::{CaError, DeviceCa};
use crate::operator::Operator;
use crate::store::{
    AuditEvent, DaycareRecord, DeactivationResult, IntakeCertificateRecord, IntakeClientRecord,
    Storage, StoreError,
};

/// Validity of an intake client's certificate. Longer than a workstation's 7 days: the front
/// end is one server run by the province, renewed by the operator (`intake-client issue`
/// again), not thousands of desktops renewing themselves; short enough that a stolen key is
/// useless within a month even if no one revokes it.
pub const INTAKE_CERTIFICATE_LIFETIME: Duration = Duration::days(30);

/// Longest daycare name or region, in characters.
pub const MAX_DAYCARE_TEXT_CHARS: usize = 120;

/// An intake operator action failed.
#[derive(Debug, thiserror::Error)]
pub enum IntakeOperatorError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The CA refused the CSR or failed to sign.
    #[error(transparent)]
    Ca(#[from] CaError),
    /// No such daycare.
    #[error("no daycare has the id {0}")]
    UnknownDaycare(DaycareId),
    /// The daycare is already deactivated.
    #[error("daycare {0} is already deactivated")]
    AlreadyInactive(DaycareId),
    /// No active intake client has this id.
    #[error("no active intake client has the id {0} (unknown or already revoked)")]
    UnknownClient(uuid::Uuid),
    /// A name or region is empty, too long or holds control characters.
    #[error("a daycare's name and region must be 1 to {MAX_DAYCARE_TEXT_CHARS} characters, without control characters")]
    InvalidText,
    /// `daycare edit` with nothing to change.
    #[error("nothing to change: give --name, --region or both")]
    NothingToChange,
}

/// An intake client just created: its id and certificate chain (PEM, leaf then CA).
#[derive(Debug, Clone)]
pub struct IssuedIntakeClient {
    /// The client's id.
    pub id: uuid::Uuid,
    /// Leaf certificate then the CA's, PEM.
    pub certificate_chain_pem: String,
    /// End of validity.
    pub not_after: DateTime<Utc>,
}

fn event(operator: &Operator, now: DateTime<Utc>, action: &str, subject: String) -> AuditEvent {
    AuditEvent::new(now, format!("operator:{}", operator.0), action, subject)
}

/// Creates an intake client named `name` and signs its key (`csr_pem`, made on the front
/// end: its private key never reaches this service) with a certificate that names it and no
/// daycare, valid [`INTAKE_CERTIFICATE_LIFETIME`].
pub async fn issue_intake_client<S: Storage>(
    store: &S,
    ca: &DeviceCa,
    operator: &Operator,
    now: DateTime<Utc>,
    name: &str,
    csr_pem: &str,
) -> Result<IssuedIntakeClient, IntakeOperatorError> {
    let name = checked_text(name)?;
    let id = uuid::Uuid::new_v4();
    // A few minutes back, for clocks slightly behind the service's.
    let issued = ca.issue_intake_certificate(
        csr_pem,
        id,
        now - Duration::minutes(5),
        now + INTAKE_CERTIFICATE_LIFETIME,
    )?;
    let client = IntakeClientRecord {
        id,
        name: name.to_owned(),
        created_at: now,
    };
    let certificate = IntakeCertificateRecord {
        serial_hex: issued.serial_hex,
        client_id: id,
        not_before: issued.not_before,
        not_after: issued.not_after,
        issued_at: now,
    };
    store
        .add_intake_client(
            &client,
            &certificate,
            &event(
                operator,
                now,
                "intake_client.issued",
                format!("intake:{id}"),
            ),
        )
        .await?;
    Ok(IssuedIntakeClient {
        id,
        certificate_chain_pem: format!("{}{}", issued.pem, ca.certificate_pem()),
        not_after: issued.not_after,
    })
}

/// Revokes an intake client: its next request is refused, even on an open connection.
pub async fn revoke_intake_client<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    client: uuid::Uuid,
) -> Result<(), IntakeOperatorError> {
    let event = event(
        operator,
        now,
        "intake_client.revoked",
        format!("intake:{client}"),
    );
    if store.revoke_intake_client(client, &event).await? {
        Ok(())
    } else {
        Err(IntakeOperatorError::UnknownClient(client))
    }
}

fn checked_text(text: &str) -> Result<&str, IntakeOperatorError> {
    let text = text.trim();
    if text.is_empty()
        || text.chars().count() > MAX_DAYCARE_TEXT_CHARS
        || text.chars().any(char::is_control)
    {
        return Err(IntakeOperatorError::InvalidText);
    }
    Ok(text)
}

/// Changes a daycare's name, region or both (audited; the permit has `daycare set-permit`).
pub async fn edit_daycare<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    daycare: DaycareId,
    name: Option<&str>,
    region: Option<&str>,
) -> Result<DaycareRecord, IntakeOperatorError> {
    if name.is_none() && region.is_none() {
        return Err(IntakeOperatorError::NothingToChange);
    }
    let current = store
        .daycare(daycare)
        .await?
        .ok_or(IntakeOperatorError::UnknownDaycare(daycare))?;
    let name = checked_text(name.unwrap_or(&current.name))?;
    let region = checked_text(region.unwrap_or(&current.region))?;
    let event = event(
        operator,
        now,
        "daycare.edited",
        format!("daycare:{daycare}"),
    )
    .for_daycare(daycare);
    if !store.edit_daycare(daycare, name, region, &event).await? {
        return Err(IntakeOperatorError::UnknownDaycare(daycare));
    }
    store
        .daycare(daycare)
        .await?
        .ok_or(IntakeOperatorError::UnknownDaycare(daycare))
}

/// What a deactivation did, for the operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deactivated {
    /// Workstations revoked.
    pub devices: u64,
    /// Open referrals closed (their families wait on their other choices).
    pub referrals: usize,
}

/// Deactivates a daycare: families can no longer choose it, it gets no new referral (its
/// workstations are revoked, so it declares nothing; its open referrals are closed, so no
/// answer or expiry refers anyone to it), its unused enrolment codes stop working. Its
/// records stay for the audit log and the access reports. Families that chose it keep the
/// choice in their file (the front end shows it as closed) until they update it.
pub async fn deactivate_daycare<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    daycare: DaycareId,
) -> Result<Deactivated, IntakeOperatorError> {
    let event = event(
        operator,
        now,
        "daycare.deactivated",
        format!("daycare:{daycare}"),
    )
    .for_daycare(daycare);
    match store.deactivate_daycare(daycare, now, &event).await? {
        DeactivationResult::Deactivated { devices, referrals } => {
            Ok(Deactivated { devices, referrals })
        }
        DeactivationResult::AlreadyInactive => Err(IntakeOperatorError::AlreadyInactive(daycare)),
        DeactivationResult::Unknown => Err(IntakeOperatorError::UnknownDaycare(daycare)),
    }
}
