//! Alerts: what the operator must look at within minutes, not days.
//!
//! Raised on a device over its reveal quota, a burst of reveals or a sync volume far above the
//! device's own history, any request naming a honeytoken registration, and repeated requests for
//! ids that are not the caller's. Each alert is a log line (warn, with
//! `alert=<kind>`) and a row in the `alerts` table (`placeforte-central admin alerts`). An alert
//! is written on its own after the request's transaction: it never blocks the audit write, and a
//! failure to store it is logged, never returned.

use chrono::{DateTime, Duration, Utc};

use crate::audit::instant_text;
use crate::identity::DeviceIdentity;
use crate::store::{AlertRecord, AuditEvent, Storage};

/// Requests for ids that are not the caller's, within [`foreign_id_window`], that raise an alert.
pub const FOREIGN_ID_THRESHOLD: i64 = 5;

/// The window [`FOREIGN_ID_THRESHOLD`] counts over.
pub fn foreign_id_window() -> Duration {
    Duration::minutes(10)
}

/// Audit action of a request naming an id that is not referred to the caller.
pub const FOREIGN_ID_ACTION: &str = "referral.not_found";

/// Logs and stores an alert; never fails the request.
pub async fn raise<S: Storage>(
    store: &S,
    kind: &str,
    identity: &DeviceIdentity,
    detail: String,
    now: DateTime<Utc>,
) {
    let device = identity.certificate.device_id.to_string();
    let daycare = identity.certificate.daycare_id.to_string();
    tracing::warn!(alert = kind, %device, %daycare, %detail, "alert raised");
    let record = AlertRecord {
        raised_at: instant_text(now),
        kind: kind.to_owned(),
        device_id: device,
        daycare_id: daycare,
        detail,
    };
    if let Err(error) = store.add_alert(&record).await {
        tracing::error!(%error, alert = kind, "the alert could not be stored (it is in this log)");
    }
}

/// A request named an id that is not referred to the caller: audits it, and alerts on a
/// honeytoken or on repeated attempts. The caller still answers exactly as for a missing id.
pub async fn foreign_id<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    id: &str,
    now: DateTime<Utc>,
) -> Result<(), crate::store::StoreError> {
    let actor = format!("device:{}", identity.certificate.device_id);
    // Only a well-formed id is recorded: free text from the path never reaches the log.
    let subject =
        uuid::Uuid::try_parse(id).map_or_else(|_| "malformed".to_owned(), |u| u.to_string());
    store
        .record_event(
            &AuditEvent::new(now, actor.clone(), FOREIGN_ID_ACTION, subject.clone())
                .for_daycare(identity.certificate.daycare_id),
        )
        .await?;
    if let Ok(uuid) = uuid::Uuid::try_parse(id) {
        if store.is_honeytoken(uuid).await.unwrap_or(false) {
            raise(
                store,
                "honeytoken_touched",
                identity,
                format!("registration:{uuid}"),
                now,
            )
            .await;
        }
    }
    let since = instant_text(now - foreign_id_window());
    let recent = store
        .recent_actions(&actor, FOREIGN_ID_ACTION, &since)
        .await?;
    if recent == FOREIGN_ID_THRESHOLD {
        raise(
            store,
            "foreign_ids_repeated",
            identity,
            format!("{recent} ids not referred to this daycare in 10 minutes"),
            now,
        )
        .await;
    }
    Ok(())
}

/// Reveals within an hour that, far above the device's own weekly rhythm, raise an alert.
pub const REVEAL_BURST_PER_HOUR: i64 = 20;

/// After a reveal: alerts once when the device's last hour reaches [`REVEAL_BURST_PER_HOUR`]
/// and is more than five times its hourly average over the week before.
pub async fn after_reveal<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
) -> Result<(), crate::store::StoreError> {
    let actor = format!("device:{}", identity.certificate.device_id);
    let last_hour = store
        .recent_actions(
            &actor,
            "contact.revealed",
            &instant_text(now - Duration::hours(1)),
        )
        .await?;
    if last_hour != REVEAL_BURST_PER_HOUR {
        return Ok(());
    }
    let week = store
        .recent_actions(
            &actor,
            "contact.revealed",
            &instant_text(now - Duration::days(7)),
        )
        .await?;
    let hourly_before = (week - last_hour) / (7 * 24 - 1);
    if last_hour > 5 * hourly_before.max(1) {
        raise(
            store,
            "reveal_rate_abnormal",
            identity,
            format!("{last_hour} reveals in the last hour; weekly hourly average {hourly_before}"),
            now,
        )
        .await;
    }
    Ok(())
}

