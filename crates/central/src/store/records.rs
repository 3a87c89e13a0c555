//! Rows as the service sees them.

use chrono::{DateTime, NaiveDate, Utc};
use placeforte_domain::{AgeClass, CategoryFacts, PriorityBasis};
use placeforte_protocol::{DaycareId, DeviceId, ReferralId, RegistrationId, VacancyId};

/// A daycare and its permit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaycareRecord {
    /// Its id.
    pub id: DaycareId,
    /// Public name.
    pub name: String,
    /// Administrative region.
    pub region: String,
    /// Permit places per age class, in [`placeforte_domain::AgeClass::ALL`] order.
    pub places: [u32; 4],
    /// When the operator added it.
    pub created_at: DateTime<Utc>,
}

/// An enrolled device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// Its id (in its certificate's SAN).
    pub id: DeviceId,
    /// Its daycare (in its certificate's SAN too).
    pub daycare_id: DaycareId,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// When the operator revoked it, if they did.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A certificate the device CA issued.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IssuedCertificate {
    /// Serial number, lowercase hex.
    pub serial_hex: String,
    /// The device it identifies.
    pub device_id: DeviceId,
    /// Start of validity.
    pub not_before: DateTime<Utc>,
    /// End of validity.
    pub not_after: DateTime<Utc>,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
}

/// A certificate to list on the CRL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevokedCertificate {
    /// Serial number, lowercase hex.
    pub serial_hex: String,
    /// When it was revoked: with its device, or when a renewal replaced it.
    pub revoked_at: DateTime<Utc>,
    /// End of validity (an expired certificate can leave the CRL).
    pub not_after: DateTime<Utc>,
}

/// What the store says of a connection's certificate, by its serial and device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CertificateStanding {
    /// Issued to that device, neither replaced nor revoked; the device's daycare.
    Current(DaycareId),
    /// Issued to that device, then replaced by a renewal.
    Replaced,
    /// The device is revoked.
    DeviceRevoked,
    /// No certificate with that serial was issued to that device (signed with the CA's key
    /// outside the service, or for another device).
    NotIssued,
}

/// A one-time enrolment code, as stored: only its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrolmentCodeRecord {
    /// SHA-256 of the normalized code.
    pub code_sha256: Vec<u8>,
    /// The only daycare it enrols a device into.
    pub daycare_id: DaycareId,
    /// When it was issued.
    pub issued_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

/// One event for the audit log: an operator action, a device lifecycle event, a read of personal
/// data or a write. Never personal data: ids, action names and reason codes only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEvent {
    /// When it happened.
    pub occurred_at: DateTime<Utc>,
    /// Who: `operator:<login>` or `device:<id>`.
    pub actor: String,
    /// The daycare acting or acted on, when there is one.
    pub daycare_id: Option<DaycareId>,
    /// What, as a dotted name (`device.revoked`).
    pub action: String,
    /// On what: an id.
    pub subject: String,
    /// The referrals read or written.
    pub referral_ids: Vec<ReferralId>,
    /// Why, as a reason code, when the caller gave one.
    pub reason: Option<String>,
}

impl AuditEvent {
    /// An event with no daycare, referrals or reason.
    pub fn new(
        occurred_at: DateTime<Utc>,
        actor: String,
        action: &str,
        subject: String,
    ) -> AuditEvent {
        AuditEvent {
            occurred_at,
            actor,
            daycare_id: None,
            action: action.to_owned(),
            subject,
            referral_ids: Vec::new(),
            reason: None,
        }
    }

    /// The same event, naming a daycare.
    pub fn for_daycare(mut self, daycare: DaycareId) -> AuditEvent {
        self.daycare_id = Some(daycare);
        self
    }
}

/// A child's registration (DESIGN.md section 5; never the civil-status number).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistrationRecord {
    /// Its id.
    pub id: RegistrationId,
    /// Child's given name.
    pub child_given_name: String,
    /// Child's family name.
    pub child_family_name: String,
    /// Birth date (children are registered once born).
    pub birth_date: NaiveDate,
    /// When the parents want a place from.
    pub desired_entry_date: NaiveDate,
    /// When the registration was made.
    pub registered_on: NaiveDate,
    /// Administrative region of the family.
    pub region: String,
    /// Opaque key shared by registrations at one address (siblings).
    pub address_key: String,
    /// A parent's given name.
    pub parent_given_name: String,
    /// A parent's family name.
    pub parent_family_name: String,
    /// A parent's phone number.
    pub parent_phone: String,
    /// A parent's e-mail address.
    pub parent_email: String,
    /// Facts that set the referral category.
    pub facts: CategoryFacts,
    /// Priority basis, if any.
    pub priority: PriorityBasis,
}

