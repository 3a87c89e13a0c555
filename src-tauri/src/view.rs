//! What the screens receive where no core type has the shape: summaries put together here and
//! records the window gets only part of. Codes are the core enums (the UI translates them);
//! dates are ISO 8601 strings (`YYYY-MM-DD`, RFC 3339 for instants) the UI formats for the
//! locale.

use chrono::NaiveDate;
use placeforte_desk::cache::{OutboxEntry, OutboxState};
use placeforte_desk::cliffs::CliffWarning;
use placeforte_desk::sync::{FlushReport, SyncProgress};
use placeforte_desk::WipeReason;
use placeforte_domain::OfferOutcome;
use serde::Serialize;

/// The home screen's summary.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct AppStatus {
    /// This computer's enrolment, if any.
    pub enrolment: Option<Enrolment>,
    /// RFC 3339 time of the last complete sync.
    pub last_sync: Option<String>,
    /// Referrals in the encrypted cache.
    pub referrals_cached: u32,
    /// Outcomes waiting to be sent.
    pub outbox_pending: u32,
    /// Outcomes the service refused (to look at).
    pub outbox_conflicts: u32,
    /// Vacancy declarations waiting to be sent.
    pub vacancies_pending: u32,
    /// Vacancy declarations made from this computer (sent or not).
    pub vacancies_declared: u32,
    /// Whether the last call to the service got through (`null`: not tried yet).
    pub online: Option<bool>,
    /// A wipe the director has not been told about (reported once).
    pub wiped: Option<WipeReason>,
    /// Unsent answers and declarations that wipe kept, to be sent with the next sync.
    pub kept_after_wipe: u32,
    /// Set when the keychain cannot be used now (`keychain_locked`, `keychain_unavailable`):
    /// nothing was wiped, the window says so and tries again.
    pub keychain: Option<String>,
    /// The cliffs near or passed: the certificate's expiry, the end of the offline period.
    pub warnings: Vec<CliffWarning>,
    /// Days without a successful sync after which the cache is wiped (the service's policy).
    pub retention_days: u32,
    /// The first day of the school year June group formation plans (`YYYY-MM-DD`).
    pub school_year_start: NaiveDate,
}

/// This computer's enrolment: the device record without the service's addresses and the CA's
/// fingerprint, which no screen shows.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct Enrolment {
    /// The device id.
    pub device_id: String,
    /// The daycare id.
    pub daycare_id: String,
    /// RFC 3339 end of the certificate's validity.
    pub certificate_not_after: String,
    /// RFC 3339 time from which it renews itself.
    pub certificate_renew_after: String,
}

/// One recorded outcome, without its idempotency key and outbox order: they stay between the
/// cache and the service.
#[derive(Debug, Clone, Serialize, specta::Type)]
pub struct OutboxView {
    /// The referral answered.
    pub referral_id: String,
    /// The answer.
    pub outcome: OfferOutcome,
    /// RFC 3339 time it was recorded.
    pub recorded_at: String,
    /// Where it stands.
    pub state: OutboxState,
}

impl From<OutboxEntry> for OutboxView {
    fn from(entry: OutboxEntry) -> Self {
        OutboxView {
            referral_id: entry.referral_id.to_string(),
            outcome: entry.outcome,
            recorded_at: entry.created_at.to_rfc3339(),
            state: entry.state,
        }
    }
}

/// A finished sync: outcomes sent first, then referrals pulled.
#[derive(Debug, Clone, Copy, Serialize, specta::Type)]
pub struct SyncSummary {
    /// Referrals received.
    pub referrals: u32,
    /// Pages applied.
    pub pages: u32,
    /// Outcomes sent.
    pub sent: u32,
    /// Outcomes refused as conflicts.
    pub conflicts: u32,
}

impl SyncSummary {
    /// The summary of a flush then a sync.
    pub fn new(flushed: FlushReport, synced: SyncProgress) -> Self {
        SyncSummary {
            referrals: u32::try_from(synced.referrals).unwrap_or(u32::MAX),
            pages: synced.pages,
            sent: flushed.sent,
            conflicts: flushed.conflicts,
        }
    }
}
