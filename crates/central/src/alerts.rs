//! Alerts: what the operator must look at within minutes, not days.
//!
//! Raised on a device over its reveal quota, a burst of reveals or a sync volume far above its
//! daycare's size, any request naming a honeytoken registration, and repeated requests for ids
//! that are not the caller's. [`raise`] is the one way to raise one: it logs a structured line
//! (`alert_id`, `kind`, `daycare`, `device`, `window`) and stores the alert with its webhook
//! outbox row (see [`crate::webhook`]).
//!
//! # Exactly once per window
//! Every alert has a deduplication key: its kind, its subject (a device, a daycare or a peer
//! address) and the start of the window it counts, aligned to fixed boundaries
//! ([`AlertWindow::Aligned`]) or `once` ([`AlertWindow::Once`]). The key is UNIQUE in the
//! database and the insert is `ON CONFLICT DO NOTHING`, and the rules decide with `>=` on a
//! count read after the counted action's transaction committed. So of N parallel requests,
//! the last to commit always sees the crossing (none is missed), and however many see it, one
//! insert wins (none is repeated). An alert is written after the request's transaction: it
//! never blocks the audit write, and a failure to store it is logged, never returned.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use placeforte_protocol::{DaycareId, DeviceId};

use crate::audit::instant_text;
use crate::identity::DeviceIdentity;
use crate::referrals::REFERRALS_PER_PLACE;
use crate::store::{AuditEvent, NewAlert, Storage};

/// Whom an alert is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertSubject {
    /// An enrolled device (and its daycare).
    Device {
        /// The device.
        device: DeviceId,
        /// Its daycare.
        daycare: DaycareId,
    },
    /// A daycare as a whole (all its devices together).
    Daycare(DaycareId),
    /// An unauthenticated peer (enrolment bursts, handshakes): its address only.
    Peer(IpAddr),
    /// Every unauthenticated peer together (a distributed burst).
    AllPeers,
    /// The audit log itself (a witness refused it, or it was written outside the service).
    AuditLog,
}

impl AlertSubject {
    /// The subject's part of the deduplication key.
    fn key(&self) -> String {
        match self {
            AlertSubject::Device { device, .. } => format!("device:{device}"),
            AlertSubject::Daycare(daycare) => format!("daycare:{daycare}"),
            AlertSubject::Peer(address) => format!("peer:{address}"),
            AlertSubject::AllPeers => "peers:all".to_owned(),
            AlertSubject::AuditLog => "audit_log".to_owned(),
        }
    }

    fn device(&self) -> String {
        match self {
            AlertSubject::Device { device, .. } => device.to_string(),
            AlertSubject::Daycare(_)
            | AlertSubject::Peer(_)
            | AlertSubject::AllPeers
            | AlertSubject::AuditLog => String::new(),
        }
    }

    fn daycare(&self) -> String {
        match self {
            AlertSubject::Device { daycare, .. } | AlertSubject::Daycare(daycare) => {
                daycare.to_string()
            }
            AlertSubject::Peer(_) | AlertSubject::AllPeers | AlertSubject::AuditLog => {
                String::new()
            }
        }
    }
}

impl From<&DeviceIdentity> for AlertSubject {
    fn from(identity: &DeviceIdentity) -> Self {
        AlertSubject::Device {
            device: identity.certificate.device_id,
            daycare: identity.certificate.daycare_id,
        }
    }
}

/// The window an alert counts: at most one alert per kind, subject and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlertWindow {
    /// Consecutive windows of this length from the Unix epoch (an hour: 10:00 to 11:00).
    Aligned(Duration),
    /// Only the first crossing ever.
    Once,
}

impl AlertWindow {
    /// The start of the window holding `now`, as stored (RFC 3339 text, or `once`).
    pub fn start_text(&self, now: DateTime<Utc>) -> String {
        match self {
            AlertWindow::Aligned(length) => instant_text(aligned_start(now, *length)),
            AlertWindow::Once => "once".to_owned(),
        }
    }
}

/// The start of the `length`-long window (aligned on the Unix epoch) holding `now`.
pub fn aligned_start(now: DateTime<Utc>, length: Duration) -> DateTime<Utc> {
    let seconds = length.num_seconds().max(1);
    let start = now.timestamp().div_euclid(seconds) * seconds;
    DateTime::from_timestamp(start, 0).unwrap_or(now)
}

/// Logs and stores an alert once per window; never fails the request. Returns the alert's id
/// when this call raised it, `None` when it was already raised in this window (or could not be
/// stored: that is logged).
pub async fn raise<S: Storage>(
    store: &S,
    kind: &str,
    subject: impl Into<AlertSubject>,
    window: AlertWindow,
    detail: String,
    now: DateTime<Utc>,
) -> Option<i64> {
    let subject = subject.into();
    let window_start = window.start_text(now);
    let alert = NewAlert {
        raised_at: instant_text(now),
        kind: kind.to_owned(),
        device_id: subject.device(),
        daycare_id: subject.daycare(),
        detail,
        dedup_key: format!("{kind}|{}|{window_start}", subject.key()),
        window_start,
    };
    match store.raise_alert(&alert).await {
        Ok(Some(id)) => {
            crate::metrics::alert_raised(kind);
            tracing::warn!(
                alert_id = id,
                kind,
                daycare = %alert.daycare_id,
                device = %alert.device_id,
                window = %alert.window_start,
                detail = %alert.detail,
                "alert raised"
            );
            Some(id)
        }
        Ok(None) => None,
        Err(error) => {
            tracing::error!(
                %error,
                kind,
                daycare = %alert.daycare_id,
                device = %alert.device_id,
                window = %alert.window_start,
                detail = %alert.detail,
                "the alert could not be stored (it is in this log)"
            );
            None
        }
    }
}

