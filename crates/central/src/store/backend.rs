//! The one [`Storage`] implementation, for both stores: each call goes to the module of its
//! concern with the store's [`Db`].

use chrono::{DateTime, Utc};
use placeforte_protocol::{DaycareId, DeviceId};

use super::db::Db;
use super::{
    alerts, audit, contacts, expiry, identity, outcome_reports, outcomes, retention, seed, sync,
    vacancies, AccessRecord, AcknowledgeResult, AlertRecord, AuditEvent, AuditHeadState,
    CandidateRecord, CertificateStanding, ConfirmResult, CosignatureRecord, DaycareRecord,
    DeclarationPlan, DeclarationResult, DeliveryLease, DeviceRecord, EnrolmentCodeRecord,
    ExpiredOffer, ExpiryScope, IssuedCertificate, NewAlert, OutcomeReportRecord, OutcomeRequest,
    OutcomeResult, ReactivationResult, ReferralRecord, ReferralSyncRow, RevealRequest,
    RevealResult, RevertResult, RevokedCertificate, SeedBatch, Storage, StoreError,
    TreeCheckpointRecord, VacancyRecord,
};
use crate::audit::AuditEntry;

/// A store on one of the two backends: [`super::SqliteStore`] or [`super::PostgresStore`].
pub(crate) trait Backend: Clone + Send + Sync + 'static {
    fn db(&self) -> Db<'_>;
}

impl<S: Backend> Storage for S {
    async fn add_daycare(
        &self,
        daycare: &DaycareRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        identity::add_daycare(self.db(), daycare, event).await
    }

    async fn daycares(&self) -> Result<Vec<DaycareRecord>, StoreError> {
        identity::daycares(self.db()).await
    }

    async fn daycare(&self, id: DaycareId) -> Result<Option<DaycareRecord>, StoreError> {
        identity::daycare(self.db(), id).await
    }

    async fn add_enrolment_code(
        &self,
        code: &EnrolmentCodeRecord,
        event: &AuditEvent,
    ) -> Result<(), StoreError> {
        identity::add_enrolment_code(self.db(), code, event).await
    }

    async fn enrol_device<F>(
        &self,
        code_sha256: &[u8],
        now: DateTime<Utc>,
        device: &DeviceRecord,
        sign: F,
        event: &AuditEvent,
    ) -> Result<bool, StoreError>
    where
        F: FnOnce() -> Result<IssuedCertificate, StoreError> + Send,
    {
        identity::enrol_device(self.db(), code_sha256, now, device, sign, event).await
    }

    async fn certificate_standing(
        &self,
        serial_hex: &str,
        device: DeviceId,
    ) -> Result<CertificateStanding, StoreError> {
        identity::certificate_standing(self.db(), serial_hex, device).await
    }

    async fn device(&self, id: DeviceId) -> Result<Option<DeviceRecord>, StoreError> {
        identity::device(self.db(), id).await
    }

