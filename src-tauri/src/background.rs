//! The open app's background sync (which renews the certificate past its renewal point) and
//! its desktop notifications. The timetable is
//! `placeforte_desk::sync_schedule`, what to notify `placeforte_desk::notice`; here are only
//! the loop and the calls.

use chrono::{DateTime, Utc};
use placeforte_desk::cliffs;
use placeforte_desk::device::load_record;
use placeforte_desk::sync_schedule::{SyncAttempt, SyncSchedule};
use placeforte_desk::DeskError;
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_notification::NotificationExt as _;

use crate::desk::Desk;
use crate::events::SyncProgressEvent;

/// What one background turn did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BackgroundTurn {
    /// How the sync went (the schedule's input).
    pub attempt: SyncAttempt,
    /// The notifications shown, as their texts.
    pub notified: Vec<String>,
}

/// Runs background turns for as long as the app runs, on the schedule.
pub fn spawn<R: Runtime>(app: AppHandle<R>) {
    tauri::async_runtime::spawn(async move {
        let mut schedule = SyncSchedule::default();
        loop {
            tokio::time::sleep(schedule.next_delay()).await;
            schedule.record(turn(&app, Utc::now()).await.attempt);
        }
    });
}

/// One background turn: a sync unless one runs already or nothing is enrolled (a wiped,
/// revoked or never enrolled computer has nothing to sync, and no cache is made for it), then
/// the notifications due at `now`, offline too (a deadline comes without the network).
pub async fn turn<R: Runtime>(app: &AppHandle<R>, now: DateTime<Utc>) -> BackgroundTurn {
    let desk = app.state::<Desk>();
    let skipped = BackgroundTurn {
        attempt: SyncAttempt::Skipped,
        notified: Vec::new(),
    };
    if !matches!(load_record(desk.dir()), Ok(Some(_))) {
        return skipped;
    }
    let attempt = match desk
        .sync_unless_running(now, SyncProgressEvent::emitter(app))
        .await
    {
        None => return skipped,
        Some(Ok(_)) => SyncAttempt::Synced,
        Some(Err(err)) => attempt_after(&err),
    };
    // A revocation met by the sync wiped everything: no cache to read, nothing to notify.
    if !matches!(load_record(desk.dir()), Ok(Some(_))) {
        return skipped;
    }
    let notified = match notify(app, &desk, now).await {
        Ok(texts) => texts,
        Err(err) => {
            tracing::warn!("notifications not worked out: {err}");
            Vec::new()
        }
    };
    BackgroundTurn { attempt, notified }
}

/// The notifications due at `now`: referrals and deadlines, then the warnings before a cliff
/// (the certificate's expiry, the end of the offline period), each once.
async fn notify<R: Runtime>(
    app: &AppHandle<R>,
    desk: &Desk,
    now: DateTime<Utc>,
) -> Result<Vec<String>, DeskError> {
    let cache = desk.cache_at(now).await?;
    let mut texts = cache.notices_due(now).await?.texts(desk.language());
    let ahead = desk.cliffs(&cache).await?;
    for cliff in cache.cliff_notices_due(&ahead, now).await? {
        texts.push(cliffs::notice_text(&cliff, desk.language()));
    }
    show(app, &texts);
    Ok(texts)
}

/// What a failed sync means for the timetable: trouble reaching the service backs off; any
/// other failure (the keychain locked, a refusal) is retried at the plain interval.
fn attempt_after(err: &DeskError) -> SyncAttempt {
    tracing::info!("background sync failed: {err}");
    match err {
        DeskError::ServerUnreachable(_) => SyncAttempt::Unreachable,
        DeskError::Refused { status, .. } if *status == 429 || *status >= 500 => {
            SyncAttempt::Unreachable
        }
        _ => SyncAttempt::Skipped,
    }
}

/// Shows one desktop notification per text.
fn show<R: Runtime>(app: &AppHandle<R>, texts: &[String]) {
    for text in texts {
        let shown = app
            .notification()
            .builder()
            .title("PlaceForte")
            .body(text)
            .show();
        if let Err(err) = shown {
            tracing::warn!("notification not shown: {err}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_trouble_reaching_the_service_backs_off() {
        let refused = |status| DeskError::Refused {
            status,
            code: "x".into(),
        };
        assert_eq!(
            attempt_after(&DeskError::ServerUnreachable("cut".into())),
            SyncAttempt::Unreachable
        );
        assert_eq!(attempt_after(&refused(503)), SyncAttempt::Unreachable);
        assert_eq!(attempt_after(&refused(429)), SyncAttempt::Unreachable);
        assert_eq!(attempt_after(&refused(400)), SyncAttempt::Skipped);
        assert_eq!(attempt_after(&DeskError::NotEnrolled), SyncAttempt::Skipped);
    }
}