/// One daycare chosen by a registration, with its rank (1 = first choice).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RegistrationChoice {
    /// The registration.
    pub registration_id: RegistrationId,
    /// The chosen daycare.
    pub daycare_id: DaycareId,
    /// 1 for the first choice.
    pub preference: i32,
}

/// A whole synthetic data set.
#[derive(Debug, Clone, Default)]
pub struct SeedBatch {
    /// The daycares to add.
    pub daycares: Vec<DaycareRecord>,
    /// Registrations (honeytokens included).
    pub registrations: Vec<RegistrationRecord>,
    /// Chosen daycares.
    pub choices: Vec<RegistrationChoice>,
    /// Which registrations are honeytokens.
    pub honeytokens: Vec<RegistrationId>,
}

/// A vacancy a daycare declared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VacancyRecord {
    /// Its id.
    pub id: VacancyId,
    /// The declaring daycare.
    pub daycare_id: DaycareId,
    /// Age class of the places.
    pub age_class: AgeClass,
    /// How many places.
    pub places: u32,
    /// First day of the places.
    pub start_date: NaiveDate,
    /// The daycare's label for the group.
    pub group_label: Option<String>,
    /// When it was declared.
    pub declared_at: DateTime<Utc>,
    /// By which device.
    pub declared_by: DeviceId,
}

/// What the referral engine needs of a registration: dates and category facts, no names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CandidateRecord {
    /// The registration.
    pub registration_id: RegistrationId,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Desired entry date.
    pub desired_entry_date: NaiveDate,
    /// Registration date.
    pub registered_on: NaiveDate,
    /// Category facts.
    pub facts: CategoryFacts,
    /// Priority basis (used for the order; never sent to a daycare).
    pub priority: PriorityBasis,
}

/// A referral of a registration to a daycare's vacancy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralRecord {
    /// Its id.
    pub id: ReferralId,
    /// The vacancy.
    pub vacancy_id: VacancyId,
    /// The daycare it is made to.
    pub daycare_id: DaycareId,
    /// The registration referred.
    pub registration_id: RegistrationId,
    /// `open` until an outcome closes it.
    pub status: String,
    /// 1-based rank among this vacancy's candidates.
    pub rank: u32,
    /// The domain's `RankReason`, JSON.
    pub rank_reason: String,
    /// The day the family must answer by.
    pub answer_by: NaiveDate,
    /// When it was made.
    pub referred_at: DateTime<Utc>,
}

/// A referral as the delta sync reads it: the cache's fields and what they are made from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReferralSyncRow {
    /// The referral.
    pub id: ReferralId,
    /// Its vacancy.
    pub vacancy_id: VacancyId,
    /// Status code.
    pub status: String,
    /// Answer deadline.
    pub answer_by: NaiveDate,
    /// Rank among the vacancy's candidates.
    pub rank: u32,
    /// The domain's rank reason, JSON.
    pub rank_reason: String,
    /// The audit sequence number of its last change (the sync order).
    pub change_seq: i64,
    /// The child's given name (the label is made from it).
    pub child_given_name: String,
    /// The child's family name (only its initial leaves the service).
    pub child_family_name: String,
    /// Birth date.
    pub birth_date: NaiveDate,
    /// Desired entry date.
    pub desired_entry_date: NaiveDate,
    /// Another referral to the same daycare of a child at the same address.
    pub sibling: Option<ReferralId>,
}

/// An outcome to apply, as the handler received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRequest {
    /// The caller's daycare (the referral must be made to it).
    pub daycare_id: DaycareId,
    /// The caller's device.
    pub device_id: DeviceId,
    /// The referral.
    pub referral_id: ReferralId,
    /// The sender's idempotency key.
    pub idempotency_key: uuid::Uuid,
    /// What the family answered.
    pub outcome: placeforte_domain::OfferOutcome,
    /// When the request arrived, by the service's clock.
    pub now: DateTime<Utc>,
}