/// The window sync volume is counted over.
pub fn sync_volume_window() -> Duration {
    Duration::hours(1)
}

/// The history a device's sync volume is compared with: the week before the window.
pub fn sync_volume_history() -> Duration {
    Duration::days(7)
}

/// Referrals synced within [`sync_volume_window`] below which no device is ever alerted on.
/// The largest installation has 80 places and gets three referrals per place, so its open
/// referrals never reach 500: a new device's first full sync (no history at all) stays below.
pub const SYNC_VOLUME_FLOOR: i64 = 500;

/// How far above its hourly average of the week before a device must be to be alerted on.
pub const SYNC_VOLUME_FACTOR: i64 = 5;

/// Full syncs of its daycare's referrals a device may do within the window without an alert: a
/// wiped cache and a resync within the same hour are ordinary; reading everything a third
/// time is not.
pub const SYNC_VOLUME_FULL_SYNCS: i64 = 2;

/// The referrals a device may sync within the window before it is alerted on: the highest of
/// the floor, [`SYNC_VOLUME_FACTOR`] times its own hourly average, and
/// [`SYNC_VOLUME_FULL_SYNCS`] full syncs of its daycare (so a large daycare's first sync is
/// not mistaken for a bulk read either).
pub fn sync_volume_threshold(hourly_average_before: i64, daycare_referrals: i64) -> i64 {
    SYNC_VOLUME_FLOOR
        .max(SYNC_VOLUME_FACTOR.saturating_mul(hourly_average_before))
        .max(SYNC_VOLUME_FULL_SYNCS.saturating_mul(daycare_referrals))
}

/// After a sync page of `page` referrals (already audited): alerts once, on the page that takes
/// the device's volume in the window across [`sync_volume_threshold`].
pub async fn after_sync<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    page: i64,
    now: DateTime<Utc>,
) -> Result<(), crate::store::StoreError> {
    if page == 0 {
        return Ok(());
    }
    let actor = format!("device:{}", identity.certificate.device_id);
    let window_start = now - sync_volume_window();
    let in_window = store
        .synced_referrals(&actor, &instant_text(window_start))
        .await?;
    // Cheap exit for nearly every page: below the floor nothing else can alert.
    if in_window < SYNC_VOLUME_FLOOR {
        return Ok(());
    }
    let since_history = store
        .synced_referrals(&actor, &instant_text(window_start - sync_volume_history()))
        .await?;
    let windows_in_history = sync_volume_history().num_hours() / sync_volume_window().num_hours();
    let hourly_before = (since_history - in_window) / windows_in_history;
    let daycare_referrals = store
        .daycare_referral_count(identity.certificate.daycare_id)
        .await?;
    let threshold = sync_volume_threshold(hourly_before, daycare_referrals);
    if in_window >= threshold && in_window - page < threshold {
        raise(
            store,
            "sync_volume_abnormal",
            identity,
            format!(
                "{in_window} referrals synced in the last hour; hourly average before \
                 {hourly_before}; {daycare_referrals} referrals made to the daycare"
            ),
            now,
        )
        .await;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sync_volume_threshold_is_the_highest_of_floor_history_and_daycare_size() {
        // A new device of a small daycare: the floor.
        assert_eq!(sync_volume_threshold(0, 12), SYNC_VOLUME_FLOOR);
        // A device that usually syncs a lot: five times its own average.
        assert_eq!(sync_volume_threshold(300, 12), 1_500);
        // A large daycare's first syncs: two full syncs pass.
        assert_eq!(sync_volume_threshold(0, 400), 800);
        assert_eq!(sync_volume_threshold(i64::MAX, 1), i64::MAX);
    }
}
