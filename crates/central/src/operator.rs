//! Operator actions, shared by the CLI and the tests. Each one appends an [`AuditEvent`] in the
//! same transaction as its write.

use chrono::{DateTime, Utc};
use placeforte_domain::{quebec_rules_on, AgeClass, Permit};
use placeforte_protocol::{DaycareId, DeviceId, RegistrationId};

use crate::enrolment_code;
use crate::secret::Secret;
use crate::store::{
    AcknowledgeResult, AuditEvent, ConfirmResult, DaycareRecord, EnrolmentCodeRecord,
    OutcomeReportRecord, ReactivationResult, RevertResult, Storage, StoreError,
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
    /// The daycare is deactivated (`daycare deactivate`).
    #[error("daycare {0} is deactivated")]
    DaycareDeactivated(DaycareId),
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
    /// No pending report has this id (unknown, already confirmed or reverted).
    #[error("no pending outcome report has the id {0}")]
    NoPendingReport(uuid::Uuid),
    /// The report's registration is already placed or withdrawn.
    #[error("the registration of report {0} is already placed or withdrawn; nothing applied")]
    RegistrationClosed(uuid::Uuid),
    /// No outcome or referral has this id.
    #[error("no outcome or referral with an outcome has the id {0}")]
    UnknownOutcome(uuid::Uuid),
    /// The outcome is already reverted.
    #[error("the outcome {0} is already reverted")]
    AlreadyReverted(uuid::Uuid),
    /// A revert or a reactivation needs a reason for the audit log.
    #[error("this action needs a --reason for the audit log")]
    MissingReason,
    /// No registration has this id.
    #[error("no registration has the id {0}")]
    UnknownRegistration(RegistrationId),
    /// The rules refuse to reactivate this registration (it is not suspended).
    #[error("registration {0} cannot be reactivated: {1}")]
    NotReactivable(RegistrationId, placeforte_domain::ReactivationError),
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
    // A deactivated daycare enrols no workstation: it would declare vacancies again.
    if crate::store::IntakeStorage::daycare_deactivated_at(store, daycare)
        .await?
        .is_some()
    {
        return Err(OperatorError::DaycareDeactivated(daycare));
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

/// Daycares' reports of wider effects waiting for confirmation; the listing is audited.
pub async fn outcome_reports<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
) -> Result<Vec<OutcomeReportRecord>, OperatorError> {
    record_listing(store, operator, now, "outcome_reports").await?;
    Ok(store.pending_outcome_reports().await?)
}

/// Confirms a daycare's report: its wider effect is applied (audited). Returns how many other
/// referrals of the child closed and how many further referrals refill their places.
pub async fn confirm_outcome_report<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    report: uuid::Uuid,
) -> Result<(usize, usize), OperatorError> {
    let actor = format!("operator:{}", operator.0);
    match store.confirm_outcome_report(report, &actor, now).await? {
        ConfirmResult::Confirmed { closed, further } => Ok((closed, further)),
        ConfirmResult::NotPending => Err(OperatorError::NoPendingReport(report)),
        ConfirmResult::RegistrationClosed => Err(OperatorError::RegistrationClosed(report)),
    }
}

/// Reverses a daycare's outcome (`id`: the outcome's, or its referral's), restoring the
/// family's standing, audited with `reason`. Returns the outcome reverted, the referral's
/// status now, and how many other referrals reopened.
pub async fn revert_outcome<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    id: uuid::Uuid,
    reason: &str,
) -> Result<(uuid::Uuid, String, usize), OperatorError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OperatorError::MissingReason);
    }
    let actor = format!("operator:{}", operator.0);
    match store.revert_outcome(id, &actor, reason, now).await? {
        RevertResult::Reverted {
            outcome_id,
            referral_status,
            reopened,
        } => Ok((outcome_id, referral_status, reopened)),
        RevertResult::NotFound => Err(OperatorError::UnknownOutcome(id)),
        RevertResult::AlreadyReverted => Err(OperatorError::AlreadyReverted(id)),
    }
}

/// Puts a suspended registration back on the list, as the rules allow (the domain's
/// `reactivate`: waiting again, its missed deadlines kept, so the next miss withdraws it),
/// audited with `reason`. Returns its missed deadlines. Until families act for themselves (a
/// later issue), the operator does it at the family's request.
pub async fn reactivate_registration<S: Storage>(
    store: &S,
    operator: &Operator,
    now: DateTime<Utc>,
    registration: RegistrationId,
    reason: &str,
) -> Result<u32, OperatorError> {
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(OperatorError::MissingReason);
    }
    let mut event = operator.event(
        now,
        "registration.reactivated",
        format!("registration:{registration}"),
    );
    event.reason = Some(reason.to_owned());
    match store.reactivate_registration(registration, &event).await? {
        ReactivationResult::Reactivated { missed_deadlines } => Ok(missed_deadlines),
        ReactivationResult::Refused(refusal) => {
            Err(OperatorError::NotReactivable(registration, refusal))
        }
        ReactivationResult::UnknownRegistration => {
            Err(OperatorError::UnknownRegistration(registration))
        }
    }
}