/// What became of an outcome.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OutcomeResult {
    /// Applied; the answer (JSON) is stored under its key. `bulk` is set when this answer took
    /// the daycare over the bulk bound ([`crate::outcomes::crosses_bulk_bound`]).
    Recorded {
        /// The answer (JSON).
        response: String,
        /// The counts to alert on, when this answer crossed the bound.
        bulk: Option<crate::outcomes::BulkOutcomes>,
    },
    /// The key was already applied to this referral: its stored answer.
    Replayed(String),
    /// The key was already used by this daycare for another referral.
    KeyReused,
    /// No referral with this id is made to the caller's daycare.
    NotFound,
    /// The referral (or its registration) is closed.
    Closed,
    /// A missed deadline recorded before the referral's answer-by day.
    DeadlineNotReached,
    /// An acceptance on a vacancy whose places are all accepted already.
    VacancyFilled,
    /// An answer at or after the offer's deadline: the service's clock expired it (in this
    /// answer's transaction when no sweep had yet).
    OfferExpired,
}

/// Which open offers a sweep of the offer clock looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExpiryScope {
    /// Every daycare's (the periodic sweep), a batch at a time.
    All,
    /// One daycare's, before its sync or reveal reads them.
    Daycare(DaycareId),
}

/// An offer the service's clock expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpiredOffer {
    /// The referral, now `no_answer`.
    pub referral_id: ReferralId,
    /// Its registration.
    pub registration_id: RegistrationId,
    /// What the missed deadline did (the domain's `OutcomeEffect` code, `none` when the
    /// registration was already closed).
    pub effect: &'static str,
    /// Other referrals of the registration a withdrawal closed.
    pub closed: usize,
    /// Further referrals made to fill the places.
    pub further: usize,
}

/// What became of an operator's reactivation of a registration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReactivationResult {
    /// Waiting again, with its missed deadlines kept.
    Reactivated {
        /// Missed deadlines so far.
        missed_deadlines: u32,
    },
    /// The rules refuse it (not suspended).
    Refused(placeforte_domain::ReactivationError),
    /// No registration has this id.
    UnknownRegistration,
}

/// A daycare's report of a wider effect, waiting for confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeReportRecord {
    /// The report.
    pub id: uuid::Uuid,
    /// The outcome that made it.
    pub outcome_id: uuid::Uuid,
    /// The effect reported (the domain's `OutcomeEffect` code).
    pub kind: String,
    /// The referral answered.
    pub referral_id: ReferralId,
    /// The family's registration.
    pub registration_id: placeforte_protocol::RegistrationId,
    /// The daycare that answered.
    pub daycare_id: DaycareId,
    /// The device it answered from.
    pub device_id: DeviceId,
    /// When.
    pub reported_at: DateTime<Utc>,
}

/// What became of a confirmation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConfirmResult {
    /// Applied: the referrals it closed and the further referrals it made.
    Confirmed {
        /// Other referrals of the child closed.
        closed: usize,
        /// Further referrals made for the places they left open.
        further: usize,
    },
    /// No pending report has this id.
    NotPending,
    /// The registration is already placed or withdrawn: nothing applied.
    RegistrationClosed,
}

/// What became of a revert.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevertResult {
    /// Reversed: the referral's status now, and how many other referrals reopened.
    Reverted {
        /// The outcome reverted.
        outcome_id: uuid::Uuid,
        /// The referral's status code now (`open`, or `closed` when the registration is).
        referral_status: String,
        /// Referrals a confirmed effect had closed, open again.
        reopened: usize,
    },
    /// No outcome has this id, nor any referral.
    NotFound,
    /// The outcome (the referral's latest) is already reverted.
    AlreadyReverted,
}

/// What became of a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DeclarationResult {
    /// Declared; the answer (JSON) is stored under its key.
    Declared(String),
    /// The key was already used for this same declaration: its stored answer.
    Replayed(String),
    /// The key was already used by this daycare for another declaration.
    KeyReused,
    /// The daycare's open declared places of the class and these would exceed its permit for
    /// the class (or it has no places there): nothing was written.
    OverPermit,
}

/// What a declaration's plan gives the store to write: the referrals, the audit event and
/// the answer (JSON) to keep under the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeclarationPlan {
    /// The referrals to make.
    pub referrals: Vec<ReferralRecord>,
    /// The audit entry of the declaration.
    pub event: AuditEvent,
    /// The answer, stored for retries.
    pub response: String,
}

/// A contact reveal to make, as the handler received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevealRequest {
    /// The caller's daycare.
    pub daycare_id: DaycareId,
    /// The caller's device.
    pub device_id: DeviceId,
    /// The referral.
    pub referral_id: ReferralId,
    /// Reason code.
    pub reason: String,
    /// Free-text note (kept out of the chained log).
    pub note: Option<String>,
    /// Reveals this device may make per UTC day.
    pub daily_quota: u32,
    /// When the request arrived, by the service's clock.
    pub now: DateTime<Utc>,
}

