//! Operator actions, shared by the CLI and the tests. Each one appends an [`AuditEvent`] in the
//! same transaction as its write.

use chrono::{DateTime, Utc};
use placeforte_domain::{quebec_rules_on, AgeClass, Permit};
use placeforte_protocol::{DaycareId, DeviceId};

use crate::enrolment_code;
use crate::secret::Secret;
use crate::store::{
    AcknowledgeResult, AuditEvent, DaycareRecord, EnrolmentCodeRecord, Storage, StoreError,
};

/// An operator action failed.
#[derive(Debug, thiserror::Error)]
pub enum OperatorError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such daycare.
    #[error("no daycare has the id {0}")]
    UnknownDaycare(DaycareId),
    /// No such active device.
    #[error("no active device has the id {0} (unknown or already revoked)")]
    UnknownDevice(DeviceId),
    /// The permit breaks the rules.
    #[error("invalid permit: {0}")]
    Permit(#[from] placeforte_domain::DomainError),
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
    /// No such alert.
    #[error("no alert has the id {0}")]
    UnknownAlert(i64),
    /// The alert was acknowledged before.
    #[error("alert {0} is already acknowledged")]
    AlertAlreadyAcknowledged(i64),
    /// An acknowledgement needs a note saying what was done.
    #[error("an acknowledgement needs a note (--note \"what was checked or done\")")]
    EmptyNote,
}

/// Who is acting: `operator:<login>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Operator(pub String);

impl Operator {
    /// The operator running this process (from `$USER`, else `unknown`).
    pub fn from_environment() -> Operator {
        Operator(std::env::var("USER").unwrap_or_else(|_| "unknown".to_owned()))
    }

    fn event(&self, now: DateTime<Utc>, action: &str, subject: String) -> AuditEvent {
        AuditEvent::new(now, format!("operator:{}", self.0), action, subject)
    }
}

/// Adds a daycare with its permit (places per age class, youngest first).
pub async fn add_daycare<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    name: &str,
    region: &str,
    places: [u32; 4],
) -> Result<DaycareRecord, OperatorError> {
    let permit = Permit::from_places(places, quebec_rules_on(now.date_naive()))?;
    let daycare = DaycareRecord {
        id: DaycareId::random(),
        name: name.to_owned(),
        region: region.to_owned(),
        places: AgeClass::ALL.map(|class| permit.places(class).get()),
        created_at: now,
    };
    store
        .add_daycare(
            &daycare,
            &operator
                .event(now, "daycare.added", format!("daycare:{}", daycare.id))
                .for_daycare(daycare.id),
        )
        .await?;
    Ok(daycare)
}

/// Changes a daycare's permit (places per age class, youngest first), refusing one over the
/// installation cap of the rules in force. A permit lowered below the places already declared
/// takes effect on the next declaration: the vacancies already open stay (families may have
/// been called about them).
pub async fn set_permit<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    daycare: DaycareId,
    places: [u32; 4],
) -> Result<DaycareRecord, OperatorError> {
    let permit = Permit::from_places(places, quebec_rules_on(now.date_naive()))?;
    let places = AgeClass::ALL.map(|class| permit.places(class).get());
    let mut event = operator
        .event(now, "daycare.permit_set", format!("daycare:{daycare}"))
        .for_daycare(daycare);
    // The new places, as counts only, so the log says what the permit became.
    event.reason = Some(format!(
        "places:{}",
        places.map(|p| p.to_string()).join(",")
    ));
    if !store.set_daycare_permit(daycare, places, &event).await? {
        return Err(OperatorError::UnknownDaycare(daycare));
    }
    store
        .daycare(daycare)
        .await?
        .ok_or(OperatorError::UnknownDaycare(daycare))
}

/// A code just issued: shown once, never stored in clear.
#[derive(Debug)]
pub struct IssuedCode {
    /// The code to hand to the daycare.
    pub code: Secret,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// Issues a one-time enrolment code for `daycare`, valid for `lifetime`.
pub async fn issue_enrolment_code<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    daycare: DaycareId,
    lifetime: chrono::Duration,
) -> Result<IssuedCode, OperatorError> {
    if store.daycare(daycare).await?.is_none() {
        return Err(OperatorError::UnknownDaycare(daycare));
    }
    let code = enrolment_code::generate().map_err(|_| OperatorError::Random)?;
    let record = EnrolmentCodeRecord {
        code_sha256: enrolment_code::hash(code.expose()),
        daycare_id: daycare,
        issued_at: now,
        expires_at: now + lifetime,
    };
    store
        .add_enrolment_code(
            &record,
            &operator
                .event(now, "enrolment_code.issued", format!("daycare:{daycare}"))
                .for_daycare(daycare),
        )
        .await?;
    Ok(IssuedCode {
        code,
        expires_at: record.expires_at,
    })
}

/// Revokes a device: its next request is refused, on any connection.
pub async fn revoke_device<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    device: DeviceId,
) -> Result<(), OperatorError> {
    let event = operator.event(now, "device.revoked", format!("device:{device}"));
    if store.revoke_device(device, now, &event).await? {
        Ok(())
    } else {
        Err(OperatorError::UnknownDevice(device))
    }
}

/// Records a read-only operator action (listings): who looked, and at what.
pub async fn record_listing<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    what: &str,
) -> Result<(), OperatorError> {
    store
        .record_event(&operator.event(now, &format!("{what}.listed"), what.to_owned()))
        .await?;
    Ok(())
}

/// Acknowledges an alert with a note (audited as `alert.acknowledged`); refused for an unknown
/// alert or one already acknowledged, so the first acknowledgement's note is never overwritten.
pub async fn acknowledge_alert<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    alert: i64,
    note: &str,
) -> Result<(), OperatorError> {
    let note = note.trim();
    if note.is_empty() {
        return Err(OperatorError::EmptyNote);
    }
    let event = operator.event(now, "alert.acknowledged", format!("alert:{alert}"));
    match store
        .acknowledge_alert(alert, &event.actor, note, &event)
        .await?
    {
        AcknowledgeResult::Acknowledged => Ok(()),
        AcknowledgeResult::AlreadyAcknowledged => {
            Err(OperatorError::AlertAlreadyAcknowledged(alert))
        }
        AcknowledgeResult::NotFound => Err(OperatorError::UnknownAlert(alert)),
    }
}
