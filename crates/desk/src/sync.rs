//! Delta sync of the daycare's referrals, and the offline outbox of outcomes and vacancy
//! declarations.
//!
//! **Sync.** Pages of referrals changed since the stored cursor are applied one page per
//! transaction, together with the page's new cursor: an interrupted sync (network cut, crash,
//! `kill -9`) resumes where it stopped, never re-applying or skipping a page. Progress is
//! reported after every page. A sync that reaches the end records the time, which drives the
//! "offline since" banner and the retention wipe.
//!
//! **Outbox.** An outcome or a vacancy declaration is first stored with a fresh idempotency
//! key ([`Cache::queue_outcome`], [`Cache::queue_vacancy`], offline too), then sent in the
//! order they were made. The key goes with every retry, so a request the service applied but
//! whose answer was lost (a crash, a cut) is applied once and answered the same way again. A
//! refusal that means the world changed meanwhile (the referral was closed, say) is kept as a
//! conflict with the service's code, never dropped.

use chrono::{DateTime, Utc};
use placeforte_protocol::referrals::{
    DeclareVacancy, OutcomeRecorded, RecordOutcome, ReferralPage, VacancyDeclared,
    DEFAULT_SYNC_PAGE, OFFLINE_PERIOD_DAYS, OUTCOME_PATH, REFERRALS_PATH, VACANCIES_PATH,
};
use placeforte_protocol::ReferralId;
use serde::Serialize;

use crate::cache::{Cache, Outgoing};
use crate::device::EnrolledDevice;
use crate::error::DeskError;

/// Where a running sync is, after each page: `referrals` of `total` for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SyncProgress {
    /// Pages applied so far.
    pub pages: u32,
    /// Referrals received so far.
    pub referrals: u64,
    /// Referrals received so far plus those the service says still wait: the sync's size as
    /// known now (it grows only if changes arrive while syncing).
    pub total: u64,
    /// Whether more pages wait.
    pub more: bool,
}

impl EnrolledDevice {
    /// One page of the delta sync.
    pub async fn referral_page(
        &self,
        since: Option<&str>,
        limit: u32,
    ) -> Result<ReferralPage, DeskError> {
        let limit = limit.to_string();
        let mut query = vec![("limit", limit.as_str())];
        if let Some(cursor) = since {
            query.push(("since", cursor));
        }
        self.get_with_query(REFERRALS_PATH, &query).await
    }

    /// Sends one vacancy declaration with its idempotency key (the outbox does, see
    /// [`Cache::queue_vacancy`]).
    pub async fn declare_vacancy(
        &self,
        vacancy: &DeclareVacancy,
    ) -> Result<VacancyDeclared, DeskError> {
        self.post(VACANCIES_PATH, vacancy).await
    }

    /// Sends one outcome with its idempotency key.
    pub async fn send_outcome(
        &self,
        referral: ReferralId,
        body: &RecordOutcome,
    ) -> Result<OutcomeRecorded, DeskError> {
        let path = OUTCOME_PATH.replace("{id}", &referral.to_string());
        self.post(&path, body).await
    }
}

/// Pulls every change since the stored cursor into the cache, page by page.
pub async fn sync(
    device: &EnrolledDevice,
    cache: &Cache,
    now: DateTime<Utc>,
    progress: impl FnMut(SyncProgress),
) -> Result<SyncProgress, DeskError> {
    sync_with_page_size(device, cache, now, DEFAULT_SYNC_PAGE, progress).await
}

/// [`sync`] with pages of `page_size` referrals.
pub async fn sync_with_page_size(
    device: &EnrolledDevice,
    cache: &Cache,
    now: DateTime<Utc>,
    page_size: u32,
    mut progress: impl FnMut(SyncProgress),
) -> Result<SyncProgress, DeskError> {
    let mut done = SyncProgress {
        pages: 0,
        referrals: 0,
        total: 0,
        more: true,
    };
    while done.more {
        let cursor = cache.sync_cursor().await?;
        let page = device.referral_page(cursor.as_deref(), page_size).await?;
        check_page(&page, page_size)?;
        cache.apply_referral_page(&page).await?;
        cache
            .record_offline_period(page.offline_period_days)
            .await?;
        done.pages += 1;
        done.referrals += u64::try_from(page.referrals.len()).unwrap_or(u64::MAX);
        done.total = done.referrals.saturating_add(page.remaining);
        done.more = page.more;
        progress(done);
    }
    cache.record_successful_sync(now).await?;
    // Decided referrals past their period leave with each sync, however long the app runs.
    cache.apply_retention(now).await?;
    Ok(done)
}