/// Requests for ids that are not the caller's, within one [`foreign_id_window`], that raise an
/// alert. A workstation mistypes an id now and then; five in ten minutes is probing.
pub const FOREIGN_ID_THRESHOLD: i64 = 5;

/// The aligned window [`FOREIGN_ID_THRESHOLD`] counts over.
pub fn foreign_id_window() -> Duration {
    Duration::minutes(10)
}

/// Audit action of a request naming an id that is not referred to the caller.
pub const FOREIGN_ID_ACTION: &str = "referral.not_found";

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
                AlertWindow::Aligned(Duration::hours(1)),
                format!("registration:{uuid}"),
                now,
            )
            .await;
        }
    }
    let window = foreign_id_window();
    let since = instant_text(aligned_start(now, window));
    let recent = store
        .recent_actions(&actor, FOREIGN_ID_ACTION, &since)
        .await?;
    if recent >= FOREIGN_ID_THRESHOLD {
        raise(
            store,
            "foreign_ids_repeated",
            identity,
            AlertWindow::Aligned(window),
            format!("{recent} ids not referred to this daycare in 10 minutes"),
            now,
        )
        .await;
    }
    Ok(())
}

/// The daily reveal quota was reached: one alert per device and UTC day (the quota's day).
pub async fn reveal_quota_exceeded<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    detail: String,
    now: DateTime<Utc>,
) {
    raise(
        store,
        "reveal_quota_exceeded",
        identity,
        AlertWindow::Aligned(Duration::days(1)),
        detail,
        now,
    )
    .await;
}

/// The most reveals within an hour a device may make without an alert, whatever its daycare's
/// size: the threshold before daycare-relative burst detection existed.
pub const REVEAL_BURST_PER_HOUR: i64 = 20;

/// The fewest reveals within an hour that count as a burst, however small the daycare: calling
/// three families about one vacancy in an hour is ordinary.
pub const REVEAL_BURST_MINIMUM: i64 = 3;

/// The share (percent) of its daycare's referrals a device may reveal within an hour without
/// an alert: a vacancy's offer calls reach a few of its three candidates per place, never a
/// tenth of everything the daycare was ever referred.
pub const REVEAL_BURST_PERCENT_OF_REFERRALS: i64 = 10;

/// Reveals within an hour, for a daycare with `daycare_referrals`, that make a burst: a tenth of
/// its referrals, at least [`REVEAL_BURST_MINIMUM`], at most [`REVEAL_BURST_PER_HOUR`].
pub fn reveal_burst_threshold(daycare_referrals: i64) -> i64 {
    (daycare_referrals.saturating_mul(REVEAL_BURST_PERCENT_OF_REFERRALS) / 100)
        .clamp(REVEAL_BURST_MINIMUM, REVEAL_BURST_PER_HOUR)
}

/// After a reveal: alerts once per aligned hour when the device's reveals in it reach
/// [`reveal_burst_threshold`] and are more than five times its hourly average of the week
/// before.
pub async fn after_reveal<S: Storage>(
    store: &S,
    identity: &DeviceIdentity,
    now: DateTime<Utc>,
) -> Result<(), crate::store::StoreError> {
    let actor = format!("device:{}", identity.certificate.device_id);
    let window_start = aligned_start(now, Duration::hours(1));
    let this_hour = store
        .recent_actions(&actor, "contact.revealed", &instant_text(window_start))
        .await?;
    if this_hour < REVEAL_BURST_MINIMUM {
        return Ok(());
    }
    let daycare_referrals = store
        .daycare_referral_count(identity.certificate.daycare_id)
        .await?;
    let threshold = reveal_burst_threshold(daycare_referrals);
    if this_hour < threshold {
        return Ok(());
    }
    let week = store
        .recent_actions(
            &actor,
            "contact.revealed",
            &instant_text(window_start - Duration::days(7)),
        )
        .await?;
    let hourly_before = (week - this_hour) / (7 * 24);
    if this_hour > 5 * hourly_before.max(1) {
        raise(
            store,
            "reveal_rate_abnormal",
            identity,
            AlertWindow::Aligned(Duration::hours(1)),
            format!(
                "{this_hour} reveals this hour (burst at {threshold} for {daycare_referrals} \
                 referrals); weekly hourly average {hourly_before}"
            ),
            now,
        )
        .await;
    }
    Ok(())
}

/// The aligned window sync volume is counted over.
pub fn sync_volume_window() -> Duration {
    Duration::hours(1)
}

