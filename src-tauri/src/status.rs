//! The home screen's summary, read from the device record and the cache.

use chrono::{Local, NaiveDate};
use placeforte_desk::cache::OutboxState;
use placeforte_desk::device::{load_record, DeviceRecord};
use placeforte_desk::planning::next_school_year_start;
use placeforte_desk::{DeskError, DEFAULT_RETENTION_DAYS};

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

/// The summary. A wipe found while opening the cache (retention, lost key) is reported here.
/// A computer that is not enrolled has no cache to open (and gets none made).
pub(crate) async fn read(desk: &Desk) -> Result<AppStatus, DeskError> {
    let Some(record) = load_record(desk.dir())? else {
        return Ok(AppStatus {
            enrolment: None,
            last_sync: None,
            referrals_cached: 0,
            outbox_pending: 0,
            outbox_conflicts: 0,
            vacancies_pending: 0,
            vacancies_declared: 0,
            online: desk.online(),
            wiped: desk.take_unreported_wipe(),
            retention_days: retention_days(),
            school_year_start: school_year_start(),
        });
    };
    let enrolment = Some(Enrolment::from(&record));
    let cache = desk.cache().await?;
    let outbox = cache.outbox().await?;
    let count = |wanted: fn(&OutboxState) -> bool| {
        u32::try_from(outbox.iter().filter(|e| wanted(&e.state)).count()).unwrap_or(u32::MAX)
    };
    let vacancies = cache.vacancies().await?;
    let vacancies_pending = vacancies
        .iter()
        .filter(|v| v.state == OutboxState::Pending)
        .count();
    Ok(AppStatus {
        enrolment,
        last_sync: cache
            .last_successful_sync()
            .await?
            .map(|at| at.to_rfc3339()),
        referrals_cached: u32::try_from(cache.referral_count().await?).unwrap_or(u32::MAX),
        outbox_pending: count(|s| *s == OutboxState::Pending),
        outbox_conflicts: count(|s| matches!(s, OutboxState::Conflict { .. })),
        vacancies_pending: u32::try_from(vacancies_pending).unwrap_or(u32::MAX),
        vacancies_declared: u32::try_from(vacancies.len()).unwrap_or(u32::MAX),
        online: desk.online(),
        wiped: desk.take_unreported_wipe(),
        retention_days: retention_days(),
        school_year_start: school_year_start(),
    })
}

/// On this computer's calendar, as the window's date fields are.
fn school_year_start() -> NaiveDate {
    next_school_year_start(Local::now().date_naive())
}

fn retention_days() -> u32 {
    u32::try_from(DEFAULT_RETENTION_DAYS).unwrap_or(u32::MAX)
}