/// Refuses a page that breaks the protocol before anything of it is applied. (The cache's
/// constraints would catch a bad field too; the page's transaction then applies nothing.)
fn check_page(page: &ReferralPage, asked: u32) -> Result<(), DeskError> {
    let count = u32::try_from(page.referrals.len()).unwrap_or(u32::MAX);
    if count > asked {
        return Err(DeskError::Protocol(format!(
            "the service sent {count} referrals for a page of {asked}"
        )));
    }
    if page.cursor.is_empty() || (page.more && count == 0) || page.more != (page.remaining > 0) {
        return Err(DeskError::Protocol(
            "the service sent an unusable sync page".into(),
        ));
    }
    if !OFFLINE_PERIOD_DAYS.contains(&page.offline_period_days) {
        return Err(DeskError::Protocol(format!(
            "the service sent an offline period of {} days",
            page.offline_period_days
        )));
    }
    if let Some(bad) = page
        .referrals
        .iter()
        .find(|r| !(1..=5).contains(&r.category))
    {
        return Err(DeskError::Protocol(format!(
            "the service sent category {} (1 to 5 expected)",
            bad.category
        )));
    }
    Ok(())
}

/// What a flush did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct FlushReport {
    /// Outcomes and declarations the service acknowledged.
    pub sent: u32,
    /// Outcomes and declarations the service refused because things changed meanwhile (kept,
    /// shown).
    pub conflicts: u32,
}

/// Sends the pending outcomes and declarations in the order they were made. Stops at the
/// first one the service could not answer (offline, rate limit): it stays pending, with the
/// ones after it, and the error says why.
pub async fn flush(device: &EnrolledDevice, cache: &Cache) -> Result<FlushReport, DeskError> {
    let mut report = FlushReport::default();
    for entry in cache.pending_outbox().await? {
        let seq = entry.seq();
        // Marked sent in the cache only once the service has answered; a crash in between
        // sends the same key again, which the service answers without applying it twice.
        let sent = match &entry {
            Outgoing::Outcome(outcome) => {
                let body = RecordOutcome {
                    idempotency_key: outcome.idempotency_key,
                    outcome: outcome.outcome,
                };
                match device.send_outcome(outcome.referral_id, &body).await {
                    Ok(recorded) => Ok(cache.mark_sent(seq, recorded.status).await?),
                    Err(err) => Err(err),
                }
            }
            Outgoing::Vacancy(vacancy) => match device.declare_vacancy(&vacancy.request()).await {
                Ok(declared) => Ok(cache.mark_vacancy_sent(seq, &declared).await?),
                Err(err) => Err(err),
            },
        };
        match sent {
            Ok(()) => report.sent += 1,
            Err(DeskError::Refused { status, code }) if is_conflict(status) => {
                cache.mark_conflict(seq, &code).await?;
                report.conflicts += 1;
            }
            // Refusals of this answer itself, with a text of their own for the director.
            Err(err @ (DeskError::DeadlineNotReached | DeskError::VacancyFilled)) => {
                cache.mark_conflict(seq, err.code()).await?;
                report.conflicts += 1;
            }
            Err(err) => return Err(err),
        }
    }
    Ok(report)
}

/// Every code the service can refuse a queued outcome or vacancy declaration with and that
/// [`flush`] keeps as a conflict: the screens have words for each (an unknown code is shown as
/// it came). `offer_expired`: the answer reached the service after the offer's deadline, when
/// the service had already applied the missed-deadline rule.
pub const OUTBOX_REFUSAL_CODES: &[&str] = &[
    "offer_expired",
    "referral_closed",
    "deadline_not_reached",
    "vacancy_filled",
    "over_permit",
    "invalid_vacancy",
    "idempotency_key_reused",
    "not_found",
    "malformed_body",
];

/// A refusal about this entry itself (the referral closed, unknown, the request invalid):
/// kept as a conflict. Anything else (authentication, rate limit, server trouble) leaves the
/// entry pending for the next flush.
fn is_conflict(status: u16) -> bool {
    matches!(status, 400 | 404 | 409 | 422)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_late_answer_is_kept_as_a_conflict_with_a_code_the_screens_know() {
        // The service answers a late answer with 409 `offer_expired`.
        assert!(is_conflict(409));
        assert!(OUTBOX_REFUSAL_CODES.contains(&"offer_expired"));
        // The codes the core maps to errors of their own keep those codes as conflicts.
        for err in [DeskError::DeadlineNotReached, DeskError::VacancyFilled] {
            assert!(OUTBOX_REFUSAL_CODES.contains(&err.code()), "{err}");
        }
        // Trouble that is not about the entry leaves it pending, with no code to show.
        assert!(!is_conflict(429) && !is_conflict(500) && !is_conflict(401));
    }
}
