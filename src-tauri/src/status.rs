//! The home screen's summary, read from the device record and the cache, and the start-up
//! check of Settings.

use chrono::{Local, NaiveDate, Utc};
use placeforte_desk::cache::OutboxState;
use placeforte_desk::cliffs;
use placeforte_desk::device::{load_record, DeviceRecord};
use placeforte_desk::health::{self, Facts, HealthCheck};
use placeforte_desk::planning::next_school_year_start;
use placeforte_desk::{Cache, DeskError, SecretStore, DEFAULT_RETENTION_DAYS};

use crate::desk::Desk;
use crate::view::{AppStatus, Enrolment};

impl From<&DeviceRecord> for Enrolment {
    fn from(record: &DeviceRecord) -> Self {
        Enrolment {
            device_id: record.device_id.to_string(),
            daycare_id: record.daycare_id.to_string(),
            certificate_not_after: record.not_after.to_rfc3339(),
            certificate_renew_after: record.renew_after.to_rfc3339(),
        }
    }
}

/// The summary. A wipe found while opening the cache (offline period, lost key) is reported
/// here. A computer that is not enrolled has no cache to open (and gets none made). A keychain
/// that is locked or not there yet is reported as such, with the enrolment: the window then
/// says so and waits, it does not fall back to the enrolment screen.
pub(crate) async fn read(desk: &Desk) -> Result<AppStatus, DeskError> {
    let now = Utc::now();
    let record = load_record(desk.dir())?;
    let mut status = AppStatus {
        enrolment: record.as_ref().map(Enrolment::from),
        last_sync: None,
        referrals_cached: 0,
        outbox_pending: 0,
        outbox_conflicts: 0,
        vacancies_pending: 0,
        vacancies_declared: 0,
        online: desk.online(),
        wiped: None,
        kept_after_wipe: 0,
        keychain: None,
        warnings: Vec::new(),
        retention_days: days(DEFAULT_RETENTION_DAYS),
        school_year_start: school_year_start(),
    };
    if record.is_some() {
        match desk.cache_at(now).await {
            Ok(cache) => fill_from_cache(desk, &cache, &mut status, now).await?,
            Err(err @ (DeskError::KeychainLocked(_) | DeskError::KeychainUnavailable(_))) => {
                status.keychain = Some(err.code().to_owned());
            }
            Err(err) => return Err(err),
        }
    }
    if let Some((reason, kept)) = desk.take_unreported_wipe() {
        status.wiped = Some(reason);
        status.kept_after_wipe = kept;
    }
    Ok(status)
}

async fn fill_from_cache(
    desk: &Desk,
    cache: &Cache,
    status: &mut AppStatus,
    now: chrono::DateTime<Utc>,
) -> Result<(), DeskError> {
    let outbox = cache.outbox().await?;
    let count = |wanted: fn(&OutboxState) -> bool| {
        u32::try_from(outbox.iter().filter(|e| wanted(&e.state)).count()).unwrap_or(u32::MAX)
    };
    let vacancies = cache.vacancies().await?;
    let vacancies_pending = vacancies
        .iter()
        .filter(|v| v.state == OutboxState::Pending)
        .count();
    status.last_sync = cache
        .last_successful_sync()
        .await?
        .map(|at| at.to_rfc3339());
    status.referrals_cached = u32::try_from(cache.referral_count().await?).unwrap_or(u32::MAX);
    status.outbox_pending = count(|s| *s == OutboxState::Pending);
    status.outbox_conflicts = count(|s| matches!(s, OutboxState::Conflict { .. }));
    status.vacancies_pending = u32::try_from(vacancies_pending).unwrap_or(u32::MAX);
    status.vacancies_declared = u32::try_from(vacancies.len()).unwrap_or(u32::MAX);
    status.retention_days = days(desk.offline_period(cache).await?.num_days());
    status.warnings = cliffs::warnings(&desk.cliffs(cache).await?, now);
    Ok(())
}

/// The start-up check: each part asked on its own, so one that fails does not hide the
/// others. Asks the service who this computer is (which also learns a revocation).
pub(crate) async fn health(desk: &Desk) -> Result<Vec<HealthCheck>, DeskError> {
    let now = Utc::now();
    let record = load_record(desk.dir())?;
    let keychain = desk.local().secrets().check();
    let opened = match record {
        Some(_) => Some(desk.cache_at(now).await),
        None => None,
    };
    let mut facts = Facts {
        keychain,
        cache: Ok(None),
        certificate: record.as_ref().map(|r| (r.renew_after, r.not_after)),
        service: None,
        last_sync: None,
        offline_period: chrono::Duration::days(DEFAULT_RETENTION_DAYS),
        outbox: None,
        now,
    };
    match opened {
        None => facts.cache = Err(DeskError::NotEnrolled),
        Some(Err(err)) => facts.cache = Err(err),
        Some(Ok(cache)) => {
            facts.cache = Ok(desk.last_wipe());
            facts.last_sync = cache.last_successful_sync().await?;
            facts.offline_period = desk.offline_period(&cache).await?;
            let outbox = cache.outbox().await?;
            let vacancies = cache.vacancies().await?;
            let pending = outbox
                .iter()
                .filter(|e| e.state == OutboxState::Pending)
                .count()
                + vacancies
                    .iter()
                    .filter(|v| v.state == OutboxState::Pending)
                    .count();
            let conflicts = outbox
                .iter()
                .filter(|e| matches!(e.state, OutboxState::Conflict { .. }))
                .count();
            facts.outbox = Some((
                u32::try_from(pending).unwrap_or(u32::MAX),
                u32::try_from(conflicts).unwrap_or(u32::MAX),
            ));
        }
    }
    if record.is_some() {
        facts.service = Some(match desk.device() {
            Ok(device) => device.whoami().await.map(|_| ()),
            Err(err) => Err(err),
        });
    }
    Ok(health::check(&facts))
}

/// On this computer's calendar, as the window's date fields are.
fn school_year_start() -> NaiveDate {
    next_school_year_start(Local::now().date_naive())
}

fn days(days: i64) -> u32 {
    u32::try_from(days).unwrap_or(u32::MAX)
}
