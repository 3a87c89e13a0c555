//! Storage: one trait, implemented on SQLite (default) and PostgreSQL.
//!
//! Both implementations run the same SQL text (`$1` placeholders work on both; see `db.rs`)
//! against their own schema (`migrations/central-sqlite`, `migrations/central-postgres`); only
//! the column types differ. The statements live in one module per concern (`identity`,
//! `vacancies`, `outcomes`, `outcome_reports`, `sync`, `contacts`, `audit`, `alerts`, `seed`),
//! and `backend` implements [`Storage`] once for both stores by calling them. Every check that involves
//! time is done in Rust with the injected clock, never with the database's `now()`, so the
//! two behave alike and tests need no sleeping.

mod alerts;
mod audit;
mod backend;
mod contacts;
mod db;
mod expiry;
mod identity;
mod incidents;
mod intake;
mod outcome_reports;
mod outcomes;
mod postgres;
mod records;
mod retention;
mod seed;
mod sqlite;
mod sync;
mod vacancies;

use std::future::Future;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use placeforte_protocol::{DaycareId, DeviceId};

use crate::audit::AuditEntry;

pub use incidents::IncidentStorage;
pub use intake::{
    DeactivationResult, IntakeCertificateRecord, IntakeClientRecord, IntakeEffect, IntakeOutcome,
    IntakeStanding, IntakeStorage, IntakeWrite,
};
pub use postgres::PostgresStore;
pub use records::{
    AccessRecord, AcknowledgeResult, AlertDelivery, AlertRecord, AuditEvent, AuditHeadState,
    CandidateRecord, CertificateStanding, ConfirmResult, CosignatureRecord, DaycareRecord,
    DeclarationPlan, DeclarationResult, DeliveryLease, DeviceRecord, EnrolmentCodeRecord,
    ExpiredOffer, ExpiryScope, IssuedCertificate, NewAlert, OutcomeReportRecord, OutcomeRequest,
    OutcomeResult, ReactivationResult, ReferralRecord, ReferralSyncRow, RegistrationChoice,
    RegistrationRecord, RevealRequest, RevealResult, RevertResult, RevokedCertificate, SeedBatch,
    TreeCheckpointRecord, VacancyRecord,
};
pub use sqlite::SqliteStore;

use seed::SEED_ROWS_PER_STATEMENT;

