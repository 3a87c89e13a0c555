//! The commands the window calls: each takes the state, calls the desktop core, maps the
//! error. Anything longer belongs in `desk.rs` or in `crates/desk`.

use chrono::Utc;
use placeforte_desk::cache::OutboxState;
use placeforte_desk::health::HealthCheck;
use placeforte_desk::notice::NoticeLanguage;
use placeforte_desk::referral_view::ReferralView;
use placeforte_desk::sync::FlushReport;
use placeforte_desk::{sync, Cache, DeskError};
use placeforte_domain::OfferOutcome;
use placeforte_protocol::referrals::{DemandReport, RevealReason};
use placeforte_protocol::ReferralId;
use tauri::{AppHandle, Runtime, State};

use crate::desk::Desk;
use crate::error::{AppError, ErrorCode};
use crate::events::SyncProgressEvent;
use crate::online::ContactView;
use crate::vacancy::{VacancyInput, VacancyView};
use crate::view::{AppStatus, Enrolment, OutboxView, SyncSummary};

/// What the home screen shows: enrolment, cache, outbox, connectivity, any wipe.
#[tauri::command]
#[specta::specta]
pub async fn status(desk: State<'_, Desk>) -> Result<AppStatus, AppError> {
    Ok(crate::status::read(&desk).await?)
}

/// Enrols this computer with the operator's invitation.
#[tauri::command]
#[specta::specta]
pub async fn enrol(desk: State<'_, Desk>, invitation: String) -> Result<Enrolment, AppError> {
    let invite = invitation.trim().parse().map_err(DeskError::from)?;
    let record = desk.enrol(&invite).await?;
    Ok(Enrolment::from(&record))
}

/// The start-up check of Settings: keychain, cache, certificate, service, last sync, outbox,
/// each with its state and what to do.
#[tauri::command]
#[specta::specta]
pub async fn health_check(desk: State<'_, Desk>) -> Result<Vec<HealthCheck>, AppError> {
    Ok(crate::status::health(&desk).await?)
}

/// Asks the OS keychain to unlock through its own prompt (it waits for the director).
#[tauri::command]
#[specta::specta]
pub async fn unlock_keychain(desk: State<'_, Desk>) -> Result<(), AppError> {
    Ok(desk.unlock_keychain().await?)
}

/// Sends the outbox, then pulls the referrals changed since the last sync, reporting each
/// page as a [`SyncProgressEvent`] (after a background sync running now, if any).
#[tauri::command]
#[specta::specta]
pub async fn sync<R: Runtime>(
    app: AppHandle<R>,
    desk: State<'_, Desk>,
) -> Result<SyncSummary, AppError> {
    Ok(desk.sync(SyncProgressEvent::emitter(&app)).await?)
}

/// Tells the shell the window's language, which the desktop notifications are written in.
#[tauri::command]
#[specta::specta]
pub fn set_language(desk: State<'_, Desk>, language: NoticeLanguage) {
    desk.set_language(language);
}

/// Every cached referral, with the outcome recorded here and not yet acknowledged.
#[tauri::command]
#[specta::specta]
pub async fn referrals(desk: State<'_, Desk>) -> Result<Vec<ReferralView>, AppError> {
    Ok(desk.cache().await?.referral_views().await?)
}

/// Records the family's answer in the outbox (offline too); `sync` or `flush` sends it.
#[tauri::command]
#[specta::specta]
pub async fn record_outcome(
    desk: State<'_, Desk>,
    referral_id: String,
    outcome: OfferOutcome,
) -> Result<OutboxView, AppError> {
    let cache = desk.cache().await?;
    let referral = cached_referral(&cache, &referral_id).await?;
    Ok(cache
        .queue_outcome(referral, outcome, Utc::now())
        .await?
        .into())
}

/// Every recorded outcome, oldest first, with its state (pending, sent, conflict).
#[tauri::command]
#[specta::specta]
pub async fn outbox(desk: State<'_, Desk>) -> Result<Vec<OutboxView>, AppError> {
    let entries = desk.cache().await?.outbox().await?;
    Ok(entries
        .into_iter()
        .filter(|e| e.state != OutboxState::Sent)
        .map(OutboxView::from)
        .collect())
}