/// What a reveal answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RevealResult {
    /// The details (audited).
    Revealed(Box<RegistrationRecord>),
    /// No referral with this id is made to the caller's daycare.
    NotFound,
    /// The referral is closed: no reveal.
    Closed,
    /// The device used its quota for today (the refusal is audited).
    OverQuota,
    /// One of the daycare's bounds (per referral, daily, weekly) is reached (the refusal is
    /// audited).
    OverDaycareLimit(crate::reveal_budgets::RevealLimit),
}

/// An alert for the operator, as stored. Ids and kinds only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlertRecord {
    /// Its id (what `admin alerts ack` takes and the webhook sends).
    pub id: i64,
    /// When (RFC 3339 text).
    pub raised_at: String,
    /// What: `reveal_quota_exceeded`, `honeytoken_touched`, `foreign_ids_repeated`, ...
    pub kind: String,
    /// The device, or empty.
    pub device_id: String,
    /// Its daycare, or empty.
    pub daycare_id: String,
    /// Ids involved.
    pub detail: String,
    /// Start of the window the alert counts (RFC 3339 text), or `once` for an alert raised on
    /// its first crossing only; empty for alerts stored before windows existed.
    pub window_start: String,
    /// When an operator acknowledged it.
    pub acknowledged_at: Option<String>,
    /// Who acknowledged it (`operator:<login>`).
    pub acknowledged_by: Option<String>,
    /// The operator's note.
    pub acknowledgement_note: Option<String>,
    /// Where its webhook delivery stands.
    pub delivery: AlertDelivery,
}

/// Where an alert's webhook delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertDelivery {
    /// Stored before the outbox existed: never delivered.
    None,
    /// Waiting in the outbox (no webhook configured, receiver down, or not sent yet).
    Pending {
        /// Attempts made so far.
        attempts: i64,
    },
    /// The webhook answered 2xx.
    Delivered,
}

/// An alert to raise: [`crate::alerts::raise`] builds it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAlert {
    /// When (RFC 3339 text).
    pub raised_at: String,
    /// What.
    pub kind: String,
    /// The device, or empty.
    pub device_id: String,
    /// The daycare, or empty.
    pub daycare_id: String,
    /// Ids involved.
    pub detail: String,
    /// `kind|subject|window start`: unique, so one alert per window whoever raises it.
    pub dedup_key: String,
    /// Start of the counted window (RFC 3339 text), or `once`.
    pub window_start: String,
}

/// What acknowledging an alert did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AcknowledgeResult {
    /// Acknowledged now (audited).
    Acknowledged,
    /// It was acknowledged before: nothing changed.
    AlreadyAcknowledged,
    /// No alert has this id.
    NotFound,
}

/// A webhook sender's claim on outbox rows: who holds them, until when, as of when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryLease {
    /// The sender (one per service instance).
    pub owner: String,
    /// The claim's end (RFC 3339 text); after it another sender may take the rows.
    pub until: String,
    /// Now (RFC 3339 text).
    pub now: String,
}

/// One line of a "who looked at my file" report: an organisation, when, what and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccessRecord {
    /// When (RFC 3339 text, as logged).
    pub occurred_at: String,
    /// The daycare's name.
    pub daycare_name: String,
    /// What it did (`referrals.synced`, `contact.revealed`, ...).
    pub action: String,
    /// Why, when a reason was given.
    pub reason: String,
}

/// The audit tree's head row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditHeadState {
    /// Entries in the tree.
    pub tree_size: i64,
    /// The checkpoint note the log key signed at the last append (empty before the first).
    pub signed_head: String,
    /// Entries of the former hash chain (sealed into the tree once `tree_size` reaches it).
    pub legacy_entries: i64,
}

/// A kept checkpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeCheckpointRecord {
    /// Its tree size.
    pub size: i64,
    /// When it was kept (informational: the cadence is checked on the entries' own times).
    pub signed_at: String,
    /// The signed note.
    pub note: String,
}

/// A checkpoint a witness cosigned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CosignatureRecord {
    /// The witness's verifier key.
    pub witness: String,
    /// The checkpoint's tree size.
    pub size: i64,
    /// The cosignature's time (RFC 3339).
    pub cosigned_at: String,
    /// The checkpoint note with the log's signature and the witness's cosignature.
    pub note: String,
}