/// A storage failure. Details are for the log only.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database refused or failed.
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations failed at start-up.
    #[error("database migration failed: {0}")]
    Migration(#[from] sqlx::migrate::MigrateError),
    /// A stored value is not what the schema promises.
    #[error("corrupt stored value: {0}")]
    Corrupt(String),
    /// The CA failed to sign inside an enrolment; the transaction was rolled back.
    #[error("signing inside the enrolment failed: {0}")]
    Signing(#[from] crate::ca::CaError),
    /// A value to store (a rank reason, a request or answer kept for retries) could not be
    /// written as JSON.
    #[error("cannot encode a value to store: {0}")]
    Encoding(#[from] serde_json::Error),
    /// The database URL names no supported backend.
    #[error("unsupported database URL (expected sqlite:… or postgres://…)")]
    UnsupportedUrl,
    /// An audited write on a store opened without the audit log key.
    #[error("the audit log key is not loaded; audited writes need it")]
    NoLogKey,
    /// The audit log holds entries of the former hash chain that the tree does not cover yet.
    #[error("the audit log's former hash chain ({0} entries) is not sealed into the tree yet; run `placeforte-central audit migrate-chain`")]
    LegacyChainNotSealed(i64),
    /// The database's tree head is not the one the log key signed: someone wrote to the audit
    /// tables outside the service. Nothing more is appended until the operator investigates
    /// (`placeforte-central audit verify`).
    #[error("the audit log's signed head does not match its tree ({0}); the audit tables were written outside the service")]
    AuditHeadTampered(String),
    /// Opened with [`Schema::RequireCurrent`] and a migration is missing or differs.
    #[error("the database schema is not current (migration {0}); run `placeforte-central migrate` as the schema owner")]
    SchemaNotCurrent(i64),
}

/// Whether opening a store may change its schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Schema {
    /// Apply pending migrations (`init`, `migrate`, the operator commands, tests): needs a
    /// role that may run DDL.
    Migrate,
    /// Change nothing; refuse to start unless every migration this build knows is applied,
    /// with the same checksum. The service runs so under a PostgreSQL role that cannot run DDL
    /// (`placeforte-central migrate --grant-service-role`).
    RequireCurrent,
}

impl Schema {
    /// Runs `migrator` on `pool`, or checks that every migration it holds is applied.
    pub(crate) async fn prepare<DB>(
        self,
        migrator: &sqlx::migrate::Migrator,
        pool: &sqlx::Pool<DB>,
    ) -> Result<(), StoreError>
    where
        DB: sqlx::Database,
        for<'c> &'c mut DB::Connection: sqlx::Executor<'c, Database = DB>,
        DB::Connection: sqlx::migrate::Migrate,
        for<'r> (i64, Vec<u8>): sqlx::FromRow<'r, DB::Row>,
        for<'q> DB::Arguments<'q>: sqlx::IntoArguments<'q, DB>,
    {
        match self {
            Schema::Migrate => Ok(migrator.run(pool).await?),
            Schema::RequireCurrent => {
                let mut connection = pool.acquire().await?;
                let applied: Vec<(i64, Vec<u8>)> = match sqlx::query_as(
                    "SELECT version, checksum FROM _sqlx_migrations WHERE success",
                )
                .fetch_all(&mut *connection)
                .await
                {
                    Ok(applied) => applied,
                    // Never migrated: nothing applied. Any other failure (a role that may not
                    // read the table, a lost connection) is reported as it is.
                    Err(sqlx::Error::Database(error)) if is_missing_table(&*error) => Vec::new(),
                    Err(error) => return Err(error.into()),
                };
                match migrator.iter().find(|m| {
                    !applied.iter().any(|(version, checksum)| {
                        *version == m.version && *checksum == *m.checksum
                    })
                }) {
                    Some(missing) => Err(StoreError::SchemaNotCurrent(missing.version)),
                    None => Ok(()),
                }
            }
        }
    }
}

/// Everything the service reads and writes. Implementations are cheap to clone (a pool).
pub trait Storage: IntakeStorage + Clone + Send + Sync + 'static {
    /// Adds a daycare and records who did it.
    fn add_daycare(
        &self,
        daycare: &DaycareRecord,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every daycare, by name.
    fn daycares(&self) -> impl Future<Output = Result<Vec<DaycareRecord>, StoreError>> + Send;

    /// One daycare.
    fn daycare(
        &self,
        id: DaycareId,
    ) -> impl Future<Output = Result<Option<DaycareRecord>, StoreError>> + Send;

    /// Stores a new enrolment code (its hash) and records who issued it.
    fn add_enrolment_code(
        &self,
        code: &EnrolmentCodeRecord,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// In one transaction: consumes the code with this hash if it is unused, unexpired at `now`
    /// and issued for `device.daycare_id`; only then calls `sign` for the device's certificate,
    /// and creates the device and records that certificate. Returns `false`, writing nothing and
    /// never calling `sign`, when the code does not qualify.
    fn enrol_device<F>(
        &self,
        code_sha256: &[u8],
        now: DateTime<Utc>,
        device: &DeviceRecord,
        sign: F,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send
    where
        F: FnOnce() -> Result<IssuedCertificate, StoreError> + Send;

    /// Whether the certificate with this serial was issued to `device` and is still current:
    /// one indexed lookup, made on every authenticated request.
    fn certificate_standing(
        &self,
        serial_hex: &str,
        device: DeviceId,
    ) -> impl Future<Output = Result<CertificateStanding, StoreError>> + Send;

    /// One device.
    fn device(
        &self,
        id: DeviceId,
    ) -> impl Future<Output = Result<Option<DeviceRecord>, StoreError>> + Send;

    /// Every device, by enrolment time.
    fn devices(&self) -> impl Future<Output = Result<Vec<DeviceRecord>, StoreError>> + Send;

    /// Revokes a device. Returns `false` if it is unknown or already revoked.
    fn revoke_device(
        &self,
        id: DeviceId,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Records a renewed certificate and revokes the one it replaces (`replaced_serial`), with
    /// `events`, in one transaction. `false`, writing nothing, if the device is revoked or the
    /// replaced certificate is no longer current (already renewed or revoked).
    fn add_renewed_certificate(
        &self,
        certificate: &IssuedCertificate,
        replaced_serial: &str,
        events: &[AuditEvent],
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// Certificates of revoked devices and certificates replaced by a renewal, for the CRL.
    fn revoked_certificates(
        &self,
    ) -> impl Future<Output = Result<Vec<RevokedCertificate>, StoreError>> + Send;

    /// Appends one audit event on its own (an operator action with no other write).
    fn record_event(
        &self,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Number of audit log entries.
    fn audit_entry_count(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// The tree's size, its signed head and the former chain's length.
    fn audit_head_state(&self) -> impl Future<Output = Result<AuditHeadState, StoreError>> + Send;

    /// Up to `limit` audit entries after `after_seq`, in order.
    fn audit_entries(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<AuditEntry>, StoreError>> + Send;

    /// The stored tree hashes at these indexes (those present).
    fn audit_tree_hashes(
        &self,
        indexes: &[u64],
    ) -> impl Future<Output = Result<placeforte_translog::tree::StoredHashes, StoreError>> + Send;

    /// Every kept checkpoint, by size.
    fn audit_tree_checkpoints(
        &self,
    ) -> impl Future<Output = Result<Vec<TreeCheckpointRecord>, StoreError>> + Send;

    /// The latest kept checkpoint.
    fn last_audit_tree_checkpoint(
        &self,
    ) -> impl Future<Output = Result<Option<TreeCheckpointRecord>, StoreError>> + Send;

    /// Keeps a checkpoint (nothing if one of this size is kept already).
    fn add_audit_tree_checkpoint(
        &self,
        checkpoint: &TreeCheckpointRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Every cosigned checkpoint, by witness and size.
    fn audit_cosignatures(
        &self,
    ) -> impl Future<Output = Result<Vec<CosignatureRecord>, StoreError>> + Send;

    /// The largest checkpoint this witness (its verifier key) cosigned.
    fn last_audit_cosignature(
        &self,
        witness: &str,
    ) -> impl Future<Output = Result<Option<CosignatureRecord>, StoreError>> + Send;

    /// Keeps a cosigned checkpoint.
    fn add_audit_cosignature(
        &self,
        cosignature: &CosignatureRecord,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Replaces the signed head `current` by `replacement` (the same tree head signed by the
    /// log's next key); `false`, changing nothing, if the head is no longer `current`.
    fn replace_audit_head_signature(
        &self,
        current: &str,
        replacement: &str,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// The former chain's checkpoints, in chain order.
    fn legacy_audit_checkpoints(
        &self,
    ) -> impl Future<Output = Result<Vec<crate::audit::legacy::Checkpoint>, StoreError>> + Send;

    /// Seals the former chain's `entries` entries into the tree in one transaction: stores
    /// `hashes`, sets the head to `signed_head` and keeps it as the first checkpoint. Refused
    /// unless the tree is empty and the former chain has exactly `entries` entries.
    fn seal_legacy_audit_chain(
        &self,
        entries: i64,
        hashes: &[(u64, placeforte_translog::Hash)],
        signed_head: &str,
        signed_at: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Writes a whole synthetic data set in one transaction.
    fn insert_seed(
        &self,
        batch: &SeedBatch,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// In one transaction: refuses ([`DeclarationResult::OverPermit`]) a vacancy whose places
    /// and the daycare's open declared places of its class exceed the daycare's permit for the
    /// class; reads the registrations that chose the vacancy's daycare and may be
    /// referred (waiting, not a honeytoken, no open referral to this daycare), lets `plan` pick
    /// the referrals within the daycare's [`crate::permits::ReferralRoom`] and name the audit
    /// event, then stores the vacancy, the referrals and the
    /// event; a `plan` that fails writes nothing. Declarations are serialized, so two never
    /// refer the same child twice.
    ///
    /// `key` is the sender's idempotency key, scoped to the daycare: a key already stored with
    /// the same `request` (its canonical JSON) gets the stored answer and changes nothing; with
    /// another request it is refused.
    fn declare_vacancy<F>(
        &self,
        vacancy: &VacancyRecord,
        key: uuid::Uuid,
        request: &str,
        plan: F,
    ) -> impl Future<Output = Result<DeclarationResult, StoreError>> + Send
    where
        F: FnOnce(
                Vec<CandidateRecord>,
                crate::permits::ReferralRoom,
            ) -> Result<DeclarationPlan, StoreError>
            + Send;

    /// The request and answer stored under `daycare`'s idempotency `key`, if a declaration
    /// used it.
    fn known_declaration(
        &self,
        daycare: DaycareId,
        key: uuid::Uuid,
    ) -> impl Future<Output = Result<Option<(String, String)>, StoreError>> + Send;

    /// Up to `limit` referrals made to `daycare` changed after `after` (change sequence, id), in
    /// change order, and how many changes wait after them. A non-empty page is read in the
    /// transaction that appends `event(page)`.
    fn sync_referrals<F>(
        &self,
        daycare: DaycareId,
        after: (i64, uuid::Uuid),
        limit: i64,
        event: F,
    ) -> impl Future<Output = Result<(Vec<ReferralSyncRow>, u64), StoreError>> + Send
    where
        F: FnOnce(&[ReferralSyncRow]) -> AuditEvent + Send;

    /// Birth and desired entry dates of the registrations waiting for `daycare` (chose it,
    /// waiting, not honeytokens): the input of the de-identified demand figures.
    fn waiting_for(
        &self,
        daycare: DaycareId,
    ) -> impl Future<Output = Result<Vec<(chrono::NaiveDate, chrono::NaiveDate)>, StoreError>> + Send;

    /// In one transaction: applies a daycare's answer to a referral made to it: the referral's
    /// status and the family's choice of the daycare (the domain's `decide_outcome`), never the
    /// registration itself; a wider effect is stored as a pending report. Refuses a missed
    /// deadline before the answer-by day and an acceptance on a filled vacancy. Refers further
    /// candidates to the places left open, stores the answer under the idempotency key, appends
    /// the audit entry, and says whether the answer took the daycare over the bulk bound. A
    /// known key changes nothing.
    fn record_outcome(
        &self,
        request: &OutcomeRequest,
    ) -> impl Future<Output = Result<OutcomeResult, StoreError>> + Send;

    /// In one transaction: checks that the referral is made to the caller's daycare and open,
    /// that the device is under its daily quota and the daycare under its bounds
    /// ([`crate::reveal_budgets`]), then reads the registration's contact details,
    /// records the reveal and appends the audit entry. Every refusal over a quota or bound is audited too.
    fn reveal_contact(
        &self,
        request: &RevealRequest,
    ) -> impl Future<Output = Result<RevealResult, StoreError>> + Send;

    /// Changes a daycare's permit (places per age class, in [`placeforte_domain::AgeClass::ALL`]
    /// order) and records who did it; `false`, writing nothing, for an unknown daycare.
    fn set_daycare_permit(
        &self,
        daycare: DaycareId,
        places: [u32; 4],
        event: &AuditEvent,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;
    /// Daycares' reports of wider effects waiting for confirmation, oldest first.
    fn pending_outcome_reports(
        &self,
    ) -> impl Future<Output = Result<Vec<OutcomeReportRecord>, StoreError>> + Send;

    /// In one transaction: applies a pending report's effect as the domain's `apply_outcome`
    /// says on the registration as it stands (placing, suspending or withdrawing it; closing its
    /// other open referrals and refilling their places when it is placed or withdrawn), keeps
    /// what a revert needs, and appends the audit entry by `actor`.
    fn confirm_outcome_report(
        &self,
        report: uuid::Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<ConfirmResult, StoreError>> + Send;

    /// In one transaction: reverses an outcome (`id` is the outcome's or its referral's, then
    /// its latest): the referral reopens (closed if the registration is), the family's choice
    /// of the daycare returns, and a confirmed effect is undone (the registration's state as
    /// before, the referrals it closed reopened); appends the audit entry by `actor` with
    /// `reason`. A second revert of the same outcome is refused.
    fn revert_outcome(
        &self,
        id: uuid::Uuid,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<RevertResult, StoreError>> + Send;

    /// The offer clock: in one transaction, under the audit head's lock, expires the open
    /// referrals of `scope` whose answer-by day ended before `now` in Québec (a batch of
    /// [`crate::expiry::SWEEP_BATCH`] at most): each becomes `no_answer`, its registration takes
    /// the missed-deadline rule (suspended, or withdrawn with its other referrals closed), the
    /// family's choice of that daycare ends, the places go to the next families in the
    /// regulated order, and one audit entry by the service's clock names them. Expiring
    /// nothing takes no lock. Several instances may call it at once: each offer expires once.
    fn expire_offers(
        &self,
        now: DateTime<Utc>,
        scope: ExpiryScope,
    ) -> impl Future<Output = Result<Vec<ExpiredOffer>, StoreError>> + Send;

    /// In one transaction (a batch of [`crate::retention::PURGE_BATCH`] of each kind at most):
    /// notes the day of every referral newly decided and registration newly closed (withdrawn
    /// or placed), forgets those reopened before their purge, and purges the personal data of
    /// those closed by the plan's days, one audit entry by the retention clock each.
    fn purge_personal_data(
        &self,
        plan: crate::retention::PurgePlan,
        now: DateTime<Utc>,
    ) -> impl Future<Output = Result<crate::retention::Purged, StoreError>> + Send;

    /// In one transaction: puts a suspended registration back on the list (the domain's
    /// `reactivate`: waiting, missed deadlines kept) and appends `event`; refuses any other.
    fn reactivate_registration(
        &self,
        registration: placeforte_protocol::RegistrationId,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<ReactivationResult, StoreError>> + Send;

    /// A registration's stored offer state (`None`: never changed, waiting with none missed).
    fn registration_state(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> impl Future<Output = Result<Option<placeforte_domain::RegistrationState>, StoreError>> + Send;

    /// The daycares a registration chose and their preferences, by daycare id.
    fn registration_choices(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> impl Future<Output = Result<Vec<(DaycareId, i32)>, StoreError>> + Send;

    /// How many open referrals this daycare has.
    fn open_referral_count(
        &self,
        daycare: DaycareId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// How many distinct referrals of this daycare had their contact details revealed since
    /// `since`, by any of its devices.
    fn daycare_revealed_referrals(
        &self,
        daycare: DaycareId,
        since: DateTime<Utc>,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Stores an alert and its outbox row in one transaction, unless an alert with the same
    /// deduplication key exists: the alert's id, or `None` when another request raised it.
    /// On its own, never inside a request's transaction.
    fn raise_alert(
        &self,
        alert: &NewAlert,
    ) -> impl Future<Output = Result<Option<i64>, StoreError>> + Send;

    /// Every alert with its acknowledgement and delivery state, newest first.
    fn alerts(&self) -> impl Future<Output = Result<Vec<AlertRecord>, StoreError>> + Send;

    /// Acknowledges an alert and appends `event`, in one transaction; never twice.
    fn acknowledge_alert(
        &self,
        id: i64,
        operator: &str,
        note: &str,
        event: &AuditEvent,
    ) -> impl Future<Output = Result<AcknowledgeResult, StoreError>> + Send;

    /// Claims up to `limit` outbox rows that are due and not held by another sender, with
    /// their attempts so far.
    fn claim_deliveries(
        &self,
        lease: &DeliveryLease,
        limit: i64,
    ) -> impl Future<Output = Result<Vec<(AlertRecord, i64)>, StoreError>> + Send;

    /// Marks a claimed row delivered (the webhook answered 2xx).
    fn delivery_succeeded(
        &self,
        alert_id: i64,
        lease: &DeliveryLease,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Releases a claimed row after a failed attempt, due again at `next_attempt_at`.
    fn delivery_failed(
        &self,
        alert_id: i64,
        lease: &DeliveryLease,
        next_attempt_at: &str,
        error: &str,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Whether this id is a honeytoken registration.
    fn is_honeytoken(
        &self,
        id: uuid::Uuid,
    ) -> impl Future<Output = Result<bool, StoreError>> + Send;

    /// How many `action` entries `actor` has in the audit log since `since` (RFC 3339 text).
    fn recent_actions(
        &self,
        actor: &str,
        action: &str,
        since: &str,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// How many referrals `actor` received through delta-sync pages since `since` (RFC 3339
    /// text): the sum of the counts the `referrals.synced` entries record.
    fn synced_referrals(
        &self,
        actor: &str,
        since: &str,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// How many referrals were ever made to this daycare (every state).
    fn daycare_referral_count(
        &self,
        daycare: placeforte_protocol::DaycareId,
    ) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Every audit entry that names one of this registration's referrals, oldest first, with
    /// the daycare's name (for the access report with proofs).
    fn access_entries(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> impl Future<Output = Result<Vec<(AuditEntry, String)>, StoreError>> + Send;

    /// Every audited read or write of this registration's referrals, by daycare, oldest first.
    fn access_report(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> impl Future<Output = Result<Vec<AccessRecord>, StoreError>> + Send;

    /// The referrals of one vacancy, by rank.
    fn vacancy_referrals(
        &self,
        vacancy: placeforte_protocol::VacancyId,
    ) -> impl Future<Output = Result<Vec<ReferralRecord>, StoreError>> + Send;

    /// Number of registrations.
    fn registration_count(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;

    /// Number of registrations flagged as honeytokens.
    fn honeytoken_count(&self) -> impl Future<Output = Result<i64, StoreError>> + Send;
}

/// Whether the database says the table does not exist (PostgreSQL `undefined_table`; SQLite
/// has no specific code for it, only the message).
fn is_missing_table(error: &dyn sqlx::error::DatabaseError) -> bool {
    error.code().as_deref() == Some("42P01") || error.message().starts_with("no such table")
}

/// A store opened from a database URL: the binary picks the backend at run time.
#[derive(Debug, Clone)]
pub enum AnyStore {
    /// `sqlite:…`
    Sqlite(SqliteStore),
    /// `postgres://…` or `postgresql://…`
    Postgres(PostgresStore),
}

impl AnyStore {
    /// This store, appending with the audit log key `log` (see [`SqliteStore::with_log_signer`]).
    pub fn with_log_signer(
        self,
        log: std::sync::Arc<placeforte_translog::checkpoint::LogSigner>,
    ) -> AnyStore {
        match self {
            AnyStore::Sqlite(store) => AnyStore::Sqlite(store.with_log_signer(log)),
            AnyStore::Postgres(store) => AnyStore::Postgres(store.with_log_signer(log)),
        }
    }

    /// Opens the database at `url`, migrating it or checking it is current.
    pub async fn open(url: &str, schema: Schema) -> Result<AnyStore, StoreError> {
        if url.starts_with("sqlite:") {
            Ok(AnyStore::Sqlite(SqliteStore::open_with(url, schema).await?))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let options = sqlx::postgres::PgConnectOptions::from_str(url)?;
            Ok(AnyStore::Postgres(
                PostgresStore::connect_with_schema(options, schema).await?,
            ))
        } else {
            Err(StoreError::UnsupportedUrl)
        }
    }
}