/// Sends the pending outcomes now.
#[tauri::command]
#[specta::specta]
pub async fn flush(desk: State<'_, Desk>) -> Result<FlushReport, AppError> {
    let (device, cache) = (desk.device()?, desk.cache().await?);
    Ok(sync::flush(&device, &cache).await?)
}

/// Asks the service who this computer is: tells online from offline, and learns a revocation.
#[tauri::command]
#[specta::specta]
pub async fn check_connection(desk: State<'_, Desk>) -> Result<bool, AppError> {
    let device = desk.device()?;
    match device.whoami().await {
        Ok(_) => Ok(true),
        Err(DeskError::ServerUnreachable(_)) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Deletes this computer's PlaceForte data: cache, enrolment, every keychain secret.
#[tauri::command]
#[specta::specta]
pub async fn wipe(desk: State<'_, Desk>) -> Result<(), AppError> {
    Ok(desk.wipe().await?)
}

/// Records a vacancy in the outbox (offline too), then tries to send it: online, the service
/// answers with the referrals it made; offline, it stays pending for the next sync. Any other
/// failure to send is returned, the declaration staying pending all the same.
#[tauri::command]
#[specta::specta]
pub async fn declare_vacancy(
    desk: State<'_, Desk>,
    vacancy: VacancyInput,
) -> Result<VacancyView, AppError> {
    let declaration = vacancy.into_declaration()?;
    let (device, cache) = (desk.device()?, desk.cache().await?);
    let queued = cache.queue_vacancy(declaration, Utc::now()).await?;
    match sync::flush(&device, &cache).await {
        Ok(_) | Err(DeskError::ServerUnreachable(_)) => {}
        Err(err) => return Err(err.into()),
    }
    let mut declared = cache.vacancies().await?.into_iter();
    let after_flush = declared.find(|v| v.local_id == queued.local_id);
    Ok(after_flush.unwrap_or(queued).into())
}

/// Every vacancy declared on this computer, newest first, with where it stands.
#[tauri::command]
#[specta::specta]
pub async fn vacancies(desk: State<'_, Desk>) -> Result<Vec<VacancyView>, AppError> {
    let declared = desk.cache().await?.vacancies().await?;
    Ok(declared.into_iter().rev().map(VacancyView::from).collect())
}

/// Asks the service for a referred family's contact details, for `reason` (online only; the
/// service audits the reveal and counts it against the daily quota). Nothing of the answer is
/// kept here: the screen holds it while it is open.
#[tauri::command]
#[specta::specta]
pub async fn reveal_contact(
    desk: State<'_, Desk>,
    referral_id: String,
    reason: RevealReason,
    note: Option<String>,
) -> Result<ContactView, AppError> {
    let referral = cached_referral(&desk.cache().await?, &referral_id).await?;
    let device = desk.device()?;
    let revealed = device.reveal_contact(referral, reason, note).await?;
    Ok(revealed.into())
}

/// The children waiting for this daycare by age class and start month (online only; counts
/// under 5 come suppressed from the service).
#[tauri::command]
#[specta::specta]
pub async fn demand(desk: State<'_, Desk>) -> Result<DemandReport, AppError> {
    let device = desk.device()?;
    Ok(device.demand().await?)
}

/// The id of a referral in the cache, or `UnknownReferral`.
async fn cached_referral(cache: &Cache, referral_id: &str) -> Result<ReferralId, AppError> {
    let unknown = |why: &str| AppError::new(ErrorCode::UnknownReferral, why);
    let referral = referral_id
        .parse::<ReferralId>()
        .map_err(|_| unknown("not a referral id"))?;
    let cached = cache.referrals().await?;
    if cached.iter().any(|r| r.referral_id == referral) {
        Ok(referral)
    } else {
        Err(unknown("no such referral in the cache"))
    }
}