/// The history a device's sync volume is compared with: the week before the window.
pub fn sync_volume_history() -> Duration {
    Duration::days(7)
}

/// How far above its hourly average of the week before a device must be to be alerted on.
pub const SYNC_VOLUME_FACTOR: i64 = 5;

/// Full syncs of its daycare's referrals a device may do within the window without an alert: a
/// wiped cache and a resync within the same hour are ordinary; reading everything a third
/// time is not.
pub const SYNC_VOLUME_FULL_SYNCS: i64 = 2;

/// The referrals a daycare of this permit can legitimately hold: [`REFERRALS_PER_PLACE`] for
/// each permit place. Referrals beyond it (vacancies declared past the permit) are not part of
/// the daycare's size, so a harvest does not raise its own threshold.
pub fn daycare_size(permit_places: i64, referrals_made: i64) -> i64 {
    referrals_made.min(permit_places.saturating_mul(i64::from(REFERRALS_PER_PLACE)))
}

/// The referrals a device may sync within the window: an alert when its volume reaches this.
/// More than [`SYNC_VOLUME_FULL_SYNCS`] full syncs of its daycare's size, or more than
/// [`SYNC_VOLUME_FACTOR`] times its own hourly average, whichever is higher. No absolute floor:
/// a small daycare's bulk read is as much a bulk read as a large one's.
pub fn sync_volume_threshold(hourly_average_before: i64, daycare_size: i64) -> i64 {
    SYNC_VOLUME_FULL_SYNCS
        .saturating_mul(daycare_size)
        .max(SYNC_VOLUME_FACTOR.saturating_mul(hourly_average_before))
        .saturating_add(1)
}

/// After a sync page of `page` referrals (already audited): alerts once per aligned window
/// when the device's volume in it reaches [`sync_volume_threshold`].
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
    let window_start = aligned_start(now, sync_volume_window());
    let in_window = store
        .synced_referrals(&actor, &instant_text(window_start))
        .await?;
    let daycare_id = identity.certificate.daycare_id;
    let referrals_made = store.daycare_referral_count(daycare_id).await?;
    let permit_places = store
        .daycare(daycare_id)
        .await?
        .map_or(0, |d| d.places.iter().map(|p| i64::from(*p)).sum());
    let size = daycare_size(permit_places, referrals_made);
    // Cheap exit for nearly every page: within two full syncs nothing can alert.
    if in_window <= SYNC_VOLUME_FULL_SYNCS.saturating_mul(size) {
        return Ok(());
    }
    let since_history = store
        .synced_referrals(&actor, &instant_text(window_start - sync_volume_history()))
        .await?;
    let windows_in_history = sync_volume_history().num_hours() / sync_volume_window().num_hours();
    let hourly_before = (since_history - in_window) / windows_in_history;
    let threshold = sync_volume_threshold(hourly_before, size);
    if in_window >= threshold {
        raise(
            store,
            "sync_volume_abnormal",
            identity,
            AlertWindow::Aligned(sync_volume_window()),
            format!(
                "{in_window} referrals synced this hour; hourly average before \
                 {hourly_before}; daycare size {size} referrals ({referrals_made} made, \
                 {permit_places} permit places)"
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
    fn the_sync_volume_threshold_is_above_two_full_syncs_or_five_times_the_history() {
        // A new device of a small daycare: a third full sync alerts.
        assert_eq!(sync_volume_threshold(0, 12), 25);
        // A device that usually syncs a lot: five times its own average.
        assert_eq!(sync_volume_threshold(300, 12), 1_501);
        assert_eq!(sync_volume_threshold(i64::MAX, 1), i64::MAX);
    }

    #[test]
    fn a_daycare_is_as_large_as_its_permit_allows_not_as_its_declarations_claim() {
        // The harvest of the issue: 25 places, 228 referrals obtained by over-declaring.
        let size = daycare_size(25, 228);
        assert_eq!(size, 75);
        assert!(228 >= sync_volume_threshold(0, size), "one sync alerts");
        // A real daycare's first full sync and one resync do not.
        assert!(2 * 75 < sync_volume_threshold(0, daycare_size(25, 75)));
    }

    #[test]
    fn the_reveal_burst_is_a_tenth_of_the_referrals_within_bounds() {
        assert_eq!(reveal_burst_threshold(0), REVEAL_BURST_MINIMUM);
        assert_eq!(reveal_burst_threshold(90), 9);
        assert_eq!(reveal_burst_threshold(10_000), REVEAL_BURST_PER_HOUR);
    }

    #[test]
    fn windows_are_aligned_on_fixed_boundaries() {
        let at = DateTime::parse_from_rfc3339("2026-12-01T14:47:12Z")
            .map(|t| t.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(
            instant_text(aligned_start(at, Duration::minutes(10))),
            "2026-12-01T14:40:00.000000Z"
        );
        assert_eq!(
            AlertWindow::Aligned(Duration::hours(1)).start_text(at),
            "2026-12-01T14:00:00.000000Z"
        );
        assert_eq!(AlertWindow::Once.start_text(at), "once");
    }
}