    async fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        identity::devices(self.db()).await
    }

    async fn revoke_device(
        &self,
        id: DeviceId,
        now: DateTime<Utc>,
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        identity::revoke_device(self.db(), id, now, event).await
    }

    async fn add_renewed_certificate(
        &self,
        certificate: &IssuedCertificate,
        replaced_serial: &str,
        events: &[AuditEvent],
    ) -> Result<bool, StoreError> {
        identity::add_renewed_certificate(self.db(), certificate, replaced_serial, events).await
    }

    async fn revoked_certificates(&self) -> Result<Vec<RevokedCertificate>, StoreError> {
        identity::revoked_certificates(self.db()).await
    }

    async fn record_event(&self, event: &AuditEvent) -> Result<(), StoreError> {
        audit::record_event(self.db(), event).await
    }

    async fn audit_entry_count(&self) -> Result<i64, StoreError> {
        audit::entry_count(self.db()).await
    }

    async fn audit_head_state(&self) -> Result<AuditHeadState, StoreError> {
        audit::head_state(self.db()).await
    }

    async fn audit_entries(
        &self,
        after_seq: i64,
        limit: i64,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        audit::entries(self.db(), after_seq, limit).await
    }

    async fn audit_tree_hashes(
        &self,
        indexes: &[u64],
    ) -> Result<placeforte_translog::tree::StoredHashes, StoreError> {
        audit::tree_hashes(self.db(), indexes).await
    }

    async fn audit_tree_checkpoints(&self) -> Result<Vec<TreeCheckpointRecord>, StoreError> {
        audit::tree_checkpoints(self.db()).await
    }

    async fn last_audit_tree_checkpoint(&self) -> Result<Option<TreeCheckpointRecord>, StoreError> {
        audit::last_tree_checkpoint(self.db()).await
    }

    async fn add_audit_tree_checkpoint(
        &self,
        checkpoint: &TreeCheckpointRecord,
    ) -> Result<(), StoreError> {
        audit::add_tree_checkpoint(self.db(), checkpoint).await
    }

    async fn audit_cosignatures(&self) -> Result<Vec<CosignatureRecord>, StoreError> {
        audit::cosignatures(self.db()).await
    }

    async fn last_audit_cosignature(
        &self,
        witness: &str,
    ) -> Result<Option<CosignatureRecord>, StoreError> {
        audit::last_cosignature(self.db(), witness).await
    }

    async fn add_audit_cosignature(
        &self,
        cosignature: &CosignatureRecord,
    ) -> Result<(), StoreError> {
        audit::add_cosignature(self.db(), cosignature).await
    }

    async fn replace_audit_head_signature(
        &self,
        current: &str,
        replacement: &str,
    ) -> Result<bool, StoreError> {
        audit::replace_head_signature(self.db(), current, replacement).await
    }

    async fn legacy_audit_checkpoints(
        &self,
    ) -> Result<Vec<crate::audit::legacy::Checkpoint>, StoreError> {
        audit::legacy_checkpoints(self.db()).await
    }

    async fn seal_legacy_audit_chain(
        &self,
        entries: i64,
        hashes: &[(u64, placeforte_translog::Hash)],
        signed_head: &str,
        signed_at: &str,
    ) -> Result<(), StoreError> {
        audit::seal_legacy_chain(self.db(), entries, hashes, signed_head, signed_at).await
    }

    async fn insert_seed(&self, batch: &SeedBatch, event: &AuditEvent) -> Result<(), StoreError> {
        seed::insert_seed(self.db(), batch, event).await
    }

    async fn declare_vacancy<F>(
        &self,
        vacancy: &VacancyRecord,
        key: uuid::Uuid,
        request: &str,
        plan: F,
    ) -> Result<DeclarationResult, StoreError>
    where
        F: FnOnce(
                Vec<CandidateRecord>,
                crate::permits::ReferralRoom,
            ) -> Result<DeclarationPlan, StoreError>
            + Send,
    {
        vacancies::declare_vacancy(self.db(), vacancy, key, request, plan).await
    }

    async fn known_declaration(
        &self,
        daycare: DaycareId,
        key: uuid::Uuid,
    ) -> Result<Option<(String, String)>, StoreError> {
        vacancies::known_declaration(self.db(), daycare, key).await
    }

    async fn sync_referrals<F>(
        &self,
        daycare: DaycareId,
        after: (i64, uuid::Uuid),
        limit: i64,
        event: F,
    ) -> Result<(Vec<ReferralSyncRow>, u64), StoreError>
    where
        F: FnOnce(&[ReferralSyncRow]) -> AuditEvent + Send,
    {
        sync::sync_referrals(self.db(), daycare, after, limit, event).await
    }

    async fn waiting_for(
        &self,
        daycare: DaycareId,
    ) -> Result<Vec<(chrono::NaiveDate, chrono::NaiveDate)>, StoreError> {
        sync::waiting_for(self.db(), daycare).await
    }

    async fn record_outcome(&self, request: &OutcomeRequest) -> Result<OutcomeResult, StoreError> {
        outcomes::record_outcome(self.db(), request).await
    }

    async fn reveal_contact(&self, request: &RevealRequest) -> Result<RevealResult, StoreError> {
        contacts::reveal_contact(self.db(), request).await
    }

    async fn set_daycare_permit(
        &self,
        daycare: DaycareId,
        places: [u32; 4],
        event: &AuditEvent,
    ) -> Result<bool, StoreError> {
        identity::set_daycare_permit(self.db(), daycare, places, event).await
    }

    async fn open_referral_count(&self, daycare: DaycareId) -> Result<i64, StoreError> {
        contacts::open_referral_count(self.db(), daycare).await
    }

    async fn daycare_revealed_referrals(
        &self,
        daycare: DaycareId,
        since: DateTime<Utc>,
    ) -> Result<i64, StoreError> {
        contacts::daycare_revealed_referrals(self.db(), daycare, since).await
    }

    async fn raise_alert(&self, alert: &NewAlert) -> Result<Option<i64>, StoreError> {
        alerts::raise_alert(self.db(), alert).await
    }

    async fn pending_outcome_reports(&self) -> Result<Vec<OutcomeReportRecord>, StoreError> {
        outcome_reports::pending_reports(self.db()).await
    }

    async fn confirm_outcome_report(
        &self,
        report: uuid::Uuid,
        actor: &str,
        now: DateTime<Utc>,
    ) -> Result<ConfirmResult, StoreError> {
        outcome_reports::confirm_report(self.db(), report, actor, now).await
    }

    async fn revert_outcome(
        &self,
        id: uuid::Uuid,
        actor: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<RevertResult, StoreError> {
        outcome_reports::revert_outcome(self.db(), id, actor, reason, now).await
    }

    async fn expire_offers(
        &self,
        now: DateTime<Utc>,
        scope: ExpiryScope,
    ) -> Result<Vec<ExpiredOffer>, StoreError> {
        expiry::expire_offers(self.db(), now, scope).await
    }

    async fn purge_personal_data(
        &self,
        plan: crate::retention::PurgePlan,
        now: DateTime<Utc>,
    ) -> Result<crate::retention::Purged, StoreError> {
        retention::purge_personal_data(self.db(), plan, now).await
    }

    async fn reactivate_registration(
        &self,
        registration: placeforte_protocol::RegistrationId,
        event: &AuditEvent,
    ) -> Result<ReactivationResult, StoreError> {
        expiry::reactivate_registration(self.db(), registration, event).await
    }

    async fn registration_state(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> Result<Option<placeforte_domain::RegistrationState>, StoreError> {
        outcome_reports::registration_state_row(self.db(), registration).await
    }

    async fn registration_choices(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> Result<Vec<(DaycareId, i32)>, StoreError> {
        outcome_reports::registration_choices(self.db(), registration).await
    }

    async fn alerts(&self) -> Result<Vec<AlertRecord>, StoreError> {
        alerts::alerts(self.db()).await
    }

    async fn acknowledge_alert(
        &self,
        id: i64,
        operator: &str,
        note: &str,
        event: &AuditEvent,
    ) -> Result<AcknowledgeResult, StoreError> {
        alerts::acknowledge_alert(self.db(), id, operator, note, event).await
    }

    async fn claim_deliveries(
        &self,
        lease: &DeliveryLease,
        limit: i64,
    ) -> Result<Vec<(AlertRecord, i64)>, StoreError> {
        alerts::claim_deliveries(self.db(), lease, limit).await
    }

    async fn delivery_succeeded(
        &self,
        alert_id: i64,
        lease: &DeliveryLease,
    ) -> Result<(), StoreError> {
        alerts::delivery_succeeded(self.db(), alert_id, lease).await
    }

    async fn delivery_failed(
        &self,
        alert_id: i64,
        lease: &DeliveryLease,
        next_attempt_at: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        alerts::delivery_failed(self.db(), alert_id, lease, next_attempt_at, error).await
    }

    async fn is_honeytoken(&self, id: uuid::Uuid) -> Result<bool, StoreError> {
        alerts::is_honeytoken(self.db(), id).await
    }

    async fn recent_actions(
        &self,
        actor: &str,
        action: &str,
        since: &str,
    ) -> Result<i64, StoreError> {
        audit::recent_actions(self.db(), actor, action, since).await
    }

    async fn synced_referrals(&self, actor: &str, since: &str) -> Result<i64, StoreError> {
        audit::synced_referrals(self.db(), actor, since).await
    }

    async fn daycare_referral_count(
        &self,
        daycare: placeforte_protocol::DaycareId,
    ) -> Result<i64, StoreError> {
        vacancies::daycare_referral_count(self.db(), daycare).await
    }

    async fn access_entries(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> Result<Vec<(AuditEntry, String)>, StoreError> {
        audit::access_entries(self.db(), registration).await
    }

    async fn access_report(
        &self,
        registration: placeforte_protocol::RegistrationId,
    ) -> Result<Vec<AccessRecord>, StoreError> {
        audit::access_report(self.db(), registration).await
    }

    async fn vacancy_referrals(
        &self,
        vacancy: placeforte_protocol::VacancyId,
    ) -> Result<Vec<ReferralRecord>, StoreError> {
        vacancies::vacancy_referrals(self.db(), vacancy).await
    }

    async fn registration_count(&self) -> Result<i64, StoreError> {
        seed::registration_count(self.db()).await
    }

    async fn honeytoken_count(&self) -> Result<i64, StoreError> {
        alerts::honeytoken_count(self.db()).await
    }
}
